/**
 * The daemon's state folder: `state.json` (what it scanned, the agreements it follows, per-milestone notes and
 * the one nonce in flight with every transaction signed for it) written atomically, and a lock file that keeps two daemons off one folder (a
 * dead owner's lock is taken over). The signing record (sign-record.ts) and the reports live beside it.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import { UserError } from "../../lib/errors";
import { writeFileAtomic } from "../report";

/** One transaction signed for a nonce (the first or a replacement), recorded before it was broadcast. */
export interface SignedTx {
  hash: string;
  raw: string;
  /** Wei, in decimal. */
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  /** When it was recorded (unix ms). */
  recordedAt: number;
}

/**
 * The one nonce in flight: every transaction signed for it, each recorded before it was broadcast. Only these exact
 * bytes are ever sent again; whichever of them is mined counts (one nonce: at most one of them can be).
 */
export interface PendingTx {
  /** The newest transaction of the nonce: the one broadcast and rebroadcast. */
  hash: string;
  raw: string;
  nonce: number;
  from: string;
  items: { kind: "post" | "settle"; id: string; milestone: number }[];
  gasLimit?: string;
  /** Every transaction signed for the nonce, oldest first (the last is `hash`). Absent in older state files. */
  txs?: SignedTx[];
  /** The replacement clock: since when (unix ms, latest block) the newest has waited (a replacement or reorg resets it). */
  waitingSince?: { at: number; block: number };
  /** The receipt found, while the transaction waits for its confirmations. */
  mined?: { hash: string; block: number; blockHash: string };
  /** When it was recorded (unix ms; absent in older state files). */
  recordedAt?: number;
}

export interface DaemonState {
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

export class StateStore {
  state!: DaemonState;
  private readonly statePath: string;
  private readonly lockPath: string;

  constructor(
    readonly dir: string,
    private readonly owner: { chainId: bigint; escrow: string; oracle: string; fromBlock: number },
  ) {
    this.statePath = path.join(dir, "state.json");
    this.lockPath = path.join(dir, "lock");
  }

  /** Takes the folder's lock (a dead owner's lock is taken over) and loads the state, or starts a new one. */
  open(): void {
    fs.mkdirSync(this.dir, { recursive: true });
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
        if (alive) throw new UserError(`--state: ${this.dir} is in use by process ${owner} (another oracle run)`);
        fs.rmSync(this.lockPath, { force: true });
      }
    }
    const fresh: DaemonState = {
      version: 1,
      chainId: this.owner.chainId.toString(),
      escrow: this.owner.escrow,
      oracle: this.owner.oracle,
      scannedTo: this.owner.fromBlock - 1,
      agreements: {},
      milestones: {},
    };
    if (fs.existsSync(this.statePath)) {
      const s = JSON.parse(fs.readFileSync(this.statePath, "utf8")) as DaemonState;
      if (
        s.chainId !== fresh.chainId ||
        getAddress(s.escrow) !== fresh.escrow ||
        getAddress(s.oracle) !== fresh.oracle
      ) {
        throw new UserError(
          `--state: ${this.dir} belongs to chain ${s.chainId}, escrow ${s.escrow}, oracle ${s.oracle}; use another --state folder`,
        );
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

  save(): void {
    writeFileAtomic(this.statePath, JSON.stringify(this.state, null, 2) + "\n");
  }

  /** The record of milestone `m` of agreement `id` (created empty). */
  milestone(id: string, m: number): DaemonState["milestones"][string] {
    return (this.state.milestones[`${id}:${m}`] ??= {});
  }
}
