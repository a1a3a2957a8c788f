/**
 * Every way the escrow (and the tokens it calls) can reject a call, in plain words: `Name: what happened and
 * what is allowed`. The tasks print these instead of revert data; a test checks that every custom error in the
 * escrow's ABI has an explanation here.
 *
 * Runtime imports only from ethers: the Hardhat config loads this module through the tasks.
 */
import { AbiCoder, type ErrorDescription, Interface, type Result, ZeroAddress } from "ethers";
import { revertData } from "./errors";
import { agreementStatusName, milestoneStatusName } from "./model";
import { formatCut } from "./units";
import { formatTime } from "./time";

/** How to render the values of an error; every part is optional. */
export interface ExplainContext {
  /** An amount of `token` (address(0) = ETH; undefined = the agreement's token). Default: smallest units. */
  amount?: (value: bigint, token?: string) => string;
  /** A token's name for a message, e.g. "TUSD". Default: the address ("ETH" for address(0)). */
  tokenName?: (token: string) => string;
}

const agreementStatus = (s: unknown): string => agreementStatusName(s as bigint);
const milestoneStatus = (s: unknown): string => milestoneStatusName(s as bigint);

type Explainer = (a: Result, c: Required<ExplainContext>) => string;

const when = (t: unknown): string => formatTime(BigInt(t as bigint));
const cut = (bps: unknown): string => formatCut(BigInt(bps as bigint));
const ms = (id: unknown, m: unknown): string => `milestone ${String(m)} of agreement ${String(id)}`;

