// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISLAEscrow} from "../interfaces/ISLAEscrow.sol";

/// @title TermsValidation
/// @notice Every rule a new agreement's terms must satisfy (DESIGN.md, "Terms" and "Precise rules"), each
/// rejection a custom error naming the offending values.
library TermsValidation {
    uint256 internal constant MAX_ORACLES = 16;
    uint256 internal constant MAX_METRICS = 8;
    uint256 internal constant MAX_TIERS = 8;
    uint256 internal constant MAX_MILESTONES = 128;
    uint16 internal constant MAX_BPS = 10_000;
    /// @dev Due times are stored in 40 bits next to the amount in one slot.
    uint64 internal constant MAX_DUE_AT = type(uint40).max;

    /// @notice Reverts unless `terms` is valid for a proposal sent by `sender` at the current block time.
    /// @return total The sum of the milestone amounts (the deposit).
    /// @return tierCount The number of tiers over all metrics.
    function check(
        ISLAEscrow.Terms calldata terms,
        address sender
    ) internal view returns (uint256 total, uint256 tierCount) {
        _checkParties(terms, sender);
        _checkOracles(terms.oracles, terms.threshold);
        tierCount = _checkMetrics(terms.metrics);
        if (terms.silentCutBps > MAX_BPS) revert ISLAEscrow.SilentCutTooHigh(terms.silentCutBps);
        total = _checkMilestones(terms.milestones, terms.startAt);
    }

    function _checkParties(ISLAEscrow.Terms calldata terms, address sender) private pure {
        address client = terms.client;
        address vendor = terms.vendor;
        address arbitrator = terms.arbitrator;
        if (client != sender) revert ISLAEscrow.ClientNotSender(client, sender);
        if (vendor == address(0) || vendor == client) revert ISLAEscrow.InvalidVendor(vendor);
        if (arbitrator != address(0) && (arbitrator == client || arbitrator == vendor)) {
            revert ISLAEscrow.InvalidArbitrator(arbitrator);
        }
    }

    function _checkOracles(address[] calldata oracles, uint8 threshold) private pure {
        uint256 n = oracles.length;
        if (n == 0 || n > MAX_ORACLES) revert ISLAEscrow.OracleCountOutOfRange(n);
        // Strictly ascending from address(0) excluded: no zero oracle, no duplicates.
        address previous;
        for (uint256 i; i < n; ++i) {
            address oracle = oracles[i];
            if (oracle <= previous) revert ISLAEscrow.InvalidOracle(i, oracle);
            previous = oracle;
        }
        if (threshold == 0 || threshold > n) revert ISLAEscrow.InvalidThreshold(threshold, n);
    }

    function _checkMetrics(ISLAEscrow.Metric[] calldata metrics) private pure returns (uint256 tierCount) {
        uint256 count = metrics.length;
        if (count == 0 || count > MAX_METRICS) revert ISLAEscrow.MetricCountOutOfRange(count);
        for (uint256 m; m < count; ++m) {
            ISLAEscrow.Tier[] calldata tiers = metrics[m].tiers;
            uint256 n = tiers.length;
            if (n == 0 || n > MAX_TIERS) revert ISLAEscrow.TierCountOutOfRange(m, n);
            for (uint256 t; t < n; ++t) {
                uint16 cut = tiers[t].cutBps;
                if (cut > MAX_BPS) revert ISLAEscrow.TierCutTooHigh(m, t, cut);
            }
            tierCount += n;
        }
    }

    function _checkMilestones(
        ISLAEscrow.Milestone[] calldata milestones,
        uint64 startAt
    ) private view returns (uint256 total) {
        uint256 n = milestones.length;
        if (n == 0 || n > MAX_MILESTONES) revert ISLAEscrow.MilestoneCountOutOfRange(n);
        uint64 firstDue = milestones[0].dueAt;
        if (firstDue <= block.timestamp) revert ISLAEscrow.MilestoneDueInPast(firstDue, uint64(block.timestamp));
        if (startAt >= firstDue) revert ISLAEscrow.StartNotBeforeFirstDue(startAt, firstDue);
        uint64 previous;
        for (uint256 i; i < n; ++i) {
            ISLAEscrow.Milestone calldata milestone = milestones[i];
            uint128 amount = milestone.amount;
            uint64 dueAt = milestone.dueAt;
            if (amount == 0) revert ISLAEscrow.ZeroMilestoneAmount(i);
            if (dueAt <= previous) revert ISLAEscrow.MilestoneDueNotAscending(i, dueAt, previous);
            previous = dueAt;
            total += amount;
        }
        if (previous > MAX_DUE_AT) revert ISLAEscrow.MilestoneDueTooLate(previous, MAX_DUE_AT);
    }
}
