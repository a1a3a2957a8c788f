/**
 * `prometheus.value` (DESIGN.md "Business KPIs", Prometheus): one PromQL instant query evaluated at the period's
 * end, `floor(result * scale)` clamped to [0, 4294967295], e.g. `histogram_quantile(0.95, sum by (le)
 * (rate(http_request_duration_seconds_bucket[{{.window}}])))` with scale 1000 for milliseconds. `{{.window}}` is
 * replaced as for `prometheus.ratio_ppm`.
 *
 * Where DESIGN.md is open, what is safest for the funds:
 * - `higherIsBetter` is required: DESIGN.md gives it no default, and a query's direction is the agreement's (a
 *   latency is lower-is-better, a throughput higher): a default would silently pick one for the other.
 * - `scale` must be a positive finite number (default 1): 0 or a negative scale would turn every result into the
 *   same value or reverse the metric's direction.
 * - `floor(result * scale)` is computed exactly on the two numbers as written (the shortest decimals that name
 *   them, which is how Prometheus prints a result and how a spec file writes a scale), not on their float
 *   product: 0.29 s with scale 100 is 29, where the float product 28.999999999999996 would floor to 28.
 * - A negative result is clamped to 0 (DESIGN.md: every value is clamped to [0, 4294967295]).
 */
import { RuleError } from "../../errors";
import { MAX_UINT32 } from "../../limits";
import type { KindDefinition } from "../types";
import { resultOf, withWindow } from "./prometheus-ratio";

interface ValueParams {
  query: string;
  scale: number;
  higherIsBetter: boolean;
}

/** A finite number as the shortest decimal that names it: mantissa * 10^exponent. */
function decimalOf(x: number): { mantissa: bigint; exponent: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (m === null) throw new RuleError(`${String(x)} is not a finite number`);
  const fraction = m[3] ?? "";
  return {
    mantissa: BigInt(`${m[1]}${m[2]}${fraction}`),
    exponent: Number(m[4] ?? "0") - fraction.length,
  };
}

/** floor(a * b) on the decimals of a and b, exactly, clamped to [0, 4294967295]. */
export function floorProductClamped(a: number, b: number): number {
  const da = decimalOf(a);
  const db = decimalOf(b);
  const mantissa = da.mantissa * db.mantissa;
  const exponent = da.exponent + db.exponent;
  let v: bigint;
  if (exponent >= 0) {
    v = mantissa * 10n ** BigInt(exponent);
  } else {
    const d = 10n ** BigInt(-exponent);
    v = mantissa / d;
    if (mantissa < 0n && v * d !== mantissa) v -= 1n; // BigInt division truncates toward 0; floor goes down
  }
  if (v < 0n) return 0;
  if (v > BigInt(MAX_UINT32)) return MAX_UINT32;
  return Number(v);
}

export const prometheusValue: KindDefinition<"prometheus", ValueParams> = {
  kind: "prometheus.value",
  source: "prometheus",
  summary: "a Prometheus query's value times a scale, floored (e.g. a latency quantile in ms)",
  params: ["query", "scale", "higherIsBetter"],
  parse: (r) => ({
    query: r.string("query", true),
    scale: r.number("scale", { def: 1, positive: true }),
    higherIsBetter: r.bool("higherIsBetter"),
  }),
  higherIsBetter: (p) => p.higherIsBetter,
  unit: () => "number",
  toJson: (p) => ({ query: p.query, scale: p.scale, higherIsBetter: p.higherIsBetter }),
  describe: (p) =>
    p.scale === 1 ? "the value of a Prometheus query" : `the value of a Prometheus query, times ${p.scale}`,
  defaultTolerance: () => ({ kind: "pct", percent: 1 }),
  queries: (p, period) => ({ value: withWindow(p.query, period) }),
  compute(results, p, period) {
    const query = withWindow(p.query, period);
    const result = resultOf(results, "value", query);
    return {
      value: floorProductClamped(result, p.scale),
      derivation: {
        rule: "floor(result * scale), exact on the decimals, clamped to [0, 4294967295]",
        query,
        result,
        scale: p.scale,
      },
    };
  },
};
