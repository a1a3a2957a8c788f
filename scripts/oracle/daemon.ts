/**
 * `oracle run`: the daemon. Each round it
 *   1. settles the fate of a transaction it sent before (a crash between sending and recording is covered:
 *      the signed transaction is recorded on disk *before* it is broadcast, and only that same transaction
 *      is ever rebroadcast, so a milestone is never posted twice);
 *   2. finds the agreements naming its address (AgreementCreated events, paged through block ranges);
 *   3. reads every open milestone's state from the chain and, for each that is due, measures, writes the
 *      report, signs it, and collects co-signatures (alone, or through a shared folder where the first oracle
 *      to publish a report is the proposer and the others co-sign it within their tolerance);
 *   4. simulates, then posts every attestation that has its threshold and settles every milestone whose time
 *      has come, batched into one `multicall` per transaction.
 * RPC failures retry the round with exponential backoff and full jitter; SIGINT/SIGTERM stop it cleanly;
 * --once runs one round (for cron). Logs are one JSON object per line.
 */
import fs from "node:fs";
import path from "node:path";
import { type Provider, type Wallet, getAddress, keccak256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { SLAEscrow } from "../../typechain-types";
import { attestationDigest, packSignatures } from "../lib/attestation";
import { UserError, decodeEscrowError, formatEscrowError } from "../lib/errors";
import { checkMetricNames } from "./chain";
import { type AgreementTerms, readTerms, readMilestone } from "../lib/model";
import { nextBlockTime, formatTime } from "../lib/time";
import { settleableAt } from "../lib/lifecycle";
import { type Connection, type OracleArgs, connect, makeSource, measure, recordBeforeSign, stateDirOf } from "./commands";
import { firstDifference, hasProposal, writeProposal } from "./cosign";
import { Logger, type Output } from "./log";
import { type MetricName, parseMetricNames } from "./metrics";
import { Prober, probeConfigFromArgs } from "./prober";
import { type LoadedReport, evidenceOf, loadReport, serializeReport, writeFileAtomic } from "./report";
import type { SampleSource } from "./samples";
import {
  SIGNATURE_FORMAT,
  collectSignatures,
  listSignatureFiles,
  loadOracleKey,
  oracleIdentity,
  relayerKey,
  signChecked,
  writeSignatureFile,
} from "./signing";
import { ProbeStore } from "./store";
import { type ToleranceMap, parseTolerance } from "./tolerance";
import { type MilestoneKey, readSignedRecord } from "./sign-record";
import { FileSource } from "./file-source";

export interface DaemonOptions {
  names: MetricName[];
  source: SampleSource;
  stateDir: string;
  sharedDir?: string;
  intervalMs: number;
  blockRange: number;
  fromBlock: number;
  once: boolean;
  settle: boolean;
  tolerance: ToleranceMap;
  /** Most calls per multicall transaction. */
  maxBatch: number;
  /** Round attempts in --once mode before giving up on RPC failures. */
  onceAttempts: number;
  /** Seconds after dueAt before measuring, so that probes still in flight at dueAt are stored. */
  lagSeconds: number;
  /** Seconds oracle i of an agreement waits (times i) before relaying a post or a settle. */
  staggerSeconds: number;
  /** Shared folder: seconds after publishing our report before choosing which proposal to sign. */
  proposalWindowSeconds: number;
}

type Item = { kind: "post"; id: string; milestone: number; args: [bigint, number, number[], string, bigint, string[]] } | { kind: "settle"; id: string; milestone: number };

interface PendingTx {
  hash: string;
  raw: string;
  nonce: number;
  from: string;
  items: { kind: "post" | "settle"; id: string; milestone: number }[];
}

interface DaemonState {
  version: 1;
  chainId: string;
  escrow: string;
  oracle: string;
  scannedTo: number;
  agreements: Record<string, { done?: boolean; skipped?: string }>;
  /** Per "id:milestone": what this oracle did (never trusted over the chain's state; used to log once). */
  milestones: Record<string, { notes?: string[]; postedTx?: string; settledTx?: string; proposedAt?: number }>;
  pendingTx?: PendingTx;
}

const sleep = (ms: number, signal?: { stopped: boolean; wake?: () => void }): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) {
      signal.wake = () => {
        clearTimeout(t);
        resolve();
      };
    }
  });

