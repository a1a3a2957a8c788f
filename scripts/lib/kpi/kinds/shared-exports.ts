/**
 * The rules the export kinds share (DESIGN.md "Business KPIs"), each written once and parameterised by columns:
 * the within-target share (tickets' response and resolution, work items' on-time) and the duration percentile with
 * open records counted up to the period's end (tickets' first response and resolution). Absent values are NaN in
 * the columns; every comparison with NaN is false, which is what "absent" means in each rule below.
 */
import { formatValue } from "../units";
import { ceilMinutes, clampUint32, nearestRank, ppm } from "../math";
import type { Period, Tolerance } from "../types";

/** Export kinds: oracles reading the same export must agree exactly. */
export const EXACT: Tolerance = { kind: "abs", amount: 0 };

/** floor(1e6 * part / whole), or `empty` when whole is 0; clamped to uint32. */
export function ppmOr(part: number, whole: number, empty: number): number {
  return clampUint32(whole === 0 ? empty : ppm(part, whole));
}

/** A duration in seconds for descriptions: 3600 -> "1h", 1800 -> "30min", 90 -> "90s". */
export function seconds(s: number): string {
  return formatValue("seconds", s);
}

/**
 * The within-target rule: for each selected row, due = `due[i]` if present, else `start[i] + targetSeconds`;
 * D = rows with `period.start <= due < period.end`; met = `event[i]` present and `<= due`. `selected` (1 = in F)
 * is undefined when every row is.
 */
export function withinTarget(
  start: Float64Array,
  event: Float64Array,
  dueCol: Float64Array,
  targetSeconds: number,
  period: Period,
  selected: Uint8Array | undefined,
): { due: number; met: number; dueGiven: number } {
  const lo = period.start;
  const hi = period.end;
  let due = 0;
  let met = 0;
  let dueGiven = 0;
  const n = start.length;
  for (let i = 0; i < n; i++) {
    if (selected !== undefined && selected[i] === 0) continue;
    const given = dueCol[i];
    const d = given === given ? given : start[i] + targetSeconds;
    if (d < lo || d >= hi) continue;
    due++;
    if (given === given) dueGiven++;
    if (event[i] <= d) met++;
  }
  return { due, met, dueGiven };
}

/**
 * The open-duration percentile: durations `ceil((event - start) / 60)` of the selected rows with
 * `period.start <= event < period.end`, plus `ceil((period.end - start) / 60)` for every selected row still open
 * at the end (`start < period.end` and the event absent or `>= period.end`); the nearest rank (sorted ascending,
 * index `ceil(percentile * n / 100) - 1`), 0 when n = 0.
 */
export function openDurationPercentile(
  start: Float64Array,
  event: Float64Array,
  percentile: number,
  period: Period,
  selected: Uint8Array | undefined,
): { value: number; n: number; index: number; inPeriod: number; openAtEnd: number } {
  const lo = period.start;
  const hi = period.end;
  const n = start.length;
  const minutes = new Float64Array(n);
  let k = 0;
  let inPeriod = 0;
  for (let i = 0; i < n; i++) {
    if (selected !== undefined && selected[i] === 0) continue;
    const s = start[i];
    const ev = event[i];
    if (ev >= lo && ev < hi) {
      minutes[k++] = ceilMinutes(ev - s);
      inPeriod++;
    } else if (s < hi && !(ev < hi)) {
      // Still open at the end: no event (NaN) or one at or after the end.
      minutes[k++] = ceilMinutes(hi - s);
    }
  }
  const r = nearestRank(minutes.subarray(0, k), percentile);
  return { value: clampUint32(r.value), n: r.n, index: r.index, inPeriod, openAtEnd: k - inPeriod };
}
