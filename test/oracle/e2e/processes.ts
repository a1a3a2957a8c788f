/**
 * Real parts for the oracle's RPC and monitoring tests: a `hardhat node` process on a free port with the escrow
 * deployed (`hardhat deploy --network e2e`, config test/oracle/e2e/hardhat.config.ts), the CLI as child processes
 * with their output kept (and written to <dir>/logs/), JSON-RPC proxies (node:http) that can be killed and that
 * record the calls made through them, and agreements created directly on the node. Used by rpc.test.ts,
 * monitoring.test.ts and node-fees.test.ts. No side effect on import (Hardhat's test runner loads every file).
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import hre from "hardhat";
import { Contract, HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet, ZeroAddress } from "ethers";
import { REFERENCE_METRICS } from "../../../scripts/lib/reference";
import { sortAddresses } from "../../../scripts/lib/model";
import { HARDHAT_MNEMONIC, freePort, waitFor } from "../helpers";

export const ROOT = path.resolve(__dirname, "../../..");
const CLI = require.resolve("hardhat/internal/cli/cli.js");
const CONFIG = path.join(__dirname, "hardhat.config.ts");

export function account(i: number): Wallet {
  const w = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_MNEMONIC), `m/44'/60'/0'/0/${i}`);
  return new Wallet(w.privateKey);
}

export interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `hardhat <args> --config test/oracle/e2e/hardhat.config.ts` with `env`; output in <dir>/logs/. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, dir: string, procs: ChildProcess[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args, "--config", CONFIG], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  procs.push(child);
  const p: Proc = {
    child,
    lines: [],
    stderr: [],
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
  };
  const logFile = path.join(dir, "logs", `${procs.length}-${args.slice(0, 2).join("-")}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  let buf = "";
  child.stdout!.on("data", (b: Buffer) => {
    fs.appendFileSync(logFile, b);
    buf += b.toString();
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    p.lines.push(...parts);
  });
  child.stderr!.on("data", (b: Buffer) => {
    fs.appendFileSync(logFile, b);
    p.stderr.push(
      ...b
        .toString()
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("npm warn")),
    );
  });
  return p;
}

/** The process's exit, or a failure with its last output after `ms`. */
export async function exitOf(p: Proc, ms = 120_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
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

/** The process's JSON log lines. */
export const logsOf = (p: Proc): Record<string, unknown>[] =>
  p.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);

/**
 * Waits until the process logs a line matching `match` (fails early, with its output, if it exits); with `from`,
 * only its JSON log lines from that index on count (e.g. `logsOf(p).length` taken before a step).
 */
export async function waitForLog(
  p: Proc,
  match: (l: Record<string, unknown>) => boolean,
  what: string,
  ms = 120_000,
  from = 0,
): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await waitFor(
    () => {
      found = logsOf(p).slice(from).find(match);
      if (!found && (p.child.exitCode !== null || p.child.signalCode !== null))
        throw new Error(`exited before ${what}:\n${p.lines.slice(-10).join("\n")}\n${p.stderr.join("\n")}`);
      return found !== undefined;
    },
    ms,
    () => `${what}:\n${p.lines.slice(-10).join("\n")}\n${p.stderr.join("\n")}`,
  );
  return found!;
}

export interface Chain {
  port: number;
  url: string;
  provider: JsonRpcProvider;
  escrow: Contract;
  /** The environment for CLI processes on `--network e2e` (E2E_RPC_URL: the node). */
  env: NodeJS.ProcessEnv;
  node: Proc;
}

export interface ChainOptions {
  /** The test's provider's polling interval in ms (e.g. for `tx.wait()`); default 200. */
  pollingInterval?: number;
}

/** A `hardhat node` on a free port with the escrow deployed to it. */
export async function startChain(dir: string, procs: ChildProcess[], opts: ChainOptions = {}): Promise<Chain> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    E2E_DEPLOYMENTS: path.join(dir, "deployments"),
    E2E_RPC_URL: url,
  };
  delete env.HARDHAT_NETWORK;
  const node = startCli(["node", "--port", String(port), "--no-deploy"], env, dir, procs);
  await waitFor(
    () => node.lines.some((l) => l.includes("Started HTTP")),
    120_000,
    () => `node did not start:\n${node.stderr.join("\n")}`,
  );
  const deploy = startCli(["deploy", "--network", "e2e"], env, dir, procs);
  const { code } = await exitOf(deploy);
  if (code !== 0) throw new Error(`deploy failed:\n${deploy.stderr.join("\n")}`);
  const address = JSON.parse(fs.readFileSync(path.join(dir, "deployments", "e2e", "SLAEscrow.json"), "utf8"))
    .address as string;
  // cacheTimeout -1: two quick transactions of one account must not get one cached nonce.
  const provider = new JsonRpcProvider(url, undefined, {
    staticNetwork: true,
    polling: true,
    pollingInterval: opts.pollingInterval ?? 200,
    cacheTimeout: -1,
  });
  const escrow = new Contract(address, (await hre.artifacts.readArtifact("SLAEscrow")).abi, provider);
  return { port, url, provider, escrow, env, node };
}

