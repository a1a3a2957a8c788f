// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISLAEscrow
/// @notice SLA-triggered milestone escrow. A client locks a vendor's fees; after each milestone a quorum of
/// oracles signs the measured service levels (EIP-712) and anyone relays them; the escrow pays the vendor in
/// full or cuts the fee by the agreed penalty tiers and credits the cut back to the client. Money leaves only
/// through {withdraw} (pull payments).
/// @dev The struct shapes, function names and argument orders are fixed by `DESIGN.md`: tools outside this
/// repository are written against them.
interface ISLAEscrow {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice A penalty tier: breached when the value is on the wrong side of `threshold`.
    struct Tier {
        uint32 threshold;
        uint16 cutBps;
    }

    /// @notice A measured service level and its tiers (1..8, any order).
    struct Metric {
        bool higherIsBetter;
        Tier[] tiers;
    }

    /// @notice A payment: `amount` is released (less any cut) for the period that ends at `dueAt`.
    struct Milestone {
        uint128 amount;
        uint64 dueAt;
    }

    /// @notice Everything both parties agree to; stored as given and returned by {getTerms}.
    struct Terms {
        address client;
        address vendor;
        address token;
        address arbitrator;
        uint32 disputeWindow;
        uint32 attestGrace;
        uint32 arbitrationTimeout;
        uint16 silentCutBps;
        uint8 threshold;
        uint64 startAt;
        address[] oracles;
        Metric[] metrics;
        Milestone[] milestones;
    }

    /// @notice Agreement status as returned by {agreementStatus}.
    enum AgreementStatus {
        None,
        Proposed,
        Active,
        Closed
    }

    /// @notice Milestone status as returned by {milestoneInfo}.
    enum MilestoneStatus {
        Pending,
        Attested,
        Disputed,
        Settled
    }

    /// @notice How a milestone's final cut was decided.
    enum Settlement {
        Attested, // the oracles' cut, after the dispute window (or at once without an arbitrator)
        Arbitrated, // the arbitrator's cut
        ArbitrationTimedOut, // the oracles' cut, because the arbitrator stayed silent
        Silent // no attestation in time: `silentCutBps`, or 10000 while the vendor had not accepted
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A client proposed and funded an agreement. `terms` is exactly what {getTerms} returns.
    event AgreementCreated(uint256 indexed id, address indexed client, address indexed vendor, Terms terms);

    /// @notice The vendor accepted the terms; attestations are accepted from now on.
    event AgreementAccepted(uint256 indexed id);

    /// @notice The client withdrew an unaccepted proposal; `refund` was credited to the client.
    event AgreementCancelled(uint256 indexed id, uint256 refund);

    /// @notice One party asked to terminate; it takes effect when the other party asks too.
    event TerminationRequested(uint256 indexed id, address indexed party);

    /// @notice Both parties asked to terminate: the milestones in `refundedMilestones` (bit i = milestone i),
    /// pending and not yet due, were settled with a cut of 10000 and `refund` was credited to the client.
    event AgreementTerminated(uint256 indexed id, uint256 refund, uint256 refundedMilestones);

    /// @notice A quorum of oracles attested a milestone. `evidence` is the keccak256 of the oracle's report.
    event AttestationPosted(
        uint256 indexed id,
        uint256 indexed milestone,
        uint16 cutBps,
        uint32[] values,
        bytes32 evidence,
        uint256 signerMask
    );

    /// @notice The client or the vendor disputed an attested milestone.
    event MilestoneDisputed(uint256 indexed id, uint256 indexed milestone, address indexed party);

    /// @notice A milestone was settled: `toVendor` and `toClient` were credited to their balances.
    event MilestoneSettled(
        uint256 indexed id,
        uint256 indexed milestone,
        Settlement kind,
        uint16 cutBps,
        uint256 toVendor,
        uint256 toClient
    );

