/**
 * Helpers of test/invariant.test.ts: the operation records that fast-check generates (each with a readable
 * toString, so a shrunk counterexample reads like a script), and a Runner that applies them to the in-process
 * Hardhat network while mirroring the escrow in TypeScript and checking the accounting after every step.
 *
 * Time is driven by the runner: every transaction is mined at an explicit timestamp (`clock`), so a sequence
 * replays identically from a seed. Transactions are sent with eth_sendTransaction and a fixed gas limit (no gas
 * estimation): a reverting operation is mined as a failed transaction and recorded by its custom error.
 */
import { ethers } from "hardhat";
import fc from "fast-check";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Interface, LogDescription } from "ethers";
import { type Attestation, packSignatures, signAttestation } from "../../scripts/lib/attestation";
import { type MetricLike, cutBps as tsCutBps, split as tsSplit } from "../../scripts/lib/penalty";
import { type Context, DAY, ETH, METRICS } from "./fixture";

/** The fixture's reference metrics (every agreement here uses them) as plain numbers for penalty.ts. */
const REFERENCE_METRICS: MetricLike[] = METRICS.map((m) => ({
  higherIsBetter: m.higherIsBetter,
  tiers: m.tiers.map((t) => ({ threshold: Number(t.threshold), cutBps: Number(t.cutBps) })),
}));

/* ------------------------------------------------------------------------------------------------------------
 *                                             OPERATION RECORDS
 * ---------------------------------------------------------------------------------------------------------- */

export type Role = "client" | "vendor" | "arbitrator" | "stranger";
export type TokenKind = "ETH" | "TOKEN";
/** A time relative to a milestone: its due time, the end of its attestation grace, the end of its dispute window
 * (when attested) or of its arbitration timeout (when disputed); plus `delta` (-1, 0 or +1) seconds. */
export type WarpTarget = "due" | "graceEnd" | "disputeEnd" | "timeoutEnd";
export interface At {
  target: WarpTarget;
  delta: number;
}

/**
 * Which agreement (and milestone) an operation acts on. `smart`: the `pick`-th of those the model says the
 * operation applies to (e.g. an attested milestone for dispute), so that sequences reach deep states; otherwise
 * agreement `pick % count` and milestone `(pick >> 3) % its milestones`, whatever their state.
 */
export interface Ref {
  pick: number;
  smart: boolean;
}

export interface CreateOp {
  kind: "create";
  /** Index in the party pool; the vendor is pool[(client + vendorOffset) % 4]. */
  client: number;
  vendorOffset: number;
  token: TokenKind;
  amounts: bigint[];
  /** Seconds from creation to the first due time, then between due times. */
  gaps: number[];
  arbitrator: boolean;
  silentCutBps: number;
  disputeWindow: number;
  attestGrace: number;
  arbitrationTimeout: number;
  /** Which of the three fixture oracles the terms name (bit i = oracle i), 1..7. */
  oracleMask: number;
  threshold: number;
  /** the vendor accepts right after creation */
  accept: boolean;
}

/** A follow-up on the same milestone, run as a step of its own right after the operation succeeded. */
export type Then =
  { then: "dispute"; by: Role } | { then: "resolve"; cutBps: number } | { then: "settle"; at: At | null };

function describeThen(t: Then | null): string {
  if (t === null) return "";
  if (t.then === "dispute") return `, then dispute by ${t.by}`;
  if (t.then === "resolve") return `, then resolve with cut ${t.cutBps}`;
  return `, then settle${describeAt(t.at).replace(", at=", " at ")}`;
}

export type Op =
  | CreateOp
  | { kind: "accept"; ref: Ref; by: Role }
  | { kind: "cancel"; ref: Ref; by: Role }
  /** both: when accepted, the other party asks to terminate too (the next second) */
  | { kind: "terminate"; ref: Ref; by: Role; both: boolean }
  | {
      kind: "attest";
      ref: Ref;
      /** first move time to this point of the milestone (if it lies ahead) */
      at: At | null;
      values: [number, number];
      /** Which of the agreement's oracles sign (bit i = its oracle i; bits past its count are dropped). */
      signers: number;
      /** The last signature is of another milestone's attestation (must be rejected). */
      forge: boolean;
      /** what follows at once when the attestation is accepted: a dispute, or a settle */
      then: Then | null;
    }
  /** then: what follows at once when the dispute is accepted: the arbitrator's ruling, or a settle */
  | { kind: "dispute"; ref: Ref; at: At | null; by: Role; then: Then | null }
  | { kind: "resolve"; ref: Ref; at: At | null; cutBps: number; by: Role }
  | { kind: "settle"; ref: Ref; at: At | null }
  /** party: 0..3 the pool, 4 the arbitrator; smart: the `party`-th non-zero model balance instead. */
  | { kind: "withdraw"; party: number; smart: boolean; token: TokenKind; to: "self" | "other" | "zero" }
  | { kind: "jump"; seconds: number }
  | { kind: "warp"; ref: Ref; at: At }
  | { kind: "forceSend"; wei: bigint };

function describeRef(ref: Ref): string {
  return `${ref.smart ? "smart" : "any"}#${ref.pick}`;
}

function describeAt(at: At | null): string {
  return at === null ? "" : `, at=${at.target}${at.delta >= 0 ? "+" : ""}${at.delta}`;
}

export function describeOp(op: Op): string {
  switch (op.kind) {
    case "create":
      return (
        `create(client=${op.client}, vendor=+${op.vendorOffset}, ${op.token}, amounts=[${op.amounts.join(",")}], ` +
        `gaps=[${op.gaps.join(",")}], arbitrator=${op.arbitrator}, silentCut=${op.silentCutBps}, ` +
        `disputeWindow=${op.disputeWindow}, grace=${op.attestGrace}, timeout=${op.arbitrationTimeout}, ` +
        `oracles=0b${op.oracleMask.toString(2)}, threshold=${op.threshold}${op.accept ? ", accepted" : ""})`
      );
    case "accept":
    case "cancel":
      return `${op.kind}(${describeRef(op.ref)}, by=${op.by})`;
    case "terminate":
      return `terminate(${describeRef(op.ref)}, by=${op.by}${op.both ? ", then the other party" : ""})`;
    case "attest":
      return (
        `attest(${describeRef(op.ref)}${describeAt(op.at)}, values=[${op.values.join(",")}], ` +
        `signers=0b${op.signers.toString(2)}${op.forge ? ", forged" : ""}` +
        `${describeThen(op.then)})`
      );
    case "dispute":
      return `dispute(${describeRef(op.ref)}${describeAt(op.at)}, by=${op.by}` + `${describeThen(op.then)})`;
    case "resolve":
      return `resolve(${describeRef(op.ref)}${describeAt(op.at)}, cut=${op.cutBps}, by=${op.by})`;
    case "settle":
      return `settle(${describeRef(op.ref)}${describeAt(op.at)})`;
    case "withdraw":
      return `withdraw(${op.smart ? "smart" : "party"}#${op.party}, ${op.token}, to=${op.to})`;
    case "jump":
      return `jump(${op.seconds}s = ${(op.seconds / DAY).toFixed(2)}d)`;
    case "warp":
      return `warp(${describeRef(op.ref)}${describeAt(op.at)})`;
    case "forceSend":
      return `forceSend(${op.wei} wei)`;
  }
}

