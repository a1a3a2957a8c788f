// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice A malicious token: on every transfer it calls `callee` with `data` (once per arm) and records whether
/// that call succeeded and what it returned, so tests can see the escrow refuse the reentry. For tests only.
contract MockReentrantToken is ERC20 {
    address public callee;
    bytes public data;
    bool public attempted;
    bool public reentrySucceeded;
    bytes public reentryResult;

    constructor() ERC20("Reentrant Token", "REENT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address callee_, bytes calldata data_) external {
        callee = callee_;
        data = data_;
        attempted = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (callee != address(0) && !attempted && from != address(0)) {
            attempted = true;
            // solhint-disable-next-line avoid-low-level-calls
            (reentrySucceeded, reentryResult) = callee.call(data);
        }
    }
}
