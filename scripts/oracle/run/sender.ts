/**
 * The daemon's durable sender: batches posts and settles into one `multicall`, simulates them first (dropping
 * what the escrow would reject), prices the transaction from the chain (EIP-1559: the base fee with headroom plus
 * a tip, at most the cap; run/fees.ts), checks that the relayer can pay, signs it locally and records it in the
 * state folder *before* broadcasting it. A transaction not mined after `bumpAfterBlocks` blocks or
 * `bumpAfterSeconds` seconds is replaced at the same nonce with both fees raised by at least 12.5%, again and
 * again up to the cap; each replacement too is recorded before it is broadcast, and only recorded bytes are ever
 * sent again. Whichever transaction of the nonce is mined counts; it is done after `confirmations` blocks, and a
 * reorganisation that takes its block away puts it back to waiting. A process killed at any point, restarted,
 * resumes the same nonce with the recorded transactions: a milestone is never posted twice.
 */
import { type Provider, type TransactionReceipt, type Wallet, Transaction, keccak256 } from "ethers";
import type { SLAEscrow } from "../../../typechain-types";
import { UserError, decodeEscrowError, formatEscrowError } from "../../lib/errors";
import { attestWindow } from "../../lib/lifecycle";
import { readTerms } from "../../lib/model";
import { formatTime } from "../../lib/time";
import type { Connection } from "../commands";
import type { DaemonHooks } from "../hooks";
import type { Logger } from "../log";
import {
  DEFAULT_TIP_WEI,
  type Fees,
  formatEth,
  formatGwei,
  initialFees,
  postingsCovered,
  replacementFees,
} from "./fees";
import type { PendingTx, SignedTx, StateStore } from "./state";

export type PostArgs = [bigint, number, number[], string, bigint, string[]];
export type Item =
  { kind: "post"; id: string; milestone: number; args: PostArgs } | { kind: "settle"; id: string; milestone: number };

type StopSignal = { stopped: boolean; wake?: () => void };

export const sleep = (ms: number, signal?: StopSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) {
      signal.wake = () => {
        clearTimeout(t);
        resolve();
      };
    }
  });

/** How the sender prices, replaces and confirms (docs/oracle.md "Fees, replacements and finality"). */
export interface TxOptions {
  /** Blocks, the one holding the transaction included, before a posting or settlement counts as done (>= 1). */
  confirmations: number;
  /** The cap on maxFeePerGas (wei), and where it came from (a flag, a variable, the defaults), for messages. */
  maxFeePerGas: bigint;
  maxFeeSource: string;
  /** Replace a transaction not mined after this many blocks... */
  bumpAfterBlocks: number;
  /** ...or this many seconds, whichever comes first. */
  bumpAfterSeconds: number;
  /** Warn when the relayer's balance pays for fewer postings than this at the current fees (0: never). */
  minPostings: number;
  /** Milliseconds between two looks at the chain while a transaction waits. */
  pollMs: number;
  /**
   * One wait for a transaction lasts at most this many ms; it stays recorded, and the daemon goes on with its round
   * (discovery, measuring, co-signing) while sending waits for the nonce, then waits again.
   */
  waitMs: number;
  /** --once: a wait that runs out is an error (the round is retried, then the run gives up with exit code 1). */
  failAfterWait: boolean;
}

export const TX_DEFAULTS: TxOptions = {
  confirmations: 1,
  maxFeePerGas: 200_000_000_000n,
  maxFeeSource: "the default",
  bumpAfterBlocks: 3,
  bumpAfterSeconds: 60,
  minPostings: 10,
  pollMs: 500,
  waitMs: 60_000,
  failAfterWait: false,
};

/** The relayer's balance and how many postings it pays for at the fees of the last transaction priced. */
export interface RelayerStatus {
  relayer: string;
  balanceWei: bigint;
  postingsCovered: number;
  /** When it was read (unix ms). */
  checkedAt: number;
}

/** While the pool check finds the newest transaction known to the node, look again only this often. */
const POOL_CHECK_MS = 5_000;

type RawSend = (method: string, params: unknown[]) => Promise<unknown>;

export class DurableSender {
  private readonly opts: TxOptions;
  private status?: RelayerStatus;
  private readonly refusedBroadcasts = new Set<string>();
  /** Transactions not signed because the relayer could not pay for them (--once then exits 1). */
  unpaid = 0;
  /** "hash@cap" of the transaction found at the cap in this process: not replaced, logged once. */
  private capped?: string;
  private confirmationsSeen = -1;
  private deferredAt?: number;

