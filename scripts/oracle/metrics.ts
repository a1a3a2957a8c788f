/**
 * The probe metrics by their bare names (DESIGN.md "Metrics the oracle computes"): `availability_ppm`,
 * `latency_p50_ms`, `latency_p95_ms`, `latency_p99_ms`. They are kinds like every other metric
 * (scripts/lib/kpi/kinds/probes-*.ts); this module only turns names into specs and computes them over samples
 * already limited to a period (the benchmark, the demo and the tests use it).
 */
import { RuleError, UserError } from "../lib/errors";
import { type MetricSpec, bareSpec, selectSpecs } from "../lib/kpi/spec";
import type { Computed } from "../lib/kpi/types";
import type { Sample } from "./samples";

export { nearestRankIndex } from "../lib/kpi/math";

/** Parses `--metrics NAME,NAME` (bare probe names, order kept, no duplicates) into specs. */
export function parseMetricNames(text: string | undefined): MetricSpec[] {
  return selectSpecs(text, undefined);
}

/** The values of probe metrics (specs, or bare names) over `samples`. Throws a UserError for an empty period. */
export function computeMetrics(
  samples: readonly Sample[],
  metrics: readonly (string | MetricSpec)[],
  what = "the period",
): { values: number[]; metrics: (Computed & { name: string })[] } {
  const out = metrics.map((m) => {
    const spec = typeof m === "string" ? bareSpec(m) : m;
    if (spec === undefined || spec.kind.source !== "probes")
      throw new UserError(`"${String(m)}" is not a probe metric`);
    try {
      return { name: spec.name, ...spec.kind.compute(samples, spec.params, { start: 0, end: 0 }) };
    } catch (err) {
      if (err instanceof RuleError) throw new UserError(`${what}: ${err.message}`);
      throw err;
    }
  });
  return { values: out.map((m) => m.value), metrics: out };
}
