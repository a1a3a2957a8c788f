// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";

/// @title SSTORE2
/// @notice Immutable bytes kept as the code of a data-only contract: writing costs about 200 gas a byte (the code
/// deposit) against about 625 a byte for fresh storage slots, and reading a part costs one EXTCODECOPY (2,600 gas
/// cold, 100 warm, plus 3 a word) against 2,100 a cold slot. The escrow's own, minimal version: it creates with
/// CREATE at an address the caller predicts and checks, and the bytes it is given start with STOP (0x00), so the
/// data contract ends at once if anyone ever calls it: it can hold no funds and run no logic.
library SSTORE2 {
    /// @dev Length of the init code's prefix: PUSH2 len, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE,
    /// RETURN. It copies the `len` bytes that follow it to memory 0 and returns them as the new contract's code.
    uint256 internal constant PREFIX_BYTES = 10;

    /// @notice A zeroed init code buffer for a data contract of `codeLength` bytes (at most 65,535), prefix written.
    /// Code byte k is at memory `add(init, add(32, add(PREFIX_BYTES, k)))`.
    /// @dev The buffer holds one spare zero word after the code, so that a 32-byte mstore of an entry at the end of
    /// the code stays inside it; {create} leaves the spare word out.
    function initCode(uint256 codeLength) internal pure returns (bytes memory init) {
        init = new bytes(PREFIX_BYTES + codeLength + 32);
        uint256 prefix = (0x61 << 72) | (codeLength << 56) | 0x80600a3d393df3;
        assembly ("memory-safe") {
            mstore(add(init, 0x20), shl(176, prefix))
        }
    }

    /// @notice Creates the data contract of `init` (from {initCode}) with CREATE and returns its address, which
    /// must be `expected` (the address that the creator's next nonce derives).
    /// @dev Reverts with {ISLAEscrow.DataContractNotCreated} when CREATE fails (out of gas, or code over the
    /// 24,576-byte limit of EIP-170) and with {ISLAEscrow.DataContractMismatch} when the chain put the contract
    /// elsewhere (a chain that derives CREATE addresses differently, such as zkSync Era): the reads would then find
    /// no terms, so nothing must be created there.
    function create(bytes memory init, address expected) internal returns (address created) {
        uint256 length = init.length - 32;
        assembly ("memory-safe") {
            created := create(0, add(init, 0x20), length)
        }
        if (created == address(0)) revert ISLAEscrow.DataContractNotCreated();
        if (created != expected) revert ISLAEscrow.DataContractMismatch(expected, created);
    }

    /// @notice The address of the contract that `deployer` creates with CREATE at `nonce` (EIP-161 and EIP-2681:
    /// nonces are below 2^64; for a larger `nonce` there is no such contract and the result is address(0)).
    /// @dev keccak256(rlp([deployer, nonce]))[12:]: the list is 0xd6 + k, 0x94, the 20 bytes of `deployer`, then
    /// the nonce as an RLP string (0x80 for 0, the byte itself below 0x80, else 0x80 + k and its k bytes).
    function createAddress(address deployer, uint256 nonce) internal pure returns (address result) {
        if (nonce > type(uint64).max) return address(0);
        uint256 k; // the nonce's length in bytes beyond a single-byte RLP string
        if (nonce >= 0x80) {
            k = 1;
            while (nonce >> (8 * k) != 0) ++k;
        }
        uint256 head = (uint256(0xd6 + k) << 248) | (uint256(0x94) << 240) | (uint256(uint160(deployer)) << 80);
        uint256 tail;
        if (k == 0) tail = (nonce == 0 ? 0x80 : nonce) << 72;
        else tail = ((0x80 + k) << 72) | (nonce << (72 - 8 * k));
        uint256 word = head | tail;
        uint256 length = 23 + k;
        assembly ("memory-safe") {
            mstore(0x00, word)
            result := and(keccak256(0x00, length), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }
}
