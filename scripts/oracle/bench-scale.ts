/**
 * The daemon at scale: one round over N agreements (default 1,000) with a milestone due in each, on a real
 * `hardhat node` process (a free port, the project's config), the daemon in this process talking to it over HTTP
 * through a proxy that counts every JSON-RPC request (each entry of a JSON-RPC batch counted as one). The
 * daemon's provider sends no JSON-RPC batches (one request per HTTP call, like Hardhat's own provider), so the
 * count is what the daemon's code asks for.
 *
 * Each agreement: one oracle (1 of 1), the reference SLA (two metrics), 12 monthly milestones, the first one due
 * (the other eleven not yet: they cost nothing). Setup (deploying the escrow, creating and accepting the agreements
 * in JSON-RPC batches of transactions with automine, moving the clock past the first due time) is not measured.
 * Then two rounds are measured: round 1 measures, signs and posts every due milestone; round 2 settles them
 * (no arbitrator: an attested milestone settles at once).
 *
 * Used by scripts/oracle/bench.ts (BENCH_SCALE=1, or `npm run bench:oracle:scale`) and test/oracle/scale.test.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { HDNodeWallet, Interface, JsonRpcProvider, Mnemonic, Network, Wallet, ZeroAddress } from "ethers";
import { SLAEscrow__factory } from "../../typechain-types";
import { parseTolerances } from "../lib/kpi/tolerance";
import { REFERENCE_METRICS } from "../lib/reference";
import { specsFromArgs } from "./commands";
import { formatSamplesCsv } from "./csv";
import { Daemon } from "./daemon";
import { FileSource } from "./file-source";
import { Logger } from "./log";
import type { Sample } from "./samples";
import { escrowDomain } from "./signing";

const ROOT = path.resolve(__dirname, "../..");
const MNEMONIC = "test test test test test test test test test test test junk";
const DAY = 86_400;

function account(i: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), `m/44'/60'/0'/0/${i}`);
}

/** An HTTP proxy in front of the node that counts requests, JSON-RPC entries and methods. */
export class CountingProxy {
  http = 0;
  entries = 0;
  readonly methods = new Map<string, number>();
  /** Milliseconds spent waiting for the node, by method (a batch's time goes to its first entry's method). */
  readonly waitMs = new Map<string, number>();
  private server?: http.Server;
  port = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const method = this.count(body);
        const start = Date.now();
        const up = http.request(
          {
            host: "127.0.0.1",
            port: this.target,
            method: req.method,
            path: req.url,
            headers: { "content-type": "application/json", "content-length": body.length },
          },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
            r.on("end", () => this.waitMs.set(method, (this.waitMs.get(method) ?? 0) + Date.now() - start));
          },
        );
        up.on("error", () => res.destroy());
        up.end(body);
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Counts a request's entries; returns its (first) method. */
  private count(body: Buffer): string {
    this.http++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      this.entries++;
      return "(not JSON)";
    }
    let first: string | undefined;
    for (const e of Array.isArray(parsed) ? parsed : [parsed]) {
      this.entries++;
      const m = String((e as { method?: unknown }).method);
      first ??= m;
      this.methods.set(m, (this.methods.get(m) ?? 0) + 1);
    }
    return first ?? "(empty batch)";
  }

  reset(): void {
    this.http = 0;
    this.entries = 0;
    this.methods.clear();
    this.waitMs.clear();
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}

/** A `hardhat node` child process on a free port. */
export class NodeProcess {
  private child?: ChildProcess;
  port = 0;
  private output = "";

