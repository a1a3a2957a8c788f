/**
 * What the ticket kinds share (DESIGN.md "Business KPIs", tickets): the `priorities` parameter and the selection F
 * it makes, and the two ticket rules (within target, duration percentile) as kind factories parameterised by the
 * columns they read, so each rule is written once.
 *
 * Interpretation: `priorities` is a non-empty list of distinct exact strings (case and spaces included); omitted,
 * F is every ticket of the export, and the normalised spec leaves it out too (so a spec listing every priority the
 * export happens to hold is a different spec from one that omits it: a new priority later would count in one only).
 */
import type { ParamReader } from "../params";
import type { KindDefinition, Period, TicketTable } from "../types";
import { EXACT, openDurationPercentile, ppmOr, seconds, withinTarget } from "./shared-exports";

export interface PrioritiesParam {
  /** Undefined: every ticket. */
  readonly priorities?: readonly string[];
}

export function readPriorities(r: ParamReader): string[] | undefined {
  return r.stringList("priorities");
}

/** `{priorities}` when given, else nothing: the head of a ticket kind's JSON. */
export function prioritiesJson(p: PrioritiesParam): Record<string, unknown> {
  return p.priorities === undefined ? {} : { priorities: [...p.priorities] };
}

/** "P1, P2 tickets" or "all tickets". */
export function ticketsWord(p: PrioritiesParam): string {
  return p.priorities === undefined ? "all tickets" : `${p.priorities.join(", ")} tickets`;
}

/** F as a mask (1 = selected), undefined when every ticket is; and #F. */
export function selectTickets(t: TicketTable, p: PrioritiesParam): { mask: Uint8Array | undefined; selected: number } {
  if (p.priorities === undefined) return { mask: undefined, selected: t.length };
  const want = new Set(p.priorities);
  const mask = new Uint8Array(t.length);
  let selected = 0;
  for (let i = 0; i < t.length; i++) {
    if (want.has(t.priority[i])) {
      mask[i] = 1;
      selected++;
    }
  }
  return { mask, selected };
}

function rulePrefix(p: PrioritiesParam): string {
  return p.priorities === undefined
    ? "F = all tickets"
    : `F = tickets with priority ${p.priorities.map((s) => JSON.stringify(s)).join(" or ")}`;
}

export type TicketTargetParams = PrioritiesParam & { readonly targetSeconds: number };

/** tickets.response_within_target_ppm and tickets.resolution_within_target_ppm. */
export function ticketWithinTargetKind(o: {
  kind: string;
  summary: string;
  /** The event column's name and the due column's name, for rules: "first_response_at", "response_due_at". */
  event: string;
  due: string;
  /** What met means, in words: "first answered", "resolved". */
  verb: string;
  eventOf: (t: TicketTable) => Float64Array;
  dueOf: (t: TicketTable) => Float64Array;
}): KindDefinition<"tickets", TicketTargetParams> {
  return {
    kind: o.kind,
    source: "tickets",
    summary: o.summary,
    params: ["priorities", "targetSeconds"],
    parse: (r) => {
      const priorities = readPriorities(r);
      const targetSeconds = r.int("targetSeconds", { min: 0, unit: "seconds" });
      return priorities === undefined ? { targetSeconds } : { priorities, targetSeconds };
    },
    higherIsBetter: () => true,
    unit: () => "ppm",
    toJson: (p) => ({ ...prioritiesJson(p), targetSeconds: p.targetSeconds }),
    describe: (p) =>
      `share of ${ticketsWord(p)} ${o.verb} within ${seconds(p.targetSeconds)} (or by their ${o.due}), of those falling due in the period`,
    defaultTolerance: () => EXACT,
    compute(t, p, period: Period) {
      const { mask, selected } = selectTickets(t, p);
      const r = withinTarget(t.createdAt, o.eventOf(t), o.dueOf(t), p.targetSeconds, period, mask);
      return {
        value: ppmOr(r.met, r.due, 1_000_000),
        derivation: {
          rule:
            `${rulePrefix(p)}; due = ${o.due} if present, else created_at + ${p.targetSeconds}; ` +
            `D = tickets of F with start <= due < end; met = ${o.event} present and <= due; ` +
            `floor(1000000 * met / #D), 1000000 when D is empty`,
          selected,
          due: r.due,
          dueGiven: r.dueGiven,
          met: r.met,
        },
      };
    },
  };
}

export type TicketPercentileParams = PrioritiesParam & { readonly percentile: number };

/** tickets.first_response_minutes and tickets.resolution_minutes. */
export function ticketMinutesKind(o: {
  kind: string;
  summary: string;
  event: string;
  /** What is measured, in words: "first-response", "resolution". */
  what: string;
  /** What open means, in words: "unanswered", "unresolved". */
  open: string;
  eventOf: (t: TicketTable) => Float64Array;
}): KindDefinition<"tickets", TicketPercentileParams> {
  return {
    kind: o.kind,
    source: "tickets",
    summary: o.summary,
    params: ["priorities", "percentile"],
    parse: (r) => {
      const priorities = readPriorities(r);
      const percentile = r.int("percentile", { min: 1, max: 100 });
      return priorities === undefined ? { percentile } : { priorities, percentile };
    },
    higherIsBetter: () => false,
    unit: () => "minutes",
    toJson: (p) => ({ ...prioritiesJson(p), percentile: p.percentile }),
    describe: (p) =>
      `p${p.percentile} of ${ticketsWord(p)}' ${o.what} times in minutes (rounded up; those still ${o.open} at the end counted up to it)`,
    defaultTolerance: () => EXACT,
    compute(t, p, period: Period) {
      const { mask, selected } = selectTickets(t, p);
      const r = openDurationPercentile(t.createdAt, o.eventOf(t), p.percentile, period, mask);
      return {
        value: r.value,
        derivation: {
          rule:
            `${rulePrefix(p)}; ceil((${o.event} - created_at) / 60) for the tickets of F with start <= ${o.event} < end, ` +
            `plus ceil((end - created_at) / 60) for those with created_at < end and ${o.event} empty or >= end; ` +
            `nearest rank: sorted ascending, index ceil(${p.percentile} * n / 100) - 1; 0 when n = 0`,
          selected,
          inPeriod: r.inPeriod,
          openAtEnd: r.openAtEnd,
          n: r.n,
          index: r.n === 0 ? null : r.index,
          percentile: p.percentile,
        },
      };
    },
  };
}
