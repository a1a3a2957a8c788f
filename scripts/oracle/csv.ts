/**
 * The sample file format of DESIGN.md: CSV with the header `timestamp,ok,latency_ms` (unix seconds, `1` or
 * `0`, integer milliseconds, empty when not ok). Rows may come in any order; a malformed row rejects the whole
 * file with its line number; a failed row's latency, if present, is ignored.
 */
import { UserError } from "../lib/errors";
import { type Sample, UINT32_MAX } from "./samples";

export const CSV_HEADER = "timestamp,ok,latency_ms";

const UINT = /^[0-9]+$/;

/** Parses a non-negative integer field, or undefined when it is not one (or too large to be exact). */
function parseUint(text: string): number | undefined {
  if (!UINT.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parses a sample CSV. `name` is used in messages (`samples.csv line 7: ...`). Trailing empty lines are
 * allowed; CRLF line ends and a UTF-8 byte-order mark are accepted.
 */
export function parseSamplesCsv(text: string, name = "samples"): Sample[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) throw new UserError(`${name}: empty file (expected the header "${CSV_HEADER}")`);
  const header = lines[0]
    .split(",")
    .map((f) => f.trim())
    .join(",");
  if (header !== CSV_HEADER) {
    throw new UserError(`${name} line 1: header must be "${CSV_HEADER}", got "${lines[0]}"`);
  }
  const samples: Sample[] = [];
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const bad = (why: string): never => {
      throw new UserError(`${name} line ${lineNo}: ${why} in "${lines[i]}"`);
    };
    const fields = lines[i].split(",").map((f) => f.trim());
    if (fields.length !== 3) bad(`expected 3 fields (${CSV_HEADER}), got ${fields.length}`);
    const [ts, okText, lat] = fields;
    const timestamp = parseUint(ts);
    if (timestamp === undefined) bad(`timestamp "${ts}" is not a unix time in whole seconds`);
    if (okText !== "0" && okText !== "1") bad(`ok "${okText}" must be 1 or 0`);
    const ok = okText === "1";
    let latencyMs: number | null = null;
    if (ok) {
      if (lat === "") bad("latency_ms is empty for an ok sample");
      const l = parseUint(lat);
      if (l === undefined || l > UINT32_MAX)
        bad(`latency_ms "${lat}" is not an integer number of milliseconds (0..${UINT32_MAX})`);
      latencyMs = l as number;
    }
    samples.push({ timestamp: timestamp as number, ok, latencyMs });
  }
  return samples;
}

/** Renders samples in the CSV format (used by tests, the benchmark and `oracle probe --export`). */
export function formatSamplesCsv(samples: readonly Sample[]): string {
  const rows = samples.map((s) => `${s.timestamp},${s.ok ? 1 : 0},${s.ok ? s.latencyMs : ""}`);
  return [CSV_HEADER, ...rows].join("\n") + "\n";
}
