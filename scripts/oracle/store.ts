/**
 * The prober's append-only JSON-lines store: one probe result per line, each line written with one write
 * and fsync'd, so a result that was reported as stored survives a crash or a power cut. A crash in the middle
 * of a write leaves a torn last line (no trailing newline): readers detect it and skip it (and say so: it is
 * never counted), and the next writer cuts it off before appending so that it cannot glue onto a new line.
 */
import fs from "node:fs";
import path from "node:path";
import { UserError } from "../lib/errors";
import { writeFileAtomic } from "./report";
import { type Sample, UINT32_MAX } from "./samples";

/** One stored line. `latency_ms` is null for a failed probe; `status`/`error` say why it failed. */
export interface StoredProbe {
  timestamp: number;
  ok: boolean;
  latency_ms: number | null;
  status?: number | null;
  error?: string;
}

export interface StoreRead {
  samples: Sample[];
  /** Complete lines read. */
  lines: number;
  /** Bytes of a torn last line (no newline) that were skipped; 0 when the file ends cleanly. */
  tornBytes: number;
}

function toSample(v: unknown): Sample | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const ts = o.timestamp;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts) || ts < 0) return undefined;
  if (typeof o.ok !== "boolean") return undefined;
  if (!o.ok) return { timestamp: ts, ok: false, latencyMs: null };
  const l = o.latency_ms;
  if (typeof l !== "number" || !Number.isInteger(l) || l < 0 || l > UINT32_MAX) return undefined;
  return { timestamp: ts, ok: true, latencyMs: l };
}

/** Parses a JSON-lines store's bytes. A last line without newline is torn: skipped and reported. */
export function parseStore(text: string, name = "store"): StoreRead {
  const end = text.lastIndexOf("\n");
  const complete = end < 0 ? "" : text.slice(0, end);
  const tornBytes = Buffer.byteLength(text.slice(end + 1));
  const samples: Sample[] = [];
  let lines = 0;
  if (complete !== "") {
    const rows = complete.split("\n");
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i].trim();
      if (row === "") continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(row);
      } catch {
        throw new UserError(`${name} line ${i + 1}: not a JSON object: "${row.slice(0, 80)}"`);
      }
      const s = toSample(parsed);
      if (!s)
        throw new UserError(
          `${name} line ${i + 1}: not a probe result {timestamp, ok, latency_ms}: "${row.slice(0, 80)}"`,
        );
      samples.push(s);
      lines++;
    }
  }
  return { samples, lines, tornBytes };
}

export function readStore(file: string): StoreRead {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`cannot read store ${file}: ${(e as Error).message}`);
  }
  return parseStore(text, path.basename(file));
}

/**
 * The prober's watermark, in a file beside the store (`<store>.watermark.json`): every probe the prober scheduled
 * before `watermark` (unix seconds) is in the store, whether it succeeded or failed. The daemon measures a period of
 * a store only once the watermark has reached the period's end (DESIGN.md: a period's samples are those with
 * timestamp < dueAt), so a probe still in flight at the due time can never be left out of the measurement.
 */
export interface Watermark {
  watermark: number;
}

export function watermarkFile(store: string): string {
  return `${store}.watermark.json`;
}

/** The store's watermark, or undefined when no prober keeps one (a store exported from another tool). */
export function readWatermark(store: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(watermarkFile(store), "utf8");
  } catch {
    return undefined;
  }
  const w = (JSON.parse(text) as Partial<Watermark>).watermark;
  if (typeof w !== "number" || !Number.isSafeInteger(w)) {
    throw new UserError(`${watermarkFile(store)}: not a watermark {"watermark": <unix seconds>}`);
  }
  return w;
}

/** An open store for appending. */
export class ProbeStore {
  private fd: number;
  /** Bytes of a torn last line that `open` cut off (0 when the file ended cleanly). */
  readonly repairedBytes: number;

  private constructor(
    readonly file: string,
    fd: number,
    repairedBytes: number,
  ) {
    this.fd = fd;
    this.repairedBytes = repairedBytes;
  }

  /** Opens (creating) the store; cuts off a torn last line left by a crash, so new lines start clean. */
  static open(file: string): ProbeStore {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o644);
    const size = fs.fstatSync(fd).size;
    let repaired = 0;
    if (size > 0) {
      // Find the last newline, reading backwards in chunks.
      const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
      let pos = size;
      let lastNewline = -1;
      while (pos > 0 && lastNewline < 0) {
        const len = Math.min(chunk.length, pos);
        pos -= len;
        fs.readSync(fd, chunk, 0, len, pos);
        const i = chunk.subarray(0, len).lastIndexOf(0x0a);
        if (i >= 0) lastNewline = pos + i;
      }
      const keep = lastNewline + 1;
      if (keep < size) {
        repaired = size - keep;
        fs.ftruncateSync(fd, keep);
        fs.fsyncSync(fd);
      }
    }
    return new ProbeStore(file, fd, repaired);
  }

  /** Appends one result as one line and fsyncs it. */
  append(probe: StoredProbe): void {
    fs.writeSync(this.fd, JSON.stringify(probe) + "\n");
    fs.fsyncSync(this.fd);
  }

  /**
   * Records that every probe scheduled before `t` is stored (written atomically after the probes it covers were
   * fsync'd). Never moves backwards.
   */
  setWatermark(t: number): void {
    const current = readWatermark(this.file);
    if (current !== undefined && current >= t) return;
    writeFileAtomic(watermarkFile(this.file), JSON.stringify({ watermark: t } satisfies Watermark) + "\n");
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