/** Gives a record a readable form in fast-check's reports (and in String(op)). */
function readable<T extends Op>(op: T): T {
  const text = describeOp(op);
  return Object.assign(op, { [fc.toStringMethod]: () => text, toString: () => text });
}

const MAX_U32 = 4_294_967_295;
const HOUR = 3600;

const refArb: fc.Arbitrary<Ref> = fc.record({
  pick: fc.nat({ max: 31 }),
  smart: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
});
function atArb(...targets: WarpTarget[]): fc.Arbitrary<At> {
  return fc.record({ target: fc.constantFrom(...targets), delta: fc.integer({ min: -1, max: 1 }) });
}
/** `at` is null (act at the current time) one time in `freq`. */
function maybeAt(freq: number, ...targets: WarpTarget[]): fc.Arbitrary<At | null> {
  return fc.option(atArb(...targets), { freq });
}
function roleArb(preferred: Role): fc.Arbitrary<Role> {
  return fc.oneof(
    { arbitrary: fc.constant(preferred), weight: 8 },
    { arbitrary: fc.constantFrom<Role>("client", "vendor", "arbitrator", "stranger"), weight: 2 },
  );
}
const partyArb = fc.oneof(
  { arbitrary: fc.constantFrom<Role>("client", "vendor"), weight: 9 },
  { arbitrary: fc.constant<Role>("stranger"), weight: 1 },
);
const cutArb = fc.oneof(fc.constantFrom(0, 1, 9999, 10_000, 10_001), fc.integer({ min: 0, max: 10_000 }));
const windowArb = fc.oneof(fc.constantFrom(0, 1, HOUR, DAY, 2 * DAY, 5 * DAY), fc.integer({ min: 0, max: 5 * DAY }));
const amountArb = fc.oneof(
  { arbitrary: fc.constantFrom(1n, 2n, 3n), weight: 3 },
  { arbitrary: fc.bigInt({ min: 1n, max: 20_001n }), weight: 2 },
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 15n }).map((x) => x * 2n + 1n), weight: 2 }, // odd
  { arbitrary: fc.bigInt({ min: 1n, max: 5n * 10n ** 18n }), weight: 2 },
);
/** Values around the reference tiers (availability: 999000/995000/990000, latency: 300/500/1000). */
const availabilityArb = fc.oneof(
  fc.constantFrom(1_000_000, 999_000, 998_999, 995_000, 994_999, 990_000, 989_999, 0, MAX_U32),
  fc.integer({ min: 980_000, max: 1_000_000 }),
  fc.integer({ min: 0, max: MAX_U32 }),
);
const latencyArb = fc.oneof(
  fc.constantFrom(0, 250, 300, 301, 500, 501, 1000, 1001, MAX_U32),
  fc.integer({ min: 0, max: 2000 }),
  fc.integer({ min: 0, max: MAX_U32 }),
);

export const createArb: fc.Arbitrary<Op> = fc
  .record({
    client: fc.nat({ max: 3 }),
    vendorOffset: fc.integer({ min: 1, max: 3 }),
    token: fc.constantFrom<TokenKind>("ETH", "TOKEN"),
    milestones: fc.array(
      fc.tuple(amountArb, fc.oneof(fc.integer({ min: HOUR, max: 12 * DAY }), fc.constantFrom(1, DAY, 7 * DAY))),
      { minLength: 1, maxLength: 4 },
    ),
    arbitrator: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    silentCutBps: fc.oneof(
      { arbitrary: fc.constantFrom(0, 5000, 10_000), weight: 10 },
      { arbitrary: fc.integer({ min: 0, max: 10_000 }), weight: 10 },
      { arbitrary: fc.constant(10_001), weight: 1 }, // rejected
    ),
    disputeWindow: windowArb,
    attestGrace: windowArb,
    arbitrationTimeout: windowArb,
    oracleMask: fc.oneof(
      { arbitrary: fc.constant(7), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 7 }), weight: 1 },
    ),
    threshold: fc.constantFrom(1, 2),
    accept: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  })
  .map(({ milestones, ...rest }) =>
    readable({ kind: "create", ...rest, amounts: milestones.map(([a]) => a), gaps: milestones.map(([, g]) => g) }),
  );

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: createArb, weight: 2 },
  {
    arbitrary: fc.record({ ref: refArb, by: roleArb("vendor") }).map((r) => readable({ kind: "accept", ...r })),
    weight: 3,
  },
  {
    arbitrary: fc.record({ ref: refArb, by: roleArb("client") }).map((r) => readable({ kind: "cancel", ...r })),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({ ref: refArb, by: partyArb, both: fc.boolean() })
      .map((r) => readable({ kind: "terminate", ...r })),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({
        ref: refArb,
        at: maybeAt(5, "due", "graceEnd"),
        values: fc.tuple(availabilityArb, latencyArb),
        signers: fc.oneof(
          { arbitrary: fc.constant(7), weight: 3 },
          { arbitrary: fc.integer({ min: 0, max: 7 }), weight: 4 },
        ),
        forge: fc.oneof({ arbitrary: fc.constant(false), weight: 15 }, { arbitrary: fc.constant(true), weight: 1 }),
        then: fc.oneof(
          { arbitrary: fc.constant(null), weight: 2 },
          { arbitrary: partyArb.map((by): Then => ({ then: "dispute", by })), weight: 2 },
          { arbitrary: maybeAt(4, "disputeEnd").map((at): Then => ({ then: "settle", at })), weight: 1 },
        ),
      })
      .map((r) => readable({ kind: "attest", ...r })),
    weight: 16,
  },
  {
    arbitrary: fc
      .record({
        ref: refArb,
        at: maybeAt(3, "disputeEnd"),
        by: partyArb,
        then: fc.oneof(
          { arbitrary: fc.constant(null), weight: 1 },
          { arbitrary: cutArb.map((cutBps): Then => ({ then: "resolve", cutBps })), weight: 1 },
          { arbitrary: maybeAt(4, "timeoutEnd").map((at): Then => ({ then: "settle", at })), weight: 1 },
        ),
      })
      .map((r) => readable({ kind: "dispute", ...r })),
    weight: 10,
  },
  {
    arbitrary: fc
      .record({
        ref: refArb,
        at: maybeAt(3, "timeoutEnd"),
        cutBps: cutArb,
        by: roleArb("arbitrator"),
      })
      .map((r) => readable({ kind: "resolve", ...r })),
    weight: 8,
  },
  {
    arbitrary: fc
      .record({ ref: refArb, at: maybeAt(3, "graceEnd", "disputeEnd", "timeoutEnd") })
      .map((r) => readable({ kind: "settle", ...r })),
    weight: 10,
  },
  {
    arbitrary: fc
      .record({
        party: fc.nat({ max: 7 }),
        smart: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
        token: fc.constantFrom<TokenKind>("ETH", "TOKEN"),
        to: fc.constantFrom<"self" | "other" | "zero">("self", "self", "self", "self", "other", "zero"),
      })
      .map((r) => readable({ kind: "withdraw", ...r, party: r.smart ? r.party : r.party % 5 })),
    weight: 7,
  },
  {
    arbitrary: fc
      .oneof(
        { arbitrary: fc.integer({ min: 0, max: 40 * DAY }), weight: 2 },
        { arbitrary: fc.integer({ min: 0, max: 2 * DAY }), weight: 4 },
        { arbitrary: fc.constantFrom(0, 1, DAY, 30 * DAY, 40 * DAY), weight: 1 },
      )
      .map((seconds) => readable({ kind: "jump", seconds })),
    weight: 4,
  },
  {
    arbitrary: fc
      .record({ ref: refArb, at: atArb("due", "graceEnd", "disputeEnd", "timeoutEnd") })
      .map((r) => readable({ kind: "warp", ...r })),
    weight: 4,
  },
  {
    arbitrary: fc
      .oneof(fc.constantFrom(1n, 7n), fc.bigInt({ min: 1n, max: 10n ** 18n }))
      .map((wei) => readable({ kind: "forceSend", wei })),
    weight: 1,
  },
);

