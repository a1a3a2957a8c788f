/**
 * What every `sla:*` task shares: the failure wrapper (a message on stderr, exit code 1, no stack trace), the
 * account chosen by --from, flag parsing, simulating then sending escrow transactions with progress lines,
 * and plain-text tables.
 *
 * Loaded by hardhat.config.ts (through ./index.ts) before anything is compiled: runtime imports only from
 * Node, ethers and modules that follow the same rule; TypeChain types with `import type` only.
 */
import { createInterface } from "node:readline";
import {
  Contract,
  type Interface,
  type LogDescription,
  type Result,
  type TransactionReceipt,
  ZeroAddress,
  getAddress,
  isAddress,
} from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { SLAEscrow } from "../../typechain-types";
import { UserError } from "../lib/errors";
import { escrowInterface, getEscrow } from "../adapters/escrow";
import { describeFailure } from "../adapters/failures";
import type { ExplainContext } from "../lib/explain";
import { type ResolvedToken } from "../lib/token";
import { RuleError } from "../lib/errors";
import { type AgreementTerms, type RawTerms, toTerms } from "../lib/model";
import { formatAmount, formatCut, parseAddress } from "../lib/units";
import { resolveToken, tokenOnNetwork } from "../adapters/terms-file";

/*//////////////////////////////////////////////////////////////
                           OUTPUT AND FAILURE
//////////////////////////////////////////////////////////////*/

/** A normal output line (stdout). */
export function say(line = ""): void {
  console.log(line);
}

/** What a running task has learnt that helps explain a failure (set as soon as the token is known). */
export interface RunState {
  explain: ExplainContext;
}

/** How to render amounts of `token` in explanations. */
export function explainFor(token: ResolvedToken): ExplainContext {
  return {
    amount: (value, t) =>
      t === undefined || getAddress(t) === getAddress(token.address)
        ? formatAmount(value, token)
        : t === ZeroAddress
          ? formatAmount(value, { symbol: "ETH", decimals: 18 })
          : `${value} (smallest units)`,
    tokenName: (t) => (getAddress(t) === getAddress(token.address) ? token.symbol : t === ZeroAddress ? "ETH" : t),
  };
}

/**
 * Wraps a task body: a failure the user can act on (bad input, a rejected call) prints `error: ...` on stderr
 * and sets the exit code to 1, without a stack trace; anything else (a bug) propagates to Hardhat.
 */
export function runTask<A, R>(
  body: (args: A, hre: HardhatRuntimeEnvironment, run: RunState) => Promise<R>,
): (args: A, hre: HardhatRuntimeEnvironment) => Promise<R | undefined> {
  return async (args, hre) => {
    const run: RunState = { explain: {} };
    try {
      return await body(args, hre, run);
    } catch (err) {
      const message = await describeFailure(err, hre, run.explain);
      if (message === undefined) throw err;
      console.error(`error: ${message}`);
      process.exitCode = 1;
      return undefined;
    }
  };
}

/*//////////////////////////////////////////////////////////////
                                FLAGS
//////////////////////////////////////////////////////////////*/

/** The common flags: --escrow and --from. */
export interface EscrowArgs {
  escrow?: string;
  from?: string;
}

/** --from: an index into the network's accounts, or one of their addresses; default account 0. */
export async function pickSigner(hre: HardhatRuntimeEnvironment, from?: string): Promise<HardhatEthersSigner> {
  const signers = await hre.ethers.getSigners();
  const net = `network "${hre.network.name}"`;
  if (signers.length === 0) throw new UserError(`${net} has no accounts: configure some in hardhat.config.ts`);
  if (from === undefined || from === "") return signers[0];
  if (/^\d+$/.test(from)) {
    const i = Number(from);
    if (i >= signers.length) {
      throw new UserError(
        `--from: account ${i} does not exist; ${net} has ${signers.length} (0 to ${signers.length - 1})`,
      );
    }
    return signers[i];
  }
  if (isAddress(from)) {
    const address = getAddress(from);
    const signer = signers.find((s) => s.address === address);
    if (signer === undefined) throw new UserError(`--from: ${address} is not one of the accounts of ${net}`);
    return signer;
  }
  throw new UserError(`--from: "${from}" is neither an account index nor an address`);
}

