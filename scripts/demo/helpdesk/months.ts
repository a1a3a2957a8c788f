/**
 * The helpdesk scenario's months: 5 minutes after each month's end the ticketing tool's export job runs (the
 * cumulative export, written to exports/ and dated then, ./export.ts); 10 minutes after it the chain's clock is at
 * the due time plus ATTEST_LAG and the oracles do what they do in the web-service scenario (../months.ts,
 * `attestDue`), measuring from the export with the metric spec:
 *
 *   oracle attest --metric-spec helpdesk.metrics.json --tickets exports/tickets-month-N.csv   (one oracle)
 *   oracle sign   --report ... --metric-spec ... --tickets ...     (another: the same file, tolerance 0)
 *   sla:settle                                                       (the month before)
 *   oracle post   --report ... --signatures A,B                      (the relayer)
 */
import path from "node:path";
import { type MetricSpec, unitOf } from "../../lib/kpi/spec";
import { formatValue } from "../../lib/kpi/units";
import { periodOf } from "../../lib/model";
import { formatTime } from "../../lib/time";
import { type MonthOutcome, type Measuring, attestDue } from "../months";
import type { DemoSetup } from "../setup";
import { writeExport } from "./export";
import { HELPDESK_SCRIPT } from "./script";
import { SHORT_NAMES } from "./terms";
import type { Ticket } from "./tickets";

/** The export job runs this long after a month's end (seconds); the oracles attest after it (ATTEST_LAG, 600 s). */
export const EXPORT_LAG = 300;

/** The month's tickets, as the export and the generator know them. */
export interface MonthTickets {
  /** Rows of the month's export (every ticket created so far). */
  inExport: number;
  /** Created in the month's period. */
  created: number;
  /** Not resolved when the export was taken. */
  openAtExport: number;
  /** With a CSAT answer in the export, among those resolved in the period. */
  rated: number;
}

export interface HelpdeskMonth extends MonthOutcome {
  exportFile: string;
  /** When the export job ran (the file's modification time). */
  exportedAt: number;
  tickets: MonthTickets;
}

/** `oracle attest | sign` flags: the metric spec and the month's export; the four values in their units. */
function measuring(specFile: string, exportFile: string, specs: readonly MetricSpec[]): Measuring {
  return {
    flags: { metricSpec: specFile, tickets: exportFile },
    from: "the same export",
    describe: (values) => values.map((v, k) => `${SHORT_NAMES[k]} ${formatValue(unitOf(specs[k]), v)}`).join(", "),
  };
}

function countTickets(tickets: readonly Ticket[], start: number, end: number, at: number): MonthTickets {
  let inExport = 0;
  let created = 0;
  let openAtExport = 0;
  let rated = 0;
  for (const t of tickets) {
    if (t.createdAt > at) continue;
    inExport++;
    if (t.createdAt >= start && t.createdAt < end) created++;
    if (!(t.resolvedAt <= at)) openAtExport++;
    if (t.resolvedAt >= start && t.resolvedAt < end && t.csat && t.csat.at <= at) rated++;
  }
  return { inExport, created, openAtExport, rated };
}

/** Every month: the export, then the oracles' attestation and the relayer's post (and the month before settled). */
export async function playHelpdeskMonths(
  s: DemoSetup,
  spec: { file: string; specs: readonly MetricSpec[] },
  tickets: readonly Ticket[],
): Promise<HelpdeskMonth[]> {
  const out: HelpdeskMonth[] = [];
  for (let i = 0; i < s.terms.milestones.length; i++) {
    const period = periodOf(s.terms, i);
    s.log("");
    s.log(
      `month ${i + 1} (milestone ${i}) ${formatTime(period.start)} .. ${formatTime(period.end)}: ${HELPDESK_SCRIPT[i].summary}`,
    );
    const exportedAt = period.end + EXPORT_LAG;
    const exportFile = path.join(s.outDir, "exports", `tickets-month-${i + 1}.csv`);
    const written = writeExport(exportFile, tickets, exportedAt);
    const counts = countTickets(tickets, period.start, period.end, exportedAt);
    s.log(
      `  export ${s.rel(exportFile)} taken at ${formatTime(exportedAt)} (the file is dated then): ${written.rows} tickets ` +
        `(${counts.created} created this month, ${counts.openAtExport} still open), ${(written.bytes / 1e6).toFixed(1)} MB`,
    );
    const outcome = await attestDue(s, i, measuring(spec.file, exportFile, spec.specs));
    out.push({ ...outcome, exportFile, exportedAt, tickets: counts });
  }
  return out;
}
