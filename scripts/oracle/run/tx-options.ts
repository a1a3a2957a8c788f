/**
 * `oracle run`'s fee, replacement and finality flags, parsed with messages naming the flag (or the variable), and
 * the per-network defaults of scripts/adapters/networks.ts. docs/oracle.md "Fees, replacements and finality".
 */
import { UserError } from "../../lib/errors";
import { type Setting, oracleNetworkSettings } from "../../adapters/networks";
import type { OracleArgs } from "../commands";
import { parseGwei } from "./fees";
import { TX_DEFAULTS, type TxOptions } from "./sender";

export type TxArgs = Pick<
  OracleArgs,
  "maxFeeGwei" | "confirmations" | "bumpAfterBlocks" | "bumpAfterSeconds" | "minPostings" | "once"
>;

function wholeNumber(s: Setting, min: number): number {
  const v = s.value.trim();
  if (!/^[0-9]+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
    throw new UserError(`${s.source}: "${s.value}" is not a whole number >= ${min}`);
  return Number(v);
}

function positiveSeconds(s: Setting): number {
  const n = Number(s.value.trim());
  if (s.value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new UserError(`${s.source}: "${s.value}" is not a number of seconds > 0`);
  return n;
}

const flag = (value: string | undefined, name: string): Setting | undefined =>
  value === undefined || value === "" ? undefined : { value, source: name };

/** The sender's options for `network` (its Hardhat config `networkConfig`) from the flags and the defaults. */
export function txOptionsFromArgs(
  network: string,
  networkConfig: unknown,
  args: TxArgs,
  env: Record<string, string | undefined> = process.env,
): Partial<TxOptions> {
  const net = oracleNetworkSettings(network, networkConfig, env);
  const cap = flag(args.maxFeeGwei, "--max-fee-gwei") ?? net.maxFeeGwei;
  const confirmations = flag(args.confirmations, "--confirmations") ?? net.confirmations;
  return {
    maxFeePerGas: parseGwei(cap.value, cap.source),
    maxFeeSource: cap.source,
    confirmations: wholeNumber(confirmations, 1),
    bumpAfterBlocks: wholeNumber(
      flag(args.bumpAfterBlocks, "--bump-after-blocks") ?? {
        value: String(TX_DEFAULTS.bumpAfterBlocks),
        source: "default",
      },
      1,
    ),
    bumpAfterSeconds: positiveSeconds(
      flag(args.bumpAfterSeconds, "--bump-after-seconds") ?? {
        value: String(TX_DEFAULTS.bumpAfterSeconds),
        source: "default",
      },
    ),
    minPostings: wholeNumber(
      flag(args.minPostings, "--min-postings") ?? { value: String(TX_DEFAULTS.minPostings), source: "default" },
      0,
    ),
    // run: a wait of a minute, then the round goes on (co-signing for others never stops behind a stuck nonce);
    // --once (cron): two minutes, then an error (retried, then exit 1); the transaction stays recorded.
    waitMs: args.once === true ? 120_000 : 60_000,
    failAfterWait: args.once === true,
  };
}
