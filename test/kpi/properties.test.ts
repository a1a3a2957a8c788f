/**
 * Properties of the export kinds and parsers (DESIGN.md "Business KPIs"): on random tables, with absent fields and
 * times bunched around the period's start and end, each kind's value equals a second, straightforward
 * implementation written here (arrays of objects, filter/map/sort, BigInt divisions: nothing shared with the
 * modules); and any export written in any column order, time style and quoting parses back to its rows.
 */
import { expect } from "chai";
import fc from "fast-check";
import { parseCallsCsv } from "../../scripts/lib/kpi/exports/calls";
import { parseItemsCsv } from "../../scripts/lib/kpi/exports/items";
import { parseTicketsCsv } from "../../scripts/lib/kpi/exports/tickets";
import { parseSpec } from "../../scripts/lib/kpi/spec";
import type { CallTable, Computed, ItemTable, Period, TicketTable } from "../../scripts/lib/kpi/types";

const RUNS = 300;

// ---- generators -------------------------------------------------------------------------------------------------

/** A time relative to the period: near its start or end (a few seconds either way) or anywhere. */
type When = { at: "start" | "end" | "abs"; d: number };
const when: fc.Arbitrary<When> = fc.oneof(
  fc.record({ at: fc.constantFrom<"start" | "end">("start", "end"), d: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ at: fc.constantFrom<"start" | "end">("start", "end"), d: fc.integer({ min: -4000, max: 4000 }) }),
  fc.record({ at: fc.constant<"abs">("abs"), d: fc.integer({ min: 0, max: 30_000 }) }),
);
const resolve = (w: When, p: Period): number =>
  Math.max(0, w.at === "start" ? p.start + w.d : w.at === "end" ? p.end + w.d : w.d);
const period: fc.Arbitrary<Period> = fc
  .record({ start: fc.integer({ min: 5000, max: 15_000 }), len: fc.integer({ min: 1, max: 8000 }) })
  .map(({ start, len }) => ({ start, end: start + len }));
const PRIORITIES = ["P1", "P2", "p1", "P3"];
const priorities = fc.option(fc.subarray(PRIORITIES, { minLength: 1 }), { nil: undefined });

interface Ticket {
  p: string;
  c: number;
  fr?: number;
  res?: number;
  rdue?: number;
  resdue?: number;
  csat?: number;
}
/** A ticket whose events are not before its creation (what the parser guarantees). */
const ticketGen = (pd: Period): fc.Arbitrary<Ticket> =>
  fc
    .record({
      p: fc.constantFrom(...PRIORITIES),
      c: when,
      fr: fc.option(when, { nil: undefined }),
      res: fc.option(when, { nil: undefined }),
      rdue: fc.option(when, { nil: undefined }),
      resdue: fc.option(when, { nil: undefined }),
      csat: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    })
    .map((g) => {
      const c = resolve(g.c, pd);
      const after = (w: When | undefined): number | undefined =>
        w === undefined ? undefined : Math.max(c, resolve(w, pd));
      const at = (w: When | undefined): number | undefined => (w === undefined ? undefined : resolve(w, pd));
      return { p: g.p, c, fr: after(g.fr), res: after(g.res), rdue: at(g.rdue), resdue: at(g.resdue), csat: g.csat };
    });

interface Call {
  o: number;
  an?: number;
  ab?: number;
  h?: number;
}
const callGen = (pd: Period): fc.Arbitrary<Call> =>
  fc
    .record({
      o: when,
      fate: fc.constantFrom("answered", "abandoned", "queued"),
      wait: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 5000 })),
      h: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 4_294_967_295 })),
    })
    .map((g) => {
      const o = resolve(g.o, pd);
      if (g.fate === "answered") return { o, an: o + g.wait, h: g.h };
      if (g.fate === "abandoned") return { o, ab: o + g.wait };
      return { o };
    });

interface Item {
  r: number;
  done?: number;
  due?: number;
  qa: 0 | 1;
  err?: number;
}
const itemGen = (pd: Period): fc.Arbitrary<Item> =>
  fc
    .record({
      r: when,
      done: fc.option(when, { nil: undefined }),
      due: fc.option(when, { nil: undefined }),
      qa: fc.constantFrom<0 | 1>(0, 1),
      err: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
    })
    .map((g) => {
      const r = resolve(g.r, pd);
      return {
        r,
        done: g.done === undefined ? undefined : Math.max(r, resolve(g.done, pd)),
        due: g.due === undefined ? undefined : resolve(g.due, pd),
        qa: g.qa,
        err: g.qa === 1 ? g.err : undefined,
      };
    });

