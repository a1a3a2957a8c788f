/**
 * The HTTP prober: probes a URL every `interval`, with a timeout and an expected status, and appends every
 * result to the append-only JSON-lines store (fsync'd per line, torn last line cut off on open). A probe
 * is ok when the answer arrives within the timeout with the expected status; its latency is the time to the
 * whole response body, in whole milliseconds.
 */
import { performance } from "node:perf_hooks";
import { UserError } from "../lib/errors";
import type { OracleArgs } from "./commands";
import { Logger, type Output } from "./log";
import { ProbeStore, type StoredProbe } from "./store";

export interface ProbeConfig {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  expectStatus: number;
}

/** One probe. Never throws: a failure is a result. */
export async function probeOnce(cfg: Pick<ProbeConfig, "url" | "timeoutMs" | "expectStatus">): Promise<StoredProbe> {
  const timestamp = Math.floor(Date.now() / 1000);
  const t0 = performance.now();
  try {
    const res = await fetch(cfg.url, {
      signal: AbortSignal.timeout(cfg.timeoutMs),
      redirect: "manual",
      cache: "no-store",
    });
    await res.arrayBuffer();
    const latency = Math.round(performance.now() - t0);
    if (res.status !== cfg.expectStatus)
      return { timestamp, ok: false, latency_ms: null, status: res.status, error: `status ${res.status}` };
    return { timestamp, ok: true, latency_ms: latency, status: res.status };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    const error =
      err.name === "TimeoutError" || err.name === "AbortError"
        ? `timeout after ${cfg.timeoutMs} ms`
        : (err.cause?.code ?? err.message);
    return { timestamp, ok: false, latency_ms: null, status: null, error };
  }
}

/** Probes on a fixed schedule (no drift) until stopped, appending every result to the store. */
export class Prober {
  private timer?: NodeJS.Timeout;
  private running = false;
  private inFlight?: Promise<void>;
  private count = 0;

  constructor(
    readonly cfg: ProbeConfig,
    readonly store: ProbeStore,
    private readonly logger?: Logger,
    private readonly maxCount = Infinity,
    private readonly onDone?: () => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    const t0 = Date.now();
    const tick = (k: number): void => {
      if (!this.running) return;
      this.inFlight = this.probe().finally(() => {
        this.inFlight = undefined;
        if (this.count >= this.maxCount) {
          this.running = false;
          this.onDone?.();
          return;
        }
        // The next slot after now on the fixed grid t0 + k * interval (skip slots missed by a slow probe).
        let next = k + 1;
        while (t0 + next * this.cfg.intervalMs < Date.now()) next++;
        this.timer = setTimeout(() => tick(next), t0 + next * this.cfg.intervalMs - Date.now());
      });
    };
    tick(0);
  }

  private async probe(): Promise<void> {
    const result = await probeOnce(this.cfg);
    if (!this.running) return; // stopped while in flight: the probe did not finish in our lifetime
    this.store.append(result);
    // Probes run one after another: the next one starts (and takes its timestamp) after now, so every probe
    // with a timestamp before this second is stored.
    this.store.setWatermark(Math.floor(Date.now() / 1000));
    this.count++;
    this.logger?.log(result.ok ? "debug" : "warn", { action: "probe", url: this.cfg.url, ...result });
  }

  /** Stops probing; waits for the probe in flight to be stored. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  get probes(): number {
    return this.count;
  }
}

export function probeConfigFromArgs(
  args: Pick<OracleArgs, "url" | "interval" | "timeout" | "expectStatus">,
  urlFlag = "--url",
): ProbeConfig {
  const url = (args.url ?? "").trim();
  if (url === "") throw new UserError(`${urlFlag}: missing (the URL to probe)`);
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new UserError(`${urlFlag}: "${url}" is not an http(s) URL`);
  }
  const positive = (v: string | undefined, flag: string, def: number): number => {
    if (v === undefined || v === "") return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag}: "${v}" is not a positive number`);
    return n;
  };
  const status = positive(args.expectStatus, "--expect-status", 200);
  if (!Number.isInteger(status) || status < 100 || status > 599)
    throw new UserError(`--expect-status: "${args.expectStatus}" is not an HTTP status`);
  return {
    url,
    intervalMs: positive(args.interval, "--interval", 30) * 1000,
    timeoutMs: positive(args.timeout, "--timeout", 5000),
    expectStatus: status,
  };
}

/** `oracle probe --url URL --store FILE [--interval S] [--timeout MS] [--expect-status N] [--count N]`. */
export async function probeCommand(
  args: OracleArgs,
  _out: Output,
  logger = new Logger(),
): Promise<{ exitCode: number; probes: number }> {
  const cfg = probeConfigFromArgs(args);
  if (!args.store) throw new UserError("--store: missing (the JSON-lines file probe results are appended to)");
  let max = Infinity;
  if (args.count !== undefined) {
    max = Number(args.count);
    if (!Number.isSafeInteger(max) || max <= 0)
      throw new UserError(`--count: "${args.count}" is not a positive integer`);
  }
  const store = ProbeStore.open(args.store);
  if (store.repairedBytes > 0) {
    logger.warn({ action: "store-repaired", store: args.store, tornBytesDropped: store.repairedBytes });
  }
  logger.info({
    action: "probe-start",
    url: cfg.url,
    store: args.store,
    intervalMs: cfg.intervalMs,
    timeoutMs: cfg.timeoutMs,
  });
  let prober!: Prober;
  let stop: () => void = () => undefined;
  await new Promise<void>((resolve) => {
    prober = new Prober(cfg, store, logger, max, resolve);
    stop = (): void => void prober.stop().then(resolve);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    prober.start();
  });
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  await prober.stop();
  store.close();
  logger.info({ action: "probe-stop", probes: prober.probes });
  return { exitCode: 0, probes: prober.probes };
}
