/**
 * End to end, against real parts: a `hardhat node` started as a separate process on a free port, the escrow
 * deployed to it with `hardhat deploy`, the oracle CLI run as child processes (`--network e2e` from
 * test/oracle/e2e/hardhat.config.ts), a local HTTP service with a scripted outage probed for real, and a TCP
 * proxy in front of the node to take the RPC away mid-run. Proves:
 *  - the daemon's prober measures the scripted outage and the values and cut on chain match it, then settles;
 *  - DESIGN.md's co-signing rules with five oracles, 3 of 5, through a shared folder: three honest daemons on
 *    different sample files converge on the first honest report in oracle order and post it once; an outlier
 *    daemon and a forger (a planted report of perfect values naming an honest oracle, with the forger's own
 *    signature and proposal) get no co-signer, and the honest daemons say why; an honest daemon killed
 *    (SIGKILL) after recording its choice and before signing it, then restarted, signs exactly that digest;
 *  - a daemon killed with SIGKILL (after recording a transaction and before broadcasting it; after
 *    broadcasting it and before recording the receipt) and restarted neither double-posts nor misses a milestone;
 *  - an RPC outage mid-run is survived: the node unreachable (connections refused at the proxy) for 4 s while a
 *    milestone falls due, then the node process stopped (SIGSTOP: requests hang until they time out) for 6 s
 *    and continued (a restarted Hardhat 2 node would start a new, empty chain);
 *  - malformed CSV, an unreachable Prometheus, a wrong key, a wrong network, a tampered report, an RPC that
 *    lies about its chain id and a network that pins none each end with one clear line and exit code 1, with
 *    nothing signed or posted.
 * Skipped with ORACLE_E2E=0 and under solidity-coverage.
 */
import { sortAddresses } from "../../scripts/lib/model";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { Contract, JsonRpcProvider, Wallet, ZeroAddress } from "ethers";
import { formatSamplesCsv } from "../../scripts/oracle/csv";
import { computeMetrics } from "../../scripts/oracle/metrics";
import { inPeriod, type Sample } from "../../scripts/oracle/samples";
import { readStore } from "../../scripts/oracle/store";
import { cutBps } from "../../scripts/lib/penalty";
import { readDomain } from "../../scripts/lib/attestation";
import { REFERENCE_METRICS } from "../../scripts/lib/reference";
import type { SLAEscrow } from "../../typechain-types";
import { HARDHAT_MNEMONIC, freePort, plantReport, tempDir, waitFor } from "./helpers";
import { HDNodeWallet, Mnemonic, keccak256 } from "ethers";

const ROOT = path.resolve(__dirname, "../..");
const CLI = require.resolve("hardhat/internal/cli/cli.js");
const CONFIG = path.join(__dirname, "e2e", "hardhat.config.ts");
const METRICS_SPEC = "availability_ppm,latency_p95_ms";
const TIERS = REFERENCE_METRICS;

