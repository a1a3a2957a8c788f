/**
 * `sla:status`: an agreement at a glance: its status, both parties' balances, and a table per milestone
 * (period, due time, status, attested values, cut, the vendor's and the client's amounts, what can happen next).
 * With --history, then every event of the agreement in chain order (scripts/lib/history.ts).
 */
import { ZeroAddress, getAddress } from "ethers";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { DEFAULT_BLOCK_RANGE, type HistoryEntry, agreementHistory, describeEvent } from "../lib/history";
import { acceptDeadline, attestWindow, milestoneActions } from "../lib/lifecycle";
import {
  AGREEMENT_STATUS,
  AgreementStatus,
  type AgreementTerms,
  MILESTONE_STATUS,
  MilestoneStatus,
  type MilestoneState,
  periodOf,
  readMilestone,
} from "../lib/model";
import { formatTime, latestBlockTime } from "../lib/time";
import { split } from "../lib/penalty";
import { type ResolvedToken } from "../lib/token";
import { formatAmount, formatCut, formatDuration, formatMetricValue, formatUnitsExact } from "../lib/units";
import { type MetricSpec, checkSpecsAgainstTerms, describeSpec } from "../lib/kpi/spec";
import { readMetricSpecFile } from "../adapters/metric-spec-file";
import {
  type EscrowArgs,
  type RunState,
  agreementOf,
  escrowContext,
  eventsFromBlock,
  parseId,
  runTask,
  say,
  table,
} from "./common";

interface StatusArgs {
  id?: string;
  escrow?: EscrowArgs["escrow"];
  history?: boolean;
  metricSpec?: string;
}

export interface MilestoneRow {
  index: number;
  periodStart: bigint;
  dueAt: bigint;
  amount: bigint;
  status: (typeof MILESTONE_STATUS)[number];
  /** How a settled milestone was settled: attested, arbitrated, arbitration timed out, silent, refunded. */
  settlement?: string;
  /** The attested values (from the AttestationPosted event), one per metric. */
  values?: bigint[];
  /** The attested cut while Attested or Disputed, the final cut once Settled. */
  cutBps?: bigint;
  /** Final once Settled; what the attested cut would give while Attested or Disputed. */
  toVendor?: bigint;
  toClient?: bigint;
  next: string;
}

export interface StatusReport {
  id: bigint;
  status: (typeof AGREEMENT_STATUS)[number];
  token: ResolvedToken;
  client: string;
  vendor: string;
  arbitrator: string;
  clientBalance: bigint;
  vendorBalance: bigint;
  terminationRequestedBy: string[];
  /** While Proposed: the acceptance deadline, the first milestone's due time (the vendor accepts before it). */
  acceptBefore?: bigint;
  milestones: MilestoneRow[];
  /** With --history: every event of the agreement, in chain order. */
  history?: HistoryEntry[];
}

const SETTLEMENT = ["attested", "arbitrated", "arbitration timed out", "silent"];

/** The "next" column: what the lifecycle rules (scripts/lib/lifecycle.ts) allow on the milestone, in words. */
function nextStep(
  terms: AgreementTerms,
  agreement: AgreementStatus,
  m: number,
  state: MilestoneState,
  now: number,
): string {
  const actions = milestoneActions(terms, agreement, m, state, now);
  const find = (name: string) => actions.find((x) => x.action === name);
  const settle = find("settle");
  switch (state.status) {
    case MilestoneStatus.Pending: {
      if (agreement === AgreementStatus.Proposed)
        return `waits for the vendor; refunded by settle after ${formatTime(attestWindow(terms, m).until)}`;
      const attest = find("attest");
      if (attest !== undefined)
        return now < attest.from
          ? `attest from ${formatTime(attest.from)}`
          : `attest until ${formatTime(attest.until as number)}`;
      return `settle now (silent cut ${formatCut(terms.silentCutBps)})`;
    }
    case MilestoneStatus.Attested:
      return find("dispute") !== undefined && settle !== undefined
        ? `dispute until ${formatTime(settle.from)}, settle from then`
        : "settle now";
    case MilestoneStatus.Disputed:
      return settle !== undefined && !settle.now
        ? `arbitrator resolves; else settle from ${formatTime(settle.from)}`
        : "arbitrator resolves, or settle now (attested cut)";
    default:
      return "-";
  }
}

