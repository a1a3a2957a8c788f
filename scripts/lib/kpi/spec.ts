/**
 * Metric specs (DESIGN.md "Business KPIs", metric specs): which metric each of an agreement's values is, as a
 * name, a kind and the kind's parameters. The chain stores only each metric's direction and tiers, so the parties
 * and their oracles agree on a spec file `{"metrics": [{"name", "kind", <params>}, ...]}`; the probe metrics also
 * work by their bare names without one. Everything here is pure: the file is read by the Node adapters.
 */
import { MetricSpecError, RuleError, UserError } from "../errors";
import { MAX_METRICS } from "../limits";
import { ParamReader } from "./params";
import { BARE_METRICS, BARE_METRIC_NAMES, KINDS, kindNamed } from "./registry";
import type { AnyKind, Tolerance, Unit } from "./types";

const q = (v: unknown): string => JSON.stringify(v);

/** One metric of an agreement: its name, its kind and the kind's parsed parameters (defaults filled in). */
export interface MetricSpec {
  readonly name: string;
  readonly kind: AnyKind;
  readonly params: unknown;
}

/** The spec as JSON, in the file's shape, with every parameter (defaults included) in the kind's order. */
export function specJson(s: MetricSpec): Record<string, unknown> {
  return { name: s.name, kind: s.kind.kind, ...s.kind.toJson(s.params) };
}

export function higherIsBetterOf(s: MetricSpec): boolean {
  return s.kind.higherIsBetter(s.params) as boolean;
}

export function unitOf(s: MetricSpec): Unit {
  return s.kind.unit(s.params) as Unit;
}

export function describeSpec(s: MetricSpec): string {
  return s.kind.describe(s.params) as string;
}

export function defaultToleranceOf(s: MetricSpec): Tolerance {
  return s.kind.defaultTolerance(s.params) as Tolerance;
}

/** Parses one spec object at `path` (e.g. `metrics[1]`); throws RuleError naming the field. */
export function parseSpec(raw: unknown, path: string): MetricSpec {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new RuleError(`${path}: must be an object {"name": ..., "kind": ..., <parameters>}, got ${q(raw)}`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== "string" || o.name.trim() === "")
    throw new RuleError(`${path}.name: must be a non-empty string, got ${q(o.name)}`);
  if (typeof o.kind !== "string") throw new RuleError(`${path}.kind: must be one of ${kindList()}, got ${q(o.kind)}`);
  const kind = kindNamed(o.kind);
  if (kind === undefined) throw new RuleError(`${path}.kind: ${q(o.kind)} is not a kind (known: ${kindList()})`);
  for (const key of Object.keys(o)) {
    if (key !== "name" && key !== "kind" && !kind.params.includes(key)) {
      const takes = kind.params.length === 0 ? "no parameters" : `only ${kind.params.join(", ")}`;
      throw new RuleError(`${path}.${key}: ${kind.kind} takes ${takes}`);
    }
  }
  const params: unknown = kind.parse(new ParamReader(o, path));
  return { name: o.name, kind, params };
}

function kindList(): string {
  return KINDS.map((k) => k.kind).join(", ");
}

/**
 * Parses a spec file's JSON. `file` names it in the error, which lists every bad metric (one error each, naming
 * the field): a missing or empty list, more than MAX_METRICS, a bad kind or parameter, a name used twice.
 */
export function parseMetricSpecs(raw: unknown, file: string): MetricSpec[] {
  const errors: string[] = [];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new MetricSpecError(file, [`(root): must be an object {"metrics": [...]}`]);
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (key !== "metrics") errors.push(`${key}: unknown field (the file holds "metrics")`);
  const list = o.metrics;
  if (!Array.isArray(list)) throw new MetricSpecError(file, [...errors, `metrics: must be a list, got ${q(list)}`]);
  if (list.length === 0 || list.length > MAX_METRICS)
    errors.push(`metrics: must list 1 to ${MAX_METRICS} metrics (the escrow's bound), got ${list.length}`);
  const specs: MetricSpec[] = [];
  list.forEach((entry, i) => {
    try {
      const spec = parseSpec(entry, `metrics[${i}]`);
      const first = specs.findIndex((s) => s.name === spec.name);
      if (first >= 0) errors.push(`metrics[${i}].name: ${q(spec.name)} is already metrics[${first}]`);
      specs.push(spec);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      errors.push(err.message);
    }
  });
  if (errors.length > 0) throw new MetricSpecError(file, errors);
  return specs;
}

