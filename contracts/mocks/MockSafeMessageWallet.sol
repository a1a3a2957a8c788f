// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @notice A one-owner contract wallet that, like Safe, accepts its owner's signature only of the hash wrapped in
/// an EIP-712 `SafeMessage` under the wallet's own domain (chain id, wallet address): a signature made for one
/// wallet is invalid for any other wallet of the same owner. For tests only.
contract MockSafeMessageWallet is IERC1271 {
    /// @notice keccak256("EIP712Domain(uint256 chainId,address verifyingContract)"), Safe's domain type.
    bytes32 public constant DOMAIN_TYPEHASH = keccak256("EIP712Domain(uint256 chainId,address verifyingContract)");
    /// @notice keccak256("SafeMessage(bytes message)"), Safe's message type.
    bytes32 public constant SAFE_MESSAGE_TYPEHASH = keccak256("SafeMessage(bytes message)");

    address public immutable OWNER;

    constructor(address owner_) {
        OWNER = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(messageHash(hash), signature);
        if (err == ECDSA.RecoverError.NoError && recovered == OWNER) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice The digest the owner signs for `hash`: SafeMessage(abi.encode(hash)) under this wallet's domain.
    function messageHash(bytes32 hash) public view returns (bytes32) {
        bytes32 domainSeparator = keccak256(abi.encode(DOMAIN_TYPEHASH, block.chainid, address(this)));
        bytes32 structHash = keccak256(abi.encode(SAFE_MESSAGE_TYPEHASH, keccak256(abi.encode(hash))));
        return MessageHashUtils.toTypedDataHash(domainSeparator, structHash);
    }
}
