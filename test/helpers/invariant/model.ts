/**
 * The reference model of the escrow for the invariant test (test/invariant.test.ts): a TypeScript mirror of its
 * agreements, milestones and credited balances; the rules, which say whether the escrow must accept a call or
 * refuse it; the mirroring of every escrow event, each checked against the lifecycle and the penalty rule
 * (scripts/lib/penalty.ts); and the invariants, checked against what the chain reads after every step: the model
 * equals the chain, settled milestones never change, and per token the escrow holds exactly what it owes.
 */
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { LogDescription } from "ethers";
import { type MetricLike, cutBps as tsCutBps, split as tsSplit } from "../../../scripts/lib/penalty";
import { ETH, METRICS } from "../fixture";

/** The fixture's reference metrics (every agreement here uses them) as plain numbers for penalty.ts. */
const REFERENCE_METRICS: MetricLike[] = METRICS.map((m) => ({
  higherIsBetter: m.higherIsBetter,
  tiers: m.tiers.map((t) => ({ threshold: Number(t.threshold), cutBps: Number(t.cutBps) })),
}));

/** Milestone statuses, as milestoneInfo returns them. */
export const PENDING = 0;
export const ATTESTED = 1;
export const DISPUTED = 2;
export const SETTLED = 3;
/** ISLAEscrow.Settlement */
const KIND = { Attested: 0n, Arbitrated: 1n, ArbitrationTimedOut: 2n, Silent: 3n } as const;

export interface ModelMilestone {
  amount: bigint;
  dueAt: bigint;
  status: number;
  /** attested cut while Attested or Disputed, final cut once Settled */
  cut: number;
  attestedAt: bigint;
  disputedAt: bigint;
}

export interface ModelAgreement {
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

/** agreementStatus as the escrow derives it: 1 Proposed, 2 Active, 3 Closed. */
export function derivedStatus(a: ModelAgreement): bigint {
  if (a.state === "cancelled" || a.milestones.every((m) => m.status === SETTLED)) return 3n;
  return a.state === "proposed" ? 1n : 2n;
}

export function hasArbitrator(a: ModelAgreement): boolean {
  return a.arbitrator !== ethers.ZeroAddress;
}

/** What the runner knows of the operation behind an event: a resolution's cut, the agreement being created. */
export interface EventContext {
  resolveCut?: number;
  pending?: ModelAgreement;
}

/** What the invariants read from the chain after a step. */
export interface ChainView {
  /** agreementStatus and milestoneInfo (status, cut, attestedAt, disputedAt) of each model agreement, in order */
  agreements: { status: bigint; milestones: [bigint, bigint, bigint, bigint][] }[];
  /** balanceOf(account, token) of each model account (`Model.accounts`) for each token (`Model.tokens`) */
  credits: bigint[][];
  /** the escrow's own ETH and test-token balances */
  ethBalance: bigint;
  tokenBalance: bigint;
}

/**
 * The mirror of one sequence's escrow. The runner asks it whether each call must succeed (`allows*`), feeds it
 * every event a call emitted (`apply`), and after every step hands it what the chain reads (`check`).
 */
export class Model {
  readonly agreements: ModelAgreement[] = [];
  /** ETH, then the test token */
  readonly tokens: string[];
  /** ETH sent to the escrow without a call (forceSend): held, owed to nobody */
  forceSent = 0n;
  private readonly balances = new Map<string, bigint>();
  private readonly settledSeen = new Map<string, string>();

  constructor(
    /** Every account the escrow may credit; the invariants read their balances. */
    readonly accounts: string[],
    tokenAddress: string,
    /** Stops the sequence on a violation (the runner adds the operations so far to the message). */
    private readonly abort: (message: string) => never,
  ) {
    this.tokens = [ETH, tokenAddress];
  }

  private key(account: string, token: string): string {
    return `${account.toLowerCase()}|${token.toLowerCase()}`;
  }

  /** What the escrow owes `account` in `token`, as far as the model knows. */
  balance(account: string, token: string): bigint {
    return this.balances.get(this.key(account, token)) ?? 0n;
  }

  private credit(account: string, token: string, amount: bigint): void {
    this.balances.set(this.key(account, token), this.balance(account, token) + amount);
  }

  private fail(message: string): never {
    return this.abort(message);
  }

  private expect(condition: boolean, message: string): void {
    if (!condition) this.fail(message);
  }

  /* ----------------------------------------------------------------------------------------------------------
   * The rules: whether the escrow must accept a call (true) or refuse it (false, whatever the error). `ts` is the
   * timestamp the transaction is mined at, `from` its sender.
   * -------------------------------------------------------------------------------------------------------- */

  /** `oracles`: how many oracles the terms name */
  allowsCreate(silentCutBps: number, threshold: number, oracles: number): boolean {
    return silentCutBps <= 10_000 && threshold <= oracles;
  }