/** 1..3 agreements created up front (so that most operations have something to act on), then up to 22 more
 * operations: sequences of up to 25. */
export const sequenceArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(createArb, { minLength: 1, maxLength: 3 }),
    fc.array(opArb, { minLength: 0, maxLength: 22, size: "max" }),
  )
  .map(([creates, ops]) => [...creates, ...ops]);

/* ------------------------------------------------------------------------------------------------------------
 *                                                  THE MODEL
 * ---------------------------------------------------------------------------------------------------------- */

const PENDING = 0;
const ATTESTED = 1;
const DISPUTED = 2;
const SETTLED = 3;
/** ISLAEscrow.Settlement */
const KIND = { Attested: 0n, Arbitrated: 1n, ArbitrationTimedOut: 2n, Silent: 3n } as const;

interface ModelMilestone {
  amount: bigint;
  dueAt: bigint;
  status: number;
  /** attested cut while Attested or Disputed, final cut once Settled */
  cut: number;
  attestedAt: bigint;
  disputedAt: bigint;
}

interface ModelAgreement {
  id: bigint;
  client: string;
  vendor: string;
  token: string;
  arbitrator: string; // ZeroAddress when none
  disputeWindow: bigint;
  attestGrace: bigint;
  arbitrationTimeout: bigint;
  silentCutBps: number;
  threshold: number;
  oracles: HardhatEthersSigner[];
  /** the stored status: Closed only by cancel (a fully settled agreement reads as Closed, see derivedStatus) */
  state: "proposed" | "active" | "cancelled";
  terminationBy: Set<string>;
  milestones: ModelMilestone[];
}

function derivedStatus(a: ModelAgreement): bigint {
  if (a.state === "cancelled" || a.milestones.every((m) => m.status === SETTLED)) return 3n;
  return a.state === "proposed" ? 1n : 2n;
}

export interface OpStats {
  ok: number;
  reverted: Map<string, number>;
}

export class Stats {
  readonly byKind = new Map<string, OpStats>();
  /** escrow events seen, MilestoneSettled by kind */
  readonly events = new Map<string, number>();
  sequences = 0;
  steps = 0;

  record(kind: string, outcome: string | null): void {
    let s = this.byKind.get(kind);
    if (!s) this.byKind.set(kind, (s = { ok: 0, reverted: new Map() }));
    this.steps++;
    if (outcome === null) s.ok++;
    else s.reverted.set(outcome, (s.reverted.get(outcome) ?? 0) + 1);
  }

  event(name: string): void {
    this.events.set(name, (this.events.get(name) ?? 0) + 1);
  }

  summary(): string {
    const lines: string[] = [];
    for (const [kind, s] of [...this.byKind.entries()].sort()) {
      const reverts = [...s.reverted.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([name, n]) => `${name} ${n}`)
        .join(", ");
      lines.push(`  ${kind.padEnd(10)} ok ${String(s.ok).padStart(5)}${reverts ? `  | ${reverts}` : ""}`);
    }
    const events = [...this.events.entries()].sort().map(([name, n]) => `${name} ${n}`);
    lines.push(`  events: ${events.join(", ")}`);
    return lines.join("\n");
  }

  okCount(kind: string): number {
    return this.byKind.get(kind)?.ok ?? 0;
  }
}

/** The accounts and contracts the runner uses. */
export interface Env {
  ctx: Context;
  /** Four accounts that act as clients and vendors (each may be either, in different agreements). */
  pool: HardhatEthersSigner[];
  forceSendBytecode: string;
}

interface RawLog {
  address: string;
  topics: string[];
  data: string;
}

interface RawReceipt {
  status: string;
  logs: RawLog[];
}

