/**
 * Time-compressed probing with the oracle's own prober.
 *
 * A virtual clock lays a grid over each milestone period: one probe slot every `stepSeconds` virtual seconds
 * (30 virtual minutes by default), from the period's start up to (excluding) its due time, and runs fast: slot
 * k starts `k * realMsPerProbe` real milliseconds after the period's first (2 ms by default, so a 30-day month
 * of 1440 probes takes about 3 s). Each slot is one real HTTP probe by the oracle's `probeOnce`
 * (scripts/oracle/prober.ts: the same request, timeout, status check and latency measurement the daemon's
 * prober uses), stored in the oracle's append-only JSON-lines `ProbeStore` (scripts/oracle/store.ts) with the
 * slot's virtual timestamp instead of the wall clock's second. The oracle's `Prober` class schedules on the
 * wall clock, so the demo drives `probeOnce` on its own compressed schedule.
 *
 * Like the real prober, a probe starts on schedule whether or not earlier ones have answered: a slow answer or
 * a timeout does not delay the next probe (it only adds to the probes in flight, up to `maxInFlight`). The
 * schedule is paced, never fired in bursts, and the process is warmed up first (`warmUp`), so that the
 * measured latencies are the service's and not the probing process's own queue.
 */
import { probeOnce } from "../oracle/prober";
import type { ProbeStore, StoredProbe } from "../oracle/store";

export interface VirtualProbeOptions {
  /** The service URL; each probe requests `<url>?vt=<slot's virtual time>`. */
  url: string;
  /** Period [start, end) in unix seconds. */
  start: number;
  end: number;
  /** Virtual seconds between two probes. */
  stepSeconds: number;
  /** The prober's timeout, real milliseconds. */
  timeoutMs: number;
  /** Real milliseconds between the starts of two probes (the compressed clock). */
  realMsPerProbe: number;
  /** At most this many probes in flight (default 64; the schedule waits when it is reached). */
  maxInFlight?: number;
  store: ProbeStore;
  expectStatus?: number;
}

export interface VirtualProbeResult {
  probes: number;
  ok: number;
  failed: number;
  /** Failure reasons (`status 503`, `timeout after 2000 ms`, `UND_ERR_SOCKET`...) and their counts. */
  errors: Record<string, number>;
  /** Real milliseconds the period's probing took. */
  realMs: number;
}

/** The virtual times of the probe slots of [start, end): start, start + step, ... (< end). */
export function probeSlots(start: number, end: number, stepSeconds: number): number[] {
  if (!(stepSeconds > 0) || !Number.isInteger(stepSeconds))
    throw new Error(`probe step must be a positive whole number of seconds, got ${stepSeconds}`);
  const out: number[] = [];
  for (let t = start; t < end; t += stepSeconds) out.push(t);
  return out;
}

/** Probes every slot of the period for real and appends each result, stamped with its virtual time. */
export async function probePeriod(o: VirtualProbeOptions): Promise<VirtualProbeResult> {
  const slots = probeSlots(o.start, o.end, o.stepSeconds);
  const result: VirtualProbeResult = { probes: 0, ok: 0, failed: 0, errors: {}, realMs: 0 };
  const t0 = Date.now();
  await paced(slots.length, o.realMsPerProbe, o.maxInFlight ?? 64, async (k) => {
    const vt = slots[k];
    const measured = await probeOnce({
      url: `${o.url}?vt=${vt}`,
      timeoutMs: o.timeoutMs,
      expectStatus: o.expectStatus ?? 200,
    });
    const stored: StoredProbe = { ...measured, timestamp: vt };
    o.store.append(stored);
    result.probes++;
    if (stored.ok) result.ok++;
    else {
      result.failed++;
      const reason = stored.error ?? "failed";
      result.errors[reason] = (result.errors[reason] ?? 0) + 1;
    }
  });
  result.realMs = Date.now() - t0;
  return result;
}

/**
 * Warms the probing process up before the first recorded probe: probes `url` (no virtual time: the service
 * answers normally) in rounds of 100 at the demo's pace until a round's slowest answer is under 100 ms, at most
 * `maxRounds` rounds. A cold process (JIT, new connections) otherwise answers its first few hundred probes
 * hundreds of milliseconds late, which would show up as a slow first month. Nothing is stored.
 */
export async function warmUp(
  url: string,
  realMsPerProbe: number,
  timeoutMs: number,
  maxRounds = 8,
): Promise<{ probes: number; rounds: number; slowestMs: number }> {
  let probes = 0;
  let slowestMs = 0;
  let round = 0;
  while (round < maxRounds) {
    round++;
    slowestMs = 0;
    await paced(100, realMsPerProbe, 64, async () => {
      const r = await probeOnce({ url: `${url}?warmup=1`, timeoutMs, expectStatus: 200 });
      probes++;
      slowestMs = Math.max(slowestMs, r.ok ? (r.latency_ms ?? 0) : timeoutMs);
    });
    if (slowestMs < 100) break;
  }
  return { probes, rounds: round, slowestMs };
}

/**
 * Starts `run(k)` for k = 0..count-1, one every `intervalMs` real milliseconds, without waiting for earlier ones
 * to finish (at most `maxInFlight` at once). After a stall the schedule resumes at its pace rather than firing
 * every missed start at once (a burst would measure the probing process, not the service).
 */
async function paced(
  count: number,
  intervalMs: number,
  maxInFlight: number,
  run: (k: number) => Promise<void>,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let t0 = Date.now();
  for (let k = 0; k < count; k++) {
    let due = t0 + k * intervalMs;
    const behind = Date.now() - due;
    if (behind > 10 * intervalMs) {
      t0 += behind; // stalled: shift the schedule instead of catching up in a burst
      due += behind;
    }
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const p: Promise<void> = run(k).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
