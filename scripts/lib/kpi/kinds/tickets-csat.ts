/**
 * `tickets.csat_ppm` with `priorities`, `satisfiedMin` (default 4) (DESIGN.md "Business KPIs", tickets):
 * R = tickets of F with `start <= resolved_at < end` and a `csat`; `floor(1e6 * #(csat >= satisfiedMin) / #R)`,
 * and 1000000 when R is empty.
 */
import type { KindDefinition } from "../types";
import { EXACT, ppmOr } from "./shared-exports";
import { type PrioritiesParam, prioritiesJson, readPriorities, selectTickets, ticketsWord } from "./shared-tickets";

export type CsatParams = PrioritiesParam & { readonly satisfiedMin: number };

export const ticketsCsat: KindDefinition<"tickets", CsatParams> = {
  kind: "tickets.csat_ppm",
  source: "tickets",
  summary: "share of the rated tickets resolved in the period whose CSAT is satisfiedMin or more, in ppm",
  params: ["priorities", "satisfiedMin"],
  parse: (r) => {
    const priorities = readPriorities(r);
    const satisfiedMin = r.int("satisfiedMin", { min: 1, max: 5, def: 4 });
    return priorities === undefined ? { satisfiedMin } : { priorities, satisfiedMin };
  },
  higherIsBetter: () => true,
  unit: () => "ppm",
  toJson: (p) => ({ ...prioritiesJson(p), satisfiedMin: p.satisfiedMin }),
  describe: (p) =>
    `share of ${ticketsWord(p)} resolved in the period with a CSAT answer that rated ${p.satisfiedMin} or more (of 5)`,
  defaultTolerance: () => EXACT,
  compute(t, p, period) {
    const { mask, selected } = selectTickets(t, p);
    const lo = period.start;
    const hi = period.end;
    let rated = 0;
    let satisfied = 0;
    for (let i = 0; i < t.length; i++) {
      if (mask !== undefined && mask[i] === 0) continue;
      const r = t.resolvedAt[i];
      const c = t.csat[i];
      if (!(r >= lo && r < hi) || c !== c) continue;
      rated++;
      if (c >= p.satisfiedMin) satisfied++;
    }
    return {
      value: ppmOr(satisfied, rated, 1_000_000),
      derivation: {
        rule:
          `R = tickets of F with start <= resolved_at < end and a csat; ` +
          `floor(1000000 * #(csat >= ${p.satisfiedMin}) / #R), 1000000 when R is empty`,
        selected,
        rated,
        satisfied,
      },
    };
  },
};
