/**
 * RPC failover (scripts/oracle/rpc.ts, docs/oracle.md "RPC failover"):
 *  - in process, against small fake JSON-RPC servers (node:http): URLs redacted in every log line and message;
 *    chain ids checked at start (another chain refused with both ids, an unreachable URL a warning, checked
 *    before its first use); failover on refused connections, HTTP 5xx, answers that are not JSON-RPC and
 *    timeouts; a JSON-RPC error answer is not failed over; a URL that changed chain by the time it is needed is
 *    dropped; errors counted by URL; every URL down is one error naming them all;
 *  - against a real `hardhat node` behind TWO JSON-RPC proxies, with the daemon as a separate process
 *    (`oracle run --network e2e --rpc P1,P2`, Hardhat's own URL for the network pointing nowhere): it posts a due
 *    milestone through proxy 1, proxy 1 is killed, the daemon moves to proxy 2 (its log and its metrics say so)
 *    and posts the next due milestone, each exactly once; a URL of another chain (a fake answering eth_chainId
 *    0x1) is refused at start with one line naming it and both chain ids; an unreachable URL at start is a
 *    warning and the daemon runs on the next one.
 * Skipped with ORACLE_E2E=0 and under solidity-coverage (the node part).
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { UserError } from "../../scripts/lib/errors";
import { buildNetworks, rpcUrl, rpcUrls } from "../../scripts/adapters/networks";
import { Logger } from "../../scripts/oracle/log";
import { FailoverProvider, RpcUnavailableError, parseRpcFlag, redactUrl } from "../../scripts/oracle/rpc";
import { freePort, tempDir } from "./helpers";
import {
  type Chain,
  type Proc,
  RpcServer,
  account,
  chainNow,
  createAgreement,
  exitOf,
  logsOf,
  samplesCsv,
  startChain,
  startCli,
  txsFrom,
  waitForLog,
} from "./e2e/processes";

const METRICS = "availability_ppm,latency_p95_ms";
const HARDHAT_CHAIN = 31_337n;

/** A fake node: answers eth_chainId with `chainId` and eth_blockNumber with `block`; `mode` changes its behaviour. */
class FakeNode {
  mode: "ok" | "503" | "garbage" | "hang" | "revert" = "ok";
  calls = 0;
  private server?: http.Server;
  constructor(
    public chainId: bigint,
    readonly block: number,
  ) {}
  url = "";
  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (b: Buffer) => (body += b.toString()));
      req.on("end", () => {
        this.calls++;
        const parsed = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
        const calls = Array.isArray(parsed) ? parsed : [parsed];
        if (this.mode === "hang" && calls.some((c) => c.method !== "eth_chainId")) return; // never answers
        // A connection per request: a stopped fake then refuses the next one (ECONNREFUSED) rather than the client
        // racing the server's FIN on a pooled keep-alive socket (UND_ERR_SOCKET), which a CI run once hit.
        res.shouldKeepAlive = false;
        if (this.mode === "503") return void res.writeHead(503).end("upstream unavailable");
        if (this.mode === "garbage") return void res.writeHead(200).end("<html>captive portal</html>");
        const out = calls.map((c) => {
          if (c.method === "eth_chainId") return { jsonrpc: "2.0", id: c.id, result: `0x${this.chainId.toString(16)}` };
          if (this.mode === "revert")
            return { jsonrpc: "2.0", id: c.id, error: { code: -32000, message: "nonce too low" } };
          return { jsonrpc: "2.0", id: c.id, result: `0x${this.block.toString(16)}` };
        });
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }
}

