/**
 * `items.on_time_ppm` with `targetSeconds` (DESIGN.md "Business KPIs", work items): due(t) = `due_at` if present,
 * else `received_at + targetSeconds`; D = items with `start <= due(t) < end`; met = `completed_at` present and
 * `<= due(t)`; `floor(1e6 * met / #D)`; 1000000 when D is empty. The rule is {@link withinTarget}, shared with
 * the tickets' within-target kinds.
 */
import type { KindDefinition } from "../types";
import { EXACT, ppmOr, seconds, withinTarget } from "./shared-exports";

export interface OnTimeParams {
  readonly targetSeconds: number;
}

export const itemsOnTime: KindDefinition<"items", OnTimeParams> = {
  kind: "items.on_time_ppm",
  source: "items",
  summary: "share of the work items falling due in the period completed by their due time, in ppm",
  params: ["targetSeconds"],
  parse: (r) => ({ targetSeconds: r.int("targetSeconds", { min: 0, unit: "seconds" }) }),
  higherIsBetter: () => true,
  unit: () => "ppm",
  toJson: (p) => ({ targetSeconds: p.targetSeconds }),
  describe: (p) =>
    `share of work items completed within ${seconds(p.targetSeconds)} (or by their due_at), of those falling due in the period`,
  defaultTolerance: () => EXACT,
  compute(t, p, period) {
    const r = withinTarget(t.receivedAt, t.completedAt, t.dueAt, p.targetSeconds, period, undefined);
    return {
      value: ppmOr(r.met, r.due, 1_000_000),
      derivation: {
        rule:
          `due = due_at if present, else received_at + ${p.targetSeconds}; D = items with start <= due < end; ` +
          `met = completed_at present and <= due; floor(1000000 * met / #D), 1000000 when D is empty`,
        items: t.length,
        due: r.due,
        dueGiven: r.dueGiven,
        met: r.met,
      },
    };
  },
};
