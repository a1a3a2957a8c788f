/**
 * The Prometheus kinds (scripts/lib/kpi/kinds/prometheus-*.ts), pure: their parameters, the `{{.window}}`
 * replacement, and the values computed from query results. Every expected number is worked out by hand in the
 * comment beside it. The same kinds against a real Prometheus: test/oracle/prometheus-kpi.test.ts.
 */
import { expect } from "chai";
import { MetricSpecError, RuleError } from "../../scripts/lib/errors";
import { roundHalfUp, withWindow } from "../../scripts/lib/kpi/kinds/prometheus-ratio";
import { floorProductClamped } from "../../scripts/lib/kpi/kinds/prometheus-value";
import { PROMETHEUS_KINDS } from "../../scripts/lib/kpi/kinds/prometheus";
import {
  type MetricSpec,
  defaultToleranceOf,
  describeSpec,
  higherIsBetterOf,
  parseMetricSpecs,
  parseSpec,
  specJson,
  unitOf,
} from "../../scripts/lib/kpi/spec";
import type { Computed, Period, PromResults } from "../../scripts/lib/kpi/types";

/** A one-hour period: {{.window}} is 3600s. */
const HOUR: Period = { start: 1_700_000_000, end: 1_700_003_600 };

const TOTAL = "sum(increase(http_requests_total[{{.window}}]))";
const BAD = 'sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))';
const GOOD = 'sum(increase(http_requests_total{code="200"}[{{.window}}]))';
const P95 = "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[{{.window}}])))";

function spec(raw: Record<string, unknown>): MetricSpec {
  return parseSpec({ name: "m", ...raw }, "metrics[0]");
}

function parseError(raw: Record<string, unknown>): string {
  try {
    spec(raw);
  } catch (err) {
    expect(err).to.be.instanceOf(RuleError);
    return (err as Error).message;
  }
  throw new Error("expected a RuleError");
}

function compute(s: MetricSpec, results: PromResults, period = HOUR): Computed {
  return s.kind.compute(results, s.params, period) as Computed;
}

function refusal(s: MetricSpec, results: PromResults): string {
  try {
    compute(s, results);
  } catch (err) {
    expect(err).to.be.instanceOf(RuleError);
    return (err as Error).message;
  }
  throw new Error("expected a RuleError");
}

const ratio = (extra: Record<string, unknown>): MetricSpec =>
  spec({ kind: "prometheus.ratio_ppm", total: TOTAL, ...extra });
const value = (extra: Record<string, unknown>): MetricSpec =>
  spec({ kind: "prometheus.value", query: P95, higherIsBetter: false, ...extra });