  allowsWithdraw(account: string, token: string, to: "self" | "other" | "zero"): boolean {
    return this.balance(account, token) > 0n && to !== "zero";
  }

  /** accept only before the first due time: every milestone keeps its whole attestation window */
  allowsAccept(a: ModelAgreement, from: string, ts: bigint): boolean {
    return a.state === "proposed" && from === a.vendor && ts < a.milestones[0].dueAt;
  }

  /** a proposal whose milestones were all refunded by settle already reads as Closed */
  allowsCancel(a: ModelAgreement, from: string): boolean {
    return derivedStatus(a) === 1n && from === a.client;
  }

  allowsTerminate(a: ModelAgreement, from: string): boolean {
    return derivedStatus(a) === 2n && (from === a.client || from === a.vendor) && !a.terminationBy.has(from);
  }

  /** `signers`: how many of the agreement's oracles signed; `forged`: the last signature is of another message */
  allowsAttest(a: ModelAgreement, m: ModelMilestone, ts: bigint, signers: number, forged: boolean): boolean {
    return (
      a.state === "active" &&
      m.status === PENDING &&
      m.dueAt <= ts &&
      ts <= m.dueAt + a.attestGrace &&
      signers >= a.threshold &&
      !(forged && signers > 0)
    );
  }

  allowsDispute(a: ModelAgreement, m: ModelMilestone, from: string, ts: bigint): boolean {
    return (
      (from === a.client || from === a.vendor) &&
      hasArbitrator(a) &&
      m.status === ATTESTED &&
      ts < m.attestedAt + a.disputeWindow
    );
  }

  allowsResolve(a: ModelAgreement, m: ModelMilestone, from: string, cutBps: number): boolean {
    return hasArbitrator(a) && from === a.arbitrator && cutBps <= 10_000 && m.status === DISPUTED;
  }

  allowsSettle(a: ModelAgreement, m: ModelMilestone, ts: bigint): boolean {
    return m.status === ATTESTED
      ? !hasArbitrator(a) || ts >= m.attestedAt + a.disputeWindow
      : m.status === DISPUTED
        ? ts >= m.disputedAt + a.arbitrationTimeout
        : m.status === PENDING
          ? ts > m.dueAt + a.attestGrace
          : false;
  }

  /* ----------------------------------------------------------------------------------------------------------
   * Events and invariants
   * -------------------------------------------------------------------------------------------------------- */

  /** Mirrors one escrow event (of a transaction mined at `ts`, sent by `sender`), checking it against the rules. */
  apply(ev: LogDescription, ts: bigint, sender: string, context: EventContext): void {
    const byId = (id: bigint): ModelAgreement => {
      const a = this.agreements.find((x) => x.id === id);
      if (!a) this.fail(`event ${ev.name} for unknown agreement ${id}`);
      return a;
    };
    const args = ev.args;
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
  check(chain: ChainView): void {
    const tokens = this.tokens;
    const unsettled = new Map<string, bigint>(tokens.map((t) => [t.toLowerCase(), 0n]));
    this.agreements.forEach((a, n) => {
      const status = chain.agreements[n].status;
      this.expect(status === derivedStatus(a), `agreementStatus(${a.id}) = ${status}, model ${derivedStatus(a)}`);
      a.milestones.forEach((m, i) => {
        const [st, cut, attestedAt, disputedAt] = chain.agreements[n].milestones[i];
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
    });
    const credited = new Map<string, bigint>(tokens.map((t) => [t.toLowerCase(), 0n]));
    this.accounts.forEach((account, n) => {
      tokens.forEach((token, j) => {
        const onChain = chain.credits[n][j];
        this.expect(
          onChain === this.balance(account, token),
          `balanceOf(${account}, ${token}) = ${onChain}, model ${this.balance(account, token)}`,
        );
        credited.set(token.toLowerCase(), (credited.get(token.toLowerCase()) ?? 0n) + onChain);
      });
    });
    const eth = ETH.toLowerCase();
    const tok = tokens[1].toLowerCase();
    const ethOwed = (unsettled.get(eth) ?? 0n) + (credited.get(eth) ?? 0n);
    const tokOwed = (unsettled.get(tok) ?? 0n) + (credited.get(tok) ?? 0n);
    this.expect(
      chain.ethBalance === ethOwed + this.forceSent,
      `ETH: escrow holds ${chain.ethBalance}, unsettled ${unsettled.get(eth)} + credited ${credited.get(eth)} + force-sent ${this.forceSent} = ${ethOwed + this.forceSent}`,
    );
    this.expect(
      chain.tokenBalance === tokOwed,
      `token: escrow holds ${chain.tokenBalance}, unsettled ${unsettled.get(tok)} + credited ${credited.get(tok)} = ${tokOwed}`,
    );
  }
}
