/**
 * The metric-kind extension point (DESIGN.md, "Business KPIs"): what a kind is, the data each source gives it, and
 * the shapes a measurement produces. A kind is one module under kinds/ exporting one {@link KindDefinition}; the
 * registry (registry.ts) lists them. Browser-safe: no Node built-ins (the sources that read files or query
 * Prometheus live in scripts/oracle and hand the kinds parsed data).
 */
import type { ParamReader } from "./params";

import type { Period } from "../model";

export type { Period };

/** Where a kind's data comes from: the oracle flag that supplies it is `--samples`/`--prometheus`, `--tickets`, ... */
export type SourceName = "probes" | "tickets" | "calls" | "items" | "prometheus";

/**
 * The unit of a kind's values, which decides how terms files write thresholds and how values are shown:
 * `ppm` ("95%", "950000ppm"), `ms` ("300ms", "1.5s"), `minutes` ("30min", "4h"), `seconds` ("20s", "5min"),
 * `count` and `number` (plain integers).
 */
export type Unit = "ppm" | "ms" | "minutes" | "seconds" | "count" | "number";

/** Co-signing tolerance: absolute (in the metric's unit) or relative to the co-signer's own value. */
export type Tolerance = { kind: "abs"; amount: number } | { kind: "pct"; percent: number };

/** How a value was derived: written into the report next to the value (JSON, so plain values only). */
export type Derivation = { rule: string } & Record<
  string,
  string | number | boolean | null | undefined | number[] | string[]
>;

/** A kind's result for one period. */
export interface Computed {
  value: number;
  derivation: Derivation;
}

/** One probe result (DESIGN.md "Metrics the oracle computes"); `latencyMs` is null for a failed probe. */
export interface Sample {
  timestamp: number;
  ok: boolean;
  latencyMs: number | null;
}

/**
 * Absent times and fields are NaN in the column arrays below (a typed array per column keeps a million rows in
 * a few tens of megabytes and the scans fast). Times are unix seconds (fractions already dropped).
 */
export interface TicketTable {
  readonly length: number;
  readonly id: readonly string[];
  readonly priority: readonly string[];
  readonly createdAt: Float64Array;
  readonly firstResponseAt: Float64Array;
  readonly resolvedAt: Float64Array;
  readonly responseDueAt: Float64Array;
  readonly resolutionDueAt: Float64Array;
  /** 1..5, NaN when the ticket has no answer. */
  readonly csat: Float64Array;
}

export interface CallTable {
  readonly length: number;
  readonly id: readonly string[];
  readonly offeredAt: Float64Array;
  readonly answeredAt: Float64Array;
  readonly abandonedAt: Float64Array;
  /** NaN exactly when the call was not answered. */
  readonly handleSeconds: Float64Array;
}

export interface ItemTable {
  readonly length: number;
  readonly id: readonly string[];
  readonly receivedAt: Float64Array;
  readonly completedAt: Float64Array;
  readonly dueAt: Float64Array;
  /** 1 or 0 (empty or absent column: 0). */
  readonly qaChecked: Uint8Array;
  /** NaN when not QA-checked. */
  readonly qaErrors: Float64Array;
}

/** The results of a Prometheus kind's queries, by the key its `queries` gave them (each one finite sample). */
export type PromResults = Readonly<Record<string, number>>;

/** What each source hands a kind. Probe samples are already limited to the period; export tables are whole. */
export interface SourceData {
  probes: readonly Sample[];
  tickets: TicketTable;
  calls: CallTable;
  items: ItemTable;
  prometheus: PromResults;
}

/**
 * A metric kind. `P` is its parsed, normalised parameters (defaults filled in): two specs with equal `P` compute
 * the same value from the same data, so co-signers compare them.
 */
export interface KindDefinition<S extends SourceName = SourceName, P = unknown> {
  /** The kind's name in spec files, e.g. "tickets.response_within_target_ppm". */
  readonly kind: string;
  readonly source: S;
  /** One line for help texts and docs. */
  readonly summary: string;
  /** The parameter keys the kind takes, in the order a normalised spec lists them. */
  readonly params: readonly string[];
  /** Validates the spec's parameters (unknown keys are rejected before this is called); throws RuleError. */
  parse(read: ParamReader): P;
  higherIsBetter(p: P): boolean;
  unit(p: P): Unit;
  /** The parameters as JSON, in `params` order, defaults included (what reports carry and co-signers compare). */
  toJson(p: P): Record<string, unknown>;
  /** What the value means, in words, e.g. "share of P1 tickets first answered within 1h". */
  describe(p: P): string;
  /** The co-signing tolerance when the oracle's `--tolerance` says nothing of the metric. */
  defaultTolerance(p: P): Tolerance;
  /** Prometheus kinds: the instant queries to evaluate at `period.end`, by key ({{.window}} already replaced). */
  queries?(p: P, period: Period): Record<string, string>;
  /**
   * The value for `period`, exactly as DESIGN.md defines it, clamped to [0, 4294967295]. Throws RuleError when
   * the period has no value (e.g. no probe samples, a Prometheus total of 0): the oracle then refuses to attest.
   */
  compute(data: SourceData[S], p: P, period: Period): Computed;
}

/** Any kind, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry is heterogeneous in P; specs pair each P with its kind
export type AnyKind = KindDefinition<SourceName, any>;
