/**
 * An agreement's history: every event the escrow emitted for ONE agreement, in chain order, with its block's
 * time, read through any ethers Provider (a Hardhat node, an RPC URL, a wallet's provider in the browser), and
 * one line in words per event, so that `sla:status --history` and the web page say the same thing.
 *
 * Every agreement event of the escrow (AgreementCreated, AgreementAccepted, AgreementCancelled,
 * TerminationRequested, AgreementTerminated, AttestationPosted, MilestoneDisputed, MilestoneSettled) has the
 * agreement id as its first indexed topic, so one `getLogs` per block range, filtered on [any of those event
 * topics, the id], finds them all. `Withdrawn` is left out: it names an account and a token, not an agreement
 * (a party's withdrawals mix the payments of all its agreements).
 *
 * Runtime imports only from ethers; the escrow's TypeChain type with `import type` only.
 */
import {
  type EventFragment,
  type Log,
  type ParamType,
  type Provider,
  type Result,
  toBeHex,
  zeroPadValue,
} from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import type { RawTerms } from "./model";
import { SETTLEMENT_KIND } from "./model";
import { type TokenUnits, formatAmount, formatCut, formatMetricValue } from "./units";
import type { MetricSpec } from "./kpi/spec";

/** The agreement events, in the order ISLAEscrow declares them. */
export const HISTORY_EVENTS = [
  "AgreementCreated",
  "AgreementAccepted",
  "AgreementCancelled",
  "TerminationRequested",
  "AgreementTerminated",
  "AttestationPosted",
  "MilestoneDisputed",
  "MilestoneSettled",
] as const;
export type HistoryEventName = (typeof HISTORY_EVENTS)[number];

/** How many blocks one `getLogs` asks for unless told otherwise (public RPCs often refuse much larger ranges). */
export const DEFAULT_BLOCK_RANGE = 5000;

/** Each event's named arguments, decoded (amounts, cuts, masks, durations as bigints; addresses checksummed). */
export interface HistoryArgs {
  AgreementCreated: {
    id: bigint;
    client: string;
    vendor: string;
    terms: RawTerms & { token: string; silentCutBps: bigint };
  };
  AgreementAccepted: { id: bigint };
  AgreementCancelled: { id: bigint; refund: bigint };
  TerminationRequested: { id: bigint; party: string };
  AgreementTerminated: { id: bigint; refund: bigint; refundedMilestones: bigint };
  AttestationPosted: {
    id: bigint;
    milestone: bigint;
    cutBps: bigint;
    values: bigint[];
    evidence: string;
    signerMask: bigint;
  };
  MilestoneDisputed: { id: bigint; milestone: bigint; party: string };
  MilestoneSettled: {
    id: bigint;
    milestone: bigint;
    kind: bigint;
    cutBps: bigint;
    toVendor: bigint;
    toClient: bigint;
  };
}

interface EntryBase {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  /** The block's timestamp (unix seconds). */
  timestamp: number;
  /** The milestone index, for the milestone events. */
  milestone?: number;
}

/** One event of the agreement: `args` narrows with `name`. */
export type HistoryEntry = {
  [K in HistoryEventName]: EntryBase & { name: K; args: HistoryArgs[K] };
}[HistoryEventName];

export interface HistoryProgress {
  /** The whole scan: from `fromBlock` to `toBlock`, both included. */
  fromBlock: number;
  toBlock: number;
  /** The last block scanned so far. */
  scannedTo: number;
  /** The agreement's events found so far. */
  events: number;
}

export interface HistoryOptions {
  /** The first block to scan (the escrow's deployment block, or 0). */
  fromBlock: number;
  /** The last block to scan, included (default: the latest block when the scan starts). */
  toBlock?: number;
  /** Blocks per `getLogs` (default {@link DEFAULT_BLOCK_RANGE}). */
  blockRange?: number;
  /** Called after each range is scanned. */
  onProgress?: (p: HistoryProgress) => void;
}

/** An ABI value as a plain value: tuples become objects of their named fields, arrays arrays; bigints stay. */
function plain(value: unknown, param: ParamType): unknown {
  if (param.isArray()) return [...(value as Result)].map((v) => plain(v, param.arrayChildren));
  if (param.isTuple()) {
    const out: Record<string, unknown> = {};
    param.components.forEach((c, i) => {
      out[c.name] = plain((value as Result)[i], c);
    });
    return out;
  }
  return value;
}

/**
 * Every event of agreement `id` on `escrow` between `opts.fromBlock` and `opts.toBlock`, in chain order (block
 * number, then log index). The escrow must be connected to a runner with a provider (a Provider, or a Signer
 * that has one). Block times are read once per distinct block.
 */
