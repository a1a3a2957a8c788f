// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title StateWords
/// @notice The mutable state of an agreement's milestones, three to a storage word, and the agreement's flags in
/// the top bits of its first word. Everything that never changes (amounts, due times, parties, windows, oracles,
/// tiers) lives in the agreement's data contract (TermsData); storage keeps only what a step changes.
/// @dev Word w holds milestones 3w, 3w + 1 and 3w + 2 in lanes of 84 bits (lane j at bits 84j..84j+83):
///      [0..3] state | [4..19] cutBps | [20..51] attestDelay | [52..83] disputeDelay
///      and bits 252..255 are flags. A lane of 0 is a Pending milestone never touched, so creation writes no state
///      word at all: the first step in each word pays the fresh write (20k) and the others a rewrite (2.9k).
///      Times are offsets that the lifecycle bounds to 32 bits: attestedAt = dueAt + attestDelay (attestDelay <=
///      attestGrace, a uint32), disputedAt = attestedAt + disputeDelay (disputeDelay < disputeWindow, a uint32).
///      state is PENDING, ATTESTED, DISPUTED, or SETTLED + the state it was settled from, so that a settled
///      milestone still tells whether it was attested and disputed. cutBps <= 10000 fits its 16 bits.
///      Flags: word 0 holds ACCEPTED (the vendor accepted), CANCELLED and the two termination votes. Every other
///      word gets a copy of ACCEPTED with its first attestation (only an accepted agreement is attested, and
///      acceptance is never undone), so that the attestations of its other milestones need not read word 0.
library StateWords {
    /// @notice Milestones per word.
    uint256 internal constant LANES = 3;
    /// @notice Words per agreement: ceil(128 / 3).
    uint256 internal constant WORDS = 43;

    uint8 internal constant PENDING = 0;
    uint8 internal constant ATTESTED = 1;
    uint8 internal constant DISPUTED = 2;
    uint8 internal constant SETTLED = 3; // never attested (silent, refunded, cancelled); 4, 5: after ATTESTED, DISPUTED

    uint256 internal constant ACCEPTED = 1 << 252;
    uint256 internal constant CANCELLED = 1 << 253;
    uint256 internal constant CLIENT_TERMINATES = 1 << 254;
    uint256 internal constant VENDOR_TERMINATES = 1 << 255;
    uint256 internal constant BOTH_TERMINATE = CLIENT_TERMINATES | VENDOR_TERMINATES;

    uint256 private constant LANE_BITS = 84;
    uint256 private constant LANE_MASK = (1 << LANE_BITS) - 1;
    uint256 private constant STATE_MASK = 0xf;
    uint256 private constant CUT_SHIFT = 4;
    uint256 private constant ATTEST_SHIFT = 20;
    uint256 private constant DISPUTE_SHIFT = 52;

    /// @notice The lane of milestone `milestone` in its word (the word is `milestone / LANES`).
    function lane(uint256 word, uint256 milestone) internal pure returns (uint256) {
        return (word >> ((milestone % LANES) * LANE_BITS)) & LANE_MASK;
    }

    /// @notice `word` with the lane of milestone `milestone` replaced by `value` (other lanes and flags kept).
    function withLane(uint256 word, uint256 milestone, uint256 value) internal pure returns (uint256) {
        uint256 shift = (milestone % LANES) * LANE_BITS;
        return (word & ~(LANE_MASK << shift)) | (value << shift);
    }

    function state(uint256 value) internal pure returns (uint8) {
        return uint8(value & STATE_MASK);
    }

    function cutBps(uint256 value) internal pure returns (uint16) {
        return uint16(value >> CUT_SHIFT);
    }

    function attestDelay(uint256 value) internal pure returns (uint256) {
        return uint32(value >> ATTEST_SHIFT);
    }

    function disputeDelay(uint256 value) internal pure returns (uint256) {
        return uint32(value >> DISPUTE_SHIFT);
    }

    /// @notice Whether the milestone is settled (whatever came before).
    function isSettled(uint256 value) internal pure returns (bool) {
        return state(value) >= SETTLED;
    }

    /// @notice A Pending lane attested with `cut`, `delay` seconds after its due time (delay < 2^32).
    function attested(uint16 cut, uint256 delay) internal pure returns (uint256) {
        return ATTESTED | (uint256(cut) << CUT_SHIFT) | (delay << ATTEST_SHIFT);
    }

    /// @notice `word` with `cut` set in the lane of milestone `milestone`, whose cut is 0 (as {attested} with 0).
    function withCut(uint256 word, uint256 milestone, uint16 cut) internal pure returns (uint256) {
        return word | (uint256(cut) << ((milestone % LANES) * LANE_BITS + CUT_SHIFT));
    }

    /// @notice An Attested lane disputed `delay` seconds after its attestation (delay < 2^32).
    function disputed(uint256 value, uint256 delay) internal pure returns (uint256) {
        return (value & ~STATE_MASK) | DISPUTED | (delay << DISPUTE_SHIFT);
    }

    /// @notice The lane settled with `cut`, remembering the state it was settled from and its times.
    function settled(uint256 value, uint16 cut) internal pure returns (uint256) {
        uint256 times = value & ~((1 << ATTEST_SHIFT) - 1);
        return times | (SETTLED + state(value)) | (uint256(cut) << CUT_SHIFT);
    }
}
