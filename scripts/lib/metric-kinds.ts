/**
 * The metric names the oracle computes (DESIGN.md "Metrics the oracle computes"), with the direction their names
 * imply and their unit: the terms files, the oracle and the explanations read them here.
 */
/** The metrics the oracle computes (DESIGN.md), with the direction their names imply. */
export const METRIC_KINDS: Readonly<Record<string, { higherIsBetter: boolean; unit: "ppm" | "ms" }>> = {
  availability_ppm: { higherIsBetter: true, unit: "ppm" },
  latency_p50_ms: { higherIsBetter: false, unit: "ms" },
  latency_p95_ms: { higherIsBetter: false, unit: "ms" },
  latency_p99_ms: { higherIsBetter: false, unit: "ms" },
};
