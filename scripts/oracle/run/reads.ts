/**
 * The daemon's batched reads: many of the escrow's views in one `eth_call` of the escrow's own `multicall`
 * (OpenZeppelin Multicall delegatecalls the escrow itself, so a static call of it returns every view's result),
 * in chunks of {@link VIEW_CHUNK} calls, so that a round over 1,000 agreements costs a handful of requests
 * instead of several per milestone:
 *  - `agreementStatus` and `milestoneInfo` of every milestone that may need something this round;
 *  - `getTerms` of followed agreements whose terms are neither cached nor in a discovered event;
 *  - `attestationDigest`: the check that our digest is the escrow's, made before every signature, batched by
 *    {@link DigestChecks}.
 * A chunk that reverts (a view reverting, e.g. for an agreement that is gone) is read again call by call, so that
 * the error is the one a single read gives.
 */
import type { Interface, Result } from "ethers";
import type { SLAEscrow } from "../../../typechain-types";
import type { Attestation } from "../../lib/attestation";
import {
  type AgreementStatus,
  type AgreementTerms,
  type MilestoneState,
  type MilestoneStatus,
  type RawTerms,
  readTerms,
  toTerms,
} from "../../lib/model";
import { type DigestCheck, digestMismatch } from "../signing";

/** Views per eth_call: 200 `milestoneInfo` use about 1.5M gas, 200 `getTerms` of 12 milestones about 10M. */
export const VIEW_CHUNK = 200;

export type ViewName = "agreementStatus" | "milestoneInfo" | "getTerms" | "attestationDigest";

export interface ViewCall {
  fn: ViewName;
  args: readonly unknown[];
}

/** The results of `calls`, in their order, read `chunk` calls per eth_call. */
export async function readViews(escrow: SLAEscrow, calls: readonly ViewCall[], chunk = VIEW_CHUNK): Promise<Result[]> {
  const iface = escrow.interface as Interface; // the generic signatures: `fn` is one of several names
  const out: Result[] = [];
  for (let i = 0; i < calls.length; i += chunk) {
    const part = calls.slice(i, i + chunk);
    const data = part.map((c) => iface.encodeFunctionData(c.fn, c.args as unknown[]));
    let results: string[];
    try {
      results = await escrow.multicall.staticCall(data);
    } catch (err) {
      if (!isRevert(err)) throw err;
      // One of them reverts: read them one by one, so that the one that fails throws its own error.
      results = [];
      for (const d of data) results.push(...(await escrow.multicall.staticCall([d])));
    }
    part.forEach((c, k) => out.push(iface.decodeFunctionResult(c.fn, results[k])));
  }
  return out;
}

function isRevert(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "CALL_EXCEPTION";
}

/** What the chain says about the agreements and milestones of a round. */
export interface ChainView {
  /** By agreement id. */
  status: Map<string, AgreementStatus>;
  /** By `id:milestone`. */
  milestones: Map<string, MilestoneState>;
}

/** `agreementStatus` of `ids` and `milestoneInfo` of `milestones`, batched. */
export async function readStates(
  escrow: SLAEscrow,
  ids: readonly string[],
  milestones: readonly { id: string; milestone: number }[],
  chunk = VIEW_CHUNK,
): Promise<ChainView> {
  const results = await readViews(
    escrow,
    [
      ...ids.map((id) => ({ fn: "agreementStatus" as const, args: [BigInt(id)] })),
      ...milestones.map((m) => ({ fn: "milestoneInfo" as const, args: [BigInt(m.id), m.milestone] })),
    ],
    chunk,
  );
  const view: ChainView = { status: new Map(), milestones: new Map() };
  ids.forEach((id, i) => view.status.set(id, Number(results[i][0]) as AgreementStatus));
  milestones.forEach((m, i) => {
    const [status, cutBps, attestedAt, disputedAt] = results[ids.length + i];
    view.milestones.set(`${m.id}:${m.milestone}`, {
      status: Number(status) as MilestoneStatus,
      cutBps: Number(cutBps),
      attestedAt: Number(attestedAt),
      disputedAt: Number(disputedAt),
    });
  });
  return view;
}

/**
 * The terms of `ids` (`getTerms`), batched. An agreement that does not exist fails as `readTerms` fails (a
 * UserError naming it).
 */
export async function readTermsBatch(
  escrow: SLAEscrow,
  ids: readonly string[],
  chunk = VIEW_CHUNK,
): Promise<AgreementTerms[]> {
  let results: Result[];
  try {
    results = await readViews(
      escrow,
      ids.map((id) => ({ fn: "getTerms" as const, args: [BigInt(id)] })),
      chunk,
    );
  } catch (err) {
    if (!isRevert(err)) throw err;
    const out: AgreementTerms[] = [];
    for (const id of ids) out.push(await readTerms(escrow, BigInt(id)));
    return out;
  }
  return ids.map((id, i) => toTerms(BigInt(id), results[i][0] as unknown as RawTerms));
}

/** Thrown by {@link DigestChecks.check} while deferring: the check is queued; sign after {@link DigestChecks.flush}. */
export class DigestQueued extends Error {
  constructor(readonly digest: string) {
    super(`digest ${digest} queued for the batched check against the escrow`);
  }
}

/**
 * The check that our digest equals the escrow's `attestationDigest` (the same check as `signChecked`'s default,
 * one eth_call per signature), batched: while `deferring`, a digest not yet checked is queued and
 * {@link DigestQueued} thrown (before anything is recorded or signed); `flush()` checks every queued digest in
 * chunks of one eth_call, after which the same attestation checks (and signs) without a request. A digest the
 * escrow computes otherwise throws the mismatch every time it is checked.
 */
export class DigestChecks {
  deferring = false;
  private readonly verified = new Set<string>();
  private readonly mismatched = new Map<string, string>();
  private readonly queued = new Map<string, Attestation>();

  constructor(
    private readonly escrow: SLAEscrow,
    private readonly chunk = VIEW_CHUNK,
  ) {}

  readonly check: DigestCheck = async (att, digest) => {
    // The attestation is part of the key: a check vouches for this attestation's digest, not for any that hashes
    // the same locally (a local hasher that ignored a field would be caught for every attestation).
    const key = `${digest.toLowerCase()}:${att.agreementId}:${att.milestone}:${att.values.join(",")}:${att.evidence.toLowerCase()}`;
    if (this.verified.has(key)) return;
    const onChain = this.mismatched.get(key);
    if (onChain !== undefined) throw digestMismatch(digest, onChain);
    this.queued.set(key, att);
    if (this.deferring) throw new DigestQueued(digest);
    await this.flush();
    return this.check(att, digest);
  };

  /** The number of digests waiting for {@link flush}. */
  get pending(): number {
    return this.queued.size;
  }

  /** Checks every queued digest against the escrow, `chunk` per eth_call. */
  async flush(): Promise<void> {
    const entries = [...this.queued];
    if (entries.length === 0) return;
    const results = await readViews(
      this.escrow,
      entries.map(([, a]) => ({
        fn: "attestationDigest" as const,
        args: [a.agreementId, a.milestone, a.values, a.evidence],
      })),
      this.chunk,
    );
    if (this.verified.size > 100_000) this.verified.clear();
    entries.forEach(([key], i) => {
      this.queued.delete(key);
      const onChain = String(results[i][0]).toLowerCase();
      if (onChain === key.slice(0, 66)) this.verified.add(key);
      else this.mismatched.set(key, onChain);
    });
  }
}
