/**
 * `probes.latency_ms` with `percentile` (bare names `latency_p50_ms`, `latency_p95_ms`, `latency_p99_ms`): the
 * nearest-rank percentile of the ok samples' latencies; 4294967295 when every sample failed.
 */
import { RuleError } from "../../errors";
import { MAX_UINT32 } from "../../limits";
import { nearestRankIndex } from "../math";
import type { KindDefinition } from "../types";

export const probesLatency: KindDefinition<"probes", { percentile: number }> = {
  kind: "probes.latency_ms",
  source: "probes",
  summary: "nearest-rank percentile of the ok probes' latencies, in ms",
  params: ["percentile"],
  parse: (r) => ({ percentile: r.int("percentile", { min: 1, max: 100 }) }),
  higherIsBetter: () => false,
  unit: () => "ms",
  toJson: (p) => ({ percentile: p.percentile }),
  describe: (p) => `p${p.percentile} latency of the ok probes`,
  defaultTolerance: () => ({ kind: "pct", percent: 10 }),
  compute(samples, p) {
    const all = samples.length;
    if (all === 0)
      throw new RuleError("no probe samples in the period: nothing to attest (the escrow's silent path applies)");
    let ok = 0;
    for (const s of samples) if (s.ok) ok++;
    const rule = `nearest rank: ok latencies sorted ascending, index ceil(${p.percentile}/100 * okSamples) - 1`;
    if (ok === 0) {
      return {
        value: MAX_UINT32,
        derivation: {
          rule: `${rule}; no ok sample: 4294967295`,
          allSamples: all,
          okSamples: 0,
          percentile: p.percentile,
        },
      };
    }
    // A typed array sorts numerically in native code (latencies are uint32).
    const latencies = new Uint32Array(ok);
    let j = 0;
    for (const s of samples) if (s.ok) latencies[j++] = s.latencyMs as number;
    latencies.sort();
    const index = nearestRankIndex(p.percentile, ok);
    return {
      value: latencies[index],
      derivation: { rule, allSamples: all, okSamples: ok, percentile: p.percentile, index },
    };
  },
};