/** The spec of a bare probe metric name (`availability_ppm`, `latency_p95_ms`, ...), or undefined. */
export function bareSpec(name: string): MetricSpec | undefined {
  const bare = BARE_METRICS[name];
  if (bare === undefined) return undefined;
  return parseSpec({ name, kind: bare.kind, ...bare.params }, name);
}

/**
 * The agreement's metrics from the command line: `--metric-spec`'s specs, or `--metrics NAME,NAME` (bare probe
 * names; with a spec file, the names must be the spec's, in its order). Throws a UserError naming the flag.
 */
export function selectSpecs(metricsFlag: string | undefined, specs: readonly MetricSpec[] | undefined): MetricSpec[] {
  const given =
    metricsFlag === undefined || metricsFlag.trim() === "" ? undefined : metricsFlag.split(",").map((s) => s.trim());
  if (specs !== undefined) {
    if (given !== undefined && given.join(",") !== specs.map((s) => s.name).join(",")) {
      throw new UserError(
        `--metrics: "${given.join(",")}" is not the metric spec's names in its order ("${specs.map((s) => s.name).join(",")}"); leave --metrics out with --metric-spec`,
      );
    }
    return [...specs];
  }
  if (given === undefined) {
    throw new UserError(
      `--metrics: missing; give the agreement's metrics in order (e.g. availability_ppm,latency_p95_ms), or --metric-spec FILE.json`,
    );
  }
  const out: MetricSpec[] = [];
  for (const name of given) {
    const spec = bareSpec(name);
    if (spec === undefined) {
      throw new UserError(
        `--metrics: unknown metric "${name}" (known without a spec file: ${BARE_METRIC_NAMES.join(", ")}; other kinds need --metric-spec FILE.json)`,
      );
    }
    if (out.some((s) => s.name === name)) throw new UserError(`--metrics: metric "${name}" named twice`);
    out.push(spec);
  }
  return out;
}

/**
 * The specs must be one per metric of the agreement, each in the agreement's direction. `flag` names where the
 * specs came from in the message.
 */
export function checkSpecsAgainstTerms(
  specs: readonly MetricSpec[],
  metrics: readonly { higherIsBetter: boolean }[],
  agreement: bigint | string,
  flag: string,
): void {
  if (specs.length !== metrics.length) {
    throw new UserError(
      `${flag}: agreement ${agreement} has ${metrics.length} metric(s), but ${specs.length} were given (${specs.map((s) => s.name).join(",")})`,
    );
  }
  specs.forEach((spec, i) => {
    if (higherIsBetterOf(spec) !== metrics[i].higherIsBetter) {
      throw new UserError(
        `${flag}: metric ${i} of agreement ${agreement} is ${metrics[i].higherIsBetter ? "higher" : "lower"}-is-better, but "${spec.name}" (${spec.kind.kind}) is not`,
      );
    }
  });
}

/** A stable rendering of a JSON value (keys in the order given), for comparing specs. */
function canonical(v: unknown): string {
  return JSON.stringify(v);
}

/**
 * The first difference between a report's metric specs (JSON, as the report carries them) and ours, in words;
 * undefined when they are the same metrics in the same order with the same kinds and parameters. Theirs are
 * parsed and normalised first (defaults filled in), so only what changes a value counts as a difference.
 */
export function firstSpecDifference(theirs: readonly unknown[], ours: readonly MetricSpec[]): string | undefined {
  const names = ours.map((s) => s.name).join(", ");
  if (theirs.length !== ours.length) {
    return `it has ${theirs.length} metric(s), ours are ${ours.length} (${names})`;
  }
  for (let i = 0; i < ours.length; i++) {
    let t: MetricSpec;
    try {
      t = parseSpec(theirs[i], `metric ${i}`);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      return `its ${err.message}`;
    }
    const o = ours[i];
    if (t.name !== o.name) return `metric ${i} is "${t.name}" in it but "${o.name}" in ours`;
    if (t.kind !== o.kind)
      return `metric ${i} ("${o.name}") is of kind ${t.kind.kind} in it but ${o.kind.kind} in ours`;
    const a = specJson(t);
    const b = specJson(o);
    for (const key of o.kind.params) {
      if (canonical(a[key]) !== canonical(b[key])) {
        return `metric ${i} ("${o.name}") has ${key} ${canonical(a[key])} in it but ${canonical(b[key])} in ours`;
      }
    }
  }
  return undefined;
}