/** The plain-words explanation of each escrow error, by name (the arguments come in ABI order). */
const ESCROW: Record<string, Explainer> = {
  // ---- creation: terms ----
  ClientNotSender: (a) =>
    `the terms name ${a[0]} as the client but the transaction comes from ${a[1]}; the client must send the proposal itself`,
  InvalidVendor: (a) =>
    a[0] === ZeroAddress
      ? "the vendor is the zero address; name the vendor's address"
      : `the vendor ${a[0]} is the client itself; the vendor must be another address`,
  InvalidArbitrator: (a) =>
    `the arbitrator ${a[0]} is the client or the vendor; an arbitrator must be a third party (or none)`,
  OracleCountOutOfRange: (a) => `the terms list ${a[0]} oracles; 1 to 16 are allowed`,
  InvalidOracle: (a) =>
    `oracle ${a[0]} (${a[1]}) is the zero address or not above the one before it; oracles must be non-zero and ` +
    `sorted ascending, without duplicates`,
  InvalidThreshold: (a) =>
    `a threshold of ${a[0]} signatures is impossible with ${a[1]} oracles; it must be from 1 to ${a[1]}`,
  MetricCountOutOfRange: (a) => `the terms list ${a[0]} metrics; 1 to 8 are allowed`,
  TierCountOutOfRange: (a) => `metric ${a[0]} has ${a[1]} tiers; 1 to 8 are allowed`,
  TierCutTooHigh: (a) => `tier ${a[1]} of metric ${a[0]} cuts ${cut(a[2])}; a cut cannot exceed 100%`,
  SilentCutTooHigh: (a) => `the silent cut is ${cut(a[0])}; a cut cannot exceed 100%`,
  MilestoneCountOutOfRange: (a) => `the terms list ${a[0]} milestones; 1 to 128 are allowed`,
  ZeroMilestoneAmount: (a) => `milestone ${a[0]} has an amount of 0; every milestone must pay something`,
  MilestoneDueNotAscending: (a) =>
    `milestone ${a[0]} is due at ${when(a[1])}, not after the one before it (${when(a[2])}); due times must ` +
    `be strictly ascending`,
  MilestoneDueInPast: (a) =>
    `the first milestone is due at ${when(a[0])}, which is not after the block time ${when(a[1])}; due times ` +
    `must be in the future`,
  MilestoneDueTooLate: (a) => `a milestone is due at ${when(a[0])}, after ${when(a[1])}, the latest the escrow stores`,
  StartNotBeforeFirstDue: (a) =>
    `the terms start at ${when(a[0])}, not before the first milestone's due time ${when(a[1])}`,

  // ---- creation: the terms' data contract ----
  DataContractNotCreated: () =>
    `the escrow could not create the contract that holds the terms (the transaction ran out of gas?); send it ` +
    `again with a higher gas limit`,
  DataContractMismatch: (a) =>
    `this chain created the terms' data contract at ${a[1]}, not at ${a[0]} where the escrow reads it: it derives ` +
    `contract addresses in a way the escrow does not support (see docs/deploy.md, "Chains")`,

  // ---- creation: funding ----
  DepositMismatch: (a, c) =>
    `the agreement must be funded with exactly ${c.amount(a[0], ZeroAddress)} sent with the transaction, ` +
    `but ${c.amount(a[1], ZeroAddress)} was sent`,
  EthSentWithToken: (a, c) =>
    `${c.amount(a[0], ZeroAddress)} was sent with a proposal funded in a token; send no ETH (the token is pulled ` +
    `with transferFrom)`,
  TokenNotContract: (a) => `the token ${a[0]} has no code on this network (wrong network or address?)`,
  FeeOnTransferToken: (a, c) =>
    `the escrow pulled ${c.amount(a[1], a[0])} of ${c.tokenName(a[0])} but received ` +
    `${c.amount(a[2], a[0])}; tokens that take a fee on transfer are not supported`,
  TokenBalanceDecreased: (a, c) =>
    `the escrow's balance of ${c.tokenName(a[0])} fell from ${c.amount(a[1], a[0])} to ${c.amount(a[2], a[0])} ` +
    `while it pulled the deposit: the token took more than it delivered, and such tokens are not supported`,
  PermitWithNativeEth: () => "a permit was given for native ETH; permits are for ERC-20 tokens only (send ETH instead)",
  InsufficientAllowance: (a, c) =>
    `the permit failed and the escrow may spend only ${c.amount(a[1], a[0])} of the client's ` +
    `${c.tokenName(a[0])}, but needs ${c.amount(a[2], a[0])}; sign a fresh permit or approve first`,

  // ---- roles and agreement state ----
  AgreementNotFound: (a) => `there is no agreement ${a[0]} on this escrow (wrong id, escrow or network?)`,
  AgreementNotProposed: (a) =>
    `agreement ${a[0]} is ${agreementStatus(a[1])}; this is possible only while it is Proposed (funded, not yet ` +
    `accepted by the vendor)`,
  AgreementNotActive: (a) =>
    `agreement ${a[0]} is ${agreementStatus(a[1])}; this is possible only while it is Active (accepted by the ` +
    `vendor, not yet closed)`,
  NotClient: (a) => `${a[0]} is not the agreement's client; only the client may do this`,
  NotVendor: (a) => `${a[0]} is not the agreement's vendor; only the vendor may do this`,
  NotParty: (a) => `${a[0]} is neither the agreement's client nor its vendor; only they may do this`,
  NotArbitrator: (a) => `${a[0]} is not the agreement's arbitrator; only the arbitrator may resolve disputes`,
  NoArbitrator: (a) => `agreement ${a[0]} has no arbitrator, so its milestones cannot be disputed`,
  AcceptanceWindowClosed: (a) =>
    `the vendor could accept only before ${when(a[0])}, the first milestone's due time (from then on its ` +
    `attestation window is open); that time has come, so the proposal can no longer be accepted: the client can ` +
    `cancel it for a full refund, and each milestone refunds itself after its grace`,
  TerminationAlreadyRequested: (a) =>
    `${a[1]} already asked to terminate agreement ${a[0]}; it takes effect when the other party asks too`,

  // ---- milestones ----
  MilestoneOutOfRange: (a) =>
    `agreement ${a[0]} has ${a[2]} milestones (0 to ${BigInt(a[2] as bigint) - 1n}); there is no milestone ${a[1]}`,
  MilestoneNotPending: (a) =>
    `${ms(a[0], a[1])} is ${milestoneStatus(a[2])}; an attestation is accepted only while it is Pending`,
  MilestoneNotAttested: (a) =>
    `${ms(a[0], a[1])} is ${milestoneStatus(a[2])}; only an Attested milestone can be disputed`,
  MilestoneNotDisputed: (a) =>
    `${ms(a[0], a[1])} is ${milestoneStatus(a[2])}; only a Disputed milestone can be resolved`,
  MilestoneAlreadySettled: (a) => `${ms(a[0], a[1])} is already settled`,
  AttestationTooEarly: (a) => `the milestone is due at ${when(a[0])}; attestations are accepted from then on`,
  AttestationTooLate: (a) =>
    `attestations were accepted until ${when(a[0])}; now the milestone can only be settled with the silent cut`,
  DisputeWindowClosed: (a) => `the dispute window closed at ${when(a[0])}; the attested cut stands`,
  SettleTooEarly: (a) => `the milestone can be settled from ${when(a[0])} on`,
  CutTooHigh: (a) => `a cut of ${cut(a[0])} was given; a cut cannot exceed 100%`,

  // ---- attestations ----
  ValuesLengthMismatch: (a) => `${a[0]} values were given; the agreement has ${a[1]} metrics (one value each)`,
  SignerMaskOutOfRange: (a) =>
    `the signer mask 0x${BigInt(a[0] as bigint).toString(16)} names an oracle beyond the agreement's ${a[1]}`,
  SignatureCountMismatch: (a) =>
    `${a[0]} signatures were given but the signer mask names ${a[1]} oracles; give one signature per named oracle`,
  ThresholdNotMet: (a) => `${a[0]} oracles signed; the agreement needs at least ${a[1]}`,
  InvalidSignature: (a) =>
    `the signature of oracle ${a[0]} (${a[1]}) does not sign this attestation (wrong key, agreement, milestone, ` +
    `values, evidence, escrow or chain)`,

  // ---- withdrawals ----
  NothingToWithdraw: (a, c) => `${a[0]} has no ${c.tokenName(a[1])} balance in the escrow`,
  ZeroRecipient: () => "the recipient is the zero address; give a real address",
  EthTransferFailed: (a, c) =>
    `sending ${c.amount(a[1], ZeroAddress)} to ${a[0]} failed (the recipient rejects ETH); withdraw to ` +
    `another address`,

  // ---- OpenZeppelin, inherited by the escrow ----
  ReentrancyGuardReentrantCall: () => "the escrow was re-entered during a call (a token or recipient called back)",
  SafeERC20FailedOperation: (a, c) =>
    `the token ${c.tokenName(a[0])} refused a transfer (returned false); check balances and allowances`,
  AddressEmptyCode: (a) => `${a[0]} has no code`,
  FailedCall: () => "a call inside the escrow failed (in a multicall: one of the batched calls)",
  InvalidShortString: () => "an EIP-712 domain string is invalid",
  StringTooLong: (a) => `the string ${JSON.stringify(a[0])} is too long`,
};