describe("Prometheus kinds (pure)", function () {
  it("are registered as prometheus.ratio_ppm and prometheus.value, both read the prometheus source", function () {
    expect(PROMETHEUS_KINDS.map((k) => [k.kind, k.source])).to.deep.equal([
      ["prometheus.ratio_ppm", "prometheus"],
      ["prometheus.value", "prometheus"],
    ]);
  });

  describe("prometheus.ratio_ppm parameters", function () {
    it("takes total and one of good, bad; higherIsBetter defaults to true", function () {
      const s = ratio({ bad: BAD });
      expect(specJson(s)).to.deep.equal({
        name: "m",
        kind: "prometheus.ratio_ppm",
        total: TOTAL,
        bad: BAD,
        higherIsBetter: true,
      });
      expect(Object.keys(specJson(ratio({ good: GOOD, higherIsBetter: false })))).to.deep.equal([
        "name",
        "kind",
        "total",
        "good",
        "higherIsBetter",
      ]);
      expect(higherIsBetterOf(s)).to.equal(true);
      expect(higherIsBetterOf(ratio({ good: GOOD, higherIsBetter: false }))).to.equal(false);
      expect(unitOf(s)).to.equal("ppm");
      expect(defaultToleranceOf(s)).to.deep.equal({ kind: "abs", amount: 1000 });
      expect(describeSpec(s)).to.equal("share of events that were not bad, from Prometheus (1 - bad / total)");
      expect(describeSpec(ratio({ good: GOOD }))).to.equal(
        "share of good events among all events, from Prometheus (good / total)",
      );
    });

    it("refuses both good and bad, and neither, naming the fields", function () {
      expect(parseError({ kind: "prometheus.ratio_ppm", total: TOTAL, good: GOOD, bad: BAD })).to.equal(
        "metrics[0].bad: give one of metrics[0].good and metrics[0].bad, not both",
      );
      expect(parseError({ kind: "prometheus.ratio_ppm", total: TOTAL })).to.equal(
        "metrics[0].good: is required, or metrics[0].bad (one of them: the good events' or the bad events' query)",
      );
    });

    it("refuses a missing total, non-string queries, a non-boolean direction and unknown keys", function () {
      expect(parseError({ kind: "prometheus.ratio_ppm", bad: BAD })).to.equal(
        "metrics[0].total: is required (a string)",
      );
      expect(parseError({ kind: "prometheus.ratio_ppm", total: TOTAL, good: 5 })).to.equal(
        "metrics[0].good: must be a non-empty string, got 5",
      );
      expect(parseError({ kind: "prometheus.ratio_ppm", total: " ", bad: BAD })).to.equal(
        'metrics[0].total: must be a non-empty string, got " "',
      );
      expect(parseError({ kind: "prometheus.ratio_ppm", total: TOTAL, bad: BAD, higherIsBetter: "yes" })).to.equal(
        'metrics[0].higherIsBetter: must be true or false, got "yes"',
      );
      expect(parseError({ kind: "prometheus.ratio_ppm", total: TOTAL, bad: BAD, query: TOTAL })).to.equal(
        "metrics[0].query: prometheus.ratio_ppm takes only total, good, bad, higherIsBetter",
      );
    });

    it("lists every error of a spec file, each with its field path", function () {
      let err: unknown;
      try {
        parseMetricSpecs(
          {
            metrics: [
              { name: "a", kind: "prometheus.ratio_ppm", total: TOTAL, good: GOOD, bad: BAD },
              { name: "b", kind: "prometheus.value", query: P95 },
            ],
          },
          "spec.json",
        );
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(MetricSpecError);
      expect((err as MetricSpecError).errors).to.deep.equal([
        "metrics[0].bad: give one of metrics[0].good and metrics[0].bad, not both",
        "metrics[1].higherIsBetter: is required (true or false)",
      ]);
    });
  });

  describe("prometheus.value parameters", function () {
    it("takes query, scale (default 1) and higherIsBetter, which is required", function () {
      expect(specJson(value({}))).to.deep.equal({
        name: "m",
        kind: "prometheus.value",
        query: P95,
        scale: 1,
        higherIsBetter: false,
      });
      const s = value({ scale: 1000, higherIsBetter: true });
      expect(specJson(s)).to.deep.equal({
        name: "m",
        kind: "prometheus.value",
        query: P95,
        scale: 1000,
        higherIsBetter: true,
      });
      expect(higherIsBetterOf(s)).to.equal(true);
      expect(unitOf(s)).to.equal("number");
      expect(defaultToleranceOf(s)).to.deep.equal({ kind: "pct", percent: 1 });
      expect(describeSpec(s)).to.equal("the value of a Prometheus query, times 1000");
      expect(describeSpec(value({}))).to.equal("the value of a Prometheus query");
      expect(parseError({ kind: "prometheus.value", query: P95 })).to.equal(
        "metrics[0].higherIsBetter: is required (true or false)",
      );
    });

    it("refuses a missing query and a scale that is not a positive finite number", function () {
      expect(parseError({ kind: "prometheus.value", higherIsBetter: false })).to.equal(
        "metrics[0].query: is required (a string)",
      );
      expect(parseError({ kind: "prometheus.value", query: P95, higherIsBetter: false, scale: 0 })).to.equal(
        "metrics[0].scale: must be above 0, got 0",
      );
      expect(parseError({ kind: "prometheus.value", query: P95, higherIsBetter: false, scale: -1000 })).to.equal(
        "metrics[0].scale: must be above 0, got -1000",
      );
      expect(parseError({ kind: "prometheus.value", query: P95, higherIsBetter: false, scale: "1000" })).to.equal(
        'metrics[0].scale: must be a number, got "1000"',
      );
    });
  });

  describe("{{.window}}", function () {
    it("is replaced by <end - start>s everywhere in every query", function () {
      const q = "sum(rate(a[{{.window}}])) / (sum(rate(b[{{.window}}])) + sum(rate(c[{{ .window }}])))";
      const s = ratio({ good: q });
      expect(s.kind.queries!(s.params, HOUR)).to.deep.equal({
        total: "sum(increase(http_requests_total[3600s]))",
        good: "sum(rate(a[3600s])) / (sum(rate(b[3600s])) + sum(rate(c[3600s])))",
      });
      const b = ratio({ bad: BAD });
      // A 30-day period: 30 * 86400 = 2592000 seconds.
      expect(b.kind.queries!(b.params, { start: 0, end: 2_592_000 })).to.deep.equal({
        total: "sum(increase(http_requests_total[2592000s]))",
        bad: 'sum(increase(http_requests_total{code=~"5.."}[2592000s]))',
      });
      const v = value({});
      expect(v.kind.queries!(v.params, HOUR)).to.deep.equal({
        value: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[3600s])))",
      });
      expect(withWindow("up", HOUR)).to.equal("up");
    });

    it("refuses a period without length", function () {
      expect(() => withWindow(TOTAL, { start: 100, end: 100 })).to.throw(RuleError, "has no length");
    });
  });

  describe("prometheus.ratio_ppm values", function () {
    it("rounds counts half up first: 2.5 -> 3, 2.4999 -> 2", function () {
      // good 2.5 -> 3 of 4: 750000; good 2.4999 -> 2 of 4: 500000.
      expect(compute(ratio({ good: GOOD }), { total: 4, good: 2.5 }).value).to.equal(750_000);
      expect(compute(ratio({ good: GOOD }), { total: 4, good: 2.4999 }).value).to.equal(500_000);
      // total 3.5 -> 4, bad 0.5 -> 1: (4 - 1) / 4 = 750000.
      expect(compute(ratio({ bad: BAD }), { total: 3.5, bad: 0.5 }).value).to.equal(750_000);
      expect([2.5, 2.4999, 0.5, 0.49999999999999994, 7, 1e20].map(roundHalfUp)).to.deep.equal([3, 2, 1, 0, 7, 1e20]);
      // Half up is toward +infinity: -2.5 -> -2, -0.5 -> 0 (not -0), -0.51 -> -1.
      expect(Object.is(roundHalfUp(-0.5), 0)).to.equal(true);
      expect([-2.5, -0.4, -0.51].map(roundHalfUp)).to.deep.equal([-2, 0, -1]);
    });

    it("computes floor(1e6 * good / total) and floor(1e6 * (total - bad) / total)", function () {
      // 32400 good of 36060: 1e6 * 32400 / 36060 = 898502.49...: 898502.
      const good = compute(ratio({ good: GOOD }), { total: 36060, good: 32400 });
      expect(good.value).to.equal(898_502);
      expect(good.derivation).to.deep.equal({
        rule: "counts rounded half up; floor(1000000 * good / total), clamped to [0, 1000000]",
        totalQuery: "sum(increase(http_requests_total[3600s]))",
        goodQuery: 'sum(increase(http_requests_total{code="200"}[3600s]))',
        totalResult: 36060,
        goodResult: 32400,
        total: 36060,
        good: 32400,
      });
      // 3600.4 bad -> 3600 of 36059.6 -> 36060: 1e6 * 32460 / 36060 = 900166.38...: 900166.
      const bad = compute(ratio({ bad: BAD }), { total: 36059.6, bad: 3600.4 });
      expect(bad.value).to.equal(900_166);
      expect(bad.derivation).to.deep.equal({
        rule: "counts rounded half up; floor(1000000 * (total - bad) / total), clamped to [0, 1000000]",
        totalQuery: "sum(increase(http_requests_total[3600s]))",
        badQuery: 'sum(increase(http_requests_total{code=~"5.."}[3600s]))',
        totalResult: 36059.6,
        badResult: 3600.4,
        total: 36060,
        bad: 3600,
      });
    });

    it("divides exactly for counts above 2^53 / 1e6", function () {
      // t = 9007199254740809: 1e6 * (t - 1) / t = 1e6 - 1e6 / t, just under 1e6: 999999 (the float division
      // rounds it to 1000000).
      const t = 9_007_199_254_740_809;
      expect(compute(ratio({ good: GOOD }), { total: t, good: t - 1 }).value).to.equal(999_999);
    });

    it("clamps to [0, 1000000]: good above total is 1000000, bad above total is 0", function () {
      expect(compute(ratio({ good: GOOD }), { total: 10, good: 12 }).value).to.equal(1_000_000);
      expect(compute(ratio({ bad: BAD }), { total: 10, bad: 12 }).value).to.equal(0);
      // A rate query (Sloth's, as written) of a quiet service: 0.3 bad events per second round to 0.
      expect(compute(ratio({ bad: BAD }), { total: 10.2, bad: 0.3 }).value).to.equal(1_000_000);
    });

    it("refuses a total of 0 (also once rounded), naming the total query", function () {
      expect(refusal(ratio({ bad: BAD }), { total: 0, bad: 0 })).to.equal(
        'Prometheus query total "sum(increase(http_requests_total[3600s]))" gave 0 (0 events once rounded): no ratio to attest (the escrow\'s silent path applies)',
      );
      expect(refusal(ratio({ good: GOOD }), { total: 0.4, good: 0 })).to.match(
        /^Prometheus query total "sum\(increase\(http_requests_total\[3600s\]\)\)" gave 0.4 \(0 events once rounded\)/,
      );
    });

    it("refuses counts that are negative once rounded, and a missing result", function () {
      expect(refusal(ratio({ bad: BAD }), { total: -3, bad: 0 })).to.equal(
        'Prometheus query total "sum(increase(http_requests_total[3600s]))" gave -3, a negative count: refused',
      );
      expect(refusal(ratio({ bad: BAD }), { total: 10, bad: -2 })).to.equal(
        'Prometheus query bad "sum(increase(http_requests_total{code=~"5.."}[3600s]))" gave -2, a negative count: refused',
      );
      // -0.3 is float noise: it rounds to 0 bad events.
      expect(compute(ratio({ bad: BAD }), { total: 10, bad: -0.3 }).value).to.equal(1_000_000);
      expect(refusal(ratio({ good: GOOD }), { total: 10 })).to.equal(
        'Prometheus query good "sum(increase(http_requests_total{code="200"}[3600s]))" gave no finite number (undefined)',
      );
      expect(refusal(ratio({ good: GOOD }), { total: 10, good: NaN })).to.match(/gave no finite number \(NaN\)$/);
    });
  });

  describe("prometheus.value values", function () {
    it("is floor(result * scale): a p95 of 0.2345 s with scale 1000 is 234 ms", function () {
      const s = value({ scale: 1000 });
      const got = compute(s, { value: 0.2345 });
      expect(got.value).to.equal(234);
      expect(got.derivation).to.deep.equal({
        rule: "floor(result * scale), exact on the decimals, clamped to [0, 4294967295]",
        query: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[3600s])))",
        result: 0.2345,
        scale: 1000,
      });
      // Default scale 1: floor(1.99) = 1.
      expect(compute(value({}), { value: 1.99 }).value).to.equal(1);
      // 0.29 * 100 = 29 exactly (the float product is 28.999999999999996).
      expect(compute(value({ scale: 100 }), { value: 0.29 }).value).to.equal(29);
      // 123456 * 0.001 = 123.456: 123.
      expect(compute(value({ scale: 0.001 }), { value: 123456 }).value).to.equal(123);
      // 1.5e-7 * 1e9 = 150.
      expect(compute(value({ scale: 1e9 }), { value: 1.5e-7 }).value).to.equal(150);
    });

    it("clamps to [0, 4294967295]: negatives are 0, above uint32 is 4294967295", function () {
      expect(compute(value({}), { value: -5 }).value).to.equal(0);
      expect(compute(value({ scale: 1000 }), { value: -0.0001 }).value).to.equal(0);
      expect(compute(value({}), { value: 4_294_967_295.9 }).value).to.equal(4_294_967_295);
      expect(compute(value({}), { value: 4_294_967_296 }).value).to.equal(4_294_967_295);
      // 5e6 s * 1000 = 5e9 ms, above 4294967295.
      expect(compute(value({ scale: 1000 }), { value: 5e6 }).value).to.equal(4_294_967_295);
      expect(compute(value({}), { value: 1e300 }).value).to.equal(4_294_967_295);
      expect(floorProductClamped(-1e-300, 1)).to.equal(0);
    });

    it("refuses a missing or non-finite result, naming the query", function () {
      expect(refusal(value({}), {})).to.equal(
        'Prometheus query value "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[3600s])))" gave no finite number (undefined)',
      );
      expect(refusal(value({}), { value: Infinity })).to.match(/gave no finite number \(Infinity\)$/);
    });
  });
});
