/**
 * Metric specs, units and tolerances (scripts/lib/kpi): every rule with its exact message. Pure: no chain.
 */
import { expect } from "chai";
import { MetricSpecError, UserError } from "../../scripts/lib/errors";
import { KINDS, kindNamed } from "../../scripts/lib/kpi/registry";
import {
  type MetricSpec,
  bareSpec,
  checkSpecsAgainstTerms,
  describeSpec,
  firstSpecDifference,
  parseMetricSpecs,
  selectSpecs,
  specJson,
} from "../../scripts/lib/kpi/spec";
import { outOfTolerance, parseTolerances } from "../../scripts/lib/kpi/tolerance";
import { formatValue, parseThreshold } from "../../scripts/lib/kpi/units";

const HELPDESK = {
  metrics: [
    {
      name: "P1 response within 1h",
      kind: "tickets.response_within_target_ppm",
      priorities: ["P1"],
      targetSeconds: 3600,
    },
    { name: "Resolution p90", kind: "tickets.resolution_minutes", percentile: 90 },
    { name: "CSAT", kind: "tickets.csat_ppm" },
  ],
};

function specErrors(raw: unknown): string[] {
  try {
    parseMetricSpecs(raw, "m.json");
  } catch (err) {
    expect(err).to.be.instanceOf(MetricSpecError);
    return (err as MetricSpecError).errors;
  }
  throw new Error("expected a MetricSpecError");
}

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error("expected a UserError");
}

