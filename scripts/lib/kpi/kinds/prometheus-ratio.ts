/**
 * `prometheus.ratio_ppm` (DESIGN.md "Business KPIs", Prometheus): the share of good events among all events, from
 * two PromQL instant queries evaluated at the period's end: `total` and one of `good` or `bad`.
 *
 * Every `{{.window}}` in a query is replaced by the period's length as `<end - start>s`, so Sloth SLI queries work as
 * they are written (`errorQuery`/`totalQuery` as `bad`/`total`), and a Pyrra ratio's selectors work once wrapped as
 * `sum(increase(<selector>[{{.window}}]))` (e.g. Pyrra's `errors.metric: http_requests_total{code=~"5.."}` gives
 * `bad: sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))`). Go templates also allow `{{ .window }}`;
 * Sloth renders that the same, so it is replaced too.
 *
 * The value is `floor(1e6 * good / total)` or `floor(1e6 * (total - bad) / total)` after rounding both counts half
 * up to integers, clamped to [0, 1000000]; a total of 0 is refused. Where DESIGN.md is open, what is safest for
 * the funds:
 * - Rounding half up is exact on the number Prometheus answered (`floor(x)`, plus 1 when `x - floor(x) >= 0.5`),
 *   which is `Math.floor(x + 0.5)` without the rounding of the float addition (that turns 0.49999999999999994
 *   into 1 and odd integers above 2^52 into the next even one).
 * - Negative results: a result in (-0.5, 0) is float noise and rounds to 0 (half up, toward +infinity: -0.5 -> 0);
 *   a count that is still negative after rounding is not a count of anything, so it is refused (the escrow's
 *   silent path applies) rather than clamped: a negative `bad` would otherwise read as better than perfect.
 * - The division is exact for any count (BigInt), not only below 2^53 / 1e6.
 * - A `rate()` query (Sloth's as written) answers per-second rates, and they are rounded like counts: exact for
 *   integer rates, but a service with less than one bad event per two seconds reads as 0 bad events. `increase()`
 *   over `{{.window}}` keeps the counts.
 */
import { RuleError } from "../../errors";
import type { ParamReader } from "../params";
import type { Derivation, KindDefinition, Period, PromResults } from "../types";

/** `{{.window}}` (or `{{ .window }}`) in a query: the period's length. */
const WINDOW = /\{\{\s*\.window\s*\}\}/g;

/** `query` with every `{{.window}}` replaced by the period's length, `<end - start>s`. */
export function withWindow(query: string, period: Period): string {
  const seconds = period.end - period.start;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new RuleError(`the period [${period.start}, ${period.end}) has no length to put in {{.window}}`);
  }
  return query.replace(WINDOW, `${seconds}s`);
}

/** A query's result, checked to be there and finite (the source refuses NaN and infinities; a co-signer's may not). */
export function resultOf(results: PromResults, key: string, query: string): number {
  const v = results[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new RuleError(`Prometheus query ${key} "${query}" gave no finite number (${String(v)})`);
  }
  return v;
}

/** x rounded half up to an integer, exactly: floor(x), plus 1 when the fraction is at least one half. */
export function roundHalfUp(x: number): number {
  const f = Math.floor(x);
  // x - floor(x) is exact for every finite double; `+ 0` turns -0 into 0.
  return (x - f >= 0.5 ? f + 1 : f) + 0;
}

interface RatioParams {
  total: string;
  good?: string;
  bad?: string;
  higherIsBetter: boolean;
}

function queries(p: RatioParams, period: Period): Record<string, string> {
  const out: Record<string, string> = { total: withWindow(p.total, period) };
  if (p.good !== undefined) out.good = withWindow(p.good, period);
  else out.bad = withWindow(p.bad as string, period);
  return out;
}

function parse(r: ParamReader): RatioParams {
  const total = r.string("total", true);
  const good = r.string("good");
  const bad = r.string("bad");
  if (good !== undefined && bad !== undefined) {
    r.fail("bad", `give one of ${r.at("good")} and ${r.at("bad")}, not both`);
  }
  if (good === undefined && bad === undefined) {
    r.fail("good", `is required, or ${r.at("bad")} (one of them: the good events' or the bad events' query)`);
  }
  const higherIsBetter = r.bool("higherIsBetter", true);
  return good !== undefined ? { total, good, higherIsBetter } : { total, bad, higherIsBetter };
}

export const prometheusRatio: KindDefinition<"prometheus", RatioParams> = {
  kind: "prometheus.ratio_ppm",
  source: "prometheus",
  summary: "share of good events among all events from two Prometheus queries (good or bad, and total), in ppm",
  params: ["total", "good", "bad", "higherIsBetter"],
  parse,
  higherIsBetter: (p) => p.higherIsBetter,
  unit: () => "ppm",
  toJson: (p) =>
    p.good !== undefined
      ? { total: p.total, good: p.good, higherIsBetter: p.higherIsBetter }
      : { total: p.total, bad: p.bad, higherIsBetter: p.higherIsBetter },
  describe: (p) =>
    p.good !== undefined
      ? "share of good events among all events, from Prometheus (good / total)"
      : "share of events that were not bad, from Prometheus (1 - bad / total)",
  defaultTolerance: () => ({ kind: "abs", amount: 1000 }),
  queries,
  compute(results, p, period) {
    const q = queries(p, period);
    const key = p.good !== undefined ? "good" : "bad";
    const totalResult = resultOf(results, "total", q.total);
    const partResult = resultOf(results, key, q[key]);
    const total = roundHalfUp(totalResult);
    const part = roundHalfUp(partResult);
    if (total < 0) {
      throw new RuleError(`Prometheus query total "${q.total}" gave ${totalResult}, a negative count: refused`);
    }
    if (part < 0) {
      throw new RuleError(`Prometheus query ${key} "${q[key]}" gave ${partResult}, a negative count: refused`);
    }
    if (total === 0) {
      throw new RuleError(
        `Prometheus query total "${q.total}" gave ${totalResult} (0 events once rounded): no ratio to attest (the escrow's silent path applies)`,
      );
    }
    const numerator = key === "good" ? BigInt(part) : BigInt(total) - BigInt(part);
    let ppm = (1_000_000n * numerator) / BigInt(total);
    if (ppm < 0n) ppm = 0n;
    if (ppm > 1_000_000n) ppm = 1_000_000n;
    const derivation: Derivation =
      key === "good"
        ? {
            rule: "counts rounded half up; floor(1000000 * good / total), clamped to [0, 1000000]",
            totalQuery: q.total,
            goodQuery: q.good,
            totalResult,
            goodResult: partResult,
            total,
            good: part,
          }
        : {
            rule: "counts rounded half up; floor(1000000 * (total - bad) / total), clamped to [0, 1000000]",
            totalQuery: q.total,
            badQuery: q.bad,
            totalResult,
            badResult: partResult,
            total,
            bad: part,
          };
    return { value: Number(ppm), derivation };
  },
};