    /// @notice `account` withdrew its whole balance of `token` (address(0) = ETH) to `to`.
    event Withdrawn(address indexed account, address indexed token, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    // ---- creation: terms ----
    error ClientNotSender(address client, address sender);
    error InvalidVendor(address vendor);
    error InvalidArbitrator(address arbitrator);
    error OracleCountOutOfRange(uint256 count);
    /// @dev Oracles must be non-zero and strictly ascending; `index` is the first one that is not.
    error InvalidOracle(uint256 index, address oracle);
    error InvalidThreshold(uint8 threshold, uint256 oracleCount);
    error MetricCountOutOfRange(uint256 count);
    error TierCountOutOfRange(uint256 metric, uint256 count);
    error TierCutTooHigh(uint256 metric, uint256 tier, uint16 cutBps);
    error SilentCutTooHigh(uint16 cutBps);
    error MilestoneCountOutOfRange(uint256 count);
    error ZeroMilestoneAmount(uint256 milestone);
    error MilestoneDueNotAscending(uint256 milestone, uint64 dueAt, uint64 previousDueAt);
    error MilestoneDueInPast(uint64 dueAt, uint64 blockTimestamp);
    /// @dev Due times are stored in 40 bits (year 36812): a later one is rejected rather than truncated.
    error MilestoneDueTooLate(uint64 dueAt, uint64 maxDueAt);
    error StartNotBeforeFirstDue(uint64 startAt, uint64 firstDueAt);

    // ---- creation: the terms' data contract ----
    /// @dev CREATE of the data contract that holds the terms failed (out of gas, or code over EIP-170's limit).
    error DataContractNotCreated();
    /// @dev The chain created the terms' data contract at `created`, not at `expected`, the address that the
    /// escrow's CREATE nonce derives (and from which every step reads the terms). Chains that derive CREATE
    /// addresses otherwise (zkSync Era, for one) cannot run this escrow: docs/deploy.md.
    error DataContractMismatch(address expected, address created);

    // ---- creation: funding ----
    error DepositMismatch(uint256 expected, uint256 received);
    error EthSentWithToken(uint256 value);
    error TokenNotContract(address token);
    error FeeOnTransferToken(address token, uint256 expected, uint256 received);
    /// @dev The escrow's balance of `token` fell during the `transferFrom` that funds an agreement, from `before` to
    /// `afterBalance` (the token took more than it delivered): such a token is not supported.
    error TokenBalanceDecreased(address token, uint256 before, uint256 afterBalance);
    error PermitWithNativeEth();
    error InsufficientAllowance(address token, uint256 allowance, uint256 needed);

    // ---- roles and agreement state ----
    error AgreementNotFound(uint256 id);
    error AgreementNotProposed(uint256 id, AgreementStatus status);
    error AgreementNotActive(uint256 id, AgreementStatus status);
    error NotClient(address caller);
    error NotVendor(address caller);
    error NotParty(address caller);
    error NotArbitrator(address caller);
    error NoArbitrator(uint256 id);
    /// @dev The vendor may accept only before `deadline`, the first milestone's due time (`dueAt[0]`): attestations
    /// need the agreement Active, so a later acceptance would shorten milestone 0's attestation window.
    error AcceptanceWindowClosed(uint64 deadline);
    error TerminationAlreadyRequested(uint256 id, address party);

    // ---- milestones ----
    error MilestoneOutOfRange(uint256 id, uint256 milestone, uint256 count);
    error MilestoneNotPending(uint256 id, uint256 milestone, MilestoneStatus status);
    error MilestoneNotAttested(uint256 id, uint256 milestone, MilestoneStatus status);
    error MilestoneNotDisputed(uint256 id, uint256 milestone, MilestoneStatus status);
    error MilestoneAlreadySettled(uint256 id, uint256 milestone);
    error AttestationTooEarly(uint64 dueAt);
    error AttestationTooLate(uint64 deadline);
    error DisputeWindowClosed(uint64 deadline);
    /// @dev `settleableAt` is the first timestamp at which {settle} succeeds.
    error SettleTooEarly(uint64 settleableAt);
    error CutTooHigh(uint16 cutBps);

    // ---- attestations ----
    error ValuesLengthMismatch(uint256 length, uint256 expected);
    error SignerMaskOutOfRange(uint256 signerMask, uint256 oracleCount);
    error SignatureCountMismatch(uint256 signatures, uint256 signersInMask);
    error ThresholdNotMet(uint256 signers, uint8 threshold);
    error InvalidSignature(uint256 oracleIndex, address oracle);

    // ---- withdrawals ----
    error NothingToWithdraw(address account, address token);
    error ZeroRecipient();
    error EthTransferFailed(address to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                            STATE-CHANGING
    //////////////////////////////////////////////////////////////*/

    /// @notice Proposes `terms` and funds them in the same transaction: `msg.value` must equal the sum of the
    /// milestone amounts for native ETH (`terms.token == address(0)`); for an ERC-20 that sum is pulled from the
    /// client with `transferFrom` (approve first) and `msg.value` must be 0.
    /// @dev Emits {AgreementCreated}. Reverts with a terms error for any field out of bounds, with
    /// {FeeOnTransferToken} when the escrow receives less (or more) than it pulled, and with
    /// {TokenBalanceDecreased} when its balance of the token falls during the pull.
    /// @param terms The terms; `terms.client` must be `msg.sender`.
    /// @return id The new agreement's id (ids count up from 1).
    function createAgreement(Terms calldata terms) external payable returns (uint256 id);

    /// @notice Like {createAgreement} for an ERC-2612 token, with the allowance given by a permit signed by
    /// the client for `spender = this escrow` and `value = sum of the amounts`.
    /// @dev A failing permit (e.g. front-run and already used) is ignored when the allowance suffices anyway;
    /// otherwise reverts with {InsufficientAllowance}. Reverts with {PermitWithNativeEth} for native ETH.
    function createAgreementWithPermit(
        Terms calldata terms,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 id);

    /// @notice The vendor accepts the terms: the agreement becomes Active.
    /// @dev Only while Proposed and `block.timestamp < dueAt[0]` (the first milestone's due time), so that every
    /// milestone has its whole attestation window while Active; otherwise reverts with
    /// {AcceptanceWindowClosed}(dueAt[0]). A proposal not accepted by then can still be cancelled, and each
    /// milestone refunds itself in full after its grace. Emits {AgreementAccepted}.
    function accept(uint256 id) external;

    /// @notice The client withdraws a proposal the vendor has not accepted: every unsettled milestone is
    /// settled with a cut of 10000, its amount credited to the client, and the agreement is Closed.
    /// @dev Emits {AgreementCancelled}.
    function cancel(uint256 id) external;

    /// @notice Posts a milestone's attestation signed by at least `threshold` of the agreement's oracles.
    /// Anyone may relay it.
    /// @dev Accepted while the agreement is Active, the milestone Pending and `dueAt <= now <= dueAt +
    /// attestGrace`. Bit i of `signerMask` means `oracles[i]` signed; `signatures` are in ascending i. Each
    /// signature is checked by ECDSA recovery (low-s) and, failing that, by ERC-1271. Emits {AttestationPosted}.
    /// @param values One value per metric, in the agreement's metric order.
    /// @param evidence keccak256 of the oracle's report file.
    function postAttestation(
        uint256 id,
        uint256 milestone,
        uint32[] calldata values,
        bytes32 evidence,
        uint256 signerMask,
        bytes[] calldata signatures
    ) external;

    /// @notice The client or the vendor disputes an attested milestone, before `attestedAt + disputeWindow`.
    /// @dev Requires an arbitrator. Emits {MilestoneDisputed}.
    function dispute(uint256 id, uint256 milestone) external;

    /// @notice The arbitrator settles a disputed milestone with `cutBps` (0..10000). Allowed until someone
    /// settles it, even after the arbitration timeout.
    /// @dev Emits {MilestoneSettled} with kind Arbitrated.
    function resolveDispute(uint256 id, uint256 milestone, uint16 cutBps) external;

    /// @notice Settles a milestone once its time has come; anyone may call. Attested: after the dispute window
    /// (at once without an arbitrator). Disputed: after `disputedAt + arbitrationTimeout`, with the attested
    /// cut. Pending: after `dueAt + attestGrace`, with `silentCutBps` (10000 while still Proposed).
    /// @dev Credits both parties' balances; emits {MilestoneSettled}.
    function settle(uint256 id, uint256 milestone) external;

    /// @notice Asks to end an Active agreement early; takes effect when both the client and the vendor have
    /// asked. Then every Pending milestone not yet due is settled with a cut of 10000 (refunded); the others
    /// run their course. A request never expires and cannot be withdrawn: the other party may complete it at any
    /// later time while the agreement is Active, and "not yet due" is judged at that second call.
    /// @dev Emits {TerminationRequested}, and {AgreementTerminated} on the second call.
    function terminate(uint256 id) external;

    /// @notice Sends the caller's whole balance of `token` (address(0) = ETH) to `to`.
    /// @dev ETH is sent with all gas forwarded (contract wallets can receive); reentrancy-guarded.
    /// Emits {Withdrawn}.
    /// @return amount The amount sent.
    function withdraw(address token, address to) external returns (uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The terms of agreement `id`, exactly as created. Reverts with {AgreementNotFound}.
    function getTerms(uint256 id) external view returns (Terms memory);

    /// @notice 0 None, 1 Proposed, 2 Active, 3 Closed (cancelled, or every milestone settled).
    function agreementStatus(uint256 id) external view returns (uint8 status);

    /// @notice A milestone's state. `cutBps` is the attested cut while Attested or Disputed and the final cut
    /// once Settled; `attestedAt` and `disputedAt` are 0 until those events happen.
    /// @return status 0 Pending, 1 Attested, 2 Disputed, 3 Settled.
    function milestoneInfo(
        uint256 id,
        uint256 milestone
    ) external view returns (uint8 status, uint16 cutBps, uint64 attestedAt, uint64 disputedAt);

    /// @notice The cut, in basis points, that the agreement's penalty tiers give for `values`.
    function cutFor(uint256 id, uint32[] calldata values) external view returns (uint16 cutBps);

    /// @notice The withdrawable balance of `account` in `token` (address(0) = ETH).
    function balanceOf(address account, address token) external view returns (uint256);

    /// @notice The EIP-712 digest the oracles sign for this attestation.
    function attestationDigest(
        uint256 id,
        uint256 milestone,
        uint32[] calldata values,
        bytes32 evidence
    ) external view returns (bytes32);
}