const withRows = <R>(gen: (p: Period) => fc.Arbitrary<R>): fc.Arbitrary<{ pd: Period; rows: R[] }> =>
  period.chain((pd) => fc.record({ pd: fc.constant(pd), rows: fc.array(gen(pd), { maxLength: 40 }) }));

// ---- tables from rows (the kinds' input) ------------------------------------------------------------------------

const nan = (x: number | undefined): number => (x === undefined ? NaN : x);
const ticketTable = (rows: Ticket[]): TicketTable => ({
  length: rows.length,
  id: rows.map((_, i) => `T${i}`),
  priority: rows.map((r) => r.p),
  createdAt: Float64Array.from(rows.map((r) => r.c)),
  firstResponseAt: Float64Array.from(rows.map((r) => nan(r.fr))),
  resolvedAt: Float64Array.from(rows.map((r) => nan(r.res))),
  responseDueAt: Float64Array.from(rows.map((r) => nan(r.rdue))),
  resolutionDueAt: Float64Array.from(rows.map((r) => nan(r.resdue))),
  csat: Float64Array.from(rows.map((r) => nan(r.csat))),
});
const callTable = (rows: Call[]): CallTable => ({
  length: rows.length,
  id: rows.map((_, i) => `C${i}`),
  offeredAt: Float64Array.from(rows.map((r) => r.o)),
  answeredAt: Float64Array.from(rows.map((r) => nan(r.an))),
  abandonedAt: Float64Array.from(rows.map((r) => nan(r.ab))),
  handleSeconds: Float64Array.from(rows.map((r) => nan(r.h))),
});
const itemTable = (rows: Item[]): ItemTable => ({
  length: rows.length,
  id: rows.map((_, i) => `I${i}`),
  receivedAt: Float64Array.from(rows.map((r) => r.r)),
  completedAt: Float64Array.from(rows.map((r) => nan(r.done))),
  dueAt: Float64Array.from(rows.map((r) => nan(r.due))),
  qaChecked: Uint8Array.from(rows.map((r) => r.qa)),
  qaErrors: Float64Array.from(rows.map((r) => nan(r.err))),
});

function kindValue(
  kind: string,
  params: Record<string, unknown>,
  table: TicketTable | CallTable | ItemTable,
  pd: Period,
): number {
  const spec = parseSpec({ name: "m", kind, ...params }, "m");
  return (spec.kind.compute(table, spec.params, pd) as Computed).value;
}

// ---- the reference: DESIGN.md's rules read literally -------------------------------------------------------------

const within = (pd: Period, x: number | undefined): x is number => x !== undefined && pd.start <= x && x < pd.end;
/** floor(1e6 * part / whole) in BigInt, or `empty` when whole is 0. */
const ppmRef = (part: number, whole: number, empty: number): number =>
  whole === 0 ? empty : Number((1_000_000n * BigInt(part)) / BigInt(whole));
const ceilDiv60 = (s: number): number => Number((BigInt(s) + 59n) / 60n);
const nearestRankRef = (values: number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  // the smallest rank k (1-based) with k / n >= p / 100
  let k = 1;
  while (k * 100 < p * sorted.length) k++;
  return sorted[k - 1];
};
const selected = (rows: Ticket[], prios: string[] | undefined): Ticket[] =>
  prios === undefined ? rows : rows.filter((r) => prios.includes(r.p));

function withinTargetRef(
  rows: Ticket[],
  prios: string[] | undefined,
  target: number,
  pd: Period,
  event: (t: Ticket) => number | undefined,
  dueField: (t: Ticket) => number | undefined,
): number {
  const due = (t: Ticket): number => dueField(t) ?? t.c + target;
  const D = selected(rows, prios).filter((t) => within(pd, due(t)));
  const met = D.filter((t) => {
    const e = event(t);
    return e !== undefined && e <= due(t);
  });
  return ppmRef(met.length, D.length, 1_000_000);
}

