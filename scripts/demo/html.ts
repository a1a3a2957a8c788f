/**
 * The demo's HTML report: one self-contained file (inline CSS and SVG; no script, font, image or style sheet
 * from anywhere else) with the agreement, the ledger, a chart of each metric per period against its
 * thresholds, the payouts per milestone, the probe timeline, and the evidence of every attestation. The SVG helpers
 * and the payout chart are exported for the helpdesk scenario's report (./helpdesk/html.ts).
 */
import type { MetricLike } from "../lib/penalty";
import { formatCut, formatMetricValue, formatUnitsExact } from "../lib/units";
import { formatTime } from "../lib/time";
import type { Sample } from "../oracle/samples";
import { type LedgerRow, type LedgerTotals, type MilestoneLedgerRow, day, describeBreaches } from "./ledger";

/** What every scenario's report says about the agreement (./render.ts `reportHeader` fills it from the setup). */
export interface ReportHeader {
  generatedAt: number;
  network: string;
  chainId: string;
  escrow: string;
  token: { symbol: string; decimals: number; address: string };
  agreementId: string;
  client: string;
  vendor: string;
  arbitrator: string;
  relayer: string;
  oracles: readonly string[];
  threshold: number;
  /** The agreement's metrics as the escrow stores them (direction and tiers). */
  metrics: readonly MetricLike[];
  disputeWindow: number;
}

/** The agreement's parties and settings as the report's definition list rows (both scenarios). */
export function agreementFacts(input: ReportHeader): string {
  const t = input.token;
  return `  <dt>network</dt><dd>${esc(input.network)} (chain ${esc(input.chainId)})</dd>
  <dt>escrow</dt><dd><code>${esc(input.escrow)}</code>, agreement ${esc(input.agreementId)}</dd>
  <dt>token</dt><dd>${esc(t.symbol)} <code>${esc(t.address)}</code></dd>
  <dt>client</dt><dd><code>${esc(input.client)}</code></dd>
  <dt>vendor</dt><dd><code>${esc(input.vendor)}</code></dd>
  <dt>arbitrator</dt><dd><code>${esc(input.arbitrator)}</code> (dispute window ${Math.round(input.disputeWindow / 3600)} h; nobody disputed)</dd>
  <dt>oracles</dt><dd>${input.oracles.map((o, i) => `${i}: <code>${esc(o)}</code>`).join("<br>")}<br>${input.threshold} signatures needed</dd>
  <dt>relayer</dt><dd><code>${esc(input.relayer)}</code> (posts and settles; anyone may)</dd>`;
}

export interface HtmlInput extends ReportHeader {
  metricNames: readonly string[];
  rows: readonly LedgerRow[];
  totals: LedgerTotals;
  /** Every probe result of the six months (virtual timestamps). */
  samples: readonly Sample[];
  probeStepSeconds: number;
  probeTimeoutMs: number;
  serviceUrl: string;
  /** Report file paths as the HTML should link them (relative to the HTML file). */
  reportLinks: readonly string[];
  seconds: number;
}

/*//////////////////////////////////////////////////////////////
                              HELPERS
//////////////////////////////////////////////////////////////*/

export function esc(s: string | number | bigint): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

export const f1 = (n: number): string => (Math.round(n * 10) / 10).toString();

export const COLORS = {
  ok: "#2e9d5a",
  minor: "#e0a526",
  major: "#e07b26",
  severe: "#d64545",
  vendor: "#2e7dbd",
  client: "#d64545",
  grid: "#d9dde3",
  axis: "#5b6470",
  threshold: "#8a4fbf",
};

