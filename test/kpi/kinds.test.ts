/**
 * The export kinds (DESIGN.md "Business KPIs") against hand-computed fixtures, at every edge the design names. The
 * period is [S, E) with S = 10000 and E = 20000 throughout; each expected value shows its arithmetic.
 */
import { expect } from "chai";
import { RuleError } from "../../scripts/lib/errors";
import { EXPORT_KINDS } from "../../scripts/lib/kpi/kinds/exports";
import { kindNamed } from "../../scripts/lib/kpi/registry";
import { describeSpec, parseSpec, specJson } from "../../scripts/lib/kpi/spec";
import type { AnyKind, CallTable, Computed, ItemTable, Period, TicketTable } from "../../scripts/lib/kpi/types";

const S = 10_000;
const E = 20_000;
const PERIOD: Period = { start: S, end: E };

interface T {
  p?: string;
  c: number;
  fr?: number;
  res?: number;
  rdue?: number;
  resdue?: number;
  csat?: number;
}
const v = (x: number | undefined): number => (x === undefined ? NaN : x);

function ticketTable(rows: T[]): TicketTable {
  return {
    length: rows.length,
    id: rows.map((_, i) => `T${i}`),
    priority: rows.map((r) => r.p ?? "P1"),
    createdAt: Float64Array.from(rows, (r) => r.c),
    firstResponseAt: Float64Array.from(rows, (r) => v(r.fr)),
    resolvedAt: Float64Array.from(rows, (r) => v(r.res)),
    responseDueAt: Float64Array.from(rows, (r) => v(r.rdue)),
    resolutionDueAt: Float64Array.from(rows, (r) => v(r.resdue)),
    csat: Float64Array.from(rows, (r) => v(r.csat)),
  };
}

interface C {
  o: number;
  an?: number;
  ab?: number;
  h?: number;
}
function callTable(rows: C[]): CallTable {
  return {
    length: rows.length,
    id: rows.map((_, i) => `C${i}`),
    offeredAt: Float64Array.from(rows, (r) => r.o),
    answeredAt: Float64Array.from(rows, (r) => v(r.an)),
    abandonedAt: Float64Array.from(rows, (r) => v(r.ab)),
    handleSeconds: Float64Array.from(rows, (r) => v(r.h)),
  };
}

interface I {
  r: number;
  done?: number;
  due?: number;
  qa?: 0 | 1;
  err?: number;
}
function itemTable(rows: I[]): ItemTable {
  return {
    length: rows.length,
    id: rows.map((_, i) => `I${i}`),
    receivedAt: Float64Array.from(rows, (r) => r.r),
    completedAt: Float64Array.from(rows, (r) => v(r.done)),
    dueAt: Float64Array.from(rows, (r) => v(r.due)),
    qaChecked: Uint8Array.from(rows, (r) => r.qa ?? 0),
    qaErrors: Float64Array.from(rows, (r) => (r.qa === 1 ? v(r.err) : NaN)),
  };
}

/** The kind's value for `params` (parsed as a spec would be) over `table` in PERIOD. */
function run(
  kind: string,
  params: Record<string, unknown>,
  table: TicketTable | CallTable | ItemTable,
  period = PERIOD,
): Computed {
  const spec = parseSpec({ name: "m", kind, ...params }, "metrics[0]");
  return spec.kind.compute(table, spec.params, period) as Computed;
}
const value = (
  kind: string,
  params: Record<string, unknown>,
  table: TicketTable | CallTable | ItemTable,
  period = PERIOD,
): number => run(kind, params, table, period).value;

function ruleError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(RuleError);
    return (err as Error).message;
  }
  expect.fail("expected a RuleError");
}

