// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PackedMilestone
/// @notice A milestone's whole state in one storage word, written non-zero at creation so that attesting and
/// settling rewrite a slot (2.9k gas) instead of creating one (20k), and each step reads and writes it once.
/// @dev Layout (bit 0 = least significant):
///      [0..127] amount | [128..167] dueAt | [168..175] state | [176..191] cutBps | [192..223] attestDelay |
///      [224..255] disputeDelay
///      Times are offsets that the lifecycle bounds to 32 bits: attestedAt = dueAt + attestDelay (attestDelay <=
///      attestGrace), disputedAt = attestedAt + disputeDelay (disputeDelay < disputeWindow). dueAt fits 40 bits
///      (TermsValidation rejects later ones). amount > 0, so a zero word means "no such milestone".
///      state is PENDING, ATTESTED, DISPUTED, or SETTLED + the state it was settled from, so a settled milestone
///      still tells whether it was attested and disputed.
library PackedMilestone {
    uint8 internal constant PENDING = 0;
    uint8 internal constant ATTESTED = 1;
    uint8 internal constant DISPUTED = 2;
    uint8 internal constant SETTLED = 3; // never attested (silent, refunded, cancelled); 4, 5: after ATTESTED, DISPUTED

    uint256 private constant DUE_SHIFT = 128;
    uint256 private constant STATE_SHIFT = 168;
    uint256 private constant CUT_SHIFT = 176;
    uint256 private constant ATTEST_SHIFT = 192;
    uint256 private constant DISPUTE_SHIFT = 224;

    /// @notice A new Pending milestone.
    function pack(uint256 amount_, uint256 dueAt_) internal pure returns (uint256) {
        return amount_ | (dueAt_ << DUE_SHIFT);
    }

    function amount(uint256 word) internal pure returns (uint256) {
        return uint128(word);
    }

    function dueAt(uint256 word) internal pure returns (uint256) {
        return uint40(word >> DUE_SHIFT);
    }

    function state(uint256 word) internal pure returns (uint8) {
        return uint8(word >> STATE_SHIFT);
    }

    function cutBps(uint256 word) internal pure returns (uint16) {
        return uint16(word >> CUT_SHIFT);
    }

    function attestedAt(uint256 word) internal pure returns (uint256) {
        return dueAt(word) + uint32(word >> ATTEST_SHIFT);
    }

    function disputedAt(uint256 word) internal pure returns (uint256) {
        return attestedAt(word) + uint32(word >> DISPUTE_SHIFT);
    }

    /// @notice Whether the milestone is settled (whatever came before).
    function isSettled(uint256 word) internal pure returns (bool) {
        return state(word) >= SETTLED;
    }

    /// @notice Pending -> Attested with `cut`, attested at `timestamp` (dueAt <= timestamp <= dueAt + 2^32 - 1).
    function attest(uint256 word, uint16 cut, uint256 timestamp) internal pure returns (uint256) {
        uint256 delay = timestamp - dueAt(word);
        return
            uint168(word) | (uint256(ATTESTED) << STATE_SHIFT) | (uint256(cut) << CUT_SHIFT) | (delay << ATTEST_SHIFT);
    }

    /// @notice Attested -> Disputed at `timestamp` (attestedAt <= timestamp < attestedAt + 2^32).
    function dispute(uint256 word, uint256 timestamp) internal pure returns (uint256) {
        uint256 delay = timestamp - attestedAt(word);
        return
            (uint224(word) & ~(uint256(0xff) << STATE_SHIFT)) |
            (uint256(DISPUTED) << STATE_SHIFT) |
            (delay << DISPUTE_SHIFT);
    }

    /// @notice -> Settled with `cut`, remembering the state it was settled from.
    function settle(uint256 word, uint16 cut) internal pure returns (uint256) {
        uint256 settled = SETTLED + state(word);
        uint256 cleared = word & ~((uint256(0xff) << STATE_SHIFT) | (uint256(0xffff) << CUT_SHIFT));
        return cleared | (settled << STATE_SHIFT) | (uint256(cut) << CUT_SHIFT);
    }
}
