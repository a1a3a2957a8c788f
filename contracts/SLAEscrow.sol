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
import {PackedMilestone} from "./libraries/PackedMilestone.sol";
import {PenaltyMath} from "./libraries/PenaltyMath.sol";
import {SignerMask} from "./libraries/SignerMask.sol";
import {TermsValidation} from "./libraries/TermsValidation.sol";

/// @title SLAEscrow
/// @notice One ownerless, non-upgradeable singleton holding every SLA agreement. Nobody but an agreement's
/// parties, its oracles and its arbitrator can move its funds, and every state has a timed way out.
/// @dev Order in every state-changing function: checks, effects (storage, then the event), interactions.
/// Accounting invariant, per token: balance >= sum of unsettled milestone amounts of open agreements + sum of
/// credited balances (equality unless someone force-sent funds).
contract SLAEscrow is ISLAEscrow, EIP712, Multicall, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using PackedMilestone for uint256;

    /// @notice EIP-712 type of an attestation.
    /// @dev keccak256("Attestation(uint256 agreementId,uint256 milestone,uint32[] values,bytes32 evidence)")
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint256 agreementId,uint256 milestone,uint32[] values,bytes32 evidence)"
    );

    uint16 private constant MAX_BPS = 10_000;

    // Agreement.flags bits.
    uint8 private constant HAS_ARBITRATOR = 1; // cached `arbitrator != 0`, so settling need not read slot 3
    uint8 private constant CLIENT_TERMINATES = 2;
    uint8 private constant VENDOR_TERMINATES = 4;
    uint8 private constant BOTH_TERMINATE = CLIENT_TERMINATES | VENDOR_TERMINATES;

    /// @dev An agreement's header: four slots grouped by who reads them, so that each step reads few cold slots.
    /// postAttestation reads slot 1 (and the packed config); settling reads slots 0 and 1, and slot 2 only when
    /// the client gets a cut; slot 3 only resolveDispute and getTerms read.
    struct Agreement {
        // slot 0 (248 bits): the vendor and the clocks of disputing and settling
        address vendor;
        uint8 flags;
        uint32 disputeWindow;
        uint32 arbitrationTimeout;
        uint16 silentCutBps;
        // slot 1 (256 bits): the balance key and everything an attestation needs
        address token;
        AgreementStatus status; // None, Proposed, Active; Closed only when cancelled (see _agreementStatus)
        uint8 threshold;
        uint8 oracleCount;
        uint8 metricCount;
        uint32 attestGrace;
        uint32 metricShape; // PackedConfig: 4 bits per metric
        // slot 2 (232 bits): the client, the period start and the milestone count
        address client;
        uint64 startAt;
        uint8 milestoneCount;
        // slot 3 (160 bits)
        address arbitrator;
    }

    uint256 private _agreementCount;
    mapping(uint256 id => Agreement) private _agreements;
    /// @dev One PackedMilestone word per milestone (at most 128).
    mapping(uint256 id => uint256[128]) private _milestones;
    /// @dev PackedConfig bytes (oracles, then tiers): at most 16 * 20 + 64 * 6 = 704 bytes = 22 words.
    mapping(uint256 id => bytes32[22]) private _config;
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

    /// @dev Checks the terms, stores them and emits AgreementCreated. Funding is the caller's job.
    function _create(Terms calldata terms) private returns (uint256 id, uint256 total) {
        // Check
        uint256 tierCount;
        (total, tierCount) = TermsValidation.check(terms, msg.sender);
        address token = terms.token;
        if (token != address(0) && token.code.length == 0) revert TokenNotContract(token);

        // Effect
        id = ++_agreementCount;
        Milestone[] calldata milestones = terms.milestones;
        uint256 milestoneCount = milestones.length;
        address arbitrator = terms.arbitrator;
        _agreements[id] = Agreement({
            vendor: terms.vendor,
            flags: arbitrator == address(0) ? 0 : HAS_ARBITRATOR,
            disputeWindow: terms.disputeWindow,
            arbitrationTimeout: terms.arbitrationTimeout,
            silentCutBps: terms.silentCutBps,
            token: token,
            status: AgreementStatus.Proposed,
            threshold: terms.threshold,
            oracleCount: uint8(terms.oracles.length),
            metricCount: uint8(terms.metrics.length),
            attestGrace: terms.attestGrace,
            metricShape: PackedConfig.encodeShape(terms.metrics),
            client: terms.client,
            startAt: terms.startAt,
            milestoneCount: uint8(milestoneCount),
            arbitrator: arbitrator
        });
        _storeConfig(id, PackedConfig.encode(terms.oracles, terms.metrics, tierCount));
        uint256[128] storage words = _milestones[id];
        for (uint256 i; i < milestoneCount; ++i) {
            words[i] = PackedMilestone.pack(milestones[i].amount, milestones[i].dueAt);
        }
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
        Agreement storage a = _agreements[id];
        // Check
        AgreementStatus status = a.status;
        if (status != AgreementStatus.Proposed) _revertNotProposed(id, status);
        if (msg.sender != a.vendor) revert NotVendor(msg.sender);
        // Attestations need the agreement Active: accepting at or after the first due time would cut milestone 0's
        // attestation window short (in its last second, to nothing, so that it settles with silentCutBps instead
        // of its measured cut). The vendor must accept before dueAt[0]: every window is then whole.
        uint256 deadline = _milestones[id][0].dueAt();
        if (block.timestamp >= deadline) revert AcceptanceWindowClosed(uint64(deadline));
        // Effect
        a.status = AgreementStatus.Active;
        emit AgreementAccepted(id);
    }

    /// @inheritdoc ISLAEscrow
    function cancel(uint256 id) external {
        Agreement storage a = _agreements[id];
        // Check: a proposal whose milestones were all refunded by settle is already Closed.
        AgreementStatus status = _agreementStatus(id, a);
        if (status != AgreementStatus.Proposed) _revertNotProposed(id, status);
        address client = a.client;
        if (msg.sender != client) revert NotClient(msg.sender);
        // Effect: while Proposed every unsettled milestone is Pending; all of them are refunded.
        (uint256 refund, ) = _refundPending(id, a.milestoneCount, 0);
        a.status = AgreementStatus.Closed;
        _credit(client, a.token, refund);
        emit AgreementCancelled(id, refund);
    }

    /// @inheritdoc ISLAEscrow
    function terminate(uint256 id) external {
        Agreement storage a = _agreements[id];
        // Check
        AgreementStatus status = _agreementStatus(id, a);
        if (status != AgreementStatus.Active) {
            if (status == AgreementStatus.None) revert AgreementNotFound(id);
            revert AgreementNotActive(id, status);
        }
        address client = a.client;
        uint8 flags = a.flags;
        uint8 vote;
        if (msg.sender == client) vote = CLIENT_TERMINATES;
        else if (msg.sender == a.vendor) vote = VENDOR_TERMINATES;
        else revert NotParty(msg.sender);
        if (flags & vote != 0) revert TerminationAlreadyRequested(id, msg.sender);

        // Effect
        flags |= vote;
        a.flags = flags;
        emit TerminationRequested(id, msg.sender);
        if (flags & BOTH_TERMINATE == BOTH_TERMINATE) {
            // Only milestones not yet due are refunded; the others run their course.
            (uint256 refund, uint256 refunded) = _refundPending(id, a.milestoneCount, block.timestamp);
            _credit(client, a.token, refund);
            emit AgreementTerminated(id, refund, refunded);
        }
    }

    /// @dev Settles with a cut of 10000 every Pending milestone due after `dueAfter` and returns the sum of their
    /// amounts and the bitmask of their indexes.
    function _refundPending(
        uint256 id,
        uint256 count,
        uint256 dueAfter
    ) private returns (uint256 refund, uint256 refunded) {
        uint256[128] storage words = _milestones[id];
        for (uint256 i; i < count; ++i) {
            uint256 word = words[i];
            if (word.state() == PackedMilestone.PENDING && word.dueAt() > dueAfter) {
                words[i] = word.settle(MAX_BPS);
                refund += word.amount();
                refunded |= 1 << i;
            }
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
        Agreement storage a = _agreements[id];
        // Check: slot 1 holds everything but the packed oracles and tiers.
        AgreementStatus status = a.status;
        if (status != AgreementStatus.Active) {
            if (status == AgreementStatus.None) revert AgreementNotFound(id);
            revert AgreementNotActive(id, status);
        }
        uint256 word = _milestoneWord(id, milestone);
        if (word.state() != PackedMilestone.PENDING) {
            revert MilestoneNotPending(id, milestone, _milestoneStatus(word));
        }
        // A scope of its own: fewer live stack slots, so the unoptimized legacy build of the mutation tests compiles
        // (the IR build's bytecode is the same with or without it).
        {
            uint256 dueAt = word.dueAt();
            if (block.timestamp < dueAt) revert AttestationTooEarly(uint64(dueAt));
            uint256 deadline = dueAt + a.attestGrace;
            if (block.timestamp > deadline) revert AttestationTooLate(uint64(deadline));
        }
        uint16 cut = _attestedCut(
            a,
            id,
            _attestationDigest(id, milestone, values, evidence),
            values,
            signerMask,
            signatures
        );
        // Effect
        _milestones[id][milestone] = word.attest(cut, block.timestamp);
        emit AttestationPosted(id, milestone, cut, values, evidence, signerMask);
    }

    /// @dev Verifies the quorum's signatures of `digest` and returns the cut that `values` give.
    function _attestedCut(
        Agreement storage a,
        uint256 id,
        bytes32 digest,
        uint32[] calldata values,
        uint256 signerMask,
        bytes[] calldata signatures
    ) private view returns (uint16) {
        uint256 oracleCount = a.oracleCount;
        uint32 shape = a.metricShape;
        bytes memory config = _loadConfig(id, oracleCount, _checkedTierCount(a, shape, values.length));
        SignerMask.verify(digest, config, oracleCount, a.threshold, signerMask, signatures);
        return PenaltyMath.cutBps(config, oracleCount * PackedConfig.ORACLE_BYTES, shape, values);
    }

    /// @inheritdoc ISLAEscrow
    function dispute(uint256 id, uint256 milestone) external {
        Agreement storage a = _agreements[id];
        // Check
        if (msg.sender != a.vendor && msg.sender != a.client) {
            if (a.status == AgreementStatus.None) revert AgreementNotFound(id);
            revert NotParty(msg.sender);
        }
        if (a.flags & HAS_ARBITRATOR == 0) revert NoArbitrator(id);
        uint256 word = _milestoneWord(id, milestone);
        if (word.state() != PackedMilestone.ATTESTED) {
            revert MilestoneNotAttested(id, milestone, _milestoneStatus(word));
        }
        uint256 deadline = word.attestedAt() + a.disputeWindow;
        if (block.timestamp >= deadline) revert DisputeWindowClosed(uint64(deadline));
        // Effect
        _milestones[id][milestone] = word.dispute(block.timestamp);
        emit MilestoneDisputed(id, milestone, msg.sender);
    }

    /// @inheritdoc ISLAEscrow
    function resolveDispute(uint256 id, uint256 milestone, uint16 cutBps) external {
        Agreement storage a = _agreements[id];
        // Check
        if (msg.sender != a.arbitrator) {
            if (a.status == AgreementStatus.None) revert AgreementNotFound(id);
            revert NotArbitrator(msg.sender);
        }
        if (cutBps > MAX_BPS) revert CutTooHigh(cutBps);
        uint256 word = _milestoneWord(id, milestone);
        if (word.state() != PackedMilestone.DISPUTED) {
            revert MilestoneNotDisputed(id, milestone, _milestoneStatus(word));
        }
        // Effect
        _settle(a, id, milestone, word, cutBps, Settlement.Arbitrated);
    }

    /// @inheritdoc ISLAEscrow
    function settle(uint256 id, uint256 milestone) external {
        Agreement storage a = _agreements[id];
        // Check
        uint256 word = _milestoneWord(id, milestone);
        uint8 state = word.state();
        uint16 cut = word.cutBps();
        Settlement kind = Settlement.Attested;
        if (state == PackedMilestone.ATTESTED) {
            if (a.flags & HAS_ARBITRATOR != 0) {
                uint256 windowEnd = word.attestedAt() + a.disputeWindow;
                if (block.timestamp < windowEnd) revert SettleTooEarly(uint64(windowEnd));
            }
        } else if (state == PackedMilestone.DISPUTED) {
            uint256 timeout = word.disputedAt() + a.arbitrationTimeout;
            if (block.timestamp < timeout) revert SettleTooEarly(uint64(timeout));
            kind = Settlement.ArbitrationTimedOut;
        } else if (state == PackedMilestone.PENDING) {
            uint256 graceEnd = word.dueAt() + a.attestGrace;
            if (block.timestamp <= graceEnd) revert SettleTooEarly(uint64(graceEnd + 1));
            // Nobody could attest while the vendor had not accepted: the client gets everything back.
            cut = a.status == AgreementStatus.Proposed ? MAX_BPS : a.silentCutBps;
            kind = Settlement.Silent;
        } else {
            revert MilestoneAlreadySettled(id, milestone);
        }
        // Effect
        _settle(a, id, milestone, word, cut, kind);
    }

    /// @dev Marks the milestone Settled with `cut`, credits both parties and emits MilestoneSettled.
    function _settle(
        Agreement storage a,
        uint256 id,
        uint256 milestone,
        uint256 word,
        uint16 cut,
        Settlement kind
    ) private {
        _milestones[id][milestone] = word.settle(cut);
        (uint256 toVendor, uint256 toClient) = PenaltyMath.split(word.amount(), cut);
        address token = a.token;
        _credit(a.vendor, token, toVendor);
        if (toClient != 0) _credit(a.client, token, toClient); // the only reader of slot 2 here
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
        Agreement storage a = _agreements[id];
        if (a.status == AgreementStatus.None) revert AgreementNotFound(id);
        uint256 oracleCount = a.oracleCount;
        uint256 metricCount = a.metricCount;
        uint32 shape = a.metricShape;
        bytes memory config = _loadConfig(id, oracleCount, PackedConfig.totalTiers(shape, metricCount));
        uint256 milestoneCount = a.milestoneCount;
        Milestone[] memory milestones = new Milestone[](milestoneCount);
        uint256[128] storage words = _milestones[id];
        for (uint256 i; i < milestoneCount; ++i) {
            uint256 word = words[i];
            milestones[i] = Milestone(uint128(word.amount()), uint64(word.dueAt()));
        }
        terms = Terms({
            client: a.client,
            vendor: a.vendor,
            token: a.token,
            arbitrator: a.arbitrator,
            disputeWindow: a.disputeWindow,
            attestGrace: a.attestGrace,
            arbitrationTimeout: a.arbitrationTimeout,
            silentCutBps: a.silentCutBps,
            threshold: a.threshold,
            startAt: a.startAt,
            oracles: PackedConfig.decodeOracles(config, oracleCount),
            metrics: PackedConfig.decodeMetrics(config, oracleCount, shape, metricCount),
            milestones: milestones
        });
    }

    /// @inheritdoc ISLAEscrow
    function agreementStatus(uint256 id) external view returns (uint8) {
        return uint8(_agreementStatus(id, _agreements[id]));
    }

    /// @inheritdoc ISLAEscrow
    function milestoneInfo(
        uint256 id,
        uint256 milestone
    ) external view returns (uint8 status, uint16 cutBps, uint64 attestedAt, uint64 disputedAt) {
        uint256 word = _milestoneWord(id, milestone);
        status = uint8(_milestoneStatus(word));
        cutBps = word.cutBps();
        // A settled milestone keeps the times of what happened before (a silent or refunded one has none).
        uint8 history = word.isSettled() ? word.state() - PackedMilestone.SETTLED : word.state();
        if (history != PackedMilestone.PENDING) attestedAt = uint64(word.attestedAt());
        if (history == PackedMilestone.DISPUTED) disputedAt = uint64(word.disputedAt());
    }

    /// @inheritdoc ISLAEscrow
    function cutFor(uint256 id, uint32[] calldata values) external view returns (uint16) {
        Agreement storage a = _agreements[id];
        if (a.status == AgreementStatus.None) revert AgreementNotFound(id);
        uint256 oracleCount = a.oracleCount;
        uint32 shape = a.metricShape;
        bytes memory config = _loadConfig(id, oracleCount, _checkedTierCount(a, shape, values.length));
        return PenaltyMath.cutBps(config, oracleCount * PackedConfig.ORACLE_BYTES, shape, values);
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

    /// @dev The milestone's word, or AgreementNotFound / MilestoneOutOfRange. Every amount is non-zero, so a
    /// zero word means that no such milestone exists; the count is read only to report the error.
    function _milestoneWord(uint256 id, uint256 milestone) private view returns (uint256 word) {
        if (milestone < TermsValidation.MAX_MILESTONES) word = _milestones[id][milestone];
        if (word == 0) {
            Agreement storage a = _agreements[id];
            if (a.status == AgreementStatus.None) revert AgreementNotFound(id);
            revert MilestoneOutOfRange(id, milestone, a.milestoneCount);
        }
    }

    /// @dev The public status of a milestone word.
    function _milestoneStatus(uint256 word) private pure returns (MilestoneStatus) {
        return word.isSettled() ? MilestoneStatus.Settled : MilestoneStatus(word.state());
    }

    /// @dev Agreement status with Closed derived: a Proposed or Active agreement whose every milestone is settled
    /// is Closed. (A settled-milestone counter would cost every settle a slot write.)
    function _agreementStatus(uint256 id, Agreement storage a) private view returns (AgreementStatus status) {
        status = a.status;
        if (status == AgreementStatus.Active || status == AgreementStatus.Proposed) {
            uint256[128] storage words = _milestones[id];
            // The last milestone is usually the last to settle: scan backwards and stop at the first open one.
            for (uint256 i = a.milestoneCount; i > 0; --i) {
                if (!words[i - 1].isSettled()) return status;
            }
            return AgreementStatus.Closed;
        }
    }

    function _revertNotProposed(uint256 id, AgreementStatus status) private pure {
        if (status == AgreementStatus.None) revert AgreementNotFound(id);
        revert AgreementNotProposed(id, status);
    }

    /// @dev The agreement's total tier count, after checking that `valueCount` is one value per metric.
    function _checkedTierCount(Agreement storage a, uint32 shape, uint256 valueCount) private view returns (uint256) {
        uint256 metricCount = a.metricCount;
        if (valueCount != metricCount) revert ValuesLengthMismatch(valueCount, metricCount);
        return PackedConfig.totalTiers(shape, metricCount);
    }

    /// @dev Writes the packed config words (see PackedConfig); `blob` is already padded to whole words.
    function _storeConfig(uint256 id, bytes memory blob) private {
        bytes32[22] storage words = _config[id];
        uint256 n = (blob.length >> 5) - 1; // PackedConfig.encode adds one spare word
        for (uint256 k; k < n; ++k) {
            bytes32 word;
            assembly ("memory-safe") {
                word := mload(add(blob, add(0x20, shl(5, k))))
            }
            words[k] = word;
        }
    }

    /// @dev Reads the packed config words into memory, with a spare zero word for PackedConfig's 32-byte reads.
    function _loadConfig(uint256 id, uint256 oracleCount, uint256 tierCount) private view returns (bytes memory blob) {
        bytes32[22] storage words = _config[id];
        uint256 n = PackedConfig.wordCount(oracleCount, tierCount);
        blob = new bytes((n + 1) << 5);
        for (uint256 k; k < n; ++k) {
            bytes32 word = words[k];
            assembly ("memory-safe") {
                mstore(add(blob, add(0x20, shl(5, k))), word)
            }
        }
    }
}
