// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A contract party whose ETH receipt either reverts or reenters the escrow. For tests only.
contract MockEthReceiver {
    enum Mode {
        Accept,
        Revert,
        Reenter
    }

    Mode public mode;
    bytes public reentryData;
    bool public reentrySucceeded;
    bytes public reentryResult;

    error NoEthPlease();

    function setMode(Mode mode_, bytes calldata reentryData_) external {
        mode = mode_;
        reentryData = reentryData_;
    }

    /// @notice Calls `target` with `data` as this contract (to act as client or vendor).
    function call(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory result) = target.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        if (mode == Mode.Revert) revert NoEthPlease();
        if (mode == Mode.Reenter) {
            mode = Mode.Accept;
            // solhint-disable-next-line avoid-low-level-calls
            (reentrySucceeded, reentryResult) = msg.sender.call(reentryData);
        }
    }
}
