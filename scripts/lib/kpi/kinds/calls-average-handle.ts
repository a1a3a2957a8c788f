/**
 * `calls.average_handle_seconds` with `shortAbandonSeconds` (default 5) (DESIGN.md "Business KPIs", calls):
 * `floor(sum of handle_seconds / #answered)` over V; 0 when none answered. The sum is exact (a bigint when it
 * would leave the safe integers).
 */
import { clampUint32 } from "../math";
import type { KindDefinition } from "../types";
import { countCalls, readShortAbandon, shortAbandonWords } from "./shared-calls";
import { EXACT } from "./shared-exports";

export interface HandleParams {
  readonly shortAbandonSeconds: number;
}

export const callsAverageHandle: KindDefinition<"calls", HandleParams> = {
  kind: "calls.average_handle_seconds",
  source: "calls",
  summary: "average handle time of the calls offered in the period and answered, in seconds",
  params: ["shortAbandonSeconds"],
  parse: (r) => ({ shortAbandonSeconds: readShortAbandon(r) }),
  higherIsBetter: () => false,
  unit: () => "seconds",
  toJson: (p) => ({ shortAbandonSeconds: p.shortAbandonSeconds }),
  describe: (p) =>
    `average handle time of the calls offered in the period and answered, in seconds (${shortAbandonWords(p.shortAbandonSeconds)})`,
  defaultTolerance: () => EXACT,
  compute(c, p, period) {
    const r = countCalls(c, period, p.shortAbandonSeconds);
    let value = 0;
    if (r.answered > 0) {
      value =
        typeof r.handleSum === "bigint"
          ? Number(r.handleSum / BigInt(r.answered))
          : Math.floor(r.handleSum / r.answered);
    }
    return {
      value: clampUint32(value),
      derivation: {
        rule:
          `V = calls with start <= offered_at < end, less abandoned_at - offered_at < ${p.shortAbandonSeconds}; ` +
          `floor(sum of handle_seconds / #answered) over V, 0 when none answered`,
        offered: r.offered,
        shortAbandons: r.shortAbandons,
        counted: r.counted,
        answered: r.answered,
        handleSecondsSum: r.handleSum.toString(),
      },
    };
  },
};
