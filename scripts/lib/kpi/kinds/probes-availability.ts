/** `probes.availability_ppm` (bare name `availability_ppm`): floor(1e6 * okSamples / allSamples). */
import { RuleError } from "../../errors";
import { ppm } from "../math";
import type { KindDefinition } from "../types";

export const probesAvailability: KindDefinition<"probes", Record<string, never>> = {
  kind: "probes.availability_ppm",
  source: "probes",
  summary: "share of probes that succeeded, in ppm",
  params: [],
  parse: () => ({}),
  higherIsBetter: () => true,
  unit: () => "ppm",
  toJson: () => ({}),
  describe: () => "share of probes that succeeded",
  defaultTolerance: () => ({ kind: "abs", amount: 1000 }),
  compute(samples) {
    const all = samples.length;
    if (all === 0)
      throw new RuleError("no probe samples in the period: nothing to attest (the escrow's silent path applies)");
    let ok = 0;
    for (const s of samples) if (s.ok) ok++;
    return {
      value: ppm(ok, all),
      derivation: { rule: "floor(1000000 * okSamples / allSamples)", allSamples: all, okSamples: ok },
    };
  },
};
