/**
 * The oracle's report: JSON with the agreement, milestone, period, every metric's spec, value and how it was
 * derived, and what each source read (file names and keccak256, sample counts, the Prometheus server). The report's evidence is keccak256 of the file's exact bytes
 * (what is written is what is hashed: readers hash the bytes they read, never a re-serialisation).
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, isAddress, keccak256 } from "ethers";
import { UserError } from "../lib/errors";
import type { Measured, MetricValue } from "./measure";
import type { SourceInfo } from "./samples";

export const REPORT_FORMAT = "sla-escrow/oracle-report@2";

export interface Period {
  start: number;
  end: number;
}

export interface Report {
  format: typeof REPORT_FORMAT;
  chainId: string;
  escrow: string;
  agreementId: string;
  milestone: number;
  period: Period & { rule: string };
  /** The oracle that measured and proposed this report. */
  oracle: string;
  /** What each source read, by source (`probes`, `tickets`, `calls`, `items`, `prometheus`). */
  sources: Record<string, SourceInfo>;
  /** Every metric of the agreement, in its order: its spec, unit, value and derivation. */
  metrics: MetricValue[];
  /** The attested values, one per metric of the agreement, in its order (uint32). */
  values: number[];
  /** The cut the agreement's tiers give for `values` (scripts/lib/penalty.ts). */
  cutBps: number;
}

export interface ReportContext {
  chainId: bigint | string;
  escrow: string;
  agreementId: bigint | string;
  milestone: number;
  period: Period;
  oracle: string;
}

/** Builds a report from a measurement (measure.ts). */
export function buildReport(ctx: ReportContext, result: Measured, cut: (values: number[]) => number): Report {
  return {
    format: REPORT_FORMAT,
    chainId: ctx.chainId.toString(),
    escrow: getAddress(ctx.escrow),
    agreementId: ctx.agreementId.toString(),
    milestone: ctx.milestone,
    period: {
      start: ctx.period.start,
      end: ctx.period.end,
      rule: "[start, end) in unix seconds, as each metric's kind defines",
    },
    oracle: getAddress(ctx.oracle),
    sources: result.sources,
    metrics: result.metrics,
    values: result.values,
    cutBps: cut(result.values),
  };
}

/** The exact bytes of a report file (pretty JSON, newline-terminated). */
export function serializeReport(report: Report): Buffer {
  return Buffer.from(JSON.stringify(report, null, 2) + "\n", "utf8");
}

/** keccak256 of a report file's exact bytes: the attestation's evidence. */
export function evidenceOf(bytes: Uint8Array): string {
  return keccak256(bytes);
}

/** Writes a report atomically (temp file, fsync, rename) and returns its bytes and evidence. */
export function writeReport(file: string, report: Report): { bytes: Buffer; evidence: string } {
  const bytes = serializeReport(report);
  writeFileAtomic(file, bytes);
  return { bytes, evidence: evidenceOf(bytes) };
}

/** Writes a file so that readers see the old or the new content, never a half: temp + fsync + rename. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, "w", 0o644);
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data, "utf8") : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export interface LoadedReport {
  report: Report;
  bytes: Buffer;
  evidence: string;
  file: string;
}

function isUint(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

/** Checks a parsed JSON value is a report (field by field, naming the first bad one). */
export function validateReport(v: unknown, name = "report"): Report {
  const bad = (field: string, why: string): never => {
    throw new UserError(`${name}: field "${field}" ${why}`);
  };
  if (v === null || typeof v !== "object" || Array.isArray(v)) bad("(root)", "is not a JSON object");
  const o = v as Record<string, unknown>;
  if (o.format !== REPORT_FORMAT) bad("format", `must be "${REPORT_FORMAT}"`);
  if (typeof o.chainId !== "string" || !/^[0-9]+$/.test(o.chainId)) bad("chainId", "must be a decimal string");
  if (typeof o.escrow !== "string" || !isAddress(o.escrow)) bad("escrow", "must be an address");
  if (typeof o.agreementId !== "string" || !/^[0-9]+$/.test(o.agreementId))
    bad("agreementId", "must be a decimal string");
  if (!isUint(o.milestone)) bad("milestone", "must be a non-negative integer");
  const period = o.period as Record<string, unknown> | null;
  if (period === null || typeof period !== "object" || !isUint(period.start) || !isUint(period.end)) {
    bad("period", "must be {start, end} in unix seconds");
  }
  if (typeof o.oracle !== "string" || !isAddress(o.oracle)) bad("oracle", "must be an address");
  if (!Array.isArray(o.values) || !o.values.every((x) => isUint(x, 4_294_967_295)))
    bad("values", "must be an array of uint32");
  if (!Array.isArray(o.metrics)) bad("metrics", "must be an array");
  const metrics = o.metrics as unknown[];
  const values = o.values as number[];
  if (metrics.length !== values.length) bad("metrics", `has ${metrics.length} entries but values has ${values.length}`);
  metrics.forEach((m, i) => {
    const mo = m as Record<string, unknown> | null;
    if (mo === null || typeof mo !== "object" || typeof mo.name !== "string" || mo.name === "") {
      bad(`metrics[${i}].name`, "must be a metric name");
    }
    const spec = (mo as Record<string, unknown>).spec as Record<string, unknown> | null;
    if (spec === null || typeof spec !== "object" || Array.isArray(spec) || typeof spec.kind !== "string") {
      bad(`metrics[${i}].spec`, `must be the metric's spec {"name", "kind", <parameters>}`);
    }
    if ((spec as Record<string, unknown>).name !== (mo as Record<string, unknown>).name)
      bad(`metrics[${i}].spec.name`, `differs from metrics[${i}].name`);
    if ((mo as Record<string, unknown>).value !== values[i]) bad(`metrics[${i}].value`, `differs from values[${i}]`);
  });
  const sources = o.sources as Record<string, unknown> | null;
  if (sources === null || typeof sources !== "object" || Array.isArray(sources)) {
    bad("sources", "must be an object (what each source read)");
  }
  if (!isUint(o.cutBps, 10_000)) bad("cutBps", "must be 0..10000");
  return v as Report;
}

/** Reads a report file: its exact bytes, their keccak256 and the validated content. */
export function loadReport(file: string, flag = "--report"): LoadedReport {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new UserError(`${flag}: cannot read ${file} (no such file)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new UserError(`${flag}: ${file} is not valid JSON (${(e as Error).message})`);
  }
  return { report: validateReport(parsed, `${flag} ${path.basename(file)}`), bytes, evidence: evidenceOf(bytes), file };
}

/** The metric names of a report, in order. */
export function reportMetricNames(report: Report): string[] {
  return report.metrics.map((m) => m.name);
}
