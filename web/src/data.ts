/**
 * Chain reads for the pages, all through the core: an agreement's terms, states, token, history and the
 * account's balance, refreshed as blocks arrive; metric names (the chain stores none) remembered per agreement.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { Provider } from "ethers";
import {
  type AgreementStatus,
  type AgreementTerms,
  type HistoryArgs,
  type HistoryEntry,
  type MetricSpec,
  type MilestoneState,
  type MilestoneStatus,
  type ResolvedToken,
  agreementHistory,
  bareSpec,
  derivedStatus,
  nextBlockTime,
  parseSpec,
  readTerms,
  tokenAt,
} from "../../scripts/lib";
import { useSession } from "./session";
import type { SLAEscrow } from "../../typechain-types";

function useBlockQuery() {
  const { provider, chainId } = useSession();
  return useQuery({
    queryKey: ["block", chainId, provider !== undefined],
    queryFn: () => (provider as Provider).getBlockNumber(),
    enabled: provider !== undefined,
    refetchInterval: 1000,
    retry: false,
  });
}

/** The latest block number, polled every second: every chain read below is keyed on it. */
export function useBlockNumber(): number | undefined {
  return useBlockQuery().data;
}

/** Why the chain cannot be read right now (the RPC or the wallet's node is unreachable), or undefined. */
export function useChainError(): unknown {
  const { error, isError } = useBlockQuery();
  return isError ? error : undefined;
}

export interface AgreementData {
  terms: AgreementTerms;
  status: AgreementStatus;
  milestones: MilestoneState[];
  token: ResolvedToken;
  history: HistoryEntry[];
  /** The latest attestation of each milestone. */
  attestations: Map<number, HistoryArgs["AttestationPosted"]>;
  /** The parties that asked to terminate. */
  requestedBy: string[];
  /** The earliest block.timestamp the next transaction can see. */
  now: number;
  /** The connected account's balance in the agreement's token. */
  balance?: bigint;
  /** How long the reads took, in ms (the browser test prints it). */
  loadMs: number;
  /** performance.now() when the data arrived. */
  loadedAt: number;
}

/** The agreement's stored status and every milestone's state, in one eth_call (the escrow's multicall of views). */
export async function readStates(
  escrow: SLAEscrow,
  id: bigint,
  count: number,
): Promise<{ stored: AgreementStatus; milestones: MilestoneState[] }> {
  const iface = escrow.interface;
  const results = await escrow.multicall.staticCall([
    iface.encodeFunctionData("agreementStatus", [id]),
    ...Array.from({ length: count }, (_, i) => iface.encodeFunctionData("milestoneInfo", [id, i])),
  ]);
  const stored = Number(iface.decodeFunctionResult("agreementStatus", results[0])[0]) as AgreementStatus;
  const milestones = results.slice(1).map((data): MilestoneState => {
    const [status, cutBps, attestedAt, disputedAt] = iface.decodeFunctionResult("milestoneInfo", data);
    return {
      status: Number(status) as MilestoneStatus,
      cutBps: Number(cutBps),
      attestedAt: Number(attestedAt),
      disputedAt: Number(disputedAt),
    };
  });
  return { stored, milestones };
}

export async function loadAgreement(
  escrow: SLAEscrow,
  provider: Provider,
  id: bigint,
  fromBlock: number,
  account?: string,
): Promise<AgreementData> {
  const started = performance.now();
  const terms = await readTerms(escrow, id, "Agreement");
  const [{ stored, milestones }, token, history, now, balance] = await Promise.all([
    readStates(escrow, id, terms.milestones.length),
    tokenAt(provider, terms.token),
    agreementHistory(escrow, id, { fromBlock }),
    nextBlockTime(provider),
    account === undefined ? Promise.resolve(undefined) : escrow.balanceOf(account, terms.token),
  ]);
  const attestations = new Map<number, HistoryArgs["AttestationPosted"]>();
  const requestedBy: string[] = [];
  for (const e of history) {
    if (e.name === "AttestationPosted") attestations.set(Number(e.args.milestone), e.args);
    if (e.name === "TerminationRequested") requestedBy.push(e.args.party);
  }
  return {
    terms,
    status: derivedStatus(stored, milestones),
    milestones,
    token,
    history,
    attestations,
    requestedBy,
    now,
    ...(balance === undefined ? {} : { balance }),
    loadMs: performance.now() - started,
    loadedAt: performance.now(),
  };
}

export function useAgreement(id: bigint) {
  const { escrow, provider, deployment, account, chainId } = useSession();
  const block = useBlockNumber();
  return useQuery({
    queryKey: ["agreement", chainId, deployment?.escrow, id.toString(), account, block],
    queryFn: () => loadAgreement(escrow as SLAEscrow, provider as Provider, id, deployment?.deployBlock ?? 0, account),
    enabled: escrow !== undefined && provider !== undefined && block !== undefined,
    placeholderData: keepPreviousData,
  });
}

const metricKey = (chainId: number, escrow: string, id: bigint) =>
  `sla-escrow:metrics:${chainId}:${escrow.toLowerCase()}:${id}`;

/**
 * The metric specs of an agreement (name, kind, parameters: so values show in their units), as given when it was
 * created here or learnt from a verified report. Stored as the specs' JSON; a bare probe name stands for its spec.
 */
export function metricSpecsOf(
  chainId: number | undefined,
  escrow: string | undefined,
  id: bigint,
): MetricSpec[] | undefined {
  if (chainId === undefined || escrow === undefined) return undefined;
  try {
    const raw = localStorage.getItem(metricKey(chainId, escrow, id));
    const list: unknown = raw === null ? undefined : JSON.parse(raw);
    if (!Array.isArray(list)) return undefined;
    return list.map((x: unknown, i) => {
      const spec = typeof x === "string" ? bareSpec(x) : parseSpec(x, `metric ${i}`);
      if (spec === undefined) throw new Error("unknown metric");
      return spec;
    });
  } catch {
    return undefined; // unknown or stale: the page then shows the bare integers
  }
}

/** Remembers an agreement's metric specs, as JSON in the spec file's shape (`specJson`, or a report's `spec`s). */
export function rememberMetricSpecs(
  chainId: number,
  escrow: string,
  id: bigint,
  specs: readonly Record<string, unknown>[],
): void {
  try {
    localStorage.setItem(metricKey(chainId, escrow, id), JSON.stringify(specs));
  } catch {
    // storage full or disabled: the page then shows the bare integers
  }
}
