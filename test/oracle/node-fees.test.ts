/**
 * Fees, replacements, finality and the relayer's balance against a real `hardhat node` (a separate process on a
 * free port), with the daemon run as separate CLI processes (`--config test/oracle/e2e/hardhat.config.ts
 * --network e2e`) through an HTTP proxy that counts their JSON-RPC requests (the node, the processes, the proxy and
 * the agreements: test/oracle/e2e/processes.ts). Blocks are mined by the test only (automine off, no interval
 * mining), the base fee of each block set with `hardhat_setNextBlockBaseFeePerGas` and milestones made due by a
 * block's timestamp, so every step waits for an event (a state file, a log line, a transaction in the node's pool,
 * the daemon's next look at the chain), never for luck:
 *  (a) a posting kept out by the base fee is replaced at the same nonce, each replacement >= 12.5% above the last
 *      and recorded before it is broadcast (the daemon killed after recording one: the node never saw it; the
 *      restarted daemon broadcasts those bytes), until one is mined; one nonce, one posting;
 *  (b) at the cap: the error line with the cap, the base fee and the attestation deadline, and no more
 *      replacements; an older transaction of the nonce mined instead of the newest counts;
 *  (c) a reorganisation (evm_snapshot before the posting, evm_revert after it was mined): within the
 *      confirmations, the same bytes are broadcast again; after it counted as done, the daemon reads the milestone
 *      again and posts anew; each milestone attested exactly once;
 *  (d) with --confirmations 3 a posting is not done before its third block;
 *  (e) a relayer that cannot pay: the refusal names the address and the shortfall and nothing is signed or sent;
 *      one that pays for fewer than --min-postings: the warning, and the posting goes out.
 * Skipped with ORACLE_E2E=0 and under solidity-coverage, like e2e.test.ts.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { Contract, JsonRpcProvider, Transaction, Wallet, keccak256, parseEther } from "ethers";
import { formatSamplesCsv } from "../../scripts/oracle/csv";
import { formatTime } from "../../scripts/lib/time";
import { bumped, formatGwei, isReplacement } from "../../scripts/oracle/run/fees";
import type { PendingTx, SignedTx } from "../../scripts/oracle/run/state";
import { tempDir, waitFor } from "./helpers";
import {
  ATTEST_GRACE,
  type Chain,
  type Proc,
  RpcServer,
  account,
  chainNow,
  createAgreement,
  exitOf,
  logsOf,
  startChain,
  startCli,
  waitForLog,
} from "./e2e/processes";

const METRICS_SPEC = "availability_ppm,latency_p95_ms";
const WAIT = 90_000;

type Log = Record<string, unknown>;

describe("oracle fees, replacements and finality (hardhat node, CLI processes)", function () {
  const procs: ChildProcess[] = [];
  let dir = "";
  let env: NodeJS.ProcessEnv = {};
  let chain: Chain;
  let provider: JsonRpcProvider;
  let escrow: Contract;
  let proxy: RpcServer;

  const rpc = (method: string, params: unknown[] = []) => provider.send(method, params) as Promise<unknown>;
  const hex = (n: bigint | number) => "0x" + BigInt(n).toString(16);

  /** A CLI process on `--network e2e` through the proxy, with `extraEnv` (keys, ORACLE_TEST_CRASH). */
  const start = (args: string[], extraEnv: Record<string, string> = {}): Proc =>
    startCli(args, { ...env, ...extraEnv }, dir, procs);

  const tail = (p: Proc) => `${p.lines.slice(-6).join("\n")}\n${p.stderr.slice(-6).join("\n")}`;

  async function stopDaemon(p: Proc): Promise<void> {
    p.child.kill("SIGTERM");
    expect((await exitOf(p, 30_000)).code, tail(p)).to.equal(0);
  }

  const waitLog = (p: Proc, pred: (l: Log) => boolean, what: string, from = 0): Promise<Log> =>
    waitForLog(p, pred, what, WAIT, from);

  /** Mines one block, with the given base fee and timestamp. */
  async function mine(opts: { baseFee?: bigint; timestamp?: number } = {}): Promise<void> {
    if (opts.baseFee !== undefined) await rpc("hardhat_setNextBlockBaseFeePerGas", [hex(opts.baseFee)]);
    if (opts.timestamp !== undefined) await rpc("evm_setNextBlockTimestamp", [opts.timestamp]);
    await rpc("evm_mine");
  }

  /**
   * Returns once the daemon has acted on the latest block: it asks for the latest block once per look while a
   * transaction waits and once per round, and asks again only after it has acted on what it saw, so of three asks
   * since now the second was a look at the chain that has finished.
   */
  async function looked(p: Proc): Promise<void> {
    const heads = () => proxy.count("eth_getBlockByNumber", "latest");
    const mark = heads();
    await waitFor(
      () => heads() >= mark + 3,
      WAIT,
      () => `the daemon did not look at the chain again:\n${tail(p)}`,
    );
  }

  const pendingBaseFee = async () =>
    BigInt(((await rpc("eth_getBlockByNumber", ["pending", false])) as { baseFeePerGas: string }).baseFeePerGas);

  function pendingOf(state: string): PendingTx | undefined {
    const file = path.join(state, "state.json");
    if (!fs.existsSync(file)) return undefined;
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { pendingTx?: PendingTx }).pendingTx;
  }

  /** Waits for the state to record `n` transactions of the nonce, the newest known to the node; returns them. */
  async function recorded(state: string, n: number, p: Proc): Promise<SignedTx[]> {
    let txs: SignedTx[] = [];
    await waitFor(
      async () => {
        txs = pendingOf(state)?.txs ?? [];
        return txs.length === n && (await provider.getTransaction(txs[n - 1].hash)) !== null;
      },
      WAIT,
      () => `no ${n} recorded transaction(s), the newest in the node's pool (have ${txs.length}):\n${tail(p)}`,
    );
    return txs;
  }

  const feesOf = (t: SignedTx) => ({
    maxFeePerGas: BigInt(t.maxFeePerGas),
    maxPriorityFeePerGas: BigInt(t.maxPriorityFeePerGas),
  });

  /** Checks the recorded transactions: the same nonce, hashes of the bytes, fees as signed, each >= 12.5% up. */
  function checkChain(txs: SignedTx[], nonce: number): void {
    for (let i = 0; i < txs.length; i++) {
      const t = Transaction.from(txs[i].raw);
      expect(t.nonce, `transaction ${i}: nonce`).to.equal(nonce);
      expect(keccak256(txs[i].raw)).to.equal(txs[i].hash);
      expect(t.maxFeePerGas).to.equal(BigInt(txs[i].maxFeePerGas));
      expect(t.maxPriorityFeePerGas).to.equal(BigInt(txs[i].maxPriorityFeePerGas));
      if (i > 0) expect(isReplacement(feesOf(txs[i - 1]), feesOf(txs[i])), `replacement ${i}: +12.5%`).to.equal(true);
    }
  }

  /** Samples (all ok, 100 ms) every 5 s over [from, to): every milestone's values are [1000000, 100]. */
  function samples(name: string, from: number, to: number): string {
    const rows = [];
    for (let t = from; t < to; t += 5) rows.push({ timestamp: t, ok: true, latencyMs: 100 });
    const file = path.join(dir, `${name}.csv`);
    fs.writeFileSync(file, formatSamplesCsv(rows));
    return file;
  }

  /**
   * A new Active agreement for `oracle` (client account 1), milestones due `offsets` seconds after its start (in
   * the chain's future); created with automine on, which is then turned off.
   */
  async function scenario(name: string, oracle: Wallet, offsets: number[]) {
    await rpc("evm_setAutomine", [true]);
    const t0 = (await chainNow(chain)) + 5;
    const dues = offsets.map((o) => t0 + o);
    const id = await createAgreement(chain, account(1), oracle.address, t0, dues);
    const csv = samples(name, t0 - 5, dues[dues.length - 1] + 5);
    await rpc("evm_setAutomine", [false]);
    const state = path.join(dir, name, "state");
    const args = (...extra: string[]) => [
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
      "--no-settle",
      "--state",
      state,
      ...extra,
    ];
    return { id, dues, state, args };
  }

  const posted = async (id: bigint, m: number) => escrow.queryFilter(escrow.filters.AttestationPosted(id, m));

  before(async function () {
    if (
      process.env.ORACLE_E2E === "0" ||
      (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING
    ) {
      console.log("    SKIPPED: oracle fee test against a node (ORACLE_E2E=0 or coverage run)");
      this.skip();
    }
    dir = tempDir("oracle-fees-");
    chain = await startChain(dir, procs, { pollingInterval: 100 });
    ({ provider, escrow } = chain);
    proxy = await new RpcServer(chain.url).start();
    // The daemons: through the proxy, without the oracle settings of the caller's environment.
    env = { ...chain.env, E2E_RPC_URL: `http://127.0.0.1:${proxy.port}` };
    for (const k of Object.keys(env)) if (/^(E2E|LOCALHOST)_ORACLE_/.test(k)) delete env[k];
  });

  afterEach(async function () {
    // Whatever a failed case left: its daemons stopped, automine back for the next case's setup.
    for (const p of procs)
      if (p.exitCode === null && p.signalCode === null && p !== chain?.node.child) p.kill("SIGKILL");
    if (provider) await rpc("evm_setAutomine", [true]);
  });

  after(async function () {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await proxy?.kill();
    provider?.destroy();
  });

  it("(a) replaces a posting the base fee keeps out at the same nonce, +12.5% or more each time, each recorded before it is broadcast, across a restart, until one is mined", async function () {
    const oracle = account(12);
    const { id, dues, state, args } = await scenario("a", oracle, [600]);
    const nonce = await provider.getTransactionCount(oracle.address, "latest");
    const run = () => args("--bump-after-blocks", "1", "--bump-after-seconds", "3600");
    const key = { ORACLE_PRIVATE_KEY: oracle.privateKey };
    // Killed when it records its second transaction of the nonce (the first replacement), before broadcasting it.
    const first = start(run(), { ...key, ORACLE_TEST_CRASH: "after-record@2" });
    await mine({ timestamp: dues[0] }); // milestone 0 falls due
    const base = await pendingBaseFee();
    const tip = BigInt((await rpc("eth_maxPriorityFeePerGas")) as string);
    let txs = await recorded(state, 1, first);
    // Fees from the chain: the pending block's base fee x 2 + the node's tip.
    expect(feesOf(txs[0])).to.deep.equal({ maxFeePerGas: base * 2n + tip, maxPriorityFeePerGas: tip });

    // The next block's base fee just above the offer: not included; the daemon replaces it, and dies first.
    await mine({ baseFee: BigInt(txs[0].maxFeePerGas) + 1n });
    expect(await provider.getTransactionReceipt(txs[0].hash)).to.equal(null);
    expect((await exitOf(first, WAIT)).signal, tail(first)).to.equal("SIGKILL");
    const p1 = pendingOf(state)!;
    expect(p1.txs).to.have.length(2);
    expect(p1.hash).to.equal(p1.txs![1].hash);
    // Recorded, never broadcast: the node still holds the first transaction and has never seen the replacement.
    expect(await provider.getTransaction(p1.txs![0].hash)).to.not.equal(null);
    expect(await provider.getTransaction(p1.txs![1].hash)).to.equal(null);
    expect(logsOf(first).filter((l) => l.action === "replacing")).to.have.length(0);

    // Restarted: it resumes the nonce and broadcasts the recorded replacement, byte for byte.
    const second = start(run(), key);
    txs = await recorded(state, 2, second);
    expect((await waitLog(second, (l) => l.action === "rebroadcast", "no rebroadcast")).txHash).to.equal(txs[1].hash);
    expect(await provider.getTransaction(txs[0].hash), "the first one was replaced in the pool").to.equal(null);

    // Twice more kept out, replaced each time.
    for (const n of [3, 4]) {
      await mine({ baseFee: BigInt(txs[n - 2].maxFeePerGas) + 1n });
      expect(await provider.getTransactionReceipt(txs[n - 2].hash)).to.equal(null);
      txs = await recorded(state, n, second);
    }
    checkChain(txs, nonce);
    const replacing = logsOf(second).filter((l) => l.action === "replacing");
    expect(replacing.map((l) => l.txHash)).to.deep.equal([txs[2].hash, txs[3].hash]);
    expect(replacing.map((l) => l.replaces)).to.deep.equal([txs[1].hash, txs[2].hash]);

    // The base fee falls by 12.5% in an empty block: now the newest fits, and is mined.
    await mine();
    const done = await waitLog(second, (l) => l.action === "posted", "not posted");
    expect(done).to.deep.include({ txHash: txs[3].hash, nonce, replacements: 3, confirmations: 1 });
    expect(await provider.getTransactionCount(oracle.address, "latest"), "one nonce for the posting").to.equal(
      nonce + 1,
    );
    for (const t of txs.slice(0, 3)) expect(await provider.getTransactionReceipt(t.hash)).to.equal(null);
    expect(await posted(id, 0)).to.have.length(1);
    expect(pendingOf(state)).to.equal(undefined);
    await stopDaemon(second);
  });

  it("(b) stops at the cap with an error naming the cap, the base fee and the deadline; an older transaction of the nonce mined instead counts", async function () {
    const oracle = account(13);
    const { id, dues, state, args } = await scenario("b", oracle, [600]);
    const nonce = await provider.getTransactionCount(oracle.address, "latest");
    await mine({ timestamp: dues[0] });
    const tip = BigInt((await rpc("eth_maxPriorityFeePerGas")) as string);
    const offer = (await pendingBaseFee()) * 2n + tip;
    // A cap with room for one replacement (>= 12.5% above the first offer), not for two.
    const cap = (offer * 3n) / 2n;
    const daemon = start(
      args("--bump-after-blocks", "1", "--bump-after-seconds", "3600", "--max-fee-gwei", formatGwei(cap)),
      {
        ORACLE_PRIVATE_KEY: oracle.privateKey,
      },
    );
    let txs = await recorded(state, 1, daemon);
    expect(BigInt(txs[0].maxFeePerGas)).to.equal(offer);

    const high = cap * 10n;
    await mine({ baseFee: high });
    txs = await recorded(state, 2, daemon);
    expect(BigInt(txs[1].maxFeePerGas), "the replacement stops at the cap").to.equal(cap);
    checkChain(txs, nonce);

    await mine({ baseFee: high });
    const baseNow = await pendingBaseFee();
    const err = await waitLog(daemon, (l) => l.action === "fee-cap", "no fee-cap error");
    const deadline = formatTime(dues[0] + ATTEST_GRACE);
    expect(err).to.deep.include({
      level: "error",
      txHash: txs[1].hash,
      nonce,
      maxFeeGwei: formatGwei(cap),
      maxFeeFrom: "--max-fee-gwei",
      baseFeeGwei: formatGwei(baseNow),
      maxFeePerGasGwei: formatGwei(cap),
    });
    expect(err.deadlines).to.deep.equal([{ agreement: id.toString(), milestone: 0, attestBy: deadline }]);
    expect(err.message)
      .to.include(`fee cap of ${formatGwei(cap)} gwei`)
      .and.include(`base fee at ${formatGwei(baseNow)} gwei`)
      .and.include(`agreement ${id} milestone 0 by ${deadline}`);
    expect(bumped(cap) > cap).to.equal(true);

    // No further replacement, however many blocks go by.
    for (let i = 0; i < 3; i++) {
      await mine({ baseFee: high });
      await looked(daemon);
    }
    expect(pendingOf(state)!.txs).to.have.length(2);
    expect(logsOf(daemon).filter((l) => l.action === "fee-cap")).to.have.length(1);
    expect(logsOf(daemon).filter((l) => l.action === "replacing")).to.have.length(1);

    // The FIRST transaction of the nonce gets mined instead of the newest: the daemon paused (SIGSTOP) so that it
    // cannot rebroadcast in between, the node's copy of the replacement dropped, the first one's bytes sent again.
    daemon.child.kill("SIGSTOP");
    try {
      await rpc("hardhat_dropTransaction", [txs[1].hash]);
      expect(await rpc("eth_sendRawTransaction", [txs[0].raw])).to.equal(txs[0].hash);
      await mine({ baseFee: 1n });
    } finally {
      daemon.child.kill("SIGCONT");
    }
    expect((await provider.getTransactionReceipt(txs[0].hash))?.status).to.equal(1);
    const done = await waitLog(daemon, (l) => l.action === "posted", "not posted");
    expect(done).to.deep.include({ txHash: txs[0].hash, nonce, replacements: 1 });
    expect(await provider.getTransactionCount(oracle.address, "latest")).to.equal(nonce + 1);
    expect(await posted(id, 0)).to.have.length(1);
    await stopDaemon(daemon);
  });

  it("(c, d) waits for --confirmations 3; a reorganisation inside them rebroadcasts the same bytes, one after them posts anew: each milestone attested once", async function () {
    const oracle = account(14);
    const { id, dues, state, args } = await scenario("c", oracle, [600, 1200]);
    const nonce = await provider.getTransactionCount(oracle.address, "latest");
    const daemon = start(args("--confirmations", "3", "--bump-after-blocks", "100", "--bump-after-seconds", "3600"), {
      ORACLE_PRIVATE_KEY: oracle.privateKey,
    });
    const notPosted = (m: number) =>
      expect(logsOf(daemon).filter((l) => l.action === "posted" && l.milestone === m)).to.have.length(0);

    // Milestone 0: snapshot, due, posted, mined in one block...
    const before0 = (await rpc("evm_snapshot")) as string;
    await mine({ timestamp: dues[0] });
    const [tx0] = await recorded(state, 1, daemon);
    await mine();
    const firstBlock = (await provider.getTransactionReceipt(tx0.hash))!.blockNumber;
    const mined = await waitLog(daemon, (l) => l.action === "mined", "no mined line");
    expect(mined).to.deep.include({ txHash: tx0.hash, block: firstBlock, confirmations: 3 });
    await looked(daemon);
    notPosted(0);
    expect(pendingOf(state)!.mined?.block, "kept pending in the state while it waits").to.equal(firstBlock);

    // ...and that block disappears (revert to before the posting), then the chain goes on.
    const logsBefore = logsOf(daemon).length;
    await rpc("evm_revert", [before0]);
    expect(await provider.getTransactionReceipt(tx0.hash)).to.equal(null);
    await mine({ timestamp: dues[0] });
    const reorged = await waitLog(daemon, (l) => l.action === "reorged", "reorg not noticed", logsBefore);
    expect(reorged).to.deep.include({ level: "warn", txHash: tx0.hash, fromBlock: firstBlock });
    // The nonce is free again: the same bytes, not a new transaction.
    await waitFor(
      async () => (await provider.getTransaction(tx0.hash)) !== null,
      WAIT,
      () => `not rebroadcast:\n${tail(daemon)}`,
    );
    expect(pendingOf(state)!.txs!.map((t) => t.hash)).to.deep.equal([tx0.hash]);
    let receipt = await provider.getTransactionReceipt(tx0.hash);
    if (!receipt) {
      await mine();
      receipt = await provider.getTransactionReceipt(tx0.hash);
    }
    expect(receipt, "mined again").to.not.equal(null);
    const block = receipt!.blockNumber;
    // (d) Not done in its first or second block...
    for (let have = (await provider.getBlockNumber()) - block + 1; have < 3; have++) {
      await looked(daemon);
      notPosted(0);
      expect(pendingOf(state)?.mined?.hash).to.equal(tx0.hash);
      await mine();
    }
    // ...done in its third.
    const done0 = await waitLog(daemon, (l) => l.action === "posted" && l.milestone === 0, "milestone 0 not posted");
    expect(done0).to.deep.include({ txHash: tx0.hash, block, confirmations: 3, nonce });
    expect(await provider.getBlockNumber()).to.equal(block + 2);

    // Milestone 1: posted and done after 3 blocks; then a reorganisation deeper than that takes it away.
    const before1 = (await rpc("evm_snapshot")) as string;
    await mine({ timestamp: dues[1] });
    const [tx1] = await recorded(state, 1, daemon);
    for (let i = 0; i < 3; i++) await mine();
    const done1 = await waitLog(daemon, (l) => l.action === "posted" && l.milestone === 1, "milestone 1 not posted");
    expect(done1.txHash).to.equal(tx1.hash);
    expect(pendingOf(state)).to.equal(undefined);
    const logsBefore1 = logsOf(daemon).length;
    await rpc("evm_revert", [before1]);
    expect(Number((await escrow.milestoneInfo(id, 1))[0]), "Pending again").to.equal(0);
    await mine({ timestamp: dues[1] });
    await mine();
    // The daemon reads the milestone again (Pending) and posts it anew.
    const again = await waitLog(
      daemon,
      (l) => l.action === "posting" && l.milestone === 1,
      "milestone 1 not posted again",
      logsBefore1,
    );
    await recorded(state, 1, daemon);
    for (let i = 0; i < 3; i++) await mine();
    const done1b = await waitLog(
      daemon,
      (l) => l.action === "posted" && l.milestone === 1,
      "milestone 1 not done again",
      logsBefore1,
    );
    expect(done1b.txHash).to.equal(again.txHash);

    expect(await posted(id, 0)).to.have.length(1);
    expect(await posted(id, 1)).to.have.length(1);
    expect(await provider.getTransactionCount(oracle.address, "latest")).to.equal(nonce + 2);
    for (const m of [0, 1]) expect(Number((await escrow.milestoneInfo(id, m))[0])).to.equal(1); // Attested
    await stopDaemon(daemon);
  });

  it("(e) refuses, naming the relayer and the shortfall, when it cannot pay (nothing signed or sent); warns under --min-postings", async function () {
    const oracle = account(15);
    const relayer = account(16);
    const { id, dues, state, args } = await scenario("e", oracle, [600]);
    await rpc("evm_setAutomine", [true]);
    await mine({ timestamp: dues[0] });
    const keys = { ORACLE_PRIVATE_KEY: oracle.privateKey, ORACLE_RELAYER_PRIVATE_KEY: relayer.privateKey };
    const balance = 10n ** 9n;
    await rpc("hardhat_setBalance", [relayer.address, hex(balance)]);

    const sendsBefore = proxy.count("eth_sendRawTransaction");
    const poor = start(args("--once"), keys);
    expect((await exitOf(poor, WAIT)).code, tail(poor)).to.equal(1);
    const refusal = logsOf(poor).find((l) => l.action === "relayer-insufficient-funds");
    expect(refusal, tail(poor)).to.not.equal(undefined);
    const needed = parseEther(refusal!.neededEth as string);
    const short = needed - balance;
    expect(refusal).to.deep.include({
      level: "error",
      relayer: relayer.address,
      balanceEth: "0.000000001",
      shortfallWei: short.toString(),
    });
    expect(parseEther(refusal!.shortfallEth as string)).to.equal(short);
    expect(refusal!.message).to.include(relayer.address).and.include(`send it at least ${refusal!.shortfallEth} ETH`);
    // Nothing signed, recorded or sent.
    expect(pendingOf(state)).to.equal(undefined);
    expect(logsOf(poor).some((l) => l.action === "posting")).to.equal(false);
    expect(proxy.count("eth_sendRawTransaction")).to.equal(sendsBefore);
    expect(await provider.getTransactionCount(relayer.address, "pending")).to.equal(0);
    expect(await posted(id, 0)).to.have.length(0);

    // Enough for 3 postings at these fees (no block since: the same fees), fewer than --min-postings 5.
    await rpc("hardhat_setBalance", [relayer.address, hex(needed * 3n)]);
    const low = start(args("--once", "--min-postings", "5"), keys);
    expect((await exitOf(low, WAIT)).code, tail(low)).to.equal(0);
    const warning = logsOf(low).find((l) => l.action === "relayer-low-balance");
    expect(warning, tail(low)).to.deep.include({ level: "warn", relayer: relayer.address, minPostings: 5 });
    expect(warning!.postingsCovered).to.equal(3);
    expect(warning!.message).to.include(relayer.address).and.include("fewer than --min-postings 5");
    expect(logsOf(low).some((l) => l.action === "posted")).to.equal(true);
    expect(await posted(id, 0)).to.have.length(1);
    expect(await provider.getTransactionCount(relayer.address, "latest")).to.equal(1);
  });
});
