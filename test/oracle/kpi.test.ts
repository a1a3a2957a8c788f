/**
 * Business KPIs through the oracle's command line and daemon (DESIGN.md "Business KPIs"): `--metric-spec` with a
 * ticket export, end to end on the in-process chain. The values below are computed by hand from the export.
 * Every mistake ends with one `error: ...` line, exit code 1 and nothing posted.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { keccak256 } from "ethers";
import type { ISLAEscrow } from "../../typechain-types";
import { type Context, createActive, makeTerms, setup } from "../helpers/fixture";
import { expectUserError, privateKeyOf, runOracle, tempDir } from "./helpers";

const P1 = {
  name: "P1 response within 1h",
  kind: "tickets.response_within_target_ppm",
  priorities: ["P1"],
  targetSeconds: 3600,
};
const P90 = { name: "Resolution p90", kind: "tickets.resolution_minutes", percentile: 90 };
const SPEC = { metrics: [P1, P90] };
/** P1 response: below 95% cut 5%, below 90% cut 15%; resolution p90 above 24h cut 10%. */
const METRICS: ISLAEscrow.MetricStruct[] = [
  {
    higherIsBetter: true,
    tiers: [
      { threshold: 950_000, cutBps: 500 },
      { threshold: 900_000, cutBps: 1500 },
    ],
  },
  { higherIsBetter: false, tiers: [{ threshold: 1440, cutBps: 1000 }] },
];

/**
 * Milestone 0's tickets, S = the period's start, E = its end (S + 30 days):
 *   t1 P1 created S+100,  answered exactly at its due time S+3700 (met), resolved S+7300      -> 120 min
 *   t2 P1 created S+1000, answered one second late S+4601 (missed), resolved S+4700           -> ceil(3700/60) = 62
 *   t3 P1 created S+5000, answered S+5060 (met), resolved S+5061                              -> ceil(61/60) = 2
 *   t4 P1 created S+8000, response due S+8600 (given), answered S+8601 (missed), still open   -> ceil((E-S-8000)/60) = 43067
 *   t5 P2 created S+100,  not P1; resolved S+200060                                           -> ceil(199960/60) = 3333
 *   t6 P1 created S-500 (the period before), due S+3100 (in the period), never answered (missed), resolved before S -> not counted
 * P1 response: D = {t1, t2, t3, t4, t6}, met = {t1, t3}: floor(1e6 * 2 / 5) = 400000 (cut 15%).
 * Resolution p90 over {120, 62, 2, 43067, 3333}: sorted [2, 62, 120, 3333, 43067], index ceil(90*5/100)-1 = 4: 43067
 * (above 24h: cut 10%). Total cut 25%.
 */
function ticketsCsv(S: number): string {
  const rows = [
    "ticket_id,priority,created_at,first_response_at,resolved_at,response_due_at,note",
    `t1,P1,${S + 100},${S + 3700},${S + 7300},,"first, on time"`,
    `t2,P1,${S + 1000},${S + 4601},${S + 4700},,late`,
    `t3,P1,${S + 5000},${S + 5060},${S + 5061},,`,
    `t4,P1,${S + 8000},${S + 8601},,${S + 8600},due given`,
    `t5,P2,${S + 100},${S + 200},${S + 200060},,`,
    `t6,P1,${S - 500},,${S - 10},,from before`,
  ];
  return rows.join("\n") + "\n";
}
const VALUES = [400_000, 43_067];
const CUT = 2500;

interface World {
  ctx: Context;
  terms: ISLAEscrow.TermsStruct;
  id: bigint;
  dir: string;
  spec: string;
  tickets: string;
  start: number;
  due: number;
}

async function world(threshold = 1): Promise<World> {
  const ctx = await setup();
  const terms = await makeTerms(ctx, { threshold, metrics: METRICS });
  const id = await createActive(ctx, terms);
  const dir = tempDir();
  const spec = path.join(dir, "helpdesk.metrics.json");
  fs.writeFileSync(spec, JSON.stringify(SPEC, null, 2));
  const start = Number(terms.startAt);
  const due = Number(terms.milestones[0].dueAt);
  const tickets = path.join(dir, "tickets.csv");
  fs.writeFileSync(tickets, ticketsCsv(start));
  exportedAt(tickets, due + 60);
  return { ctx, terms, id, dir, spec, tickets, start, due };
}

/** Sets the export's modification time (the export job ran at `t`). */
function exportedAt(file: string, t: number): void {
  fs.utimesSync(file, t, t);
}