function minutesRef(
  rows: Ticket[],
  prios: string[] | undefined,
  p: number,
  pd: Period,
  event: (t: Ticket) => number | undefined,
): number {
  const F = selected(rows, prios);
  const done = F.filter((t) => within(pd, event(t))).map((t) => ceilDiv60((event(t) as number) - t.c));
  const open = F.filter((t) => {
    const e = event(t);
    return t.c < pd.end && (e === undefined || e >= pd.end);
  }).map((t) => ceilDiv60(pd.end - t.c));
  return nearestRankRef([...done, ...open], p);
}

function callsV(rows: Call[], pd: Period, short: number): Call[] {
  return rows.filter((c) => within(pd, c.o)).filter((c) => !(c.ab !== undefined && c.ab - c.o < short));
}

describe("KPI kinds: properties against a literal reading of DESIGN.md", () => {
  const target = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 6000 }));
  const pct = fc.oneof(fc.constantFrom(1, 50, 90, 95, 99, 100), fc.integer({ min: 1, max: 100 }));

  it("tickets.response_within_target_ppm and tickets.resolution_within_target_ppm", () => {
    fc.assert(
      fc.property(withRows(ticketGen), priorities, target, ({ pd, rows }, prios, targetSeconds) => {
        const t = ticketTable(rows);
        const params = prios === undefined ? { targetSeconds } : { priorities: prios, targetSeconds };
        expect(kindValue("tickets.response_within_target_ppm", params, t, pd)).to.equal(
          withinTargetRef(
            rows,
            prios,
            targetSeconds,
            pd,
            (x) => x.fr,
            (x) => x.rdue,
          ),
        );
        expect(kindValue("tickets.resolution_within_target_ppm", params, t, pd)).to.equal(
          withinTargetRef(
            rows,
            prios,
            targetSeconds,
            pd,
            (x) => x.res,
            (x) => x.resdue,
          ),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("tickets.first_response_minutes and tickets.resolution_minutes", () => {
    fc.assert(
      fc.property(withRows(ticketGen), priorities, pct, ({ pd, rows }, prios, percentile) => {
        const t = ticketTable(rows);
        const params = prios === undefined ? { percentile } : { priorities: prios, percentile };
        expect(kindValue("tickets.first_response_minutes", params, t, pd)).to.equal(
          minutesRef(rows, prios, percentile, pd, (x) => x.fr),
        );
        expect(kindValue("tickets.resolution_minutes", params, t, pd)).to.equal(
          minutesRef(rows, prios, percentile, pd, (x) => x.res),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("tickets.csat_ppm", () => {
    fc.assert(
      fc.property(
        withRows(ticketGen),
        priorities,
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        ({ pd, rows }, prios, satisfiedMin) => {
          const params: Record<string, unknown> = {};
          if (prios !== undefined) params.priorities = prios;
          if (satisfiedMin !== undefined) params.satisfiedMin = satisfiedMin;
          const R = selected(rows, prios).filter((x) => within(pd, x.res) && x.csat !== undefined);
          const good = R.filter((x) => (x.csat as number) >= (satisfiedMin ?? 4));
          expect(kindValue("tickets.csat_ppm", params, ticketTable(rows), pd)).to.equal(
            ppmRef(good.length, R.length, 1_000_000),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("calls.service_level_ppm, calls.abandon_rate_ppm, calls.average_handle_seconds", () => {
    fc.assert(
      fc.property(
        withRows(callGen),
        fc.integer({ min: 0, max: 40 }),
        fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
        ({ pd, rows }, answerSeconds, short) => {
          const t = callTable(rows);
          const shortParam = short === undefined ? {} : { shortAbandonSeconds: short };
          const V = callsV(rows, pd, short ?? 5);
          const answered = V.filter((c) => c.an !== undefined);
          const fast = answered.filter((c) => (c.an as number) - c.o <= answerSeconds);
          const abandoned = V.filter((c) => c.ab !== undefined);
          const sum = answered.reduce((a, c) => a + BigInt(c.h as number), 0n);
          const avg = answered.length === 0 ? 0 : Number(sum / BigInt(answered.length));
          expect(kindValue("calls.service_level_ppm", { answerSeconds, ...shortParam }, t, pd)).to.equal(
            ppmRef(fast.length, V.length, 1_000_000),
          );
          expect(kindValue("calls.abandon_rate_ppm", shortParam, t, pd)).to.equal(
            ppmRef(abandoned.length, V.length, 0),
          );
          expect(kindValue("calls.average_handle_seconds", shortParam, t, pd)).to.equal(Math.min(avg, 4_294_967_295));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("items.on_time_ppm, items.accuracy_ppm, items.completed_count", () => {
    fc.assert(
      fc.property(withRows(itemGen), target, ({ pd, rows }, targetSeconds) => {
        const t = itemTable(rows);
        const due = (x: Item): number => x.due ?? x.r + targetSeconds;
        const D = rows.filter((x) => within(pd, due(x)));
        const met = D.filter((x) => x.done !== undefined && x.done <= due(x));
        expect(kindValue("items.on_time_ppm", { targetSeconds }, t, pd)).to.equal(
          ppmRef(met.length, D.length, 1_000_000),
        );
        const Q = rows.filter((x) => x.qa === 1 && within(pd, x.done));
        expect(kindValue("items.accuracy_ppm", {}, t, pd)).to.equal(
          ppmRef(Q.filter((x) => x.err === 0).length, Q.length, 1_000_000),
        );
        expect(kindValue("items.completed_count", {}, t, pd)).to.equal(rows.filter((x) => within(pd, x.done)).length);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---- the parsers: any way of writing an export reads back its rows -----------------------------------------------

/** How one time is written: unix seconds, ISO in Z (maybe with a fraction), or ISO at an offset in minutes. */
type Style = { kind: "unix" } | { kind: "z"; frac: string } | { kind: "offset"; minutes: number; frac: string };
const style: fc.Arbitrary<Style> = fc.oneof(
  fc.constant<Style>({ kind: "unix" }),
  fc.record({ kind: fc.constant<"z">("z"), frac: fc.constantFrom("", ".0", ".5", ".999", ".123456") }),
  fc.record({
    kind: fc.constant<"offset">("offset"),
    minutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
    frac: fc.constantFrom("", ".75"),
  }),
);
const two = (n: number): string => String(n).padStart(2, "0");
/** Writes `unix` in `s` with Date (not the parser's calendar): the local time at the offset, then the offset. */
function writeTime(unix: number, s: Style): string {
  if (s.kind === "unix") return String(unix);
  const minutes = s.kind === "offset" ? s.minutes : 0;
  const local = new Date((unix + minutes * 60) * 1000).toISOString().slice(0, 19);
  if (s.kind === "z" || minutes === 0) return `${local}${s.frac}Z`;
  const a = Math.abs(minutes);
  return `${local}${s.frac}${minutes < 0 ? "-" : "+"}${two(Math.floor(a / 60))}:${two(a % 60)}`;
}
/** A field, quoted when it must be or when `quote` says so. */
const field = (text: string, quote: boolean): string =>
  quote || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;

/** An export: the header in `order`, the rows' fields in it, with an ignored free-text column mixed in. */
function writeCsv(
  order: string[],
  rows: Record<string, string>[],
  quotes: boolean[],
  eol: string,
  bom: boolean,
): string {
  const lines = [order.map((c, i) => field(c, quotes[i % quotes.length])).join(",")];
  rows.forEach((r, k) => lines.push(order.map((c, i) => field(r[c] ?? "", quotes[(k + i) % quotes.length])).join(",")));
  return (bom ? "\uFEFF" : "") + lines.join(eol) + eol;
}

const layout = fc.record({
  seed: fc.integer(),
  quotes: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
  eol: fc.constantFrom("\n", "\r\n"),
  bom: fc.boolean(),
  styles: fc.array(style, { minLength: 1, maxLength: 5 }),
});
/** The columns in an order the seed picks. */
function shuffled(cols: string[], seed: number): string[] {
  const out = [...cols];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
const NOTES = ['say "hi", please', "two\nlines", "", "plain"];

describe("KPI exports: properties (any column order, time style and quoting reads back)", () => {
  it("tickets", () => {
    fc.assert(
      fc.property(withRows(ticketGen), layout, ({ rows }, l) => {
        let s = 0;
        const t = (x: number | undefined): string =>
          x === undefined ? "" : writeTime(x, l.styles[s++ % l.styles.length]);
        const cols = ["ticket_id", "priority", "created_at", "first_response_at", "resolved_at"];
        const opt = ["response_due_at", "resolution_due_at", "csat", "note"].filter((_, i) => (l.seed >> i) & 1);
        const written = rows.map((r, i) => ({
          ticket_id: `T-${i}`,
          priority: r.p,
          created_at: t(r.c),
          first_response_at: t(r.fr),
          resolved_at: t(r.res),
          response_due_at: t(r.rdue),
          resolution_due_at: t(r.resdue),
          csat: r.csat === undefined ? "" : String(r.csat),
          note: NOTES[i % NOTES.length],
        }));
        const has = (c: string): boolean => opt.includes(c);
        const table = parseTicketsCsv(
          writeCsv(shuffled([...cols, ...opt], l.seed), written, l.quotes, l.eol, l.bom),
          "t",
        );
        expect(table.length).to.equal(rows.length);
        expect(table.id).to.deep.equal(rows.map((_, i) => `T-${i}`));
        expect(table.priority).to.deep.equal(rows.map((r) => r.p));
        expect([...table.createdAt]).to.deep.equal(rows.map((r) => r.c));
        expect([...table.firstResponseAt]).to.deep.equal(rows.map((r) => nan(r.fr)));
        expect([...table.resolvedAt]).to.deep.equal(rows.map((r) => nan(r.res)));
        expect([...table.responseDueAt]).to.deep.equal(rows.map((r) => (has("response_due_at") ? nan(r.rdue) : NaN)));
        expect([...table.resolutionDueAt]).to.deep.equal(
          rows.map((r) => (has("resolution_due_at") ? nan(r.resdue) : NaN)),
        );
        expect([...table.csat]).to.deep.equal(rows.map((r) => (has("csat") ? nan(r.csat) : NaN)));
      }),
      { numRuns: 150 },
    );
  });

  it("calls", () => {
    fc.assert(
      fc.property(withRows(callGen), layout, ({ rows }, l) => {
        let s = 0;
        const t = (x: number | undefined): string =>
          x === undefined ? "" : writeTime(x, l.styles[s++ % l.styles.length]);
        const cols = ["call_id", "offered_at", "answered_at", "abandoned_at", "handle_seconds", "queue"];
        const written = rows.map((r, i) => ({
          call_id: `C${i}`,
          offered_at: t(r.o),
          answered_at: t(r.an),
          abandoned_at: t(r.ab),
          handle_seconds: r.h === undefined ? "" : String(r.h),
          queue: NOTES[i % NOTES.length],
        }));
        const table = parseCallsCsv(writeCsv(shuffled(cols, l.seed), written, l.quotes, l.eol, l.bom), "c");
        expect([...table.offeredAt]).to.deep.equal(rows.map((r) => r.o));
        expect([...table.answeredAt]).to.deep.equal(rows.map((r) => nan(r.an)));
        expect([...table.abandonedAt]).to.deep.equal(rows.map((r) => nan(r.ab)));
        expect([...table.handleSeconds]).to.deep.equal(rows.map((r) => nan(r.h)));
      }),
      { numRuns: 150 },
    );
  });

  it("work items", () => {
    fc.assert(
      fc.property(withRows(itemGen), layout, ({ rows }, l) => {
        let s = 0;
        const t = (x: number | undefined): string =>
          x === undefined ? "" : writeTime(x, l.styles[s++ % l.styles.length]);
        const withQa = (l.seed & 1) === 1;
        const cols = [
          "item_id",
          "received_at",
          "completed_at",
          "due_at",
          ...(withQa ? ["qa_checked", "qa_errors"] : []),
        ];
        const written = rows.map((r, i) => ({
          item_id: `I${i}`,
          received_at: t(r.r),
          completed_at: t(r.done),
          due_at: t(r.due),
          // qa_checked 0 is written as 0 or empty, at random
          qa_checked: r.qa === 1 ? "1" : i % 2 === 0 ? "0" : "",
          qa_errors: r.err === undefined ? "" : String(r.err),
        }));
        const table = parseItemsCsv(writeCsv(shuffled(cols, l.seed), written, l.quotes, l.eol, l.bom), "i");
        expect([...table.receivedAt]).to.deep.equal(rows.map((r) => r.r));
        expect([...table.completedAt]).to.deep.equal(rows.map((r) => nan(r.done)));
        expect([...table.dueAt]).to.deep.equal(rows.map((r) => nan(r.due)));
        expect([...table.qaChecked]).to.deep.equal(rows.map((r) => (withQa ? r.qa : 0)));
        expect([...table.qaErrors]).to.deep.equal(rows.map((r) => (withQa && r.qa === 1 ? nan(r.err) : NaN)));
      }),
      { numRuns: 150 },
    );
  });
});
