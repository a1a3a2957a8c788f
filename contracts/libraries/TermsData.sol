// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";
import {PackedConfig} from "./PackedConfig.sol";
import {SSTORE2} from "./SSTORE2.sol";

/// @title TermsData
/// @notice The immutable part of an agreement's terms, written once at creation as the code of a data-only contract
/// (SSTORE2) and read with EXTCODECOPY of just the bytes a step needs. Agreement `id`'s data contract is the one the
/// escrow creates at its CREATE nonce `id` (the escrow's nonce starts at 1 and it creates nothing else, so agreement
/// 1 is created at nonce 1, and so on): its address is derived, never stored, and creation checks that the derived
/// address is the one created (SSTORE2.create). An id that was never created derives an address without code, whose
/// bytes read as zero: a milestone count of 0, which no agreement has.
/// @dev Layout of the code (big-endian, offsets in bytes):
///      0        STOP (0x00): calling the contract does nothing
///      1..32    word 0: vendor 20 | disputeWindow 4 | arbitrationTimeout 4 | silentCutBps 2 | threshold 1 |
///               milestoneCount 1
///      33..64   word 1: token 20 | attestGrace 4 | metricShape 4 | oracleCount 1 | metricCount 1 | 0 2
///      65..96   word 2: client 20 | startAt 8 | 0 4
///      97..116  arbitrator 20
///      117..    milestone i at 117 + 21i: amount 16 | dueAt 5 (TermsValidation bounds dueAt to 40 bits)
///      then     the oracles and the tiers in PackedConfig's layout (20 bytes an oracle, 6 a tier)
///      The header's words are grouped like the reads: settling needs words 0 and 1 (and 2 for a client's share),
///      attesting words 0 and 1; one EXTCODECOPY reads all four for the price of one cold access.
library TermsData {
    /// @notice The four header words, as copied from the code (word 3 holds the arbitrator in its top 20 bytes).
    struct Header {
        uint256 w0;
        uint256 w1;
        uint256 w2;
        uint256 w3;
    }

    uint256 private constant HEADER_AT = 1;
    uint256 private constant HEADER_BYTES = 116;
    uint256 private constant MILESTONES_AT = HEADER_AT + HEADER_BYTES;
    /// @notice Bytes per milestone: amount (16) and due time (5).
    uint256 internal constant MILESTONE_BYTES = 21;

    /// @notice Agreement `id`'s data contract: the escrow's CREATE address at nonce `id`.
    function pointer(uint256 id) internal view returns (address) {
        return SSTORE2.createAddress(address(this), id);
    }

    /// @notice Writes `terms` (already checked by TermsValidation, with `tierCount` tiers in all) as the data
    /// contract of agreement `id`.
    function write(ISLAEscrow.Terms calldata terms, uint256 tierCount, uint256 id) internal {
        uint256 count = terms.milestones.length;
        uint256 configAt = MILESTONES_AT + count * MILESTONE_BYTES;
        bytes memory init = SSTORE2.initCode(
            configAt + terms.oracles.length * PackedConfig.ORACLE_BYTES + tierCount * PackedConfig.TIER_BYTES
        );
        uint256 code; // memory address of code byte 0 (the STOP byte, left zero)
        assembly ("memory-safe") {
            code := add(add(init, 0x20), 10) // SSTORE2.PREFIX_BYTES
        }
        // In this order: each 32-byte write spills into the next entry's bytes, which the next write sets.
        _writeHeader(code, terms, count);
        ISLAEscrow.Milestone[] calldata milestones = terms.milestones;
        for (uint256 i; i < count; ++i) {
            _put(
                code + MILESTONES_AT + i * MILESTONE_BYTES,
                (uint256(milestones[i].amount) << 128) | (uint256(milestones[i].dueAt) << 88)
            );
        }
        PackedConfig.write(init, SSTORE2.PREFIX_BYTES + configAt, terms.oracles, terms.metrics);
        SSTORE2.create(init, pointer(id));
    }

    /// @dev Writes the header's four words from memory address `code + HEADER_AT` on.
    function _writeHeader(uint256 code, ISLAEscrow.Terms calldata terms, uint256 count) private pure {
        _put(
            code + HEADER_AT,
            (uint256(uint160(terms.vendor)) << 96) |
                (uint256(terms.disputeWindow) << 64) |
                (uint256(terms.arbitrationTimeout) << 32) |
                (uint256(terms.silentCutBps) << 16) |
                (uint256(terms.threshold) << 8) |
                count
        );
        _put(
            code + HEADER_AT + 32,
            (uint256(uint160(terms.token)) << 96) |
                (uint256(terms.attestGrace) << 64) |
                (uint256(PackedConfig.encodeShape(terms.metrics)) << 32) |
                (terms.oracles.length << 24) |
                (terms.metrics.length << 16)
        );
        _put(code + HEADER_AT + 64, (uint256(uint160(terms.client)) << 96) | (uint256(terms.startAt) << 32));
        _put(code + HEADER_AT + 96, uint256(uint160(terms.arbitrator)) << 96);
    }

    /// @notice The header of `data` (all zero when `data` has no code).
    function header(address data) internal view returns (Header memory h) {
        uint256 at = HEADER_AT;
        uint256 length = HEADER_BYTES;
        assembly ("memory-safe") {
            extcodecopy(data, h, at, length)
        }
    }

    /// @notice Milestone `milestone`'s amount and due time (the caller checks `milestone < milestoneCount`).
    function milestone(address data, uint256 milestone_) internal view returns (uint256 amount, uint256 dueAt) {
        uint256 at = MILESTONES_AT + milestone_ * MILESTONE_BYTES;
        uint256 length = MILESTONE_BYTES;
        uint256 word;
        assembly ("memory-safe") {
            extcodecopy(data, 0x00, at, length) // scratch space; the 11 bytes after the entry are masked off
            word := mload(0x00)
        }
        amount = word >> 128;
        dueAt = uint40(word >> 88);
    }

    /// @notice Every milestone's entry (21 bytes each, in order), with a spare zero word for {entryAt}.
    function milestoneTable(address data, uint256 count) internal view returns (bytes memory table) {
        uint256 length = count * MILESTONE_BYTES;
        table = new bytes(length + 32);
        uint256 at = MILESTONES_AT;
        assembly ("memory-safe") {
            extcodecopy(data, add(table, 0x20), at, length)
        }
    }

    /// @notice Entry `i` of {milestoneTable}: its amount and due time.
    function entryAt(bytes memory table, uint256 i) internal pure returns (uint256 amount, uint256 dueAt) {
        uint256 word;
        uint256 at = i * MILESTONE_BYTES;
        assembly ("memory-safe") {
            word := mload(add(add(table, 0x20), at))
        }
        amount = word >> 128;
        dueAt = uint40(word >> 88);
    }

    /// @notice The oracles and tiers in PackedConfig's layout, with a spare zero word for its 32-byte reads.
    function config(
        address data,
        uint256 milestoneCount_,
        uint256 oracleCount_,
        uint256 tierCount
    ) internal view returns (bytes memory blob) {
        blob = new bytes((PackedConfig.wordCount(oracleCount_, tierCount) + 1) << 5);
        uint256 at = MILESTONES_AT + milestoneCount_ * MILESTONE_BYTES;
        uint256 length = oracleCount_ * PackedConfig.ORACLE_BYTES + tierCount * PackedConfig.TIER_BYTES;
        assembly ("memory-safe") {
            extcodecopy(data, add(blob, 0x20), at, length)
        }
    }

    function vendor(Header memory h) internal pure returns (address) {
        return address(uint160(h.w0 >> 96));
    }

    function disputeWindow(Header memory h) internal pure returns (uint32) {
        return uint32(h.w0 >> 64);
    }

    function arbitrationTimeout(Header memory h) internal pure returns (uint32) {
        return uint32(h.w0 >> 32);
    }

    function silentCutBps(Header memory h) internal pure returns (uint16) {
        return uint16(h.w0 >> 16);
    }

    function threshold(Header memory h) internal pure returns (uint8) {
        return uint8(h.w0 >> 8);
    }

    function milestoneCount(Header memory h) internal pure returns (uint256) {
        return uint8(h.w0);
    }

    function token(Header memory h) internal pure returns (address) {
        return address(uint160(h.w1 >> 96));
    }

    function attestGrace(Header memory h) internal pure returns (uint32) {
        return uint32(h.w1 >> 64);
    }

    function metricShape(Header memory h) internal pure returns (uint32) {
        return uint32(h.w1 >> 32);
    }

    function oracleCount(Header memory h) internal pure returns (uint256) {
        return uint8(h.w1 >> 24);
    }

    function metricCount(Header memory h) internal pure returns (uint256) {
        return uint8(h.w1 >> 16);
    }

    function client(Header memory h) internal pure returns (address) {
        return address(uint160(h.w2 >> 96));
    }

    function startAt(Header memory h) internal pure returns (uint64) {
        return uint64(h.w2 >> 32);
    }

    function arbitrator(Header memory h) internal pure returns (address) {
        return address(uint160(h.w3 >> 96));
    }

    /// @dev Writes a left-aligned entry at memory `at`; the bytes after it are zero or written next.
    function _put(uint256 at, uint256 word) private pure {
        assembly ("memory-safe") {
            mstore(at, word)
        }
    }
}