/**
 * A flag the task needs. Hardhat's own "required parameter" check would print a stack trace on CI machines, so
 * every flag is declared optional and checked here instead.
 */
export function required(value: string | undefined, name: string, example: string): string {
  if (value === undefined || value === "") throw new UserError(`${name} is required, e.g. ${name} ${example}`);
  return value;
}

/** --id: an agreement id (a whole number from 1). */
export function parseId(text: string | undefined, name = "--id"): bigint {
  const value = required(text, name, "1");
  if (!/^\d+$/.test(value) || BigInt(value) === 0n) {
    throw new UserError(`${name}: "${value}" is not an agreement id (a whole number from 1)`);
  }
  return BigInt(value);
}

/** --milestone: a milestone index (a whole number from 0). */
export function parseMilestone(text: string | undefined, name = "--milestone"): bigint {
  const value = required(text, name, "0");
  if (!/^\d+$/.test(value)) throw new UserError(`${name}: "${value}" is not a milestone index (a whole number from 0)`);
  return BigInt(value);
}

/** Runs a value parser of terms-file.ts for a flag: its RuleError becomes a UserError naming the flag. */
export function flag<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof RuleError) throw new UserError(`${name}: ${e.message}`);
    throw e;
  }
}

/** --token: "ETH", an address or a deployed token's symbol. */
export async function tokenFlag(hre: HardhatRuntimeEnvironment, text: string | undefined): Promise<ResolvedToken> {
  const value = required(text, "--token", "TUSD");
  try {
    return await resolveToken(hre, value);
  } catch (e) {
    if (e instanceof RuleError) throw new UserError(`--token: ${e.message}`);
    throw e;
  }
}

/** --to and similar address flags. */
export function addressFlag(name: string, text: string): string {
  return flag(name, () => parseAddress(text));
}

/** Asks a yes/no question on stdin (EOF or anything but y/yes is no). `prompt.input` replaces stdin in tests. */
export const prompt: { input?: NodeJS.ReadableStream } = {};

