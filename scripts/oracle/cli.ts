/**
 * Dispatches `npx hardhat oracle <command>` and turns a user's mistake into `error: <message>` on stderr
 * with exit code 1 (no stack trace). Loaded lazily by tasks.ts, so nothing here runs at config load.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import { chainIdMismatch } from "./chain";
import type { OracleArgs } from "./commands";
import { type Output, consoleOutput } from "./log";

export const COMMANDS = ["attest", "verify", "sign", "post", "run", "probe"] as const;

export interface TaskResult {
  exitCode: number;
  error?: string;
  [key: string]: unknown;
}

/** The one-line message for an error that is the user's or the environment's, else undefined. */
export function userMessage(err: unknown, hre: HardhatRuntimeEnvironment): string | undefined {
  if (err instanceof UserError) return err.message;
  const e = err as { message?: string; code?: string; number?: number; cause?: { code?: string } };
  const msg = typeof e?.message === "string" ? e.message : "";
  const url = "url" in hre.network.config ? ` (${hre.network.config.url})` : "";
  // HH101: Hardhat's own check of the network's configured chainId against the RPC's answer.
  const ids = /set to use chain id (\d+), but connected to a chain with id (\d+)/.exec(msg);
  if (ids) return chainIdMismatch(hre.network.name, BigInt(ids[1]), BigInt(ids[2])).message;
  if (e?.number === 108 || /Cannot connect to the network|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH/.test(msg) || e?.code === "ECONNREFUSED") {
    return `cannot reach the RPC of network "${hre.network.name}"${url}: is the node running?`;
  }
  return undefined;
}

export async function runOracleTask(args: OracleArgs, hre: HardhatRuntimeEnvironment, out: Output = consoleOutput): Promise<TaskResult> {
  try {
    const commands = await import("./commands");
    switch (args.command) {
      case "attest":
        return { ...(await commands.attestCommand(hre, args, out)) };
      case "verify":
        return { ...(await commands.verifyCommand(hre, args, out)) };
      case "sign":
        return { ...(await commands.signCommand(hre, args, out)) };
      case "post":
        return { ...(await commands.postCommand(hre, args, out)) };
      case "run": {
        const { runCommand } = await import("./daemon");
        return { ...(await runCommand(hre, args)) };
      }
      case "probe": {
        const { probeCommand } = await import("./prober");
        return { ...(await probeCommand(args, out)) };
      }
      default:
        throw new UserError(`unknown command "${args.command}" (one of: ${COMMANDS.join(", ")})`);
    }
  } catch (err) {
    const message = userMessage(err, hre);
    if (message === undefined) throw err;
    const line = message.replace(/\s*\n\s*/g, " ");
    out.warn(`error: ${line}`);
    process.exitCode = 1;
    return { exitCode: 1, error: line };
  }
}
