/** `items.completed_count` (DESIGN.md "Business KPIs", work items): `#(items with start <= completed_at < end)`. */
import { clampUint32 } from "../math";
import type { KindDefinition } from "../types";
import { EXACT } from "./shared-exports";

export const itemsCompletedCount: KindDefinition<"items", Record<string, never>> = {
  kind: "items.completed_count",
  source: "items",
  summary: "number of work items completed in the period",
  params: [],
  parse: () => ({}),
  higherIsBetter: () => true,
  unit: () => "count",
  toJson: () => ({}),
  describe: () => "number of work items completed in the period",
  defaultTolerance: () => EXACT,
  compute(t, _p, period) {
    let completed = 0;
    for (let i = 0; i < t.length; i++) {
      const c = t.completedAt[i];
      if (c >= period.start && c < period.end) completed++;
    }
    return {
      value: clampUint32(completed),
      derivation: { rule: "#(items with start <= completed_at < end)", items: t.length, completed },
    };
  },
};