describe("metric specs (scripts/lib/kpi)", function () {
  describe("the registry", function () {
    it("holds every kind of DESIGN.md, once each", function () {
      expect(KINDS.map((k) => k.kind)).to.have.members([
        "probes.availability_ppm",
        "probes.latency_ms",
        "tickets.response_within_target_ppm",
        "tickets.resolution_within_target_ppm",
        "tickets.first_response_minutes",
        "tickets.resolution_minutes",
        "tickets.csat_ppm",
        "calls.service_level_ppm",
        "calls.abandon_rate_ppm",
        "calls.average_handle_seconds",
        "items.on_time_ppm",
        "items.accuracy_ppm",
        "items.completed_count",
        "prometheus.ratio_ppm",
        "prometheus.value",
      ]);
      expect(new Set(KINDS.map((k) => k.kind)).size).to.equal(KINDS.length);
    });

    it("gives each export kind the direction and unit DESIGN.md's tables give, and tolerance 0", function () {
      const expected: Record<string, [boolean, string]> = {
        "tickets.response_within_target_ppm": [true, "ppm"],
        "tickets.resolution_within_target_ppm": [true, "ppm"],
        "tickets.first_response_minutes": [false, "minutes"],
        "tickets.resolution_minutes": [false, "minutes"],
        "tickets.csat_ppm": [true, "ppm"],
        "calls.service_level_ppm": [true, "ppm"],
        "calls.abandon_rate_ppm": [false, "ppm"],
        "calls.average_handle_seconds": [false, "seconds"],
        "items.on_time_ppm": [true, "ppm"],
        "items.accuracy_ppm": [true, "ppm"],
        "items.completed_count": [true, "count"],
      };
      const params: Record<string, Record<string, unknown>> = {
        "tickets.response_within_target_ppm": { targetSeconds: 60 },
        "tickets.resolution_within_target_ppm": { targetSeconds: 60 },
        "tickets.first_response_minutes": { percentile: 50 },
        "tickets.resolution_minutes": { percentile: 50 },
        "calls.service_level_ppm": { answerSeconds: 20 },
        "items.on_time_ppm": { targetSeconds: 60 },
      };
      for (const [kind, [higher, unit]] of Object.entries(expected)) {
        const [spec] = parseMetricSpecs({ metrics: [{ name: "x", kind, ...(params[kind] ?? {}) }] }, "m.json");
        expect([spec.kind.higherIsBetter(spec.params), spec.kind.unit(spec.params)], kind).to.deep.equal([
          higher,
          unit,
        ]);
        expect(spec.kind.defaultTolerance(spec.params), kind).to.deep.equal({ kind: "abs", amount: 0 });
      }
      const [ratio, value] = parseMetricSpecs(
        {
          metrics: [
            { name: "r", kind: "prometheus.ratio_ppm", total: "t", good: "g" },
            { name: "v", kind: "prometheus.value", query: "q", higherIsBetter: false },
          ],
        },
        "m.json",
      );
      expect(ratio.kind.defaultTolerance(ratio.params)).to.deep.equal({ kind: "abs", amount: 1000 });
      expect(value.kind.defaultTolerance(value.params)).to.deep.equal({ kind: "pct", percent: 1 });
    });

    it("keeps the probe metrics' bare names as kinds with parameters", function () {
      expect(specJson(bareSpec("latency_p99_ms") as MetricSpec)).to.deep.equal({
        name: "latency_p99_ms",
        kind: "probes.latency_ms",
        percentile: 99,
      });
      expect(bareSpec("uptime")).to.equal(undefined);
      expect(kindNamed("probes.availability_ppm")?.source).to.equal("probes");
    });
  });

  describe("spec files", function () {
    it("parses DESIGN.md's shape, fills defaults, and says what each metric means", function () {
      const specs = parseMetricSpecs(HELPDESK, "m.json");
      expect(specs.map(specJson)).to.deep.equal([
        HELPDESK.metrics[0],
        HELPDESK.metrics[1],
        { name: "CSAT", kind: "tickets.csat_ppm", satisfiedMin: 4 },
      ]);
      expect(describeSpec(specs[0])).to.match(/P1 tickets/);
    });

    it("lists every bad metric with its field path", function () {
      expect(
        specErrors({
          metrics: [
            { name: "a", kind: "tickets.response_within_target_ppm", targetSeconds: -1 },
            { name: "b", kind: "tickets.uptime" },
            { name: "a", kind: "tickets.csat_ppm", satisfied: 4 },
            { kind: "tickets.csat_ppm" },
            { name: "c", kind: "tickets.resolution_minutes", percentile: 0 },
            { name: "d", kind: "tickets.csat_ppm", priorities: [] },
          ],
          extra: 1,
        }),
      ).to.deep.equal([
        'extra: unknown field (the file holds "metrics")',
        "metrics[0].targetSeconds: must be 0..4294967295 seconds, got -1",
        `metrics[1].kind: "tickets.uptime" is not a kind (known: ${KINDS.map((k) => k.kind).join(", ")})`,
        "metrics[2].satisfied: tickets.csat_ppm takes only priorities, satisfiedMin",
        "metrics[3].name: must be a non-empty string, got undefined",
        "metrics[4].percentile: must be 1..100, got 0",
        "metrics[5].priorities: must be a non-empty list of strings, got []",
      ]);
    });

    it("refuses a name used twice, no metrics, more than 8, and a file that is not an object", function () {
      const csat = { kind: "tickets.csat_ppm" };
      expect(
        specErrors({
          metrics: [
            { name: "x", ...csat },
            { name: "x", ...csat },
          ],
        }),
      ).to.deep.equal(['metrics[1].name: "x" is already metrics[0]']);
      expect(specErrors({ metrics: [] })).to.deep.equal([
        "metrics: must list 1 to 8 metrics (the escrow's bound), got 0",
      ]);
      const nine = Array.from({ length: 9 }, (_, i) => ({ name: `m${i}`, ...csat }));
      expect(specErrors({ metrics: nine })).to.deep.equal([
        "metrics: must list 1 to 8 metrics (the escrow's bound), got 9",
      ]);
      expect(specErrors([1])).to.deep.equal(['(root): must be an object {"metrics": [...]}']);
      expect(specErrors({ metrics: "x" })).to.deep.equal(['metrics: must be a list, got "x"']);
    });
  });

  describe("selecting the agreement's metrics (--metrics, --metric-spec)", function () {
    const specs = parseMetricSpecs(HELPDESK, "m.json");

    it("takes the spec's metrics; --metrics, when also given, must be its names in order", function () {
      expect(selectSpecs(undefined, specs)).to.deep.equal(specs);
      expect(selectSpecs("P1 response within 1h,Resolution p90,CSAT", specs)).to.deep.equal(specs);
      expect(userError(() => selectSpecs("CSAT,Resolution p90,P1 response within 1h", specs))).to.equal(
        '--metrics: "CSAT,Resolution p90,P1 response within 1h" is not the metric spec\'s names in its order ("P1 response within 1h,Resolution p90,CSAT"); leave --metrics out with --metric-spec',
      );
    });

    it("without a spec, knows only the bare probe names and says how to use other kinds", function () {
      expect(userError(() => selectSpecs("availability_ppm,csat", undefined))).to.equal(
        '--metrics: unknown metric "csat" (known without a spec file: availability_ppm, latency_p50_ms, latency_p95_ms, latency_p99_ms; other kinds need --metric-spec FILE.json)',
      );
      expect(userError(() => selectSpecs(undefined, undefined))).to.match(/^--metrics: missing/);
    });

    it("checks count and directions against the agreement", function () {
      const up = { higherIsBetter: true };
      const down = { higherIsBetter: false };
      checkSpecsAgainstTerms(specs, [up, down, up], 7n, "--metric-spec m.json");
      expect(userError(() => checkSpecsAgainstTerms(specs, [up, down], 7n, "--metric-spec m.json"))).to.equal(
        "--metric-spec m.json: agreement 7 has 2 metric(s), but 3 were given (P1 response within 1h,Resolution p90,CSAT)",
      );
      expect(userError(() => checkSpecsAgainstTerms(specs, [up, up, up], 7n, "--metric-spec m.json"))).to.equal(
        '--metric-spec m.json: metric 1 of agreement 7 is higher-is-better, but "Resolution p90" (tickets.resolution_minutes) is not',
      );
    });
  });

  describe("co-signers compare specs (DESIGN.md, Co-signing)", function () {
    const ours = parseMetricSpecs(HELPDESK, "m.json");
    const theirs = ours.map(specJson);

    it("finds no difference in the same specs, also when theirs leave a default out", function () {
      expect(firstSpecDifference(theirs, ours)).to.equal(undefined);
      expect(firstSpecDifference([theirs[0], theirs[1], { name: "CSAT", kind: "tickets.csat_ppm" }], ours)).to.equal(
        undefined,
      );
    });

    it("names the first difference: count, name, kind, a parameter, an invalid spec", function () {
      expect(firstSpecDifference(theirs.slice(0, 2), ours)).to.equal(
        "it has 2 metric(s), ours are 3 (P1 response within 1h, Resolution p90, CSAT)",
      );
      expect(firstSpecDifference([theirs[0], { ...theirs[1], name: "p90" }, theirs[2]], ours)).to.equal(
        'metric 1 is "p90" in it but "Resolution p90" in ours',
      );
      expect(
        firstSpecDifference([theirs[0], { ...theirs[1], kind: "tickets.first_response_minutes" }, theirs[2]], ours),
      ).to.equal(
        'metric 1 ("Resolution p90") is of kind tickets.first_response_minutes in it but tickets.resolution_minutes in ours',
      );
      expect(firstSpecDifference([{ ...theirs[0], priorities: ["P1", "P2"] }, theirs[1], theirs[2]], ours)).to.equal(
        'metric 0 ("P1 response within 1h") has priorities ["P1","P2"] in it but ["P1"] in ours',
      );
      expect(firstSpecDifference([theirs[0], theirs[1], { ...theirs[2], satisfiedMin: 3 }], ours)).to.equal(
        'metric 2 ("CSAT") has satisfiedMin 3 in it but 4 in ours',
      );
      expect(firstSpecDifference([theirs[0], theirs[1], { ...theirs[2], satisfiedMin: 9 }], ours)).to.equal(
        "its metric 2.satisfiedMin: must be 1..5, got 9",
      );
    });
  });

  describe("tolerances", function () {
    const specs = parseMetricSpecs(
      { metrics: [...HELPDESK.metrics, { name: "a, b", kind: "prometheus.ratio_ppm", total: "t", bad: "b" }] },
      "m.json",
    );

    it("default by kind; set by name or by index (for names with commas)", function () {
      expect(parseTolerances(undefined, specs)).to.deep.equal([
        { kind: "abs", amount: 0 },
        { kind: "abs", amount: 0 },
        { kind: "abs", amount: 0 },
        { kind: "abs", amount: 1000 },
      ]);
      expect(parseTolerances("CSAT=500,3=2%,Resolution p90=1", specs)).to.deep.equal([
        { kind: "abs", amount: 0 },
        { kind: "abs", amount: 1 },
        { kind: "abs", amount: 500 },
        { kind: "pct", percent: 2 },
      ]);
    });

    it("names the metrics outside tolerance by their spec names", function () {
      const t = parseTolerances(undefined, specs);
      expect(
        outOfTolerance(specs, [950_000, 600, 900_000, 999_000], [950_000, 601, 900_000, 998_000], t).map((d) => [
          d.name,
          d.difference,
          d.allowed,
        ]),
      ).to.deep.equal([["Resolution p90", 1, 0]]);
    });
  });

  describe("units (terms-file thresholds and shown values)", function () {
    it("parses ratios, durations into the kind's unit exactly, and plain integers for counts", function () {
      expect(parseThreshold("ppm", "95%")).to.equal(950_000n);
      expect(parseThreshold("ppm", "99.95%")).to.equal(999_500n);
      expect(parseThreshold("ppm", "950000ppm")).to.equal(950_000n);
      expect(parseThreshold("minutes", "30min")).to.equal(30n);
      expect(parseThreshold("minutes", "4h")).to.equal(240n);
      expect(parseThreshold("minutes", "1.5h")).to.equal(90n);
      expect(parseThreshold("minutes", "1d")).to.equal(1440n);
      expect(parseThreshold("seconds", "20s")).to.equal(20n);
      expect(parseThreshold("seconds", "5min")).to.equal(300n);
      expect(parseThreshold("ms", "1.5s")).to.equal(1500n);
      expect(parseThreshold("count", 120)).to.equal(120n);
      expect(parseThreshold("count", "120")).to.equal(120n);
      expect(parseThreshold("number", 0)).to.equal(0n);
    });

    it("refuses what is not exact or not in the unit, saying why", function () {
      const bad = (unit: Parameters<typeof parseThreshold>[0], v: unknown) => userError(() => parseThreshold(unit, v));
      expect(bad("minutes", "90s")).to.equal('"90s" is not a whole number of minutes');
      expect(bad("minutes", "30")).to.equal('"30" is not a duration like "30min" (ms, s, min, h or d)');
      expect(bad("seconds", "1500ms")).to.equal('"1500ms" is not a whole number of seconds');
      expect(bad("ppm", "101%")).to.equal('"101%" is above 100%');
      expect(bad("count", 1.5)).to.equal("1.5 is not a whole number like 100");
      expect(bad("count", "12 tickets")).to.equal('"12 tickets" is not a whole number like 100');
      expect(bad("minutes", 30)).to.equal('30 must be a string like "30min"');
      expect(bad("minutes", "100000000h")).to.equal('"100000000h" is above 4294967295min (the escrow stores 32 bits)');
    });

    it("shows values in their unit", function () {
      expect(formatValue("ppm", 950_000)).to.equal("95%");
      expect(formatValue("ppm", 999_999)).to.equal("99.9999%");
      expect(formatValue("minutes", 90)).to.equal("90min");
      expect(formatValue("minutes", 1440)).to.equal("24h");
      expect(formatValue("minutes", 0)).to.equal("0min");
      expect(formatValue("seconds", 20)).to.equal("20s");
      expect(formatValue("seconds", 300)).to.equal("5min");
      expect(formatValue("seconds", 7200)).to.equal("2h");
      expect(formatValue("ms", 300)).to.equal("300ms");
      expect(formatValue("count", 1234)).to.equal("1234");
      expect(formatValue(undefined, 7)).to.equal("7");
    });
  });
});
