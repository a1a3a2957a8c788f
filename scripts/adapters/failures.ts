/**
 * The one place the Hardhat drivers (the sla:* tasks, the oracle) turn a failure the user can act on into one
 * line: a UserError's message, an escrow revert in plain words (scripts/lib/explain.ts), an unreachable or lying
 * RPC, a wallet or funds problem. Anything else is a bug and keeps its stack (the caller rethrows it).
 * RPC URLs are shown only for local nodes: a public one often carries an access token.
 */
import type { Interface } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import { type ExplainContext, explainRevert } from "../lib/explain";
import { escrowInterface } from "./escrow";

/** The local URL of the network, for messages; nothing for a remote one. */
function localUrl(hre: HardhatRuntimeEnvironment): string {
  const url = "url" in hre.network.config ? String(hre.network.config.url) : "";
  return /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(url) ? ` (${url})` : "";
}

export function chainIdMismatch(network: string, configured: bigint, actual: bigint): UserError {
  return new UserError(
    `--network ${network}: the RPC answers chain id ${actual}, but the network is configured as chain ${configured}; refusing to go on (a wrong or lying RPC)`,
  );
}

/** The one-line message (terms files: one line per error) for a failure the user can act on, or undefined. */
export async function describeFailure(
  err: unknown,
  hre: HardhatRuntimeEnvironment,
  explain: ExplainContext = {},
): Promise<string | undefined> {
  if (err instanceof UserError) return err.message;
  let iface: Interface | undefined;
  try {
    iface = await escrowInterface(hre);
  } catch {
    iface = undefined; // not compiled: the revert can still be a token's or Error(string)
  }
  const reverted = iface === undefined ? undefined : explainRevert(err, iface, explain);
  if (reverted !== undefined) return reverted;
  const e = err as { code?: unknown; number?: unknown; shortMessage?: unknown; message?: unknown };
  const msg = typeof e?.message === "string" ? e.message : "";
  // HH101: Hardhat's own check of the network's configured chainId against the RPC's answer.
  const ids = /set to use chain id (\d+), but connected to a chain with id (\d+)/.exec(msg);
  if (ids) return chainIdMismatch(hre.network.name, BigInt(ids[1]), BigInt(ids[2])).message;
  if (
    e?.number === 108 ||
    e?.code === "ECONNREFUSED" ||
    /Cannot connect to the network|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH/.test(msg)
  ) {
    return `cannot reach the RPC of network "${hre.network.name}"${localUrl(hre)}: is the node running?`;
  }
  const short = typeof e?.shortMessage === "string" ? e.shortMessage : msg;
  switch (e?.code) {
    case "INSUFFICIENT_FUNDS":
      return "the sending account cannot pay for this transaction (gas and value)";
    case "ACTION_REJECTED":
      return "the transaction was rejected in the wallet";
    case "CALL_EXCEPTION":
      return `the transaction reverted without a reason (${short})`;
    case "NETWORK_ERROR":
    case "SERVER_ERROR":
    case "TIMEOUT":
      return `network "${hre.network.name}" did not answer: ${short}`;
    default:
      return undefined;
  }
}
