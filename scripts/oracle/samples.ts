/**
 * Samples and the one interface every source implements (CSV/JSON-lines files, the HTTP prober's store,
 * a Prometheus server). A sample is one probe result: `(timestamp, ok, latencyMs)` as DESIGN.md fixes it.
 */

import type { Sample } from "../lib/kpi/types";
import { UserError } from "../lib/errors";
import { MAX_UINT32 } from "../lib/limits";

export type { Sample };

/**
 * A source that is not yet complete for a period (an export written before the period's end plus the lag, a prober
 * whose watermark has not passed the period's end): not an error but a wait; the daemon retries each round and
 * says what it waits for.
 */
export class PeriodNotComplete extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "PeriodNotComplete";
  }
}

/** What a source tells about itself; copied into the report's `sources` field. */
export type SourceInfo = Record<string, unknown>;

/** The samples of one period, plus what the source noticed while reading them (e.g. a torn last line). */
export interface SourceSamples {
  samples: Sample[];
  info: SourceInfo;
}

/** A source of samples: returns every sample with `start <= timestamp < end`. */
export interface SampleSource {
  readonly kind: string;
  samplesFor(start: number, end: number): Promise<SourceSamples>;
}

/** The worst value a uint32 can say (limits.ts). */
export const UINT32_MAX = MAX_UINT32;

/** Keeps the samples of the half-open period [start, end). */
export function inPeriod(samples: readonly Sample[], start: number, end: number): Sample[] {
  return samples.filter((s) => s.timestamp >= start && s.timestamp < end);
}