describe("KPI kinds: registry and specs", () => {
  it("lists the eleven export kinds under DESIGN.md's names, each with an exact default tolerance", () => {
    expect(EXPORT_KINDS.map((k) => k.kind)).to.deep.equal([
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
    ]);
    const row = (k: AnyKind, p: unknown): unknown[] => [k.source, k.params, k.higherIsBetter(p), k.unit(p)];
    const table: Record<string, unknown[]> = {};
    const required: Record<string, number> = { targetSeconds: 60, percentile: 50, answerSeconds: 20 };
    for (const k of EXPORT_KINDS) {
      const params = Object.fromEntries(k.params.filter((x) => x in required).map((x) => [x, required[x]]));
      const p = parseSpec({ name: "m", kind: k.kind, ...params }, "m").params;
      table[k.kind] = row(k, p);
      expect(k.defaultTolerance(p)).to.deep.equal({ kind: "abs", amount: 0 });
      expect(kindNamed(k.kind)).to.equal(k);
    }
    expect(table).to.deep.equal({
      "tickets.response_within_target_ppm": ["tickets", ["priorities", "targetSeconds"], true, "ppm"],
      "tickets.resolution_within_target_ppm": ["tickets", ["priorities", "targetSeconds"], true, "ppm"],
      "tickets.first_response_minutes": ["tickets", ["priorities", "percentile"], false, "minutes"],
      "tickets.resolution_minutes": ["tickets", ["priorities", "percentile"], false, "minutes"],
      "tickets.csat_ppm": ["tickets", ["priorities", "satisfiedMin"], true, "ppm"],
      "calls.service_level_ppm": ["calls", ["answerSeconds", "shortAbandonSeconds"], true, "ppm"],
      "calls.abandon_rate_ppm": ["calls", ["shortAbandonSeconds"], false, "ppm"],
      "calls.average_handle_seconds": ["calls", ["shortAbandonSeconds"], false, "seconds"],
      "items.on_time_ppm": ["items", ["targetSeconds"], true, "ppm"],
      "items.accuracy_ppm": ["items", [], true, "ppm"],
      "items.completed_count": ["items", [], true, "count"],
    });
  });

  it("normalises parameters in order with defaults, omitting priorities when omitted", () => {
    const json = (o: Record<string, unknown>): Record<string, unknown> => specJson(parseSpec({ name: "m", ...o }, "m"));
    expect(
      json({ kind: "tickets.response_within_target_ppm", targetSeconds: 3600, priorities: ["P1", "P2"] }),
    ).to.deep.equal({
      name: "m",
      kind: "tickets.response_within_target_ppm",
      priorities: ["P1", "P2"],
      targetSeconds: 3600,
    });
    expect(Object.keys(json({ kind: "tickets.resolution_within_target_ppm", targetSeconds: 0 }))).to.deep.equal([
      "name",
      "kind",
      "targetSeconds",
    ]);
    expect(json({ kind: "tickets.first_response_minutes", percentile: 90 })).to.deep.equal({
      name: "m",
      kind: "tickets.first_response_minutes",
      percentile: 90,
    });
    expect(json({ kind: "tickets.csat_ppm" })).to.deep.equal({ name: "m", kind: "tickets.csat_ppm", satisfiedMin: 4 });
    expect(json({ kind: "calls.service_level_ppm", answerSeconds: 20 })).to.deep.equal({
      name: "m",
      kind: "calls.service_level_ppm",
      answerSeconds: 20,
      shortAbandonSeconds: 5,
    });
    expect(json({ kind: "calls.abandon_rate_ppm", shortAbandonSeconds: 0 })).to.deep.equal({
      name: "m",
      kind: "calls.abandon_rate_ppm",
      shortAbandonSeconds: 0,
    });
    expect(json({ kind: "calls.average_handle_seconds" })).to.deep.equal({
      name: "m",
      kind: "calls.average_handle_seconds",
      shortAbandonSeconds: 5,
    });
    expect(json({ kind: "items.on_time_ppm", targetSeconds: 86_400 })).to.deep.equal({
      name: "m",
      kind: "items.on_time_ppm",
      targetSeconds: 86_400,
    });
    expect(json({ kind: "items.accuracy_ppm" })).to.deep.equal({ name: "m", kind: "items.accuracy_ppm" });
    expect(json({ kind: "items.completed_count" })).to.deep.equal({ name: "m", kind: "items.completed_count" });
  });

  it("validates parameters, naming the field", () => {
    const err = (o: Record<string, unknown>): string => ruleError(() => parseSpec({ name: "m", ...o }, "metrics[1]"));
    const R = "tickets.response_within_target_ppm";
    expect(err({ kind: R })).to.equal("metrics[1].targetSeconds: is required (a whole number, 0..4294967295 seconds)");
    expect(err({ kind: R, targetSeconds: -1 })).to.equal(
      "metrics[1].targetSeconds: must be 0..4294967295 seconds, got -1",
    );
    expect(err({ kind: R, targetSeconds: 1.5 })).to.equal(
      "metrics[1].targetSeconds: must be a whole number (0..4294967295 seconds), got 1.5",
    );
    expect(err({ kind: R, targetSeconds: 4_294_967_296 })).to.include("must be 0..4294967295 seconds");
    expect(err({ kind: R, targetSeconds: 60, priorities: [] })).to.equal(
      "metrics[1].priorities: must be a non-empty list of strings, got []",
    );
    expect(err({ kind: R, targetSeconds: 60, priorities: ["P1", "P1"] })).to.equal(
      'metrics[1].priorities[1]: "P1" is already priorities[0]',
    );
    expect(err({ kind: R, targetSeconds: 60, priorities: "P1" })).to.include(
      "metrics[1].priorities: must be a non-empty list",
    );
    expect(err({ kind: R, targetSeconds: 60, percentile: 90 })).to.equal(
      "metrics[1].percentile: tickets.response_within_target_ppm takes only priorities, targetSeconds",
    );
    expect(err({ kind: "tickets.resolution_minutes", percentile: 0 })).to.equal(
      "metrics[1].percentile: must be 1..100, got 0",
    );
    expect(err({ kind: "tickets.resolution_minutes", percentile: 101 })).to.equal(
      "metrics[1].percentile: must be 1..100, got 101",
    );
    expect(err({ kind: "tickets.first_response_minutes" })).to.include("metrics[1].percentile: is required");
    expect(err({ kind: "tickets.csat_ppm", satisfiedMin: 6 })).to.equal("metrics[1].satisfiedMin: must be 1..5, got 6");
    expect(err({ kind: "tickets.csat_ppm", satisfiedMin: 0 })).to.equal("metrics[1].satisfiedMin: must be 1..5, got 0");
    expect(err({ kind: "calls.service_level_ppm" })).to.include("metrics[1].answerSeconds: is required");
    expect(err({ kind: "calls.service_level_ppm", answerSeconds: -1 })).to.include("metrics[1].answerSeconds: must be");
    expect(err({ kind: "calls.abandon_rate_ppm", shortAbandonSeconds: 2.5 })).to.include(
      "metrics[1].shortAbandonSeconds: must be a whole number",
    );
    expect(err({ kind: "items.accuracy_ppm", targetSeconds: 60 })).to.equal(
      "metrics[1].targetSeconds: items.accuracy_ppm takes no parameters",
    );
  });

  it("describes each metric in plain words", () => {
    const d = (o: Record<string, unknown>): string => describeSpec(parseSpec({ name: "m", ...o }, "m"));
    expect(d({ kind: "tickets.response_within_target_ppm", priorities: ["P1", "P2"], targetSeconds: 3600 })).to.equal(
      "share of P1, P2 tickets first answered within 1h (or by their response_due_at), of those falling due in the period",
    );
    expect(d({ kind: "tickets.resolution_within_target_ppm", targetSeconds: 14_400 })).to.equal(
      "share of all tickets resolved within 4h (or by their resolution_due_at), of those falling due in the period",
    );
    expect(d({ kind: "tickets.first_response_minutes", priorities: ["P1"], percentile: 90 })).to.equal(
      "p90 of P1 tickets' first-response times in minutes (rounded up; those still unanswered at the end counted up to it)",
    );
    expect(d({ kind: "tickets.resolution_minutes", percentile: 50 })).to.equal(
      "p50 of all tickets' resolution times in minutes (rounded up; those still unresolved at the end counted up to it)",
    );
    expect(d({ kind: "tickets.csat_ppm" })).to.equal(
      "share of all tickets resolved in the period with a CSAT answer that rated 4 or more (of 5)",
    );
    expect(d({ kind: "calls.service_level_ppm", answerSeconds: 20 })).to.equal(
      "share of the calls offered in the period answered within 20s (abandons under 5s left out)",
    );
    expect(d({ kind: "calls.abandon_rate_ppm", shortAbandonSeconds: 0 })).to.equal(
      "share of the calls offered in the period that were abandoned (every abandon counted)",
    );
    expect(d({ kind: "calls.average_handle_seconds" })).to.equal(
      "average handle time of the calls offered in the period and answered, in seconds (abandons under 5s left out)",
    );
    expect(d({ kind: "items.on_time_ppm", targetSeconds: 1800 })).to.equal(
      "share of work items completed within 30min (or by their due_at), of those falling due in the period",
    );
    expect(d({ kind: "items.accuracy_ppm" })).to.equal(
      "share of the QA-checked work items completed in the period with no QA errors",
    );
    expect(d({ kind: "items.completed_count" })).to.equal("number of work items completed in the period");
  });
});

