// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A contract wallet (like a Safe with one owner) that validates signatures of its owner through ERC-1271,
/// and whose owner can revoke that validation ("changes its mind"). For tests only.
contract MockERC1271Wallet is IERC1271 {
    address public immutable OWNER;
    bool public revoked;

    error NotOwner();
    error CallFailed();

    constructor(address owner_) {
        OWNER = owner_;
    }

    function setRevoked(bool revoked_) external {
        if (msg.sender != OWNER) revert NotOwner();
        revoked = revoked_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (!revoked && err == ECDSA.RecoverError.NoError && recovered == OWNER)
            return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice Lets the wallet act as a party (e.g. withdraw its escrow balance).
    function execute(address to, uint256 value, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != OWNER) revert NotOwner();
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory result) = to.call{value: value}(data);
        if (!ok) revert CallFailed();
        return result;
    }

    receive() external payable {}
}