  async start(timeoutMs = 180_000): Promise<void> {
    this.port = await freePort();
    const cli = require.resolve("hardhat/internal/cli/cli.js");
    const env = { ...process.env };
    delete env.HARDHAT_NETWORK;
    const child = spawn(process.execPath, [cli, "node", "--port", String(this.port), "--no-deploy"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hardhat node did not start:\n${this.output}`)), timeoutMs);
      const onData = (b: Buffer): void => {
        if (this.output.length < 20_000) this.output += b.toString();
        if (this.output.includes("Started HTTP")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`hardhat node exited (${code}):\n${this.output}`));
      });
    });
    // Keep draining its output (a full pipe would block it), and stop its per-request logging.
    this.child.stdout!.removeAllListeners("data").resume();
    this.child.stderr!.removeAllListeners("data").resume();
    this.child.removeAllListeners("exit");
    await rpc(this.url, "hardhat_setLoggingEnabled", [false]);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface RpcAnswer {
  id: number;
  result?: unknown;
  error?: { message: string };
}

/** One JSON-RPC call (setup only, straight to the node). */
async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const [a] = await rpcBatch(url, [{ method, params }]);
  return a;
}

/** A JSON-RPC batch (setup only); throws on the first entry that failed. */
async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<unknown[]> {
  const body = calls.map((c, id) => ({ jsonrpc: "2.0", id, method: c.method, params: c.params }));
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answers = (await res.json()) as RpcAnswer[];
  answers.sort((a, b) => a.id - b.id);
  for (const a of answers) if (a.error) throw new Error(`${calls[a.id].method}: ${a.error.message}`);
  return answers.map((a) => a.result);
}

const hex = (n: bigint | number): string => "0x" + BigInt(n).toString(16);

export interface RoundFigures {
  wallMs: number;
  /** CPU time of this process (the daemon's) during the round. */
  cpuMs: number;
  /** JSON-RPC requests (batch entries counted one by one) and HTTP requests. */
  requests: number;
  httpRequests: number;
  byMethod: Record<string, number>;
  /** Time spent waiting for the node, by method (milliseconds). */
  nodeMs: Record<string, number>;
  /** Milestones acted on (posted, or settled) and the transactions that carried them. */
  milestones: number;
  transactions: number;
  gas: bigint;
}

export interface ScaleResult {
  agreements: number;
  setupMs: number;
  post: RoundFigures;
  settle: RoundFigures;
  /** AttestationPosted events per due milestone (each must be exactly 1). */
  attestationsPerMilestone: number[];
}

/**
 * Runs the scale scenario (see the module comment) and returns its figures. `say` prints progress lines (setup
 * steps); the node and the proxy are stopped before it returns.
 */
export async function scaleRound(opts: { agreements: number; say?: (line: string) => void }): Promise<ScaleResult> {
  const say = opts.say ?? (() => undefined);
  const n = opts.agreements;
  const node = new NodeProcess();
  let proxy: CountingProxy | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oracle-scale-"));
  let provider: JsonRpcProvider | undefined;
  let direct: JsonRpcProvider | undefined;
  try {
    const t0 = Date.now();
    await node.start();
    const counter = new CountingProxy(node.port);
    proxy = counter;
    await counter.start();
    const [deployer, client, vendor, oracleAccount] = [account(0), account(1), account(2), account(6)];
    // Deploy the escrow (a plain CREATE: the address does not matter here).
    const artifact = SLAEscrow__factory;
    const deployHash = (await rpc(node.url, "eth_sendTransaction", [
      { from: deployer.address, data: artifact.bytecode, gas: hex(15_000_000) },
    ])) as string;
    const deployReceipt = (await rpc(node.url, "eth_getTransactionReceipt", [deployHash])) as {
      contractAddress: string;
      blockNumber: string;
    };
    const address = deployReceipt.contractAddress;
    const iface = new Interface(artifact.abi);
    const latest = (await rpc(node.url, "eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    const startAt = Number(latest.timestamp);
    const dues = Array.from({ length: 12 }, (_, i) => startAt + (i + 1) * 30 * DAY);
    const terms = {
      client: client.address,
      vendor: vendor.address,
      token: ZeroAddress,
      arbitrator: ZeroAddress,
      disputeWindow: 0,
      attestGrace: 3 * DAY,
      arbitrationTimeout: 0,
      silentCutBps: 10_000,
      threshold: 1,
      startAt,
      oracles: [oracleAccount.address],
      metrics: REFERENCE_METRICS,
      milestones: dues.map((dueAt) => ({ amount: 10n ** 15n, dueAt })),
    };
    const create = {
      from: client.address,
      to: address,
      data: iface.encodeFunctionData("createAgreement", [terms]),
      value: hex(12n * 10n ** 15n),
    };
    const gas = BigInt((await rpc(node.url, "eth_estimateGas", [create])) as string);
    const sendAll = async (txs: object[]): Promise<void> => {
      for (let i = 0; i < txs.length; i += 100) {
        await rpcBatch(
          node.url,
          txs.slice(i, i + 100).map((tx) => ({ method: "eth_sendTransaction", params: [tx] })),
        );
      }
    };
    await sendAll(Array.from({ length: n }, () => ({ ...create, gas: hex((gas * 12n) / 10n) })));
    await sendAll(
      Array.from({ length: n }, (_, i) => ({
        from: vendor.address,
        to: address,
        data: iface.encodeFunctionData("accept", [i + 1]),
        gas: hex(100_000),
      })),
    );
    // Past the first due time: milestone 0 of every agreement is due.
    await rpc(node.url, "evm_setNextBlockTimestamp", [dues[0] + 60]);
    await rpc(node.url, "evm_mine", []);
    // One probe every 10 minutes over milestone 0's period, 1 in 97 failed.
    const rows: Sample[] = [];
    for (let k = 0; startAt + k * 600 < dues[0]; k++)
      rows.push(
        k % 97 === 0
          ? { timestamp: startAt + k * 600, ok: false, latencyMs: null }
          : { timestamp: startAt + k * 600, ok: true, latencyMs: 100 + (k % 300) },
      );
    const csv = path.join(dir, "samples.csv");
    fs.writeFileSync(csv, formatSamplesCsv(rows));
    const setupMs = Date.now() - t0;
    say(`scale setup: node, escrow, ${n} agreements created and accepted in ${(setupMs / 1000).toFixed(1)} s`);

    // The daemon, as `oracle run` builds it, on a provider that sends one request per HTTP call.
    const network = Network.from(31337);
    provider = new JsonRpcProvider(`http://127.0.0.1:${counter.port}`, network, {
      staticNetwork: network,
      batchMaxCount: 1,
      cacheTimeout: -1,
    });
    direct = new JsonRpcProvider(node.url, network, { staticNetwork: network, batchMaxCount: 1 });
    const escrow = SLAEscrow__factory.connect(address, provider);
    const c = { escrow, address, chainId: 31337n, domain: await escrowDomain(escrow, 31337n), provider };
    const oracle = new Wallet(oracleAccount.privateKey);
    const specs = specsFromArgs({ metrics: "availability_ppm,latency_p95_ms" });
    const lines: string[] = [];
    const daemon = new Daemon(
      c,
      oracle,
      oracle.address,
      oracle.connect(provider),
      {
        specs,
        specsFlag: "--metrics",
        sources: { probes: new FileSource(csv) },
        stateDir: path.join(dir, "state"),
        intervalMs: 1000,
        blockRange: 5000,
        fromBlock: Number(deployReceipt.blockNumber),
        once: true,
        settle: true,
        tolerances: parseTolerances(undefined, specs),
        maxBatch: 100,
        onceAttempts: 1,
        lagSeconds: 0,
        staggerSeconds: 15,
        proposalWindowSeconds: 60,
      },
      new Logger((l) => void lines.push(l)),
    );
    daemon.open();
    const measured = async (action: "posted" | "settled"): Promise<RoundFigures> => {
      lines.length = 0;
      counter.reset();
      const start = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      await daemon.round();
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const counted = {
        requests: counter.entries,
        httpRequests: counter.http,
        byMethod: Object.fromEntries(counter.methods),
        nodeMs: Object.fromEntries(counter.waitMs),
      };
      const logs = lines.map(
        (l) => JSON.parse(l) as { action: string; level: string; txHash?: string; reason?: string },
      );
      const bad = logs.find((l) => l.level === "warn" || l.level === "error");
      if (bad) throw new Error(`the daemon logged ${JSON.stringify(bad)}`);
      const done = logs.filter((l) => l.action === action);
      const txs = [...new Set(done.map((l) => l.txHash as string))];
      let gasUsed = 0n;
      for (const h of txs) gasUsed += (await direct!.getTransactionReceipt(h))!.gasUsed;
      return { wallMs, cpuMs, ...counted, milestones: done.length, transactions: txs.length, gas: gasUsed };
    };
    let post: RoundFigures;
    let settle: RoundFigures;
    try {
      post = await measured("posted");
      settle = await measured("settled");
    } finally {
      daemon.close();
    }
    const posted = await SLAEscrow__factory.connect(address, direct).queryFilter(
      SLAEscrow__factory.connect(address, direct).filters.AttestationPosted(),
    );
    const perMilestone = new Array<number>(n).fill(0);
    for (const e of posted) if (Number(e.args.milestone) === 0) perMilestone[Number(e.args.id) - 1]++;
    return { agreements: n, setupMs, post, settle, attestationsPerMilestone: perMilestone };
  } finally {
    provider?.destroy();
    direct?.destroy();
    await proxy?.stop();
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as the benchmark prints them. */
export function describeScale(r: ScaleResult): string[] {
  const line = (what: string, f: RoundFigures): string =>
    `${what}: ${f.milestones} milestones in ${(f.wallMs / 1000).toFixed(1)} s wall (${(f.cpuMs / 1000).toFixed(1)} s CPU in ` +
    `the daemon, ${(Object.values(f.nodeMs).reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s waiting for the node); ${f.requests} JSON-RPC requests ` +
    `(${(f.requests / Math.max(1, f.milestones)).toFixed(2)} per milestone; ${f.httpRequests} HTTP); ` +
    `${f.transactions} transactions, ${f.milestones ? (f.gas / BigInt(f.milestones)).toString() : "-"} gas per milestone`;
  const methods = Object.entries(r.post.byMethod)
    .sort((a, b) => b[1] - a[1])
    .map(([m, k]) => `${m} ${k}`)
    .join(", ");
  const goal = r.post.wallMs < 60_000 && r.post.requests <= 3 * r.post.milestones;
  return [
    `scale (hardhat node, ${r.agreements} agreements x 12 milestones, the first due; setup ${(r.setupMs / 1000).toFixed(0)} s, not measured)`,
    `  ${line("round 1, posting", r.post)} (goal < 60 s and <= 3 requests per milestone: ${goal ? "met" : "NOT met"})`,
    `    requests by method: ${methods}`,
    `  ${line("round 2, settling", r.settle)}`,
    `  AttestationPosted per milestone: ${r.attestationsPerMilestone.every((k) => k === 1) ? "exactly 1 each" : "NOT 1 each"}`,
  ];
}
