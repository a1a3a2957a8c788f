/**
 * The registry of metric kinds: every kind the oracle can measure, by its name in spec files, and the bare probe
 * metric names that work without a spec file. Adding a kind is one module under kinds/ and one entry here.
 */
import { EXPORT_KINDS } from "./kinds/exports";
import { probesAvailability } from "./kinds/probes-availability";
import { probesLatency } from "./kinds/probes-latency";
import { PROMETHEUS_KINDS } from "./kinds/prometheus";
import type { AnyKind } from "./types";

export const KINDS: readonly AnyKind[] = [probesAvailability, probesLatency, ...EXPORT_KINDS, ...PROMETHEUS_KINDS];

const BY_NAME = new Map<string, AnyKind>(KINDS.map((k) => [k.kind, k]));

export function kindNamed(kind: string): AnyKind | undefined {
  return BY_NAME.get(kind);
}

/** The probe metrics by their bare names (DESIGN.md "Metrics the oracle computes"), as kind and parameters. */
export const BARE_METRICS: Readonly<Record<string, { kind: string; params: Record<string, unknown> }>> = {
  availability_ppm: { kind: "probes.availability_ppm", params: {} },
  latency_p50_ms: { kind: "probes.latency_ms", params: { percentile: 50 } },
  latency_p95_ms: { kind: "probes.latency_ms", params: { percentile: 95 } },
  latency_p99_ms: { kind: "probes.latency_ms", params: { percentile: 99 } },
};

export const BARE_METRIC_NAMES: readonly string[] = Object.keys(BARE_METRICS);
