/**
 * The penalty rule of DESIGN.md in TypeScript, exactly as the escrow computes it (tests compare the two):
 * a tier of a higher-is-better metric is breached when value < threshold, of a lower-is-better metric when
 * value > threshold; a metric's cut is its largest breached cutBps; the milestone's cut is
 * min(10000, sum of metric cuts); the client's part is amount * cut / 10000 rounded down.
 */

import { MAX_BPS } from "./limits";

export interface TierLike {
  threshold: number | bigint;
  cutBps: number | bigint;
}

export interface MetricLike {
  higherIsBetter: boolean;
  tiers: readonly TierLike[];
}

export function isBreached(higherIsBetter: boolean, threshold: number, value: number): boolean {
  return higherIsBetter ? value < threshold : value > threshold;
}

/** The cut of one metric: the largest cutBps among its breached tiers, 0 if none. */
export function metricCutBps(metric: MetricLike, value: number): number {
  let cut = 0;
  for (const tier of metric.tiers) {
    const tierCut = Number(tier.cutBps);
    if (tierCut > cut && isBreached(metric.higherIsBetter, Number(tier.threshold), value)) cut = tierCut;
  }
  return cut;
}

/** The milestone's cut for `values` (one per metric, same order). */
export function cutBps(metrics: readonly MetricLike[], values: readonly (number | bigint)[]): number {
  if (values.length !== metrics.length) {
    throw new Error(`values: expected ${metrics.length} values (one per metric), got ${values.length}`);
  }
  const total = metrics.reduce((sum, metric, i) => sum + metricCutBps(metric, Number(values[i])), 0);
  return Math.min(MAX_BPS, total);
}

/** Splits a milestone amount by a cut: the client's part is rounded down. */
export function split(amount: bigint, cut: number | bigint): { toVendor: bigint; toClient: bigint } {
  const toClient = (amount * BigInt(cut)) / BigInt(MAX_BPS);
  return { toVendor: amount - toClient, toClient };
}
