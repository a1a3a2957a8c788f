/**
 * The work-item export (DESIGN.md "Business KPIs", work items): CSV with the columns
 * `item_id,received_at,completed_at` in any order and optionally `due_at`, `qa_checked`, `qa_errors`; other
 * columns are ignored.
 *
 * Rules: `item_id` and `received_at` must not be empty; an empty optional field counts as absent (NaN in the
 * table); an item id seen before rejects the file naming both lines; `completed_at` may not be strictly before
 * `received_at` (the same second is fine); `qa_checked` is `1` or `0` (empty or an absent column: 0);
 * `qa_errors` is a whole number, required when `qa_checked` is 1.
 *
 * Interpretations (where DESIGN.md is open):
 * - Ids are compared exactly (case and spaces included).
 * - `qa_errors` is a whole number 0..4294967295 (an error count is not negative); when `qa_checked` is 0 a
 *   `qa_errors` that is given is still checked to be one (a malformed field is malformed), then ignored (NaN in
 *   the table: only QA-checked items have errors).
 * - `qa_checked` is exactly `1`, `0` or empty (`true`, `yes`, ` 1` are rejected rather than guessed at).
 * - A `due_at` before `received_at` is allowed (it is not an event of the item; the item simply falls due early).
 */
import { MAX_UINT32 } from "../../limits";
import type { ItemTable } from "../types";
import { type CsvSchema, maxRows, readCsv } from "./csv-table";

const ID = 0;
const RECEIVED = 1;
const COMPLETED = 2;
const DUE = 3;
const QA_CHECKED = 4;
const QA_ERRORS = 5;

export const ITEM_COLUMNS: CsvSchema = {
  required: ["item_id", "received_at", "completed_at"],
  optional: ["due_at", "qa_checked", "qa_errors"],
};

/** Parses a work-item export; `name` prefixes messages. */
export function parseItemsCsv(text: string, name: string): ItemTable {
  const cap = maxRows(text);
  const id: string[] = [];
  const receivedAt = new Float64Array(cap);
  const completedAt = new Float64Array(cap);
  const dueAt = new Float64Array(cap);
  const qaChecked = new Uint8Array(cap);
  const qaErrors = new Float64Array(cap);
  const lineOf = new Map<string, number>();
  let n = 0;
  readCsv(text, name, ITEM_COLUMNS, (row) => {
    const iid = row.requiredStr(ID);
    const first = lineOf.get(iid);
    if (first !== undefined) row.fail(ID, `"${iid}" is already on line ${first}`);
    lineOf.set(iid, row.line);
    const received = row.requiredTime(RECEIVED);
    const completed = row.time(COMPLETED);
    if (completed < received)
      row.fail(COMPLETED, `${row.quoted(COMPLETED)} is before received_at ${row.quoted(RECEIVED)}`);
    const due = row.time(DUE);
    let checked = 0;
    if (!row.empty(QA_CHECKED)) {
      const s = row.str(QA_CHECKED);
      if (s === "1") checked = 1;
      else if (s !== "0") row.fail(QA_CHECKED, `${row.quoted(QA_CHECKED)} must be 1 or 0 (or empty: 0)`);
    }
    let errors = row.uint(QA_ERRORS, MAX_UINT32);
    if (checked === 1 && errors !== errors) {
      row.fail(
        QA_ERRORS,
        row.has(QA_ERRORS)
          ? "empty, but required when qa_checked is 1"
          : "required when qa_checked is 1, but the header has no qa_errors column",
      );
    }
    if (checked === 0) errors = NaN;
    id.push(iid);
    receivedAt[n] = received;
    completedAt[n] = completed;
    dueAt[n] = due;
    qaChecked[n] = checked;
    qaErrors[n] = errors;
    n++;
  });
  return {
    length: n,
    id,
    receivedAt: receivedAt.subarray(0, n),
    completedAt: completedAt.subarray(0, n),
    dueAt: dueAt.subarray(0, n),
    qaChecked: qaChecked.subarray(0, n),
    qaErrors: qaErrors.subarray(0, n),
  };
}
