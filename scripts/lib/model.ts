/**
 * The model: an agreement's terms, its state and its milestones' states as the escrow stores them, read through
 * any ethers Provider (a Hardhat node, an RPC URL, a wallet's EIP-1193 provider). One type for the terms read
 * from the chain, one set of status enums and names; the tasks, the oracle, the demo and the web page use these.
 *
 * Times, durations, counts and basis points are JavaScript numbers (every one fits exactly: due times are at most
 * 2^40 - 1, `startAt` is below the first due time, durations are uint32); amounts are bigints.
 */
import { getAddress } from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import { UserError } from "./errors";
import type { MetricLike } from "./penalty";

/** `agreementStatus`: 0 None, 1 Proposed, 2 Active, 3 Closed (DESIGN.md). */
export const AgreementStatus = { None: 0, Proposed: 1, Active: 2, Closed: 3 } as const;
export type AgreementStatus = (typeof AgreementStatus)[keyof typeof AgreementStatus];
export const AGREEMENT_STATUS = ["None", "Proposed", "Active", "Closed"] as const;
export type AgreementStatusName = (typeof AGREEMENT_STATUS)[number];

/** `milestoneInfo.status`: 0 Pending, 1 Attested, 2 Disputed, 3 Settled (DESIGN.md). */
export const MilestoneStatus = { Pending: 0, Attested: 1, Disputed: 2, Settled: 3 } as const;
export type MilestoneStatus = (typeof MilestoneStatus)[keyof typeof MilestoneStatus];
export const MILESTONE_STATUS = ["Pending", "Attested", "Disputed", "Settled"] as const;
export type MilestoneStatusName = (typeof MILESTONE_STATUS)[number];

/** `MilestoneSettled.kind`: how a milestone was settled. */
export const SettlementKind = { Attested: 0, Arbitrated: 1, ArbitrationTimedOut: 2, Silent: 3 } as const;
export const SETTLEMENT_KIND = ["Attested", "Arbitrated", "ArbitrationTimedOut", "Silent"] as const;

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/** A status number's name, or "status N" for a number the escrow never returns. */
export function agreementStatusName(status: number | bigint): string {
  return AGREEMENT_STATUS[Number(status)] ?? `status ${String(status)}`;
}

export function milestoneStatusName(status: number | bigint): string {
  return MILESTONE_STATUS[Number(status)] ?? `status ${String(status)}`;
}

/** An agreement's terms as read from the chain (getTerms, or the AgreementCreated event). */
export interface AgreementTerms {
  id: bigint;
  client: string;
  vendor: string;
  /** address(0) = native ETH. */
  token: string;
  /** address(0) = no disputes. */
  arbitrator: string;
  disputeWindow: number;
  attestGrace: number;
  arbitrationTimeout: number;
  silentCutBps: number;
  threshold: number;
  startAt: number;
  oracles: string[];
  metrics: MetricLike[];
  milestones: { amount: bigint; dueAt: number }[];
}

/** A milestone's state (`milestoneInfo`). */
export interface MilestoneState {
  status: MilestoneStatus;
  cutBps: number;
  attestedAt: number;
  disputedAt: number;
}

/** The shape getTerms returns and the event carries (typed loosely so that both fit). */
export interface RawTerms {
  client: string;
  vendor: string;
  token?: string;
  arbitrator: string;
  disputeWindow: bigint;
  attestGrace: bigint;
  arbitrationTimeout: bigint;
  silentCutBps?: bigint;
  threshold: bigint;
  startAt: bigint;
  oracles: readonly string[];
  metrics: readonly { higherIsBetter: boolean; tiers: readonly { threshold: bigint; cutBps: bigint }[] }[];
  milestones: readonly { amount: bigint; dueAt: bigint }[];
}

export function toTerms(id: bigint, t: RawTerms): AgreementTerms {
  return {
    id,
    client: getAddress(t.client),
    vendor: getAddress(t.vendor),
    token: getAddress(t.token ?? ZERO_ADDRESS),
    arbitrator: getAddress(t.arbitrator),
    disputeWindow: Number(t.disputeWindow),
    attestGrace: Number(t.attestGrace),
    arbitrationTimeout: Number(t.arbitrationTimeout),
    silentCutBps: Number(t.silentCutBps ?? 0n),
    threshold: Number(t.threshold),
    startAt: Number(t.startAt),
    oracles: t.oracles.map((o) => getAddress(o)),
    metrics: t.metrics.map((m) => ({
      higherIsBetter: m.higherIsBetter,
      tiers: m.tiers.map((x) => ({ threshold: Number(x.threshold), cutBps: Number(x.cutBps) })),
    })),
    milestones: t.milestones.map((m) => ({ amount: BigInt(m.amount), dueAt: Number(m.dueAt) })),
  };
}

/** Reads agreement `id`'s terms; a missing agreement is the user's mistake (`flag` names the input). */
export async function readTerms(escrow: SLAEscrow, id: bigint, flag = "--agreement"): Promise<AgreementTerms> {
  const status = Number(await escrow.agreementStatus(id));
  if (status === AgreementStatus.None) {
    throw new UserError(`${flag}: agreement ${id} does not exist on escrow ${await escrow.getAddress()}`);
  }
  return toTerms(id, (await escrow.getTerms(id)) as unknown as RawTerms);
}

export async function readMilestone(escrow: SLAEscrow, id: bigint, milestone: number): Promise<MilestoneState> {
  const [status, cutBps, attestedAt, disputedAt] = await escrow.milestoneInfo(id, milestone);
  return {
    status: Number(status) as MilestoneStatus,
    cutBps: Number(cutBps),
    attestedAt: Number(attestedAt),
    disputedAt: Number(disputedAt),
  };
}

/** A milestone's measured period: `[i == 0 ? startAt : dueAt[i-1], dueAt[i])`. */
export interface Period {
  start: number;
  end: number;
}

export function periodOf(terms: Pick<AgreementTerms, "startAt" | "milestones">, milestone: number): Period {
  return {
    start: milestone === 0 ? terms.startAt : terms.milestones[milestone - 1].dueAt,
    end: terms.milestones[milestone].dueAt,
  };
}

/** The order the escrow requires for oracles: ascending as 160-bit numbers (so letter case does not matter). */
export function compareAddresses(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Addresses in the order the escrow requires for oracles (strictly ascending as numbers). */
export function sortAddresses(addresses: readonly string[]): string[] {
  return [...addresses].sort(compareAddresses);
}