/** Errors of the ERC-20 tokens the escrow calls (OpenZeppelin's IERC20Errors and ERC-2612). */
const TOKEN_ERRORS = new Interface([
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC20InvalidSender(address sender)",
  "error ERC20InvalidReceiver(address receiver)",
  "error ERC20InvalidApprover(address approver)",
  "error ERC20InvalidSpender(address spender)",
  "error ERC2612ExpiredSignature(uint256 deadline)",
  "error ERC2612InvalidSigner(address signer, address owner)",
  "error InvalidAccountNonce(address account, uint256 currentNonce)",
]);

const TOKEN: Record<string, Explainer> = {
  ERC20InsufficientBalance: (a, c) => `${a[0]} holds ${c.amount(a[1])} of the token but ${c.amount(a[2])} are needed`,
  ERC20InsufficientAllowance: (a, c) =>
    `${a[0]} may spend only ${c.amount(a[1])} of the token, but ${c.amount(a[2])} are needed; approve more`,
  ERC20InvalidSender: (a) => `the token rejects ${a[0]} as a sender`,
  ERC20InvalidReceiver: (a) => `the token rejects ${a[0]} as a receiver`,
  ERC20InvalidApprover: (a) => `the token rejects ${a[0]} as an approver`,
  ERC20InvalidSpender: (a) => `the token rejects ${a[0]} as a spender`,
  ERC2612ExpiredSignature: (a) => `the permit expired at ${when(a[0])}`,
  ERC2612InvalidSigner: (a) => `the permit was signed by ${a[0]}, not by the owner ${a[1]}`,
  InvalidAccountNonce: (a) => `the permit's nonce is stale for ${a[0]} (current nonce ${a[1]})`,
};

