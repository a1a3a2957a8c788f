/**
 * Terms files: an agreement's terms written by people (JSON, human units) and their exact conversion to the
 * escrow's `ISLAEscrow.Terms` struct.
 *
 * Every on-chain rule of `contracts/libraries/TermsValidation.sol` (and of `createAgreement`'s funding checks
 * that depend on the file) is checked here first, so that a file that passes is never rejected by the chain for
 * its content; a few extra rules catch obvious mistakes (unknown fields, duplicate metrics, an arbitrator
 * without a dispute window). All errors are collected, each as `field.path: rule`.
 *
 * Format (see examples/terms.example.json and docs/operators.md):
 * ```
 * { "token": "TUSD" | "ETH" | "0x...",          amounts below are in this token's units
 *   "client": "0x..." (optional: the sending account), "vendor": "0x...", "arbitrator": "0x..." | null,
 *   "start": "2030-01-01T00:00:00Z",             ISO-8601 with an offset or Z
 *   "attestGrace": "3d", "disputeWindow": "2d", "arbitrationTimeout": "14d",   durations: w d h m s
 *   "silentCut": "100%",                         cuts: percent, exact to the basis point
 *   "oracles": ["0x...", ...], "threshold": 2,  oracles are sorted for you; duplicates are rejected
 *   "metrics": [{ "name": "availability_ppm", "tiers": [{ "threshold": "99.9%", "cut": "10%" }] }],
 *   "milestones": [{ "due": "2030-02-01T00:00:00Z", "amount": "1000" }]
 *     or "schedule": { "every": "30d", "count": 12, "amount": "1000", "first": "..." (optional) } }
 * ```
 *
 * Runtime imports only from Node and ethers: the Hardhat config loads this module through the tasks.
 */
import { readFileSync } from "node:fs";
import { Contract, ZeroAddress, getAddress, isAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/*//////////////////////////////////////////////////////////////
                     LIMITS (TermsValidation.sol)
//////////////////////////////////////////////////////////////*/

export const MAX_ORACLES = 16;
export const MAX_METRICS = 8;
export const MAX_TIERS = 8;
export const MAX_MILESTONES = 128;
export const MAX_BPS = 10_000n;
/** Due times are stored in 40 bits. */
export const MAX_DUE_AT = (1n << 40n) - 1n;
export const MAX_UINT32 = (1n << 32n) - 1n;
export const MAX_UINT128 = (1n << 128n) - 1n;

/*//////////////////////////////////////////////////////////////
                               TYPES
//////////////////////////////////////////////////////////////*/

/** `ISLAEscrow.Terms` with concrete types (assignable to TypeChain's `ISLAEscrow.TermsStruct`). */
export interface TermsValue {
  client: string;
  vendor: string;
  token: string;
  arbitrator: string;
  disputeWindow: bigint;
  attestGrace: bigint;
  arbitrationTimeout: bigint;
  silentCutBps: bigint;
  threshold: bigint;
  startAt: bigint;
  oracles: string[];
  metrics: { higherIsBetter: boolean; tiers: { threshold: bigint; cutBps: bigint }[] }[];
  milestones: { amount: bigint; dueAt: bigint }[];
}

/** A token as the files and tasks name it: native ETH is address(0). */
export interface ResolvedToken {
  address: string;
  symbol: string;
  decimals: number;
}

export const NATIVE_ETH: ResolvedToken = { address: ZeroAddress, symbol: "ETH", decimals: 18 };

/** A converted terms file. */
export interface ConvertedTerms {
  terms: TermsValue;
  token: ResolvedToken;
  /** Sum of the milestone amounts: the deposit, in the token's smallest unit. */
  total: bigint;
  /** The metric names, in the terms' metric order (the chain does not store them). */
  metricNames: string[];
}

/** What a terms file is checked against besides its own content. */
export interface TermsEnvironment {
  /** The file's token, resolved on chain, or why it could not be (see {@link resolveToken}). */
  token: ResolvedToken | { error: string } | undefined;
  /** The account that will send `createAgreement` (the escrow requires `client == msg.sender`). */
  sender: string;
  /** The chain's current time (latest block), in seconds. */
  now: bigint;
}

/** A rule that a value breaks; the caller adds the field path. */
export class RuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleError";
  }
}

