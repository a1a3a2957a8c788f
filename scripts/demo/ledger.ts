/**
 * The demo's ledger: one row per milestone (what was measured, which tiers it breached, the cut, who got what)
 * and the totals, as data and as a plain-text table.
 */
import { type MetricLike, isBreached, metricCutBps } from "../lib/penalty";
import { formatCut, formatMetricValue, formatUnitsExact } from "../lib/units";
import { formatTime } from "../lib/time";
import { table } from "../tasks/common";

/** One breached tier of one metric. */
export interface Breach {
  metric: string;
  threshold: number;
  cutBps: number;
}

/** One milestone of any scenario's ledger: what was attested, which tiers it breached, the cut, who got what. */
export interface MilestoneLedgerRow {
  /** Milestone index (from 0). */
  milestone: number;
  /** The script of the month, in words. */
  script: string;
  period: { start: number; end: number };
  /** The attested values, in the agreement's metric order. */
  values: number[];
  /** Every breached tier. */
  breaches: Breach[];
  /** Each metric's cut (its largest breached tier's), in metric order. */
  metricCutsBps: number[];
  /** The cut in the report and the attestation event. */
  cutBps: number;
  /** The final cut the escrow stored (`milestoneInfo`). */
  onChainCutBps: number;
  amount: bigint;
  /** From the MilestoneSettled event. */
  toVendor: bigint;
  toClient: bigint;
  reportFile: string;
  evidence: string;
  /** Oracle indexes (into the agreement's ascending oracle list) that signed. */
  signerIndexes: number[];
  signers: string[];
  attestTx: string;
  settleTx: string;
}

/** The web-service scenario's row: the milestone's, with the probes and its two metrics by name. */
export interface LedgerRow extends MilestoneLedgerRow {
  samples: { all: number; ok: number; failed: number };
  availabilityPpm: number;
  p95Ms: number;
}

export interface LedgerTotals {
  deposit: bigint;
  toVendor: bigint;
  toClient: bigint;
}

/** Every breached tier of every metric, and each metric's cut (the penalty rule of scripts/lib/penalty.ts). */
export function breachesOf(
  metrics: readonly MetricLike[],
  names: readonly string[],
  values: readonly number[],
): { breaches: Breach[]; metricCutsBps: number[] } {
  const breaches: Breach[] = [];
  metrics.forEach((m, i) => {
    const tiers = [...m.tiers].map((t) => ({ threshold: Number(t.threshold), cutBps: Number(t.cutBps) }));
    tiers.sort((a, b) => a.cutBps - b.cutBps);
    for (const t of tiers) {
      if (isBreached(m.higherIsBetter, t.threshold, values[i])) breaches.push({ metric: names[i], ...t });
    }
  });
  return { breaches, metricCutsBps: metrics.map((m, i) => metricCutBps(m, values[i])) };
}

const SHORT: Record<string, string> = {
  availability_ppm: "availability",
  latency_p50_ms: "p50",
  latency_p95_ms: "p95",
  latency_p99_ms: "p99",
};

/**
 * "availability < 99.9%, 99.5%; p95 > 300ms, 500ms" or "-". `label` and `format` give a metric's short name and a
 * threshold in its unit (default: the probe metrics' bare names).
 */
export function describeBreaches(
  breaches: readonly Breach[],
  higherIsBetter: (metric: string) => boolean,
  label: (metric: string) => string = (metric) => SHORT[metric] ?? metric,
  format: (metric: string, threshold: number) => string = formatMetricValue,
): string {
  const byMetric = new Map<string, Breach[]>();
  for (const b of breaches) byMetric.set(b.metric, [...(byMetric.get(b.metric) ?? []), b]);
  if (byMetric.size === 0) return "-";
  return [...byMetric]
    .map(
      ([metric, list]) =>
        `${label(metric)} ${higherIsBetter(metric) ? "<" : ">"} ${list.map((b) => format(metric, b.threshold)).join(", ")}`,
    )
    .join("; ");
}

export function totalsOf(rows: readonly MilestoneLedgerRow[], deposit: bigint): LedgerTotals {
  return {
    deposit,
    toVendor: rows.reduce((s, r) => s + r.toVendor, 0n),
    toClient: rows.reduce((s, r) => s + r.toClient, 0n),
  };
}

/** "2026-07-17" (the date part of a UTC time). */
export function day(unix: number): string {
  return formatTime(unix).slice(0, 10);
}

/** The ledger as text lines. */
export function formatLedger(
  rows: readonly LedgerRow[],
  totals: LedgerTotals,
  token: { symbol: string; decimals: number },
  higherIsBetter: (metric: string) => boolean,
): string[] {
  const units = (v: bigint): string => formatUnitsExact(v, token.decimals);
  const header = [
    "#",
    "period (UTC)",
    "probes",
    "availability",
    "p95 latency",
    "tiers breached",
    "cut",
    "vendor paid",
    "client refunded",
  ];
  const body = rows.map((r) => [
    String(r.milestone),
    `${day(r.period.start)} .. ${day(r.period.end)}`,
    `${r.samples.ok}/${r.samples.all}`,
    formatMetricValue("availability_ppm", r.availabilityPpm),
    formatMetricValue("latency_p95_ms", r.p95Ms),
    describeBreaches(r.breaches, higherIsBetter),
    formatCut(r.cutBps),
    units(r.toVendor),
    units(r.toClient),
  ]);
  const total = ["", "total", "", "", "", "", "", units(totals.toVendor), units(totals.toClient)];
  const lines = table(header, [...body, total], [0, 2, 3, 4, 6, 7, 8]);
  const width = Math.max(...lines.map((l) => l.length));
  const rule = "-".repeat(width);
  return [lines[0], rule, ...lines.slice(1, -1), rule, lines[lines.length - 1]];
}
