/**
 * The ticketing tool's export, as the oracles read it (DESIGN.md "Business KPIs", tickets): cumulative, like a
 * real one: every ticket created up to the export's time, each with its fields as known then (a ticket answered
 * or resolved later has those fields empty; a CSAT answer that comes later is not in it yet; a pending ticket's
 * resolution due time includes the wait so far). Extra columns (channel, status) are what real exports carry and
 * the oracle ignores.
 */
import fs from "node:fs";
import path from "node:path";
import { formatTime } from "../../lib/time";
import { RESOLUTION_TARGET, RESPONSE_TARGET, type Ticket } from "./tickets";

export const EXPORT_HEADER =
  "ticket_id,priority,channel,status,created_at,first_response_at,resolved_at,response_due_at,resolution_due_at,csat";

/** A time as the export writes it (ISO-8601 UTC), or empty when it has not happened by `at`. */
function when(t: number, at: number): string {
  return t === t && t <= at ? formatTime(t) : "";
}

function statusAt(t: Ticket, at: number): string {
  if (t.resolvedAt <= at) return "resolved";
  if (t.pending && t.pending.from <= at && at < t.pending.until) return "pending";
  return t.firstResponseAt <= at ? "open" : "new";
}

/** The export's CSV as the tool writes it at `at`. */
export function exportCsv(tickets: readonly Ticket[], at: number): string {
  const lines = [EXPORT_HEADER];
  for (const t of tickets) {
    if (t.createdAt > at) continue;
    const paused = t.pending ? Math.max(0, Math.min(at, t.pending.until) - t.pending.from) : 0;
    lines.push(
      [
        t.id,
        t.priority,
        t.channel,
        statusAt(t, at),
        formatTime(t.createdAt),
        when(t.firstResponseAt, at),
        when(t.resolvedAt, at),
        t.slaTool ? formatTime(t.createdAt + RESPONSE_TARGET[t.priority]) : "",
        t.slaTool ? formatTime(t.createdAt + RESOLUTION_TARGET[t.priority] + paused) : "",
        t.csat && t.csat.at <= at ? String(t.csat.score) : "",
      ].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Writes the export taken at `at` to `file` and dates the file `at`: the oracles count an export as complete for
 * a period only when it was written after the period's end (plus `--lag`), and on the demo's time-travelling chain
 * the wall clock is months behind, so the file gets the time the export job ran in the chain's calendar.
 */
export function writeExport(file: string, tickets: readonly Ticket[], at: number): { rows: number; bytes: number } {
  const csv = exportCsv(tickets, at);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, csv);
  fs.utimesSync(file, at, at);
  return { rows: csv.split("\n").length - 2, bytes: Buffer.byteLength(csv) };
}