  constructor(
    private readonly c: Connection,
    private readonly sender: Wallet,
    private readonly store: StateStore,
    private readonly log: Logger,
    private readonly hooks: DaemonHooks,
    private readonly stop: StopSignal,
    opts: Partial<TxOptions> = {},
  ) {
    this.opts = { ...TX_DEFAULTS, ...opts };
  }

  /**
   * When the oldest transaction still in flight was recorded (unix ms; undefined when none), for the operator's
   * metrics. A transaction recorded by an older version without the time counts from when this process saw it.
   */
  pendingSince(): number | undefined {
    return this.pendingStatus()?.since;
  }
  private seen: { nonce: number; at: number } | undefined;

  private get provider(): Provider {
    return this.c.provider;
  }

  /** The relayer's balance and the postings it covers, as of the last transaction priced (undefined before). */
  relayerStatus(): RelayerStatus | undefined {
    return this.status;
  }

  /** The transaction waiting, if any: its newest hash, its nonce, since when the first was recorded (unix ms). */
  pendingStatus(): { hash: string; nonce: number; since: number; transactions: number } | undefined {
    const p = this.store.state.pendingTx;
    if (!p) return undefined;
    let since = p.recordedAt ?? p.txs?.[0]?.recordedAt;
    if (since === undefined) {
      // Recorded by an older version, without the time: it counts from when this process first saw the nonce.
      if (this.seen?.nonce !== p.nonce) this.seen = { nonce: p.nonce, at: Date.now() };
      since = this.seen.at;
    }
    return { hash: p.hash, nonce: p.nonce, since, transactions: p.txs?.length ?? 1 };
  }

