/**
 * `calls.service_level_ppm` with `answerSeconds`, `shortAbandonSeconds` (default 5) (DESIGN.md "Business KPIs",
 * calls): `floor(1e6 * #(answered and answered_at - offered_at <= answerSeconds) / #V)`; 1000000 when V is empty.
 */
import type { KindDefinition } from "../types";
import { countCalls, readShortAbandon, shortAbandonWords } from "./shared-calls";
import { EXACT, ppmOr, seconds } from "./shared-exports";

export interface ServiceLevelParams {
  readonly answerSeconds: number;
  readonly shortAbandonSeconds: number;
}

export const callsServiceLevel: KindDefinition<"calls", ServiceLevelParams> = {
  kind: "calls.service_level_ppm",
  source: "calls",
  summary: "share of the calls offered in the period answered within answerSeconds (short abandons left out), in ppm",
  params: ["answerSeconds", "shortAbandonSeconds"],
  parse: (r) => ({
    answerSeconds: r.int("answerSeconds", { min: 0, unit: "seconds" }),
    shortAbandonSeconds: readShortAbandon(r),
  }),
  higherIsBetter: () => true,
  unit: () => "ppm",
  toJson: (p) => ({ answerSeconds: p.answerSeconds, shortAbandonSeconds: p.shortAbandonSeconds }),
  describe: (p) =>
    `share of the calls offered in the period answered within ${seconds(p.answerSeconds)} (${shortAbandonWords(p.shortAbandonSeconds)})`,
  defaultTolerance: () => EXACT,
  compute(c, p, period) {
    const r = countCalls(c, period, p.shortAbandonSeconds, p.answerSeconds);
    return {
      value: ppmOr(r.answeredWithin, r.counted, 1_000_000),
      derivation: {
        rule:
          `V = calls with start <= offered_at < end, less abandoned_at - offered_at < ${p.shortAbandonSeconds}; ` +
          `floor(1000000 * #(answered and answered_at - offered_at <= ${p.answerSeconds}) / #V), 1000000 when V is empty`,
        offered: r.offered,
        shortAbandons: r.shortAbandons,
        counted: r.counted,
        answeredWithin: r.answeredWithin,
      },
    };
  },
};
