/**
 * Node and Hardhat adapter for terms files: reading the file from disk, resolving the token it names on the
 * current network (by "ETH", an address, or a hardhat-deploy deployment's symbol or name), and checking it at
 * the chain's time. The rules themselves are the core's (scripts/lib/terms.ts).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Contract, ZeroAddress, getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { MetricSpecError, RuleError, TermsFileError } from "../lib/errors";
import type { MetricSpec } from "../lib/kpi/spec";
import { readMetricSpecFile } from "./metric-spec-file";
import { type ConvertedTerms, type TermsEnvironment, checkTerms } from "../lib/terms";
import { ERC20_METADATA, NATIVE_ETH, type ResolvedToken, tokenAt } from "../lib/token";
import { parseAddress } from "../lib/units";

type Json = Record<string, unknown>;
const q = (v: unknown): string => JSON.stringify(v);

/** An ERC-20's decimals and symbol on the current network (native ETH for address(0)). */
export function tokenOnNetwork(hre: HardhatRuntimeEnvironment, address: string): Promise<ResolvedToken> {
  return tokenAt(hre.ethers.provider, address, `network "${hre.network.name}"`);
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
    return tokenOnNetwork(hre, address);
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
  return tokenOnNetwork(hre, [...matches.keys()][0]);
}

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

/** Where a terms file's metric spec comes from: `--metric-spec` (wins), else the file's `metricSpec` (relative to it). */
export interface SpecSource {
  /** The terms file's path (its `metricSpec` is relative to its folder). */
  file?: string;
  /** A `--metric-spec` flag. */
  metricSpec?: string;
}

/** The metric spec of a terms file, or why it could not be read; undefined when there is none. */
export function termsSpecs(raw: unknown, from: SpecSource): MetricSpec[] | { error: string } | undefined {
  const named = raw !== null && typeof raw === "object" ? (raw as Json).metricSpec : undefined;
  let file: string | undefined;
  if (from.metricSpec) file = from.metricSpec;
  else if (typeof named === "string") file = path.resolve(path.dirname(from.file ?? "."), named);
  if (file === undefined) return undefined;
  try {
    return readMetricSpecFile(file, from.metricSpec ? "--metric-spec" : "metricSpec");
  } catch (err) {
    if (err instanceof MetricSpecError) return { error: err.errors.map((x) => `${err.file}: ${x}`).join("; ") };
    throw err;
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
  metricSpec?: string,
): Promise<ConvertedTerms> {
  const raw = readTermsJson(file);
  const result = await checkTermsOnChain(hre, raw, sender, { file, metricSpec });
  if (result.terms === undefined) throw new TermsFileError(file, result.errors);
  return result.terms;
}

/** {@link checkTerms} with the token resolved and the time read from the current network. */
export async function checkTermsOnChain(
  hre: HardhatRuntimeEnvironment,
  raw: unknown,
  sender: string,
  from: SpecSource = {},
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
  return checkTerms(raw, {
    token,
    sender,
    now: BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000)),
    specs: termsSpecs(raw, from),
  });
}