async function status(args: StatusArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<StatusReport> {
  const id = parseId(args.id);
  const specs = args.metricSpec ? readMetricSpecFile(args.metricSpec) : undefined;
  const c = await escrowContext(hre, args);
  const { terms, token } = await agreementOf(c, id, run);
  if (specs) checkSpecsAgainstTerms(specs, terms.metrics, id, `--metric-spec ${args.metricSpec}`);
  const agreementStatus = AGREEMENT_STATUS[Number(await c.escrow.agreementStatus(id))];
  const now = await latestBlockTime(hre.ethers.provider);
  const from = await eventsFromBlock(c);

  const attested = new Map<number, bigint[]>();
  for (const e of await c.escrow.queryFilter(c.escrow.filters.AttestationPosted(id), from)) {
    // args[3] is `values` (a Result is an array: `.values` would be Array.prototype.values).
    const values = e.args[3] as unknown as bigint[];
    attested.set(
      Number(e.args.milestone),
      [...values].map((v) => BigInt(v)),
    );
  }
  const settled = new Map<number, { kind: bigint; cutBps: bigint; toVendor: bigint; toClient: bigint }>();
  for (const e of await c.escrow.queryFilter(c.escrow.filters.MilestoneSettled(id), from)) {
    settled.set(Number(e.args.milestone), {
      kind: e.args.kind,
      cutBps: e.args.cutBps,
      toVendor: e.args.toVendor,
      toClient: e.args.toClient,
    });
  }
  const terminationRequestedBy = (await c.escrow.queryFilter(c.escrow.filters.TerminationRequested(id), from)).map(
    (e) => getAddress(e.args.party),
  );

  const milestones: MilestoneRow[] = [];
  const stored = Number(await c.escrow.agreementStatus(id)) as AgreementStatus;
  for (let i = 0; i < terms.milestones.length; i++) {
    const { amount, dueAt } = terms.milestones[i];
    const state = await readMilestone(c.escrow, id, i);
    const period = periodOf(terms, i);
    const row: MilestoneRow = {
      index: i,
      periodStart: BigInt(period.start),
      dueAt: BigInt(dueAt),
      amount,
      status: MILESTONE_STATUS[state.status],
      values: attested.get(i),
      next: nextStep(terms, stored, i, state, now),
    };
    if (state.status === MilestoneStatus.Settled) {
      const s = settled.get(i);
      row.cutBps = BigInt(state.cutBps);
      if (s === undefined) {
        row.settlement = "refunded";
        row.toVendor = 0n;
        row.toClient = amount;
      } else {
        row.settlement = SETTLEMENT[Number(s.kind)];
        row.toVendor = s.toVendor;
        row.toClient = s.toClient;
      }
    } else if (state.status !== MilestoneStatus.Pending) {
      row.cutBps = BigInt(state.cutBps);
      const { toVendor, toClient } = split(amount, state.cutBps);
      row.toVendor = toVendor;
      row.toClient = toClient;
    }
    milestones.push(row);
  }

  const report: StatusReport = {
    id,
    status: agreementStatus,
    token,
    client: terms.client,
    vendor: terms.vendor,
    arbitrator: terms.arbitrator,
    clientBalance: await c.escrow.balanceOf(terms.client, token.address),
    vendorBalance: await c.escrow.balanceOf(terms.vendor, token.address),
    terminationRequestedBy,
    ...(agreementStatus === "Proposed" ? { acceptBefore: BigInt(acceptDeadline(terms)) } : {}),
    milestones,
  };
  print(
    report,
    terms.milestones.reduce((s, m) => s + m.amount, 0n),
    BigInt(now),
    specs,
  );
  if (args.history === true) {
    const toBlock = await hre.ethers.provider.getBlockNumber();
    const ranges = Math.ceil((toBlock - from + 1) / DEFAULT_BLOCK_RANGE);
    const history = await agreementHistory(c.escrow, id, {
      fromBlock: from,
      toBlock,
      blockRange: DEFAULT_BLOCK_RANGE,
      onProgress:
        ranges > 1
          ? (p) =>
              say(
                `  scanning blocks ${p.fromBlock}..${p.scannedTo} of ${p.fromBlock}..${p.toBlock} (${p.events} events so far)`,
              )
          : undefined,
    });
    report.history = history;
    printHistory(history, { token, terms });
  }
  return report;
}

function printHistory(history: HistoryEntry[], ctx: Parameters<typeof describeEvent>[1]): void {
  say("");
  say("history:");
  if (history.length === 0) say("  no events");
  const width = Math.max(0, ...history.map((e) => String(e.blockNumber).length));
  for (const e of history) {
    const block = `block ${String(e.blockNumber).padStart(width)}`;
    say(`  ${block}  ${formatTime(e.timestamp)}  ${e.transactionHash.slice(0, 10)}  ${describeEvent(e, ctx)}`);
  }
}

function print(r: StatusReport, total: bigint, now: bigint, specs: readonly MetricSpec[] | undefined): void {
  const units = (v: bigint | undefined): string => (v === undefined ? "-" : formatUnitsExact(v, r.token.decimals));
  say(`agreement ${r.id}: ${r.status} (chain time ${formatTime(now)})`);
  say(
    `  token       ${r.token.symbol}${r.token.address === ZeroAddress ? "" : ` ${r.token.address}`}; total ${formatAmount(total, r.token)}`,
  );
  say(`  client      ${r.client}: ${formatAmount(r.clientBalance, r.token)} to withdraw`);
  say(`  vendor      ${r.vendor}: ${formatAmount(r.vendorBalance, r.token)} to withdraw`);
  say(`  arbitrator  ${r.arbitrator === ZeroAddress ? "none" : r.arbitrator}`);
  if (r.acceptBefore !== undefined) {
    const deadline = formatTime(r.acceptBefore);
    say(
      now < r.acceptBefore
        ? `  acceptance  the vendor can accept before ${deadline} (the first milestone's due time), ` +
            `${formatDuration(r.acceptBefore - now)} from now`
        : `  acceptance  closed at ${deadline} (the first milestone's due time): the vendor can no longer accept; ` +
            `the client can cancel, and each milestone refunds itself after its grace`,
    );
  }
  if (r.terminationRequestedBy.length > 0) {
    const who = r.terminationRequestedBy.map((a) => (a === r.client ? "client" : "vendor")).join(" and ");
    say(`  termination requested by the ${who}`);
  }
  if (specs) {
    say("  metrics     (attested values below in this order)");
    specs.forEach((spec, i) => say(`    ${i}  ${spec.name}: ${describeSpec(spec)} (${spec.kind.kind})`));
  }
  say("");
  const projected = r.milestones.some((m) => m.status === "Attested" || m.status === "Disputed");
  const rows = r.milestones.map((m) => {
    const estimate = m.status === "Attested" || m.status === "Disputed" ? "*" : "";
    return [
      String(m.index),
      formatTime(m.periodStart),
      formatTime(m.dueAt),
      units(m.amount),
      m.settlement === undefined ? m.status : `${m.status} (${m.settlement})`,
      m.values === undefined
        ? "-"
        : m.values.map((v, i) => (specs ? formatMetricValue(specs[i], v) : String(v))).join(", "),
      m.cutBps === undefined ? "-" : formatCut(m.cutBps),
      units(m.toVendor) + estimate,
      units(m.toClient) + estimate,
      m.next,
    ];
  });
  const sym = r.token.symbol;
  for (const line of table(
    [
      "#",
      "period from",
      "due",
      `amount (${sym})`,
      "status",
      "attested values",
      "cut",
      `vendor (${sym})`,
      `client (${sym})`,
      "next",
    ],
    rows,
    [0, 3, 6, 7, 8],
  )) {
    say(`  ${line}`);
  }
  if (projected) say("  * if settled with the attested cut");
}

task("sla:status", "Shows an agreement: status, balances and a table of its milestones (read-only)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam("escrow", "the escrow's address (default: the SLAEscrow deployment)", undefined, types.string)
  .addFlag("history", "also list every event of the agreement, in chain order (scanned from the deployment block)")
  .addOptionalParam(
    "metricSpec",
    "the agreement's metric spec (JSON): names the metrics and shows the attested values in their units",
    undefined,
    types.string,
  )
  .setAction(runTask(status));