describe("KPI kinds: tickets", () => {
  const RESP = "tickets.response_within_target_ppm";
  // targetSeconds 3600 throughout.
  const within = ticketTable([
    /* a */ { c: S - 3600, fr: S }, //                  due S (= start: in D), answered at due: met
    /* b */ { c: E - 3600, fr: E - 3600 }, //           due E (= end: not in D)
    /* c */ { c: S, fr: S + 3600 }, //                  due S+3600, answered at due: met
    /* d */ { c: S, fr: S + 3601 }, //                  one second late: missed
    /* e */ { c: S + 100, rdue: S + 200, fr: S + 300 }, // response_due_at given: due S+200, missed
    /* f */ { c: S + 100, fr: S + 300 }, //             empty response_due_at: falls back to S+3700, met
    /* g */ { c: S + 100 }, //                          never answered: missed
    /* h */ { p: "p1", c: S, fr: S }, //                lower case: not P1
    /* i */ { p: "P2", c: S, fr: S + 10 }, //           met
  ]);

  it("response within target: due at the start counts, at the end does not; at the due time met, a second late missed", () => {
    // priorities [P1]: D = a,c,d,e,f,g (6), met = a,c,f (3): floor(1e6 * 3 / 6) = 500000
    const r = run(RESP, { priorities: ["P1"], targetSeconds: 3600 }, within);
    expect(r.value).to.equal(500_000);
    expect(r.derivation).to.deep.include({ selected: 7, due: 6, dueGiven: 1, met: 3 });
    expect(r.derivation.rule).to.include("due = response_due_at if present, else created_at + 3600");
  });

  it("response within target: the priorities filter is exact and case-sensitive; omitted = all tickets", () => {
    // all: D = a,c,d,e,f,g,h,i (8), met = a,c,f,h,i (5): floor(5e6 / 8) = 625000
    expect(value(RESP, { targetSeconds: 3600 }, within)).to.equal(625_000);
    // [P1, P2]: D = a,c,d,e,f,g,i (7), met = a,c,f,i (4): floor(4e6 / 7) = 571428
    expect(value(RESP, { priorities: ["P1", "P2"], targetSeconds: 3600 }, within)).to.equal(571_428);
    // [p1]: D = h (1), met 1: 1000000
    expect(value(RESP, { priorities: ["p1"], targetSeconds: 3600 }, within)).to.equal(1_000_000);
    // [P9]: D empty: 1000000
    const none = run(RESP, { priorities: ["P9"], targetSeconds: 3600 }, within);
    expect(none.value).to.equal(1_000_000);
    expect(none.derivation).to.deep.include({ selected: 0, due: 0, met: 0 });
    expect(value(RESP, { targetSeconds: 3600 }, ticketTable([]))).to.equal(1_000_000);
  });

  it("response within target: targetSeconds 0 means due at creation (an answer in the same second is met)", () => {
    // due = created_at (e: its response_due_at S+200): a (S-3600) is out; b (E-3600), c, d, e, f, g, h, i are in: D = 8
    // met: b (answered at creation) and h (likewise); the others answered later or never: floor(2e6 / 8) = 250000
    expect(value(RESP, { targetSeconds: 0 }, within)).to.equal(250_000);
  });

  it("resolution within target reads resolution_due_at and resolved_at (not the response columns)", () => {
    const t = ticketTable([
      { c: S, fr: S, res: S + 7200 }, //                   due S+7200: met at due
      { c: S, fr: S, res: S + 7201 }, //                   missed by a second
      { c: S, fr: S, resdue: S + 100, res: S + 200 }, //   due S+100 given: missed
      { c: S, rdue: S + 9000, res: S + 300 }, //           response_due_at is not the resolution's: due S+7200, met
      { c: E - 7200 }, //                                  due E: not in D
    ]);
    // D = 4, met = 2: 500000
    const r = run("tickets.resolution_within_target_ppm", { targetSeconds: 7200 }, t);
    expect(r.value).to.equal(500_000);
    expect(r.derivation).to.deep.include({ selected: 5, due: 4, dueGiven: 1, met: 2 });
  });

  const FRM = "tickets.first_response_minutes";
  const minutes = ticketTable([
    /* a */ { c: S - 120, fr: S + 1 }, //   answered in the period: 121 s -> ceil(121/60) = 3
    /* b */ { c: S, fr: S + 61 }, //        61 s -> 2
    /* c */ { c: S, fr: S + 60 }, //        60 s -> 1
    /* d */ { c: S + 5, fr: S + 5 }, //     0 s -> 0
    /* e */ { c: S - 1000, fr: S - 1 }, //  answered before the period: not counted
    /* f */ { c: E - 1 }, //                open at the end: ceil((E - (E-1)) / 60) = ceil(1/60) = 1
    /* g */ { c: E - 90, fr: E }, //        answered at the end = still open at it: ceil(90/60) = 2
    /* h */ { c: E }, //                    created at the end: not counted
    /* i */ { c: S - 3600 }, //             open all along: ceil((E - S + 3600) / 60) = ceil(13600/60) = 227
    /* j */ { c: E - 61, fr: E - 1 }, //    answered in the last second: 60 s -> 1
    /* k */ { p: "P2", c: S, fr: S + 600 }, // P2: 10 min
  ]);

  it("first-response minutes: rounded up (61 s -> 2, 60 s -> 1, 0 s -> 0), open tickets counted up to the end", () => {
    // [P1] values: a3 b2 c1 d0 f1 g2 i227 j1 -> sorted 0,1,1,1,2,2,3,227 (n = 8)
    const p = (percentile: number): Computed => run(FRM, { priorities: ["P1"], percentile }, minutes);
    // p50: index ceil(50*8/100) - 1 = 3 -> 1
    expect(p(50).value).to.equal(1);
    // p75: index ceil(6) - 1 = 5 -> 2
    expect(p(75).value).to.equal(2);
    // p80: index ceil(6.4) - 1 = 6 -> 3
    expect(p(80).value).to.equal(3);
    // p90: index ceil(7.2) - 1 = 7 -> 227
    expect(p(90).value).to.equal(227);
    // p1: index ceil(0.08) - 1 = 0 -> 0; p100: index 7 -> 227
    expect(p(1).value).to.equal(0);
    expect(p(100).value).to.equal(227);
    expect(p(90).derivation).to.deep.include({
      selected: 10,
      inPeriod: 5,
      openAtEnd: 3,
      n: 8,
      index: 7,
      percentile: 90,
    });
    // all: adds k's 10 -> 0,1,1,1,2,2,3,10,227 (n = 9); p80: index ceil(7.2) - 1 = 7 -> 10
    expect(value(FRM, { percentile: 80 }, minutes)).to.equal(10);
  });

  it("percentile ranks: p90 of 10 values is the 9th", () => {
    // durations 1..10 minutes, all answered in the period
    const t = ticketTable(Array.from({ length: 10 }, (_, i) => ({ c: S, fr: S + 60 * (i + 1) })));
    // index ceil(90 * 10 / 100) - 1 = 8: the 9th value, 9
    const r = run(FRM, { percentile: 90 }, t);
    expect(r.value).to.equal(9);
    expect(r.derivation).to.deep.include({ n: 10, index: 8 });
    // p91: ceil(9.1) - 1 = 9 -> 10; p10: ceil(1) - 1 = 0 -> 1; p11: ceil(1.1) - 1 = 1 -> 2
    expect(value(FRM, { percentile: 91 }, t)).to.equal(10);
    expect(value(FRM, { percentile: 10 }, t)).to.equal(1);
    expect(value(FRM, { percentile: 11 }, t)).to.equal(2);
  });

  it("first-response minutes: 0 when there is no duration", () => {
    const r = run(FRM, { percentile: 95 }, ticketTable([{ c: E }, { c: S - 10, fr: S - 1 }]));
    expect(r.value).to.equal(0);
    expect(r.derivation).to.deep.include({ n: 0, index: null });
    expect(value(FRM, { priorities: ["P9"], percentile: 50 }, minutes)).to.equal(0);
  });

  it("resolution minutes reads resolved_at", () => {
    const t = ticketTable([
      { c: S, fr: S + 1, res: S + 3600 }, //   60 min
      { c: S, fr: S + 1, res: S + 3601 }, //   ceil(3601/60) = 61
      { c: S - 60, fr: S }, //                 unresolved: ceil((E - S + 60)/60) = ceil(10060/60) = 168
      { c: S, fr: S, res: S }, //               resolved at creation: 0
    ]);
    // sorted 0, 60, 61, 168; p50: index ceil(2) - 1 = 1 -> 60; p51: index ceil(2.04) - 1 = 2 -> 61; p100 -> 168
    expect(value("tickets.resolution_minutes", { percentile: 50 }, t)).to.equal(60);
    expect(value("tickets.resolution_minutes", { percentile: 51 }, t)).to.equal(61);
    expect(value("tickets.resolution_minutes", { percentile: 100 }, t)).to.equal(168);
  });

  it("csat: resolved in the period with an answer; satisfiedMin defaults to 4", () => {
    const t = ticketTable([
      { c: S, res: S, csat: 4 }, //           satisfied
      { c: S, res: E - 1, csat: 3 }, //       not
      { c: S, res: E, csat: 5 }, //           resolved at the end: out
      { c: S - 5, res: S - 1, csat: 5 }, //   before the period: out
      { c: S, res: S + 10 }, //               no answer: out
      { c: S, res: S + 10, csat: 5 }, //      satisfied
      { c: S, csat: 5 }, //                   not resolved: out
      { p: "P2", c: S, res: S, csat: 1 }, //  P2
    ]);
    // all: R = 4 (4, 3, 5, 1), satisfied 2: 500000
    expect(value("tickets.csat_ppm", {}, t)).to.equal(500_000);
    // [P1]: R = 3 (4, 3, 5), satisfied 2: floor(2e6 / 3) = 666666
    const r = run("tickets.csat_ppm", { priorities: ["P1"] }, t);
    expect(r.value).to.equal(666_666);
    expect(r.derivation).to.deep.include({ selected: 7, rated: 3, satisfied: 2 });
    // satisfiedMin 3: 3/3; 5: floor(1e6 / 3) = 333333; 1 over all: 4/4
    expect(value("tickets.csat_ppm", { priorities: ["P1"], satisfiedMin: 3 }, t)).to.equal(1_000_000);
    expect(value("tickets.csat_ppm", { priorities: ["P1"], satisfiedMin: 5 }, t)).to.equal(333_333);
    expect(value("tickets.csat_ppm", { satisfiedMin: 1 }, t)).to.equal(1_000_000);
    // R empty: 1000000
    expect(value("tickets.csat_ppm", { priorities: ["P9"] }, t)).to.equal(1_000_000);
  });
});