const keyOf = (w: World, i: number) => ({ ORACLE_PRIVATE_KEY: privateKeyOf(w.ctx.oracles[i].address) });

async function pending(w: World): Promise<boolean> {
  return (await w.ctx.escrow.milestoneInfo(w.id, 0))[0] === 0n;
}

type Log = Record<string, unknown> & { action: string };
const logs = (stdout: string[]): Log[] => stdout.map((l) => JSON.parse(l) as Log);

describe("oracle: business KPIs from a ticket export (--metric-spec, --tickets)", function () {
  it("attest measures the KPIs by their specs, posts at threshold 1, and verify matches the report", async function () {
    const w = await world(1);
    await time.increaseTo(w.due);
    const out = path.join(w.dir, "report.json");
    const args = { agreement: w.id.toString(), milestone: "0", metricSpec: w.spec, escrow: w.ctx.escrowAddress };
    const r = await runOracle({ command: "attest", ...args, tickets: w.tickets, out }, keyOf(w, 0));
    expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
    expect(r.stdout).to.include(`values: P1 response within 1h=400000, Resolution p90=43067`);
    expect(r.stdout).to.include(`cut: ${CUT} bps`);
    const report = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(report.values).to.deep.equal(VALUES);
    expect(report.metrics.map((m: { spec: unknown }) => m.spec)).to.deep.equal([P1, P90]);
    expect(report.metrics.map((m: { unit: string }) => m.unit)).to.deep.equal(["ppm", "minutes"]);
    expect(report.metrics[0].derivation).to.include({ selected: 5, due: 5, met: 2, dueGiven: 1 });
    expect(report.sources.tickets).to.deep.equal({
      file: "tickets.csv",
      fileKeccak256: keccak256(fs.readFileSync(w.tickets)),
      rows: 6,
    });
    const info = await w.ctx.escrow.milestoneInfo(w.id, 0);
    expect([info[0], info[1]]).to.deep.equal([1n, BigInt(CUT)]);

    const v = await runOracle({ command: "verify", ...args, report: out }, {});
    expect(v.result.exitCode, v.stderr.join("\n")).to.equal(0);
    expect(v.stdout.at(-1)).to.match(
      /^ok: keccak256 0x[0-9a-f]{64} and values P1 response within 1h=400000, Resolution p90=43067 match/,
    );
    // verify with another spec: the report's metrics are not ours.
    const other = path.join(w.dir, "other.json");
    fs.writeFileSync(other, JSON.stringify({ metrics: [{ ...P1, targetSeconds: 7200 }, P90] }));
    expectUserError(
      await runOracle({ command: "verify", ...args, metricSpec: other, report: out }, {}),
      `--report: its metrics are not ours: metric 0 ("P1 response within 1h") has targetSeconds 3600 in it but 7200 in ours`,
    );
  });

  it("2 of 3: a co-signer reading the same export signs; another spec or another export is refused by name", async function () {
    const w = await world(2);
    await time.increaseTo(w.due);
    const out = path.join(w.dir, "report.json");
    const base = { metricSpec: w.spec, escrow: w.ctx.escrowAddress };
    const a = await runOracle(
      { command: "attest", ...base, agreement: w.id.toString(), milestone: "0", tickets: w.tickets, out },
      keyOf(w, 0),
    );
    expect(a.result.exitCode, a.stderr.join("\n")).to.equal(0);

    // Oracle 2's spec has another target: refused, naming the parameter (nothing signed).
    const other = path.join(w.dir, "other.json");
    fs.writeFileSync(other, JSON.stringify({ metrics: [{ ...P1, targetSeconds: 7200 }, P90] }));
    expectUserError(
      await runOracle({ command: "sign", ...base, metricSpec: other, report: out, tickets: w.tickets }, keyOf(w, 2)),
      `refusing to sign: metric 0 ("P1 response within 1h") has targetSeconds 3600 in it but 7200 in ours (ours: P1 response within 1h, Resolution p90)`,
    );
    // Oracle 2's export differs in one ticket (t2 answered in time): tolerance 0 for export kinds.
    const theirs = path.join(w.dir, "tickets-2.csv");
    fs.writeFileSync(theirs, ticketsCsv(w.start).replace(`${w.start + 4601}`, `${w.start + 4600}`));
    exportedAt(theirs, w.due + 60);
    expectUserError(
      await runOracle({ command: "sign", ...base, report: out, tickets: theirs }, keyOf(w, 2)),
      "refusing to sign: P1 response within 1h differs by 200000 (report 400000, ours 600000; tolerance 0 = 0)",
    );
    // Oracle 1 reads the same export: signs; the post carries both signatures.
    const s = await runOracle({ command: "sign", ...base, report: out, tickets: w.tickets }, keyOf(w, 1));
    expect(s.result.exitCode, s.stderr.join("\n")).to.equal(0);
    expect(s.result.ownValues).to.deep.equal(VALUES);
    const p = await runOracle({ command: "post", ...base, report: out }, keyOf(w, 1));
    expect(p.result.exitCode, p.stderr.join("\n")).to.equal(0);
    expect(p.result.cutBps).to.equal(CUT);
    expect(await pending(w)).to.equal(false);
  });

  describe("user mistakes: one line, exit 1, nothing posted", function () {
    let w: World;
    let base: { command: string; agreement: string; milestone: string; escrow: string };
    before(async function () {
      w = await world(1);
      await time.increaseTo(w.due);
      base = { command: "attest", agreement: w.id.toString(), milestone: "0", escrow: w.ctx.escrowAddress };
    });
    afterEach(async function () {
      expect(await pending(w)).to.equal(true);
    });

    const write = (name: string, text: string): string => {
      const f = path.join(w.dir, name);
      fs.writeFileSync(f, text);
      return f;
    };

    it("a spec file that is not JSON, or breaks a rule (every error with its field path)", async function () {
      const notJson = write("bad.json", "{ metrics: ");
      expectUserError(
        await runOracle({ ...base, metricSpec: notJson, tickets: w.tickets }, keyOf(w, 0)),
        /^error: --metric-spec .*bad\.json: 1 error in the metric spec: \(file\): is not valid JSON/,
      );
      const bad = write(
        "rules.json",
        JSON.stringify({
          metrics: [
            { ...P1, targetSeconds: "1h" },
            { ...P90, percentile: 101, extra: 1 },
          ],
        }),
      );
      expectUserError(
        await runOracle({ ...base, metricSpec: bad, tickets: w.tickets }, keyOf(w, 0)),
        `--metric-spec ${bad}: 2 errors in the metric spec: metrics[0].targetSeconds: must be a whole number (0..4294967295 seconds), got "1h" metrics[1].extra: tickets.resolution_minutes takes only priorities, percentile`,
      );
      expectUserError(
        await runOracle({ ...base, metricSpec: path.join(w.dir, "missing.json"), tickets: w.tickets }, keyOf(w, 0)),
        /^error: --metric-spec .*missing\.json: 1 error in the metric spec: \(file\): cannot be read \(ENOENT\)$/,
      );
    });

    it("a spec that does not fit the agreement: count, direction", async function () {
      const three = write(
        "three.json",
        JSON.stringify({ metrics: [P1, P90, { name: "CSAT", kind: "tickets.csat_ppm" }] }),
      );
      expectUserError(
        await runOracle({ ...base, metricSpec: three, tickets: w.tickets }, keyOf(w, 0)),
        `--metric-spec three.json: agreement ${w.id} has 2 metric(s), but 3 were given (P1 response within 1h,Resolution p90,CSAT)`,
      );
      const swapped = write("swapped.json", JSON.stringify({ metrics: [P90, P1] }));
      expectUserError(
        await runOracle({ ...base, metricSpec: swapped, tickets: w.tickets }, keyOf(w, 0)),
        `--metric-spec swapped.json: metric 0 of agreement ${w.id} is higher-is-better, but "Resolution p90" (tickets.resolution_minutes) is not`,
      );
    });

    it("a malformed export: the line and the column", async function () {
      const csv = write("bad.csv", ticketsCsv(w.start).replace(`t3,P1,${w.start + 5000}`, `t3,P1,2026-03-01T09:30:00`));
      exportedAt(csv, w.due + 60);
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec, tickets: csv }, keyOf(w, 0)),
        /^error: --tickets bad\.csv line 4, column created_at: .*zone.* in "t3,P1,2026-03-01T09:30:00,/,
      );
      const dup = write("dup.csv", ticketsCsv(w.start).replace("t4,", "t1,"));
      exportedAt(dup, w.due + 60);
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec, tickets: dup }, keyOf(w, 0)),
        /^error: --tickets dup\.csv line 5, column ticket_id: .*t1.*line 2/,
      );
    });

    it("a missing source, a source no metric reads, an export not written after the period", async function () {
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec }, keyOf(w, 0)),
        '--tickets: missing; metric "P1 response within 1h" (tickets.response_within_target_ppm) reads the tickets export (CSV)',
      );
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec, tickets: w.tickets, calls: w.tickets }, keyOf(w, 0)),
        '--calls: no metric of "P1 response within 1h", "Resolution p90" reads a calls export; leave it out or check --metric-spec',
      );
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec, tickets: path.join(w.dir, "nope.csv") }, keyOf(w, 0)),
        /^error: --tickets: cannot read .*nope\.csv \(no such file\)$/,
      );
      const early = write("early.csv", ticketsCsv(w.start));
      exportedAt(early, w.due);
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec, tickets: early }, keyOf(w, 0)),
        /^error: --tickets: early\.csv was written at \S+, not after the end of agreement \d+ milestone 0 \(period \[\d+, \d+\)\) \(\S+\) plus --lag 0s: waiting for an export written after \S+$/,
      );
      // --lag moves the bar: written a minute after the end is not enough with --lag 120.
      expectUserError(
        await runOracle({ ...base, metricSpec: w.spec, tickets: w.tickets, lag: "120" }, keyOf(w, 0)),
        /plus --lag 120s: waiting for an export/,
      );
    });
  });

  it("the daemon waits for a complete export (and says so), then attests the ticket KPIs once", async function () {
    const w = await world(1);
    const state = path.join(w.dir, "state");
    exportedAt(w.tickets, w.due - 3600); // last night's export, before the period ended
    const args = {
      command: "run",
      once: true,
      metricSpec: w.spec,
      tickets: w.tickets,
      escrow: w.ctx.escrowAddress,
      state,
    };
    await time.increaseTo(w.due + 30);
    const r0 = await runOracle(args, keyOf(w, 0));
    expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
    const waiting = logs(r0.stdout).find((l) => l.action === "waiting");
    expect(waiting).to.include({ agreement: w.id.toString(), milestone: 0, level: "info" });
    expect(waiting?.reason).to.match(/^--tickets: tickets\.csv was written at .*waiting for an export written after /);
    expect(logs(r0.stdout).some((l) => l.action === "posted")).to.equal(false);
    expect(await pending(w)).to.equal(true);

    // The export job runs after the period's end: the next round measures, signs and posts.
    exportedAt(w.tickets, w.due + 20);
    const r1 = await runOracle(args, keyOf(w, 0));
    expect(r1.result.exitCode, r1.stderr.join("\n")).to.equal(0);
    const report = logs(r1.stdout).find((l) => l.action === "report");
    expect(report).to.deep.include({ values: VALUES, cutBps: CUT });
    expect(logs(r1.stdout).filter((l) => l.action === "posted")).to.have.length(1);
    const info = await w.ctx.escrow.milestoneInfo(w.id, 0);
    expect([info[0], info[1]]).to.deep.equal([1n, BigInt(CUT)]);
    // And never twice.
    const r2 = await runOracle(args, keyOf(w, 0));
    expect(logs(r2.stdout).filter((l) => ["posting", "posted"].includes(l.action))).to.deep.equal([]);
  });

  describe("Prometheus kinds through the command line (a server speaking the query API)", function () {
    // The real Prometheus is in prometheus-kpi.test.ts (backfilled blocks must lie in its past, and the chain's
    // periods lie in the chain's future): here a small server answers the instant-query API so that the CLI path
    // (--metric-spec, --prometheus, the report, the post) runs on the in-process chain.
    const RATIO = {
      name: "API success",
      kind: "prometheus.ratio_ppm",
      total: 'sum(increase(http_requests_total{job="api"}[{{.window}}]))',
      bad: 'sum(increase(http_requests_total{job="api",code=~"5.."}[{{.window}}]))',
    };
    const P95 = {
      name: "API p95",
      kind: "prometheus.value",
      query: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[{{.window}}])))",
      scale: 1000,
      higherIsBetter: false,
    };
    let server: http.Server;
    let url = "";
    const asked: { query: string; time: string }[] = [];
    let answers: Record<string, string[]> = {};

    before(async function () {
      server = http.createServer((req, res) => {
        const u = new URL(req.url ?? "/", "http://x");
        const query = u.searchParams.get("query") ?? "";
        asked.push({ query, time: u.searchParams.get("time") ?? "" });
        const key = Object.keys(answers).find((k) => query.includes(k));
        const values = key === undefined ? [] : answers[key];
        const result = values.map((v, i) => ({
          metric: { i: String(i) },
          value: [Number(u.searchParams.get("time")), v],
        }));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async function () {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    async function promWorld() {
      const ctx = await setup();
      const metrics: ISLAEscrow.MetricStruct[] = [
        { higherIsBetter: true, tiers: [{ threshold: 999_000, cutBps: 1000 }] },
        { higherIsBetter: false, tiers: [{ threshold: 300, cutBps: 500 }] },
      ];
      const terms = await makeTerms(ctx, { threshold: 1, metrics });
      const id = await createActive(ctx, terms);
      const dir = tempDir();
      const spec = path.join(dir, "api.metrics.json");
      fs.writeFileSync(spec, JSON.stringify({ metrics: [RATIO, P95] }));
      await time.increaseTo(terms.milestones[0].dueAt);
      return { ctx, terms, id, dir, spec };
    }

    it("evaluates each query at the period's end with {{.window}} replaced, and posts the values", async function () {
      const w = await promWorld();
      // 36060 requests, 3600 of them 5xx (36059.6 and 3600.4 round half up to 36060 and 3600); p95 0.4375 s.
      answers = { 'code=~"5.."': ["3600.4"], 'job="api"}': ["36059.6"], histogram_quantile: ["0.4375"] };
      asked.length = 0;
      const out = path.join(w.dir, "report.json");
      const r = await runOracle(
        {
          command: "attest",
          agreement: w.id.toString(),
          milestone: "0",
          metricSpec: w.spec,
          prometheus: url,
          escrow: w.ctx.escrowAddress,
          out,
        },
        { ORACLE_PRIVATE_KEY: privateKeyOf(w.ctx.oracles[0].address) },
      );
      expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
      // floor(1e6 * (36060 - 3600) / 36060) = 900166 (below 99.9%: cut 10%); floor(0.4375 * 1000) = 437 (above 300: 5%).
      expect(r.result.values).to.deep.equal([900_166, 437]);
      expect(r.result.cutBps).to.equal(1500);
      const end = Number(w.terms.milestones[0].dueAt);
      const window = `${end - Number(w.terms.startAt)}s`;
      expect(asked.map((a) => a.time)).to.deep.equal([String(end), String(end), String(end)]);
      expect(asked.map((a) => a.query)).to.have.members([
        RATIO.total.replace("{{.window}}", window),
        RATIO.bad.replace("{{.window}}", window),
        P95.query.replace("{{.window}}", window),
      ]);
      const report = JSON.parse(fs.readFileSync(out, "utf8"));
      expect(report.metrics[0].spec).to.deep.equal({ ...RATIO, higherIsBetter: true });
      expect(report.sources.prometheus).to.include({ url });
      expect((await w.ctx.escrow.milestoneInfo(w.id, 0))[1]).to.equal(1500n);
    });

    it("refuses a query with several series or a total of 0, naming the metric and the query; nothing posted", async function () {
      const w = await promWorld();
      const args = {
        command: "attest",
        agreement: w.id.toString(),
        milestone: "0",
        metricSpec: w.spec,
        prometheus: url,
        escrow: w.ctx.escrowAddress,
      };
      const key = { ORACLE_PRIVATE_KEY: privateKeyOf(w.ctx.oracles[0].address) };
      answers = { 'code=~"5.."': ["1"], 'job="api"}': ["10", "20"], histogram_quantile: ["0.2"] };
      const several = await runOracle(args, key);
      expect(several.result.exitCode).to.equal(1);
      expect(several.stderr.at(-1)).to.match(
        /^error: agreement \d+ milestone 0 \(period \[\d+, \d+\)\), metric "API success": --prometheus: "sum\(increase\(http_requests_total\{job="api"\}\[\d+s\]\)\)" returned 2 series/,
      );
      answers = { 'code=~"5.."': ["0"], 'job="api"}': ["0.2"], histogram_quantile: ["0.2"] };
      const zero = await runOracle(args, key);
      expect(zero.result.exitCode).to.equal(1);
      expect(zero.stderr.at(-1)).to.match(/^error: agreement \d+ milestone 0 .*metric "API success": .*total.*gave 0/);
      expect((await w.ctx.escrow.milestoneInfo(w.id, 0))[0]).to.equal(0n);
    });
  });
});
