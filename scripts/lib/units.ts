/**
 * Human units, exactly: amounts in a token's decimals, cuts in percent to the basis point, durations, ISO-8601
 * times, metric thresholds and addresses. Parsers throw RuleError (the terms check adds the field path);
 * formatters never throw.
 */
import { getAddress, isAddress } from "ethers";
import { RuleError } from "./errors";
import { MAX_BPS, MAX_UINT128, MAX_UINT32 } from "./limits";
import { type MetricSpec, bareSpec, unitOf } from "./kpi/spec";
import { formatValue } from "./kpi/units";
import { formatUnitsExact, scaled } from "./decimal";

export { formatUnitsExact };

/** A token's symbol and decimals, as amounts are parsed and formatted in them. */
export interface TokenUnits {
  symbol: string;
  decimals: number;
}

const q = (v: unknown): string => JSON.stringify(v);

/** "1500.25" in a token with `decimals` decimals -> 1500250000 (6 decimals). Exact; rejects extra decimals. */
export function parseAmount(text: string, token: TokenUnits): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new RuleError(`${q(text)} is not an amount like "1500.25"`);
  const frac = m[2] ?? "";
  if (frac.length > token.decimals) {
    throw new RuleError(`${q(text)} has ${frac.length} decimals; ${token.symbol} has ${token.decimals}`);
  }
  const value = BigInt(m[1]) * 10n ** BigInt(token.decimals) + BigInt(frac.padEnd(token.decimals, "0") || "0");
  if (value === 0n) throw new RuleError("must be more than 0");
  if (value > MAX_UINT128)
    throw new RuleError(`${q(text)} is above the largest amount the escrow stores (2^128 - 1 units)`);
  return value;
}

/** "25%" -> 2500, "2.5%" -> 250 basis points; exact to the basis point, at most 100%. */
export function parseCut(text: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?%$/.exec(text);
  if (!m) throw new RuleError(`${q(text)} is not a percentage like "25%" or "2.5%"`);
  const bps = scaled(text, 2, m[1], m[2], "a basis point (0.01%)");
  if (bps > BigInt(MAX_BPS)) throw new RuleError(`${q(text)} is above 100%`);
  return bps;
}

const UNIT_SECONDS: Record<string, bigint> = { w: 604_800n, d: 86_400n, h: 3_600n, m: 60n, s: 1n };

/** "3d", "12h", "90m", "45s", "1w", or a combination such as "1d12h" -> seconds. */
export function parseDuration(text: string): bigint {
  if (!/^(\d+[wdhms])+$/.test(text)) {
    throw new RuleError(`${q(text)} is not a duration like "3d", "12h", "90m" or "45s"`);
  }
  let seconds = 0n;
  for (const [, n, unit] of text.matchAll(/(\d+)([wdhms])/g)) seconds += BigInt(n) * UNIT_SECONDS[unit];
  return seconds;
}

/** A duration the escrow stores in 32 bits. */
export function parseDuration32(text: string): bigint {
  const seconds = parseDuration(text);
  if (seconds > BigInt(MAX_UINT32)) {
    throw new RuleError(`${q(text)} is more than ${MAX_UINT32} seconds (the escrow stores 32 bits)`);
  }
  return seconds;
}

/** ISO-8601 with a time and an offset: "2030-01-01T00:00:00Z", "2030-01-01T09:00+09:00" -> unix seconds. */
export function parseDate(text: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)$/.exec(
    text,
  );
  if (!m) {
    throw new RuleError(`${q(text)} is not an ISO-8601 date with a time and an offset, e.g. "2030-01-01T00:00:00Z"`);
  }
  const [, y, mo, d, h, mi, s = "0", frac, zone, sign, oh, om = "0"] = m;
  if (frac !== undefined && /[1-9]/.test(frac)) throw new RuleError(`${q(text)} is not a whole second`);
  const [Y, M, D, H, MI, S] = [y, mo, d, h, mi, s].map(Number);
  const ms = Date.UTC(Y, M - 1, D, H, MI, S);
  const back = new Date(ms);
  const offsetOk = zone === "Z" || (Number(oh) <= 23 && Number(om) <= 59);
  if (
    !offsetOk ||
    back.getUTCFullYear() !== Y ||
    back.getUTCMonth() !== M - 1 ||
    back.getUTCDate() !== D ||
    back.getUTCHours() !== H ||
    back.getUTCMinutes() !== MI ||
    back.getUTCSeconds() !== S
  ) {
    throw new RuleError(`${q(text)} is not a valid date`);
  }
  const offset = zone === "Z" ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  const seconds = BigInt(ms / 1000 - offset);
  if (seconds < 0n) throw new RuleError(`${q(text)} is before 1970-01-01T00:00:00Z`);
  return seconds;
}

/** A checksummed, or all-lower/all-upper-case, address. */
export function parseAddress(text: string): string {
  if (!isAddress(text)) {
    const looks = /^0x[0-9a-fA-F]{40}$/.test(text);
    throw new RuleError(
      looks ? `${q(text)} has a wrong checksum (check its letter case)` : `${q(text)} is not an address`,
    );
  }
  return getAddress(text);
}

/** "1500.25 TUSD". */
export function formatAmount(value: bigint, token: TokenUnits): string {
  return `${formatUnitsExact(value, token.decimals)} ${token.symbol}`;
}

/** 2500 -> "25%", 250 -> "2.5%". */
export function formatCut(bps: bigint | number): string {
  return `${formatUnitsExact(BigInt(bps), 2)}%`;
}

/** Seconds -> "1d 12h", "45s", "0s". */
export function formatDuration(seconds: bigint | number): string {
  let s = BigInt(seconds);
  if (s === 0n) return "0s";
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400n],
    ["h", 3_600n],
    ["m", 60n],
    ["s", 1n],
  ] as const) {
    if (s >= size) {
      parts.push(`${s / size}${unit}`);
      s %= size;
    }
  }
  return parts.join(" ");
}

/**
 * A metric value or threshold in the metric's unit (kpi/units.ts): availability 999000 -> "99.9%", latency
 * "300ms", resolution minutes "4h". `metric` is a spec, or a bare probe metric name; plain digits otherwise.
 */
export function formatMetricValue(metric: string | MetricSpec | undefined, value: bigint | number): string {
  const spec = typeof metric === "string" ? bareSpec(metric) : metric;
  return formatValue(spec === undefined ? undefined : unitOf(spec), value);
}