/** A terms file that breaks rules: `errors` lists every one as `path: rule`. */
export class TermsFileError extends Error {
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(
      `${file}: ${errors.length} error${errors.length === 1 ? "" : "s"}, nothing was sent:\n` +
        errors.map((e) => `  ${e}`).join("\n"),
    );
    this.name = "TermsFileError";
  }
}

/*//////////////////////////////////////////////////////////////
                              METRICS
//////////////////////////////////////////////////////////////*/

/** The metrics the oracle computes (DESIGN.md), with the direction their names imply. */
export const METRIC_KINDS: Readonly<Record<string, { higherIsBetter: boolean; unit: "ppm" | "ms" }>> = {
  availability_ppm: { higherIsBetter: true, unit: "ppm" },
  latency_p50_ms: { higherIsBetter: false, unit: "ms" },
  latency_p95_ms: { higherIsBetter: false, unit: "ms" },
  latency_p99_ms: { higherIsBetter: false, unit: "ms" },
};

/*//////////////////////////////////////////////////////////////
                    VALUE PARSERS (throw RuleError)
//////////////////////////////////////////////////////////////*/

const q = (v: unknown): string => JSON.stringify(v);

/** An exact decimal `int.frac` scaled by 10^places, or a RuleError naming `what` when it has more places. */
function scaled(text: string, places: number, int: string, frac: string | undefined, finer: string): bigint {
  const f = (frac ?? "").replace(/0+$/, "");
  if (f.length > places) throw new RuleError(`${q(text)} is finer than ${finer}`);
  return BigInt(int) * 10n ** BigInt(places) + (places === 0 ? 0n : BigInt(f.padEnd(places, "0")));
}

