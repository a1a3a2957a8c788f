/** Exact decimal text <-> scaled integers, for amounts, cuts and metric thresholds (no floating point). */
import { RuleError } from "./errors";

const q = (v: unknown): string => JSON.stringify(v);

/** An exact decimal `int.frac` scaled by 10^places, or a RuleError naming `what` when it has more places. */
export function scaled(text: string, places: number, int: string, frac: string | undefined, finer: string): bigint {
  const f = (frac ?? "").replace(/0+$/, "");
  if (f.length > places) throw new RuleError(`${q(text)} is finer than ${finer}`);
  return BigInt(int) * 10n ** BigInt(places) + (places === 0 ? 0n : BigInt(f.padEnd(places, "0")));
}

/** An exact decimal rendering of `value` smallest units: 1500250000n, 6 -> "1500.25". */
export function formatUnitsExact(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const v = neg ? -value : value;
  const base = 10n ** BigInt(decimals);
  const frac = decimals === 0 ? "" : (v % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${v / base}${frac === "" ? "" : `.${frac}`}`;
}