export function severityColor(cutBps: number): string {
  if (cutBps === 0) return COLORS.ok;
  if (cutBps <= 1000) return COLORS.minor;
  if (cutBps <= 2500) return COLORS.major;
  return COLORS.severe;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const FRAME: Frame = { width: 760, height: 280, left: 74, right: 170, top: 24, bottom: 44 };

export function plotWidth(f: Frame): number {
  return f.width - f.left - f.right;
}
export function plotHeight(f: Frame): number {
  return f.height - f.top - f.bottom;
}

export function svgOpen(id: string, title: string, f: Frame): string {
  return (
    `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" ` +
    `width="${f.width}" height="${f.height}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>`
  );
}

/** Text styles, inline so that each chart also renders on its own (copied out of the page). */
const TEXT_STYLE: Record<string, string> = {
  tick: `font-size="11" fill="#5b6470"`,
  "tick dim": `font-size="11" fill="#9aa3ad"`,
  value: `font-size="11" font-weight="600" fill="#1d232b"`,
  inbar: `font-size="10" fill="#ffffff"`,
  "threshold-label": `font-size="11" fill="${COLORS.threshold}"`,
  legend: `font-size="11" fill="#1d232b"`,
};

/** A text element; `cls` is one of TEXT_STYLE's keys, `anchor` the text-anchor. */
export function text(
  x: number,
  y: number,
  s: string,
  cls = "legend",
  anchor: "start" | "middle" | "end" = "start",
): string {
  return `<text x="${f1(x)}" y="${f1(y)}" text-anchor="${anchor}" class="${cls}" font-family="system-ui, sans-serif" ${TEXT_STYLE[cls] ?? ""}>${esc(s)}</text>`;
}

/** Horizontal grid line with a y-axis label. */
export function yTick(f: Frame, y: number, label: string): string {
  return (
    `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f1(y)}" y2="${f1(y)}" stroke="${COLORS.grid}" />` +
    text(f.left - 8, y + 4, label, "tick", "end")
  );
}

/** A dashed threshold line with its label on the right. */
export function thresholdLine(f: Frame, y: number, label: string): string {
  return (
    `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f1(y)}" y2="${f1(y)}" stroke="${COLORS.threshold}" stroke-dasharray="6 4" stroke-width="1.5" class="threshold" />` +
    text(f.width - f.right + 8, y + 4, label, "threshold-label")
  );
}

export function axes(f: Frame): string {
  const x0 = f.left;
  const y0 = f.height - f.bottom;
  return (
    `<line x1="${x0}" x2="${x0}" y1="${f.top}" y2="${y0}" stroke="${COLORS.axis}" />` +
    `<line x1="${x0}" x2="${f.width - f.right}" y1="${y0}" y2="${y0}" stroke="${COLORS.axis}" />`
  );
}

/** Bar geometry for n categories. */
export function bars(f: Frame, n: number): { x: (i: number) => number; w: number } {
  const slot = plotWidth(f) / n;
  const w = Math.min(56, slot * 0.6);
  return { x: (i) => f.left + slot * i + (slot - w) / 2, w };
}

export function monthLabels(f: Frame, rows: readonly { milestone: number }[]): string {
  const { x, w } = bars(f, rows.length);
  const y0 = f.height - f.bottom;
  return rows
    .map(
      (r, i) =>
        text(x(i) + w / 2, y0 + 16, `month ${r.milestone + 1}`, "tick", "middle") +
        text(x(i) + w / 2, y0 + 30, `#${r.milestone}`, "tick dim", "middle"),
    )
    .join("");
}

/** The tiers of metric `name` with their threshold label, e.g. "< 99.9%: cut 10%". */
function tiersOf(input: HtmlInput, name: string): { threshold: number; cutBps: number; label: string }[] {
  const i = input.metricNames.indexOf(name);
  if (i < 0) return [];
  const m = input.metrics[i];
  return m.tiers.map((t) => ({
    threshold: Number(t.threshold),
    cutBps: Number(t.cutBps),
    label: `${m.higherIsBetter ? "<" : ">"} ${formatMetricValue(name, Number(t.threshold))}: cut ${formatCut(Number(t.cutBps))}`,
  }));
}

/*//////////////////////////////////////////////////////////////
                               CHARTS
//////////////////////////////////////////////////////////////*/

/** "Nines" of an availability in ppm: -log10(1 - a); 100% is capped at `cap`. */
export function nines(ppm: number, cap = 4): number {
  const down = 1 - ppm / 1_000_000;
  if (down <= 0) return cap;
  return Math.min(cap, -Math.log10(down));
}

/** Availability per month on a "nines" scale (90%, 99%, 99.9%, 99.99%), with the tiers. */
export function availabilityChart(input: HtmlInput): string {
  const f = FRAME;
  const cap = 4;
  const lowest = Math.min(1, ...input.rows.map((r) => Math.floor(nines(r.availabilityPpm, cap))));
  const y = (n: number): number => f.top + plotHeight(f) * (1 - (n - lowest) / (cap + 0.35 - lowest));
  const parts = [svgOpen("chart-availability", "Availability per month against the tiers (nines scale)", f)];
  for (let n = lowest; n <= cap; n++) {
    const label = n === 0 ? "0%" : `${(100 * (1 - 10 ** -n)).toFixed(Math.max(0, n - 2))}%`;
    parts.push(yTick(f, y(n), label));
  }
  const { x, w } = bars(f, input.rows.length);
  const m = input.metricNames.indexOf("availability_ppm");
  input.rows.forEach((r, i) => {
    const v = nines(r.availabilityPpm, cap);
    const top = y(v);
    const cut = m >= 0 ? r.metricCutsBps[m] : 0;
    parts.push(
      `<rect class="bar" x="${f1(x(i))}" y="${f1(top)}" width="${f1(w)}" height="${f1(y(lowest) - top)}" fill="${severityColor(cut)}">` +
        `<title>month ${r.milestone + 1}: ${esc(formatMetricValue("availability_ppm", r.availabilityPpm))} (${r.samples.ok} of ${r.samples.all} probes ok), cut ${esc(formatCut(cut))}</title></rect>`,
    );
    parts.push(
      text(x(i) + w / 2, top - 5, formatMetricValue("availability_ppm", r.availabilityPpm), "value", "middle"),
    );
  });
  for (const t of tiersOf(input, "availability_ppm")) parts.push(thresholdLine(f, y(nines(t.threshold, cap)), t.label));
  parts.push(axes(f), monthLabels(f, input.rows), "</svg>");
  return parts.join("");
}

/** A "nice" axis maximum and step for a value range 0..max. */
export function niceScale(max: number): { top: number; step: number } {
  const rough = max / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= rough) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

/** p95 latency per month, linear, with the tiers. */
export function latencyChart(input: HtmlInput): string {
  const f = FRAME;
  const tiers = tiersOf(input, "latency_p95_ms");
  const worst = Math.max(
    ...input.rows.map((r) => Math.min(r.p95Ms, input.probeTimeoutMs)),
    ...tiers.map((t) => t.threshold),
  );
  const { top, step } = niceScale(worst * 1.15);
  const y = (v: number): number => f.top + plotHeight(f) * (1 - Math.min(v, top) / top);
  const parts = [svgOpen("chart-latency", "p95 latency per month against the tiers", f)];
  for (let v = 0; v <= top; v += step) parts.push(yTick(f, y(v), `${v} ms`));
  const { x, w } = bars(f, input.rows.length);
  const m = input.metricNames.indexOf("latency_p95_ms");
  input.rows.forEach((r, i) => {
    const t = y(r.p95Ms);
    const cut = m >= 0 ? r.metricCutsBps[m] : 0;
    parts.push(
      `<rect class="bar" x="${f1(x(i))}" y="${f1(t)}" width="${f1(w)}" height="${f1(y(0) - t)}" fill="${severityColor(cut)}">` +
        `<title>month ${r.milestone + 1}: p95 ${r.p95Ms} ms over ${r.samples.ok} ok probes, cut ${esc(formatCut(cut))}</title></rect>`,
    );
    parts.push(text(x(i) + w / 2, t - 5, `${r.p95Ms} ms`, "value", "middle"));
  });
  for (const t of tiers) parts.push(thresholdLine(f, y(t.threshold), t.label));
  parts.push(axes(f), monthLabels(f, input.rows), "</svg>");
  return parts.join("");
}

/** What the payout chart reads: the token and, per milestone, the amount, the cut and who got what. */
export interface PayoutInput {
  token: { symbol: string; decimals: number };
  rows: readonly Pick<MilestoneLedgerRow, "milestone" | "amount" | "cutBps" | "toVendor" | "toClient">[];
}

/** Per milestone: the vendor's payment and the client's refund, stacked to the milestone amount. */
export function payoutChart(input: PayoutInput): string {
  const f = FRAME;
  const units = (v: bigint): number => Number(formatUnitsExact(v, input.token.decimals));
  const max = Math.max(...input.rows.map((r) => units(r.amount)));
  const { top, step } = niceScale(max * 1.1);
  const y = (v: number): number => f.top + plotHeight(f) * (1 - v / top);
  const parts = [svgOpen("chart-payouts", `Payout per milestone (${input.token.symbol})`, f)];
  for (let v = 0; v <= top; v += step) parts.push(yTick(f, y(v), `${v}`));
  const { x, w } = bars(f, input.rows.length);
  input.rows.forEach((r, i) => {
    const vendor = units(r.toVendor);
    const client = units(r.toClient);
    const yv = y(vendor);
    const yc = y(vendor + client);
    parts.push(
      `<rect class="bar vendor" x="${f1(x(i))}" y="${f1(yv)}" width="${f1(w)}" height="${f1(y(0) - yv)}" fill="${COLORS.vendor}">` +
        `<title>month ${r.milestone + 1}: vendor paid ${esc(formatUnitsExact(r.toVendor, input.token.decimals))} ${esc(input.token.symbol)}</title></rect>`,
    );
    if (r.toClient > 0n) {
      parts.push(
        `<rect class="bar client" x="${f1(x(i))}" y="${f1(yc)}" width="${f1(w)}" height="${f1(yv - yc)}" fill="${COLORS.client}">` +
          `<title>month ${r.milestone + 1}: client refunded ${esc(formatUnitsExact(r.toClient, input.token.decimals))} ${esc(input.token.symbol)} (cut ${esc(formatCut(r.cutBps))})</title></rect>`,
      );
    }
    parts.push(
      text(x(i) + w / 2, yc - 5, r.toClient > 0n ? `-${formatCut(r.cutBps)}` : "paid in full", "value", "middle"),
    );
    parts.push(text(x(i) + w / 2, yv + 15, formatUnitsExact(r.toVendor, input.token.decimals), "inbar", "middle"));
  });
  const lx = f.width - f.right + 12;
  parts.push(
    `<rect x="${lx}" y="${f.top + 4}" width="12" height="12" fill="${COLORS.vendor}" />` +
      text(lx + 18, f.top + 14, `vendor paid`) +
      `<rect x="${lx}" y="${f.top + 24}" width="12" height="12" fill="${COLORS.client}" />` +
      text(lx + 18, f.top + 34, `client refunded`),
  );
  parts.push(axes(f), monthLabels(f, input.rows), "</svg>");
  return parts.join("");
}

/**
 * Every probe of the six months: the slowest ok probe per 6-hour bucket (blue), failed probes (red, the
 * bar's height is the share of the bucket that failed), and the due dates.
 */
export function timelineChart(input: HtmlInput): string {
  const f: Frame = { ...FRAME, width: 900, right: 24, height: 280, top: 40 };
  const start = input.rows[0].period.start;
  const end = input.rows[input.rows.length - 1].period.end;
  const bucket = 6 * 3600;
  const n = Math.ceil((end - start) / bucket);
  const maxOk = new Array<number>(n).fill(-1);
  const failed = new Array<number>(n).fill(0);
  const all = new Array<number>(n).fill(0);
  for (const s of input.samples) {
    if (s.timestamp < start || s.timestamp >= end) continue;
    const b = Math.floor((s.timestamp - start) / bucket);
    all[b]++;
    if (s.ok) maxOk[b] = Math.max(maxOk[b], s.latencyMs ?? 0);
    else failed[b]++;
  }
  const { top, step } = niceScale(Math.max(1000, ...maxOk) * 1.1);
  const x = (t: number): number => f.left + (plotWidth(f) * (t - start)) / (end - start);
  const y = (v: number): number => f.top + plotHeight(f) * (1 - Math.min(v, top) / top);
  const parts = [svgOpen("chart-timeline", "Every probe: slowest ok probe per 6 hours, and failures", f)];
  for (let v = 0; v <= top; v += step) parts.push(yTick(f, y(v), `${v} ms`));
  const bw = Math.max(1, plotWidth(f) / n);
  for (let b = 0; b < n; b++) {
    const t = start + b * bucket;
    if (failed[b] > 0) {
      const share = failed[b] / all[b];
      const h = plotHeight(f) * share;
      parts.push(
        `<rect class="failed" x="${f1(x(t))}" y="${f1(f.top + plotHeight(f) - h)}" width="${f1(bw)}" height="${f1(h)}" fill="${COLORS.severe}" opacity="0.85">` +
          `<title>${esc(formatTime(t))}: ${failed[b]} of ${all[b]} probes failed</title></rect>`,
      );
    }
  }
  const points: string[] = [];
  for (let b = 0; b < n; b++) {
    if (maxOk[b] < 0) continue;
    points.push(`${f1(x(start + b * bucket + bucket / 2))},${f1(y(maxOk[b]))}`);
  }
  parts.push(
    `<polyline class="latency" fill="none" stroke="${COLORS.vendor}" stroke-width="1.2" points="${points.join(" ")}" />`,
  );
  for (const t of tiersOf(input, "latency_p95_ms")) {
    parts.push(
      `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f1(y(t.threshold))}" y2="${f1(y(t.threshold))}" stroke="${COLORS.threshold}" stroke-dasharray="2 4" opacity="0.6" />`,
    );
  }
  input.rows.forEach((r) => {
    const xe = x(r.period.end);
    parts.push(
      `<line x1="${f1(xe)}" x2="${f1(xe)}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${COLORS.axis}" stroke-dasharray="3 3" />`,
    );
    const xm = (x(r.period.start) + xe) / 2;
    parts.push(text(xm, f.height - f.bottom + 16, `month ${r.milestone + 1}`, "tick", "middle"));
    parts.push(text(xe, f.height - f.bottom + 30, `due ${day(r.period.end)}`, "tick dim", "end"));
  });
  // Legend, above the plot.
  const ly = 16;
  let lx = f.left;
  parts.push(
    `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS.vendor}" stroke-width="2" />`,
  );
  parts.push(text(lx + 24, ly, "slowest ok probe per 6 hours (ms)"));
  lx += 236;
  parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS.severe}" opacity="0.85" />`);
  parts.push(text(lx + 18, ly, "share of probes failed per 6 hours (full height: all)"));
  lx += 318;
  parts.push(
    `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS.threshold}" stroke-dasharray="2 4" />`,
  );
  parts.push(text(lx + 24, ly, "p95 tiers"));
  parts.push(axes(f), "</svg>");
  return parts.join("");
}