/** Full-jitter exponential backoff: uniform in [0, min(cap, base * 2^attempt)]. */
export function backoffMs(attempt: number, baseMs = 500, capMs = 30_000, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** Test hook: ORACLE_TEST_CRASH=<point> kills the process with SIGKILL at that point. */
function crashPoint(point: string): void {
  if (process.env.ORACLE_TEST_CRASH === point) process.kill(process.pid, "SIGKILL");
}

export class Daemon {
  private state!: DaemonState;
  private readonly terms = new Map<string, AgreementTerms>();
  private readonly stop = { stopped: false, wake: undefined as undefined | (() => void) };
  private readonly statePath: string;
  private readonly lockPath: string;

  constructor(
    private readonly c: Connection,
    private readonly oracle: Wallet,
    /** The oracle's address in the terms: the key's, or a contract wallet's (--oracle-address). */
    private readonly identity: string,
    private readonly sender: Wallet,
    private readonly opts: DaemonOptions,
    private readonly log: Logger,
  ) {
    this.statePath = path.join(opts.stateDir, "state.json");
    this.lockPath = path.join(opts.stateDir, "lock");
  }

  private get provider(): Provider {
    return this.c.provider;
  }

  /** Takes the state folder's lock (a dead owner's lock is taken over) and loads the state. */
  open(): void {
    fs.mkdirSync(this.opts.stateDir, { recursive: true });
    for (;;) {
      try {
        fs.writeFileSync(this.lockPath, String(process.pid), { flag: "wx" });
        break;
      } catch {
        const owner = Number(fs.readFileSync(this.lockPath, "utf8"));
        let alive = false;
        try {
          if (owner > 0 && owner !== process.pid) {
            process.kill(owner, 0);
            alive = true;
          }
        } catch (e) {
          alive = (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
        }
        if (alive) throw new UserError(`--state: ${this.opts.stateDir} is in use by process ${owner} (another oracle run)`);
        fs.rmSync(this.lockPath, { force: true });
      }
    }
    const fresh: DaemonState = {
      version: 1,
      chainId: this.c.chainId.toString(),
      escrow: this.c.address,
      oracle: this.identity,
      scannedTo: this.opts.fromBlock - 1,
      agreements: {},
      milestones: {},
    };
    if (fs.existsSync(this.statePath)) {
      const s = JSON.parse(fs.readFileSync(this.statePath, "utf8")) as DaemonState;
      if (s.chainId !== fresh.chainId || getAddress(s.escrow) !== this.c.address || getAddress(s.oracle) !== this.identity) {
        throw new UserError(`--state: ${this.opts.stateDir} belongs to chain ${s.chainId}, escrow ${s.escrow}, oracle ${s.oracle}; use another --state folder`);
      }
      this.state = s;
    } else {
      this.state = fresh;
      this.save();
    }
  }

  close(): void {
    try {
      if (fs.readFileSync(this.lockPath, "utf8") === String(process.pid)) fs.rmSync(this.lockPath);
    } catch {
      // already gone
    }
  }

  private save(): void {
    writeFileAtomic(this.statePath, JSON.stringify(this.state, null, 2) + "\n");
  }

  requestStop(signal: string): void {
    if (this.stop.stopped) return;
    this.stop.stopped = true;
    this.log.info({ action: "stopping", signal });
    this.stop.wake?.();
  }

  /** Runs rounds until stopped (or once). Returns the exit code. */
  async run(): Promise<number> {
    this.log.info({ action: "start", oracle: this.identity, key: this.oracle.address, escrow: this.c.address, chainId: this.c.chainId.toString(), once: this.opts.once });
    let attempt = 0;
    while (!this.stop.stopped) {
      try {
        await this.round();
        attempt = 0;
        if (this.opts.once) break;
        await sleep(this.opts.intervalMs, this.stop);
      } catch (err) {
        if (err instanceof UserError) throw err;
        const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
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
    return 0;
  }

  /** One round: pending tx, discovery, measurement and signing, then batched posting and settling. */
  async round(): Promise<void> {
    await this.resolvePending();
    await this.scan();
    const now = await nextBlockTime(this.provider);
    const items: Item[] = [];
    for (const [id, a] of Object.entries(this.state.agreements)) {
      if (a.done || a.skipped || this.stop.stopped) continue;
      const status = Number(await this.c.escrow.agreementStatus(id));
      if (status === 3) {
        a.done = true;
        this.log.info({ agreement: id, action: "agreement-closed" });
        this.save();
        continue;
      }
      const terms = await this.termsOf(id);
      for (let m = 0; m < terms.milestones.length; m++) {
        try {
          const item = await this.consider(terms, status, m, now);
          if (item) items.push(item);
        } catch (err) {
          // A bad file in the shared folder, a source refusing a period...: this milestone waits, the rest goes on.
          if (!(err instanceof UserError)) throw err;
          this.note(id, m, "warn", "refused", err.message);
        }
      }
    }
    for (let i = 0; i < items.length && !this.stop.stopped; i += this.opts.maxBatch) {
      await this.send(items.slice(i, i + this.opts.maxBatch));
    }
  }

  /** What to do about one milestone now, read from the chain: post (when signed enough), settle, or nothing. */
  private async consider(terms: AgreementTerms, status: number, m: number, now: number): Promise<Item | undefined> {
    const id = terms.id.toString();
    const st = await readMilestone(this.c.escrow, terms.id, m);
    if (st.status === 3) return undefined;
    const due = terms.milestones[m].dueAt;
    // Oracle i of the agreement relays i * stagger seconds late, so that co-signing daemons do not all send
    // the same post or settle at once (the escrow would reject all but the first: wasted gas, never a double post).
    const relayDelay = Math.max(0, terms.oracles.indexOf(this.identity)) * this.opts.staggerSeconds;
    if (st.status === 0 && status === 2 && now >= due && now <= due + terms.attestGrace) {
      if (now < due + this.opts.lagSeconds) return undefined; // let the last probes of the period land
      const post = await this.prepare(terms, m, now); // only the relaying waits its turn
      if (post && now < due + this.opts.lagSeconds + relayDelay && now + relayDelay <= due + terms.attestGrace) {
        this.note(id, m, "info", "waiting", `signed enough; relaying from ${formatTime(due + this.opts.lagSeconds + relayDelay)} unless another oracle does first`);
        return undefined;
      }
      return post;
    }
    const at = settleableAt(terms, m, st);
    if (this.opts.settle && at !== undefined && now >= at + relayDelay && (status === 2 || (status === 1 && st.status === 0))) {
      return { kind: "settle", id, milestone: m };
    }
    return undefined;
  }

  private async termsOf(id: string): Promise<AgreementTerms> {
    let t = this.terms.get(id);
    if (!t) {
      t = await readTerms(this.c.escrow, BigInt(id));
      this.terms.set(id, t);
    }
    return t;
  }

  /** Finds new agreements naming this oracle, paging through block ranges; records progress. */
  private async scan(): Promise<void> {
    const latest = await this.provider.getBlockNumber();
    const filter = this.c.escrow.filters.AgreementCreated();
    while (this.state.scannedTo < latest && !this.stop.stopped) {
      const from = this.state.scannedTo + 1;
      const to = Math.min(latest, from + this.opts.blockRange - 1);
      const events = await this.c.escrow.queryFilter(filter, from, to);
      for (const e of events) {
        const id = e.args.id.toString();
        const oracles = (e.args.terms.oracles as string[]).map((o) => getAddress(o));
        if (!oracles.includes(this.identity) || this.state.agreements[id]) continue;
        const terms = await this.termsOf(id);
        let skipped: string | undefined;
        try {
          checkMetricNames(terms, this.opts.names);
        } catch (err) {
          skipped = (err as Error).message;
        }
        this.state.agreements[id] = skipped ? { skipped } : {};
        if (skipped) this.log.warn({ agreement: id, action: "skip-agreement", reason: skipped });
        else this.log.info({ agreement: id, action: "discovered", milestones: terms.milestones.length, threshold: terms.threshold, block: e.blockNumber });
      }
      this.state.scannedTo = to;
      this.save();
      this.log.debug({ action: "scanned", fromBlock: from, toBlock: to, events: events.length });
    }
  }

  private key(id: string | bigint, m: number): string {
    return `${id}:${m}`;
  }

  private sharedFolder(): string | undefined {
    return this.opts.sharedDir ? path.join(this.opts.sharedDir, `${this.c.chainId}-${this.c.address}`) : undefined;
  }

  /** Logs a refusal or a wait once per milestone and reason (rounds repeat). */
  private note(id: string, m: number, level: "info" | "warn", action: string, reason: string): void {
    const rec = (this.state.milestones[this.key(id, m)] ??= {});
    const tag = `${action}: ${reason}`;
    rec.notes ??= [];
    if (rec.notes.includes(tag)) return;
    rec.notes = [...rec.notes.slice(-19), tag];
    this.save();
    this.log.log(level, { agreement: id, milestone: m, action, reason });
  }

  /** The signing record's key for a milestone of ours. */
  private milestoneKey(terms: AgreementTerms, m: number): MilestoneKey {
    return { chainId: this.c.chainId, escrow: this.c.address, agreementId: terms.id, milestone: m, oracle: this.identity };
  }

  /**
   * Our own report of a due milestone: measured once from our own source with our own metric names, kept in the
   * state folder and reused after a restart. Undefined (noted, retried next round) when the source refuses it.
   */
  private async ownReport(terms: AgreementTerms, m: number): Promise<LoadedReport | undefined> {
    const id = terms.id.toString();
    const file = path.join(this.opts.stateDir, "reports", `agreement-${id}-milestone-${m}.json`);
    if (!fs.existsSync(file)) {
      try {
        const report = await measure(this.c, terms, m, this.opts.names, this.opts.source, this.identity);
        writeFileAtomic(file, serializeReport(report));
        this.log.info({ agreement: id, milestone: m, action: "report", file, values: report.values, cutBps: report.cutBps, evidence: evidenceOf(serializeReport(report)) });
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        this.note(id, m, "warn", "refused", err.message);
        return undefined;
      }
    }
    return loadReport(file, "--state report");
  }

  /**
   * For a due milestone, DESIGN.md's co-signing rules:
   *  1. what we signed decides: once a digest is recorded for the milestone (state folder, signed/), we only
   *     ever (re)sign that one, and collect its signatures;
   *  2. otherwise we measure our own report; with a shared folder we publish it with our proposal signature,
   *     wait the proposal window, then sign the first proposal in oracle order that matches our chain, escrow,
   *     agreement, milestone, period and metrics, whose cutBps is the penalty rule's and whose values are within
   *     our tolerance of ours (ours qualifies); a file is ours only when its bytes are the report we wrote;
   *  3. the digest is recorded before the key signs it, and the signature file is written after.
   * Returns the post once the digest we signed has its threshold of valid signatures.
   */
  private async prepare(terms: AgreementTerms, m: number, now: number): Promise<Item | undefined> {
    const id = terms.id.toString();
    const shared = this.sharedFolder();
    const base = `agreement-${id}-milestone-${m}`;
    const sigDir = shared ?? path.join(this.opts.stateDir, "signatures");
    let signed = readSignedRecord(this.opts.stateDir, this.milestoneKey(terms, m));
    if (!signed) {
      const own = await this.ownReport(terms, m);
      if (!own) return undefined;
      let choice: { values: number[]; evidence: string; proposer: string } | undefined = { values: own.report.values, evidence: own.evidence, proposer: this.identity };
      if (shared) {
        const due = terms.milestones[m].dueAt;
        const rec = (this.state.milestones[this.key(id, m)] ??= {});
        this.publish(shared, base, own, terms, m);
        if (rec.proposedAt === undefined) {
          rec.proposedAt = now;
          this.save();
        }
        // The window never takes more than half of the attestation window: the quorum needs time to post.
        const signAt = Math.min(rec.proposedAt + this.opts.proposalWindowSeconds, due + Math.floor(terms.attestGrace / 2));
        if (now < signAt) {
          this.note(id, m, "info", "waiting", `proposal window: signing the first proposal in oracle order from ${formatTime(signAt)}`);
          return undefined;
        }
        choice = await this.choose(shared, base, terms, m, own);
      }
      if (!choice) return undefined;
      const att = { agreementId: terms.id, milestone: m, values: choice.values, evidence: choice.evidence };
      const { digest } = await signChecked(this.c.escrow, this.oracle, this.c.domain, att, this.identity, recordBeforeSign(this.opts.stateDir, this.c, this.identity, att, () => crashPoint("after-sign-record")));
      this.log.info({ agreement: id, milestone: m, action: "chose", proposer: choice.proposer, evidence: choice.evidence, digest });
      signed = readSignedRecord(this.opts.stateDir, this.milestoneKey(terms, m));
      if (!signed) throw new Error(`the signing record of agreement ${id} milestone ${m} is missing after signing`);
    }
    const tag = signed.evidence.slice(2, 12);
    const sigFile = path.join(sigDir, `${base}.${tag}.${this.identity}.sig.json`);
    const att = { agreementId: terms.id, milestone: m, values: signed.values, evidence: signed.evidence };
    if (!fs.existsSync(sigFile)) {
      // Re-signing the recorded digest (after a restart between recording and writing) is allowed.
      const { signature, digest } = await signChecked(this.c.escrow, this.oracle, this.c.domain, att, this.identity, recordBeforeSign(this.opts.stateDir, this.c, this.identity, att));
      writeSignatureFile(sigFile, {
        format: SIGNATURE_FORMAT,
        chainId: this.c.chainId.toString(),
        escrow: this.c.address,
        agreementId: id,
        milestone: m,
        values: signed.values,
        evidence: signed.evidence,
        digest,
        signer: this.identity,
        signature,
      });
      this.log.info({ agreement: id, milestone: m, action: "signed", evidence: signed.evidence, digest, file: sigFile });
    }
    const expected = { chainId: this.c.chainId, escrow: this.c.address, ...att, digest: signed.digest };
    const files = listSignatureFiles([sigDir]).filter((f) => path.basename(f).startsWith(`${base}.${tag}.`));
    const collected = await collectSignatures(files, expected, terms.oracles, this.provider);
    if (collected.valid.length >= terms.threshold) {
      const packed = packSignatures(terms.oracles, collected.valid);
      return { kind: "post", id, milestone: m, args: [terms.id, m, signed.values, signed.evidence, packed.signerMask, packed.signatures] };
    }
    this.note(id, m, "info", "waiting", `the report we signed (evidence ${signed.evidence}) has ${collected.valid.length} of ${terms.threshold} signatures in ${sigDir}`);
    return undefined;
  }

  /** Publishes our report in the shared folder (rewriting whatever stands under our name) with our proposal signature. */
  private publish(shared: string, base: string, own: LoadedReport, terms: AgreementTerms, m: number): void {
    const mine = path.join(shared, `${base}.report.${this.identity}.json`);
    const current = fs.existsSync(mine) ? fs.readFileSync(mine) : undefined;
    if (!current || !current.equals(own.bytes)) {
      writeFileAtomic(mine, own.bytes);
      this.log.info({ agreement: terms.id.toString(), milestone: m, action: "proposed", file: mine, evidence: own.evidence });
    }
    const digest = attestationDigest(this.c.domain, { agreementId: terms.id, milestone: m, values: own.report.values, evidence: own.evidence });
    writeProposal(shared, base, this.oracle, this.identity, digest);
  }

  /**
   * The first proposal in oracle order that we may sign (ours always may). Every other file is checked like any
   * proposal, whatever it says about its author: it ranks as oracle i's only with oracle i's proposal signature,
   * a file naming us that is not byte for byte our report is a forgery, and an author with two proposals is
   * ignored. Each refusal is noted once, naming the file and the first difference.
   */
  private async choose(shared: string, base: string, terms: AgreementTerms, m: number, own: LoadedReport): Promise<{ values: number[]; evidence: string; proposer: string }> {
    const id = terms.id.toString();
    const ownView = { chainId: this.c.chainId, escrow: this.c.address, terms, milestone: m, names: this.opts.names, values: own.report.values, tolerance: this.opts.tolerance };
    const byAuthor = new Map<string, { values: number[]; evidence: string }[]>();
    for (const f of fs.readdirSync(shared).sort()) {
      if (!f.startsWith(`${base}.report.`) || !f.endsWith(".json")) continue;
      const refuse = (reason: string): void => this.note(id, m, "warn", "refused", `${f}: ${reason}`);
      let loaded: LoadedReport;
      try {
        loaded = loadReport(path.join(shared, f), "report");
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        refuse(err.message);
        continue;
      }
      if (loaded.bytes.equals(own.bytes)) continue; // ours, counted below
      const r = loaded.report;
      const author = getAddress(r.oracle);
      if (author === this.identity) {
        refuse(`it names this oracle (${this.identity}) as its author but is not the report this oracle wrote: a forgery`);
        continue;
      }
      if (!terms.oracles.includes(author)) {
        refuse(`its author ${author} is not an oracle of agreement ${id}`);
        continue;
      }
      const digest = attestationDigest(this.c.domain, { agreementId: terms.id, milestone: m, values: r.values, evidence: loaded.evidence });
      if (!(await hasProposal(shared, base, author, digest, this.provider))) {
        refuse(`${author} has not signed it as its proposal (no valid ${base}.proposal.${author}.json for it)`);
        continue;
      }
      const diff = firstDifference(r, ownView);
      if (diff !== undefined) {
        refuse(`refusing to co-sign ${author}'s report: ${diff}`);
        continue;
      }
      byAuthor.set(author, [...(byAuthor.get(author) ?? []), { values: r.values, evidence: loaded.evidence }]);
    }
    byAuthor.set(this.identity, [{ values: own.report.values, evidence: own.evidence }]);
    for (const oracle of terms.oracles) {
      const proposals = byAuthor.get(oracle);
      if (!proposals) continue;
      if (proposals.length > 1) {
        this.note(id, m, "warn", "refused", `${oracle} proposed ${proposals.length} different reports: none of them is signed`);
        continue;
      }
      return { ...proposals[0], proposer: oracle };
    }
    throw new Error("unreachable: our own report always qualifies");
  }

  private encode(item: Item): string {
    const iface = this.c.escrow.interface;
    return item.kind === "post"
      ? iface.encodeFunctionData("postAttestation", item.args)
      : iface.encodeFunctionData("settle", [BigInt(item.id), item.milestone]);
  }

  /**
   * Simulates each call (dropping those the escrow rejects), then sends the rest in one multicall. The
   * simulation runs on the pending block: an idle chain's latest block can be older than a due time.
   */
  private async send(batch: Item[]): Promise<void> {
    const escrow = this.c.escrow.connect(this.sender) as SLAEscrow;
    let items = batch;
    try {
      await escrow.multicall.staticCall(items.map((i) => this.encode(i)), { blockTag: "pending" });
    } catch {
      const kept: Item[] = [];
      for (const item of items) {
        try {
          await escrow.multicall.staticCall([this.encode(item)], { blockTag: "pending" });
          kept.push(item);
        } catch (err) {
          const decoded = decodeEscrowError(this.c.escrow.interface, err);
          if (!decoded) throw err;
          // e.g. MilestoneNotPending: another oracle posted first; that is done, not an error.
          const benign = ["MilestoneNotPending", "MilestoneAlreadySettled"].includes(decoded.name);
          this.log.log(benign ? "info" : "warn", { agreement: item.id, milestone: item.milestone, action: `${item.kind}-skipped`, reason: formatEscrowError(decoded) });
        }
      }
      items = kept;
    }
    if (items.length === 0 || this.stop.stopped) return;
    const data = this.c.escrow.interface.encodeFunctionData("multicall", [items.map((i) => this.encode(i))]);
    const populated = await this.sender.populateTransaction({ to: this.c.address, data });
    const raw = await this.sender.signTransaction(populated);
    const hash = keccak256(raw);
    this.state.pendingTx = {
      hash,
      raw,
      nonce: Number(populated.nonce),
      from: this.sender.address,
      items: items.map((i) => ({ kind: i.kind, id: i.id, milestone: i.milestone })),
    };
    this.save();
    crashPoint("after-record");
    for (const i of items) this.log.info({ agreement: i.id, milestone: i.milestone, action: i.kind === "post" ? "posting" : "settling", txHash: hash });
    await this.broadcast(raw);
    crashPoint("after-broadcast");
    await this.resolvePending();
  }

  private async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // Already in the pool or already mined (nonce used): resolvePending finds out which.
      if (!/already known|known transaction|nonce too low|nonce has already been used|already imported/i.test(msg)) throw err;
    }
  }

  /** Waits for the recorded transaction; rebroadcasts the same bytes if the node lost it. */
  private async resolvePending(): Promise<void> {
    const p = this.state.pendingTx;
    if (!p) return;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const receipt = await this.provider.getTransactionReceipt(p.hash);
      if (receipt) {
        const ok = receipt.status === 1;
        const perItem = receipt.gasUsed / BigInt(Math.max(1, p.items.length));
        for (const i of p.items) {
          const rec = (this.state.milestones[this.key(i.id, i.milestone)] ??= {});
          if (ok && i.kind === "post") rec.postedTx = p.hash;
          if (ok && i.kind === "settle") rec.settledTx = p.hash;
          this.log.log(ok ? "info" : "error", {
            agreement: i.id,
            milestone: i.milestone,
            action: ok ? (i.kind === "post" ? "posted" : "settled") : `${i.kind}-reverted`,
            txHash: p.hash,
            block: receipt.blockNumber,
            gasPerCall: perItem.toString(),
            batch: p.items.length,
          });
        }
        this.state.pendingTx = undefined;
        this.save();
        return;
      }
      const tx = await this.provider.getTransaction(p.hash);
      if (!tx) {
        const used = await this.provider.getTransactionCount(p.from, "latest");
        if (used > p.nonce) {
          // The nonce went to another transaction: ours can never be mined. The chain's state decides next round.
          this.log.warn({ action: "pending-dropped", txHash: p.hash, nonce: p.nonce });
          this.state.pendingTx = undefined;
          this.save();
          return;
        }
        this.log.info({ action: "rebroadcast", txHash: p.hash, nonce: p.nonce });
        await this.broadcast(p.raw);
      }
      if (Date.now() > deadline) throw new Error(`transaction ${p.hash} not mined after 120 s`);
      await sleep(250);
    }
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
export async function runCommand(hre: HardhatRuntimeEnvironment, args: OracleArgs, _out: Output, logger = new Logger()): Promise<{ exitCode: number }> {
  const names = parseMetricNames(args.metrics);
  const tolerance = parseTolerance(args.tolerance);
  let prober: Prober | undefined;
  let source: SampleSource;
  if (args.url) {
    if (!args.store) throw new UserError("--store: missing (where the prober started by --url appends its results)");
    const store = ProbeStore.open(args.store);
    if (store.repairedBytes > 0) logger.warn({ action: "store-repaired", store: args.store, tornBytesDropped: store.repairedBytes });
    prober = new Prober(probeConfigFromArgs({ url: args.url, timeout: args.timeout, expectStatus: args.expectStatus, interval: args.probeInterval ?? "30" }), store, logger);
    source = new FileSource(args.store);
  } else if (args.store && !args.samples && !args.prometheus) {
    source = new FileSource(args.store);
  } else {
    source = await makeSource(args);
  }
  const oracle = await loadOracleKey({ keystore: args.keystore });
  const c = await connect(hre, args.escrow, true);
  const sender = relayerKey(oracle).connect(c.provider);
  let fromBlock = 0;
  if (args.fromBlock !== undefined) fromBlock = positiveInt(args.fromBlock, "--from-block", 0);
  else if (!args.escrow) {
    const d = await hre.deployments.getOrNull("SLAEscrow");
    fromBlock = d?.receipt?.blockNumber ?? 0;
  }
  const daemon = new Daemon(
    c,
    oracle,
    oracleIdentity(oracle, args.oracleAddress),
    sender,
    {
      names,
      source,
      stateDir: stateDirOf(hre, args, oracle),
      sharedDir: args.shared,
      intervalMs: positiveInt(args.interval, "--interval", 30) * 1000,
      blockRange: positiveInt(args.blockRange, "--block-range", 5000),
      fromBlock,
      once: args.once === true,
      settle: args.noSettle !== true,
      tolerance,
      maxBatch: 100,
      onceAttempts: 5,
      staggerSeconds: nonNegative(args.stagger, "--stagger", 15),
      proposalWindowSeconds: nonNegative(args.proposalWindow, "--proposal-window", 60),
      lagSeconds: nonNegative(args.lag, "--lag", prober ? Math.ceil(prober.cfg.timeoutMs / 1000) + 1 : 0),
    },
    logger,
  );
  daemon.open();
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
  }
}
