/**
 * The lifecycle rules of DESIGN.md, once: for an agreement's terms, its state and a time, what each party (or
 * anyone) may do now and from when, with the deadline of each window. `sla:status`, `sla:settle`, the oracle,
 * the demo and the web page ask these functions instead of deciding themselves; the escrow enforces the same
 * rules (the tests compare both on the boundary seconds).
 *
 * Times are unix seconds compared with `block.timestamp`; `until` bounds are inclusive unless said otherwise.
 */
import { AgreementStatus, type AgreementTerms, MilestoneStatus, type MilestoneState, ZERO_ADDRESS } from "./model";

export type Role = "client" | "vendor" | "arbitrator" | "oracle" | "anyone";

/** The roles `account` holds in an agreement (an account may hold several: a vendor may also be an oracle). */
export function rolesOf(
  terms: Pick<AgreementTerms, "client" | "vendor" | "arbitrator" | "oracles">,
  account: string,
): Role[] {
  const a = account.toLowerCase();
  const roles: Role[] = [];
  if (terms.client.toLowerCase() === a) roles.push("client");
  if (terms.vendor.toLowerCase() === a) roles.push("vendor");
  if (terms.arbitrator !== ZERO_ADDRESS && terms.arbitrator.toLowerCase() === a) roles.push("arbitrator");
  if (terms.oracles.some((o) => o.toLowerCase() === a)) roles.push("oracle");
  return roles;
}

export function hasArbitrator(terms: Pick<AgreementTerms, "arbitrator">): boolean {
  return terms.arbitrator !== ZERO_ADDRESS;
}

/** The vendor may accept while `now < acceptDeadline` (the first milestone's due time). */
export function acceptDeadline(terms: Pick<AgreementTerms, "milestones">): number {
  return terms.milestones[0].dueAt;
}

/** A milestone may be attested while `from <= now <= until` (and the agreement is Active, the milestone Pending). */
export function attestWindow(
  terms: Pick<AgreementTerms, "milestones" | "attestGrace">,
  milestone: number,
): { from: number; until: number } {
  const due = terms.milestones[milestone].dueAt;
  return { from: due, until: due + terms.attestGrace };
}

/** An Attested milestone may be disputed while `now < disputeEnd` (only with an arbitrator). */
export function disputeEnd(
  terms: Pick<AgreementTerms, "disputeWindow">,
  state: Pick<MilestoneState, "attestedAt">,
): number {
  return state.attestedAt + terms.disputeWindow;
}

/** When a milestone in `state` may be settled (`now >= settleableAt`); undefined once Settled. */
export function settleableAt(
  terms: Pick<AgreementTerms, "milestones" | "attestGrace" | "arbitrator" | "disputeWindow" | "arbitrationTimeout">,
  milestone: number,
  state: Pick<MilestoneState, "status" | "attestedAt" | "disputedAt">,
): number | undefined {
  switch (state.status) {
    case MilestoneStatus.Pending:
      return attestWindow(terms, milestone).until + 1;
    case MilestoneStatus.Attested:
      return hasArbitrator(terms) ? disputeEnd(terms, state) : state.attestedAt;
    case MilestoneStatus.Disputed:
      return state.disputedAt + terms.arbitrationTimeout;
    default:
      return undefined;
  }
}

/** The agreement's status as `cancel`, `terminate` and `agreementStatus` see it: every milestone settled = Closed. */
export function derivedStatus(
  stored: AgreementStatus,
  milestones: readonly Pick<MilestoneState, "status">[],
): AgreementStatus {
  if (stored === AgreementStatus.None || stored === AgreementStatus.Closed) return stored;
  return milestones.every((m) => m.status === MilestoneStatus.Settled) ? AgreementStatus.Closed : stored;
}

export type MilestoneActionName = "attest" | "dispute" | "resolve" | "settle";

/** One thing that may be done to a milestone: by whom, from when, until when (inclusive), and whether now. */
export interface MilestoneAction {
  action: MilestoneActionName;
  who: Role[];
  /** The first second it is allowed. */
  from: number;
  /** The last second it is allowed (undefined: until someone settles). */
  until?: number;
  /** Allowed at `now`. */
  now: boolean;
  /** For settle: the cut it would apply (the attested, silent or full-refund cut). */
  cutBps?: number;
}

/**
 * Every action the rules allow on milestone `m` at some time from `now` on (past windows are left out), in the
 * order they open. An empty list: nothing more can happen (Settled, or the agreement is Closed).
 */
export function milestoneActions(
  terms: AgreementTerms,
  agreement: AgreementStatus,
  m: number,
  state: MilestoneState,
  now: number,
): MilestoneAction[] {
  const out: MilestoneAction[] = [];
  const push = (a: Omit<MilestoneAction, "now">): void => {
    if (a.until !== undefined && now > a.until) return;
    out.push({ ...a, now: now >= a.from && (a.until === undefined || now <= a.until) });
  };
  if (agreement === AgreementStatus.None || agreement === AgreementStatus.Closed) return out;
  const settleAt = settleableAt(terms, m, state);
  switch (state.status) {
    case MilestoneStatus.Pending: {
      const w = attestWindow(terms, m);
      if (agreement === AgreementStatus.Active)
        push({ action: "attest", who: ["oracle"], from: w.from, until: w.until });
      // Pending after the grace: the silent cut while Active, a full refund while still Proposed.
      push({
        action: "settle",
        who: ["anyone"],
        from: settleAt as number,
        cutBps: agreement === AgreementStatus.Proposed ? 10_000 : terms.silentCutBps,
      });
      break;
    }
    case MilestoneStatus.Attested:
      if (hasArbitrator(terms))
        push({
          action: "dispute",
          who: ["client", "vendor"],
          from: state.attestedAt,
          until: disputeEnd(terms, state) - 1,
        });
      push({ action: "settle", who: ["anyone"], from: settleAt as number, cutBps: state.cutBps });
      break;
    case MilestoneStatus.Disputed:
      push({ action: "resolve", who: ["arbitrator"], from: state.disputedAt });
      push({ action: "settle", who: ["anyone"], from: settleAt as number, cutBps: state.cutBps });
      break;
    default:
      break;
  }
  return out;
}

export type AgreementActionName = "accept" | "cancel" | "terminate";

export interface AgreementAction {
  action: AgreementActionName;
  who: Role[];
  from?: number;
  /** The last second it is allowed (undefined: while the status lasts). */
  until?: number;
  now: boolean;
}

/**
 * What may be done to the agreement itself: accept (vendor, while Proposed, before the first due time), cancel
 * (client, while Proposed), terminate (client or vendor, while Active; `requestedBy` are the parties that asked
 * already: a request never expires, and the other party's completes it).
 */
export function agreementActions(
  terms: AgreementTerms,
  agreement: AgreementStatus,
  now: number,
  requestedBy: readonly string[] = [],
): AgreementAction[] {
  const out: AgreementAction[] = [];
  if (agreement === AgreementStatus.Proposed) {
    const deadline = acceptDeadline(terms) - 1;
    if (now <= deadline) out.push({ action: "accept", who: ["vendor"], until: deadline, now: true });
    out.push({ action: "cancel", who: ["client"], now: true });
  }
  if (agreement === AgreementStatus.Active) {
    const asked = new Set(requestedBy.map((a) => a.toLowerCase()));
    const who: Role[] = [];
    if (!asked.has(terms.client.toLowerCase())) who.push("client");
    if (!asked.has(terms.vendor.toLowerCase())) who.push("vendor");
    if (who.length > 0) out.push({ action: "terminate", who, now: true });
  }
  return out;
}
