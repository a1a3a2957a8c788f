/**
 * The demo's failures in one line: expected ones (no node, a rejected transaction, a failed check) become
 * `error: <message>` and exit code 1 without a stack trace; anything else is a bug and keeps its stack.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { LOCALHOST_URL } from "../adapters/networks";
import { describeFailure } from "../adapters/failures";
import { DemoCheckError } from "./checks";

/** The one-line message for an expected failure, or undefined for a bug. */
export async function demoFailureMessage(err: unknown, hre: HardhatRuntimeEnvironment): Promise<string | undefined> {
  if (err instanceof DemoCheckError) return `the demo's ledger does not add up: ${err.message}`;
  const e = err as { message?: unknown; number?: unknown; code?: unknown };
  const message = typeof e?.message === "string" ? e.message : "";
  if (e?.number === 108 || e?.code === "ECONNREFUSED" || /Cannot connect to the network|ECONNREFUSED/.test(message)) {
    const url = "url" in hre.network.config ? hre.network.config.url : LOCALHOST_URL;
    return `no node at ${url}: start one with npx hardhat node`;
  }
  const described = await describeFailure(err, hre);
  return described?.replace(/\s*\n\s*/g, " ");
}
