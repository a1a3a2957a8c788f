// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";
import {PackedConfig} from "../libraries/PackedConfig.sol";
import {PenaltyMath} from "../libraries/PenaltyMath.sol";
import {SignerMask} from "../libraries/SignerMask.sol";
import {SSTORE2} from "../libraries/SSTORE2.sol";
import {TermsValidation} from "../libraries/TermsValidation.sol";

/// @notice Exposes the escrow's pure libraries to tests (unit and differential). For tests only.
contract LibraryHarness {
    /// @notice One agreement of {cutBpsBatch}: its metrics are packed once, after the first `oracleCount` oracles of
    /// the pool, and the penalty rule is applied to each of `valueSets` (one attestation's values each), as the
    /// escrow packs the terms at creation and applies the rule at every attestation.
    struct CutConfig {
        uint8 oracleCount;
        ISLAEscrow.Metric[] metrics;
        uint32[][] valueSets;
    }

    /// @notice One case of {splitBatch}.
    struct SplitCase {
        uint256 amount;
        uint16 cut;
    }

    /// @notice One case of {verifyBatch}: the signer-mask check of `signatures` against `oracles`.
    struct VerifyCase {
        address[] oracles;
        uint8 threshold;
        uint256 mask;
        bytes[] signatures;
    }

    /// @notice Case `index` of {verifyBatch} neither returned true nor reverted with data (an empty revert is most
    /// likely out of gas): it must not be mistaken for a valid case, whose result is empty.
    error UnexpectedVerifyResult(uint256 index);

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

    /// @notice {cutBps} for many agreements and value sets in one call (differential tests: one eth_call instead
    /// of one per case).
    /// @param oracles The pool of oracles; config k packs `oracles[:configs[k].oracleCount]` in front of its tiers.
    /// @param configs The agreements (metrics) and the value sets to apply the rule to.
    /// @return cuts The milestone cut of every value set, config by config, each config's in its order.
    function cutBpsBatch(
        address[] calldata oracles,
        CutConfig[] calldata configs
    ) external pure returns (uint16[] memory cuts) {
        uint256 total;
        for (uint256 k; k < configs.length; ++k) {
            total += configs[k].valueSets.length;
        }
        cuts = new uint16[](total);
        uint256 next;
        for (uint256 k; k < configs.length; ++k) {
            CutConfig calldata c = configs[k];
            address[] calldata configOracles = oracles[:c.oracleCount];
            uint32 shape = PackedConfig.encodeShape(c.metrics);
            uint256 tiers = PackedConfig.totalTiers(shape, c.metrics.length);
            bytes memory blob = PackedConfig.encode(configOracles, c.metrics, tiers);
            uint256 tiersOffset = configOracles.length * PackedConfig.ORACLE_BYTES;
            for (uint256 v; v < c.valueSets.length; ++v) {
                cuts[next] = PenaltyMath.cutBps(blob, tiersOffset, shape, c.valueSets[v]);
                ++next;
            }
        }
    }

    /// @notice {split} for many cases in one call.
    /// @param cases The amounts and cuts to split.
    /// @return toVendor The vendor's part of each case, in case order.
    /// @return toClient The client's part of each case, in case order.
    function splitBatch(
        SplitCase[] calldata cases
    ) external pure returns (uint256[] memory toVendor, uint256[] memory toClient) {
        toVendor = new uint256[](cases.length);
        toClient = new uint256[](cases.length);
        for (uint256 k; k < cases.length; ++k) {
            (toVendor[k], toClient[k]) = PenaltyMath.split(cases[k].amount, cases[k].cut);
        }
    }

    /// @notice The signer-mask check ({verify}, no metrics) for many cases in one call. Each case runs in its own
    /// external self-call, so that its revert is caught and the next case still runs.
    /// @param digest The digest every case's signatures are checked against.
    /// @param cases The oracles, threshold, signer mask and signatures of each case.
    /// @return reasons Per case, in case order: empty when the check passes, else the revert data (the escrow's
    /// custom error, ABI-encoded). Reverts with {UnexpectedVerifyResult} if a case fails without revert data.
    function verifyBatch(bytes32 digest, VerifyCase[] calldata cases) external view returns (bytes[] memory reasons) {
        reasons = new bytes[](cases.length);
        ISLAEscrow.Metric[] memory noMetrics = new ISLAEscrow.Metric[](0);
        for (uint256 k; k < cases.length; ++k) {
            VerifyCase calldata c = cases[k];
            try this.verify(digest, c.oracles, noMetrics, c.threshold, c.mask, c.signatures) returns (bool passed) {
                if (!passed) revert UnexpectedVerifyResult(k); // passed: reasons[k] stays empty
            } catch (bytes memory reason) {
                if (reason.length == 0) revert UnexpectedVerifyResult(k);
                reasons[k] = reason;
            }
        }
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

    /// @notice SSTORE2.createAddress: the CREATE address of `deployer` at `nonce`.
    function createAddress(address deployer, uint256 nonce) external pure returns (address) {
        return SSTORE2.createAddress(deployer, nonce);
    }

    /// @notice Creates a data contract whose code is `code` (STOP is not added), expecting this harness's CREATE
    /// address at `nonce`: the escrow's creation check, with a nonce of the test's choosing.
    function createData(bytes calldata code, uint256 nonce) external returns (address) {
        bytes memory init = SSTORE2.initCode(code.length);
        assembly ("memory-safe") {
            calldatacopy(add(add(init, 0x20), 10), code.offset, code.length) // after SSTORE2.PREFIX_BYTES
        }
        return SSTORE2.create(init, SSTORE2.createAddress(address(this), nonce));
    }
}
