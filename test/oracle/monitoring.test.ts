/**
 * The operator's view of the daemon (scripts/oracle/monitoring.ts, docs/oracle.md "Monitoring the oracle"):
 *  - the alert rules of examples/oracle-alerts.yml pass `promtool check rules`, and each fires as
 *    examples/oracle-alerts.test.yml says (`promtool test rules`);
 *  - in process, with a clock of the test's: counters from the daemon's log lines, the deadline of due milestones
 *    in chain time, the pending transaction's age, the relayer's balance and fee, `/healthz` turning 503 after
 *    `--health-intervals` intervals without a good round, the server's errors and the flags' checks;
 *  - for real: a `hardhat node`, the daemon as a process with `--metrics-port`, and the real Prometheus scraping
 *    it every second with the alert rules loaded: `sla_oracle_postings_total` in Prometheus is the number of
 *    postings, `/healthz` answers 200 after a good round, and a milestone the daemon refuses to attest (no samples
 *    in its period) fires SlaOracleMilestoneDeadlineNear while the posted one does not. Every wait polls for the
 *    event (a log line, a query result), never a fixed sleep.
 * The Prometheus parts skip themselves when the binaries are absent (fail under REQUIRE_PROMETHEUS=1); the node part
 * is skipped with ORACLE_E2E=0 and under solidity-coverage.
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import type { Provider } from "ethers";
import { UserError } from "../../scripts/lib/errors";
import { Logger } from "../../scripts/oracle/log";
import { DEFAULT_POSTING_GAS, OracleMonitor, monitorFromArgs } from "../../scripts/oracle/monitoring";
import { type RunningPrometheus, requirePrometheus, startPrometheus } from "../helpers/prometheus";
import { freePort, tempDir, waitFor } from "./helpers";
import {
  type Chain,
  ROOT,
  account,
  chainNow,
  createAgreement,
  exitOf,
  logsOf,
  samplesCsv,
  startChain,
  startCli,
  waitForLog,
} from "./e2e/processes";

const RULES = path.join(ROOT, "examples", "oracle-alerts.yml");

/** The value of one series in Prometheus' text format, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("oracle monitoring: the alert rules in the docs", function () {
  it("docs/oracle.md gives exactly the rules of examples/oracle-alerts.yml", function () {
    const file = fs.readFileSync(RULES, "utf8");
    const doc = fs.readFileSync(path.join(ROOT, "docs", "oracle.md"), "utf8");
    const block = /```yaml\n(groups:\n[\s\S]*?)```/.exec(doc)?.[1];
    expect(block, "a ```yaml block starting with groups: in docs/oracle.md").to.be.a("string");
    expect(block).to.equal(file.slice(file.indexOf("groups:\n")));
  });
});

describe("oracle monitoring: the alert rules (promtool)", function () {
  before(function () {
    requirePrometheus(this);
  });

  it("examples/oracle-alerts.yml passes promtool check rules, and every alert fires as its unit tests say", function () {
    const check = spawnSync("promtool", ["check", "rules", RULES], { encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.include("SUCCESS: 5 rules found");
    const unit = spawnSync("promtool", ["test", "rules", path.join(ROOT, "examples", "oracle-alerts.test.yml")], {
      encoding: "utf8",
    });
    expect(unit.status, unit.stdout + unit.stderr).to.equal(0);
    expect(unit.stdout).to.include("SUCCESS");
  });
});

describe("oracle monitoring (in process)", function () {
  let wall = 1_800_000_000_000; // ms
  const monitors: OracleMonitor[] = [];
  const make = (): OracleMonitor => {
    const m = new OracleMonitor({
      host: "127.0.0.1",
      port: 0,
      intervalMs: 30_000,
      healthIntervals: 3,
      clock: () => wall,
    });
    monitors.push(m);
    return m;
  };
  after(function () {
    for (const m of monitors) m.registry.clear();
  });

  it("counts from the log, keeps deadlines in chain time, ages the pending transaction, and reads the relayer", async function () {
    const m = make();
    const lines: string[] = [];
    const log = m.tap(new Logger((l) => lines.push(l)));
    let pending: number | undefined = wall - 42_000;
    const provider = {
      getBalance: async (a: string) => (a === "0xRelayer" ? 5n * 10n ** 17n : 0n),
      getFeeData: async () => ({ maxFeePerGas: 3n * 10n ** 9n, gasPrice: 10n ** 9n }),
    } as unknown as Provider;
    m.attach({
      provider,
      relayer: "0xRelayer",
      pendingSince: () => pending,
      info: { network: "e2e", chainId: 31337n, escrow: "0xEscrow", oracle: "0xOracle" },
    });
    let text = await m.registry.metrics();
    expect(sample(text, "sla_oracle_pending_tx_age_seconds")).to.equal(42);
    expect(sample(text, "sla_oracle_posting_gas")).to.equal(DEFAULT_POSTING_GAS);
    expect(sample(text, 'sla_oracle_rounds_total{result="ok"}')).to.equal(0);
    expect(text).to.include(
      'sla_oracle_info{network="e2e",chain_id="31337",escrow="0xEscrow",oracle="0xOracle",relayer="0xRelayer"} 1',
    );
    expect(text).to.include("process_start_time_seconds"); // the default process metrics (the alert rules use it)

    // A round on a chain 100 s ahead of the wall clock: two milestones due, deadlines 3000 s and 500 s away.
    const chain = wall / 1000 + 100;
    m.roundStart(chain);
    m.due("5", 1, chain + 3000);
    m.due("6", 0, chain + 500);
    expect(
      sample(await m.registry.metrics(), 'sla_oracle_milestone_attest_deadline_seconds{agreement="5",milestone="1"}'),
    ).to.be.undefined; // published when the round ends
    await m.roundDone();
    wall += 10_000;
    text = await m.registry.metrics();
    expect(sample(text, 'sla_oracle_milestone_attest_deadline_seconds{agreement="5",milestone="1"}')).to.equal(2990);
    expect(sample(text, 'sla_oracle_milestone_attest_deadline_seconds{agreement="6",milestone="0"}')).to.equal(490);
    expect(sample(text, "sla_oracle_relayer_balance_wei")).to.equal(5e17);
    expect(sample(text, "sla_oracle_gas_price_wei")).to.equal(3e9);
    expect(sample(text, "sla_oracle_last_good_round_timestamp_seconds")).to.equal((wall - 10_000) / 1000);
    expect(sample(text, "sla_oracle_pending_tx_age_seconds")).to.equal(52);

    log.info({ agreement: "5", milestone: 1, action: "signed" });
    log.info({ agreement: "5", milestone: 1, action: "posting", txHash: "0x01" });
    log.info({ agreement: "5", milestone: 1, action: "posted", txHash: "0x01", gasPerCall: "54861", batch: 1 });
    log.info({ agreement: "5", milestone: 1, action: "settled", txHash: "0x02" });
    log.warn({ agreement: 6n, milestone: 0, action: "refused", reason: "no samples" });
    log.warn({ agreement: 6n, milestone: 0, action: "refused", reason: "another" });
    pending = undefined;
    text = await m.registry.metrics();
    expect(sample(text, 'sla_oracle_signatures_total{agreement="5"}')).to.equal(1);
    expect(sample(text, 'sla_oracle_postings_total{agreement="5"}')).to.equal(1);
    expect(sample(text, 'sla_oracle_settlements_total{agreement="5"}')).to.equal(1);
    expect(sample(text, 'sla_oracle_refusals_total{agreement="6"}')).to.equal(2);
    expect(sample(text, "sla_oracle_posting_gas")).to.equal(54861);
    expect(sample(text, "sla_oracle_pending_tx_age_seconds")).to.equal(0);
    // Posted: its deadline is gone at once; the other stays.
    expect(sample(text, 'sla_oracle_milestone_attest_deadline_seconds{agreement="5",milestone="1"}')).to.be.undefined;
    expect(sample(text, 'sla_oracle_milestone_attest_deadline_seconds{agreement="6",milestone="0"}')).to.equal(490);
    // The tapped logger still writes every line.
    expect(lines.map((l) => JSON.parse(l).action)).to.deep.equal([
      "signed",
      "posting",
      "posted",
      "settled",
      "refused",
      "refused",
    ]);
    // The daemon may report the balance itself during a round: then the monitor reads nothing after it.
    let reads = 0;
    (provider as unknown as { getBalance: () => Promise<bigint> }).getBalance = async () => (reads++, 1n);
    m.roundStart(chain + 10);
    m.due("6", 0, chain + 500);
    m.relayerBalance(7n * 10n ** 17n, 4n * 10n ** 9n);
    await m.roundDone();
    text = await m.registry.metrics();
    expect(reads).to.equal(0);
    expect(sample(text, "sla_oracle_relayer_balance_wei")).to.equal(7e17);
    expect(sample(text, "sla_oracle_gas_price_wei")).to.equal(4e9);
    // A failed round leaves the last good round's deadlines; the balance can be set from outside.
    m.roundStart(chain + 20);
    m.roundFailed("no RPC URL answered");
    m.setRelayerBalance(123n);
    text = await m.registry.metrics();
    expect(sample(text, 'sla_oracle_rounds_total{result="error"}')).to.equal(1);
    expect(sample(text, 'sla_oracle_milestone_attest_deadline_seconds{agreement="6",milestone="0"}')).to.equal(490);
    expect(sample(text, "sla_oracle_relayer_balance_wei")).to.equal(123);
  });

  it("/healthz: 503 before a good round and after --health-intervals intervals without one, 200 in between", async function () {
    const m = make();
    m.tap(new Logger(() => undefined));
    expect(m.health()).to.deep.include({ status: 503 });
    expect(m.health().body).to.deep.include({ ok: false, reason: "no good round yet", lastGoodRound: null });
    await m.roundDone();
    const done = wall;
    expect(m.health().status).to.equal(200);
    wall += 90_000; // 3 intervals of 30 s
    m.roundFailed("no RPC URL answered (...)");
    const h = m.health();
    expect(h.status).to.equal(200);
    expect(h.body).to.deep.include({
      ok: true,
      lastGoodRound: new Date(done).toISOString(),
      secondsSinceGoodRound: 90,
      maxSeconds: 90,
      lastError: "no RPC URL answered (...)",
      rounds: { ok: 1, failed: 1, failedInARow: 1 },
    });
    wall += 1;
    expect(m.health().status).to.equal(503);
    expect(m.health().body.reason).to.equal("no good round for 90 s (more than 3 intervals)");
    await m.roundDone();
    expect(m.health().status).to.equal(200);
    expect(m.health().body.rounds).to.deep.equal({ ok: 2, failed: 1, failedInARow: 0 });
  });

  it("serves /metrics and /healthz, refuses a port in use, and checks its flags", async function () {
    const m = make();
    const lines: string[] = [];
    const server = await m.serve(new Logger((l) => lines.push(l)));
    try {
      expect(JSON.parse(lines[0])).to.deep.include({
        action: "metrics",
        url: `${server.url}/metrics`,
        health: `${server.url}/healthz`,
      });
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).to.equal(200);
      expect(metrics.headers.get("content-type")).to.match(/^text\/plain/);
      expect(await metrics.text()).to.include("# TYPE sla_oracle_postings_total counter");
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).to.equal(503);
      expect(health.headers.get("content-type")).to.equal("application/json");
      expect(((await health.json()) as { ok: boolean }).ok).to.equal(false);
      expect((await fetch(`${server.url}/`)).status).to.equal(404);
      const taken = new OracleMonitor({ host: "127.0.0.1", port: server.port, intervalMs: 1000, healthIntervals: 3 });
      monitors.push(taken);
      let err: unknown;
      await taken.serve(new Logger(() => undefined)).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(UserError);
      expect((err as Error).message).to.equal(`--metrics-port: 127.0.0.1:${server.port} is in use`);
    } finally {
      await server.close();
    }
    expect(monitorFromArgs({}, 1000)).to.equal(undefined);
    const bad: [Parameters<typeof monitorFromArgs>[0], string][] = [
      [{ metricsPort: "http" }, '--metrics-port: "http" is not a port (0-65535; 0: any free port)'],
      [{ metricsPort: "70000" }, '--metrics-port: "70000" is not a port (0-65535; 0: any free port)'],
      [{ metricsHost: "0.0.0.0" }, "--metrics-host: only with --metrics-port"],
      [{ healthIntervals: "2" }, "--health-intervals: only with --metrics-port"],
      [{ metricsPort: "9464", healthIntervals: "0" }, '--health-intervals: "0" is not a positive number'],
    ];
    for (const [args, message] of bad) expect(() => monitorFromArgs(args, 1000), message).to.throw(UserError, message);
    const ok = monitorFromArgs({ metricsPort: "9464" }, 5000)!;
    monitors.push(ok);
    expect(ok.opts).to.deep.equal({ host: "127.0.0.1", port: 9464, intervalMs: 5000, healthIntervals: 3 });
  });
});

describe("oracle monitoring: the real Prometheus scrapes the daemon (hardhat node, daemon process)", function () {
  const procs: ChildProcess[] = [];
  let dir = "";
  let chain: Chain;
  let prom: RunningPrometheus | undefined;

  before(async function () {
    if (
      process.env.ORACLE_E2E === "0" ||
      (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING
    ) {
      console.log("    SKIPPED: the monitoring test against a node (ORACLE_E2E=0 or coverage run)");
      this.skip();
    }
    requirePrometheus(this);
    dir = tempDir("oracle-monitoring-");
    chain = await startChain(dir, procs);
  });

  after(async function () {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await prom?.stop();
    chain?.provider.destroy();
  });

  /** An instant query's result: [labels, value] of each series. */
  async function query(q: string): Promise<[Record<string, string>, string][]> {
    const res = await fetch(`${prom!.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(body.status, JSON.stringify(body)).to.equal("success");
    return body.data.result.map((r) => [r.metric, r.value[1]]);
  }

  it("Prometheus reads the posting count, /healthz is 200 after a good round, an unattested milestone fires its alert", async function () {
    const t = await chainNow(chain);
    const csv = path.join(dir, "samples.csv");
    fs.writeFileSync(csv, samplesCsv(t - 600, t + 3600));
    const metricsPort = await freePort();
    prom = await startPrometheus(tempDir("oracle-monitoring-prom-"), "", {
      job: "sla-oracle",
      targets: [`127.0.0.1:${metricsPort}`],
      intervalSeconds: 1,
      ruleFiles: [RULES],
    });
    const oracle = account(10);
    const d = startCli(
      [
        "oracle",
        "run",
        "--network",
        "e2e",
        "--metrics",
        "availability_ppm,latency_p95_ms",
        "--samples",
        csv,
        "--interval",
        "1",
        "--state",
        path.join(dir, "state"),
        "--metrics-port",
        String(metricsPort),
        "--health-intervals",
        "60",
      ],
      { ...chain.env, ORACLE_PRIVATE_KEY: oracle.privateKey },
      dir,
      procs,
    );
    await waitForLog(d, (l) => l.action === "start", "the daemon did not start");
    expect(logsOf(d).find((l) => l.action === "metrics")).to.deep.include({
      url: `http://127.0.0.1:${metricsPort}/metrics`,
    });

    // Agreement P: posted (and settled) by the daemon.
    let now = await chainNow(chain);
    const idP = await createAgreement(chain, account(1), oracle.address, now - 60, [now + 6]);
    await waitForLog(d, (l) => l.action === "settled" && l.agreement === idP.toString(), "P was not settled");
    // The round that settled P ends good: /healthz says so (polled: the round may still be finishing).
    let body: Record<string, unknown> = {};
    await waitFor(
      async () => {
        const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
        body = (await health.json()) as Record<string, unknown>;
        return health.status === 200;
      },
      30_000,
      () => JSON.stringify(body),
    );
    expect(body).to.deep.include({ ok: true, reason: "the last good round is recent", maxSeconds: 60 });
    expect(body.rpc).to.equal(`${chain.url}/`);

    // Agreement R: no samples in its period (the export now ends before it), so the daemon refuses to attest it.
    now = await chainNow(chain);
    fs.writeFileSync(`${csv}.new`, samplesCsv(t - 600, now - 5));
    fs.renameSync(`${csv}.new`, csv);
    const idR = await createAgreement(chain, account(3), oracle.address, now, [now + 6]);
    await waitForLog(d, (l) => l.action === "refused" && l.agreement === idR.toString(), "R was not refused");

    // Prometheus has scraped it all: the counts, the balance, the alert for R and none for P.
    const want = async (): Promise<string[]> => {
      const missing: string[] = [];
      const postings = await query("sla_oracle_postings_total");
      if (!postings.some(([m, v]) => m.agreement === idP.toString() && m.job === "sla-oracle" && v === "1"))
        missing.push(`postings: ${JSON.stringify(postings)}`);
      const refusals = await query(`sla_oracle_refusals_total{agreement="${idR}"}`);
      if (refusals[0]?.[1] !== "1") missing.push(`refusals: ${JSON.stringify(refusals)}`);
      const alerts = await query('ALERTS{alertname="SlaOracleMilestoneDeadlineNear",alertstate="firing"}');
      if (!alerts.some(([m]) => m.agreement === idR.toString() && m.milestone === "0"))
        missing.push(`alerts: ${JSON.stringify(alerts)}`);
      return missing;
    };
    let missing: string[] = [];
    await waitFor(
      async () => (missing = await want()).length === 0,
      60_000,
      () => missing.join("\n"),
      200,
    );
    expect(await query("sla_oracle_postings_total")).to.have.length(1); // P only
    expect((await query(`sla_oracle_settlements_total{agreement="${idP}"}`))[0][1]).to.equal("1");
    const balance = Number((await query("sla_oracle_relayer_balance_wei"))[0][1]);
    expect(balance).to.equal(Number(await chain.provider.getBalance(oracle.address)));
    expect(Number((await query("sla_oracle_milestone_attest_deadline_seconds"))[0][1])).to.be.within(3000, 3602);
    expect(await query('sla_oracle_milestone_attest_deadline_seconds{agreement="' + idP + '"}')).to.deep.equal([]);
    const firing = await query('ALERTS{alertstate="firing"}');
    expect(firing.map(([m]) => [m.alertname, m.agreement])).to.deep.equal([
      ["SlaOracleMilestoneDeadlineNear", idR.toString()],
    ]);
    expect((await query('up{job="sla-oracle"}'))[0][1]).to.equal("1");
    // The rules loaded and evaluate without error.
    const rules = (await (await fetch(`${prom!.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).to.deep.equal([
      "SlaOracleDown",
      "SlaOracleMilestoneDeadlineNear",
      "SlaOracleNoGoodRound",
      "SlaOracleRelayerBalanceLow",
      "SlaOracleTransactionPending",
    ]);
    expect(loaded.filter((r) => r.health !== "ok")).to.deep.equal([]);

    d.child.kill("SIGTERM");
    expect((await exitOf(d, 30_000)).code).to.equal(0);
  });
});
