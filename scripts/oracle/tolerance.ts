/**
 * Co-signing tolerance: how far a proposed value may be from this oracle's own before it refuses to sign.
 * Spec: `NAME=N` (absolute, in the metric's unit) or `NAME=N%` (relative to this oracle's own value), comma
 * separated; metrics not named keep the defaults below.
 */
import { UserError } from "../lib/errors";
import { METRIC_NAMES, type MetricName, isMetricName } from "./metrics";

export type Tolerance = { kind: "abs"; amount: number } | { kind: "pct"; percent: number };
export type ToleranceMap = Record<MetricName, Tolerance>;

/** Defaults: availability within 1000 ppm (0.1 percentage point), latency percentiles within 10%. */
export const DEFAULT_TOLERANCE: ToleranceMap = {
  availability_ppm: { kind: "abs", amount: 1000 },
  latency_p50_ms: { kind: "pct", percent: 10 },
  latency_p95_ms: { kind: "pct", percent: 10 },
  latency_p99_ms: { kind: "pct", percent: 10 },
};

export function parseTolerance(spec: string | undefined, flag = "--tolerance"): ToleranceMap {
  const out: ToleranceMap = { ...DEFAULT_TOLERANCE };
  if (spec === undefined || spec.trim() === "") return out;
  for (const part of spec.split(",")) {
    const m = /^\s*([a-z0-9_]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$/.exec(part);
    if (!m) throw new UserError(`${flag}: "${part}" is not NAME=N or NAME=N%`);
    const [, name, amount, pct] = m;
    if (!isMetricName(name))
      throw new UserError(`${flag}: unknown metric "${name}" (known: ${METRIC_NAMES.join(", ")})`);
    out[name] = pct ? { kind: "pct", percent: Number(amount) } : { kind: "abs", amount: Number(amount) };
  }
  return out;
}

/** The allowed absolute difference for a metric given this oracle's own value. */
export function allowedDifference(t: Tolerance, own: number): number {
  return t.kind === "abs" ? t.amount : Math.floor((own * t.percent) / 100);
}

export function describeTolerance(t: Tolerance): string {
  return t.kind === "abs" ? String(t.amount) : `${t.percent}%`;
}

export interface Difference {
  name: MetricName;
  proposed: number;
  own: number;
  difference: number;
  allowed: number;
  tolerance: string;
}

/** Every metric whose proposed value differs from our own by more than its tolerance. */
export function outOfTolerance(
  names: readonly MetricName[],
  proposed: readonly number[],
  own: readonly number[],
  tolerance: ToleranceMap,
): Difference[] {
  const out: Difference[] = [];
  names.forEach((name, i) => {
    const difference = Math.abs(proposed[i] - own[i]);
    const allowed = allowedDifference(tolerance[name], own[i]);
    if (difference > allowed) {
      out.push({
        name,
        proposed: proposed[i],
        own: own[i],
        difference,
        allowed,
        tolerance: describeTolerance(tolerance[name]),
      });
    }
  });
  return out;
}

export function formatDifferences(diffs: readonly Difference[]): string {
  return diffs
    .map(
      (d) =>
        `${d.name} differs by ${d.difference} (report ${d.proposed}, ours ${d.own}; tolerance ${d.tolerance} = ${d.allowed})`,
    )
    .join("; ");
}
