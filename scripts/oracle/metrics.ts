/**
 * The metrics of DESIGN.md ("Metrics the oracle computes"), exactly, so that independent oracles agree to
 * the unit:
 * - availability_ppm = floor(1_000_000 * okSamples / allSamples)
 * - latency_pNN_ms   = nearest-rank percentile of the ok samples' latencies: sorted ascending, index
 *                      ceil(p/100 * n) - 1 (computed in integers, no floating point)
 * A period without samples has no value (refused); a period whose samples all failed has availability 0
 * and every latency percentile 4294967295.
 */
import { UserError } from "../lib/errors";
import { METRIC_KINDS } from "../lib/metric-kinds";
import { type Sample, UINT32_MAX } from "./samples";

export const METRIC_NAMES = ["availability_ppm", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Whether a higher value of the metric is better (must match the agreement's `higherIsBetter`). */
export const HIGHER_IS_BETTER: Record<MetricName, boolean> = Object.fromEntries(
  METRIC_NAMES.map((name) => [name, METRIC_KINDS[name].higherIsBetter]),
) as Record<MetricName, boolean>;

/** How a value was derived: written into the report next to the value. */
export interface Derivation {
  rule: string;
  allSamples: number;
  okSamples: number;
  percentile?: number;
  /** 0-based index into the ascending ok latencies (ceil(p/100*n) - 1); absent when there is no ok sample. */
  index?: number;
}

export interface MetricValue {
  name: MetricName;
  value: number;
  derivation: Derivation;
}

export interface SampleCounts {
  all: number;
  ok: number;
  failed: number;
}

export interface MetricsResult {
  counts: SampleCounts;
  metrics: MetricValue[];
  /** The values in the order asked for (the agreement's metric order). */
  values: number[];
}

export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/** Parses `--metrics NAME,NAME` (order kept, no duplicates, known names only). */
export function parseMetricNames(spec: string | undefined, flag = "--metrics"): MetricName[] {
  if (spec === undefined || spec.trim() === "") {
    throw new UserError(
      `${flag}: missing; give the agreement's metrics in order, e.g. availability_ppm,latency_p95_ms`,
    );
  }
  const names = spec.split(",").map((s) => s.trim());
  const out: MetricName[] = [];
  for (const name of names) {
    if (!isMetricName(name)) {
      throw new UserError(`${flag}: unknown metric "${name}" (known: ${METRIC_NAMES.join(", ")})`);
    }
    if (out.includes(name)) throw new UserError(`${flag}: metric "${name}" named twice`);
    out.push(name);
  }
  return out;
}

/** The percentile p of a metric name (50, 95, 99), or undefined for availability. */
export function percentileOf(name: MetricName): number | undefined {
  const m = /^latency_p(\d+)_ms$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Nearest-rank index ceil(p/100 * n) - 1, in integer arithmetic. Requires n >= 1 and 0 < p <= 100. */
export function nearestRankIndex(p: number, n: number): number {
  return Math.floor((p * n + 99) / 100) - 1;
}

/**
 * Computes `names` over `samples` (which must already be limited to the period). Throws a UserError for an
 * empty period.
 */
export function computeMetrics(
  samples: readonly Sample[],
  names: readonly MetricName[],
  what = "the period",
): MetricsResult {
  const all = samples.length;
  if (all === 0) {
    throw new UserError(`no samples in ${what}: nothing to attest (the escrow's silent path applies)`);
  }
  // A typed array sorts numerically in native code (latencies are uint32).
  let ok = 0;
  for (const s of samples) if (s.ok) ok++;
  const latencies = new Uint32Array(ok);
  let j = 0;
  for (const s of samples) if (s.ok) latencies[j++] = s.latencyMs as number;
  latencies.sort();
  const metrics = names.map((name): MetricValue => {
    const p = percentileOf(name);
    if (p === undefined) {
      // Integers below 2^53: 1e6 * all < 2^53 for any realistic sample count (all < 9e9).
      return {
        name,
        value: Math.floor((1_000_000 * ok) / all),
        derivation: { rule: "floor(1000000 * okSamples / allSamples)", allSamples: all, okSamples: ok },
      };
    }
    const rule = `nearest rank: ok latencies sorted ascending, index ceil(${p}/100 * okSamples) - 1`;
    if (ok === 0) {
      return {
        name,
        value: UINT32_MAX,
        derivation: { rule: `${rule}; no ok sample: 4294967295`, allSamples: all, okSamples: 0, percentile: p },
      };
    }
    const index = nearestRankIndex(p, ok);
    return {
      name,
      value: latencies[index],
      derivation: { rule, allSamples: all, okSamples: ok, percentile: p, index },
    };
  });
  return { counts: { all, ok, failed: all - ok }, metrics, values: metrics.map((m) => m.value) };
}
