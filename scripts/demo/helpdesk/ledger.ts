/**
 * The helpdesk ledger: per month the four KPIs as attested (in their units, formatValue), the tiers breached, the
 * cut, what the vendor was paid and the client refunded (`sla:status --metric-spec`), the export the oracles read
 * and the evidence; as data (../ledger-data.ts milestoneRows, plus the export) and as a plain-text table.
 */
import { type MetricSpec, higherIsBetterOf, unitOf } from "../../lib/kpi/spec";
import { formatValue } from "../../lib/kpi/units";
import { formatCut, formatUnitsExact } from "../../lib/units";
import { table } from "../../tasks/common";
import type { StatusReport } from "../../tasks/status";
import { type LedgerTotals, type MilestoneLedgerRow, day, describeBreaches } from "../ledger";
import { milestoneRows } from "../ledger-data";
import { type DemoSetup, short } from "../setup";
import type { HelpdeskMonth, MonthTickets } from "./months";
import { HELPDESK_SCRIPT } from "./script";
import { HELPDESK_METRICS, SHORT_NAMES } from "./terms";

export interface HelpdeskRow extends MilestoneLedgerRow {
  /** The export the oracles read, and its keccak256 as the report records it. */
  exportFile: string;
  exportKeccak256: string;
  exportedAt: number;
  tickets: MonthTickets;
}

export async function helpdeskRows(
  s: DemoSetup,
  months: readonly HelpdeskMonth[],
  status: StatusReport,
): Promise<HelpdeskRow[]> {
  const rows = await milestoneRows(s, months, status, HELPDESK_METRICS, (i) => HELPDESK_SCRIPT[i].summary);
  return rows.map(({ row, report }, k) => ({
    ...row,
    exportFile: months[k].exportFile,
    exportKeccak256: String(report.sources.tickets?.fileKeccak256 ?? ""),
    exportedAt: months[k].exportedAt,
    tickets: months[k].tickets,
  }));
}

/** A value of metric `k` in its unit: "98.2456%", "17h", "1070min". */
export function valueOf(specs: readonly MetricSpec[], k: number, v: number | bigint): string {
  return formatValue(unitOf(specs[k]), v);
}

/** "P2 <=8h < 90%; res. p90 > 24h, 48h" or "-". */
export function breachesText(specs: readonly MetricSpec[], r: MilestoneLedgerRow): string {
  const index = (metric: string): number => specs.findIndex((s) => s.name === metric);
  return describeBreaches(
    r.breaches,
    (metric) => higherIsBetterOf(specs[index(metric)]),
    (metric) => SHORT_NAMES[index(metric)] ?? metric,
    (metric, threshold) => valueOf(specs, index(metric), threshold),
  );
}

/** The ledger as text lines. */
export function formatHelpdeskLedger(
  rows: readonly HelpdeskRow[],
  totals: LedgerTotals,
  specs: readonly MetricSpec[],
  token: { decimals: number },
): string[] {
  const units = (v: bigint): string => formatUnitsExact(v, token.decimals);
  const header = [
    "#",
    "period (UTC)",
    "tickets",
    ...SHORT_NAMES,
    "tiers breached",
    "cut",
    "vendor paid",
    "client refunded",
    "evidence",
  ];
  const body = rows.map((r) => [
    String(r.milestone),
    `${day(r.period.start)} .. ${day(r.period.end)}`,
    String(r.tickets.created),
    ...r.values.map((v, k) => valueOf(specs, k, v)),
    breachesText(specs, r),
    formatCut(r.cutBps),
    units(r.toVendor),
    units(r.toClient),
    short(r.evidence),
  ]);
  const n = SHORT_NAMES.length;
  const blank = new Array<string>(n).fill("");
  const total = ["", "total", "", ...blank, "", "", units(totals.toVendor), units(totals.toClient), ""];
  const right = [0, 2, ...blank.map((_, k) => 3 + k), n + 4, n + 5, n + 6];
  const lines = table(header, [...body, total], right);
  const width = Math.max(...lines.map((l) => l.length));
  const rule = "-".repeat(width);
  return [lines[0], rule, ...lines.slice(1, -1), rule, lines[lines.length - 1]];
}