/** The custom error (or other revert) carried by a failed eth_sendTransaction, or null if it is no revert. */
function revertOf(iface: Interface, error: unknown): string | null {
  const seen = new Set<unknown>();
  const find = (e: unknown): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const rec = e as Record<string, unknown>;
    if (typeof rec.data === "string" && rec.data.startsWith("0x")) return rec.data;
    for (const key of ["error", "info", "cause", "data"]) {
      const found = find(rec[key]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const data = find(error);
  if (data !== undefined) {
    const parsed = data.length >= 10 ? iface.parseError(data) : null;
    return parsed ? parsed.name : `revert(${data.slice(0, 10)})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /revert/i.test(message) ? `revert(${message.slice(0, 60)})` : null;
}

/** An invariant or model violation: the message says which, after which operation. */
export class InvariantError extends Error {}

/**
 * Runs one sequence: applies operations, mirrors every event into the model (checking each event against the
 * penalty rule and the lifecycle), and checks the chain against the model after each step.
 */
export class Runner {
  private readonly agreements: ModelAgreement[] = [];
  private readonly balances = new Map<string, bigint>();
  private readonly settledSeen = new Map<string, string>();
  private forceSent = 0n;
  private clock: bigint;
  private readonly log: string[] = [];
  private readonly provider = ethers.provider;
  private readonly iface: Interface;
  private readonly accounts: string[];

  constructor(
    private readonly env: Env,
    private readonly stats: Stats,
    latestTimestamp: bigint,
  ) {
    this.clock = latestTimestamp + 1n;
    this.iface = env.ctx.escrow.interface;
    const { ctx } = env;
    this.accounts = [
      ...env.pool.map((p) => p.address),
      ctx.arbitrator.address,
      ctx.stranger.address,
      ctx.relayer.address,
    ];
  }

  private tokenAddress(kind: TokenKind): string {
    return kind === "ETH" ? ETH : this.env.ctx.tokenAddress;
  }

  private key(account: string, token: string): string {
    return `${account.toLowerCase()}|${token.toLowerCase()}`;
  }

  private balance(account: string, token: string): bigint {
    return this.balances.get(this.key(account, token)) ?? 0n;
  }

  private credit(account: string, token: string, amount: bigint): void {
    this.balances.set(this.key(account, token), this.balance(account, token) + amount);
  }

  /** What happened so far, one operation a line (with the agreement it acted on and the outcome). */
  transcript(): string {
    return this.log.join("\n");
  }

  private fail(message: string): never {
    throw new InvariantError(`${message}\n  after: ${this.log.join("\n         ")}`);
  }

  private expect(condition: boolean, message: string): void {
    if (!condition) this.fail(message);
  }

  /** The agreement an agreement-level operation acts on (see Ref), or undefined when there is none. */
  private agreementFor(ref: Ref, applies: (a: ModelAgreement) => boolean): ModelAgreement | undefined {
    const pool = ref.smart ? this.agreements.filter(applies) : this.agreements;
    const list = pool.length > 0 ? pool : this.agreements;
    return list.length === 0 ? undefined : list[ref.pick % list.length];
  }

  /** The milestone a milestone-level operation acts on (see Ref), or undefined when there is none. */
  private milestoneFor(
    ref: Ref,
    ...filters: ((a: ModelAgreement, m: ModelMilestone) => boolean)[]
  ): { a: ModelAgreement; i: number } | undefined {
    if (ref.smart) {
      // the first filter that some milestone passes (e.g. "attestable now", then "attestable some time")
      for (const applies of filters) {
        const candidates = this.agreements.flatMap((a) =>
          a.milestones.flatMap((m, i) => (applies(a, m) ? [{ a, i }] : [])),
        );
        if (candidates.length > 0) return candidates[ref.pick % candidates.length];
      }
    }
    if (this.agreements.length === 0) return undefined;
    const a = this.agreements[ref.pick % this.agreements.length];
    return { a, i: (ref.pick >> 3) % a.milestones.length };
  }

  /** Moves the clock forward to `at` of the milestone (no-op when that lies behind or does not apply). */
  private warp(a: ModelAgreement, m: ModelMilestone, at: At): boolean {
    let target: bigint | null = null;
    if (at.target === "due") target = m.dueAt;
    else if (at.target === "graceEnd") target = m.dueAt + a.attestGrace;
    else if (at.target === "disputeEnd" && m.attestedAt !== 0n) target = m.attestedAt + a.disputeWindow;
    else if (at.target === "timeoutEnd" && m.disputedAt !== 0n) target = m.disputedAt + a.arbitrationTimeout;
    if (target === null) return false;
    target += BigInt(at.delta);
    if (target <= this.clock) return false;
    this.clock = target;
    return true;
  }

  private signerFor(a: ModelAgreement | undefined, role: Role): HardhatEthersSigner {
    const { ctx } = this.env;
    const byAddress = (addr: string): HardhatEthersSigner =>
      this.env.pool.find((p) => p.address === addr) ?? ctx.stranger;
    switch (role) {
      case "client":
        return a ? byAddress(a.client) : ctx.client;
      case "vendor":
        return a ? byAddress(a.vendor) : ctx.vendor;
      case "arbitrator":
        return ctx.arbitrator;
      case "stranger":
        return ctx.stranger;
    }
  }

  /** Sends a transaction mined at `clock`; returns its escrow events, or the revert's name. */
  private async send(
    from: string,
    to: string | null,
    data: string,
    value = 0n,
  ): Promise<{ ts: bigint; events: LogDescription[] } | { ts: bigint; revert: string }> {
    const ts = this.clock;
    this.clock += 1n;
    await this.provider.send("evm_setNextBlockTimestamp", [ethers.toQuantity(ts)]);
    const tx: Record<string, string> = {
      from,
      data,
      gas: ethers.toQuantity(15_000_000),
      value: ethers.toQuantity(value),
    };
    if (to !== null) tx.to = to;
    let hash: string;
    try {
      hash = (await this.provider.send("eth_sendTransaction", [tx])) as string;
    } catch (error) {
      const revert = revertOf(this.iface, error);
      if (revert === null) throw error; // not a revert: a broken test, not a finding
      return { ts, revert };
    }
    const receipt = (await this.provider.send("eth_getTransactionReceipt", [hash])) as RawReceipt;
    if (receipt.status !== "0x1") return { ts, revert: "failed" };
    const escrow = this.env.ctx.escrowAddress.toLowerCase();
    const events = receipt.logs
      .filter((l) => l.address.toLowerCase() === escrow)
      .map((l) => this.iface.parseLog({ topics: l.topics, data: l.data }))
      .filter((e): e is LogDescription => e !== null);
    return { ts, events };
  }

  /** Applies one operation; the outcome must match what the rules predict (`expected` true = must succeed). */
  async step(op: Op, forced?: { a: ModelAgreement; i: number }): Promise<void> {
    this.log.push(`${forced ? "  then " : ""}${describeOp(op)}`);
    const { ctx } = this.env;
    const escrow = ctx.escrowAddress;
    const encode = (name: string, args: unknown[]): string => this.iface.encodeFunctionData(name, args);
    let from: string;
    let to: string | null = escrow;
    let data: string;
    let value = 0n;
    let expected: boolean;
    let context: { resolveCut?: number; pending?: ModelAgreement } = {};

    if (op.kind === "jump") {
      this.clock += BigInt(op.seconds);
      this.stats.record(op.kind, null);
      return;
    }
    if (op.kind === "warp") {
      const target = this.milestoneFor(op.ref, (_, m) => m.status !== SETTLED);
      const moved = target !== undefined && this.warp(target.a, target.a.milestones[target.i], op.at);
      this.stats.record(op.kind, moved ? null : "skip(past or n/a)");
      if (target)
        this.log[this.log.length - 1] +=
          ` [#${target.a.id}/m${target.i}]${moved ? ` -> clock ${this.clock}` : " -> no move"}`;
      return;
    }

    // Resolve the operation's target, and move time first if it asks to.
    let a: ModelAgreement | undefined;
    let mi = 0;
    if (op.kind === "accept" || op.kind === "cancel") {
      a = this.agreementFor(
        op.ref,
        (x) => derivedStatus(x) === 1n && (op.kind === "cancel" || this.clock < x.milestones[0].dueAt),
      );
    } else if (op.kind === "terminate") {
      a =
        forced?.a ??
        this.agreementFor(
          op.ref,
          (x) => derivedStatus(x) === 2n && !x.terminationBy.has(op.by === "client" ? x.client : x.vendor),
        );
    } else if (op.kind === "attest" || op.kind === "dispute" || op.kind === "resolve" || op.kind === "settle") {
      type Filter = (x: ModelAgreement, m: ModelMilestone) => boolean;
      const now = this.clock;
      const hasArbitrator = (x: ModelAgreement): boolean => x.arbitrator !== ethers.ZeroAddress;
      // Smart picks: first what the operation can do right now, else what it can do later (never what it can
      // never do again: those are left to the non-smart picks).
      const filters: Record<typeof op.kind, Filter[]> = {
        attest: [
          (x, m) => x.state === "active" && m.status === PENDING && m.dueAt <= now && now <= m.dueAt + x.attestGrace,
          (x, m) => x.state === "active" && m.status === PENDING && now <= m.dueAt + x.attestGrace,
        ],
        dispute: [(x, m) => hasArbitrator(x) && m.status === ATTESTED && now < m.attestedAt + x.disputeWindow],
        resolve: [(_, m) => m.status === DISPUTED],
        settle: [
          (x, m) =>
            (m.status === PENDING && now > m.dueAt + x.attestGrace) ||
            (m.status === ATTESTED && (!hasArbitrator(x) || now >= m.attestedAt + x.disputeWindow)) ||
            (m.status === DISPUTED && now >= m.disputedAt + x.arbitrationTimeout),
          (_, m) => m.status !== SETTLED,
        ],
      };
      const target = forced ?? this.milestoneFor(op.ref, ...filters[op.kind]);
      if (target) {
        a = target.a;
        mi = target.i;
        if (op.at !== null) this.warp(a, a.milestones[mi], op.at);
      }
    }
    if (a) this.log[this.log.length - 1] += ` [#${a.id}${"at" in op ? `/m${mi}` : ""}]`;

    const ts = this.clock; // the timestamp the transaction will be mined at

    switch (op.kind) {
      case "create": {
        const client = this.env.pool[op.client];
        const vendor = this.env.pool[(op.client + op.vendorOffset) % 4];
        const token = this.tokenAddress(op.token);
        const oracles = ctx.oracles.filter((_, i) => (op.oracleMask >> i) & 1);
        let due = ts;
        const milestones = op.amounts.map((amount, i) => ({ amount, dueAt: (due += BigInt(op.gaps[i])) }));
        const terms = {
          client: client.address,
          vendor: vendor.address,
          token,
          arbitrator: op.arbitrator ? ctx.arbitrator.address : ethers.ZeroAddress,
          disputeWindow: op.disputeWindow,
          attestGrace: op.attestGrace,
          arbitrationTimeout: op.arbitrationTimeout,
          silentCutBps: op.silentCutBps,
          threshold: op.threshold,
          startAt: ts,
          oracles: oracles.map((o) => o.address),
          metrics: METRICS,
          milestones,
        };
        const total = op.amounts.reduce((s, x) => s + x, 0n);
        from = client.address;
        data = encode("createAgreement", [terms]);
        value = token === ETH ? total : 0n;
        expected = op.silentCutBps <= 10_000 && op.threshold <= oracles.length;
        context = {
          pending: {
            id: 0n,
            client: client.address,
            vendor: vendor.address,
            token,
            arbitrator: terms.arbitrator,
            disputeWindow: BigInt(op.disputeWindow),
            attestGrace: BigInt(op.attestGrace),
            arbitrationTimeout: BigInt(op.arbitrationTimeout),
            silentCutBps: op.silentCutBps,
            threshold: op.threshold,
            oracles,
            state: "proposed",
            terminationBy: new Set(),
            milestones: milestones.map((m) => ({ ...m, status: PENDING, cut: 0, attestedAt: 0n, disputedAt: 0n })),
          },
        };
        break;
      }
      case "forceSend": {
        from = ctx.stranger.address;
        to = null;
        data = ethers.concat([
          this.env.forceSendBytecode,
          ethers.AbiCoder.defaultAbiCoder().encode(["address"], [escrow]),
        ]);
        value = op.wei;
        expected = true;
        break;
      }
      case "withdraw": {
        let party = op.party < 4 ? this.env.pool[op.party % 5] : ctx.arbitrator;
        let token = this.tokenAddress(op.token);
        if (op.smart) {
          // the `party`-th non-zero balance of the model, if any
          const owed = this.env.pool.flatMap((p) =>
            [ETH, ctx.tokenAddress].flatMap((t) => (this.balance(p.address, t) > 0n ? [{ p, t }] : [])),
          );
          if (owed.length > 0) ({ p: party, t: token } = owed[op.party % owed.length]);
        }
        this.log[this.log.length - 1] += ` [${this.env.pool.indexOf(party)}, ${token === ETH ? "ETH" : "TOKEN"}]`;
        const recipient =
          op.to === "self" ? party.address : op.to === "other" ? ctx.stranger.address : ethers.ZeroAddress;
        from = party.address;
        data = encode("withdraw", [token, recipient]);
        expected = this.balance(party.address, token) > 0n && op.to !== "zero";
        break;
      }
      default: {
        if (!a) {
          this.stats.record(op.kind, "skip(no agreement)");
          return;
        }
        const m = a.milestones[mi];
        const hasArbitrator = a.arbitrator !== ethers.ZeroAddress;
        switch (op.kind) {
          case "accept": {
            from = this.signerFor(a, op.by).address;
            data = encode("accept", [a.id]);
            // accept only before the first due time: every milestone keeps its whole attestation window
            expected = a.state === "proposed" && from === a.vendor && ts < a.milestones[0].dueAt;
            break;
          }
          case "cancel": {
            from = this.signerFor(a, op.by).address;
            data = encode("cancel", [a.id]);
            // a proposal whose milestones were all refunded by settle already reads as Closed
            expected = derivedStatus(a) === 1n && from === a.client;
            break;
          }
          case "terminate": {
            from = this.signerFor(a, op.by).address;
            data = encode("terminate", [a.id]);
            expected =
              derivedStatus(a) === 2n && (from === a.client || from === a.vendor) && !a.terminationBy.has(from);
            break;
          }
          case "attest": {
            const signerMask = op.signers & ((1 << a.oracles.length) - 1);
            const signers = a.oracles.filter((_, i) => (signerMask >> i) & 1);
            const attestation: Attestation = {
              agreementId: a.id,
              milestone: mi,
              values: op.values,
              evidence: ethers.id(`report ${a.id}/${mi}/${op.values.join(",")}`),
            };
            const forged: Attestation = { ...attestation, milestone: mi + 1 };
            const sigs = await Promise.all(
              signers.map(async (s, k) => ({
                signer: s.address,
                signature: await signAttestation(
                  s,
                  ctx.domain,
                  op.forge && k === signers.length - 1 ? forged : attestation,
                ),
              })),
            );
            const packed = packSignatures(
              a.oracles.map((o) => o.address),
              sigs,
            );
            from = ctx.relayer.address;
            data = encode("postAttestation", [
              a.id,
              mi,
              op.values,
              attestation.evidence,
              packed.signerMask,
              packed.signatures,
            ]);
            expected =
              a.state === "active" &&
              m.status === PENDING &&
              m.dueAt <= ts &&
              ts <= m.dueAt + a.attestGrace &&
              signers.length >= a.threshold &&
              !(op.forge && signers.length > 0);
            break;
          }
          case "dispute": {
            from = this.signerFor(a, op.by).address;
            data = encode("dispute", [a.id, mi]);
            expected =
              (from === a.client || from === a.vendor) &&
              hasArbitrator &&
              m.status === ATTESTED &&
              ts < m.attestedAt + a.disputeWindow;
            break;
          }
          case "resolve": {
            from = this.signerFor(a, op.by).address;
            data = encode("resolveDispute", [a.id, mi, op.cutBps]);
            expected = hasArbitrator && from === a.arbitrator && op.cutBps <= 10_000 && m.status === DISPUTED;
            context = { resolveCut: op.cutBps };
            break;
          }
          case "settle": {
            from = ctx.relayer.address;
            data = encode("settle", [a.id, mi]);
            expected =
              m.status === ATTESTED
                ? !hasArbitrator || ts >= m.attestedAt + a.disputeWindow
                : m.status === DISPUTED
                  ? ts >= m.disputedAt + a.arbitrationTimeout
                  : m.status === PENDING
                    ? ts > m.dueAt + a.attestGrace
                    : false;
            break;
          }
        }
      }
    }

    const result = await this.send(from, to, data, value);
    if ("revert" in result) {
      this.stats.record(op.kind, result.revert);
      this.log[this.log.length - 1] += `  -> reverted ${result.revert} @${result.ts}`;
      this.expect(
        !expected,
        `${describeOp(op)} reverted with ${result.revert} at ${result.ts}, but the rules allow it`,
      );
      return;
    }
    this.stats.record(op.kind, null);
    this.log[this.log.length - 1] += `  -> ok @${result.ts}`;
    this.expect(expected, `${describeOp(op)} succeeded at ${result.ts}, but the rules forbid it`);
    if (op.kind === "forceSend") this.forceSent += op.wei;
    for (const ev of result.events) this.apply(ev, result.ts, from, context);

    // follow-ups are steps of their own: check the invariants before each
    if ((op.kind === "attest" || op.kind === "dispute") && op.then !== null && a) {
      await this.check();
      const t = op.then;
      const next: Op =
        t.then === "dispute"
          ? { kind: "dispute", ref: op.ref, at: null, by: t.by, then: null }
          : t.then === "resolve"
            ? { kind: "resolve", ref: op.ref, at: null, cutBps: t.cutBps, by: "arbitrator" }
            : { kind: "settle", ref: op.ref, at: t.at };
      await this.step(readable(next), { a, i: mi });
    }
    if (op.kind === "terminate" && op.both && a) {
      await this.check();
      const next: Op = { kind: "terminate", ref: op.ref, by: from === a.client ? "vendor" : "client", both: false };
      await this.step(readable(next), { a, i: 0 });
    }
    if (op.kind === "create" && op.accept) {
      // the vendor accepts at once (the next second), so that most agreements go Active; a first milestone due
      // that very second is too late to accept (accept needs now < dueAt[0])
      await this.check();
      const created = this.agreements[this.agreements.length - 1];
      this.log.push(`  (vendor accepts #${created.id})`);
      const inTime = this.clock < created.milestones[0].dueAt;
      const accepted = await this.send(created.vendor, escrow, encode("accept", [created.id]));
      if (inTime) {
        this.expect(
          !("revert" in accepted),
          `accept right after creation reverted: ${"revert" in accepted ? accepted.revert : ""}`,
        );
      } else {
        this.expect(
          "revert" in accepted && accepted.revert === "AcceptanceWindowClosed",
          `accept at the first due time ${created.milestones[0].dueAt} ` +
            `${"revert" in accepted ? `reverted with ${accepted.revert}` : "succeeded"}, not AcceptanceWindowClosed`,
        );
      }
      if ("events" in accepted) for (const ev of accepted.events) this.apply(ev, accepted.ts, created.vendor, {});
      this.stats.record("accept", "revert" in accepted ? accepted.revert : null);
    }
  }

  /** Mirrors one escrow event into the model, checking it against the rules. */
  private apply(
    ev: LogDescription,
    ts: bigint,
    sender: string,
    context: { resolveCut?: number; pending?: ModelAgreement },
  ): void {
    const byId = (id: bigint): ModelAgreement => {
      const a = this.agreements.find((x) => x.id === id);
      if (!a) this.fail(`event ${ev.name} for unknown agreement ${id}`);
      return a;
    };
    const args = ev.args;
    const kindNames = ["Attested", "Arbitrated", "ArbitrationTimedOut", "Silent"];
    this.stats.event(ev.name === "MilestoneSettled" ? `MilestoneSettled(${kindNames[Number(args.kind)]})` : ev.name);
    switch (ev.name) {
      case "AgreementCreated": {
        const pending = context.pending;
        if (!pending) this.fail("AgreementCreated without a create");
        const id = args.id as bigint;
        const last = this.agreements.length ? this.agreements[this.agreements.length - 1].id : 0n;
        this.expect(id === last + 1n, `agreement id ${id} after ${last}`);
        this.agreements.push({ ...pending, id });
        break;
      }
      case "AgreementAccepted":
        byId(args.id as bigint).state = "active";
        break;
      case "AgreementCancelled": {
        const a = byId(args.id as bigint);
        let refund = 0n;
        for (const m of a.milestones) {
          if (m.status === SETTLED) continue;
          this.expect(m.status === PENDING, `cancel of a milestone in status ${m.status}`);
          refund += m.amount;
          m.status = SETTLED;
          m.cut = 10_000;
        }
        this.expect(args.refund === refund, `AgreementCancelled refund ${args.refund}, expected ${refund}`);
        a.state = "cancelled";
        this.credit(a.client, a.token, refund);
        break;
      }
      case "TerminationRequested":
        this.expect(args.party === sender, "TerminationRequested party");
        byId(args.id as bigint).terminationBy.add(sender);
        break;
      case "AgreementTerminated": {
        const a = byId(args.id as bigint);
        let refund = 0n;
        let mask = 0n;
        a.milestones.forEach((m, i) => {
          if (m.status === PENDING && m.dueAt > ts) {
            refund += m.amount;
            mask |= 1n << BigInt(i);
            m.status = SETTLED;
            m.cut = 10_000;
          }
        });
        this.expect(
          args.refund === refund && args.refundedMilestones === mask,
          `AgreementTerminated(${args.refund}, ${args.refundedMilestones}), expected (${refund}, ${mask})`,
        );
        this.credit(a.client, a.token, refund);
        break;
      }
      case "AttestationPosted": {
        const a = byId(args.id as bigint);
        const m = a.milestones[Number(args.milestone)];
        const values = (args.getValue("values") as bigint[]).map(Number);
        const cut = tsCutBps(REFERENCE_METRICS, values);
        this.expect(Number(args.cutBps) === cut, `attested cut ${args.cutBps} for [${values}], penalty.ts says ${cut}`);
        m.status = ATTESTED;
        m.cut = cut;
        m.attestedAt = ts;
        break;
      }
      case "MilestoneDisputed": {
        const a = byId(args.id as bigint);
        const m = a.milestones[Number(args.milestone)];
        this.expect(args.party === sender, "MilestoneDisputed party");
        m.status = DISPUTED;
        m.disputedAt = ts;
        break;
      }
      case "MilestoneSettled": {
        const a = byId(args.id as bigint);
        const i = Number(args.milestone);
        const m = a.milestones[i];
        const kind = args.kind as bigint;
        const cut = Number(args.cutBps);
        const toVendor = args.toVendor as bigint;
        const toClient = args.toClient as bigint;
        const where = `MilestoneSettled(a${a.id}, m${i}, kind ${kind}, cut ${cut}, ${toVendor}, ${toClient})`;
        this.expect(m.status !== SETTLED, `${where}: already settled`);
        this.expect(toVendor + toClient === m.amount, `${where}: payout != amount ${m.amount}`);
        const s = tsSplit(m.amount, cut);
        this.expect(
          s.toVendor === toVendor && s.toClient === toClient,
          `${where}: split says ${s.toVendor}/${s.toClient}`,
        );
        let expectedCut: number;
        if (kind === KIND.Attested) {
          this.expect(m.status === ATTESTED, `${where}: milestone was in status ${m.status}`);
          expectedCut = m.cut;
        } else if (kind === KIND.ArbitrationTimedOut) {
          this.expect(m.status === DISPUTED, `${where}: milestone was in status ${m.status}`);
          expectedCut = m.cut;
        } else if (kind === KIND.Arbitrated) {
          this.expect(m.status === DISPUTED, `${where}: milestone was in status ${m.status}`);
          expectedCut = context.resolveCut ?? -1;
        } else {
          this.expect(kind === KIND.Silent && m.status === PENDING, `${where}: milestone was in status ${m.status}`);
          expectedCut = a.state === "proposed" ? 10_000 : a.silentCutBps;
        }
        this.expect(cut === expectedCut, `${where}: expected cut ${expectedCut}`);
        m.status = SETTLED;
        m.cut = cut;
        this.credit(a.vendor, a.token, toVendor);
        this.credit(a.client, a.token, toClient);
        break;
      }
      case "Withdrawn": {
        const account = args.account as string;
        const token = args.token as string;
        const amount = args.amount as bigint;
        this.expect(account === sender, "Withdrawn account");
        this.expect(
          amount === this.balance(account, token),
          `Withdrawn ${amount}, model balance ${this.balance(account, token)}`,
        );
        this.balances.set(this.key(account, token), 0n);
        break;
      }
      default:
        this.fail(`unexpected event ${ev.name}`);
    }
  }

  /**
   * The invariants, against the chain: for ETH and the token, the escrow's balance equals the unsettled milestone
   * amounts plus the credited balances (plus what was force-sent, for ETH); settled milestones never change;
   * every milestone, agreement status and balance equals the model's.
   */
  /**
   * No stuck funds: from whatever state the sequence left, every agreement reaches Closed by timed actions alone.
   * The clock passes every deadline (attestation grace, dispute window, arbitration time-out) and the relayer - not
   * a party, an oracle or the arbitrator - settles each open milestone, which the rules must accept; then every
   * agreement reads Closed, everyone withdraws what it was credited, and the escrow keeps only force-sent ETH.
   */
  async windDown(): Promise<void> {
    this.log.push("wind down: past every deadline, the relayer settles each open milestone, everyone withdraws");
    let end = this.clock;
    for (const a of this.agreements) {
      for (const m of a.milestones) {
        for (const t of [m.dueAt + a.attestGrace + 1n, m.attestedAt + a.disputeWindow, m.disputedAt + a.arbitrationTimeout]) {
          if (t > end) end = t;
        }
      }
    }
    this.clock = end;
    for (const a of this.agreements) {
      if (a.state === "cancelled") continue; // Closed already: the deposit went back to the client
      for (let i = 0; i < a.milestones.length; i++) {
        if (a.milestones[i].status === SETTLED) continue;
        // step() checks that the rules allow it (they must, past every deadline) and that it succeeded
        await this.step(readable({ kind: "settle", ref: { pick: 0, smart: false }, at: null }), { a, i });
        await this.check();
      }
      this.expect(derivedStatus(a) === 3n, `agreement ${a.id} is not Closed after every deadline passed`);
    }
    const { ctx } = this.env;
    const escrow = ctx.escrowAddress;
    for (const account of this.accounts) {
      for (const token of [ETH, ctx.tokenAddress]) {
        if (this.balance(account, token) === 0n) continue;
        this.log.push(`  withdraw(${account}, ${token === ETH ? "ETH" : "TOKEN"})`);
        const result = await this.send(account, escrow, this.iface.encodeFunctionData("withdraw", [token, account]));
        this.expect(!("revert" in result), `withdraw of a credited balance reverted: ${"revert" in result ? result.revert : ""}`);
        if ("events" in result) for (const ev of result.events) this.apply(ev, result.ts, account, {});
        await this.check();
      }
    }
    const [eth, tokens] = await Promise.all([this.provider.getBalance(escrow), ctx.token.balanceOf(escrow)]);
    this.expect(eth === this.forceSent && tokens === 0n, `after the wind-down the escrow holds ${eth} wei and ${tokens} tokens (force-sent ${this.forceSent})`);
  }

  async check(): Promise<void> {
    const { ctx } = this.env;
    const calls: string[] = [];
    for (const a of this.agreements) {
      calls.push(this.iface.encodeFunctionData("agreementStatus", [a.id]));
      a.milestones.forEach((_, i) => calls.push(this.iface.encodeFunctionData("milestoneInfo", [a.id, i])));
    }
    const tokens = [ETH, ctx.tokenAddress];
    for (const account of this.accounts) {
      for (const token of tokens) calls.push(this.iface.encodeFunctionData("balanceOf", [account, token]));
    }
    const [raw, ethBalance, tokenBalance] = await Promise.all([
      this.provider.call({ to: ctx.escrowAddress, data: this.iface.encodeFunctionData("multicall", [calls]) }),
      this.provider.getBalance(ctx.escrowAddress),
      ctx.token.balanceOf(ctx.escrowAddress),
    ]);
    const results = this.iface.decodeFunctionResult("multicall", raw)[0] as string[];
    let k = 0;
    const unsettled = new Map<string, bigint>(tokens.map((t) => [t.toLowerCase(), 0n]));
    for (const a of this.agreements) {
      const status = this.iface.decodeFunctionResult("agreementStatus", results[k++])[0] as bigint;
      this.expect(status === derivedStatus(a), `agreementStatus(${a.id}) = ${status}, model ${derivedStatus(a)}`);
      a.milestones.forEach((m, i) => {
        const [st, cut, attestedAt, disputedAt] = this.iface.decodeFunctionResult(
          "milestoneInfo",
          results[k++],
        ) as unknown as [bigint, bigint, bigint, bigint];
        const where = `milestoneInfo(a${a.id}, m${i}) = (${st}, ${cut}, ${attestedAt}, ${disputedAt})`;
        this.expect(Number(st) === m.status, `${where}: model status ${m.status}`);
        if (m.status !== PENDING) this.expect(Number(cut) === m.cut, `${where}: model cut ${m.cut}`);
        this.expect(
          attestedAt === m.attestedAt && disputedAt === m.disputedAt,
          `${where}: model times ${m.attestedAt}, ${m.disputedAt}`,
        );
        const key = `${a.id}/${i}`;
        const tuple = `${st},${cut},${attestedAt},${disputedAt}`;
        if (Number(st) === SETTLED) {
          const first = this.settledSeen.get(key);
          if (first === undefined) this.settledSeen.set(key, tuple);
          else this.expect(first === tuple, `${where}: changed after settling (was ${first})`);
        } else {
          this.expect(!this.settledSeen.has(key), `${where}: was settled before (${this.settledSeen.get(key)})`);
          const t = a.token.toLowerCase();
          unsettled.set(t, (unsettled.get(t) ?? 0n) + m.amount);
        }
      });
    }
    const credited = new Map<string, bigint>(tokens.map((t) => [t.toLowerCase(), 0n]));
    for (const account of this.accounts) {
      for (const token of tokens) {
        const onChain = this.iface.decodeFunctionResult("balanceOf", results[k++])[0] as bigint;
        this.expect(
          onChain === this.balance(account, token),
          `balanceOf(${account}, ${token}) = ${onChain}, model ${this.balance(account, token)}`,
        );
        credited.set(token.toLowerCase(), (credited.get(token.toLowerCase()) ?? 0n) + onChain);
      }
    }
    const eth = ETH.toLowerCase();
    const tok = ctx.tokenAddress.toLowerCase();
    const ethOwed = (unsettled.get(eth) ?? 0n) + (credited.get(eth) ?? 0n);
    const tokOwed = (unsettled.get(tok) ?? 0n) + (credited.get(tok) ?? 0n);
    this.expect(
      ethBalance === ethOwed + this.forceSent,
      `ETH: escrow holds ${ethBalance}, unsettled ${unsettled.get(eth)} + credited ${credited.get(eth)} + force-sent ${this.forceSent} = ${ethOwed + this.forceSent}`,
    );
    this.expect(
      tokenBalance === tokOwed,
      `token: escrow holds ${tokenBalance}, unsettled ${unsettled.get(tok)} + credited ${credited.get(tok)} = ${tokOwed}`,
    );
  }
}
