/**
 * Dispatches `npx hardhat oracle <command>` and turns a user's mistake into `error: <message>` on stderr
 * with exit code 1 (no stack trace). Loaded lazily by tasks.ts, so nothing here runs at config load.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { describeFailure } from "../adapters/failures";
import { UserError } from "../lib/errors";
import type { OracleArgs } from "./commands";
import { type Output, consoleOutput } from "./log";

export const COMMANDS = ["attest", "verify", "sign", "post", "run", "probe"] as const;

export interface TaskResult {
  exitCode: number;
  error?: string;
  [key: string]: unknown;
}

export async function runOracleTask(
  args: OracleArgs,
  hre: HardhatRuntimeEnvironment,
  out: Output = consoleOutput,
): Promise<TaskResult> {
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
    const message = await describeFailure(err, hre);
    if (message === undefined) throw err;
    const line = message.replace(/\s*\n\s*/g, " ");
    out.warn(`error: ${line}`);
    process.exitCode = 1;
    return { exitCode: 1, error: line };
  }
}
