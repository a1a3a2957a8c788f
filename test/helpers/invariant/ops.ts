/**
 * The operation records of the invariant test (test/invariant.test.ts): what fast-check generates
 * (generators.ts) and the runner applies (../invariant.ts). Each record has a readable toString (`readable`), so a
 * shrunk counterexample reads like a script.
 */
import fc from "fast-check";
import { DAY } from "../fixture";

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
export function readable<T extends Op>(op: T): T {
  const text = describeOp(op);
  return Object.assign(op, { [fc.toStringMethod]: () => text, toString: () => text });
}
