/**
 * `calls.abandon_rate_ppm` with `shortAbandonSeconds` (default 5) (DESIGN.md "Business KPIs", calls):
 * `floor(1e6 * #(abandoned) / #V)`; 0 when V is empty.
 */
import type { KindDefinition } from "../types";
import { countCalls, readShortAbandon, shortAbandonWords } from "./shared-calls";
import { EXACT, ppmOr } from "./shared-exports";

export interface AbandonParams {
  readonly shortAbandonSeconds: number;
}

export const callsAbandonRate: KindDefinition<"calls", AbandonParams> = {
  kind: "calls.abandon_rate_ppm",
  source: "calls",
  summary: "share of the calls offered in the period that were abandoned (short abandons left out), in ppm",
  params: ["shortAbandonSeconds"],
  parse: (r) => ({ shortAbandonSeconds: readShortAbandon(r) }),
  higherIsBetter: () => false,
  unit: () => "ppm",
  toJson: (p) => ({ shortAbandonSeconds: p.shortAbandonSeconds }),
  describe: (p) =>
    `share of the calls offered in the period that were abandoned (${shortAbandonWords(p.shortAbandonSeconds)})`,
  defaultTolerance: () => EXACT,
  compute(c, p, period) {
    const r = countCalls(c, period, p.shortAbandonSeconds);
    return {
      value: ppmOr(r.abandoned, r.counted, 0),
      derivation: {
        rule:
          `V = calls with start <= offered_at < end, less abandoned_at - offered_at < ${p.shortAbandonSeconds}; ` +
          `floor(1000000 * #(abandoned) / #V), 0 when V is empty`,
        offered: r.offered,
        shortAbandons: r.shortAbandons,
        counted: r.counted,
        abandoned: r.abandoned,
      },
    };
  },
};
