/**
 * `oracle run`: the daemon. Each round it
 *   1. settles the fate of a transaction it sent before (run/sender.ts: every signed transaction of the nonce, the
 *      first and each fee replacement, is recorded on disk *before* it is broadcast, and only recorded bytes are
 *      ever rebroadcast, so a milestone is never posted twice; done after --confirmations blocks, reorgs followed);
 *   2. finds the agreements naming its address, with their terms from the events (run/discovery.ts);
 *   3. reads, in a few batched eth_calls (run/reads.ts), the state of every milestone that may need something
 *      (every due one of an agreement not closed) and asks the lifecycle rules (scripts/lib/lifecycle.ts) what is due: for an
 *      attestation, the co-signing protocol (run/cosigning.ts) measures, publishes, chooses and signs, with the
 *      check of each digest against the escrow's batched too (the milestones whose digest is new this round are
 *      taken again once the batch is checked); for a settlement, nothing but the rules;
 *   4. simulates, then posts every attestation that has its threshold and settles every milestone whose time
 *      has come, batched into one `multicall` per transaction.
 * A round over N due milestones thus costs about N / 100 transactions and a few requests per transaction, plus
 * 2N / 200 eth_calls of reads and N / 200 of digest checks (scripts/oracle/bench.ts measures it: BENCH_SCALE=1).
 * RPC failures retry the round with exponential backoff and full jitter; SIGINT/SIGTERM stop it cleanly;
 * --once runs one round (for cron). Logs are one JSON object per line. The state folder is run/state.ts's.
 * Its provider fails over between the network's RPC URLs (rpc.ts); --metrics-port serves metrics (monitoring.ts).
 */