/** The attestation grace (seconds after a milestone's due time) of the agreements createAgreement makes. */
export const ATTEST_GRACE = 3600;

/** Creates and accepts an agreement (vendor: account 2) with the reference metrics; returns its id. */
export async function createAgreement(
  chain: Chain,
  client: Wallet,
  oracle: string | string[],
  startAt: number,
  dues: number[],
  threshold = 1,
): Promise<bigint> {
  const c = chain.escrow.connect(client.connect(chain.provider)) as Contract;
  const terms = {
    client: client.address,
    vendor: account(2).address,
    token: ZeroAddress,
    arbitrator: ZeroAddress,
    disputeWindow: 0,
    attestGrace: ATTEST_GRACE,
    arbitrationTimeout: 0,
    silentCutBps: 10_000,
    threshold,
    startAt,
    oracles: typeof oracle === "string" ? [oracle] : sortAddresses(oracle),
    metrics: REFERENCE_METRICS,
    milestones: dues.map((dueAt) => ({ amount: 10n ** 18n, dueAt })),
  };
  const tx = await c.createAgreement(terms, { value: BigInt(dues.length) * 10n ** 18n });
  const receipt = await tx.wait();
  const id = (chain.escrow.interface.parseLog(receipt.logs[0]) as unknown as { args: { id: bigint } }).args.id;
  const accept = await (chain.escrow.connect(account(2).connect(chain.provider)) as Contract).accept(id);
  await accept.wait();
  return id;
}

/** The chain's clock as the daemon sees it: the later of the latest block's timestamp and the wall clock. */
export async function chainNow(chain: Chain): Promise<number> {
  const latest = (await chain.provider.getBlock("latest"))!.timestamp;
  return Math.max(latest, Math.floor(Date.now() / 1000));
}

/** Transactions sent by `from` on the node, and how many of them reverted. */
export async function txsFrom(provider: JsonRpcProvider, from: string): Promise<{ count: number; failed: number }> {
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

/**
 * An HTTP JSON-RPC server on a free local port: by default a proxy forwarding every body to `target`;
 * `answer(call)` may answer a call itself (a fake node: e.g. eth_chainId 0x1). `kill()` closes the server and
 * every open connection (the URL then refuses connections). Every call is recorded: its method in `requests`,
 * its method and first parameter in `calls` (see `count`).
 */
export class RpcServer {
  readonly requests: string[] = [];
  readonly calls: { method: string; first?: unknown }[] = [];
  private server?: http.Server;
  port = 0;
  constructor(
    private readonly target?: string,
    private readonly answer?: (call: { method: string }) => unknown,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (b: Buffer) => (body += b.toString()));
      req.on("end", () => {
        type Call = { id: number; method: string; params?: unknown[] };
        const parsed = JSON.parse(body) as Call | Call[];
        const calls = Array.isArray(parsed) ? parsed : [parsed];
        this.requests.push(...calls.map((c) => c.method));
        this.calls.push(...calls.map((c) => ({ method: c.method, first: c.params?.[0] })));
        const own = this.answer ? calls.map((c) => this.answer!(c)) : [];
        if (this.answer && own.every((r) => r !== undefined)) {
          const out = calls.map((c, i) => ({ jsonrpc: "2.0", id: c.id, result: own[i] }));
          return void res
            .writeHead(200, { "content-type": "application/json" })
            .end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
        }
        if (!this.target) return void res.writeHead(500).end("no target");
        void fetch(this.target, { method: "POST", headers: { "content-type": "application/json" }, body })
          .then(async (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(await r.text()))
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** How many calls of `method` it has had (with `first`: only those with that first parameter). */
  count(method: string, first?: unknown): number {
    return this.calls.filter((c) => c.method === method && (first === undefined || c.first === first)).length;
  }

  /** Stops answering: the port refuses connections from now on, open connections are cut. */
  async kill(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }
}

/** A samples CSV: 10 samples a second over [from, to), every 7th failed. */
export function samplesCsv(from: number, to: number): string {
  const rows = ["timestamp,ok,latency_ms"];
  for (let t = from, k = 0; t < to; t++)
    for (let j = 0; j < 10; j++, k++) rows.push(k % 7 === 0 ? `${t},0,` : `${t},1,${50 + (k % 40)}`);
  return rows.join("\n") + "\n";
}
