/**
 * The demo's output: the ledger on the terminal, ledger.json, and the self-contained HTML report (./html.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { formatAmount } from "../lib/units";
import { readStore } from "../oracle/store";
import type { DemoCheck } from "./checks";
import { type ReportHeader, renderHtml } from "./html";
import { type LedgerRow, type LedgerTotals, type MilestoneLedgerRow, formatLedger } from "./ledger";
import type { Closing, Months, ProbeOptions } from "./months";
import type { DemoSetup } from "./setup";
import { DEMO_METRICS } from "./terms";

export interface Rendered {
  rows: readonly LedgerRow[];
  totals: LedgerTotals;
  checks: readonly DemoCheck[];
}

/** Whether a metric of the agreement is higher-is-better (for "<" or ">" in the tiers breached). */
function higherIsBetter(s: DemoSetup): (metric: string) => boolean {
  const names: readonly string[] = DEMO_METRICS;
  return (metric) => s.terms.metrics[names.indexOf(metric)]?.higherIsBetter ?? true;
}

/** The ledger, the deposit line and the checks line. */
export function printLedger(s: DemoSetup, r: Rendered): void {
  const { tokenInfo, deposit } = s;
  const failed = r.checks.filter((c) => !c.ok).length;
  s.log("");
  s.log(`ledger of agreement ${s.id} (amounts in ${tokenInfo.symbol}; deposit ${formatAmount(deposit, tokenInfo)})`);
  for (const line of formatLedger(r.rows, r.totals, tokenInfo, higherIsBetter(s))) s.log(`  ${line}`);
  s.log("");
  s.log(
    `  deposit ${formatAmount(deposit, tokenInfo)} = vendor ${formatAmount(r.totals.toVendor, tokenInfo)} + client ${formatAmount(r.totals.toClient, tokenInfo)}` +
      `${r.totals.toVendor + r.totals.toClient === deposit ? "" : "  <-- DOES NOT ADD UP"}`,
  );
  s.log(
    `  checks: ${r.checks.length - failed} of ${r.checks.length} passed (cuts on chain = ledger = penalty rule, totals = deposit, balances exact)`,
  );
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** ledger.json: the rows (any scenario's), the totals, the withdrawals and the checks. */
export function writeLedgerJson(
  s: DemoSetup,
  r: Omit<Rendered, "rows"> & { rows: readonly MilestoneLedgerRow[] },
  withdrawn: Closing["withdrawn"],
): string {
  const file = path.join(s.outDir, "ledger.json");
  const { rows, totals, checks } = r;
  const data = {
    network: s.hre.network.name,
    chainId: s.chainId,
    escrow: s.escrowAddress,
    token: s.tokenInfo,
    agreementId: s.id,
    rows,
    totals,
    withdrawn,
    checks,
  };
  fs.writeFileSync(file, JSON.stringify(data, jsonReplacer, 2) + "\n");
  return file;
}

/** What the HTML report says about the agreement, from the setup (both scenarios). */
export function reportHeader(s: DemoSetup): ReportHeader {
  return {
    generatedAt: Math.floor(Date.now() / 1000),
    network: s.hre.network.name,
    chainId: s.chainId.toString(),
    escrow: s.escrowAddress,
    token: s.tokenInfo,
    agreementId: s.id.toString(),
    client: s.client.address,
    vendor: s.vendor.address,
    arbitrator: s.arbitrator.address,
    relayer: s.relayer.address,
    oracles: s.terms.oracles,
    threshold: s.terms.threshold,
    metrics: s.terms.metrics,
    disputeWindow: s.terms.disputeWindow,
  };
}

export function writeHtmlReport(
  s: DemoSetup,
  r: Rendered,
  months: Months,
  probing: ProbeOptions,
  seconds: number,
): string {
  const file = path.join(s.outDir, "report.html");
  const html = renderHtml({
    ...reportHeader(s),
    metricNames: DEMO_METRICS,
    rows: r.rows,
    totals: r.totals,
    samples: readStore(months.storeFile).samples,
    probeStepSeconds: probing.stepSeconds,
    probeTimeoutMs: probing.timeoutMs,
    serviceUrl: months.serviceUrl,
    reportLinks: r.rows.map((row) => path.relative(s.outDir, row.reportFile).split(path.sep).join("/")),
    seconds,
  });
  fs.writeFileSync(file, html);
  return file;
}
