/**
 * A Prometheus server as a sample source: `query_range` over the period for a success series and a latency
 * series (by default the blackbox exporter's `probe_success` and `probe_duration_seconds`; both
 * configurable, e.g. `probe_success{instance="https://api.example.com"}`). Each evaluation step where the
 * success series has a value is one sample: ok when the value is >= 1, latency = the latency series at the
 * same step, in milliseconds (seconds * 1000, rounded). Long periods are split into requests of at most
 * 10,000 steps (Prometheus refuses more than 11,000 points per series).
 */
import { UserError } from "../lib/errors";
import { type Sample, type SampleSource, type SourceSamples, UINT32_MAX } from "./samples";

export interface PrometheusConfig {
  url: string;
  successQuery: string;
  latencyQuery: string;
  /** Seconds between evaluation steps (the probe interval is a good choice). */
  stepSeconds: number;
  /** Milliseconds before a request is given up. */
  timeoutMs: number;
}

export const DEFAULT_SUCCESS_QUERY = "probe_success";
export const DEFAULT_LATENCY_QUERY = "probe_duration_seconds";
const MAX_STEPS_PER_REQUEST = 10_000;

export function prometheusConfigFromArgs(args: {
  prometheus?: string;
  promSuccess?: string;
  promLatency?: string;
  promStep?: string;
  promTimeout?: string;
}): PrometheusConfig {
  const url = (args.prometheus ?? "").trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--prometheus: "${url}" is not a URL (e.g. http://127.0.0.1:9090)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new UserError(`--prometheus: "${url}" is not an http(s) URL`);
  const num = (v: string | undefined, flag: string, def: number): number => {
    if (v === undefined || v === "") return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag}: "${v}" is not a positive number`);
    return n;
  };
  return {
    url: url.replace(/\/+$/, ""),
    successQuery: args.promSuccess || DEFAULT_SUCCESS_QUERY,
    latencyQuery: args.promLatency || DEFAULT_LATENCY_QUERY,
    stepSeconds: num(args.promStep, "--prom-step", 15),
    timeoutMs: num(args.promTimeout, "--prom-timeout", 10_000),
  };
}

interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Parses a query_range response body; throws a UserError naming the query on an error answer. */
export function parseQueryRange(body: unknown, query: string, flag: string): MatrixSeries[] {
  const o = body as {
    status?: string;
    error?: string;
    errorType?: string;
    data?: { resultType?: string; result?: unknown };
  };
  if (o === null || typeof o !== "object")
    throw new UserError(`${flag}: Prometheus answered something that is not JSON for "${query}"`);
  if (o.status !== "success") {
    throw new UserError(
      `${flag}: Prometheus rejected "${query}": ${o.errorType ?? "error"}: ${o.error ?? "no message"}`,
    );
  }
  if (o.data?.resultType !== "matrix" || !Array.isArray(o.data.result)) {
    throw new UserError(`${flag}: "${query}" did not return a range vector (resultType ${o.data?.resultType})`);
  }
  return o.data.result as MatrixSeries[];
}

export class PrometheusSource implements SampleSource {
  readonly kind = "prometheus";

  constructor(readonly config: PrometheusConfig) {}

  private async get(query: string, start: number, end: number, flag: string): Promise<MatrixSeries[]> {
    const u = new URL(`${this.config.url}/api/v1/query_range`);
    u.searchParams.set("query", query);
    u.searchParams.set("start", String(start));
    u.searchParams.set("end", String(end));
    u.searchParams.set("step", String(this.config.stepSeconds));
    let res: Response;
    try {
      res = await fetch(u, {
        signal: AbortSignal.timeout(this.config.timeoutMs),
        headers: { accept: "application/json" },
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why =
        err.name === "TimeoutError"
          ? `no answer within ${this.config.timeoutMs} ms`
          : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw new UserError(`--prometheus: cannot reach ${this.config.url} (${why})`);
    }
    let body: unknown;
    const text = await res.text();
    try {
      body = JSON.parse(text);
    } catch {
      throw new UserError(
        `--prometheus: ${this.config.url} answered HTTP ${res.status} that is not the Prometheus API (${text.slice(0, 60).trim()})`,
      );
    }
    return parseQueryRange(body, query, flag);
  }

  /** All points of one query over [start, end) as a map timestamp -> value; at most one series allowed. */
  private async series(query: string, start: number, end: number, flag: string): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    const step = this.config.stepSeconds;
    let labels: string | undefined;
    for (let from = start; from < end; from += MAX_STEPS_PER_REQUEST * step) {
      const to = Math.min(from + (MAX_STEPS_PER_REQUEST - 1) * step, end - 1e-3);
      const result = await this.get(query, from, to, flag);
      if (result.length > 1) {
        throw new UserError(
          `${flag}: "${query}" returned ${result.length} series; select one (e.g. {instance="..."}) or aggregate`,
        );
      }
      for (const s of result) {
        const l = JSON.stringify(s.metric);
        if (labels !== undefined && labels !== l)
          throw new UserError(`${flag}: "${query}" returned different series over the period; select one`);
        labels = l;
        for (const [t, v] of s.values) {
          if (t >= start && t < end) out.set(t, Number(v));
        }
      }
    }
    return out;
  }

  async samplesFor(start: number, end: number): Promise<SourceSamples> {
    const success = await this.series(this.config.successQuery, start, end, "--prom-success");
    const latency =
      success.size === 0
        ? new Map<number, number>()
        : await this.series(this.config.latencyQuery, start, end, "--prom-latency");
    const samples: Sample[] = [];
    for (const [t, v] of [...success.entries()].sort((a, b) => a[0] - b[0])) {
      if (!Number.isFinite(v)) continue;
      const ok = v >= 1;
      let latencyMs: number | null = null;
      if (ok) {
        const seconds = latency.get(t);
        if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
          throw new UserError(
            `--prom-latency: "${this.config.latencyQuery}" has no value at ${t} where "${this.config.successQuery}" is ok`,
          );
        }
        latencyMs = Math.min(UINT32_MAX, Math.round(seconds * 1000));
      }
      samples.push({ timestamp: Math.floor(t), ok, latencyMs });
    }
    return {
      samples,
      info: {
        kind: "prometheus",
        url: this.config.url,
        successQuery: this.config.successQuery,
        latencyQuery: this.config.latencyQuery,
        stepSeconds: this.config.stepSeconds,
      },
    };
  }
}
