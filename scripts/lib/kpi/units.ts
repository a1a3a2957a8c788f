/**
 * Values and thresholds in a kind's unit (terms files, `sla:status`, the demo, the web page): ratios as "95%" or
 * "950000ppm", durations as "300ms", "20s", "30min", "4h" (converted exactly into the kind's unit: "90s" is not a
 * whole number of minutes), counts and plain numbers as integers. Exact: no floating point.
 */
import { RuleError } from "../errors";
import { MAX_UINT32 } from "../limits";
import { formatUnitsExact, scaled } from "../decimal";
import type { Unit } from "./types";

const q = (v: unknown): string => JSON.stringify(v);

const MS_PER: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, min: 60_000n, h: 3_600_000n, d: 86_400_000n };
const UNIT_MS: Partial<Record<Unit, bigint>> = { ms: 1n, seconds: 1000n, minutes: 60_000n };
const UNIT_WORD: Partial<Record<Unit, string>> = { ms: "millisecond", seconds: "second", minutes: "minute" };
const UNIT_ABBREV: Partial<Record<Unit, string>> = { ms: "ms", seconds: "s", minutes: "min" };

/** An example threshold in `unit`, for messages. */
export function exampleThreshold(unit: Unit): string {
  return { ppm: "99.9%", ms: "300ms", seconds: "20s", minutes: "30min", count: "100", number: "100" }[unit];
}

/** A threshold (a terms file's tier `threshold`) in `unit` -> the uint32 the escrow compares values with. */
export function parseThreshold(unit: Unit, input: unknown): bigint {
  if (unit === "count" || unit === "number") {
    const text = typeof input === "number" && Number.isSafeInteger(input) ? String(input) : input;
    if (typeof text !== "string" || !/^\d+$/.test(text))
      throw new RuleError(`${q(input)} is not a whole number like ${exampleThreshold(unit)}`);
    return checked(BigInt(text), q(input));
  }
  if (typeof input !== "string") throw new RuleError(`${q(input)} must be a string like "${exampleThreshold(unit)}"`);
  const text = input.trim();
  if (unit === "ppm") {
    const pct = /^(\d+)(?:\.(\d+))?%$/.exec(text);
    const ppm = /^(\d+)ppm$/.exec(text);
    let value: bigint;
    if (pct) value = scaled(text, 4, pct[1], pct[2], "1 ppm (0.0001%)");
    else if (ppm) value = BigInt(ppm[1]);
    else throw new RuleError(`${q(text)} is not a ratio like "99.9%" or "999000ppm" (parts per million)`);
    if (value > 1_000_000n) throw new RuleError(`${q(text)} is above 100%`);
    return value;
  }
  const m = /^(\d+)(?:\.(\d+))?(ms|s|min|m|h|d)$/.exec(text);
  const per = UNIT_MS[unit] as bigint;
  if (!m) {
    throw new RuleError(`${q(text)} is not a duration like "${exampleThreshold(unit)}" (ms, s, min, h or d)`);
  }
  // Exact: the number in milliseconds (at most 3 decimals of the unit given), then whole units of the kind.
  const ms = (scaled(text, 3, m[1], m[2], "1 ms") * MS_PER[m[3]]) / 1000n;
  if (ms % per !== 0n) throw new RuleError(`${q(text)} is not a whole number of ${UNIT_WORD[unit]}s`);
  return checked(ms / per, q(text), UNIT_ABBREV[unit]);
}

function checked(v: bigint, text: string, unit = ""): bigint {
  if (v > BigInt(MAX_UINT32)) throw new RuleError(`${text} is above ${MAX_UINT32}${unit} (the escrow stores 32 bits)`);
  return v;
}

/** A value in `unit`, for people: 950000 ppm -> "95%", 90 minutes -> "90min", 120 -> "2h", 20 seconds -> "20s". */
export function formatValue(unit: Unit | undefined, value: bigint | number): string {
  const v = BigInt(value);
  switch (unit) {
    case "ppm":
      return `${formatUnitsExact(v, 4)}%`;
    case "ms":
      return `${v}ms`;
    case "seconds":
      return v > 0n && v % 3600n === 0n ? `${v / 3600n}h` : v > 0n && v % 60n === 0n ? `${v / 60n}min` : `${v}s`;
    case "minutes":
      return v > 0n && v % 60n === 0n ? `${v / 60n}h` : `${v}min`;
    default:
      return v.toString();
  }
}
