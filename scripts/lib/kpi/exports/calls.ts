/**
 * The call export (DESIGN.md "Business KPIs", calls): CSV with the columns
 * `call_id,offered_at,answered_at,abandoned_at,handle_seconds` in any order; other columns are ignored.
 *
 * Rules: `call_id` and `offered_at` must not be empty; an empty optional field counts as absent (NaN in the
 * table); a call id seen before rejects the file naming both lines; `answered_at` and `abandoned_at` may not be
 * strictly before `offered_at` (the same second is fine) and at most one of them is given (neither: still queued
 * when exported); `handle_seconds` is a whole number, given exactly when `answered_at` is.
 *
 * Interpretations (where DESIGN.md is open):
 * - Ids are compared exactly (case and spaces included).
 * - `handle_seconds` is 0..4294967295 (a uint32: a handle time cannot be negative, and the bound keeps the sums
 *   of the average exact).
 */
import { MAX_UINT32 } from "../../limits";
import type { CallTable } from "../types";
import { type CsvSchema, maxRows, readCsv } from "./csv-table";

const ID = 0;
const OFFERED = 1;
const ANSWERED = 2;
const ABANDONED = 3;
const HANDLE = 4;

export const CALL_COLUMNS: CsvSchema = {
  required: ["call_id", "offered_at", "answered_at", "abandoned_at", "handle_seconds"],
  optional: [],
};

/** Parses a call export; `name` prefixes messages. */
export function parseCallsCsv(text: string, name: string): CallTable {
  const cap = maxRows(text);
  const id: string[] = [];
  const offeredAt = new Float64Array(cap);
  const answeredAt = new Float64Array(cap);
  const abandonedAt = new Float64Array(cap);
  const handleSeconds = new Float64Array(cap);
  const lineOf = new Map<string, number>();
  let n = 0;
  readCsv(text, name, CALL_COLUMNS, (row) => {
    const cid = row.requiredStr(ID);
    const first = lineOf.get(cid);
    if (first !== undefined) row.fail(ID, `"${cid}" is already on line ${first}`);
    lineOf.set(cid, row.line);
    const offered = row.requiredTime(OFFERED);
    const answered = row.time(ANSWERED);
    if (answered < offered) row.fail(ANSWERED, `${row.quoted(ANSWERED)} is before offered_at ${row.quoted(OFFERED)}`);
    const abandoned = row.time(ABANDONED);
    if (abandoned < offered)
      row.fail(ABANDONED, `${row.quoted(ABANDONED)} is before offered_at ${row.quoted(OFFERED)}`);
    if (answered === answered && abandoned === abandoned) {
      row.fail(ABANDONED, `a call is answered or abandoned, not both (answered_at ${row.quoted(ANSWERED)})`);
    }
    const handle = row.uint(HANDLE, MAX_UINT32);
    if (answered === answered && handle !== handle) row.fail(HANDLE, "empty, but required for an answered call");
    if (answered !== answered && handle === handle) {
      row.fail(HANDLE, `${row.quoted(HANDLE)} given, but the call was not answered (answered_at is empty)`);
    }
    id.push(cid);
    offeredAt[n] = offered;
    answeredAt[n] = answered;
    abandonedAt[n] = abandoned;
    handleSeconds[n] = handle;
    n++;
  });
  return {
    length: n,
    id,
    offeredAt: offeredAt.subarray(0, n),
    answeredAt: answeredAt.subarray(0, n),
    abandonedAt: abandonedAt.subarray(0, n),
    handleSeconds: handleSeconds.subarray(0, n),
  };
}
