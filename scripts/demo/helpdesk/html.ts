/**
 * The helpdesk scenario's HTML report (demo-output/helpdesk/report.html): one self-contained file with the
 * agreement, the metric spec and tiers, the ledger, a chart per KPI against its tiers, the tickets per day with the
 * open backlog, the payouts, the evidence and exports of every attestation, and the commands run. The charts are
 * drawn with the web-service report's SVG helpers (../html.ts).
 */
import { type MetricSpec, describeSpec, higherIsBetterOf, unitOf } from "../../lib/kpi/spec";
import { formatValue } from "../../lib/kpi/units";
import { formatTime } from "../../lib/time";
import { formatCut, formatUnitsExact } from "../../lib/units";
import {
  COLORS,
  CSS,
  agreementFacts,
  FRAME,
  type Frame,
  type ReportHeader,
  axes,
  bars,
  esc,
  f1,
  monthLabels,
  niceScale,
  payoutChart,
  plotHeight,
  plotWidth,
  severityColor,
  svgOpen,
  text,
  thresholdLine,
  yTick,
} from "../html";
import { type LedgerTotals, day } from "../ledger";
import { DAY } from "./script";
import type { HelpdeskRow } from "./ledger";
import { breachesText } from "./ledger";
import type { Ticket } from "./tickets";

export interface HelpdeskHtmlInput extends ReportHeader {
  /** The metrics' specs, in the agreement's order. */
  specs: readonly MetricSpec[];
  rows: readonly HelpdeskRow[];
  totals: LedgerTotals;
  tickets: readonly Ticket[];
  seed: number;
  /** Paths relative to the HTML file. */
  specLink: string;
  termsLink: string;
  commandsLink: string;
  reportLinks: readonly string[];
  exportLinks: readonly string[];
  /** Every command the demo ran, as its command line. */
  commandLines: readonly string[];
  seconds: number;
}

/** The tiers of metric `k` with their labels, e.g. "< 95%: cut 5%". */
function tiersOf(input: HelpdeskHtmlInput, k: number): { threshold: number; label: string }[] {
  const m = input.metrics[k];
  const unit = unitOf(input.specs[k]);
  return m.tiers.map((t) => ({
    threshold: Number(t.threshold),
    label: `${m.higherIsBetter ? "<" : ">"} ${formatValue(unit, Number(t.threshold))}: cut ${formatCut(Number(t.cutBps))}`,
  }));
}

/** KPI `k` per month against its tiers: ratios from a little below the lowest value or tier to 100%, durations from 0. */
export function kpiChart(input: HelpdeskHtmlInput, k: number): string {
  const f = FRAME;
  const spec = input.specs[k];
  const unit = unitOf(spec);
  const tiers = tiersOf(input, k);
  const values = input.rows.map((r) => r.values[k]);
  let lo = 0;
  let top: number;
  const ticks: { v: number; label: string }[] = [];
  if (unit === "ppm") {
    const step = 50_000;
    lo = Math.max(0, Math.floor((Math.min(...values, ...tiers.map((t) => t.threshold)) - step / 2) / step) * step);
    top = 1_000_000;
    const every = (top - lo) / step > 8 ? 2 * step : step;
    for (let v = top; v >= lo; v -= every) ticks.push({ v, label: formatValue("ppm", v) });
  } else {
    const hours = niceScale((Math.max(...values, ...tiers.map((t) => t.threshold)) / 60) * 1.12);
    top = hours.top * 60;
    for (let h = 0; h <= hours.top; h += hours.step) ticks.push({ v: h * 60, label: `${h}h` });
  }
  const y = (v: number): number => f.top + plotHeight(f) * (1 - (Math.min(Math.max(v, lo), top) - lo) / (top - lo));
  const parts = [svgOpen(`chart-kpi-${k + 1}`, `${spec.name} per month against its tiers`, f)];
  for (const t of ticks) parts.push(yTick(f, y(t.v), t.label));
  const { x, w } = bars(f, input.rows.length);
  input.rows.forEach((r, i) => {
    const v = r.values[k];
    const t = y(v);
    const cut = r.metricCutsBps[k];
    parts.push(
      `<rect class="bar" x="${f1(x(i))}" y="${f1(t)}" width="${f1(w)}" height="${f1(y(lo) - t)}" fill="${severityColor(cut)}">` +
        `<title>month ${r.milestone + 1}: ${esc(spec.name)} ${esc(formatValue(unit, v))}${unit === "minutes" ? ` (${(v / 60).toFixed(1)} h)` : ""}, cut ${esc(formatCut(cut))}</title></rect>`,
    );
    parts.push(text(x(i) + w / 2, t - 5, formatValue(unit, v), "value", "middle"));
  });
  for (const t of tiers) parts.push(thresholdLine(f, y(t.threshold), t.label));
  parts.push(axes(f), monthLabels(f, input.rows), "</svg>");
  return parts.join("");
}

