// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {LowLevelCall} from "@openzeppelin/contracts/utils/LowLevelCall.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ISLAEscrow} from "./interfaces/ISLAEscrow.sol";
import {PackedConfig} from "./libraries/PackedConfig.sol";
import {PenaltyMath} from "./libraries/PenaltyMath.sol";
import {SignerMask} from "./libraries/SignerMask.sol";
import {StateWords} from "./libraries/StateWords.sol";
import {TermsData} from "./libraries/TermsData.sol";
import {TermsValidation} from "./libraries/TermsValidation.sol";

/// @title SLAEscrow
/// @notice One ownerless, non-upgradeable singleton holding every SLA agreement. Nobody but an agreement's
/// parties, its oracles and its arbitrator can move its funds, and every state has a timed way out.
/// @dev Order in every state-changing function: checks, effects (storage, then the event), interactions.
/// Accounting invariant, per token: balance >= sum of unsettled milestone amounts of open agreements + sum of
/// credited balances (equality unless someone force-sent funds).
contract SLAEscrow is ISLAEscrow, EIP712, Multicall, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using StateWords for uint256;
    using TermsData for TermsData.Header;

    /// @notice EIP-712 type of an attestation.
    /// @dev keccak256("Attestation(uint256 agreementId,uint256 milestone,uint32[] values,bytes32 evidence)")
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint256 agreementId,uint256 milestone,uint32[] values,bytes32 evidence)"
    );

    uint16 private constant MAX_BPS = 10_000;

    /// @dev Storage holds only what changes; the terms are the code of each agreement's data contract (TermsData,
    /// at the escrow's CREATE address for nonce `id`), so creating an agreement writes one slot here (the count)
    /// and no milestone word: every state word starts at zero (StateWords: three milestones a word, the flags in
    /// word 0). README.md, section "Storage layout", gives the measurements behind this layout.
    uint256 private _agreementCount;
    /// @dev 43 = ceil(128 / StateWords.LANES) words per agreement (StateWords.WORDS).
    mapping(uint256 id => uint256[43]) private _state;
    mapping(address account => mapping(address token => uint256)) private _balances;

    constructor() EIP712("SLAEscrow", "1") {}

    /*//////////////////////////////////////////////////////////////
                              CREATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISLAEscrow
    function createAgreement(Terms calldata terms) external payable nonReentrant returns (uint256 id) {
        uint256 total;
        (id, total) = _create(terms);
        address token = terms.token;
        if (token == address(0)) {
            if (msg.value != total) revert DepositMismatch(total, msg.value);
        } else {
            if (msg.value != 0) revert EthSentWithToken(msg.value);
            _pull(token, msg.sender, total);
        }
    }

    /// @inheritdoc ISLAEscrow
    function createAgreementWithPermit(
        Terms calldata terms,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 id) {
        address token = terms.token;
        if (token == address(0)) revert PermitWithNativeEth();
        uint256 total;
        (id, total) = _create(terms);
        // Interaction: a permit that fails (say, front-run by someone who submitted it first) is fine as long as
        // the allowance it would have given is there.
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(token).permit(msg.sender, address(this), total, deadline, v, r, s) {} catch {
            uint256 allowance = IERC20(token).allowance(msg.sender, address(this));
            if (allowance < total) revert InsufficientAllowance(token, allowance, total);
        }
        _pull(token, msg.sender, total);
    }

    /// @dev Checks the terms, writes their data contract and emits AgreementCreated. Funding is the caller's job.
    function _create(Terms calldata terms) private returns (uint256 id, uint256 total) {
        // Check
        uint256 tierCount;
        (total, tierCount) = TermsValidation.check(terms, msg.sender);
        address token = terms.token;
        if (token != address(0) && token.code.length == 0) revert TokenNotContract(token);

        // Effect: the data contract is this contract's CREATE number `id` (checked against the derived address).
        id = ++_agreementCount;
        TermsData.write(terms, tierCount, id);
        emit AgreementCreated(id, terms.client, terms.vendor, terms);
    }

    /// @dev Pulls `amount` of `token` from `from` and rejects tokens that deliver another amount, including one
    /// that leaves the escrow's balance lower than before (no underflow panic: {TokenBalanceDecreased}).
    function _pull(address token, address from, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        uint256 afterBalance = IERC20(token).balanceOf(address(this));
        if (afterBalance < before) revert TokenBalanceDecreased(token, before, afterBalance);
        uint256 received;
        unchecked {
            received = afterBalance - before; // afterBalance >= before
        }
        if (received != amount) revert FeeOnTransferToken(token, amount, received);
    }

    /*//////////////////////////////////////////////////////////////
                         AGREEMENT LIFECYCLE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISLAEscrow
    function accept(uint256 id) external {
        (address data, TermsData.Header memory h) = _terms(id);
        uint256[43] storage words = _state[id];
        uint256 flags = words[0];
        // Check
        AgreementStatus status = _storedStatus(flags);
        if (status != AgreementStatus.Proposed) revert AgreementNotProposed(id, status);
        if (msg.sender != h.vendor()) revert NotVendor(msg.sender);
        // Attestations need the agreement Active: accepting at or after the first due time would cut milestone 0's
        // attestation window short (in its last second, to nothing, so that it settles with silentCutBps instead
        // of its measured cut). The vendor must accept before dueAt[0]: every window is then whole.
        (, uint256 deadline) = TermsData.milestone(data, 0);
        if (block.timestamp >= deadline) revert AcceptanceWindowClosed(uint64(deadline));
        // Effect
        words[0] = flags | StateWords.ACCEPTED;
        emit AgreementAccepted(id);
    }

    /// @inheritdoc ISLAEscrow
    function cancel(uint256 id) external {
        (address data, TermsData.Header memory h) = _terms(id);
        uint256[43] storage words = _state[id];
        uint256 flags = words[0];
        uint256 count = h.milestoneCount();
        // Check: a proposal whose milestones were all refunded by settle is already Closed.
        AgreementStatus status = _status(words, flags, count);
        if (status != AgreementStatus.Proposed) revert AgreementNotProposed(id, status);
        address client = h.client();
        if (msg.sender != client) revert NotClient(msg.sender);
        // Effect: while Proposed every unsettled milestone is Pending; all of them are refunded.
        words[0] = flags | StateWords.CANCELLED;
        (uint256 refund, ) = _refundPending(words, data, count, 0);
        _credit(client, h.token(), refund);
        emit AgreementCancelled(id, refund);
    }

    /// @inheritdoc ISLAEscrow
    function terminate(uint256 id) external {
        (address data, TermsData.Header memory h) = _terms(id);
        uint256[43] storage words = _state[id];
        uint256 flags = words[0];
        uint256 count = h.milestoneCount();
        // Check
        AgreementStatus status = _status(words, flags, count);
        if (status != AgreementStatus.Active) revert AgreementNotActive(id, status);
        address client = h.client();
        uint256 vote;
        if (msg.sender == client) vote = StateWords.CLIENT_TERMINATES;
        else if (msg.sender == h.vendor()) vote = StateWords.VENDOR_TERMINATES;
        else revert NotParty(msg.sender);
        if (flags & vote != 0) revert TerminationAlreadyRequested(id, msg.sender);

        // Effect
        flags |= vote;
        words[0] = flags;
        emit TerminationRequested(id, msg.sender);
        if (flags & StateWords.BOTH_TERMINATE == StateWords.BOTH_TERMINATE) {
            // Only milestones not yet due are refunded; the others run their course.
            (uint256 refund, uint256 refunded) = _refundPending(words, data, count, block.timestamp);
            _credit(client, h.token(), refund);
            emit AgreementTerminated(id, refund, refunded);
        }
    }

    /// @dev Settles with a cut of 10000 every Pending milestone due after `dueAfter` and returns the sum of their
    /// amounts and the bitmask of their indexes. Reads word 0 from storage: callers write their flags first.
    function _refundPending(
        uint256[43] storage words,
        address data,
        uint256 count,
        uint256 dueAfter
    ) private returns (uint256 refund, uint256 refunded) {
        bytes memory table = TermsData.milestoneTable(data, count);
        for (uint256 k; k * StateWords.LANES < count; ++k) {
            uint256 word = words[k];
            uint256 updated = word;
            uint256 end = (k + 1) * StateWords.LANES;
            if (end > count) end = count;
            for (uint256 i = k * StateWords.LANES; i < end; ++i) {
                uint256 value = word.lane(i);
                (uint256 amount, uint256 dueAt) = TermsData.entryAt(table, i);
                if (value.state() == StateWords.PENDING && dueAt > dueAfter) {
                    updated = updated.withLane(i, value.settled(MAX_BPS));
                    refund += amount;
                    refunded |= 1 << i;
                }
            }
            if (updated != word) words[k] = updated;
        }
    }

    /*//////////////////////////////////////////////////////////////
                        ATTESTATION AND SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISLAEscrow
    function postAttestation(
        uint256 id,
        uint256 milestone,
        uint32[] calldata values,
        bytes32 evidence,
        uint256 signerMask,
        bytes[] calldata signatures
    ) external {
        (address data, TermsData.Header memory h) = _terms(id);
        // Check: the milestone first (its word comes back as it will be written, but for the cut), then the quorum.
        uint256 attested = _attestable(id, milestone, data, h);
        uint16 cut = _attestedCut(
            h,
            data,
            _attestationDigest(id, milestone, values, evidence),
            values,
            signerMask,
            signatures
        );
        // Effect: the lane with its cut, and the word's copy of ACCEPTED.
        _state[id][milestone / StateWords.LANES] = attested.withCut(milestone, cut);
        emit AttestationPosted(id, milestone, cut, values, evidence, signerMask);
    }

    /// @dev The checks of an attestation before its signatures: the agreement Active first, then the milestone
    /// Pending and inside its window. Returns the milestone's state word as the attestation writes it, with the
    /// lane Attested now and ACCEPTED copied, but a cut of 0 (the signatures decide it). The word answers
    /// "accepted" once an attestation has been written in it (its copy of ACCEPTED); otherwise word 0 does. (A
    /// function of its own: fewer live stack slots, so the unoptimized legacy build of the mutation tests compiles.)
    function _attestable(
        uint256 id,
        uint256 milestone,
        address data,
        TermsData.Header memory h
    ) private view returns (uint256) {
        uint256[43] storage words = _state[id];
        uint256 count = h.milestoneCount();
        uint256 word;
        if (milestone < count) word = words[milestone / StateWords.LANES];
        if (word & StateWords.ACCEPTED == 0) {
            uint256 flags = words[0];
            if (flags & StateWords.ACCEPTED == 0) revert AgreementNotActive(id, _storedStatus(flags));
        }
        if (milestone >= count) revert MilestoneOutOfRange(id, milestone, count);
        uint256 value = word.lane(milestone);
        if (value.state() != StateWords.PENDING) {
            revert MilestoneNotPending(id, milestone, _milestoneStatus(value));
        }
        (, uint256 dueAt) = TermsData.milestone(data, milestone);
        if (block.timestamp < dueAt) revert AttestationTooEarly(uint64(dueAt));
        uint256 deadline = dueAt + h.attestGrace();
        if (block.timestamp > deadline) revert AttestationTooLate(uint64(deadline));
        return word.withLane(milestone, StateWords.attested(0, block.timestamp - dueAt)) | StateWords.ACCEPTED;
    }

    /// @dev Verifies the quorum's signatures of `digest` and returns the cut that `values` give.
    function _attestedCut(
        TermsData.Header memory h,
        address data,
        bytes32 digest,
        uint32[] calldata values,
        uint256 signerMask,
        bytes[] calldata signatures
    ) private view returns (uint16) {
        // The header's fields are read where they are used (memory reads): fewer live stack slots, so the
        // unoptimized legacy build of the mutation tests compiles.
        bytes memory config = _config(h, data, _checkedTierCount(h, h.metricShape(), values.length));
        SignerMask.verify(digest, config, h.oracleCount(), h.threshold(), signerMask, signatures);
        return PenaltyMath.cutBps(config, h.oracleCount() * PackedConfig.ORACLE_BYTES, h.metricShape(), values);
    }

    /// @inheritdoc ISLAEscrow
    function dispute(uint256 id, uint256 milestone) external {
        (address data, TermsData.Header memory h) = _terms(id);
        // Check
        if (msg.sender != h.vendor() && msg.sender != h.client()) revert NotParty(msg.sender);
        if (h.arbitrator() == address(0)) revert NoArbitrator(id);
        (uint256[43] storage words, uint256 word) = _word(id, h, milestone);
        uint256 value = word.lane(milestone);
        if (value.state() != StateWords.ATTESTED) {
            revert MilestoneNotAttested(id, milestone, _milestoneStatus(value));
        }
        (, uint256 dueAt) = TermsData.milestone(data, milestone);
        uint256 attestedAt = dueAt + value.attestDelay();
        uint256 deadline = attestedAt + h.disputeWindow();
        if (block.timestamp >= deadline) revert DisputeWindowClosed(uint64(deadline));
        // Effect
        words[milestone / StateWords.LANES] = word.withLane(milestone, value.disputed(block.timestamp - attestedAt));
        emit MilestoneDisputed(id, milestone, msg.sender);
    }

    /// @inheritdoc ISLAEscrow
    function resolveDispute(uint256 id, uint256 milestone, uint16 cutBps) external {
        (address data, TermsData.Header memory h) = _terms(id);
        // Check
        if (msg.sender != h.arbitrator()) revert NotArbitrator(msg.sender);
        if (cutBps > MAX_BPS) revert CutTooHigh(cutBps);
        (uint256[43] storage words, uint256 word) = _word(id, h, milestone);
        uint256 value = word.lane(milestone);
        if (value.state() != StateWords.DISPUTED) {
            revert MilestoneNotDisputed(id, milestone, _milestoneStatus(value));
        }
        // Effect
        words[milestone / StateWords.LANES] = word.withLane(milestone, value.settled(cutBps));
        (uint256 amount, ) = TermsData.milestone(data, milestone);
        _pay(h, id, milestone, amount, cutBps, Settlement.Arbitrated);
    }

    /// @inheritdoc ISLAEscrow
    function settle(uint256 id, uint256 milestone) external {
        (address data, TermsData.Header memory h) = _terms(id);
        // Check
        (uint256[43] storage words, uint256 word) = _word(id, h, milestone);
        uint256 value = word.lane(milestone);
        (uint256 amount, uint256 dueAt) = TermsData.milestone(data, milestone);
        uint8 state = value.state();
        uint16 cut = value.cutBps();
        Settlement kind = Settlement.Attested;
        if (state == StateWords.ATTESTED) {
            if (h.arbitrator() != address(0)) {
                uint256 windowEnd = dueAt + value.attestDelay() + h.disputeWindow();
                if (block.timestamp < windowEnd) revert SettleTooEarly(uint64(windowEnd));
            }
        } else if (state == StateWords.DISPUTED) {
            uint256 timeout = dueAt + value.attestDelay() + value.disputeDelay() + h.arbitrationTimeout();
            if (block.timestamp < timeout) revert SettleTooEarly(uint64(timeout));
            kind = Settlement.ArbitrationTimedOut;
        } else if (state == StateWords.PENDING) {
            uint256 graceEnd = dueAt + h.attestGrace();
            if (block.timestamp <= graceEnd) revert SettleTooEarly(uint64(graceEnd + 1));
            // Nobody could attest while the vendor had not accepted: the client gets everything back.
            cut = _accepted(words, word) ? h.silentCutBps() : MAX_BPS;
            kind = Settlement.Silent;
        } else {
            revert MilestoneAlreadySettled(id, milestone);
        }
        // Effect
        words[milestone / StateWords.LANES] = word.withLane(milestone, value.settled(cut));
        _pay(h, id, milestone, amount, cut, kind);
    }

    /// @dev Credits both parties their shares of a milestone settled with `cut` and emits MilestoneSettled. The
    /// caller has marked the milestone Settled.
    function _pay(
        TermsData.Header memory h,
        uint256 id,
        uint256 milestone,
        uint256 amount,
        uint16 cut,
        Settlement kind
    ) private {
        (uint256 toVendor, uint256 toClient) = PenaltyMath.split(amount, cut);
        address token = h.token();
        _credit(h.vendor(), token, toVendor);
        if (toClient != 0) _credit(h.client(), token, toClient);
        emit MilestoneSettled(id, milestone, kind, cut, toVendor, toClient);
    }

    /// @dev Adds to a balance, skipping the write when there is nothing to add.
    function _credit(address account, address token, uint256 amount) private {
        if (amount != 0) _balances[account][token] += amount;
    }

    /*//////////////////////////////////////////////////////////////
                               WITHDRAWAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISLAEscrow
    function withdraw(address token, address to) external nonReentrant returns (uint256 amount) {
        // Check
        if (to == address(0)) revert ZeroRecipient();
        amount = _balances[msg.sender][token];
        if (amount == 0) revert NothingToWithdraw(msg.sender, token);
        // Effect
        _balances[msg.sender][token] = 0;
        emit Withdrawn(msg.sender, token, to, amount);
        // Interaction: all gas forwarded (a Safe must be able to receive), return data ignored.
        if (token == address(0)) {
            if (!LowLevelCall.callNoReturn(to, amount, "")) revert EthTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISLAEscrow
    function getTerms(uint256 id) external view returns (Terms memory terms) {
        (address data, TermsData.Header memory h) = _terms(id);
        terms.client = h.client();
        terms.vendor = h.vendor();
        terms.token = h.token();
        terms.arbitrator = h.arbitrator();
        terms.disputeWindow = h.disputeWindow();
        terms.attestGrace = h.attestGrace();
        terms.arbitrationTimeout = h.arbitrationTimeout();
        terms.silentCutBps = h.silentCutBps();
        terms.threshold = h.threshold();
        terms.startAt = h.startAt();
        uint256 oracleCount = h.oracleCount();
        uint256 metricCount = h.metricCount();
        uint32 shape = h.metricShape();
        bytes memory config = _config(h, data, PackedConfig.totalTiers(shape, metricCount));
        terms.oracles = PackedConfig.decodeOracles(config, oracleCount);
        terms.metrics = PackedConfig.decodeMetrics(config, oracleCount, shape, metricCount);
        uint256 count = h.milestoneCount();
        bytes memory table = TermsData.milestoneTable(data, count);
        terms.milestones = new Milestone[](count);
        for (uint256 i; i < count; ++i) {
            (uint256 amount, uint256 dueAt) = TermsData.entryAt(table, i);
            terms.milestones[i] = Milestone(uint128(amount), uint64(dueAt));
        }
    }

    /// @inheritdoc ISLAEscrow
    function agreementStatus(uint256 id) external view returns (uint8) {
        uint256 count = TermsData.header(TermsData.pointer(id)).milestoneCount();
        if (count == 0) return uint8(AgreementStatus.None);
        uint256[43] storage words = _state[id];
        return uint8(_status(words, words[0], count));
    }

    /// @inheritdoc ISLAEscrow
    function milestoneInfo(
        uint256 id,
        uint256 milestone
    ) external view returns (uint8 status, uint16 cutBps, uint64 attestedAt, uint64 disputedAt) {
        (address data, TermsData.Header memory h) = _terms(id);
        (, uint256 word) = _word(id, h, milestone);
        uint256 value = word.lane(milestone);
        status = uint8(_milestoneStatus(value));
        cutBps = value.cutBps();
        // A settled milestone keeps the times of what happened before (a silent or refunded one has none).
        uint8 history = value.isSettled() ? value.state() - StateWords.SETTLED : value.state();
        if (history != StateWords.PENDING) {
            (, uint256 dueAt) = TermsData.milestone(data, milestone);
            attestedAt = uint64(dueAt + value.attestDelay());
            if (history == StateWords.DISPUTED) disputedAt = attestedAt + uint64(value.disputeDelay());
        }
    }

    /// @inheritdoc ISLAEscrow
    function cutFor(uint256 id, uint32[] calldata values) external view returns (uint16) {
        (address data, TermsData.Header memory h) = _terms(id);
        uint32 shape = h.metricShape();
        bytes memory config = _config(h, data, _checkedTierCount(h, shape, values.length));
        return PenaltyMath.cutBps(config, h.oracleCount() * PackedConfig.ORACLE_BYTES, shape, values);
    }

    /// @inheritdoc ISLAEscrow
    function balanceOf(address account, address token) external view returns (uint256) {
        return _balances[account][token];
    }

    /// @inheritdoc ISLAEscrow
    function attestationDigest(
        uint256 id,
        uint256 milestone,
        uint32[] calldata values,
        bytes32 evidence
    ) external view returns (bytes32) {
        return _attestationDigest(id, milestone, values, evidence);
    }

    /*//////////////////////////////////////////////////////////////
                               INTERNALS
    //////////////////////////////////////////////////////////////*/

    function _attestationDigest(
        uint256 id,
        uint256 milestone,
        uint32[] calldata values,
        bytes32 evidence
    ) private view returns (bytes32) {
        // EIP-712 encodes an array as the keccak256 of its elements, each padded to 32 bytes: exactly how
        // abi.encodePacked lays out a uint32[].
        bytes32 valuesHash = keccak256(abi.encodePacked(values));
        return _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_TYPEHASH, id, milestone, valuesHash, evidence)));
    }

    /// @dev Agreement `id`'s data contract and the header of its terms, or AgreementNotFound: an id never created
    /// derives an address without code, whose header reads as zero, and every agreement has a milestone.
    function _terms(uint256 id) private view returns (address data, TermsData.Header memory h) {
        data = TermsData.pointer(id);
        h = TermsData.header(data);
        if (h.milestoneCount() == 0) revert AgreementNotFound(id);
    }

    /// @dev The state words of agreement `id` and the word of `milestone`, or MilestoneOutOfRange.
    function _word(
        uint256 id,
        TermsData.Header memory h,
        uint256 milestone
    ) private view returns (uint256[43] storage words, uint256 word) {
        uint256 count = h.milestoneCount();
        if (milestone >= count) revert MilestoneOutOfRange(id, milestone, count);
        words = _state[id];
        word = words[milestone / StateWords.LANES];
    }

    /// @dev The oracles and tiers of the terms, `tierCount` tiers in all.
    function _config(TermsData.Header memory h, address data, uint256 tierCount) private view returns (bytes memory) {
        return TermsData.config(data, h.milestoneCount(), h.oracleCount(), tierCount);
    }

    /// @dev Whether the vendor accepted: the word's copy of ACCEPTED, else word 0's flag.
    function _accepted(uint256[43] storage words, uint256 word) private view returns (bool) {
        return (word | words[0]) & StateWords.ACCEPTED != 0;
    }

    /// @dev The public status of a milestone lane.
    function _milestoneStatus(uint256 value) private pure returns (MilestoneStatus) {
        return value.isSettled() ? MilestoneStatus.Settled : MilestoneStatus(value.state());
    }

    /// @dev The agreement status that word 0's flags record: Proposed, Active, or Closed once cancelled.
    function _storedStatus(uint256 flags) private pure returns (AgreementStatus) {
        if (flags & StateWords.CANCELLED != 0) return AgreementStatus.Closed;
        return flags & StateWords.ACCEPTED != 0 ? AgreementStatus.Active : AgreementStatus.Proposed;
    }

    /// @dev Agreement status with Closed derived: a Proposed or Active agreement whose every milestone is settled
    /// is Closed. (A settled-milestone counter would cost every settle a slot write.)
    function _status(
        uint256[43] storage words,
        uint256 flags,
        uint256 count
    ) private view returns (AgreementStatus status) {
        status = _storedStatus(flags);
        if (status != AgreementStatus.Closed) {
            // The last milestone is usually the last to settle: scan backwards and stop at the first open one.
            for (uint256 i = count; i > 0; --i) {
                if (!words[(i - 1) / StateWords.LANES].lane(i - 1).isSettled()) return status;
            }
            return AgreementStatus.Closed;
        }
    }

    /// @dev The agreement's total tier count, after checking that `valueCount` is one value per metric.
    function _checkedTierCount(
        TermsData.Header memory h,
        uint32 shape,
        uint256 valueCount
    ) private pure returns (uint256) {
        uint256 metricCount = h.metricCount();
        if (valueCount != metricCount) revert ValuesLengthMismatch(valueCount, metricCount);
        return PackedConfig.totalTiers(shape, metricCount);
    }
}