describe("KPI kinds: calls", () => {
  const t = callTable([
    /* 1 */ { o: S, an: S + 20, h: 100 }, //      answered at exactly answerSeconds: met
    /* 2 */ { o: S, an: S + 21, h: 200 }, //      a second late
    /* 3 */ { o: S, ab: S + 4 }, //               4 s: one under shortAbandonSeconds 5, a short abandon (out of V)
    /* 4 */ { o: S, ab: S + 5 }, //               5 s: at it, an abandon
    /* 5 */ { o: S - 1, an: S, h: 999 }, //       offered before the period
    /* 6 */ { o: E, an: E + 1, h: 999 }, //       offered at the end
    /* 7 */ { o: E - 1 }, //                      still queued: in V, neither
    /* 8 */ { o: S + 10, an: E + 100, h: 301 }, // answered after the end: answered, late
  ]);
  // V = 1, 2, 4, 7, 8 (5)

  it("service level: an answer at exactly answerSeconds is met; short abandons are out of V", () => {
    // #(answered within 20) = 1 (call 1): floor(1e6 / 5) = 200000
    const r = run("calls.service_level_ppm", { answerSeconds: 20 }, t);
    expect(r.value).to.equal(200_000);
    expect(r.derivation).to.deep.include({ offered: 6, shortAbandons: 1, counted: 5, answeredWithin: 1 });
    // answerSeconds 21: calls 1, 2: 400000
    expect(value("calls.service_level_ppm", { answerSeconds: 21 }, t)).to.equal(400_000);
    // shortAbandonSeconds 0: V adds call 3 (6): floor(1e6 / 6) = 166666
    expect(value("calls.service_level_ppm", { answerSeconds: 20, shortAbandonSeconds: 0 }, t)).to.equal(166_666);
    // shortAbandonSeconds 6: calls 3 and 4 are short: V = 1, 2, 7, 8 (4): 250000
    expect(value("calls.service_level_ppm", { answerSeconds: 20, shortAbandonSeconds: 6 }, t)).to.equal(250_000);
    expect(value("calls.service_level_ppm", { answerSeconds: 20 }, callTable([{ o: S, ab: S + 1 }]))).to.equal(
      1_000_000,
    );
  });

  it("abandon rate: an abandon at shortAbandonSeconds counts, one a second under does not; 0 when V is empty", () => {
    // abandoned in V: call 4 (1): floor(1e6 / 5) = 200000
    const r = run("calls.abandon_rate_ppm", {}, t);
    expect(r.value).to.equal(200_000);
    expect(r.derivation).to.deep.include({ counted: 5, abandoned: 1 });
    // shortAbandonSeconds 0: calls 3, 4 of 6: floor(2e6 / 6) = 333333
    expect(value("calls.abandon_rate_ppm", { shortAbandonSeconds: 0 }, t)).to.equal(333_333);
    expect(value("calls.abandon_rate_ppm", {}, callTable([]))).to.equal(0);
    expect(value("calls.abandon_rate_ppm", {}, callTable([{ o: S, ab: S + 4 }]))).to.equal(0);
  });

  it("average handle: floor(sum / #answered) over V; 0 when none answered", () => {
    // answered in V: 1, 2, 8: floor((100 + 200 + 301) / 3) = floor(200.33) = 200
    const r = run("calls.average_handle_seconds", {}, t);
    expect(r.value).to.equal(200);
    expect(r.derivation).to.deep.include({ answered: 3, handleSecondsSum: "601" });
    expect(value("calls.average_handle_seconds", {}, callTable([{ o: S }, { o: S, ab: S + 9 }]))).to.equal(0);
    // sums beyond 2^53 stay exact: (2^53 - 1) * 2 + 1 = 2^54 - 1 = 18014398509481983; the average clamps to uint32
    const big = callTable([
      { o: S, an: S, h: 2 ** 53 - 1 },
      { o: S, an: S, h: 2 ** 53 - 1 },
      { o: S, an: S, h: 1 },
    ]);
    const b = run("calls.average_handle_seconds", {}, big);
    expect(b.derivation.handleSecondsSum).to.equal("18014398509481983");
    expect(b.value).to.equal(4_294_967_295);
  });
});