  /** The settings, for the daemon's start line. */
  describe(): Record<string, string | number> {
    return {
      relayer: this.sender.address,
      confirmations: this.opts.confirmations,
      maxFeeGwei: formatGwei(this.opts.maxFeePerGas),
      maxFeeFrom: this.opts.maxFeeSource,
      bumpAfterBlocks: this.opts.bumpAfterBlocks,
      bumpAfterSeconds: this.opts.bumpAfterSeconds,
      minPostings: this.opts.minPostings,
    };
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
  async send(batch: Item[]): Promise<void> {
    if (this.store.state.pendingTx) await this.resolvePending();
    const inFlight = this.store.state.pendingTx;
    if (inFlight) {
      // One nonce at a time: a second transaction would only queue behind it (and be priced for a later block).
      if (this.deferredAt !== inFlight.nonce) {
        this.deferredAt = inFlight.nonce;
        this.log.info({
          action: "send-deferred",
          txHash: inFlight.hash,
          nonce: inFlight.nonce,
          calls: batch.length,
          reason: "a transaction of the relayer is still in flight at this nonce; the calls wait for it",
        });
      }
      return;
    }
    const escrow = this.c.escrow.connect(this.sender) as SLAEscrow;
    let items = batch;
    try {
      await escrow.multicall.staticCall(
        items.map((i) => this.encode(i)),
        { blockTag: "pending" },
      );
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
          this.log.log(benign ? "info" : "warn", {
            agreement: item.id,
            milestone: item.milestone,
            action: `${item.kind}-skipped`,
            reason: formatEscrowError(decoded),
          });
        }
      }
      items = kept;
    }
    if (items.length === 0 || this.stop.stopped) return;
    const data = this.c.escrow.interface.encodeFunctionData("multicall", [items.map((i) => this.encode(i))]);
    const from = this.sender.address;
    const gasLimit = await this.provider.estimateGas({ from, to: this.c.address, data });
    const quote = await this.quote();
    const what = items.map((i) => `agreement ${i.id} milestone ${i.milestone} (${i.kind})`).join(", ");
    // Nothing is signed or recorded when the relayer cannot pay: the milestones wait for the next round.
    if (!(await this.canPay(gasLimit, quote.fees.maxFeePerGas, items.length, what))) return;
    const nonce = await this.provider.getTransactionCount(from, "pending");
    const head = await this.provider.getBlockNumber();
    const raw = await this.sender.signTransaction({
      type: 2,
      chainId: this.c.chainId,
      nonce,
      to: this.c.address,
      data,
      value: 0n,
      gasLimit,
      maxFeePerGas: quote.fees.maxFeePerGas,
      maxPriorityFeePerGas: quote.fees.maxPriorityFeePerGas,
    });
    const hash = keccak256(raw);
    this.store.state.pendingTx = {
      hash,
      raw,
      nonce,
      from,
      items: items.map((i) => ({ kind: i.kind, id: i.id, milestone: i.milestone })),
      gasLimit: gasLimit.toString(),
      txs: [signedTx(hash, raw, quote.fees)],
      waitingSince: { at: Date.now(), block: head },
      recordedAt: Date.now(),
    };
    this.store.save();
    this.hooks.afterRecord?.();
    for (const i of items)
      this.log.info({
        agreement: i.id,
        milestone: i.milestone,
        action: i.kind === "post" ? "posting" : "settling",
        txHash: hash,
        nonce,
        maxFeePerGasGwei: formatGwei(quote.fees.maxFeePerGas),
        maxPriorityFeePerGasGwei: formatGwei(quote.fees.maxPriorityFeePerGas),
        baseFeeGwei: formatGwei(quote.baseFee),
      });
    await this.broadcast(raw, hash);
    this.hooks.afterBroadcast?.();
    await this.resolvePending();
  }

  /**
   * Broadcasts recorded bytes. "Already known" and "nonce used" are not errors (resolvePending finds out what
   * happened); a node refusing the fees for now (under its floor or the next base fee) neither: the transaction
   * stays recorded and is rebroadcast and replaced by the rules.
   */
  private async broadcast(raw: string, hash: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/already known|known transaction|nonce too low|nonce has already been used|already imported/i.test(msg))
        return;
      if (
        /underpriced|fee too low|too low for the next block|less than (the )?block base fee|fee cap less/i.test(msg)
      ) {
        if (!this.refusedBroadcasts.has(hash)) {
          this.refusedBroadcasts.add(hash);
          this.log.warn({ action: "broadcast-refused", txHash: hash, reason: msg.split("\n")[0].slice(0, 300) });
        }
        return;
      }
      throw err;
    }
  }

  /**
   * Follows the recorded nonce until it is done: looks at the chain at every new block (and every pollMs),
   * counts whichever recorded transaction is mined once it has `confirmations` blocks, puts it back to waiting when
   * its block goes away, rebroadcasts the newest if the node lost it, replaces it when it waited too long, and
   * drops the record when another transaction took the nonce (the chain's state then decides). Returns when done,
   * dropped or stopped, or after `waitMs` with the nonce still in flight (recorded; with failAfterWait it throws).
   */
  async resolvePending(): Promise<void> {
    const p = this.store.state.pendingTx;
    if (!p) return;
    const until = Date.now() + this.opts.waitMs;
    let seenHead: string | undefined;
    let poolCheckedAt = 0;
    this.confirmationsSeen = -1;
    while (!this.stop.stopped) {
      const head = await this.provider.getBlock("latest");
      if (!head || head.hash === null) throw new Error("the RPC returned no latest block");
      const txs = this.txsOf(p, head.number);
      const moved = head.hash !== seenHead;
      seenHead = head.hash;
      if (moved) {
        let receipt = await this.findReceipt(txs);
        if (!receipt) {
          if (p.mined) this.reorgedOut(p, head.number);
          const used = await this.provider.getTransactionCount(p.from, "latest");
          if (used > p.nonce) {
            // The nonce is used: by one of ours mined since we looked, or by a transaction we never signed.
            receipt = await this.findReceipt(txs);
            if (!receipt) {
              this.log.warn({
                action: "pending-dropped",
                txHash: p.hash,
                nonce: p.nonce,
                reason: "another transaction took the nonce; the chain's state decides the next round",
              });
              this.store.state.pendingTx = undefined;
              this.store.save();
              return;
            }
          }
        }
        if (receipt && this.onMined(p, receipt, head.number)) return;
      }
      if (!p.mined) {
        if (moved || Date.now() - poolCheckedAt >= POOL_CHECK_MS) {
          poolCheckedAt = Date.now();
          if (!(await this.provider.getTransaction(p.hash))) {
            this.log.info({ action: "rebroadcast", txHash: p.hash, nonce: p.nonce });
            await this.broadcast(p.raw, p.hash);
          }
        }
        if (this.bumpDue(p, head.number)) await this.bump(p, txs, head.number);
      }
      if (Date.now() > until) {
        if (this.opts.failAfterWait)
          throw new Error(
            `transaction ${p.hash} (nonce ${p.nonce}) not done after ${Math.round(this.opts.waitMs / 1000)} s; it stays recorded`,
          );
        return; // still in flight: the round goes on, and sending waits for this nonce
      }
      await sleep(this.opts.pollMs, this.stop);
    }
  }

  /** The recorded transactions of `p`, oldest first (a record from an older daemon has only hash and raw). */
  private txsOf(p: PendingTx, head: number): SignedTx[] {
    if (!p.txs || p.txs.length === 0) {
      const t = Transaction.from(p.raw);
      const fees = {
        maxFeePerGas: t.maxFeePerGas ?? t.gasPrice ?? 0n,
        maxPriorityFeePerGas: t.maxPriorityFeePerGas ?? t.gasPrice ?? 0n,
      };
      p.txs = [signedTx(p.hash, p.raw, fees)];
      p.gasLimit ??= t.gasLimit.toString();
    }
    p.waitingSince ??= { at: Date.now(), block: head };
    return p.txs;
  }

  /**
   * The receipt of whichever recorded transaction is mined (newest first), if its block is still the chain's
   * block at that height.
   */
  private async findReceipt(txs: readonly SignedTx[]): Promise<TransactionReceipt | undefined> {
    for (let i = txs.length - 1; i >= 0; i--) {
      const r = await this.provider.getTransactionReceipt(txs[i].hash);
      if (!r) continue;
      const block = await this.provider.getBlock(r.blockNumber);
      if (block && block.hash === r.blockHash) return r;
    }
    return undefined;
  }

  /** A receipt found: done once it has its confirmations (true), else recorded as mined and waiting (false). */
  private onMined(p: PendingTx, r: TransactionReceipt, head: number): boolean {
    const needed = this.opts.confirmations;
    if (!p.mined || p.mined.hash !== r.hash || p.mined.blockHash !== r.blockHash) {
      if (p.mined)
        this.log.warn({
          action: "reorged",
          txHash: r.hash,
          nonce: p.nonce,
          fromBlock: p.mined.block,
          block: r.blockNumber,
          reason: "the block that held it was replaced; it is now in another block",
        });
      p.mined = { hash: r.hash, block: r.blockNumber, blockHash: r.blockHash };
      this.store.save();
      if (needed > 1)
        this.log.info({ action: "mined", txHash: r.hash, nonce: p.nonce, block: r.blockNumber, confirmations: needed });
    }
    const have = head - r.blockNumber + 1;
    if (have < needed) {
      if (have !== this.confirmationsSeen) {
        this.confirmationsSeen = have;
        this.log.debug({ action: "confirming", txHash: r.hash, block: r.blockNumber, have, confirmations: needed });
      }
      return false;
    }
    const ok = r.status === 1;
    const perItem = r.gasUsed / BigInt(Math.max(1, p.items.length));
    for (const i of p.items) {
      const rec = this.store.milestone(i.id, i.milestone);
      if (ok && i.kind === "post") rec.postedTx = r.hash;
      if (ok && i.kind === "settle") rec.settledTx = r.hash;
      this.log.log(ok ? "info" : "error", {
        agreement: i.id,
        milestone: i.milestone,
        action: ok ? (i.kind === "post" ? "posted" : "settled") : `${i.kind}-reverted`,
        txHash: r.hash,
        block: r.blockNumber,
        gasPerCall: perItem.toString(),
        batch: p.items.length,
        nonce: p.nonce,
        replacements: (p.txs?.length ?? 1) - 1,
        confirmations: have,
      });
    }
    this.store.state.pendingTx = undefined;
    this.store.save();
    return true;
  }

  /**
   * The block that held our transaction is gone, before it had its confirmations. What is safe depends on the
   * nonce, which resolvePending reads next: while it is still free, the recorded transactions stay the only candidates for it and the newest is
   * rebroadcast as is. Signing a new transaction at another nonce instead could get both mined (the old bytes
   * stay in other nodes' pools): a reverted second posting, and for a batch the loss of its other calls; one
   * nonce cannot be used twice, so the same bytes can post at most once. When the nonce went to a transaction we
   * never signed, the record is dropped and the next round reads the milestones again and posts anew (a NEW
   * transaction, at a new nonce), which the escrow accepts only while the milestone is Pending. The replacement
   * clock restarts: fees are raised again if it is not mined soon.
   */
  private reorgedOut(p: PendingTx, head: number): void {
    this.log.warn({
      action: "reorged",
      txHash: p.mined!.hash,
      nonce: p.nonce,
      fromBlock: p.mined!.block,
      reason: "the block that held it is gone; waiting for it again",
    });
    p.mined = undefined;
    p.waitingSince = { at: Date.now(), block: head };
    this.confirmationsSeen = -1;
    this.store.save();
  }

  private bumpDue(p: PendingTx, head: number): boolean {
    if (p.mined || this.capped === `${p.hash}@${this.opts.maxFeePerGas}`) return false;
    const since = p.waitingSince!;
    return (
      head - since.block >= this.opts.bumpAfterBlocks || Date.now() - since.at >= this.opts.bumpAfterSeconds * 1000
    );
  }

  /** Replaces the newest transaction at the same nonce with both fees raised (recorded, then broadcast). */
  private async bump(p: PendingTx, txs: SignedTx[], head: number): Promise<void> {
    const last = txs[txs.length - 1];
    const prev: Fees = {
      maxFeePerGas: BigInt(last.maxFeePerGas),
      maxPriorityFeePerGas: BigInt(last.maxPriorityFeePerGas),
    };
    const quote = await this.quote();
    const next = replacementFees(prev, quote.fees, this.opts.maxFeePerGas);
    if (!next) {
      await this.atCap(p, prev, quote.baseFee);
      return;
    }
    const unsigned = Transaction.from(last.raw);
    const gasLimit = BigInt(p.gasLimit ?? unsigned.gasLimit);
    const what = p.items.map((i) => `agreement ${i.id} milestone ${i.milestone} (${i.kind})`).join(", ");
    if (!(await this.canPay(gasLimit, next.maxFeePerGas, p.items.length, `the replacement for ${what}`))) {
      p.waitingSince = { at: Date.now(), block: head }; // try again one replacement period later
      this.store.save();
      return;
    }
    const raw = await this.sender.signTransaction({
      type: 2,
      chainId: this.c.chainId,
      nonce: p.nonce,
      to: unsigned.to,
      data: unsigned.data,
      value: unsigned.value,
      gasLimit,
      maxFeePerGas: next.maxFeePerGas,
      maxPriorityFeePerGas: next.maxPriorityFeePerGas,
    });
    const hash = keccak256(raw);
    txs.push(signedTx(hash, raw, next));
    p.hash = hash;
    p.raw = raw;
    p.waitingSince = { at: Date.now(), block: head };
    this.store.save();
    this.hooks.afterRecord?.();
    this.log.info({
      action: "replacing",
      txHash: hash,
      replaces: last.hash,
      nonce: p.nonce,
      replacement: txs.length - 1,
      maxFeePerGasGwei: formatGwei(next.maxFeePerGas),
      maxPriorityFeePerGasGwei: formatGwei(next.maxPriorityFeePerGas),
      baseFeeGwei: formatGwei(quote.baseFee),
    });
    await this.broadcast(raw, hash);
  }

  /**
   * No replacement fits under the cap: one error line with the cap, the base fee and the deadlines, and no further
   * replacement in this process (a restart with a higher --max-fee-gwei replaces it again).
   */
  private async atCap(p: PendingTx, prev: Fees, baseFee: bigint): Promise<void> {
    const deadlines: { agreement: string; milestone: number; attestBy: string }[] = [];
    const terms = new Map<string, Awaited<ReturnType<typeof readTerms>>>();
    for (const i of p.items) {
      if (i.kind !== "post") continue;
      let t = terms.get(i.id);
      if (!t) terms.set(i.id, (t = await readTerms(this.c.escrow, BigInt(i.id))));
      deadlines.push({
        agreement: i.id,
        milestone: i.milestone,
        attestBy: formatTime(attestWindow(t, i.milestone).until),
      });
    }
    const cap = formatGwei(this.opts.maxFeePerGas);
    const due = deadlines.map((d) => `agreement ${d.agreement} milestone ${d.milestone} by ${d.attestBy}`).join(", ");
    this.capped = `${p.hash}@${this.opts.maxFeePerGas}`;
    this.log.error({
      action: "fee-cap",
      txHash: p.hash,
      nonce: p.nonce,
      maxFeeGwei: cap,
      maxFeeFrom: this.opts.maxFeeSource,
      baseFeeGwei: formatGwei(baseFee),
      maxFeePerGasGwei: formatGwei(prev.maxFeePerGas),
      deadlines,
      message:
        `transaction ${p.hash} (nonce ${p.nonce}) is at the fee cap of ${cap} gwei (${this.opts.maxFeeSource}) with ` +
        `the base fee at ${formatGwei(baseFee)} gwei: no further replacement; it waits for the base fee to fall. ` +
        (due === ""
          ? "Raise the cap and restart the daemon to replace it."
          : `Attestation deadline (dueAt + attestGrace): ${due}; after it the milestone settles with the silent cut. ` +
            `Raise the cap and restart the daemon to replace it.`),
    });
  }

  /** What a transaction costs now: the base fee (of the pending block, else the latest), the tip, and the fees. */
  private async quote(): Promise<{ baseFee: bigint; tip: bigint; fees: Fees & { capped: boolean } }> {
    const send = this.rawSend();
    let baseFee: bigint | undefined;
    if (send) {
      try {
        const b = (await send("eth_getBlockByNumber", ["pending", false])) as { baseFeePerGas?: string } | null;
        if (b?.baseFeePerGas) baseFee = BigInt(b.baseFeePerGas);
      } catch {
        // some RPCs serve no pending block: the latest one below
      }
    }
    if (baseFee === undefined) {
      const latest = await this.provider.getBlock("latest");
      if (latest?.baseFeePerGas === null || latest?.baseFeePerGas === undefined)
        throw new UserError(
          `--network: the chain's blocks carry no EIP-1559 base fee; the daemon sends EIP-1559 transactions only`,
        );
      baseFee = latest.baseFeePerGas;
    }
    let tip: bigint;
    try {
      if (send) tip = BigInt((await send("eth_maxPriorityFeePerGas", [])) as string);
      else tip = (await this.provider.getFeeData()).maxPriorityFeePerGas ?? DEFAULT_TIP_WEI;
    } catch {
      tip = DEFAULT_TIP_WEI; // the RPC does not know the method
    }
    return { baseFee, tip, fees: initialFees(baseFee, tip, this.opts.maxFeePerGas) };
  }

  private rawSend(): RawSend | undefined {
    const p = this.provider as unknown as { send?: RawSend };
    return typeof p.send === "function" ? (m, a) => p.send!(m, a) : undefined;
  }

  /**
   * Reads the relayer's balance; refuses (an error line naming the relayer and the shortfall) when it cannot pay
   * gasLimit x maxFeePerGas, warns when it covers fewer than minPostings postings.
   */
  private async canPay(gasLimit: bigint, maxFeePerGas: bigint, calls: number, what: string): Promise<boolean> {
    const relayer = this.sender.address;
    const balance = await this.provider.getBalance(relayer);
    const needed = gasLimit * maxFeePerGas;
    const covered = postingsCovered(balance, gasLimit, maxFeePerGas, calls);
    this.status = { relayer, balanceWei: balance, postingsCovered: covered, checkedAt: Date.now() };
    if (balance < needed) {
      this.unpaid++;
      const short = needed - balance;
      this.log.error({
        action: "relayer-insufficient-funds",
        relayer,
        balanceEth: formatEth(balance),
        neededEth: formatEth(needed),
        shortfallEth: formatEth(short),
        shortfallWei: short.toString(),
        gas: gasLimit.toString(),
        maxFeePerGasGwei: formatGwei(maxFeePerGas),
        message:
          `the relayer ${relayer} cannot pay for ${what}: it holds ${formatEth(balance)} ETH, the transaction may ` +
          `cost ${formatEth(needed)} ETH (gas ${gasLimit} x maxFeePerGas ${formatGwei(maxFeePerGas)} gwei); send it ` +
          `at least ${formatEth(short)} ETH. Nothing was signed or sent.`,
      });
      return false;
    }
    if (this.opts.minPostings > 0 && covered < this.opts.minPostings) {
      this.log.warn({
        action: "relayer-low-balance",
        relayer,
        balanceEth: formatEth(balance),
        postingsCovered: covered,
        minPostings: this.opts.minPostings,
        message:
          `the relayer ${relayer} holds ${formatEth(balance)} ETH: ${covered} posting(s) at the current fees ` +
          `(maxFeePerGas ${formatGwei(maxFeePerGas)} gwei), fewer than --min-postings ${this.opts.minPostings}; fund it`,
      });
    }
    return true;
  }
}

function signedTx(hash: string, raw: string, fees: Fees): SignedTx {
  return {
    hash,
    raw,
    maxFeePerGas: fees.maxFeePerGas.toString(),
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
    recordedAt: Date.now(),
  };
}
