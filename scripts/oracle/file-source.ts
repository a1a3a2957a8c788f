/**
 * File sources: a CSV file in DESIGN.md's format, or a JSON-lines store written by the HTTP prober (or
 * exported from any monitoring tool in the same shape). Chosen by extension: `.jsonl`/`.ndjson` are
 * JSON lines, anything else is CSV. The parsed file is cached until its size or mtime changes.
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { UserError } from "../lib/errors";
import { parseSamplesCsv } from "./csv";
import { PeriodNotComplete, type Sample, type SampleSource, type SourceSamples, inPeriod } from "./samples";
import { parseStore, readWatermark } from "./store";
import { formatTime } from "../lib/time";

export function isJsonLines(file: string): boolean {
  return /\.(jsonl|ndjson)$/i.test(file);
}

export class FileSource implements SampleSource {
  readonly kind: "csv" | "jsonl";
  private cache?: { size: number; mtimeMs: number; samples: Sample[]; hash: string; tornBytes: number };

  constructor(readonly file: string) {
    this.kind = isJsonLines(file) ? "jsonl" : "csv";
  }

  /** Every sample of the file (parsed once per file version). */
  load(): { samples: Sample[]; hash: string; tornBytes: number } {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch {
      throw new UserError(`--samples: cannot read ${this.file} (no such file)`);
    }
    if (this.cache && this.cache.size === stat.size && this.cache.mtimeMs === stat.mtimeMs) return this.cache;
    const bytes = fs.readFileSync(this.file);
    const name = path.basename(this.file);
    let samples: Sample[];
    let tornBytes = 0;
    if (this.kind === "csv") {
      samples = parseSamplesCsv(bytes.toString("utf8"), name);
    } else {
      const read = parseStore(bytes.toString("utf8"), name);
      samples = read.samples;
      tornBytes = read.tornBytes;
    }
    this.cache = { size: stat.size, mtimeMs: stat.mtimeMs, samples, hash: keccak256(bytes), tornBytes };
    return this.cache;
  }

  async samplesFor(start: number, end: number): Promise<SourceSamples> {
    // A prober's store is complete for the period only once its watermark has reached the period's end.
    const watermark = this.kind === "jsonl" ? readWatermark(this.file) : undefined;
    if (watermark !== undefined && watermark < end) {
      throw new PeriodNotComplete(
        `--store: the prober's watermark is ${formatTime(watermark)} (every probe before it is stored), before the period's end ${formatTime(end)}: waiting for the probes of the period to be stored`,
      );
    }
    const { samples, hash, tornBytes } = this.load();
    const info: SourceSamples["info"] = { kind: this.kind, file: path.basename(this.file) };
    // A CSV is a fixed export: its hash pins it. A store grows while the prober runs: say instead whether a
    // torn last line (a crash mid-write) was skipped.
    if (this.kind === "csv") info.fileKeccak256 = hash;
    else {
      info.tornLastLineBytesSkipped = tornBytes;
      if (watermark !== undefined) info.watermark = watermark;
    }
    return { samples: inPeriod(samples, start, end), info };
  }
}
