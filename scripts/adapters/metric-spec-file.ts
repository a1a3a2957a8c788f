/**
 * Node adapter for metric spec files (`--metric-spec FILE.json`, and a terms file's `metricSpec`): reads the file;
 * the rules are the core's (scripts/lib/kpi/spec.ts).
 */
import { readFileSync } from "node:fs";
import { MetricSpecError } from "../lib/errors";
import { type MetricSpec, parseMetricSpecs } from "../lib/kpi/spec";

/** The specs of a spec file; a missing, malformed or invalid file throws MetricSpecError naming it. */
export function readMetricSpecFile(file: string, flag = "--metric-spec"): MetricSpec[] {
  const label = `${flag} ${file}`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new MetricSpecError(label, [
      `(file): cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MetricSpecError(label, [`(file): is not valid JSON (${(err as Error).message})`]);
  }
  return parseMetricSpecs(raw, label);
}