function account(i: number): Wallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_MNEMONIC), `m/44'/60'/0'/0/${i}`);
  return new Wallet(w.privateKey);
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A TCP proxy that can refuse connections for a while (the RPC "goes away"). */
class Proxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}
  async start(): Promise<void> {
    this.server = net.createServer((c) => {
      const u = net.connect(this.target, "127.0.0.1");
      for (const s of [c, u]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          c.destroy();
          u.destroy();
        });
      }
      c.pipe(u);
      u.pipe(c);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/**
 * How long a CLI process may take to start or to exit: a Hardhat process compiles its TypeScript with ts-node on
 * start, which on a heavily loaded 2-core machine (two of these tests at once, load average 15 and more) has taken
 * over 90 s. Waits are for events (a log line, an exit), so a generous bound costs nothing when things are fast.
 */
const START_MS = 240_000;

describe("oracle end to end (hardhat node, CLI processes, real HTTP)", function () {
  this.timeout(1_800_000);
  const procs: ChildProcess[] = [];
  let node: Proc;
  let rpcPort = 0;
  let proxy: Proxy;
  let provider: JsonRpcProvider;
  let escrow: Contract;
  let dir = "";
  let env: NodeJS.ProcessEnv = {};

  function start(args: string[], extraEnv: Record<string, string> = {}, rpcUrl?: string): Proc {
    const childEnv: NodeJS.ProcessEnv = { ...env, ...extraEnv };
    if (dir === "") throw new Error("no temp dir");
    if (rpcUrl) childEnv.E2E_RPC_URL = rpcUrl;
    const child = spawn(process.execPath, [CLI, ...args, "--config", CONFIG], {
      cwd: ROOT,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    procs.push(child);
    const p: Proc = {
      child,
      lines: [],
      stderr: [],
      exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    };
    let buf = "";
    // Every child's output is also kept in <temp dir>/logs/ for post-mortems.
    const logFile = path.join(dir, "logs", `${procs.length}-${args.slice(0, 2).join("-")}.log`);
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    child.stdout!.on("data", (b: Buffer) => fs.appendFileSync(logFile, b));
    child.stderr!.on("data", (b: Buffer) => fs.appendFileSync(logFile, b));
    child.stdout!.on("data", (b: Buffer) => {
      buf += b.toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      p.lines.push(...parts);
    });
    child.stderr!.on("data", (b: Buffer) =>
      p.stderr.push(
        ...b
          .toString()
          .split("\n")
          .filter((l) => l.trim() !== "" && !l.startsWith("npm warn")),
      ),
    );
    return p;
  }

  async function cli(
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number | null; stdout: string[]; stderr: string[] }> {
    const p = start(args, extraEnv);
    const { code } = await exitOf(p);
    return { code, stdout: p.lines.filter((l) => l.trim() !== ""), stderr: p.stderr };
  }

  /** The process's exit, or a failure with its last output after `ms`. */
  async function exitOf(p: Proc, ms = START_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`process did not exit within ${ms} ms:\n${p.lines.slice(-8).join("\n")}\n${p.stderr.join("\n")}`),
          ),
        ms,
      );
    });
    try {
      return await Promise.race([p.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const logsOf = (p: Proc): Record<string, unknown>[] =>
    p.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

  async function create(
    client: Wallet,
    oracle: string | string[],
    startAt: number,
    dues: number[],
    threshold = 1,
  ): Promise<bigint> {
    const c = escrow.connect(client.connect(provider)) as Contract;
    const terms = {
      client: client.address,
      vendor: account(2).address,
      token: ZeroAddress,
      arbitrator: ZeroAddress,
      disputeWindow: 0,
      attestGrace: 3600,
      arbitrationTimeout: 0,
      silentCutBps: 10_000,
      threshold,
      startAt,
      oracles: typeof oracle === "string" ? [oracle] : sortAddresses(oracle),
      metrics: TIERS,
      milestones: dues.map((dueAt) => ({ amount: 10n ** 18n, dueAt })),
    };
    const tx = await c.createAgreement(terms, { value: BigInt(dues.length) * 10n ** 18n });
    const receipt = await tx.wait();
    const id = (escrow.interface.parseLog(receipt.logs[0]) as unknown as { args: { id: bigint } }).args.id;
    await (
      (escrow.connect(account(2).connect(provider)) as Contract).accept(id) as Promise<{ wait(): Promise<unknown> }>
    ).then((t) => t.wait());
    return id;
  }

  async function status(id: bigint, m: number): Promise<number> {
    return Number((await escrow.milestoneInfo(id, m))[0]);
  }

  async function events(name: string, id: bigint, m: number) {
    return escrow.queryFilter(escrow.filters[name](id, m));
  }

  before(async function () {
    if (
      process.env.ORACLE_E2E === "0" ||
      (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING
    ) {
      console.log("    SKIPPED: end-to-end oracle test (ORACLE_E2E=0 or coverage run)");
      this.skip();
    }
    dir = tempDir("oracle-e2e-");
    rpcPort = await freePort();
    env = {
      ...process.env,
      E2E_DEPLOYMENTS: path.join(dir, "deployments"),
      E2E_RPC_URL: `http://127.0.0.1:${rpcPort}`,
    };
    delete env.HARDHAT_NETWORK;
    node = start(["node", "--port", String(rpcPort), "--no-deploy"]);
    await waitFor(
      () => node.lines.some((l) => l.includes("Started HTTP")),
      START_MS,
      () => `node did not start:\n${node.stderr.join("\n")}`,
    );
    const deployed = await cli(["deploy", "--network", "e2e"]);
    expect(deployed.code, deployed.stderr.join("\n")).to.equal(0);
    const address = JSON.parse(fs.readFileSync(path.join(dir, "deployments", "e2e", "SLAEscrow.json"), "utf8"))
      .address as string;
    // cacheTimeout -1: ethers caches identical calls for 250 ms, which would hand two quick transactions of one
    // account the same nonce.
    provider = new JsonRpcProvider(`http://127.0.0.1:${rpcPort}`, undefined, {
      staticNetwork: true,
      polling: true,
      pollingInterval: 200,
      cacheTimeout: -1,
    });
    escrow = new Contract(address, (await hre.artifacts.readArtifact("SLAEscrow")).abi, provider);
    proxy = new Proxy(await freePort(), rpcPort);
    await proxy.start();
  });

  after(async function () {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await proxy?.stop();
    provider?.destroy();
  });

  it("probes a scripted outage, kills and restarts a daemon, survives an RPC outage, refuses bad input", async function () {
    const latest = async () => (await provider.getBlock("latest"))!.timestamp;
    const now = () => Math.floor(Date.now() / 1000);

    // ---- A: a daemon that probes a local service itself (oracle = account 10). ----
    let outage: [number, number] = [0, 0];
    let served503 = 0;
    const service = http.createServer((_req, res) => {
      const t = Date.now() / 1000;
      if (t >= outage[0] && t < outage[1]) {
        served503++;
        return void res.writeHead(503).end("down");
      }
      setTimeout(() => res.writeHead(200).end("ok"), 3);
    });
    await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
    const serviceUrl = `http://127.0.0.1:${(service.address() as net.AddressInfo).port}/health`;
    const oracleA = account(10);
    const store = path.join(dir, "a", "probes.jsonl");
    const daemonA = start(
      [
        "oracle",
        "run",
        "--network",
        "e2e",
        "--metrics",
        METRICS_SPEC,
        "--url",
        serviceUrl,
        "--store",
        store,
        "--probe-interval",
        "0.2",
        "--timeout",
        "1000",
        "--interval",
        "1",
        "--state",
        path.join(dir, "a", "state"),
      ],
      { ORACLE_PRIVATE_KEY: oracleA.privateKey },
    );

    // ---- B: a daemon on a CSV file (oracle = account 11), two agreements x three milestones. ----
    const oracleB = account(11);
    const csv = path.join(dir, "b", "samples.csv");
    const stateB = path.join(dir, "b", "state");
    const runB = (crash?: string) =>
      start(
        [
          "oracle",
          "run",
          "--network",
          "e2e",
          "--metrics",
          METRICS_SPEC,
          "--samples",
          csv,
          "--interval",
          "1",
          "--state",
          stateB,
        ],
        { ORACLE_PRIVATE_KEY: oracleB.privateKey, ...(crash ? { ORACLE_TEST_CRASH: crash } : {}) },
        `http://127.0.0.1:${proxy.port}`,
      );

    // ---- C: the co-signing rules with daemons as separate processes, 3 of 5 through a shared folder: three
    // honest oracles (each on its own sample file, latencies 0/10/20 ms apart: within 10%), an outlier daemon
    // (300 ms worse) and a forger (no daemon: it plants a report of perfect values naming an honest oracle, with
    // its own signature and proposal). The third honest daemon is killed (SIGKILL) after recording the digest
    // it chose and before signing it, then restarted. ----
    const cHonest = [account(14), account(15), account(16)];
    const cOutlier = account(17);
    const cForger = account(18);
    const cAll = [...cHonest, cOutlier];
    const shared = path.join(dir, "c", "shared");
    // Each honest oracle's samples, 10 a second around C's period (written once the period is known, below).
    const cRowsFrom = (cFrom: number): Sample[][] =>
      cAll.map((_, i) => {
        const out: Sample[] = [];
        for (let t = cFrom, k = 0; t < cFrom + 60; t++) {
          for (let j = 0; j < 10; j++, k++) {
            const fail = k % 50 === 0;
            out.push(
              fail
                ? { timestamp: t, ok: false, latencyMs: null }
                : { timestamp: t, ok: true, latencyMs: 100 + ((k * 37) % 200) + [0, 10, 20, 300][i] },
            );
          }
        }
        return out;
      });
    const cArgs = (i: number) => {
      const f = path.join(dir, "c", `o${i}.csv`);
      return [
        "oracle",
        "run",
        "--network",
        "e2e",
        "--metrics",
        METRICS_SPEC,
        "--samples",
        f,
        "--interval",
        "1",
        "--lag",
        "1",
        "--proposal-window",
        "8",
        "--stagger",
        "3",
        "--shared",
        shared,
        "--state",
        path.join(dir, "c", `state${i}`),
      ];
    };
    const daemonsC = cAll.map((w, i) =>
      start(cArgs(i), {
        ORACLE_PRIVATE_KEY: w.privateKey,
        ...(i === 2 ? { ORACLE_TEST_CRASH: "after-sign-record" } : {}),
      }),
    );
    // Agreement for A, once its prober runs: milestone 0 with an outage in its middle, milestone 1 clean.
    await waitFor(
      () => fs.existsSync(store),
      START_MS,
      () => `daemon A did not start probing:\n${daemonA.stderr.join("\n")}`,
    );
    const a0 = Math.max(await latest(), now()) + 1;
    // The outage lasts 8 s: a loaded machine can leave the prober's process unscheduled for seconds, and the
    // scenario needs probes during the outage (at 0.2 s apart: some 40).
    const idA = await create(account(4), oracleA.address, a0, [a0 + 20, a0 + 24]);
    outage = [a0 + 4, a0 + 12];

    // B, run 1: killed by SIGKILL after recording its first transaction, before broadcasting it. Its two agreements
    // are created once it runs, with milestone 1 due only after runs 2 and 3 have started too: the gap is three
    // times how long a daemon took to start here (a loaded machine starts processes slowly), so the scenario
    // below (milestone 0 posted by run 1's record, milestone 1 falling due during run 3's RPC outage) does not
    // depend on the machine's speed.
    const spawnedAt = Date.now();
    const b1 = runB("after-record");
    await waitFor(
      () => logsOf(b1).some((l) => l.action === "start"),
      START_MS,
      () => `daemon B did not start:\n${b1.stderr.join("\n")}`,
    );
    const startup = Math.ceil((Date.now() - spawnedAt) / 1000);
    const t0 = Math.max(await latest(), now()) + 2;
    const gap = Math.max(26, 3 * startup + 10);
    const dues = [t0 + 10, t0 + 10 + gap, t0 + 16 + gap];
    const rows: Sample[] = [];
    for (let t = t0 - 5; t < dues[2] + 5; t++) {
      for (let k = 0; k < 10; k++) {
        const m = dues.findIndex((d) => t < d);
        rows.push(
          k < m + 1 && t % 3 === 0
            ? { timestamp: t, ok: false, latencyMs: null }
            : { timestamp: t, ok: true, latencyMs: 50 + k * 10 + (t % 7) },
        );
      }
    }
    fs.mkdirSync(path.dirname(csv), { recursive: true });
    fs.writeFileSync(csv, formatSamplesCsv(rows));
    const idB1 = await create(account(1), oracleB.address, t0, dues);
    const idB2 = await create(account(3), oracleB.address, t0, dues);
    const b1Exit = await exitOf(b1);
    expect(b1Exit.signal, b1.stderr.join("\n")).to.equal("SIGKILL");
    expect(logsOf(b1).filter((l) => l.action === "posting").length).to.equal(0);
    const recorded = JSON.parse(fs.readFileSync(path.join(stateB, "state.json"), "utf8")).pendingTx;
    expect(recorded.items).to.deep.equal([
      { kind: "post", id: idB1.toString(), milestone: 0 },
      { kind: "post", id: idB2.toString(), milestone: 0 },
    ]);
    expect(await status(idB1, 0)).to.equal(0); // never broadcast

    // B, run 2: rebroadcasts exactly the recorded transaction, then is killed after broadcasting the next
    // one (the settles) and before recording its receipt.
    const b2 = runB("after-broadcast");
    const b2Exit = await exitOf(b2);
    expect(b2Exit.signal, b2.stderr.join("\n")).to.equal("SIGKILL");
    const l2 = logsOf(b2);
    expect(l2.find((l) => l.action === "rebroadcast")?.txHash).to.equal(recorded.hash);
    expect(l2.filter((l) => l.action === "posted").map((l) => l.txHash)).to.deep.equal([recorded.hash, recorded.hash]);
    expect(await status(idB1, 0)).to.equal(3); // the settle went through; its receipt was not recorded

    // B, run 3: through the proxy, which goes away for 4 s while milestone 1 falls due.
    const b3 = runB();
    await waitFor(
      () => logsOf(b3).some((l) => l.action === "start"),
      START_MS,
      () => b3.stderr.join("\n"),
    );
    while (now() < dues[1] - 1) await new Promise((r) => setTimeout(r, 200));
    await proxy.stop();
    await new Promise((r) => setTimeout(r, 4000));
    await proxy.start();
    // Then the node process itself stops (SIGSTOP: requests hang and time out) for 6 s, and continues.
    node.child.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 6000));
    node.child.kill("SIGCONT");
    await waitFor(
      async () => (await status(idB1, 2)) === 3 && (await status(idB2, 2)) === 3,
      60_000,
      () => `B did not finish:\n${b3.lines.slice(-5).join("\n")}\n${b3.stderr.join("\n")}`,
    );
    b3.child.kill("SIGTERM");
    expect((await exitOf(b3, 60_000)).code).to.equal(0);
    const l3 = logsOf(b3);
    expect(
      l3.some((l) => l.action === "retry"),
      "no retry logged during the RPC outage",
    ).to.equal(true);
    expect(l3.at(-1)?.action).to.equal("stopped");
    expect(l3.find((l) => l.action === "settled" && l.milestone === 0)?.txHash).to.be.a("string"); // the receipt run 2 missed

    // Every milestone of B: attested exactly once, settled exactly once, with the CSV's values; every
    // transaction oracle B sent succeeded (no double post, not even a reverted one).
    for (const id of [idB1, idB2]) {
      for (let m = 0; m < 3; m++) {
        const posted = await events("AttestationPosted", id, m);
        expect(posted, `agreement ${id} milestone ${m}`).to.have.length(1);
        expect(await events("MilestoneSettled", id, m)).to.have.length(1);
        const start = m === 0 ? t0 : dues[m - 1];
        const want = computeMetrics(inPeriod(rows, start, dues[m]), ["availability_ppm", "latency_p95_ms"]).values;
        const args = (posted[0] as unknown as { args: unknown[] }).args;
        expect((args[3] as bigint[]).map(Number)).to.deep.equal(want);
        expect(Number(args[2])).to.equal(cutBps(TIERS, want));
      }
    }
    const sent = await txsFrom(provider, oracleB.address);
    expect(sent.failed).to.equal(0);
    // The transactions on chain are exactly those the daemon saw mined (a transaction sent while the node was
    // stopped may have been replaced at its nonce: the replaced one never reached the chain).
    const mined = [...l2, ...l3].filter((l) => (l.action === "posted" || l.action === "settled") && l.txHash);
    expect(sent.count).to.equal(new Set(mined.map((l) => l.txHash)).size);

    // ---- C: once every daemon is up, the agreement; then posted once, with exactly the three honest signatures. ----
    for (const d of daemonsC)
      await waitFor(
        () => logsOf(d).some((l) => l.action === "start"),
        START_MS,
        () => `a C daemon did not start:\n${d.stderr.join("\n")}`,
      );
    // The period starts a few seconds ahead: on a loaded machine the creation can be mined seconds after this
    // line, and the escrow refuses a due time that is not in the future.
    const cStart = Math.max(await latest(), now()) + 6;
    const cDue = cStart + 6;
    // The sample files, written before the period ends (the daemons read them when they measure it).
    const cRows = cRowsFrom(cStart - 5);
    cRows.forEach((rows, i) => {
      fs.mkdirSync(path.join(dir, "c"), { recursive: true });
      fs.writeFileSync(path.join(dir, "c", `o${i}.csv`), formatSamplesCsv(rows));
    });
    const cOracleList = sortAddresses([...cAll, cForger].map((w) => w.address));
    const idC = await create(account(6), cOracleList, cStart, [cDue], 3);
    const cTarget = {
      chainId: 31337n,
      escrow: await escrow.getAddress(),
      domain: await readDomain(escrow as unknown as Pick<SLAEscrow, "eip712Domain">),
      id: idC,
      milestone: 0,
      period: { start: cStart, end: cDue },
      metrics: TIERS,
    };
    const cBase = `agreement-${idC}-milestone-0`;
    const cFolder = path.join(shared, `31337-${cTarget.escrow}`);
    const perfectRows = Array.from({ length: 60 }, (_, k) => ({ timestamp: cStart + (k % 6), ok: true, latencyMs: 1 }));
    const forged = await plantReport(cFolder, cTarget, {
      file: `${cBase}.report.forged.json`,
      author: cHonest[0].address,
      samples: perfectRows,
      names: ["availability_ppm", "latency_p95_ms"],
      signers: [cForger.address],
      proposers: [cForger.address],
    });
    // The crashing daemon dies right after recording its choice: restart it on the same state folder.
    const crashed = await exitOf(daemonsC[2]);
    expect(crashed.signal, daemonsC[2].stderr.join("\n")).to.equal("SIGKILL");
    expect(logsOf(daemonsC[2]).filter((l) => l.action === "signed")).to.deep.equal([]);
    const recordDir = path.join(dir, "c", "state2", "signed");
    const recordC = () => {
      const files = fs.readdirSync(recordDir);
      expect(files).to.have.length(1);
      return JSON.parse(fs.readFileSync(path.join(recordDir, files[0]), "utf8")) as {
        digest: string;
        evidence: string;
      };
    };
    const recorded2 = recordC();
    const restarted = start(cArgs(2), { ORACLE_PRIVATE_KEY: cHonest[2].privateKey });
    daemonsC[2] = restarted;
    await waitFor(
      async () => (await status(idC, 0)) === 3,
      START_MS,
      () => `C did not finish (logs in ${dir}/logs):\n${daemonsC.map((d) => d.lines.slice(-3).join("\n")).join("\n")}`,
    );
    for (const d of daemonsC) d.child.kill("SIGTERM");
    for (const d of daemonsC) expect((await exitOf(d, 60_000)).code).to.equal(0);
    const postedC = await events("AttestationPosted", idC, 0);
    expect(postedC).to.have.length(1);
    const bit = (w: Wallet) => 1n << BigInt(cOracleList.indexOf(w.address));
    const argsC = (postedC[0] as unknown as { args: unknown[] }).args;
    expect(argsC[5]).to.equal(bit(cHonest[0]) | bit(cHonest[1]) | bit(cHonest[2]));
    // The report posted is the first honest one in oracle order, byte for byte.
    const firstHonest = cHonest
      .map((w) => w.address)
      .sort((x, y) => cOracleList.indexOf(x) - cOracleList.indexOf(y))[0];
    const firstReport = fs.readFileSync(path.join(cFolder, `${cBase}.report.${firstHonest}.json`));
    expect(argsC[4]).to.equal(keccak256(firstReport));
    const valuesC = (argsC[3] as bigint[]).map(Number);
    expect(valuesC).to.deep.equal(
      computeMetrics(inPeriod(cRows[cHonest.findIndex((w) => w.address === firstHonest)], cStart, cDue), [
        "availability_ppm",
        "latency_p95_ms",
      ]).values,
    );
    // The restarted daemon signed exactly the digest it had recorded before it was killed, once, and chose nothing anew.
    expect(recordC()).to.deep.equal(recorded2);
    expect(recorded2.evidence).to.equal(keccak256(firstReport));
    expect(logsOf(restarted).filter((l) => l.action === "chose")).to.deep.equal([]);
    expect(
      logsOf(restarted)
        .filter((l) => l.action === "signed")
        .map((l) => l.digest),
    ).to.deep.equal([recorded2.digest]);
    const sigsOf = (w: Wallet) => fs.readdirSync(cFolder).filter((f) => f.endsWith(`.${w.address}.sig.json`));
    for (const w of cHonest)
      expect(sigsOf(w), w.address).to.deep.equal([
        `${cBase}.${keccak256(firstReport).slice(2, 12)}.${w.address}.sig.json`,
      ]);
    // The outlier and the forger got no co-signer; every honest daemon said why.
    const outlierReport = keccak256(fs.readFileSync(path.join(cFolder, `${cBase}.report.${cOutlier.address}.json`)));
    const signersOf = (evidence: string) =>
      fs
        .readdirSync(cFolder)
        .filter((f) => f.startsWith(`${cBase}.${evidence.slice(2, 12)}.`) && f.endsWith(".sig.json"));
    expect(signersOf(outlierReport)).to.deep.equal([
      `${cBase}.${outlierReport.slice(2, 12)}.${cOutlier.address}.sig.json`,
    ]);
    expect(signersOf(forged.evidence)).to.deep.equal([
      `${cBase}.${forged.evidence.slice(2, 12)}.${cForger.address}.sig.json`,
    ]);
    for (const i of [0, 1]) {
      const refusedC = logsOf(daemonsC[i])
        .filter((l) => l.action === "refused")
        .map((l) => String(l.reason));
      const outlierRe = new RegExp(
        `refusing to co-sign ${cOutlier.address}'s report: latency_p95_ms differs by \\d+ \\(report \\d+, ours \\d+; tolerance 10% = \\d+\\)`,
      );
      expect(
        refusedC.some((r) => outlierRe.test(r)),
        `oracle ${i}: ${refusedC.join(" | ")}`,
      ).to.equal(true);
      // The oracle the forgery names sees a file claiming to be its own; the other sees no proposal signature.
      const forgedReason =
        i === 0
          ? `${cBase}.report.forged.json: it names this oracle (${cHonest[0].address}) as its author but is not the report this oracle wrote: a forgery`
          : `${cBase}.report.forged.json: ${cHonest[0].address} has not signed it as its proposal (no valid ${cBase}.proposal.${cHonest[0].address}.json for it)`;
      expect(refusedC, `oracle ${i}`).to.include(forgedReason);
    }
    expect(await events("MilestoneSettled", idC, 0)).to.have.length(1);

    // ---- A finishes: both milestones attested and settled; the values are the outage's. ----
    await waitFor(
      async () => (await status(idA, 1)) === 3,
      60_000,
      () => `A did not finish:\n${daemonA.lines.slice(-5).join("\n")}\n${daemonA.stderr.join("\n")}`,
    );
    daemonA.child.kill("SIGTERM");
    expect((await exitOf(daemonA, 60_000)).code).to.equal(0);
    service.close();
    const probes = readStore(store).samples;
    const p0 = inPeriod(probes, a0, a0 + 20);
    const failed = p0.filter((s) => !s.ok).length;
    // Every scripted failure was measured, in milestone 0's period (a probe timing out on a loaded machine
    // would be a failure too, and counted: the values below are checked against every stored sample).
    const raw = fs
      .readFileSync(store, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { timestamp: number; status: number | null });
    expect(served503).to.be.greaterThan(0);
    expect(raw.filter((r) => r.status === 503 && r.timestamp >= a0 && r.timestamp < a0 + 20)).to.have.length(served503);
    expect(failed).to.be.at.least(served503);
    const postedA0 = (await events("AttestationPosted", idA, 0))[0] as unknown as { args: unknown[] };
    const valuesA0 = (postedA0.args[3] as bigint[]).map(Number);
    expect(valuesA0[0]).to.equal(Math.floor((1_000_000 * (p0.length - failed)) / p0.length));
    expect(valuesA0).to.deep.equal(computeMetrics(p0, ["availability_ppm", "latency_p95_ms"]).values);
    expect(Number(postedA0.args[2])).to.equal(cutBps(TIERS, valuesA0)).and.be.greaterThan(0);
    const postedA1 = (await events("AttestationPosted", idA, 1))[0] as unknown as { args: unknown[] };
    expect(Number((postedA1.args[3] as bigint[])[0])).to.equal(1_000_000);

    // ---- Bad input: one line, exit 1, nothing posted (agreement E, due, oracle = account 12). ----
    const oracleE = account(12);
    const e0 = Math.max(await latest(), now()) + 1;
    const idE = await create(account(5), oracleE.address, e0 - 100, [e0 + 4, e0 + 1000]);
    while (Math.max(await latest(), now()) < e0 + 5) await new Promise((r) => setTimeout(r, 200));
    const good = path.join(dir, "e.csv");
    fs.writeFileSync(
      good,
      formatSamplesCsv(Array.from({ length: 50 }, (_, k) => ({ timestamp: e0 - 100 + k, ok: true, latencyMs: 10 }))),
    );
    const malformed = path.join(dir, "malformed.csv");
    fs.writeFileSync(malformed, fs.readFileSync(good, "utf8").replace(/\n(\d+),1,10\n/, "\n$1,maybe,10\n"));
    const reportA = path.join(dir, "a", "state", "reports", `agreement-${idA}-milestone-0.json`);
    const tampered = path.join(dir, "tampered.json");
    fs.writeFileSync(
      tampered,
      fs.readFileSync(reportA, "utf8").replace(/"ok": (\d+)/, (_m, n) => `"ok": ${Number(n) + 1}`),
    );
    const attest = [
      "oracle",
      "attest",
      "--agreement",
      idE.toString(),
      "--milestone",
      "0",
      "--metrics",
      METRICS_SPEC,
      "--state",
      path.join(dir, "e-state"),
    ];
    // An RPC that lies about its chain id (answers 1, forwards everything else to the node).
    const liar = http.createServer((req, res) => {
      let body = "";
      req.on("data", (b: Buffer) => (body += b.toString()));
      req.on("end", () => {
        const call = JSON.parse(body) as { id: number; method: string };
        const fake = { eth_chainId: "0x1", net_version: "1" }[call.method];
        if (fake !== undefined)
          return void res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result: fake }));
        void fetch(`http://127.0.0.1:${rpcPort}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        })
          .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    const liarUrl = `http://127.0.0.1:${(liar.address() as net.AddressInfo).port}`;
    const key = { ORACLE_PRIVATE_KEY: oracleE.privateKey };
    const verifyA = (report: string) => [
      "oracle",
      "verify",
      "--agreement",
      idA.toString(),
      "--milestone",
      "0",
      "--report",
      report,
      "--network",
      "e2e",
    ];
    const cases = await Promise.all([
      cli([...attest, "--samples", malformed, "--network", "e2e"], key),
      cli([...attest, "--prometheus", `http://127.0.0.1:${await freePort()}`, "--network", "e2e"], key),
      cli([...attest, "--samples", good, "--network", "e2e"], { ORACLE_PRIVATE_KEY: account(13).privateKey }),
      cli([...attest, "--samples", good, "--network", "hardhat"], key),
      cli(verifyA(tampered)),
      cli(verifyA(reportA)),
      cli([...attest, "--samples", good, "--network", "e2e"], { ...key, E2E_RPC_URL: liarUrl }),
      cli([...attest, "--samples", good, "--network", "e2eUnpinned"], key),
    ]);
    liar.close();
    const expected = [
      /^error: malformed\.csv line \d+: ok "maybe" must be 1 or 0 in /,
      /^error: --prometheus: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
      /^error: key: 0x[0-9a-fA-F]{40} is not an oracle of agreement \d+/,
      /^error: no SLAEscrow deployment on network "hardhat"/,
      /^mismatch: the report's keccak256 is 0x[0-9a-f]{64}, the posted evidence is 0x[0-9a-f]{64}/,
      undefined,
      /^error: --network e2e: the RPC answers chain id 1, but the network is configured as chain 31337; refusing to go on \(a wrong or lying RPC\)$/,
      /^error: --network e2eUnpinned: the Hardhat config gives this network no chainId; set it, so that a wrong or lying RPC cannot obtain a signature for another chain$/,
    ];
    expected.forEach((re, i) => {
      if (re === undefined) return;
      expect(cases[i].code, `case ${i}: ${cases[i].stderr.join("\n")}`).to.equal(1);
      expect(cases[i].stderr, `case ${i}`).to.have.length(1);
      expect(cases[i].stderr[0]).to.match(re);
    });
    expect(cases[5].code, cases[5].stderr.join("\n")).to.equal(0);
    expect(cases[5].stdout[0]).to.match(/^ok: keccak256 /);
    expect(await status(idE, 0)).to.equal(0);
    expect((await txsFrom(provider, oracleE.address)).count).to.equal(0);
    // Nothing was signed: no signing record, no signature file.
    expect(fs.existsSync(path.join(dir, "e-state", "signed"))).to.equal(false);
    expect(
      fs
        .readdirSync(ROOT)
        .concat(
          fs.existsSync(path.join(ROOT, "oracle-reports", "e2e"))
            ? fs.readdirSync(path.join(ROOT, "oracle-reports", "e2e"))
            : [],
        )
        .filter((f) => f.includes(oracleE.address)),
    ).to.deep.equal([]);
  });
});

/** Transactions sent by `from` on the node, and how many of them reverted. */
async function txsFrom(provider: JsonRpcProvider, from: string): Promise<{ count: number; failed: number }> {
  const latest = await provider.getBlockNumber();
  let count = 0;
  let failed = 0;
  for (let b = 0; b <= latest; b++) {
    const block = await provider.getBlock(b, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from.toLowerCase() !== from.toLowerCase()) continue;
      count++;
      if ((await provider.getTransactionReceipt(tx.hash))?.status !== 1) failed++;
    }
  }
  return { count, failed };
}
