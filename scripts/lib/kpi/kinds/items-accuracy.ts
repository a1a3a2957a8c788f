/**
 * `items.accuracy_ppm` (DESIGN.md "Business KPIs", work items): Q = items with `qa_checked` 1 and
 * `start <= completed_at < end`; `floor(1e6 * #(qa_errors == 0) / #Q)`; 1000000 when Q is empty.
 */
import type { KindDefinition } from "../types";
import { EXACT, ppmOr } from "./shared-exports";

export const itemsAccuracy: KindDefinition<"items", Record<string, never>> = {
  kind: "items.accuracy_ppm",
  source: "items",
  summary: "share of the QA-checked work items completed in the period with no QA errors, in ppm",
  params: [],
  parse: () => ({}),
  higherIsBetter: () => true,
  unit: () => "ppm",
  toJson: () => ({}),
  describe: () => "share of the QA-checked work items completed in the period with no QA errors",
  defaultTolerance: () => EXACT,
  compute(t, _p, period) {
    let checked = 0;
    let errorFree = 0;
    for (let i = 0; i < t.length; i++) {
      const c = t.completedAt[i];
      if (t.qaChecked[i] !== 1 || !(c >= period.start && c < period.end)) continue;
      checked++;
      if (t.qaErrors[i] === 0) errorFree++;
    }
    return {
      value: ppmOr(errorFree, checked, 1_000_000),
      derivation: {
        rule:
          "Q = items with qa_checked 1 and start <= completed_at < end; " +
          "floor(1000000 * #(qa_errors == 0) / #Q), 1000000 when Q is empty",
        checked,
        errorFree,
      },
    };
  },
};
