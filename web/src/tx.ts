/**
 * Sending a transaction from the page: simulate it first (eth_call from the sender), so that a revert is explained
 * in words by the core (explainRevert) before the wallet opens; then send it through the wallet, show its hash
 * until it is mined, and report the receipt. Wallet refusals, missing funds and an unreachable RPC each get their
 * own message.
 */
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { type ExplainContext, NATIVE_ETH, type ResolvedToken, explainRevert, formatAmount } from "../../scripts/lib";
import { ESCROW_INTERFACE } from "./chain";

export type TxState =
  | { kind: "idle" }
  | { kind: "working"; text: string }
  | { kind: "pending"; text: string; hash: string }
  | { kind: "done"; text: string; hash?: string }
  | { kind: "error"; text: string };

/** Amounts in an error's arguments in the agreement's token (or ETH for address(0)). */
export function explainContext(token?: ResolvedToken): ExplainContext {
  const units = (t?: string): ResolvedToken | undefined =>
    t === undefined || t.toLowerCase() === token?.address.toLowerCase()
      ? token
      : t === NATIVE_ETH.address
        ? NATIVE_ETH
        : undefined;
  return {
    amount: (v, t) => {
      const u = units(t);
      return u === undefined ? `${v} (smallest units)` : formatAmount(v, u);
    },
    tokenName: (t) => units(t)?.symbol ?? t,
  };
}

function codeOf(err: unknown): unknown {
  const seen = new Set<unknown>();
  const visit = (e: unknown): unknown => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (o.code === 4001 || o.code === "ACTION_REJECTED") return "rejected";
    if (o.code === "INSUFFICIENT_FUNDS") return "funds";
    for (const k of ["error", "info", "cause"]) {
      const c = visit(o[k]);
      if (c !== undefined) return c;
    }
    return o.code;
  };
  return visit(err);
}

/** One line in words for anything a call, a signature or a transaction can fail with. */
export function describeFailure(err: unknown, ctx: ExplainContext = {}): string {
  const reverted = explainRevert(err, ESCROW_INTERFACE, ctx);
  if (reverted !== undefined) return `The escrow would reject this: ${reverted}. Nothing was sent.`;
  const code = codeOf(err);
  if (code === "rejected") return "The wallet rejected the request. Nothing was sent.";
  if (code === "funds") return "The account's balance is too low for this transaction and its gas. Nothing was sent.";
  const fetchFailed = (e: unknown): boolean =>
    e instanceof TypeError
      ? /fetch/i.test(e.message)
      : e !== null && typeof e === "object" && fetchFailed((e as { cause?: unknown }).cause);
  if (code === "NETWORK_ERROR" || code === "TIMEOUT" || code === "SERVER_ERROR" || fetchFailed(err)) {
    return "The network's RPC cannot be reached (or answered with an error); check the wallet's network or the node, then try again.";
  }
  const e = err as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(err);
}

export interface TxPlan {
  /** What the button does, for the messages ("Accept", "Settle 2 milestones"). */
  label: string;
  /** The same call as an eth_call: throws the revert the transaction would hit. */
  simulate: () => Promise<unknown>;
  send: () => Promise<ContractTransactionResponse>;
}

/** Simulates, sends, waits; reports each step. Resolves with the receipt, or undefined when nothing was mined. */
export async function runTx(
  plan: TxPlan,
  report: (s: TxState) => void,
  ctx: ExplainContext = {},
): Promise<ContractTransactionReceipt | undefined> {
  report({ kind: "working", text: `${plan.label}: checking the call…` });
  try {
    await plan.simulate();
  } catch (err) {
    report({ kind: "error", text: `${plan.label}: ${describeFailure(err, ctx)}` });
    return undefined;
  }
  report({ kind: "working", text: `${plan.label}: confirm in your wallet…` });
  let tx: ContractTransactionResponse;
  try {
    tx = await plan.send();
  } catch (err) {
    report({ kind: "error", text: `${plan.label}: ${describeFailure(err, ctx)}` });
    return undefined;
  }
  report({ kind: "pending", text: `${plan.label}: pending`, hash: tx.hash });
  try {
    const receipt = await tx.wait();
    if (receipt === null) throw new Error("no receipt");
    report({ kind: "done", text: `${plan.label}: mined in block ${receipt.blockNumber}`, hash: tx.hash });
    return receipt;
  } catch (err) {
    report({ kind: "error", text: `${plan.label}: the transaction ${tx.hash} failed: ${describeFailure(err, ctx)}` });
    return undefined;
  }
}