function capture(): { log: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const log = new Logger((l) => {
    raw.push(l);
    lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { log, lines, raw };
}

describe("oracle RPC failover (in process, fake nodes)", function () {
  const fakes: FakeNode[] = [];
  const providers: FailoverProvider[] = [];
  const fake = async (chainId = HARDHAT_CHAIN, block = 1): Promise<FakeNode> => {
    const node = new FakeNode(chainId, block);
    fakes.push(node);
    return node.start();
  };
  const provider = (urls: string[], log: Logger, timeoutMs = 5_000): FailoverProvider => {
    const p = new FailoverProvider(urls, { chainId: HARDHAT_CHAIN, timeoutMs, log, source: "--rpc", network: "e2e" });
    providers.push(p);
    return p;
  };
  afterEach(async function () {
    for (const p of providers.splice(0)) p.destroy();
    for (const f of fakes.splice(0)) await f.stop();
  });

  it("redacts credentials, API-key path segments and query strings from URLs", function () {
    const cases: [string, string][] = [
      ["http://127.0.0.1:8545", "http://127.0.0.1:8545/"],
      ["https://sepolia.infura.io/v3/0123456789abcdef0123456789abcdef", "https://sepolia.infura.io/v3/***"],
      ["https://eth-sepolia.g.alchemy.com/v2/AbCdEf-123_456xyz", "https://eth-sepolia.g.alchemy.com/v2/***"],
      ["https://example.quiknode.pro/9f8e7d6c5b4a39281706f5e4d3c2b1a0/", "https://example.quiknode.pro/***/"],
      [
        "https://user:secret@rpc.example.com/eth-sepolia/rpc?apikey=XYZ#frag",
        "https://***@rpc.example.com/eth-sepolia/rpc?***",
      ],
      ["https://rpc.ankr.com/eth_sepolia/6c1f9d0e", "https://rpc.ankr.com/***/***"],
      ["not a url", "(not a URL)"],
    ];
    for (const [url, want] of cases) expect(redactUrl(url), url).to.equal(want);
    expect(parseRpcFlag(" http://a.example:1 , https://b.example/v3/KEY ")).to.deep.equal([
      "http://a.example:1",
      "https://b.example/v3/KEY",
    ]);
    expect(() => parseRpcFlag("ws://a.example/v3/SECRETKEY")).to.throw(
      UserError,
      "--rpc: ws://a.example/v3/*** is not an http:// or https:// URL",
    );
    expect(() => parseRpcFlag(",")).to.throw(UserError, "--rpc: no URL");
  });

  it("takes a comma-separated list from a network's RPC variable; Hardhat's url is the first", function () {
    const env = { SEPOLIA_RPC_URL: " https://a.example/v3/KEY1 , https://b.example/KEY2 " };
    expect(rpcUrls(env, "sepolia")).to.deep.equal(["https://a.example/v3/KEY1", "https://b.example/KEY2"]);
    expect(rpcUrl(env, "sepolia")).to.equal("https://a.example/v3/KEY1");
    expect(buildNetworks(env, "sepolia").sepolia).to.deep.include({ url: "https://a.example/v3/KEY1" });
    expect(() => rpcUrls({ SEPOLIA_RPC_URL: "https://a.example/KEY1,ws://b.example/KEY2" }, "sepolia")).to.throw(
      "SEPOLIA_RPC_URL (entry 2 of 2): expected an http:// or https:// URL, not ws://",
    );
    expect(() => rpcUrls({ SEPOLIA_RPC_URL: "https://a.example/KEY1,,https://c.example" }, "sepolia")).to.throw(
      "SEPOLIA_RPC_URL (entry 2 of 3): expected an http:// or https:// URL",
    );
    expect(() => rpcUrls({ SEPOLIA_RPC_URL: "nonsense" }, "sepolia")).to.throw(
      /^SEPOLIA_RPC_URL: expected an http:\/\/ or https:\/\/ URL$/,
    );
  });

  it("checks every URL's chain id at start: another chain is refused with both ids, an unreachable URL is a warning", async function () {
    const good = await fake();
    const other = await fake(1n);
    const { log, lines } = capture();
    const refused = provider([good.url, `${other.url}/v3/SECRETKEY`], log);
    let err: unknown;
    await refused.start().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(UserError);
    expect((err as Error).message).to.equal(
      `--rpc: ${other.url}/v3/*** answers chain id 1, but network e2e is configured as chain 31337; refusing it (a wrong or lying RPC)`,
    );

    const dead = `http://127.0.0.1:${await freePort()}/`;
    const c = capture();
    const p = provider([dead, good.url], c.log);
    await p.start();
    expect(c.lines.find((l) => l.url === dead)).to.include({ level: "warn", action: "rpc-check" });
    expect(String(c.lines.find((l) => l.url === dead)?.reason)).to.match(
      /^unreachable at start \(ECONNREFUSED\): its chain id is checked before it is used$/,
    );
    expect(c.lines.find((l) => l.action === "rpc")).to.include({ url: `${good.url}/`, level: "info" });
    expect(p.current).to.equal(`${good.url}/`);
    expect(p.endpoints[0].errors).to.equal(1);
    expect(await p.getBlockNumber()).to.equal(1);
    expect(lines.some((l) => JSON.stringify(l).includes("SECRETKEY"))).to.equal(false);
  });

  it("moves to the next URL on a refused connection, HTTP 503, a non-JSON-RPC answer and a timeout, and counts errors by URL", async function () {
    const a = await fake(HARDHAT_CHAIN, 10);
    const b = await fake(HARDHAT_CHAIN, 20);
    const c = await fake(HARDHAT_CHAIN, 30);
    const { log, lines, raw } = capture();
    const urls = [`${a.url}/v2/TOKEN-A-123`, `${b.url}/?key=TOKEN-B`, `${c.url}/rpc`];
    const p = provider(urls, log, 300);
    const seen: string[] = [];
    p.watch({ error: (url) => seen.push(url) });
    await p.start();
    expect(await p.getBlockNumber()).to.equal(10);

    a.mode = "503";
    expect(await p.getBlockNumber()).to.equal(20);
    b.mode = "garbage";
    expect(await p.getBlockNumber()).to.equal(30);
    c.mode = "hang"; // chain id answered, everything else hangs: the timeout moves on
    a.mode = "ok";
    expect(await p.getBlockNumber()).to.equal(10);
    await a.stop(); // connection refused
    b.mode = "ok";
    expect(await p.getBlockNumber()).to.equal(20);

    const labels = p.endpoints.map((e) => e.label);
    expect(labels).to.deep.equal([`${a.url}/v2/***`, `${b.url}/?***`, `${c.url}/rpc`]);
    const errors = lines.filter((l) => l.action === "rpc-error").map((l) => [l.url, l.error]);
    expect(errors).to.deep.equal([
      [labels[0], "HTTP 503"],
      [labels[1], "HTTP 200, not JSON"],
      [labels[2], "timeout after 300 ms"],
      [labels[0], "ECONNREFUSED"],
    ]);
    expect(seen).to.deep.equal([labels[0], labels[1], labels[2], labels[0]]);
    expect(p.endpoints.map((e) => e.errors)).to.deep.equal([2, 1, 1]);
    const switches = lines.filter((l) => l.action === "rpc").map((l) => [l.url, l.from ?? null, l.reason]);
    expect(switches).to.deep.equal([
      [labels[0], null, "start: first of 3 URL(s) answering chain 31337"],
      [labels[1], labels[0], `${labels[0]} failed: HTTP 503`],
      [labels[2], labels[1], `${labels[1]} failed: HTTP 200, not JSON`],
      [labels[0], labels[2], `${labels[2]} failed: timeout after 300 ms`],
      [labels[1], labels[0], `${labels[0]} failed: ECONNREFUSED`],
    ]);
    for (const line of raw) expect(line).to.not.match(/TOKEN/);
  });

  it("passes a JSON-RPC error through without failing over; drops a URL that answers another chain when it is needed", async function () {
    const a = await fake(HARDHAT_CHAIN, 10);
    const b = await fake(HARDHAT_CHAIN, 20);
    const { log, lines } = capture();
    const p = provider([a.url, b.url], log);
    await p.start();
    a.mode = "revert";
    let err: unknown;
    await p.getBlockNumber().catch((e: unknown) => (err = e));
    expect(String((err as Error)?.message)).to.include("nonce too low");
    expect(p.current).to.equal(`${a.url}/`);
    expect(p.endpoints.map((e) => e.errors)).to.deep.equal([0, 0]);

    // b is re-pointed to another chain after start; a fails: b is checked before use, and dropped.
    b.chainId = 5n;
    a.mode = "503";
    err = undefined;
    await p.getBlockNumber().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(RpcUnavailableError);
    expect((err as Error).message).to.equal(
      `no RPC URL answered (${a.url}/: HTTP 503; ${b.url}/: answers chain id 5, but network e2e is chain 31337)`,
    );
    expect(lines.find((l) => l.action === "rpc-refused")).to.include({ level: "error", url: `${b.url}/` });
    expect(p.endpoints[1].refused).to.equal(true);
    a.mode = "ok";
    expect(await p.getBlockNumber()).to.equal(10);
    expect(b.calls).to.equal(2); // the start check and the check before use: never a request of ours
  });

  it("every URL down: one error naming each (redacted), and the daemon's outage message", async function () {
    const dead1 = `http://127.0.0.1:${await freePort()}/v3/SECRET1`;
    const dead2 = `http://127.0.0.1:${await freePort()}/?apikey=SECRET2`;
    const { log, raw } = capture();
    const p = provider([dead1, dead2], log);
    await p.start();
    let err: unknown;
    await p.getBlockNumber().catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(RpcUnavailableError);
    expect((err as Error).message).to.equal(
      `no RPC URL answered (${redactUrl(dead1)}: ECONNREFUSED; ${redactUrl(dead2)}: ECONNREFUSED)`,
    );
    expect(raw.join("\n")).to.not.match(/SECRET/);
  });
});

describe("oracle RPC failover (hardhat node, two proxies, daemon process)", function () {
  const procs: ChildProcess[] = [];
  let dir = "";
  let chain: Chain;
  let csv = "";
  const servers: RpcServer[] = [];

  before(async function () {
    if (
      process.env.ORACLE_E2E === "0" ||
      (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING
    ) {
      console.log("    SKIPPED: the RPC failover test against a node (ORACLE_E2E=0 or coverage run)");
      this.skip();
    }
    dir = tempDir("oracle-rpc-");
    chain = await startChain(dir, procs);
    const t = await chainNow(chain);
    csv = path.join(dir, "samples.csv");
    fs.writeFileSync(csv, samplesCsv(t - 600, t + 3600));
  });

  after(async function () {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    for (const s of servers) await s.kill();
    chain?.provider.destroy();
  });

  const proxy = async (): Promise<RpcServer> => {
    const s = await new RpcServer(chain.url).start();
    servers.push(s);
    return s;
  };

  /** `oracle run` with --rpc; Hardhat's own URL for the network points at a closed port (never used). */
  const daemon = async (rpc: string, key: string, extra: string[] = []): Promise<Proc> =>
    startCli(
      [
        "oracle",
        "run",
        "--network",
        "e2e",
        "--rpc",
        rpc,
        "--metrics",
        METRICS,
        "--samples",
        csv,
        "--interval",
        "1",
        "--state",
        path.join(dir, `state-${procs.length}`),
        ...extra,
      ],
      { ...chain.env, E2E_RPC_URL: `http://127.0.0.1:${await freePort()}`, ORACLE_PRIVATE_KEY: key },
      dir,
      procs,
    );

  it("refuses a URL of another chain at start; runs past an unreachable one", async function () {
    const p2 = await proxy();
    const liar = await new RpcServer(chain.url, (c) => (c.method === "eth_chainId" ? "0x1" : undefined)).start();
    servers.push(liar);
    const deadUrl = `http://127.0.0.1:${await freePort()}/v3/DEADBEEFTOKEN`;
    const [refused, unreachable] = [
      await daemon(`${p2.url},${liar.url}`, account(12).privateKey, ["--once"]),
      await daemon(`${deadUrl},${p2.url}`, account(12).privateKey, ["--once"]),
    ];
    const [r1, r2] = await Promise.all([exitOf(refused), exitOf(unreachable)]);
    expect(r1.code, refused.stderr.join("\n")).to.equal(1);
    expect(refused.stderr).to.deep.equal([
      `error: --rpc: ${liar.url} answers chain id 1, but network e2e is configured as chain 31337; refusing it (a wrong or lying RPC)`,
    ]);
    expect(logsOf(refused).filter((l) => l.action === "start")).to.deep.equal([]);
    expect(r2.code, unreachable.stderr.join("\n")).to.equal(0);
    const l2 = logsOf(unreachable);
    expect(l2.find((l) => l.action === "rpc-check" && l.level === "warn")).to.deep.include({
      url: "http://127.0.0.1:" + new URL(deadUrl).port + "/v3/***",
      reason: "unreachable at start (ECONNREFUSED): its chain id is checked before it is used",
    });
    expect(l2.find((l) => l.action === "rpc")).to.deep.include({ url: p2.url, level: "info" });
    expect(unreachable.lines.join("\n")).to.not.include("DEADBEEFTOKEN");
    expect(l2.at(-1)?.action).to.equal("stopped");
  });

  it("posts through proxy 1, moves to proxy 2 when proxy 1 is killed, and posts the next milestone, each once", async function () {
    const p1 = await proxy();
    const p2 = await proxy();
    const oracle = account(10);
    const metricsPort = await freePort();
    // Agreement A: milestone 0 falls due a few seconds after the daemon has started.
    const d = await daemon(`${p1.url},${p2.url}`, oracle.privateKey, ["--metrics-port", String(metricsPort)]);
    await waitForLog(d, (l) => l.action === "start", "the daemon did not start");
    expect(logsOf(d).find((l) => l.action === "rpc")).to.deep.include({ url: p1.url, level: "info" });
    let t = await chainNow(chain);
    const idA = await createAgreement(chain, account(1), oracle.address, t - 60, [t + 6, t + 3600]);
    const postedA = await waitForLog(
      d,
      (l) => l.action === "posted" && l.agreement === idA.toString(),
      "agreement A milestone 0 was not posted",
    );
    const before = p1.requests.length;
    expect(before).to.be.greaterThan(0);
    expect(p2.requests.filter((m) => m !== "eth_chainId")).to.deep.equal([]); // checked at start, never used

    // Proxy 1 dies mid-run, before agreement B's milestone falls due.
    await p1.kill();
    t = await chainNow(chain);
    const idB = await createAgreement(chain, account(3), oracle.address, t - 60, [t + 6]);
    const postedB = await waitForLog(
      d,
      (l) => l.action === "posted" && l.agreement === idB.toString(),
      "agreement B milestone 0 was not posted after the failover",
    );
    const moved = logsOf(d).filter((l) => l.action === "rpc" && l.url === p2.url);
    expect(moved, JSON.stringify(logsOf(d).filter((l) => String(l.action).startsWith("rpc")))).to.have.length(1);
    expect(moved[0]).to.deep.include({ level: "warn", from: p1.url });
    expect(String(moved[0].reason)).to.match(
      new RegExp(
        `^${p1.url.replace(/[.]/g, "\\.")} failed: (ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|other side closed)`,
      ),
    );
    expect(p1.requests.length).to.equal(before);
    expect(p2.requests.length).to.be.greaterThan(1);

    // The metrics say so too: errors by URL, the URL in use.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const errorsP1 = Number(new RegExp(`sla_oracle_rpc_errors_total\\{url="${p1.url}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(errorsP1).to.be.at.least(1);
    expect(metrics).to.include(`sla_oracle_rpc_errors_total{url="${p2.url}"} 0`);
    expect(metrics).to.include(`sla_oracle_rpc_in_use{url="${p2.url}"} 1`);
    expect(metrics).to.include(`sla_oracle_rpc_in_use{url="${p1.url}"} 0`);

    d.child.kill("SIGTERM");
    expect((await exitOf(d, 30_000)).code).to.equal(0);
    // Exactly once each: one AttestationPosted per milestone, one posting line each, every transaction mined.
    for (const id of [idA, idB]) {
      expect(await chain.escrow.queryFilter(chain.escrow.filters.AttestationPosted(id, 0))).to.have.length(1);
      const posting = logsOf(d).filter((l) => l.action === "posting" && l.agreement === id.toString());
      expect(posting, `agreement ${id}`).to.have.length(1);
    }
    expect(postedA.txHash).to.not.equal(postedB.txHash);
    const sent = await txsFrom(chain.provider, oracle.address);
    expect(sent.failed).to.equal(0);
    expect(sent.count).to.equal(
      new Set(
        logsOf(d)
          .filter((l) => l.txHash)
          .map((l) => l.txHash),
      ).size,
    );
  });
});
