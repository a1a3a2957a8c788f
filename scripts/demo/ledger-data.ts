/**
 * The ledger's data, from what the commands returned and wrote: per milestone what the oracle reported (its
 * report file, read with the oracle's own loader), which tiers that breached (the penalty rule, ./ledger.ts),
 * and what the escrow did with it (`sla:status`: the final cut and who got what). Nothing is recomputed here.
 * milestoneRows is every scenario's; ledgerRows adds the web-service scenario's probes and metrics by name.
 */
import type { AttestResult } from "../oracle/commands";
import { type Report, loadReport } from "../oracle/report";
import { periodOf } from "../lib/model";
import type { StatusReport } from "../tasks/status";
import { type LedgerRow, type MilestoneLedgerRow, breachesOf } from "./ledger";
import type { MonthOutcome, Months } from "./months";
import type { DemoSetup } from "./setup";
import { DEMO_METRICS } from "./terms";
import { DEMO_TIMELINE } from "./timeline";

/**
 * The transaction that settled each milestone. No task returns it (`sla:settle` returns the milestones it
 * settled, `sla:status` the amounts): the MilestoneSettled events say where it happened.
 */
async function settlementTransactions(s: DemoSetup): Promise<Map<number, string>> {
  const events = await s.escrow.queryFilter(s.escrow.filters.MilestoneSettled(s.id));
  return new Map(events.map((e) => [Number(e.args.milestone), e.transactionHash]));
}

function reportFileOf(attest: AttestResult): string {
  if (attest.reportFile === undefined) throw new Error(`oracle attest: no report file`);
  return attest.reportFile;
}

/**
 * Each month's row, from what the commands returned (`outcomes`), the report files (read with the oracle's own
 * loader) and `sla:status`; `names` are the agreement's metrics in order, `scriptOf` the month's script in words.
 * With each row, its report.
 */
export async function milestoneRows(
  s: DemoSetup,
  outcomes: readonly MonthOutcome[],
  status: StatusReport,
  names: readonly string[],
  scriptOf: (milestone: number) => string,
): Promise<{ row: MilestoneLedgerRow; report: Report }[]> {
  const settledIn = await settlementTransactions(s);
  return outcomes.map(({ milestone: i, attest, post, pair }) => {
    const reportFile = reportFileOf(attest);
    const { report, evidence } = loadReport(reportFile);
    const onChain = status.milestones[i];
    const { breaches, metricCutsBps } = breachesOf(s.terms.metrics, names, report.values);
    const period = periodOf(s.terms, i);
    const row: MilestoneLedgerRow = {
      milestone: i,
      script: scriptOf(i),
      period: { start: period.start, end: period.end },
      values: report.values,
      breaches,
      metricCutsBps,
      cutBps: report.cutBps,
      onChainCutBps: onChain.cutBps === undefined ? -1 : Number(onChain.cutBps),
      amount: onChain.amount,
      toVendor: onChain.toVendor ?? 0n,
      toClient: onChain.toClient ?? 0n,
      reportFile,
      evidence,
      signerIndexes: pair.map((o) => o.index),
      signers: pair.map((o) => o.address),
      attestTx: post.txHash ?? "",
      settleTx: settledIn.get(i) ?? "",
    };
    return { row, report };
  });
}

export async function ledgerRows(s: DemoSetup, months: Months, status: StatusReport): Promise<LedgerRow[]> {
  const names = [...DEMO_METRICS];
  const rows = await milestoneRows(s, months.outcomes, status, names, (i) => DEMO_TIMELINE[i].summary);
  return rows.map(({ row, report }) => {
    const { milestone, script, period, values, ...rest } = row;
    return {
      milestone,
      script,
      period,
      samples: report.sources.probes as { all: number; ok: number; failed: number },
      values,
      availabilityPpm: report.values[names.indexOf("availability_ppm")],
      p95Ms: report.values[names.indexOf("latency_p95_ms")],
      ...rest,
    };
  });
}