/** Tickets created per day (bars) and tickets not yet resolved at the end of each day (line), over the six months. */
export function ticketsChart(input: HelpdeskHtmlInput): string {
  const f: Frame = { ...FRAME, width: 900, right: 24, top: 40 };
  const start = input.rows[0].period.start;
  const end = input.rows[input.rows.length - 1].period.end;
  const days = Math.ceil((end - start) / DAY);
  const created = new Array<number>(days).fill(0);
  const open = new Array<number>(days).fill(0);
  for (const t of input.tickets) {
    const d = Math.floor((t.createdAt - start) / DAY);
    if (d >= 0 && d < days) created[d]++;
    for (let e = Math.max(0, d); e < days; e++) {
      const dayEnd = start + (e + 1) * DAY;
      if (t.createdAt >= dayEnd) break;
      if (t.resolvedAt < dayEnd) break;
      open[e]++;
    }
  }
  const { top, step } = niceScale(Math.max(...created, ...open) * 1.1);
  const x = (t: number): number => f.left + (plotWidth(f) * (t - start)) / (end - start);
  const y = (v: number): number => f.top + plotHeight(f) * (1 - Math.min(v, top) / top);
  const parts = [svgOpen("chart-tickets", "Tickets created per day and tickets open at the end of each day", f)];
  for (let v = 0; v <= top; v += step) parts.push(yTick(f, y(v), `${v}`));
  const bw = Math.max(1, plotWidth(f) / days - 1);
  created.forEach((n, d) => {
    const t = start + d * DAY;
    parts.push(
      `<rect class="created" x="${f1(x(t))}" y="${f1(y(n))}" width="${f1(bw)}" height="${f1(y(0) - y(n))}" fill="${COLORS.grid}">` +
        `<title>${esc(day(t))}: ${n} tickets created, ${open[d]} open at the end of the day</title></rect>`,
    );
  });
  const points = open.map((n, d) => `${f1(x(start + (d + 1) * DAY))},${f1(y(n))}`);
  parts.push(
    `<polyline class="open" fill="none" stroke="${COLORS.severe}" stroke-width="1.6" points="${points.join(" ")}" />`,
  );
  input.rows.forEach((r) => {
    const xe = x(r.period.end);
    parts.push(
      `<line x1="${f1(xe)}" x2="${f1(xe)}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="${COLORS.axis}" stroke-dasharray="3 3" />`,
    );
    parts.push(
      text((x(r.period.start) + xe) / 2, f.height - f.bottom + 16, `month ${r.milestone + 1}`, "tick", "middle"),
    );
    parts.push(text(xe, f.height - f.bottom + 30, `due ${day(r.period.end)}`, "tick dim", "end"));
  });
  const ly = 16;
  parts.push(`<rect x="${f.left}" y="${ly - 10}" width="12" height="12" fill="${COLORS.grid}" />`);
  parts.push(text(f.left + 18, ly, "tickets created per day"));
  const lx = f.left + 180;
  parts.push(
    `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS.severe}" stroke-width="2" />`,
  );
  parts.push(text(lx + 24, ly, "tickets open (not resolved) at the end of the day"));
  parts.push(axes(f), "</svg>");
  return parts.join("");
}

