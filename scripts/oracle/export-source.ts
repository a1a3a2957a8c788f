/**
 * Export files as sources (DESIGN.md "Business KPIs"): a ticket, call or work-item CSV that an export job
 * refreshes. The file is re-read whenever its size or modification time changes; its keccak256 goes into the
 * report so that a co-signer can see whether it read the same bytes. A period is measured only once the export is
 * complete for it: the file must have been written after the period's end plus `--lag` (a newer file replacing it
 * counts); until then {@link ExportNotComplete} says what the oracle waits for.
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { UserError } from "../lib/errors";
import { parseCallsCsv } from "../lib/kpi/exports/calls";
import { parseItemsCsv } from "../lib/kpi/exports/items";
import { parseTicketsCsv } from "../lib/kpi/exports/tickets";
import type { CallTable, ItemTable, TicketTable } from "../lib/kpi/types";
import { formatTime } from "../lib/time";
import { PeriodNotComplete } from "./samples";

/** The export is older than the period's end plus the lag: not an error, a wait (the daemon retries each round). */
export class ExportNotComplete extends PeriodNotComplete {}

export interface LoadedExport<T> {
  table: T;
  hash: string;
  mtimeMs: number;
  rows: number;
}

export class ExportFile<T extends { length: number }> {
  private cache?: LoadedExport<T> & { size: number };

  constructor(
    readonly file: string,
    /** The flag that named the file (`--tickets`), for messages. */
    readonly flag: string,
    private readonly parse: (text: string, name: string) => T,
  ) {}

  /** The parsed file (parsed again only when its size or modification time changed). */
  load(): LoadedExport<T> {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      throw new UserError(`${this.flag}: cannot read ${this.file} (no such file)`);
    }
    if (this.cache && this.cache.size === stat.size && this.cache.mtimeMs === stat.mtimeMs) return this.cache;
    const bytes = fs.readFileSync(this.file);
    const table = this.parse(bytes.toString("utf8"), `${this.flag} ${path.basename(this.file)}`);
    this.cache = { table, hash: keccak256(bytes), mtimeMs: stat.mtimeMs, rows: table.length, size: stat.size };
    return this.cache;
  }

  /**
   * The export for a period ending at `end`: refused with {@link ExportNotComplete} unless the file was written
   * after `end + lagSeconds`.
   */
  loadFor(end: number, lagSeconds: number, what: string): LoadedExport<T> {
    const loaded = this.load();
    const completeAfter = end + lagSeconds;
    if (loaded.mtimeMs / 1000 <= completeAfter) {
      throw new ExportNotComplete(
        `${this.flag}: ${path.basename(this.file)} was written at ${formatTime(Math.floor(loaded.mtimeMs / 1000))}, ` +
          `not after the end of ${what} (${formatTime(end)}) plus --lag ${lagSeconds}s: waiting for an export written after ${formatTime(completeAfter)}`,
      );
    }
    return loaded;
  }
}

export const ticketsFile = (file: string): ExportFile<TicketTable> =>
  new ExportFile(file, "--tickets", parseTicketsCsv);
export const callsFile = (file: string): ExportFile<CallTable> => new ExportFile(file, "--calls", parseCallsCsv);
export const itemsFile = (file: string): ExportFile<ItemTable> => new ExportFile(file, "--items", parseItemsCsv);
