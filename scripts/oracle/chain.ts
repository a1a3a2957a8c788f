/**
 * What the oracle reads from the escrow: an agreement's terms in plain numbers, a milestone's period and
 * state, the chain's time; and the checks that turn a user's mistake into one clear UserError.
 */
import { type Provider, getAddress } from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import { UserError } from "../lib/escrow";
import type { MetricLike } from "../lib/penalty";
import { HIGHER_IS_BETTER, type MetricName } from "./metrics";
import type { Period } from "./report";

export const AGREEMENT_STATUS = ["None", "Proposed", "Active", "Closed"] as const;
export const MILESTONE_STATUS = ["Pending", "Attested", "Disputed", "Settled"] as const;
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

export interface AgreementTerms {
  id: bigint;
  client: string;
  vendor: string;
  arbitrator: string;
  disputeWindow: number;
  attestGrace: number;
  arbitrationTimeout: number;
  threshold: number;
  startAt: number;
  oracles: string[];
  metrics: MetricLike[];
  milestones: { amount: bigint; dueAt: number }[];
}

export interface MilestoneState {
  status: number;
  cutBps: number;
  attestedAt: number;
  disputedAt: number;
}

/** The shape getTerms returns (typed loosely so that event-decoded terms fit too). */
export interface RawTerms {
  client: string;
  vendor: string;
  arbitrator: string;
  disputeWindow: bigint;
  attestGrace: bigint;
  arbitrationTimeout: bigint;
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
    arbitrator: getAddress(t.arbitrator),
    disputeWindow: Number(t.disputeWindow),
    attestGrace: Number(t.attestGrace),
    arbitrationTimeout: Number(t.arbitrationTimeout),
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

export function chainIdMismatch(network: string, configured: bigint, actual: bigint): UserError {
  return new UserError(
    `--network ${network}: the RPC answers chain id ${actual}, but the network is configured as chain ${configured}; refusing to go on (a wrong or lying RPC)`,
  );
}

/** Parses a `--agreement`/`--milestone` style flag: a non-negative decimal integer. */
export function parseUintFlag(value: string | undefined, flag: string): bigint {
  if (value === undefined || value === "") throw new UserError(`${flag}: missing`);
  if (!/^[0-9]+$/.test(value.trim())) throw new UserError(`${flag}: "${value}" is not a non-negative integer`);
  return BigInt(value.trim());
}

/** Reads agreement `id`'s terms; a missing agreement is the user's mistake. */
export async function loadTerms(escrow: SLAEscrow, id: bigint): Promise<AgreementTerms> {
  const status = Number(await escrow.agreementStatus(id));
  if (status === 0) throw new UserError(`--agreement: agreement ${id} does not exist on escrow ${await escrow.getAddress()}`);
  return toTerms(id, (await escrow.getTerms(id)) as unknown as RawTerms);
}

/** Milestone i's period: [i == 0 ? startAt : dueAt[i-1], dueAt[i]). */
export function periodOf(terms: AgreementTerms, milestone: number): Period {
  return {
    start: milestone === 0 ? terms.startAt : terms.milestones[milestone - 1].dueAt,
    end: terms.milestones[milestone].dueAt,
  };
}

export function checkMilestone(terms: AgreementTerms, milestone: bigint): number {
  if (milestone >= BigInt(terms.milestones.length)) {
    throw new UserError(
      `--milestone: agreement ${terms.id} has milestones 0..${terms.milestones.length - 1}, not ${milestone}`,
    );
  }
  return Number(milestone);
}

/** The metric names must be one per metric of the agreement, each in the right direction. */
export function checkMetricNames(terms: AgreementTerms, names: readonly MetricName[], flag = "--metrics"): void {
  if (names.length !== terms.metrics.length) {
    throw new UserError(
      `${flag}: agreement ${terms.id} has ${terms.metrics.length} metric(s), but ${names.length} name(s) were given (${names.join(",")})`,
    );
  }
  names.forEach((name, i) => {
    if (HIGHER_IS_BETTER[name] !== terms.metrics[i].higherIsBetter) {
      throw new UserError(
        `${flag}: metric ${i} of agreement ${terms.id} is ${terms.metrics[i].higherIsBetter ? "higher" : "lower"}-is-better, but "${name}" is not`,
      );
    }
  });
}

/** Index of `address` among the agreement's oracles, or a UserError. */
export function oracleIndexOf(terms: AgreementTerms, address: string): number {
  const i = terms.oracles.indexOf(getAddress(address));
  if (i < 0) {
    throw new UserError(
      `key: ${getAddress(address)} is not an oracle of agreement ${terms.id} (oracles: ${terms.oracles.join(", ")})`,
    );
  }
  return i;
}

export async function milestoneState(escrow: SLAEscrow, id: bigint, milestone: number): Promise<MilestoneState> {
  const [status, cutBps, attestedAt, disputedAt] = await escrow.milestoneInfo(id, milestone);
  return { status: Number(status), cutBps: Number(cutBps), attestedAt: Number(attestedAt), disputedAt: Number(disputedAt) };
}

/**
 * The chain's "now": the latest block's timestamp, or the wall clock when that is later (an idle development
 * chain mines its next block at the wall clock). Every post is simulated first, so a clock ahead of the chain
 * only delays an action.
 */
export async function chainNow(provider: Provider): Promise<number> {
  const block = await provider.getBlock("latest");
  const latest = block ? block.timestamp : 0;
  return Math.max(latest, Math.floor(Date.now() / 1000));
}

export function isoTime(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}

/** A milestone may be attested while `dueAt <= now <= dueAt + attestGrace`; explains why not otherwise. */
export function checkAttestWindow(terms: AgreementTerms, milestone: number, now: number): void {
  const due = terms.milestones[milestone].dueAt;
  if (now < due) {
    throw new UserError(`--milestone: milestone ${milestone} of agreement ${terms.id} is not due until ${isoTime(due)} (dueAt ${due}, now ${now})`);
  }
  const deadline = due + terms.attestGrace;
  if (now > deadline) {
    throw new UserError(`--milestone: the attestation window of milestone ${milestone} of agreement ${terms.id} closed at ${isoTime(deadline)}`);
  }
}

/** When a milestone in `state` may be settled (undefined: never by `settle`, e.g. already settled). */
export function settleableAt(terms: AgreementTerms, milestone: number, state: MilestoneState): number | undefined {
  switch (state.status) {
    case 0:
      return terms.milestones[milestone].dueAt + terms.attestGrace + 1;
    case 1:
      return terms.arbitrator === ZERO_ADDRESS ? state.attestedAt : state.attestedAt + terms.disputeWindow;
    case 2:
      return state.disputedAt + terms.arbitrationTimeout;
    default:
      return undefined;
  }
}