export function renderHelpdeskHtml(input: HelpdeskHtmlInput): string {
  const t = input.token;
  const units = (v: bigint): string => formatUnitsExact(v, t.decimals);
  const specs = input.specs;
  const metricRows = specs
    .map((spec, k) =>
      input.metrics[k].tiers
        .map(
          (tier, j) =>
            `<tr><td>${j === 0 ? esc(spec.name) : ""}</td><td>${j === 0 ? `<code>${esc(spec.kind.kind)}</code>` : ""}</td>` +
            `<td>${j === 0 ? esc(describeSpec(spec)) : ""}</td>` +
            `<td>${higherIsBetterOf(spec) ? "below" : "above"} ${esc(formatValue(unitOf(spec), Number(tier.threshold)))}</td>` +
            `<td class="num">${esc(formatCut(Number(tier.cutBps)))}</td></tr>`,
        )
        .join(""),
    )
    .join("\n");
  const ledgerRows = input.rows
    .map(
      (r) => `<tr>
  <td class="num">${r.milestone}</td>
  <td>${esc(day(r.period.start))} .. ${esc(day(r.period.end))}</td>
  <td>${esc(r.script)}</td>
  <td class="num">${r.tickets.created}</td>
  ${r.values.map((v, k) => `<td class="num">${esc(formatValue(unitOf(specs[k]), v))}</td>`).join("")}
  <td>${esc(breachesText(specs, r))}</td>
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
  <td><a href="${esc(input.exportLinks[i])}"><code>${esc(input.exportLinks[i])}</code></a> (${r.tickets.inExport} tickets, taken ${esc(formatTime(r.exportedAt))})<br><code>${esc(r.exportKeccak256)}</code></td>
  <td><a href="${esc(input.reportLinks[i])}"><code>${esc(input.reportLinks[i])}</code></a><br><code>${esc(r.evidence)}</code></td>
  <td>${r.signerIndexes.map((k, j) => `oracle ${k} <code>${esc(r.signers[j])}</code>`).join("<br>")}</td>
  <td><code>${esc(r.attestTx)}</code><br><code>${esc(r.settleTx)}</code></td>
</tr>`,
    )
    .join("\n");
  const balanced = input.totals.toVendor + input.totals.toClient === input.totals.deposit;
  const charts = specs
    .map(
      (spec, k) => `<h2>${esc(spec.name)}</h2>
<p>${esc(describeSpec(spec))}.</p>
${kpiChart(input, k)}`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sla-escrow helpdesk demo: agreement ${esc(input.agreementId)} on ${esc(input.network)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>sla-escrow helpdesk demo</h1>
<p class="lead">Six monthly payments of ${esc(units(input.rows[0].amount))} ${esc(t.symbol)} for an outsourced service desk, held in escrow;
each month ${input.threshold} of ${input.oracles.length} oracles measured four KPIs from the ticketing tool's export, signed what they measured, and
the escrow paid the vendor or cut the payment by the agreed tiers. The deposit of ${esc(units(input.totals.deposit))} ${esc(t.symbol)} ended as
${esc(units(input.totals.toVendor))} to the vendor and ${esc(units(input.totals.toClient))} back to the client${balanced ? " (exactly the deposit)" : " (DOES NOT ADD UP)"}.</p>

<section>
<h2>Agreement</h2>
<dl>
${agreementFacts(input)}
  <dt>files</dt><dd>terms <a href="${esc(input.termsLink)}"><code>${esc(input.termsLink)}</code></a>, metric spec <a href="${esc(input.specLink)}"><code>${esc(input.specLink)}</code></a>, commands <a href="${esc(input.commandsLink)}"><code>${esc(input.commandsLink)}</code></a></dd>
  <dt>tickets</dt><dd>${esc(input.tickets.length)} in all, generated from seed ${esc(input.seed)} (business-hours arrivals, P1 to P4, skewed response and resolution times, CSAT answers)</dd>
</dl>
<h2>Metrics and penalty tiers</h2>
<table><thead><tr><th>metric</th><th>kind</th><th>value</th><th>tier breached when</th><th class="num">cut</th></tr></thead><tbody>
${metricRows}
</tbody></table>
<p>A metric's cut is its largest breached tier's; the milestone's cut is the sum over the metrics, at most 100%;
the client gets amount &times; cut (rounded down), the vendor the rest.</p>
</section>

<section>
<h2>Ledger</h2>
<table>
<thead><tr><th class="num">#</th><th>period (UTC)</th><th>what happened at the desk</th><th class="num">tickets created</th>${specs.map((s) => `<th class="num">${esc(s.name)}</th>`).join("")}<th>tiers breached</th><th class="num">cut</th><th class="num">vendor paid (${esc(t.symbol)})</th><th class="num">client refunded (${esc(t.symbol)})</th></tr></thead>
<tbody>
${ledgerRows}
<tr class="total"><td></td><td colspan="${specs.length + 5}">total (deposit ${esc(units(input.totals.deposit))} ${esc(t.symbol)})</td><td class="num">${esc(units(input.totals.toVendor))}</td><td class="num">${esc(units(input.totals.toClient))}</td></tr>
</tbody>
</table>
</section>

<section>
${charts}
<h2>Tickets per day</h2>
<p>The incident storm of month 2 and the backlog of month 4, worked off in month 5.</p>
${ticketsChart(input)}
<h2>Payout per milestone</h2>
${payoutChart({ token: input.token, rows: input.rows })}
</section>

<section>
<h2>Evidence</h2>
<p>Each month the oracles read the same export file (its keccak256 is in the report); each attestation's evidence is the
keccak256 of the exact bytes of the proposer's report file, carried by the escrow's <code>AttestationPosted</code> event.
Recompute it with <code>npx hardhat oracle verify</code>.</p>
<table>
<thead><tr><th class="num">#</th><th>export and its keccak256</th><th>report and evidence</th><th>signed by</th><th>attested in, settled in</th></tr></thead>
<tbody>
${evidenceRows}
</tbody>
</table>
</section>

<section>
<h2>Commands</h2>
<p>Every command the demo ran, in order (their output is in <a href="${esc(input.commandsLink)}"><code>${esc(input.commandsLink)}</code></a>).</p>
<pre class="mono">${input.commandLines.map((l) => esc(l)).join("\n")}</pre>
</section>

<footer>Generated by <code>npm run demo -- --scenario helpdesk</code> at ${esc(formatTime(input.generatedAt))} in ${esc(input.seconds.toFixed(1))} s.
Times are the chain's (compressed); amounts in ${esc(t.symbol)}.</footer>
</main>
</body>
</html>
`;
}
