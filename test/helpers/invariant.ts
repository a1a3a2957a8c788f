/**
 * The runner of test/invariant.test.ts: it applies the operation records that fast-check generates
 * (invariant/ops.ts, invariant/generators.ts) to the in-process Hardhat network, asks the reference model of the
 * escrow (invariant/model.ts) whether each must succeed, mirrors every event into the model and checks the
 * chain against the model after every step; after the last operation it winds the sequence down (`windDown`: no
 * stuck funds). This module is also what the test imports: it re-exports the records and the sequences.
 *
 * Time is driven by the runner: every transaction is mined at an explicit timestamp (`clock`), so a sequence
 * replays identically from a seed. Transactions are sent with eth_sendTransaction and a fixed gas limit (no gas
 * estimation): a reverting operation is mined as a failed transaction and recorded by its custom error.
 */
import { revertData } from "../../scripts/lib/errors";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Interface, LogDescription } from "ethers";
import { type Attestation, packSignatures, signAttestation } from "../../scripts/lib/attestation";
import { type Context, ETH, METRICS } from "./fixture";
import { type At, type Op, type Ref, type Role, type TokenKind, describeOp, readable } from "./invariant/ops";
import {
  ATTESTED,
  type ChainView,
  DISPUTED,
  type EventContext,
  Model,
  type ModelAgreement,
  type ModelMilestone,
  PENDING,
  SETTLED,
  derivedStatus,
  hasArbitrator,
} from "./invariant/model";

export * from "./invariant/ops";
export { createArb, opArb, sequenceArb } from "./invariant/generators";

export interface OpStats {
  ok: number;
  reverted: Map<string, number>;
}

