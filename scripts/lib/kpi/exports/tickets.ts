/**
 * The ticket export (DESIGN.md "Business KPIs", tickets): CSV with the columns
 * `ticket_id,priority,created_at,first_response_at,resolved_at` in any order and optionally `response_due_at`,
 * `resolution_due_at`, `csat`; other columns are ignored.
 *
 * Rules: `ticket_id`, `priority` and `created_at` must not be empty; an empty optional field counts as absent
 * (NaN in the table); a ticket id seen before rejects the file naming both lines; `first_response_at` and
 * `resolved_at` may not be strictly before `created_at` (the same second is fine); `csat` is empty or one of 1..5.
 *
 * Interpretations (where DESIGN.md is open):
 * - Ids and priorities are compared exactly (case and spaces included): `T-1` and `t-1` are two tickets.
 * - `csat` is exactly one digit 1..5 (`05`, `4.0` and ` 4` are rejected rather than guessed at).
 * - The due times are timestamps like the others and are checked when present, but a due time before
 *   `created_at` is allowed: it is not an event of the ticket, and such a ticket simply falls due early.
 */
import type { TicketTable } from "../types";
import { type CsvSchema, maxRows, readCsv } from "./csv-table";

const ID = 0;
const PRIORITY = 1;
const CREATED = 2;
const FIRST_RESPONSE = 3;
const RESOLVED = 4;
const RESPONSE_DUE = 5;
const RESOLUTION_DUE = 6;
const CSAT = 7;

export const TICKET_COLUMNS: CsvSchema = {
  required: ["ticket_id", "priority", "created_at", "first_response_at", "resolved_at"],
  optional: ["response_due_at", "resolution_due_at", "csat"],
};

/** Parses a ticket export; `name` prefixes messages (`--tickets tickets.csv line 7, column csat: ...`). */
export function parseTicketsCsv(text: string, name: string): TicketTable {
  const cap = maxRows(text);
  const id: string[] = [];
  const priority: string[] = [];
  const createdAt = new Float64Array(cap);
  const firstResponseAt = new Float64Array(cap);
  const resolvedAt = new Float64Array(cap);
  const responseDueAt = new Float64Array(cap);
  const resolutionDueAt = new Float64Array(cap);
  const csat = new Float64Array(cap);
  const lineOf = new Map<string, number>();
  let n = 0;
  readCsv(text, name, TICKET_COLUMNS, (row) => {
    const tid = row.requiredStr(ID);
    const first = lineOf.get(tid);
    if (first !== undefined) row.fail(ID, `"${tid}" is already on line ${first}`);
    lineOf.set(tid, row.line);
    const pri = row.requiredStr(PRIORITY);
    const created = row.requiredTime(CREATED);
    const response = row.time(FIRST_RESPONSE);
    if (response < created)
      row.fail(FIRST_RESPONSE, `${row.quoted(FIRST_RESPONSE)} is before created_at ${row.quoted(CREATED)}`);
    const resolved = row.time(RESOLVED);
    if (resolved < created) row.fail(RESOLVED, `${row.quoted(RESOLVED)} is before created_at ${row.quoted(CREATED)}`);
    const responseDue = row.time(RESPONSE_DUE);
    const resolutionDue = row.time(RESOLUTION_DUE);
    let score = NaN;
    if (!row.empty(CSAT)) {
      const s = row.str(CSAT);
      const c = s.length === 1 ? s.charCodeAt(0) - 48 : -1;
      if (c < 1 || c > 5) row.fail(CSAT, `${row.quoted(CSAT)} is not a score 1..5 (or empty: no answer)`);
      score = c;
    }
    id.push(tid);
    priority.push(pri);
    createdAt[n] = created;
    firstResponseAt[n] = response;
    resolvedAt[n] = resolved;
    responseDueAt[n] = responseDue;
    resolutionDueAt[n] = resolutionDue;
    csat[n] = score;
    n++;
  });
  return {
    length: n,
    id,
    priority,
    createdAt: createdAt.subarray(0, n),
    firstResponseAt: firstResponseAt.subarray(0, n),
    resolvedAt: resolvedAt.subarray(0, n),
    responseDueAt: responseDueAt.subarray(0, n),
    resolutionDueAt: resolutionDueAt.subarray(0, n),
    csat: csat.subarray(0, n),
  };
}
