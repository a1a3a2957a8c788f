// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";
import {PackedConfig} from "../libraries/PackedConfig.sol";
import {PenaltyMath} from "../libraries/PenaltyMath.sol";
import {SignerMask} from "../libraries/SignerMask.sol";
import {TermsValidation} from "../libraries/TermsValidation.sol";

/// @notice Exposes the escrow's pure libraries to tests (unit and differential). For tests only.
contract LibraryHarness {
    /// @notice Packs `oracles` and `metrics` as the escrow stores them and applies the penalty rule to `values`.
    function cutBps(
        address[] calldata oracles,
        ISLAEscrow.Metric[] calldata metrics,
        uint32[] calldata values
    ) external pure returns (uint16) {
        uint32 shape = PackedConfig.encodeShape(metrics);
        uint256 tiers = PackedConfig.totalTiers(shape, metrics.length);
        bytes memory blob = PackedConfig.encode(oracles, metrics, tiers);
        return PenaltyMath.cutBps(blob, oracles.length * PackedConfig.ORACLE_BYTES, shape, values);
    }

    function split(uint256 amount, uint16 cut) external pure returns (uint256 toVendor, uint256 toClient) {
        return PenaltyMath.split(amount, cut);
    }

    function popcount(uint256 mask) external pure returns (uint256) {
        return SignerMask.popcount(mask);
    }

    /// @notice Runs the signer-mask check against `oracles`; returns true or reverts with the escrow's error.
    function verify(
        bytes32 digest,
        address[] calldata oracles,
        ISLAEscrow.Metric[] calldata metrics,
        uint8 threshold,
        uint256 mask,
        bytes[] calldata signatures
    ) external view returns (bool) {
        uint256 tiers = PackedConfig.totalTiers(PackedConfig.encodeShape(metrics), metrics.length);
        bytes memory blob = PackedConfig.encode(oracles, metrics, tiers);
        SignerMask.verify(digest, blob, oracles.length, threshold, mask, signatures);
        return true;
    }

    /// @notice Packs and unpacks oracles and metrics (round trip).
    function roundTrip(
        address[] calldata oracles,
        ISLAEscrow.Metric[] calldata metrics
    ) external pure returns (address[] memory, ISLAEscrow.Metric[] memory) {
        uint32 shape = PackedConfig.encodeShape(metrics);
        uint256 tiers = PackedConfig.totalTiers(shape, metrics.length);
        bytes memory blob = PackedConfig.encode(oracles, metrics, tiers);
        return (
            PackedConfig.decodeOracles(blob, oracles.length),
            PackedConfig.decodeMetrics(blob, oracles.length, shape, metrics.length)
        );
    }

    function checkTerms(
        ISLAEscrow.Terms calldata terms,
        address sender
    ) external view returns (uint256 total, uint256 tierCount) {
        return TermsValidation.check(terms, sender);
    }
}