/** What the operations did over all sequences: outcomes by kind of operation, and escrow events (printed). */
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
  // The escrow's revert data is found the way every driver finds it (scripts/lib/errors.ts); a revert without a
  // selector (empty data, a panic of the node) is named by its message.
  const data = revertData(error);
  if (data !== undefined) {
    const parsed = iface.parseError(data);
    return parsed ? parsed.name : `revert(${data.slice(0, 10)})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /revert/i.test(message) ? `revert(${message.slice(0, 60)})` : null;
}

/** An invariant or model violation: the message says which, after which operation. */
export class InvariantError extends Error {}

/**
 * Runs one sequence: applies operations, mirrors every event into the model (which checks each event against the
 * penalty rule and the lifecycle), and checks the chain against the model after each step.
 */
export class Runner {
  private readonly model: Model;
  private clock: bigint;
  private readonly log: string[] = [];
  private readonly provider = ethers.provider;
  private readonly iface: Interface;

  constructor(
    private readonly env: Env,
    private readonly stats: Stats,
    latestTimestamp: bigint,
  ) {
    this.clock = latestTimestamp + 1n;
    this.iface = env.ctx.escrow.interface;
    const { ctx } = env;
    const accounts = [
      ...env.pool.map((p) => p.address),
      ctx.arbitrator.address,
      ctx.stranger.address,
      ctx.relayer.address,
    ];
    this.model = new Model(accounts, ctx.tokenAddress, (message) => this.fail(message));
  }

  private tokenAddress(kind: TokenKind): string {
    return kind === "ETH" ? ETH : this.env.ctx.tokenAddress;
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
    const pool = ref.smart ? this.model.agreements.filter(applies) : this.model.agreements;
    const list = pool.length > 0 ? pool : this.model.agreements;
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
        const candidates = this.model.agreements.flatMap((a) =>
          a.milestones.flatMap((m, i) => (applies(a, m) ? [{ a, i }] : [])),
        );
        if (candidates.length > 0) return candidates[ref.pick % candidates.length];
      }
    }
    if (this.model.agreements.length === 0) return undefined;
    const a = this.model.agreements[ref.pick % this.model.agreements.length];
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
    let context: EventContext = {};

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
        expected = this.model.allowsCreate(op.silentCutBps, op.threshold, oracles.length);
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
            [ETH, ctx.tokenAddress].flatMap((t) => (this.model.balance(p.address, t) > 0n ? [{ p, t }] : [])),
          );
          if (owed.length > 0) ({ p: party, t: token } = owed[op.party % owed.length]);
        }
        this.log[this.log.length - 1] += ` [${this.env.pool.indexOf(party)}, ${token === ETH ? "ETH" : "TOKEN"}]`;
        const recipient =
          op.to === "self" ? party.address : op.to === "other" ? ctx.stranger.address : ethers.ZeroAddress;
        from = party.address;
        data = encode("withdraw", [token, recipient]);
        expected = this.model.allowsWithdraw(party.address, token, op.to);
        break;
      }
      default: {
        if (!a) {
          this.stats.record(op.kind, "skip(no agreement)");
          return;
        }
        const m = a.milestones[mi];
        switch (op.kind) {
          case "accept": {
            from = this.signerFor(a, op.by).address;
            data = encode("accept", [a.id]);
            expected = this.model.allowsAccept(a, from, ts);
            break;
          }
          case "cancel": {
            from = this.signerFor(a, op.by).address;
            data = encode("cancel", [a.id]);
            expected = this.model.allowsCancel(a, from);
            break;
          }
          case "terminate": {
            from = this.signerFor(a, op.by).address;
            data = encode("terminate", [a.id]);
            expected = this.model.allowsTerminate(a, from);
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
            expected = this.model.allowsAttest(a, m, ts, signers.length, op.forge);
            break;
          }
          case "dispute": {
            from = this.signerFor(a, op.by).address;
            data = encode("dispute", [a.id, mi]);
            expected = this.model.allowsDispute(a, m, from, ts);
            break;
          }
          case "resolve": {
            from = this.signerFor(a, op.by).address;
            data = encode("resolveDispute", [a.id, mi, op.cutBps]);
            expected = this.model.allowsResolve(a, m, from, op.cutBps);
            context = { resolveCut: op.cutBps };
            break;
          }
          case "settle": {
            from = ctx.relayer.address;
            data = encode("settle", [a.id, mi]);
            expected = this.model.allowsSettle(a, m, ts);
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
    if (op.kind === "forceSend") this.model.forceSent += op.wei;
    this.mirror(result.events, result.ts, from, context);

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
      const created = this.model.agreements[this.model.agreements.length - 1];
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
      if ("events" in accepted) this.mirror(accepted.events, accepted.ts, created.vendor, {});
      this.stats.record("accept", "revert" in accepted ? accepted.revert : null);
    }
  }

  /** Mirrors a transaction's escrow events into the model (which checks each against the rules), counting them. */
  private mirror(events: LogDescription[], ts: bigint, sender: string, context: EventContext): void {
    const kindNames = ["Attested", "Arbitrated", "ArbitrationTimedOut", "Silent"];
    for (const ev of events) {
      const args = ev.args;
      this.stats.event(ev.name === "MilestoneSettled" ? `MilestoneSettled(${kindNames[Number(args.kind)]})` : ev.name);
      this.model.apply(ev, ts, sender, context);
    }
  }

  /**
   * No stuck funds: from whatever state the sequence left, every agreement reaches Closed by timed actions alone.
   * The clock passes every deadline (attestation grace, dispute window, arbitration time-out) and the relayer - not
   * a party, an oracle or the arbitrator - settles each open milestone, which the rules must accept; then every
   * agreement reads Closed, everyone withdraws what it was credited, and the escrow keeps only force-sent ETH.
   */
  async windDown(): Promise<void> {
    this.log.push("wind down: past every deadline, the relayer settles each open milestone, everyone withdraws");
    let end = this.clock;
    for (const a of this.model.agreements) {
      for (const m of a.milestones) {
        for (const t of [
          m.dueAt + a.attestGrace + 1n,
          m.attestedAt + a.disputeWindow,
          m.disputedAt + a.arbitrationTimeout,
        ]) {
          if (t > end) end = t;
        }
      }
    }
    this.clock = end;
    for (const a of this.model.agreements) {
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
    for (const account of this.model.accounts) {
      for (const token of [ETH, ctx.tokenAddress]) {
        if (this.model.balance(account, token) === 0n) continue;
        this.log.push(`  withdraw(${account}, ${token === ETH ? "ETH" : "TOKEN"})`);
        const result = await this.send(account, escrow, this.iface.encodeFunctionData("withdraw", [token, account]));
        this.expect(
          !("revert" in result),
          `withdraw of a credited balance reverted: ${"revert" in result ? result.revert : ""}`,
        );
        if ("events" in result) this.mirror(result.events, result.ts, account, {});
        await this.check();
      }
    }
    const [eth, tokens] = await Promise.all([this.provider.getBalance(escrow), ctx.token.balanceOf(escrow)]);
    this.expect(
      eth === this.model.forceSent && tokens === 0n,
      `after the wind-down the escrow holds ${eth} wei and ${tokens} tokens (force-sent ${this.model.forceSent})`,
    );
  }

  /** Reads the chain (every agreement and milestone, every credit, the escrow's balances) and checks the model's
   * invariants against it (`Model.check`). */
  async check(): Promise<void> {
    const { ctx } = this.env;
    const calls: string[] = [];
    for (const a of this.model.agreements) {
      calls.push(this.iface.encodeFunctionData("agreementStatus", [a.id]));
      a.milestones.forEach((_, i) => calls.push(this.iface.encodeFunctionData("milestoneInfo", [a.id, i])));
    }
    for (const account of this.model.accounts) {
      for (const token of this.model.tokens) calls.push(this.iface.encodeFunctionData("balanceOf", [account, token]));
    }
    const [raw, ethBalance, tokenBalance] = await Promise.all([
      this.provider.call({ to: ctx.escrowAddress, data: this.iface.encodeFunctionData("multicall", [calls]) }),
      this.provider.getBalance(ctx.escrowAddress),
      ctx.token.balanceOf(ctx.escrowAddress),
    ]);
    const results = this.iface.decodeFunctionResult("multicall", raw)[0] as string[];
    let k = 0;
    const chain: ChainView = {
      agreements: this.model.agreements.map((a) => ({
        status: this.iface.decodeFunctionResult("agreementStatus", results[k++])[0] as bigint,
        milestones: a.milestones.map(() => {
          const [st, cut, attestedAt, disputedAt] = this.iface.decodeFunctionResult(
            "milestoneInfo",
            results[k++],
          ) as unknown as [bigint, bigint, bigint, bigint];
          return [st, cut, attestedAt, disputedAt];
        }),
      })),
      credits: this.model.accounts.map(() =>
        this.model.tokens.map(() => this.iface.decodeFunctionResult("balanceOf", results[k++])[0] as bigint),
      ),
      ethBalance,
      tokenBalance,
    };
    this.model.check(chain);
  }
}