import path from "node:path";
import type { Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import { attestWindow, settleableAt } from "../lib/lifecycle";
import { AgreementStatus, type AgreementTerms, type MilestoneState, MilestoneStatus } from "../lib/model";
import { formatTime, nextBlockTime } from "../lib/time";
import {
  type Connection,
  type OracleArgs,
  connect,
  makeSources,
  metricsFlag,
  specsFromArgs,
  stateDirOf,
} from "./commands";
import { escrowDeployment } from "../adapters/escrow";
import { FileSource } from "./file-source";
import { type DaemonHooks, daemonHooks } from "./hooks";
import { Logger } from "./log";
import type { DaemonObserver } from "./monitoring";
import { daemonProvider } from "./rpc";
import type { MetricSpec } from "../lib/kpi/spec";
import { type Tolerances, parseTolerances } from "../lib/kpi/tolerance";
import type { Sources } from "./measure";
import { Prober, probeConfigFromArgs } from "./prober";
import { CoSigner } from "./run/cosigning";
import { TermsCache, discover } from "./run/discovery";
import { DigestChecks, DigestQueued, readStates } from "./run/reads";
import { DurableSender, type Item, type RelayerStatus, type TxOptions, sleep } from "./run/sender";
import { StateStore } from "./run/state";
import { txOptionsFromArgs } from "./run/tx-options";
import { loadOracleKey, oracleIdentity, relayerKey } from "./signing";
import { ProbeStore } from "./store";

export interface DaemonOptions {
  specs: MetricSpec[];
  /** Where the specs came from (`--metrics`, `--metric-spec FILE`), for messages. */
  specsFlag: string;
  sources: Sources;
  stateDir: string;
  sharedDir?: string;
  intervalMs: number;
  blockRange: number;
  fromBlock: number;
  once: boolean;
  settle: boolean;
  tolerances: Tolerances;
  /** Most calls per multicall transaction. */
  maxBatch: number;
  /** Round attempts in --once mode before giving up on RPC failures. */
  onceAttempts: number;
  /**
   * Seconds after dueAt before measuring, so that probes still in flight at dueAt are stored; an export must also
   * have been written after dueAt plus this lag.
   */
  lagSeconds: number;
  /** Seconds oracle i of an agreement waits (times i) before relaying a post or a settle. */
  staggerSeconds: number;
  /** Shared folder: seconds after publishing our report before choosing which proposal to sign. */
  proposalWindowSeconds: number;
  /** Fees, replacements and finality (run/sender.ts TX_DEFAULTS for what is left out). */
  tx?: Partial<TxOptions>;
  /** Told about rounds and due milestones (the metrics of --metrics-port). */
  observer?: DaemonObserver;
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 30_000, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export class Daemon {
  private readonly terms: TermsCache;
  private readonly digests: DigestChecks;
  private readonly stop = { stopped: false, wake: undefined as undefined | (() => void) };
  private readonly store: StateStore;
  private readonly sender: DurableSender;
  private readonly cosigner: CoSigner;
  private readonly oracleKey: string;

  constructor(
    private readonly c: Connection,
    oracle: Wallet,
    /** The oracle's address in the terms: the key's, or a contract wallet's (--oracle-address). */
    private readonly identity: string,
    relayer: Wallet,
    private readonly opts: DaemonOptions,
    private readonly log: Logger,
    hooks: DaemonHooks = daemonHooks,
  ) {
    this.store = new StateStore(opts.stateDir, {
      chainId: c.chainId,
      escrow: c.address,
      oracle: identity,
      fromBlock: opts.fromBlock,
    });
    this.sender = new DurableSender(c, relayer, this.store, log, hooks, this.stop, opts.tx);
    this.terms = new TermsCache(opts.stateDir);
    this.digests = new DigestChecks(c.escrow);
    const shared = opts.sharedDir ? path.join(opts.sharedDir, `${c.chainId}-${c.address}`) : undefined;
    this.cosigner = new CoSigner(
      c,
      oracle,
      identity,
      { ...opts, checkDigest: this.digests.check },
      shared,
      this.store,
      log,
      (...a) => this.note(...a),
      hooks,
    );
    this.oracleKey = oracle.address;
  }

  /** Takes the state folder's lock and loads the state. */
  open(): void {
    this.store.open();
    this.terms.load();
  }

  close(): void {
    this.store.close();
  }

  /** The relayer's balance and the postings it covers (for the metrics endpoint); undefined before the first send. */
  relayerStatus(): RelayerStatus | undefined {
    return this.sender.relayerStatus();
  }

  /** The nonce in flight, if any, and since when (unix ms) its first transaction was recorded. */
  pendingStatus(): ReturnType<DurableSender["pendingStatus"]> {
    return this.sender.pendingStatus();
  }

  /** When the transaction in flight was recorded (unix ms), or undefined (the metrics read it). */
  pendingSince(): number | undefined {
    return this.sender.pendingSince();
  }

  requestStop(signal: string): void {
    if (this.stop.stopped) return;
    this.stop.stopped = true;
    this.log.info({ action: "stopping", signal });
    this.stop.wake?.();
  }

  /** Runs rounds until stopped (or once). Returns the exit code. */
  async run(): Promise<number> {
    this.log.info({
      action: "start",
      oracle: this.identity,
      key: this.oracleKey,
      escrow: this.c.address,
      chainId: this.c.chainId.toString(),
      once: this.opts.once,
      ...this.sender.describe(),
    });
    let attempt = 0;
    while (!this.stop.stopped) {
      try {
        await this.round();
        await this.opts.observer?.roundDone();
        attempt = 0;
        if (this.opts.once) break;
        await sleep(this.opts.intervalMs, this.stop);
      } catch (err) {
        if (err instanceof UserError) throw err;
        const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
        this.opts.observer?.roundFailed(message);
        attempt++;
        if (this.opts.once && attempt >= this.opts.onceAttempts) {
          this.log.error({ action: "give-up", attempts: attempt, error: message });
          return 1;
        }
        const delay = backoffMs(Math.min(attempt, 16), 500, this.opts.once ? 5_000 : 30_000);
        this.log.warn({ action: "retry", attempt, delayMs: delay, error: message });
        await sleep(delay, this.stop);
      }
    }
    this.log.info({ action: "stopped" });
    // --once (cron): a relayer that could not pay is the operator's to fix (the error line says how much): exit 1.
    return this.opts.once && this.sender.unpaid > 0 ? 1 : 0;
  }

  /** One round: pending tx, discovery, batched reads, measurement and signing, then batched posting and settling. */
  async round(): Promise<void> {
    await this.sender.resolvePending();
    await discover(
      this.c,
      this.store,
      {
        identity: this.identity,
        specs: this.opts.specs,
        specsFlag: this.opts.specsFlag,
        blockRange: this.opts.blockRange,
      },
      this.terms,
      this.log,
      this.stop,
    );
    const followed = Object.entries(this.store.state.agreements)
      .filter(([, a]) => !a.done && !a.skipped)
      .map(([id]) => id);
    await this.terms.ensure(this.c.escrow, followed);
    const now = await nextBlockTime(this.c.provider);
    this.opts.observer?.roundStart(now);
    // The milestones that may need something: a milestone not yet due needs nothing (no posting before dueAt, no
    // attestation to settle). A settled one is read again (a reorganisation can undo a settlement), in the batch.
    const open: { terms: AgreementTerms; milestones: number[] }[] = [];
    for (const id of followed) {
      const terms = this.termsOf(id);
      const milestones = terms.milestones.map((_, m) => m).filter((m) => terms.milestones[m].dueAt <= now);
      if (milestones.length > 0) open.push({ terms, milestones });
    }
    const view = await readStates(
      this.c.escrow,
      open.map((o) => o.terms.id.toString()),
      open.flatMap((o) => o.milestones.map((m) => ({ id: o.terms.id.toString(), milestone: m }))),
    );
    const slots: (Item | undefined)[] = [];
    const again: { slot: number; terms: AgreementTerms; status: AgreementStatus; m: number; st: MilestoneState }[] = [];
    const take = async (terms: AgreementTerms, status: AgreementStatus, m: number, st: MilestoneState) => {
      try {
        return await this.consider(terms, status, m, now, st);
      } catch (err) {
        if (err instanceof DigestQueued) return err;
        // A bad file in the shared folder, a source refusing a period...: this milestone waits, the rest goes on.
        if (!(err instanceof UserError)) throw err;
        this.note(terms.id.toString(), m, "warn", "refused", err.message);
        return undefined;
      }
    };
    // First pass: every digest new this round is queued instead of checked; a second pass signs those milestones
    // once one batch of eth_calls has checked them all.
    this.digests.deferring = true;
    try {
      for (const { terms, milestones } of open) {
        if (this.stop.stopped) break;
        const id = terms.id.toString();
        const status = view.status.get(id) as AgreementStatus;
        if (status === AgreementStatus.Closed) {
          this.store.state.agreements[id].done = true;
          this.log.info({ agreement: id, action: "agreement-closed" });
          this.store.save();
          continue;
        }
        for (const m of milestones) {
          const st = view.milestones.get(`${id}:${m}`) as MilestoneState;
          if (st.status === MilestoneStatus.Settled) continue;
          const got = await take(terms, status, m, st);
          if (got instanceof DigestQueued) again.push({ slot: slots.length, terms, status, m, st });
          slots.push(got instanceof DigestQueued ? undefined : got);
        }
      }
    } finally {
      this.digests.deferring = false;
    }
    if (again.length > 0 && !this.stop.stopped) {
      await this.digests.flush();
      for (const a of again) {
        if (this.stop.stopped) break;
        const got = await take(a.terms, a.status, a.m, a.st);
        slots[a.slot] = got instanceof DigestQueued ? undefined : got;
      }
    }
    const items = slots.filter((i): i is Item => i !== undefined);
    for (let i = 0; i < items.length && !this.stop.stopped; i += this.opts.maxBatch) {
      await this.sender.send(items.slice(i, i + this.opts.maxBatch));
    }
  }

  /**
   * What to do about one milestone now, from its state `st` read this round and the lifecycle rules: post, settle,
   * or nothing.
   */
  private async consider(
    terms: AgreementTerms,
    status: AgreementStatus,
    m: number,
    now: number,
    st: MilestoneState,
  ): Promise<Item | undefined> {
    const id = terms.id.toString();
    if (st.status === MilestoneStatus.Settled) return undefined;
    const window = attestWindow(terms, m);
    // Oracle i of the agreement relays i * stagger seconds late, so that co-signing daemons do not all send
    // the same post or settle at once (the escrow would reject all but the first: wasted gas, never a double post).
    const relayDelay = Math.max(0, terms.oracles.indexOf(this.identity)) * this.opts.staggerSeconds;
    if (
      st.status === MilestoneStatus.Pending &&
      status === AgreementStatus.Active &&
      now >= window.from &&
      now <= window.until
    ) {
      this.opts.observer?.due(id, m, window.until);
      const measureAt = window.from + this.opts.lagSeconds;
      if (now < measureAt) return undefined; // let the last probes of the period land
      const post = await this.cosigner.prepare(terms, m, now); // only the relaying waits its turn
      if (post && now < measureAt + relayDelay && now + relayDelay <= window.until) {
        this.note(
          id,
          m,
          "info",
          "waiting",
          `signed enough; relaying from ${formatTime(measureAt + relayDelay)} unless another oracle does first`,
        );
        return undefined;
      }
      return post;
    }
    const at = settleableAt(terms, m, st);
    const open =
      status === AgreementStatus.Active ||
      (status === AgreementStatus.Proposed && st.status === MilestoneStatus.Pending);
    if (this.opts.settle && at !== undefined && now >= at + relayDelay && open) {
      return { kind: "settle", id, milestone: m };
    }
    return undefined;
  }

  private termsOf(id: string): AgreementTerms {
    const t = this.terms.get(id);
    if (!t) throw new Error(`the terms of agreement ${id} are missing after reading them`);
    return t;
  }

  /** Logs a refusal or a wait once per milestone and reason (rounds repeat). */
  private note(id: string, m: number, level: "info" | "warn", action: string, reason: string): void {
    const rec = this.store.milestone(id, m);
    const tag = `${action}: ${reason}`;
    rec.notes ??= [];
    if (rec.notes.includes(tag)) return;
    rec.notes = [...rec.notes.slice(-19), tag];
    this.store.save();
    this.log.log(level, { agreement: id, milestone: m, action, reason });
  }
}

function nonNegative(v: string | undefined, flag: string, def: number): number {
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${flag}: "${v}" is not a number of seconds >= 0`);
  return n;
}

function positiveInt(v: string | undefined, flag: string, def: number): number {
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag}: "${v}" is not a positive number`);
  return n;
}

/** `oracle run`: builds the daemon from the flags and runs it until SIGINT/SIGTERM (or one round with --once). */
export async function runCommand(
  hre: HardhatRuntimeEnvironment,
  args: OracleArgs,
  logger = new Logger(),
): Promise<{ exitCode: number }> {
  const intervalMs = positiveInt(args.interval, "--interval", 30) * 1000;
  // --metrics-port (prom-client is loaded only then)
  const monitor = [args.metricsPort, args.metricsHost, args.healthIntervals].some((v) => v !== undefined)
    ? (await import("./monitoring")).monitorFromArgs(args, intervalMs)
    : undefined;
  if (monitor) logger = monitor.tap(logger);
  const specs = specsFromArgs(args);
  const tolerances = parseTolerances(args.tolerance, specs);
  let prober: Prober | undefined;
  let probes: FileSource | undefined;
  if (args.url) {
    if (!args.store) throw new UserError("--store: missing (where the prober started by --url appends its results)");
    const store = ProbeStore.open(args.store);
    if (store.repairedBytes > 0)
      logger.warn({ action: "store-repaired", store: args.store, tornBytesDropped: store.repairedBytes });
    prober = new Prober(
      probeConfigFromArgs({
        url: args.url,
        timeout: args.timeout,
        expectStatus: args.expectStatus,
        interval: args.probeInterval ?? "30",
      }),
      store,
      logger,
    );
    probes = new FileSource(args.store);
  } else if (args.store && !args.samples) {
    probes = new FileSource(args.store);
  }
  const sources = await makeSources(args, specs, probes);
  const oracle = await loadOracleKey({ keystore: args.keystore });
  // The daemon's own provider over the network's RPC URLs (--rpc or the network's), with failover (rpc.ts).
  const rpc = await daemonProvider(hre, args, logger);
  const c = await connect(hre, args.escrow, true, rpc).catch((err: unknown) => {
    rpc?.destroy();
    throw err;
  });
  const sender = relayerKey(oracle).connect(c.provider);
  let fromBlock = 0;
  if (args.fromBlock !== undefined) fromBlock = positiveInt(args.fromBlock, "--from-block", 0);
  else if (!args.escrow) {
    const d = await escrowDeployment(hre, rpc && c.chainId);
    fromBlock = d?.blockNumber ?? 0;
  }
  const daemon = new Daemon(
    c,
    oracle,
    oracleIdentity(oracle, args.oracleAddress),
    sender,
    {
      specs,
      specsFlag: metricsFlag(args),
      sources,
      stateDir: stateDirOf(hre, args, oracle),
      sharedDir: args.shared,
      intervalMs,
      blockRange: positiveInt(args.blockRange, "--block-range", 5000),
      fromBlock,
      once: args.once === true,
      settle: args.noSettle !== true,
      tolerances,
      maxBatch: 100,
      onceAttempts: 5,
      staggerSeconds: nonNegative(args.stagger, "--stagger", 15),
      proposalWindowSeconds: nonNegative(args.proposalWindow, "--proposal-window", 60),
      lagSeconds: nonNegative(args.lag, "--lag", prober ? Math.ceil(prober.cfg.timeoutMs / 1000) + 1 : 0),
      tx: txOptionsFromArgs(hre.network.name, hre.network.config, args),
      observer: monitor,
    },
    logger,
  );
  monitor?.attach({
    provider: c.provider,
    relayer: sender.address,
    pendingSince: () => daemon.pendingSince(),
    rpc,
    info: {
      network: hre.network.name,
      chainId: c.chainId,
      escrow: c.address,
      oracle: oracleIdentity(oracle, args.oracleAddress),
    },
  });
  daemon.open();
  const metricsServer = await monitor?.serve(logger).catch((err: unknown) => {
    daemon.close();
    rpc?.destroy();
    throw err;
  });
  const onSignal = (sig: NodeJS.Signals): void => daemon.requestStop(sig);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  prober?.start();
  try {
    const code = await daemon.run();
    if (code !== 0) process.exitCode = code;
    return { exitCode: code };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await prober?.stop();
    daemon.close();
    await metricsServer?.close();
    rpc?.destroy();
  }
}