export async function agreementHistory(escrow: SLAEscrow, id: bigint, opts: HistoryOptions): Promise<HistoryEntry[]> {
  const provider: Provider | null | undefined = escrow.runner?.provider;
  if (provider === null || provider === undefined) throw new Error("agreementHistory: the escrow has no provider");
  const blockRange = opts.blockRange ?? DEFAULT_BLOCK_RANGE;
  if (!Number.isSafeInteger(blockRange) || blockRange < 1) {
    throw new Error(`agreementHistory: blockRange must be a whole number from 1, not ${blockRange}`);
  }
  const address = await escrow.getAddress();
  const iface = escrow.interface;
  const fragments = new Map<string, EventFragment>();
  for (const name of HISTORY_EVENTS) {
    const f = iface.getEvent(name);
    if (f === null) throw new Error(`agreementHistory: the escrow's ABI has no ${name} event`);
    fragments.set(f.topicHash, f);
  }
  const topics = [[...fragments.keys()], zeroPadValue(toBeHex(id), 32)];
  const fromBlock = opts.fromBlock;
  const toBlock = opts.toBlock ?? (await provider.getBlockNumber());

  const times = new Map<number, Promise<number>>();
  const timeOf = (block: number): Promise<number> => {
    let t = times.get(block);
    if (t === undefined) {
      t = provider.getBlock(block).then((b) => {
        if (b === null) throw new Error(`agreementHistory: block ${block} not found`);
        return b.timestamp;
      });
      times.set(block, t);
    }
    return t;
  };

  const entries: HistoryEntry[] = [];
  for (let start = fromBlock; start <= toBlock; start += blockRange) {
    const end = Math.min(start + blockRange - 1, toBlock);
    const logs: Log[] = await provider.getLogs({ address, topics, fromBlock: start, toBlock: end });
    const found = await Promise.all(
      logs
        .filter((log) => !log.removed && fragments.has(log.topics[0]))
        .map(async (log): Promise<HistoryEntry> => {
          const parsed = iface.parseLog({ topics: [...log.topics], data: log.data });
          if (parsed === null)
            throw new Error(`agreementHistory: cannot decode log ${log.index} of ${log.transactionHash}`);
          const args: Record<string, unknown> = {};
          parsed.fragment.inputs.forEach((input, i) => {
            args[input.name] = plain(parsed.args[i], input);
          });
          const entry = {
            name: parsed.name as HistoryEventName,
            blockNumber: log.blockNumber,
            logIndex: log.index,
            transactionHash: log.transactionHash,
            timestamp: await timeOf(log.blockNumber),
            ...(args.milestone === undefined ? {} : { milestone: Number(args.milestone) }),
            args,
          };
          return entry as unknown as HistoryEntry;
        }),
    );
    entries.push(...found);
    opts.onProgress?.({ fromBlock, toBlock, scannedTo: end, events: entries.length });
  }
  return entries.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
}

/*//////////////////////////////////////////////////////////////
                               IN WORDS
//////////////////////////////////////////////////////////////*/

/** What {describeEvent} needs to put an event in words. */
export interface DescribeContext {
  /** The agreement's token (amounts are shown in it). */
  token: TokenUnits;
  /** The metrics' specs (or bare probe names), in the agreement's order: attested values are shown in their units. */
  metrics?: readonly (MetricSpec | string)[];
  /** The agreement's parties and oracles: parties are then named by role, signer masks padded to the oracles. */
  terms?: { client: string; vendor: string; oracles: readonly string[] };
}

function party(address: string, ctx: DescribeContext): string {
  const t = ctx.terms;
  if (t !== undefined && address.toLowerCase() === t.client.toLowerCase()) return `the client ${address}`;
  if (t !== undefined && address.toLowerCase() === t.vendor.toLowerCase()) return `the vendor ${address}`;
  return address;
}

/** The set bits of `mask` (bit i = milestone i), ascending. */
function bits(mask: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; mask >> BigInt(i) > 0n; i++) if ((mask >> BigInt(i)) & 1n) out.push(i);
  return out;
}

/**
 * One event in words, e.g. `milestone 1 attested: values 994000, 600; cut 40%; evidence 0x...; signers 0b011` or
 * `milestone 1 settled (Attested): vendor 600 TUSD, client 400 TUSD`. Milestones are numbered from 0, as the
 * escrow numbers them. Pure.
 */
export function describeEvent(entry: HistoryEntry, ctx: DescribeContext): string {
  const amount = (v: bigint) => formatAmount(v, ctx.token);
  switch (entry.name) {
    case "AgreementCreated": {
      const { client, vendor, terms } = entry.args;
      const total = terms.milestones.reduce((s, m) => s + BigInt(m.amount), 0n);
      const n = terms.milestones.length;
      return `created by the client ${client} for the vendor ${vendor}: ${n} milestone${n === 1 ? "" : "s"}, ${amount(total)} funded`;
    }
    case "AgreementAccepted":
      return "accepted by the vendor";
    case "AgreementCancelled":
      return `cancelled by the client: ${amount(entry.args.refund)} refunded to the client`;
    case "TerminationRequested":
      return `termination requested by ${party(entry.args.party, ctx)}`;
    case "AgreementTerminated": {
      const refunded = bits(entry.args.refundedMilestones);
      const which =
        refunded.length === 0
          ? "no milestone refunded"
          : `milestone${refunded.length === 1 ? "" : "s"} ${refunded.join(", ")} refunded`;
      return `terminated: ${which}, ${amount(entry.args.refund)} to the client`;
    }
    case "AttestationPosted": {
      const a = entry.args;
      const specs = ctx.metrics;
      const values = a.values
        .map((v, i) => {
          const spec = specs?.[i];
          if (spec === undefined) return String(v);
          return `${typeof spec === "string" ? spec : spec.name} ${formatMetricValue(spec, v)}`;
        })
        .join(", ");
      const width = ctx.terms?.oracles.length ?? 0;
      const signers = `0b${a.signerMask.toString(2).padStart(width, "0")}`;
      return `milestone ${a.milestone} attested: values ${values}; cut ${formatCut(a.cutBps)}; evidence ${a.evidence}; signers ${signers}`;
    }
    case "MilestoneDisputed":
      return `milestone ${entry.args.milestone} disputed by ${party(entry.args.party, ctx)}`;
    case "MilestoneSettled": {
      const a = entry.args;
      const kind = SETTLEMENT_KIND[Number(a.kind)] ?? `kind ${a.kind}`;
      return `milestone ${a.milestone} settled (${kind}): vendor ${amount(a.toVendor)}, client ${amount(a.toClient)}`;
    }
    default: {
      const unknown: { name: string } = entry;
      return unknown.name;
    }
  }
}
