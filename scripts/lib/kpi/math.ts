/** The integer arithmetic the kinds share (DESIGN.md: floor, ceil and divisions are exact; values clamp to uint32). */
import { MAX_UINT32 } from "../limits";

/** Nearest-rank index ceil(p * n / 100) - 1 for 1 <= p <= 100 and n >= 1, in integers. */
export function nearestRankIndex(p: number, n: number): number {
  return Math.floor((p * n + 99) / 100) - 1;
}

/** floor(1e6 * part / whole) for whole >= 1 (exact: 1e6 * part stays far below 2^53 for any real count). */
export function ppm(part: number, whole: number): number {
  return Math.floor((1_000_000 * part) / whole);
}

/** Clamps to [0, 4294967295] (what a uint32 value can say). */
export function clampUint32(v: number): number {
  return v < 0 ? 0 : v > MAX_UINT32 ? MAX_UINT32 : v;
}

/** ceil(seconds / 60) for seconds >= 0. */
export function ceilMinutes(seconds: number): number {
  return Math.floor((seconds + 59) / 60);
}

/**
 * The nearest-rank percentile of `values` (sorted in place, numerically); 0 when empty. Returns the index too.
 */
export function nearestRank(values: Float64Array, p: number): { value: number; index: number; n: number } {
  const n = values.length;
  if (n === 0) return { value: 0, index: -1, n };
  values.sort();
  const index = nearestRankIndex(p, n);
  return { value: values[index], index, n };
}