/*//////////////////////////////////////////////////////////////
                               PAGE
//////////////////////////////////////////////////////////////*/

export const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d232b; margin: 0; background: #f6f7f9; }
main { max-width: 960px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; }
p.lead { color: #4a5563; margin-top: 0; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eceff3; vertical-align: top; }
th { color: #4a5563; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 700; border-top: 2px solid #c9ced6; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.ok { color: #2e9d5a; font-weight: 600; }
.cut { color: #d64545; font-weight: 600; }
svg.chart { max-width: 100%; height: auto; display: block; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dt { color: #4a5563; }
dd { margin: 0; }
footer { color: #6b7480; font-size: 12px; margin: 24px 0; }
`;

export function renderHtml(input: HtmlInput): string {
  const t = input.token;
  const units = (v: bigint): string => formatUnitsExact(v, t.decimals);
  const hib = (metric: string): boolean => {
    const i = input.metricNames.indexOf(metric);
    return i >= 0 ? input.metrics[i].higherIsBetter : true;
  };
  const ledgerRows = input.rows
    .map(
      (r) => `<tr>
  <td class="num">${r.milestone}</td>
  <td>${esc(day(r.period.start))} .. ${esc(day(r.period.end))}</td>
  <td>${esc(r.script)}</td>
  <td class="num">${r.samples.ok}/${r.samples.all}</td>
  <td class="num">${esc(formatMetricValue("availability_ppm", r.availabilityPpm))}</td>
  <td class="num">${esc(formatMetricValue("latency_p95_ms", r.p95Ms))}</td>
  <td>${esc(describeBreaches(r.breaches, hib))}</td>
  <td class="num ${r.cutBps > 0 ? "cut" : "ok"}">${esc(formatCut(r.cutBps))}</td>
  <td class="num">${esc(units(r.toVendor))}</td>
  <td class="num">${esc(units(r.toClient))}</td>
</tr>`,
    )
    .join("\n");
  const evidenceRows = input.rows
    .map(
      (r, i) => `<tr>
  <td class="num">${r.milestone}</td>
  <td><a href="${esc(input.reportLinks[i])}"><code>${esc(input.reportLinks[i])}</code></a><br><code>${esc(r.evidence)}</code></td>
  <td>${r.signerIndexes.map((k, j) => `oracle ${k} <code>${esc(r.signers[j])}</code>`).join("<br>")}</td>
  <td><code>${esc(r.attestTx)}</code></td>
  <td><code>${esc(r.settleTx)}</code></td>
</tr>`,
    )
    .join("\n");
  const tierRows = input.metricNames
    .map((name, i) =>
      input.metrics[i].tiers
        .map(
          (tier, k) =>
            `<tr><td>${k === 0 ? `<code>${esc(name)}</code>` : ""}</td><td>${input.metrics[i].higherIsBetter ? "below" : "above"} ${esc(formatMetricValue(name, Number(tier.threshold)))}</td><td class="num">${esc(formatCut(Number(tier.cutBps)))}</td></tr>`,
        )
        .join(""),
    )
    .join("");
  const balanced = input.totals.toVendor + input.totals.toClient === input.totals.deposit;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sla-escrow demo: agreement ${esc(input.agreementId)} on ${esc(input.network)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>sla-escrow demo</h1>
<p class="lead">Six monthly payments of ${esc(units(input.rows[0].amount))} ${esc(t.symbol)} held in escrow; each month ${input.threshold} of ${input.oracles.length} oracles
measured a real HTTP service, signed what they measured, and the escrow paid the vendor or cut the payment by the agreed tiers.
The deposit of ${esc(units(input.totals.deposit))} ${esc(t.symbol)} ended as ${esc(units(input.totals.toVendor))} to the vendor and
${esc(units(input.totals.toClient))} back to the client${balanced ? " (exactly the deposit)" : " (DOES NOT ADD UP)"}.</p>

<section>
<h2>Agreement</h2>
<dl>
${agreementFacts(input)}
  <dt>measured</dt><dd>${esc(input.serviceUrl)}: one probe every ${esc(input.probeStepSeconds / 60)} virtual minutes
  (timeout ${esc(input.probeTimeoutMs)} ms); ${esc(input.samples.length)} real probes in all</dd>
</dl>
<h2>Penalty tiers</h2>
<table><thead><tr><th>metric</th><th>tier breached when</th><th class="num">cut</th></tr></thead><tbody>${tierRows}</tbody></table>
<p>A metric's cut is its largest breached tier's; the milestone's cut is the sum over the metrics, at most 100%;
the client gets amount &times; cut (rounded down), the vendor the rest.</p>
</section>

<section>
<h2>Ledger</h2>
<table>
<thead><tr><th class="num">#</th><th>period (UTC)</th><th>what the service did</th><th class="num">probes ok</th><th class="num">availability</th><th class="num">p95 latency</th><th>tiers breached</th><th class="num">cut</th><th class="num">vendor paid (${esc(t.symbol)})</th><th class="num">client refunded (${esc(t.symbol)})</th></tr></thead>
<tbody>
${ledgerRows}
<tr class="total"><td></td><td colspan="7">total (deposit ${esc(units(input.totals.deposit))} ${esc(t.symbol)})</td><td class="num">${esc(units(input.totals.toVendor))}</td><td class="num">${esc(units(input.totals.toClient))}</td></tr>
</tbody>
</table>
</section>

<section>
<h2>Availability per month</h2>
<p>On a log scale of the downtime ("nines"): 90%, 99%, 99.9%, 99.99%; a month without a failed probe reaches the top.</p>
${availabilityChart(input)}
<h2>p95 latency per month</h2>
${latencyChart(input)}
<h2>Payout per milestone</h2>
${payoutChart(input)}
<h2>Every probe</h2>
${timelineChart(input)}
</section>

<section>
<h2>Evidence</h2>
<p>Each attestation's evidence is the keccak256 of the exact bytes of the oracle's report file; the escrow's
<code>AttestationPosted</code> event carries it. Recompute it with <code>npx hardhat oracle verify</code>.</p>
<table>
<thead><tr><th class="num">#</th><th>report and evidence</th><th>signed by</th><th>attested in</th><th>settled in</th></tr></thead>
<tbody>
${evidenceRows}
</tbody>
</table>
</section>

<footer>Generated by <code>npx hardhat run scripts/demo/index.ts</code> at ${esc(formatTime(input.generatedAt))} in ${esc(input.seconds.toFixed(1))} s.
Times are the chain's (compressed); amounts in ${esc(t.symbol)}.</footer>
</main>
</body>
</html>
`;
}
