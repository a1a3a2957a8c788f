// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";

/// @title PackedConfig
/// @notice The oracles and penalty tiers of an agreement's terms packed byte by byte, as the agreement's data
/// contract holds them (TermsData) and as attestations read them into memory: one copy, no per-item padding.
/// @dev Layout of the byte string (big-endian, no padding between entries):
///      [oracle 0: 20 bytes] ... [oracle N-1: 20 bytes] [tier: uint32 threshold | uint16 cutBps] ...
///      with the tiers of metric 0 first, then metric 1, and so on. Three oracles and six tiers take 96 bytes.
///      The metrics' shapes live in one `uint32` (4 bits per metric, metric m at bits 4m..4m+3):
///      bit 3 = higherIsBetter, bits 0..2 = number of tiers - 1.
library PackedConfig {
    uint256 internal constant ORACLE_BYTES = 20;
    uint256 internal constant TIER_BYTES = 6;

    /// @notice Packs the metrics' directions and tier counts into a shape word. Counts must be 1..8.
    function encodeShape(ISLAEscrow.Metric[] calldata metrics) internal pure returns (uint32 shape) {
        for (uint256 m; m < metrics.length; ++m) {
            uint256 nibble = metrics[m].tiers.length - 1;
            if (metrics[m].higherIsBetter) nibble |= 8;
            shape |= uint32(nibble << (4 * m));
        }
    }

    /// @notice Whether metric `m` is higher-is-better, and its number of tiers.
    function metricShape(uint32 shape, uint256 m) internal pure returns (bool higherIsBetter, uint256 tiers) {
        uint256 nibble = (uint256(shape) >> (4 * m)) & 0xf;
        return (nibble & 8 != 0, (nibble & 7) + 1);
    }

    /// @notice The total number of tiers of the first `metricCount` metrics.
    function totalTiers(uint32 shape, uint256 metricCount) internal pure returns (uint256 total) {
        for (uint256 m; m < metricCount; ++m) {
            total += ((uint256(shape) >> (4 * m)) & 7) + 1;
        }
    }

    /// @notice The number of 32-byte words the packed bytes occupy.
    function wordCount(uint256 oracleCount, uint256 tierCount) internal pure returns (uint256) {
        return (oracleCount * ORACLE_BYTES + tierCount * TIER_BYTES + 31) >> 5;
    }

    /// @notice Packs the oracles and every metric's tiers. The result is zero-padded to whole words, plus one spare
    /// word for the 32-byte reads.
    function encode(
        address[] calldata oracles,
        ISLAEscrow.Metric[] calldata metrics,
        uint256 tierCount
    ) internal pure returns (bytes memory blob) {
        blob = new bytes((wordCount(oracles.length, tierCount) + 1) << 5);
        write(blob, 0, oracles, metrics);
    }

    /// @notice Writes the packed oracles and tiers into `buffer` from byte `offset` on. `buffer` must hold 32 bytes
    /// after the last entry: each mstore writes 32 bytes, of which only the first 20 or 6 are the entry.
    function write(
        bytes memory buffer,
        uint256 offset,
        address[] calldata oracles,
        ISLAEscrow.Metric[] calldata metrics
    ) internal pure {
        for (uint256 i; i < oracles.length; ++i) {
            _write(buffer, offset, uint256(uint160(oracles[i])) << 96);
            offset += ORACLE_BYTES;
        }
        for (uint256 m; m < metrics.length; ++m) {
            ISLAEscrow.Tier[] calldata tiers = metrics[m].tiers;
            for (uint256 t; t < tiers.length; ++t) {
                _write(buffer, offset, ((uint256(tiers[t].threshold) << 16) | tiers[t].cutBps) << 208);
                offset += TIER_BYTES;
            }
        }
    }

    /// @notice The address of oracle `i`.
    function oracleAt(bytes memory blob, uint256 i) internal pure returns (address) {
        return address(uint160(_read(blob, i * ORACLE_BYTES) >> 96));
    }

    /// @notice The tier stored at `offset` (the byte offset of the tier entry).
    function tierAt(bytes memory blob, uint256 offset) internal pure returns (uint32 threshold, uint16 cutBps) {
        uint256 entry = _read(blob, offset) >> 208;
        return (uint32(entry >> 16), uint16(entry));
    }

    /// @notice Unpacks the oracles.
    function decodeOracles(bytes memory blob, uint256 oracleCount) internal pure returns (address[] memory oracles) {
        oracles = new address[](oracleCount);
        for (uint256 i; i < oracleCount; ++i) {
            oracles[i] = oracleAt(blob, i);
        }
    }

    /// @notice Unpacks the metrics; their tiers start after `oracleCount` oracles.
    function decodeMetrics(
        bytes memory blob,
        uint256 oracleCount,
        uint32 shape,
        uint256 metricCount
    ) internal pure returns (ISLAEscrow.Metric[] memory metrics) {
        metrics = new ISLAEscrow.Metric[](metricCount);
        uint256 offset = oracleCount * ORACLE_BYTES;
        for (uint256 m; m < metricCount; ++m) {
            (bool higherIsBetter, uint256 count) = metricShape(shape, m);
            ISLAEscrow.Tier[] memory tiers = new ISLAEscrow.Tier[](count);
            for (uint256 t; t < count; ++t) {
                (uint32 threshold, uint16 cutBps) = tierAt(blob, offset);
                tiers[t] = ISLAEscrow.Tier(threshold, cutBps);
                offset += TIER_BYTES;
            }
            metrics[m] = ISLAEscrow.Metric(higherIsBetter, tiers);
        }
    }

    /// @dev The 32 bytes of `blob` starting at byte `offset` (callers keep offset + 32 within the padding).
    function _read(bytes memory blob, uint256 offset) private pure returns (uint256 word) {
        assembly ("memory-safe") {
            word := mload(add(add(blob, 0x20), offset))
        }
    }

    /// @dev Writes a left-aligned entry at byte `offset`; the bytes after it are zeroed and later overwritten.
    function _write(bytes memory blob, uint256 offset, uint256 word) private pure {
        assembly ("memory-safe") {
            mstore(add(add(blob, 0x20), offset), word)
        }
    }
}