export function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: prompt.input ?? process.stdin, output: process.stdout, terminal: false });
  return new Promise((resolve) => {
    let answered = false;
    rl.on("close", () => {
      if (!answered) resolve(false);
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

/*//////////////////////////////////////////////////////////////
                          ESCROW TRANSACTIONS
//////////////////////////////////////////////////////////////*/

/** The escrow on this network, its interface and (for state-changing tasks) the acting account. */
export interface EscrowContext {
  hre: HardhatRuntimeEnvironment;
  escrow: SLAEscrow;
  address: string;
  iface: Interface;
}

export interface SignerContext extends EscrowContext {
  signer: HardhatEthersSigner;
}

export async function escrowContext(hre: HardhatRuntimeEnvironment, args: EscrowArgs): Promise<EscrowContext> {
  const escrow = await getEscrow(hre, args.escrow);
  const address = await escrow.getAddress();
  return { hre, escrow, address, iface: await escrowInterface(hre) };
}

export async function signerContext(hre: HardhatRuntimeEnvironment, args: EscrowArgs): Promise<SignerContext> {
  const signer = await pickSigner(hre, args.from);
  return { ...(await escrowContext(hre, args)), signer };
}

/** A confirmed escrow transaction: the function's simulated result and the escrow's events. */
export interface Sent {
  hash: string;
  receipt: TransactionReceipt;
  result: Result;
  events: LogDescription[];
}

/** Calls `fn(args)` from the acting account without sending it: its result, or the rejection it would meet. */
export async function simulate(c: SignerContext, fn: string, args: readonly unknown[], value = 0n): Promise<Result> {
  const returned = await c.signer.call({ to: c.address, data: c.iface.encodeFunctionData(fn, args), value });
  return c.iface.decodeFunctionResult(fn, returned);
}

/**
 * Simulates `fn(args)` from the acting account (a rejection throws before anything is sent, and is explained
 * by the task wrapper), then sends it and waits for it, printing progress lines prefixed with `label`.
 */
export async function send(
  c: SignerContext,
  label: string,
  fn: string,
  args: readonly unknown[],
  value = 0n,
): Promise<Sent> {
  const tx = { to: c.address, data: c.iface.encodeFunctionData(fn, args), value };
  const result = await simulate(c, fn, args, value);
  const response = await c.signer.sendTransaction(tx);
  say(`${label}: sent ${response.hash} from ${c.signer.address}`);
  const receipt = await response.wait();
  if (receipt === null || receipt.status !== 1) throw new UserError(`${label}: transaction ${response.hash} failed`);
  say(`${label}: confirmed in block ${receipt.blockNumber} (gas ${receipt.gasUsed})`);
  return { hash: response.hash, receipt, result, events: escrowEvents(c, receipt) };
}

/** The escrow's events in a receipt, decoded. */
export function escrowEvents(c: EscrowContext, receipt: TransactionReceipt): LogDescription[] {
  const out: LogDescription[] = [];
  for (const log of receipt.logs) {
    if (getAddress(log.address) !== getAddress(c.address)) continue;
    const parsed = c.iface.parseLog(log);
    if (parsed) out.push(parsed);
  }
  return out;
}

/** The token of agreement `id` (AgreementNotFound is explained by the wrapper). */
export async function agreementToken(c: EscrowContext, id: bigint): Promise<ResolvedToken> {
  const terms = await c.escrow.getTerms(id);
  return tokenOnNetwork(c.hre, getAddress(terms.token));
}

/** The block to scan the escrow's events from: its deployment's block when hardhat-deploy knows it, else 0. */
export async function eventsFromBlock(c: EscrowContext): Promise<number> {
  const deployment = await c.hre.deployments.getOrNull("SLAEscrow");
  if (deployment && getAddress(deployment.address) === getAddress(c.address)) {
    return deployment.receipt?.blockNumber ?? 0;
  }
  return 0;
}

/** An ERC-20 with the functions the tasks use (approve, permit data), connected to `runner`. */
export function erc20(address: string, runner: HardhatEthersSigner): Contract {
  return new Contract(
    address,
    [
      "function balanceOf(address) view returns (uint256)",
      "function allowance(address owner, address spender) view returns (uint256)",
      "function approve(address spender, uint256 value) returns (bool)",
      "function name() view returns (string)",
      "function nonces(address owner) view returns (uint256)",
      "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, " +
        "address verifyingContract, bytes32 salt, uint256[] extensions)",
    ],
    runner,
  );
}

/** Agreement `id`'s terms, as the core models them (AgreementNotFound is explained by the wrapper). */
export async function readTerms(c: EscrowContext, id: bigint): Promise<AgreementTerms> {
  return toTerms(id, (await c.escrow.getTerms(id)) as unknown as RawTerms);
}

/** Agreement `id`'s terms and token; the token's units become the error explanations' (`run.explain`). */
export async function agreementOf(
  c: EscrowContext,
  id: bigint,
  run: RunState,
): Promise<{ terms: AgreementTerms; token: ResolvedToken }> {
  const terms = await readTerms(c, id);
  const token = await tokenOnNetwork(c.hre, terms.token);
  run.explain = explainFor(token);
  return { terms, token };
}

/** Prints the MilestoneSettled events among `events`. */
export function reportSettled(events: { name: string; args: readonly unknown[] }[], token: ResolvedToken): void {
  const kinds = ["attested cut", "arbitrator's cut", "attested cut, the arbitrator stayed silent", "silent cut"];
  for (const e of events) {
    if (e.name !== "MilestoneSettled") continue;
    const [id, milestone, kind, cutBps, toVendor, toClient] = e.args as [
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    say(
      `milestone ${milestone} of agreement ${id} settled (${kinds[Number(kind)]} ${formatCut(cutBps)}): ` +
        `${formatAmount(toVendor, token)} to the vendor, ${formatAmount(toClient, token)} to the client`,
    );
  }
}

/** How to name a token on the command line. */
export function withdrawName(token: { address: string; symbol: string }): string {
  return token.address === ZeroAddress ? "ETH" : token.address;
}

/*//////////////////////////////////////////////////////////////
                               TABLES
//////////////////////////////////////////////////////////////*/

/** Aligns rows into columns (two spaces apart); the columns in `right` are right-aligned. */
export function table(header: string[], rows: string[][], right: number[] = []): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) =>
    r
      .map((cell, i) => (right.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd(),
  );
}