/** "1500.25" in a token with `decimals` decimals -> 1500250000 (6 decimals). Exact; rejects extra decimals. */
export function parseAmount(text: string, token: Pick<ResolvedToken, "symbol" | "decimals">): bigint {
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
  if (bps > MAX_BPS) throw new RuleError(`${q(text)} is above 100%`);
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
  if (seconds > MAX_UINT32) {
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

/**
 * A metric threshold in natural units: availability as "99.9%" (-> 999000 ppm) or "999000ppm"; latencies as
 * "300ms" or "1.5s" (-> 1500). Exact; at most 100% / 2^32 - 1 ms.
 */
export function parseMetricThreshold(metric: string, text: string): bigint {
  const kind = METRIC_KINDS[metric];
  if (kind === undefined) throw new RuleError(`unknown metric ${q(metric)}`);
  if (kind.unit === "ppm") {
    const pct = /^(\d+)(?:\.(\d+))?%$/.exec(text);
    const ppm = /^(\d+)ppm$/.exec(text);
    let value: bigint;
    if (pct) value = scaled(text, 4, pct[1], pct[2], "1 ppm (0.0001%)");
    else if (ppm) value = BigInt(ppm[1]);
    else {
      throw new RuleError(`${q(text)} is not an availability like "99.9%" or "999000ppm" (parts per million)`);
    }
    if (value > 1_000_000n) throw new RuleError(`${q(text)} is above 100%`);
    return value;
  }
  const ms = /^(\d+)ms$/.exec(text);
  const s = /^(\d+)(?:\.(\d+))?s$/.exec(text);
  let value: bigint;
  if (ms) value = BigInt(ms[1]);
  else if (s) value = scaled(text, 3, s[1], s[2], "1 ms");
  else throw new RuleError(`${q(text)} is not a latency like "300ms" or "1.5s"`);
  if (value > MAX_UINT32) throw new RuleError(`${q(text)} is above ${MAX_UINT32}ms (the escrow stores 32 bits)`);
  return value;
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

/*//////////////////////////////////////////////////////////////
                             FORMATTERS
//////////////////////////////////////////////////////////////*/

/** An exact decimal rendering of `value` smallest units: 1500250000n, 6 -> "1500.25". */
export function formatUnitsExact(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const v = neg ? -value : value;
  const base = 10n ** BigInt(decimals);
  const frac = decimals === 0 ? "" : (v % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${v / base}${frac === "" ? "" : `.${frac}`}`;
}

/** "1500.25 TUSD". */
export function formatAmount(value: bigint, token: Pick<ResolvedToken, "symbol" | "decimals">): string {
  return `${formatUnitsExact(value, token.decimals)} ${token.symbol}`;
}

/** 2500 -> "25%", 250 -> "2.5%". */
export function formatCut(bps: bigint | number): string {
  return `${formatUnitsExact(BigInt(bps), 2)}%`;
}

/** Unix seconds -> "2030-01-01T00:00:00Z" (UTC, whole seconds). */
export function formatTime(seconds: bigint | number): string {
  const s = BigInt(seconds);
  if (s < 0n || s > 8_640_000_000_000n) return `${s} (unix time)`;
  return new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");
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

/** A metric value or threshold in the metric's natural unit: availability 999000 -> "99.9%", latency "300ms". */
export function formatMetricValue(metric: string | undefined, value: bigint | number): string {
  const kind = metric === undefined ? undefined : METRIC_KINDS[metric];
  if (kind?.unit === "ppm") return `${formatUnitsExact(BigInt(value), 4)}%`;
  if (kind?.unit === "ms") return `${value}ms`;
  return String(value);
}

/*//////////////////////////////////////////////////////////////
                        TOKEN RESOLUTION (chain)
//////////////////////////////////////////////////////////////*/

const ERC20_METADATA = ["function decimals() view returns (uint8)", "function symbol() view returns (string)"];

/** Reads an ERC-20's decimals and symbol (the symbol falls back to the address). */
export async function tokenAt(hre: HardhatRuntimeEnvironment, address: string): Promise<ResolvedToken> {
  if (address === ZeroAddress) return NATIVE_ETH;
  const code = await hre.ethers.provider.getCode(address);
  if (code === "0x") throw new RuleError(`no contract at ${address} on network "${hre.network.name}"`);
  const erc20 = new Contract(address, ERC20_METADATA, hre.ethers.provider);
  let decimals: number;
  try {
    decimals = Number(await erc20.getFunction("decimals").staticCall());
  } catch {
    throw new RuleError(`${address} does not answer decimals() (not an ERC-20?)`);
  }
  let symbol = address;
  try {
    symbol = String(await erc20.getFunction("symbol").staticCall());
  } catch {
    // bytes32 symbols (old tokens) and tokens without one: name it by its address
  }
  return { address, symbol, decimals };
}

/**
 * A token named by "ETH" (native), an address, or the symbol (or deployment name) of an ERC-20 deployed with
 * hardhat-deploy on the current network, e.g. "TUSD" -> the deployment "TestToken". Throws RuleError.
 */
export async function resolveToken(hre: HardhatRuntimeEnvironment, text: string): Promise<ResolvedToken> {
  if (text.toUpperCase() === "ETH") return NATIVE_ETH;
  if (/^0x/i.test(text)) {
    const address = parseAddress(text);
    if (address === ZeroAddress) return NATIVE_ETH;
    return tokenAt(hre, address);
  }
  const matches = new Map<string, string>(); // address -> deployment name
  const known: string[] = [];
  const all = await hre.deployments.all();
  for (const [name, deployment] of Object.entries(all)) {
    const abi = (deployment.abi ?? []) as { type?: string; name?: string }[];
    if (!abi.some((f) => f.type === "function" && f.name === "decimals")) continue;
    let symbol: string | undefined;
    if (abi.some((f) => f.type === "function" && f.name === "symbol")) {
      try {
        const c = new Contract(deployment.address, ERC20_METADATA, hre.ethers.provider);
        symbol = String(await c.getFunction("symbol").staticCall());
      } catch {
        symbol = undefined;
      }
    }
    if (symbol !== undefined) known.push(symbol);
    if (name.toLowerCase() === text.toLowerCase() || symbol?.toLowerCase() === text.toLowerCase()) {
      matches.set(getAddress(deployment.address), name);
    }
  }
  if (matches.size === 0) {
    const list = known.length === 0 ? "none" : known.join(", ");
    throw new RuleError(
      `${q(text)} is neither "ETH", an address, nor the symbol of a token deployed on network ` +
        `"${hre.network.name}" (deployed: ${list})`,
    );
  }
  if (matches.size > 1) {
    const list = [...matches]
      .map(([a, n]) => `${n} (${a})`)
      .sort()
      .join(", ");
    throw new RuleError(`${q(text)} names several deployments: ${list}; give the address instead`);
  }
  return tokenAt(hre, [...matches.keys()][0]);
}

/*//////////////////////////////////////////////////////////////
                         THE TERMS FILE CHECK
//////////////////////////////////////////////////////////////*/

type Json = Record<string, unknown>;

const TOP_FIELDS = [
  "description",
  "token",
  "client",
  "vendor",
  "arbitrator",
  "start",
  "attestGrace",
  "disputeWindow",
  "arbitrationTimeout",
  "silentCut",
  "oracles",
  "threshold",
  "metrics",
  "milestones",
  "schedule",
];

/** Collects `path: rule` errors. */
class Errors {
  readonly list: string[] = [];

  add(path: string, rule: string): void {
    this.list.push(`${path}: ${rule}`);
  }

  /** Runs a parser; a RuleError becomes an error at `path` and the result undefined. */
  run<T>(path: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (e instanceof RuleError) {
        this.add(path, e.message);
        return undefined;
      }
      throw e;
    }
  }

  /** `value` as an object, with unknown fields reported. */
  object(path: string, value: unknown, fields: readonly string[]): Json | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.add(path, `must be an object, got ${q(value)}`);
      return undefined;
    }
    const o = value as Json;
    for (const key of Object.keys(o)) {
      if (!fields.includes(key)) {
        this.add(path === "" ? key : `${path}.${key}`, `unknown field (known: ${fields.join(", ")})`);
      }
    }
    return o;
  }

  /** A required (or optional) string field. */
  string(path: string, value: unknown, example: string, required = true): string | undefined {
    if (value === undefined) {
      if (required) this.add(path, "is required");
      return undefined;
    }
    if (typeof value !== "string") {
      this.add(path, `must be a string like ${q(example)}, got ${q(value)}`);
      return undefined;
    }
    return value;
  }

  array(path: string, value: unknown): unknown[] | undefined {
    if (value === undefined) {
      this.add(path, "is required");
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(path, `must be a list, got ${q(value)}`);
      return undefined;
    }
    return value;
  }
}

function child(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
}

/**
 * Checks a parsed terms file against every rule and converts it exactly. Never throws for bad content:
 * returns every error instead (`terms` only when there are none).
 */
export function checkTerms(raw: unknown, env: TermsEnvironment): { terms?: ConvertedTerms; errors: string[] } {
  const e = new Errors();
  const o = e.object("", raw, TOP_FIELDS);
  if (o === undefined) return { errors: ["(file): must be a JSON object with the terms' fields"] };

  if (o.description !== undefined && typeof o.description !== "string") {
    e.add("description", `must be a string, got ${q(o.description)}`);
  }

  // ---- token ----
  let token: ResolvedToken | undefined;
  const tokenText = e.string("token", o.token, "TUSD");
  if (tokenText !== undefined) {
    if (env.token === undefined) e.add("token", `${q(tokenText)} could not be resolved`);
    else if ("error" in env.token) e.add("token", env.token.error);
    else token = env.token;
  }

  // ---- parties ----
  const sender = getAddress(env.sender);
  const addressField = (path: string, value: unknown, required: boolean): string | undefined => {
    const text = e.string(path, value, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", required);
    return text === undefined ? undefined : e.run(path, () => parseAddress(text));
  };
  let client: string | undefined = sender;
  if (o.client !== undefined) {
    client = addressField("client", o.client, false);
    if (client !== undefined && client !== sender) {
      e.add(
        "client",
        `${client} is not the sending account ${sender}; the client must send the proposal itself ` +
          `(choose the account with --from)`,
      );
      client = undefined;
    }
  }
  const vendor = addressField("vendor", o.vendor, true);
  if (vendor !== undefined) {
    if (vendor === ZeroAddress) e.add("vendor", "must not be the zero address");
    else if (vendor === sender) e.add("vendor", "must differ from client");
  }
  let arbitrator: string | undefined = ZeroAddress;
  if (o.arbitrator !== undefined && o.arbitrator !== null) {
    arbitrator = addressField("arbitrator", o.arbitrator, false);
    if (arbitrator === sender) e.add("arbitrator", "must differ from client");
    else if (arbitrator !== undefined && arbitrator === vendor && arbitrator !== ZeroAddress) {
      e.add("arbitrator", "must differ from vendor");
    }
  }
  const hasArbitrator = arbitrator !== undefined && arbitrator !== ZeroAddress;

  // ---- times and cuts ----
  const startText = e.string("start", o.start, "2030-01-01T00:00:00Z");
  const startAt = startText === undefined ? undefined : e.run("start", () => parseDate(startText));
  const duration = (path: string, value: unknown, required: boolean): bigint | undefined => {
    const text = e.string(path, value, "3d", required);
    if (text === undefined) return required ? undefined : 0n;
    return e.run(path, () => parseDuration32(text));
  };
  const attestGrace = duration("attestGrace", o.attestGrace, true);
  const disputeWindow = duration("disputeWindow", o.disputeWindow, hasArbitrator);
  const arbitrationTimeout = duration("arbitrationTimeout", o.arbitrationTimeout, hasArbitrator);
  if (hasArbitrator) {
    if (disputeWindow === 0n)
      e.add("disputeWindow", "must be more than 0 when there is an arbitrator (else nobody could dispute)");
    if (arbitrationTimeout === 0n) {
      e.add(
        "arbitrationTimeout",
        "must be more than 0 when there is an arbitrator (else the arbitrator has no time to decide)",
      );
    }
  }
  const silentText = e.string("silentCut", o.silentCut, "100%");
  const silentCutBps = silentText === undefined ? undefined : e.run("silentCut", () => parseCut(silentText));

  // ---- oracles ----
  let oracles: string[] | undefined;
  const oracleList = e.array("oracles", o.oracles);
  if (oracleList !== undefined) {
    if (oracleList.length === 0 || oracleList.length > MAX_ORACLES) {
      e.add("oracles", `must list 1 to ${MAX_ORACLES} addresses, got ${oracleList.length}`);
    }
    const seen = new Map<string, number>();
    let ok = true;
    oracleList.forEach((value, i) => {
      const path = child("oracles", i);
      const address = addressField(path, value, true);
      if (address === undefined) {
        ok = false;
        return;
      }
      if (address === ZeroAddress) {
        e.add(path, "must not be the zero address");
        ok = false;
        return;
      }
      const first = seen.get(address);
      if (first !== undefined) {
        e.add(path, `duplicates oracles[${first}] (${address})`);
        ok = false;
        return;
      }
      seen.set(address, i);
    });
    if (ok && oracleList.length > 0 && oracleList.length <= MAX_ORACLES) {
      oracles = [...seen.keys()].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    }
  }

  // ---- threshold ----
  let threshold: bigint | undefined;
  if (o.threshold === undefined) e.add("threshold", "is required");
  else if (typeof o.threshold !== "number" || !Number.isInteger(o.threshold)) {
    e.add("threshold", `must be a whole number of oracle signatures, got ${q(o.threshold)}`);
  } else if (oracleList !== undefined) {
    const n = oracleList.length;
    if (o.threshold < 1 || o.threshold > n) {
      e.add("threshold", `must be between 1 and the number of oracles (${n}), got ${o.threshold}`);
    } else threshold = BigInt(o.threshold);
  }

  // ---- metrics ----
  let metrics: TermsValue["metrics"] | undefined;
  const metricNames: string[] = [];
  const metricList = e.array("metrics", o.metrics);
  if (metricList !== undefined) {
    let ok = true;
    if (metricList.length === 0 || metricList.length > MAX_METRICS) {
      e.add("metrics", `must list 1 to ${MAX_METRICS} metrics, got ${metricList.length}`);
      ok = false;
    }
    const out: TermsValue["metrics"] = [];
    metricList.forEach((value, m) => {
      const path = child("metrics", m);
      const metric = e.object(path, value, ["name", "tiers"]);
      if (metric === undefined) {
        ok = false;
        return;
      }
      const name = e.string(child(path, "name"), metric.name, "availability_ppm");
      const kind = name === undefined ? undefined : METRIC_KINDS[name];
      if (name !== undefined && kind === undefined) {
        e.add(child(path, "name"), `${q(name)} is not a known metric (${Object.keys(METRIC_KINDS).join(", ")})`);
      } else if (name !== undefined) {
        const first = metricNames.indexOf(name);
        if (first >= 0) e.add(child(path, "name"), `${q(name)} is already metrics[${first}]`);
      }
      metricNames.push(name ?? "");
      const tiersPath = child(path, "tiers");
      const tierList = e.array(tiersPath, metric.tiers);
      if (tierList === undefined || kind === undefined || name === undefined) {
        ok = false;
        return;
      }
      if (tierList.length === 0 || tierList.length > MAX_TIERS) {
        e.add(tiersPath, `must list 1 to ${MAX_TIERS} tiers, got ${tierList.length}`);
        ok = false;
      }
      const tiers: { threshold: bigint; cutBps: bigint }[] = [];
      tierList.forEach((tierValue, t) => {
        const tierPath = child(tiersPath, t);
        const tier = e.object(tierPath, tierValue, ["threshold", "cut"]);
        if (tier === undefined) {
          ok = false;
          return;
        }
        const thresholdPath = child(tierPath, "threshold");
        const thresholdText = e.string(thresholdPath, tier.threshold, kind.unit === "ppm" ? "99.9%" : "300ms");
        const value =
          thresholdText === undefined
            ? undefined
            : e.run(thresholdPath, () => parseMetricThreshold(name, thresholdText));
        const cutText = e.string(child(tierPath, "cut"), tier.cut, "10%");
        const cutBps = cutText === undefined ? undefined : e.run(child(tierPath, "cut"), () => parseCut(cutText));
        if (value === undefined || cutBps === undefined) ok = false;
        else tiers.push({ threshold: value, cutBps });
      });
      out.push({ higherIsBetter: kind.higherIsBetter, tiers });
    });
    if (ok) metrics = out;
  }

  // ---- milestones ----
  const milestones = checkMilestones(e, o, token, startAt, env.now);

  if (e.list.length > 0) return { errors: e.list };
  const terms: TermsValue = {
    client: client as string,
    vendor: vendor as string,
    token: (token as ResolvedToken).address,
    arbitrator: arbitrator as string,
    disputeWindow: disputeWindow as bigint,
    attestGrace: attestGrace as bigint,
    arbitrationTimeout: arbitrationTimeout as bigint,
    silentCutBps: silentCutBps as bigint,
    threshold: threshold as bigint,
    startAt: startAt as bigint,
    oracles: oracles as string[],
    metrics: metrics as TermsValue["metrics"],
    milestones: milestones as TermsValue["milestones"],
  };
  const total = terms.milestones.reduce((sum, m) => sum + m.amount, 0n);
  return { terms: { terms, token: token as ResolvedToken, total, metricNames }, errors: [] };
}

/** The milestone list or the schedule shorthand, with every ordering and time rule. */
function checkMilestones(
  e: Errors,
  o: Json,
  token: ResolvedToken | undefined,
  startAt: bigint | undefined,
  now: bigint,
): TermsValue["milestones"] | undefined {
  // Amount syntax is checked even when the token is unknown (its decimals then are not).
  const amount = (path: string, value: unknown): bigint | undefined => {
    if (value !== undefined && typeof value !== "string") {
      e.add(path, `must be a string like "1500.25" (JSON numbers can lose precision), got ${q(value)}`);
      return undefined;
    }
    const text = e.string(path, value, "1500.25");
    if (text === undefined) return undefined;
    if (token === undefined) {
      // The token's decimals are unknown (its own error is reported): check the syntax only.
      if (!/^\d+(\.\d+)?$/.test(text)) e.add(path, `${q(text)} is not an amount like "1500.25"`);
      return undefined;
    }
    return e.run(path, () => parseAmount(text, token));
  };

  let dues: (bigint | undefined)[] = [];
  let amounts: (bigint | undefined)[] = [];
  /** Where to report a rule about milestone i's due time. */
  let duePath: (i: number) => string;
  /** How to name milestone i's due time in a message. */
  let dueName: (i: number) => string;

  if (o.milestones !== undefined && o.schedule !== undefined) {
    e.add("milestones", "give either milestones or schedule, not both");
    return undefined;
  }
  if (o.schedule !== undefined) {
    const s = e.object("schedule", o.schedule, ["every", "count", "amount", "first"]);
    if (s === undefined) return undefined;
    const everyText = e.string("schedule.every", s.every, "30d");
    let every = everyText === undefined ? undefined : e.run("schedule.every", () => parseDuration(everyText));
    if (every === 0n) {
      e.add("schedule.every", "must be more than 0");
      every = undefined;
    }
    let count: number | undefined;
    if (s.count === undefined) e.add("schedule.count", "is required");
    else if (typeof s.count !== "number" || !Number.isInteger(s.count) || s.count < 1 || s.count > MAX_MILESTONES) {
      e.add("schedule.count", `must be a whole number from 1 to ${MAX_MILESTONES}, got ${q(s.count)}`);
    } else count = s.count;
    const each = amount("schedule.amount", s.amount);
    let first: bigint | undefined;
    if (s.first !== undefined) {
      const firstText = e.string("schedule.first", s.first, "2030-02-01T00:00:00Z");
      first = firstText === undefined ? undefined : e.run("schedule.first", () => parseDate(firstText));
      if (first === undefined) return undefined;
    } else if (startAt !== undefined && every !== undefined) first = startAt + every;
    if (count === undefined || every === undefined || first === undefined) return undefined;
    const f = first;
    const step = every;
    dues = Array.from({ length: count }, (_, i) => f + BigInt(i) * step);
    amounts = dues.map(() => each);
    duePath = (i) => (i === 0 && s.first !== undefined ? "schedule.first" : "schedule");
    dueName = (i) => `milestone ${i}'s due time ${formatTime(dues[i] as bigint)}`;
  } else {
    if (o.milestones === undefined) {
      e.add("milestones", "is required (or give a schedule)");
      return undefined;
    }
    const list = e.array("milestones", o.milestones);
    if (list === undefined) return undefined;
    if (list.length === 0 || list.length > MAX_MILESTONES) {
      e.add("milestones", `must list 1 to ${MAX_MILESTONES} milestones, got ${list.length}`);
      return undefined;
    }
    list.forEach((value, i) => {
      const path = child("milestones", i);
      const m = e.object(path, value, ["due", "amount"]);
      if (m === undefined) {
        dues.push(undefined);
        amounts.push(undefined);
        return;
      }
      const dueText = e.string(child(path, "due"), m.due, "2030-02-01T00:00:00Z");
      dues.push(dueText === undefined ? undefined : e.run(child(path, "due"), () => parseDate(dueText)));
      amounts.push(amount(child(path, "amount"), m.amount));
    });
    duePath = (i) => `milestones[${i}].due`;
    dueName = (i) => formatTime(dues[i] as bigint);
  }

  // Due times: strictly ascending, the first in the future and after the start, the last storable.
  const first = dues[0];
  if (first !== undefined) {
    if (first <= now) e.add(duePath(0), `${dueName(0)} is not in the future (the chain's time is ${formatTime(now)})`);
    if (startAt !== undefined && startAt >= first) {
      e.add("start", `must be before the first milestone's due time (${formatTime(first)})`);
    }
  }
  let previous: { i: number; due: bigint } | undefined;
  dues.forEach((due, i) => {
    if (due === undefined) return;
    if (previous !== undefined && due <= previous.due) {
      e.add(duePath(i), `must be after milestones[${previous.i}].due`);
    }
    if (due > MAX_DUE_AT)
      e.add(duePath(i), `${dueName(i)} is after ${formatTime(MAX_DUE_AT)}, the latest the escrow stores`);
    previous = { i, due };
  });
  if (dues.some((d) => d === undefined) || amounts.some((a) => a === undefined) || token === undefined) {
    return undefined;
  }
  return dues.map((due, i) => ({ amount: amounts[i] as bigint, dueAt: due as bigint }));
}

/*//////////////////////////////////////////////////////////////
                           LOADING A FILE
//////////////////////////////////////////////////////////////*/

/** Reads and parses a JSON file; a missing or malformed file throws TermsFileError. */
export function readTermsJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TermsFileError(file, [`(file): cannot be read (${code ?? String(err)})`]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TermsFileError(file, [`(file): is not valid JSON (${(err as Error).message})`]);
  }
}

/**
 * Reads a terms file, resolves its token on the current network and checks it for `sender` at the chain's
 * current time. Throws TermsFileError listing every error.
 */
export async function loadTermsFile(
  hre: HardhatRuntimeEnvironment,
  file: string,
  sender: string,
): Promise<ConvertedTerms> {
  const raw = readTermsJson(file);
  const result = await checkTermsOnChain(hre, raw, sender);
  if (result.terms === undefined) throw new TermsFileError(file, result.errors);
  return result.terms;
}

/** {@link checkTerms} with the token resolved and the time read from the current network. */
export async function checkTermsOnChain(
  hre: HardhatRuntimeEnvironment,
  raw: unknown,
  sender: string,
): Promise<{ terms?: ConvertedTerms; errors: string[] }> {
  let token: TermsEnvironment["token"];
  const tokenField = raw !== null && typeof raw === "object" ? (raw as Json).token : undefined;
  if (typeof tokenField === "string") {
    try {
      token = await resolveToken(hre, tokenField);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      token = { error: err.message };
    }
  }
  const latest = await hre.ethers.provider.getBlock("latest");
  return checkTerms(raw, { token, sender, now: BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000)) });
}
