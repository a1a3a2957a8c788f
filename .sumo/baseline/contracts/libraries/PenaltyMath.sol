// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PackedConfig} from "./PackedConfig.sol";

/// @title PenaltyMath
/// @notice The penalty rule of DESIGN.md, exactly:
///  - a tier of a higher-is-better metric is breached when `value < threshold`, of a lower-is-better metric when
///    `value > threshold`;
///  - a metric's cut is the largest `cutBps` among its breached tiers (0 if none);
///  - the milestone's cut is `min(10000, sum of the metric cuts)`;
///  - `cutAmount = amount * cutBps / 10000`, rounded down.
library PenaltyMath {
    uint16 internal constant MAX_BPS = 10_000;

    /// @notice Whether a tier is breached by `value`.
    function breached(bool higherIsBetter, uint32 threshold, uint32 value) internal pure returns (bool) {
        return higherIsBetter ? value < threshold : value > threshold;
    }

    /// @notice The milestone cut for `values` (one per metric) under the packed tiers of `blob`.
    /// @param tiersOffset Byte offset of the first tier in `blob` (after the oracles).
    function cutBps(
        bytes memory blob,
        uint256 tiersOffset,
        uint32 shape,
        uint32[] calldata values
    ) internal pure returns (uint16) {
        uint256 total;
        uint256 offset = tiersOffset;
        for (uint256 m; m < values.length; ++m) {
            (bool higherIsBetter, uint256 count) = PackedConfig.metricShape(shape, m);
            total += metricCut(blob, offset, count, higherIsBetter, values[m]);
            offset += count * PackedConfig.TIER_BYTES;
        }
        return total > MAX_BPS ? MAX_BPS : uint16(total);
    }

    /// @notice The largest cut among the breached tiers of one metric (0 if none).
    /// @param offset Byte offset of the metric's first tier in `blob`; `count` tiers follow.
    function metricCut(
        bytes memory blob,
        uint256 offset,
        uint256 count,
        bool higherIsBetter,
        uint32 value
    ) internal pure returns (uint256 cut) {
        uint256 end = offset + count * PackedConfig.TIER_BYTES;
        for (; offset < end; offset += PackedConfig.TIER_BYTES) {
            (uint32 threshold, uint16 tierCut) = PackedConfig.tierAt(blob, offset);
            if (tierCut > cut && breached(higherIsBetter, threshold, value)) cut = tierCut;
        }
    }

    /// @notice Splits `amount` by `cut` (basis points): the client's part is rounded down.
    function split(uint256 amount, uint16 cut) internal pure returns (uint256 toVendor, uint256 toClient) {
        toClient = (amount * cut) / MAX_BPS;
        toVendor = amount - toClient;
    }
}
