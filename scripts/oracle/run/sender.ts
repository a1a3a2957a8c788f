/**
 * The daemon's durable sender: batches posts and settles into one `multicall`, simulates them first (dropping
 * what the escrow would reject), signs the transaction locally and records it in the state folder *before*
 * broadcasting it, and only ever rebroadcasts those same bytes: a process killed at any point, restarted, never
 * sends a second posting for a milestone.
 */
import { keccak256, type Provider, type Wallet } from "ethers";
import type { SLAEscrow } from "../../../typechain-types";
import { decodeEscrowError, formatEscrowError } from "../../lib/errors";
import type { Connection } from "../commands";
import type { DaemonHooks } from "../hooks";
import type { Logger } from "../log";
import type { StateStore } from "./state";

export type PostArgs = [bigint, number, number[], string, bigint, string[]];
export type Item =
  { kind: "post"; id: string; milestone: number; args: PostArgs } | { kind: "settle"; id: string; milestone: number };

export const sleep = (ms: number, signal?: { stopped: boolean; wake?: () => void }): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) {
      signal.wake = () => {
        clearTimeout(t);
        resolve();
      };
    }
  });

export class DurableSender {
  constructor(
    private readonly c: Connection,
    private readonly sender: Wallet,
    private readonly store: StateStore,
    private readonly log: Logger,
    private readonly hooks: DaemonHooks,
    private readonly stop: { stopped: boolean },
  ) {}

  /**
   * When the oldest transaction still in flight was recorded (unix ms; undefined when none), for the operator's
   * metrics. A transaction recorded by an older version without the time counts from when this process saw it.
   */
  pendingSince(): number | undefined {
    const p = this.store.state.pendingTx;
    if (!p) return undefined;
    if (p.recordedAt !== undefined) return p.recordedAt;
    if (this.seen?.hash !== p.hash) this.seen = { hash: p.hash, at: Date.now() };
    return this.seen.at;
  }
  private seen: { hash: string; at: number } | undefined;

  private get provider(): Provider {
    return this.c.provider;
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
    const populated = await this.sender.populateTransaction({ to: this.c.address, data });
    const raw = await this.sender.signTransaction(populated);
    const hash = keccak256(raw);
    this.store.state.pendingTx = {
      hash,
      raw,
      nonce: Number(populated.nonce),
      from: this.sender.address,
      items: items.map((i) => ({ kind: i.kind, id: i.id, milestone: i.milestone })),
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
      });
    await this.broadcast(raw);
    this.hooks.afterBroadcast?.();
    await this.resolvePending();
  }

  private async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // Already in the pool or already mined (nonce used): resolvePending finds out which.
      if (!/already known|known transaction|nonce too low|nonce has already been used|already imported/i.test(msg))
        throw err;
    }
  }

  /** Waits for the recorded transaction; rebroadcasts the same bytes if the node lost it. */
  async resolvePending(): Promise<void> {
    const p = this.store.state.pendingTx;
    if (!p) return;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const receipt = await this.provider.getTransactionReceipt(p.hash);
      if (receipt) {
        const ok = receipt.status === 1;
        const perItem = receipt.gasUsed / BigInt(Math.max(1, p.items.length));
        for (const i of p.items) {
          const rec = this.store.milestone(i.id, i.milestone);
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
        this.store.state.pendingTx = undefined;
        this.store.save();
        return;
      }
      const tx = await this.provider.getTransaction(p.hash);
      if (!tx) {
        const used = await this.provider.getTransactionCount(p.from, "latest");
        if (used > p.nonce) {
          // The nonce went to another transaction: ours can never be mined. The chain's state decides next round.
          this.log.warn({ action: "pending-dropped", txHash: p.hash, nonce: p.nonce });
          this.store.state.pendingTx = undefined;
          this.store.save();
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
