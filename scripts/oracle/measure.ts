/**
 * Measuring a milestone: every metric of the agreement, by its spec (scripts/lib/kpi), from the sources the
 * oracle was given. Each source is read once per measurement (probe samples of the period, an export table, the
 * Prometheus queries at the period's end); each kind computes its value exactly as DESIGN.md defines it.
 */
import type {
  CallTable,
  Derivation,
  ItemTable,
  Period,
  PromResults,
  SourceName,
  TicketTable,
  Unit,
} from "../lib/kpi/types";
import { type MetricSpec, specJson, unitOf } from "../lib/kpi/spec";
import { RuleError, UserError } from "../lib/errors";
import type { ExportFile } from "./export-source";
import type { SampleSource, SourceInfo } from "./samples";

/** Evaluates Prometheus instant queries at a time (scripts/oracle/prometheus-instant.ts). */
export interface InstantQuerySource {
  evaluate(
    queries: Record<string, string>,
    time: number,
  ): Promise<{ results: PromResults; info: Record<string, unknown> }>;
}

/** The sources an oracle was given; a metric whose source is missing is a UserError naming the flag. */
export interface Sources {
  probes?: SampleSource;
  tickets?: ExportFile<TicketTable>;
  calls?: ExportFile<CallTable>;
  items?: ExportFile<ItemTable>;
  prometheus?: InstantQuerySource;
}

/** The flag that supplies each source. */
export const SOURCE_FLAGS: Record<SourceName, string> = {
  probes: "--samples (or --store, --url, --prometheus)",
  tickets: "--tickets",
  calls: "--calls",
  items: "--items",
  prometheus: "--prometheus",
};

/** One metric of a report: its spec (the file's shape, defaults included), its value and how it was derived. */
export interface MetricValue {
  name: string;
  spec: Record<string, unknown>;
  unit: Unit;
  value: number;
  derivation: Derivation;
}

export interface Measured {
  metrics: MetricValue[];
  /** The values in the agreement's metric order (uint32). */
  values: number[];
  /** What each source read (file names and hashes, sample counts, the Prometheus server), by source. */
  sources: Record<string, SourceInfo>;
}

/** The sources the specs read, in a stable order. */
export function sourcesOf(specs: readonly MetricSpec[]): SourceName[] {
  const order: SourceName[] = ["probes", "tickets", "calls", "items", "prometheus"];
  return order.filter((s) => specs.some((spec) => spec.kind.source === s));
}

/**
 * Measures `specs` over `period`. `lagSeconds`: an export must have been written after `period.end + lagSeconds`
 * (ExportNotComplete otherwise). `what` names the milestone in messages. Throws a UserError when a source is
 * missing, refuses, or the period has no value.
 */
export async function measureSpecs(
  specs: readonly MetricSpec[],
  sources: Sources,
  period: Period,
  opts: { lagSeconds: number; what: string },
): Promise<Measured> {
  const info: Record<string, SourceInfo> = {};
  const data: Partial<Record<SourceName, unknown>> = {};
  for (const source of sourcesOf(specs)) {
    if (source === "prometheus") continue; // per metric, below
    const needed = specs.find((s) => s.kind.source === source) as MetricSpec;
    if (source === "probes") {
      if (!sources.probes) throw missing(source, needed);
      const got = await sources.probes.samplesFor(period.start, period.end);
      let ok = 0;
      for (const s of got.samples) if (s.ok) ok++;
      data.probes = got.samples;
      info.probes = { ...got.info, all: got.samples.length, ok, failed: got.samples.length - ok };
      continue;
    }
    const file = sources[source];
    if (!file) throw missing(source, needed);
    const loaded = file.loadFor(period.end, opts.lagSeconds, opts.what);
    data[source] = loaded.table;
    info[source] = { file: file.file.split(/[\\/]/).pop() ?? file.file, fileKeccak256: loaded.hash, rows: loaded.rows };
  }
  const metrics: MetricValue[] = [];
  for (const spec of specs) {
    let input: unknown = data[spec.kind.source];
    if (spec.kind.source === "prometheus") {
      if (!sources.prometheus) throw missing("prometheus", spec);
      const queries = spec.kind.queries?.(spec.params, period) ?? {};
      let got;
      try {
        got = await sources.prometheus.evaluate(queries, period.end);
      } catch (err) {
        if (err instanceof UserError) throw new UserError(`${opts.what}, metric "${spec.name}": ${err.message}`);
        throw err;
      }
      info.prometheus = { ...(info.prometheus ?? {}), ...(got.info as SourceInfo) };
      input = got.results;
    }
    let computed;
    try {
      computed = spec.kind.compute(input as never, spec.params, period);
    } catch (err) {
      if (err instanceof RuleError) throw new UserError(`${opts.what}, metric "${spec.name}": ${err.message}`);
      throw err;
    }
    metrics.push({
      name: spec.name,
      spec: specJson(spec),
      unit: unitOf(spec),
      value: computed.value,
      derivation: computed.derivation,
    });
  }
  return { metrics, values: metrics.map((m) => m.value), sources: info };
}

function missing(source: SourceName, spec: MetricSpec): UserError {
  return new UserError(
    `${SOURCE_FLAGS[source].split(" ")[0]}: missing; metric "${spec.name}" (${spec.kind.kind}) reads ${source === "probes" ? "probe samples" : `the ${source} export`} from ${SOURCE_FLAGS[source]}`,
  );
}