/** The names of every error explained here (escrow, OpenZeppelin, token). */
export const EXPLAINED_ERRORS: readonly string[] = [...Object.keys(ESCROW), ...Object.keys(TOKEN)];

function withDefaults(ctx: ExplainContext): Required<ExplainContext> {
  const tokenName = ctx.tokenName ?? ((t: string) => (t === ZeroAddress ? "ETH" : t));
  return {
    amount:
      ctx.amount ?? ((v: bigint, t?: string) => `${v} (smallest units${t === undefined ? "" : ` of ${tokenName(t)}`})`),
    tokenName,
  };
}

/** `Name: plain words` for a decoded escrow or token error. */
export function explainError(e: ErrorDescription, ctx: ExplainContext = {}): string {
  const explainer = ESCROW[e.name] ?? TOKEN[e.name];
  if (explainer === undefined) {
    const args = e.fragment.inputs.map((input, i) => `${input.name || `arg${i}`} ${String(e.args[i])}`);
    return `${e.name}${args.length ? `: ${args.join(", ")}` : ""}`;
  }
  return `${e.name}: ${explainer(e.args, withDefaults(ctx))}`;
}

/** The name of the escrow or token error in `err` (e.g. "ERC20InsufficientAllowance"), or undefined. */
export function revertErrorName(err: unknown, escrow: Interface): string | undefined {
  const data = revertData(err);
  if (data === undefined) return undefined;
  for (const iface of [escrow, TOKEN_ERRORS]) {
    try {
      const e = iface.parseError(data);
      if (e) return e.name;
    } catch {
      // not one of this interface's errors
    }
  }
  return undefined;
}

const PANICS: Record<number, string> = {
  0x01: "an assertion failed",
  0x11: "an arithmetic overflow or underflow",
  0x12: "a division by zero",
  0x21: "an invalid enum value",
  0x32: "an array index out of bounds",
  0x41: "too much memory allocated",
};

/**
 * The plain-words explanation of a failed call or transaction, or undefined when `err` carries no revert data.
 * Tries the escrow's errors, then the tokens', then `Error(string)` and `Panic(uint256)`.
 */
export function explainRevert(err: unknown, escrow: Interface, ctx: ExplainContext = {}): string | undefined {
  const data = revertData(err);
  if (data === undefined) return undefined;
  const selector = data.slice(0, 10).toLowerCase();
  try {
    if (selector === "0x08c379a0") {
      return `reverted: ${String(AbiCoder.defaultAbiCoder().decode(["string"], "0x" + data.slice(10))[0])}`;
    }
    if (selector === "0x4e487b71") {
      const code = Number(AbiCoder.defaultAbiCoder().decode(["uint256"], "0x" + data.slice(10))[0]);
      return `Panic: ${PANICS[code] ?? `panic code 0x${code.toString(16)}`}`;
    }
  } catch {
    // malformed: fall through
  }
  for (const iface of [escrow, TOKEN_ERRORS]) {
    try {
      const e = iface.parseError(data);
      if (e) return explainError(e, ctx);
    } catch {
      // not one of this interface's errors, or malformed arguments
    }
  }
  return `the call reverted with an error this tool does not know (selector ${selector})`;
}