describe("KPI kinds: work items", () => {
  it("on time: due at the start counts, at the end does not; due_at falls back row by row", () => {
    const t = itemTable([
      { r: S - 3600, done: S }, //                  due S: in D, completed at due: met
      { r: E - 3600, done: E - 3600 }, //           due E: not in D
      { r: S, due: S + 100, done: S + 101 }, //     due_at given: a second late
      { r: S, done: S + 101 }, //                   empty due_at: due S+3600, met
      { r: S }, //                                  not completed: missed
      { r: S, due: E - 1, done: E + 5 }, //         completed after the end and after due: missed
    ]);
    // D = 5, met = 2: floor(2e6 / 5) = 400000
    const r = run("items.on_time_ppm", { targetSeconds: 3600 }, t);
    expect(r.value).to.equal(400_000);
    expect(r.derivation).to.deep.include({ items: 6, due: 5, dueGiven: 2, met: 2 });
    expect(value("items.on_time_ppm", { targetSeconds: 3600 }, itemTable([{ r: E }]))).to.equal(1_000_000);
  });

  it("accuracy: QA-checked items completed in the period; 1000000 when there are none", () => {
    const t = itemTable([
      { r: S, done: S, qa: 1, err: 0 }, //      error-free
      { r: S, done: E - 1, qa: 1, err: 2 }, //  errors
      { r: S, done: E, qa: 1, err: 0 }, //      completed at the end: out
      { r: S, done: S, qa: 0 }, //              not checked: out
      { r: S, qa: 1, err: 0 }, //               not completed: out
      { r: S, done: S + 1, qa: 1, err: 0 }, //  error-free
    ]);
    // Q = 3, error-free 2: floor(2e6 / 3) = 666666
    const r = run("items.accuracy_ppm", {}, t);
    expect(r.value).to.equal(666_666);
    expect(r.derivation).to.deep.include({ checked: 3, errorFree: 2 });
    expect(value("items.accuracy_ppm", {}, itemTable([{ r: S, done: S }]))).to.equal(1_000_000);
  });

  it("completed count: start <= completed_at < end", () => {
    const t = itemTable([{ r: 0, done: S - 1 }, { r: 0, done: S }, { r: 0, done: E - 1 }, { r: 0, done: E }, { r: 0 }]);
    // S and E - 1: 2
    const r = run("items.completed_count", {}, t);
    expect(r.value).to.equal(2);
    expect(r.derivation).to.deep.include({ items: 5, completed: 2 });
    expect(value("items.completed_count", {}, itemTable([]))).to.equal(0);
  });
});
