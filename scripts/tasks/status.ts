/**
 * `sla:status`: an agreement at a glance: its status, both parties' balances, and a table per milestone
 * (period, due time, status, attested values, cut, the vendor's and the client's amounts, what can happen next).
 */
import { ZeroAddress, getAddress } from "ethers";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AGREEMENT_STATUS, MILESTONE_STATUS } from "../lib/explain";
import { split } from "../lib/penalty";
import {
  type ResolvedToken,
  formatAmount,
  formatCut,
  formatDuration,
  formatTime,
  formatUnitsExact,
  tokenAt,
} from "../lib/terms-file";
import {
  type EscrowArgs,
  type RunState,
  chainNow,
  escrowContext,
  eventsFromBlock,
  explainFor,
  parseId,
  readTerms,
  runTask,
  say,
  table,
} from "./common";

interface StatusArgs {
  id?: string;
  escrow?: EscrowArgs["escrow"];
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
}

const SETTLEMENT = ["attested", "arbitrated", "arbitration timed out", "silent"];

async function status(args: StatusArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<StatusReport> {
  const id = parseId(args.id);
  const c = await escrowContext(hre, args);
  const terms = await readTerms(c, id);
  const token = await tokenAt(hre, terms.token);
  run.explain = explainFor(token);
  const agreementStatus = AGREEMENT_STATUS[Number(await c.escrow.agreementStatus(id))];
  const now = await chainNow(hre);
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
  const hasArbitrator = terms.arbitrator !== ZeroAddress;

  const milestones: MilestoneRow[] = [];
  for (let i = 0; i < terms.milestones.length; i++) {
    const { amount, dueAt } = terms.milestones[i];
    const [st, cutBps, attestedAt, disputedAt] = await c.escrow.milestoneInfo(id, i);
    const row: MilestoneRow = {
      index: i,
      periodStart: i === 0 ? terms.startAt : terms.milestones[i - 1].dueAt,
      dueAt,
      amount,
      status: MILESTONE_STATUS[Number(st)],
      values: attested.get(i),
      next: "",
    };
    const graceEnd = dueAt + terms.attestGrace;
    if (row.status === "Settled") {
      const s = settled.get(i);
      row.cutBps = cutBps;
      if (s === undefined) {
        row.settlement = "refunded";
        row.toVendor = 0n;
        row.toClient = amount;
      } else {
        row.settlement = SETTLEMENT[Number(s.kind)];
        row.toVendor = s.toVendor;
        row.toClient = s.toClient;
      }
      row.next = "-";
    } else if (row.status === "Pending") {
      if (agreementStatus === "Proposed") {
        row.next = `waits for the vendor; refunded by settle after ${formatTime(graceEnd)}`;
      } else if (now < dueAt) row.next = `attest from ${formatTime(dueAt)}`;
      else if (now <= graceEnd) row.next = `attest until ${formatTime(graceEnd)}`;
      else row.next = `settle now (silent cut ${formatCut(terms.silentCutBps)})`;
    } else {
      row.cutBps = cutBps;
      const { toVendor, toClient } = split(amount, cutBps);
      row.toVendor = toVendor;
      row.toClient = toClient;
      if (row.status === "Attested") {
        const windowEnd = attestedAt + terms.disputeWindow;
        row.next =
          hasArbitrator && now < windowEnd ? `dispute until ${formatTime(windowEnd)}, settle from then` : "settle now";
      } else {
        const timeout = disputedAt + terms.arbitrationTimeout;
        row.next =
          now < timeout
            ? `arbitrator resolves; else settle from ${formatTime(timeout)}`
            : "arbitrator resolves, or settle now (attested cut)";
      }
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
    ...(agreementStatus === "Proposed" ? { acceptBefore: terms.milestones[0].dueAt } : {}),
    milestones,
  };
  print(
    report,
    terms.milestones.reduce((s, m) => s + m.amount, 0n),
    now,
  );
  return report;
}

function print(r: StatusReport, total: bigint, now: bigint): void {
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
      m.values === undefined ? "-" : m.values.join(", "),
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
  .setAction(runTask(status));
