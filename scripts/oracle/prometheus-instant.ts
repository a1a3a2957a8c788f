/**
 * A Prometheus server's instant query API as the source of the Prometheus kinds (DESIGN.md "Business KPIs",
 * Prometheus): each query is evaluated at the period's end (`GET /api/v1/query?query=...&time=<end>`) and must
 * return exactly one sample, a scalar or a vector of exactly one series. Everything else is refused with a
 * UserError naming `--prometheus` and the query: no series, several (how many, and the first label sets), NaN,
 * +Inf or -Inf, a native histogram, a range vector or a string, an error answer (its errorType and error), an
 * answer that is not the Prometheus API, an unreachable server and a timeout.
 *
 * Where DESIGN.md is open, what is safest for the funds: an answer that carries `warnings` is refused too, since
 * Prometheus (remote read) and Thanos (partial responses) warn when the result may miss data, and a total that
 * misses a shard moves the ratio. Prometheus 3's `infos` (hints such as a counter's name not ending in `_total`)
 * do not make a result partial and are ignored.
 *
 * The range of a `[{{.window}}]` selector at time `end` is Prometheus's: `[end - window, end]` in Prometheus 2
 * (both samples at the boundaries included), `(end - window, end]` from Prometheus 3 on.
 */
import { UserError } from "../lib/errors";
import type { PromResults } from "../lib/kpi/types";
import { prometheusConfigFromArgs } from "./prometheus";

/** How many label sets a "several series" refusal shows. */
const SHOWN_SERIES = 3;

interface InstantBody {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

interface VectorSample {
  metric?: Record<string, string>;
  value?: [number, string];
  histogram?: unknown;
}

/** A series' label set as PromQL writes it: `name{label="value",...}`. */
function labelSet(metric: Record<string, string> | undefined): string {
  const { __name__: name, ...labels } = metric ?? {};
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
  return `${name ?? ""}{${inner}}`;
}

export class PrometheusInstantSource {
  readonly kind = "prometheus";
  /** The server's base URL, validated as `--prometheus` is everywhere (no trailing slash). */
  readonly url: string;
  readonly timeoutMs: number;

  constructor(cfg: { url: string; timeoutMs: number }) {
    this.url = prometheusConfigFromArgs({ prometheus: cfg.url }).url;
    if (!Number.isFinite(cfg.timeoutMs) || cfg.timeoutMs <= 0) {
      throw new UserError(`--prom-timeout: "${cfg.timeoutMs}" is not a positive number`);
    }
    this.timeoutMs = cfg.timeoutMs;
  }

  /** Evaluates every query at `time` (unix seconds), in the order given; the results by the same keys. */
  async evaluate(
    queries: Record<string, string>,
    time: number,
  ): Promise<{ results: PromResults; info: Record<string, unknown> }> {
    const results: Record<string, number> = {};
    for (const [key, query] of Object.entries(queries)) results[key] = await this.one(query, time);
    return { results, info: { kind: "prometheus", url: this.url, time } };
  }

  /** The one finite sample `query` returns at `time`. */
  private async one(query: string, time: number): Promise<number> {
    const q = `"${query}"`;
    const u = new URL(`${this.url}/api/v1/query`);
    u.searchParams.set("query", query);
    u.searchParams.set("time", String(time));
    let res: Response;
    let text: string;
    try {
      res = await fetch(u, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: "application/json" } });
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === "TimeoutError" || err.name === "AbortError") {
        throw new UserError(`--prometheus: no answer from ${this.url} within ${this.timeoutMs} ms for ${q}`);
      }
      const why = err.cause?.code ?? err.cause?.message ?? err.message;
      throw new UserError(`--prometheus: cannot reach ${this.url} for ${q} (${why})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new UserError(
        `--prometheus: ${this.url} answered HTTP ${res.status} for ${q} with something that is not the Prometheus API (${text.slice(0, 60).trim()})`,
      );
    }
    const body = parsed as InstantBody;
    if (body.status !== "success") {
      throw new UserError(
        `--prometheus: Prometheus rejected ${q} (HTTP ${res.status}): ${String(body.errorType ?? "error")}: ${String(body.error ?? "no message")}`,
      );
    }
    if (!res.ok) {
      throw new UserError(`--prometheus: ${this.url} answered HTTP ${res.status} for ${q}`);
    }
    if (Array.isArray(body.warnings) && body.warnings.length > 0) {
      throw new UserError(
        `--prometheus: Prometheus answered ${q} with warnings (${body.warnings.map(String).join("; ")}): the result may miss data; refused`,
      );
    }
    const type = body.data?.resultType;
    const result = body.data?.result;
    let value: string;
    if (type === "scalar" && Array.isArray(result) && result.length === 2) {
      value = String(result[1]);
    } else if (type === "vector" && Array.isArray(result)) {
      const series = result as VectorSample[];
      if (series.length === 0) {
        throw new UserError(
          `--prometheus: ${q} returned no sample at ${time} (no series matches, or none has a sample then); each query must return exactly one`,
        );
      }
      if (series.length > 1) {
        const shown = series.slice(0, SHOWN_SERIES).map((s) => labelSet(s.metric));
        const more = series.length > SHOWN_SERIES ? `, and ${series.length - SHOWN_SERIES} more` : "";
        throw new UserError(
          `--prometheus: ${q} returned ${series.length} series (${shown.join(", ")}${more}); each query must return exactly one: select one series or aggregate (e.g. sum(...))`,
        );
      }
      const s = series[0];
      if (s.histogram !== undefined || !Array.isArray(s.value)) {
        throw new UserError(
          `--prometheus: ${q} returned a native histogram, not a number; e.g. histogram_quantile(...)`,
        );
      }
      value = String(s.value[1]);
    } else {
      const what = type === "matrix" ? "a range vector" : type === "string" ? "a string" : `resultType ${String(type)}`;
      throw new UserError(
        `--prometheus: ${q} returned ${what}; an instant query must return one number (a scalar or a one-series vector)`,
      );
    }
    if (value === "NaN") {
      throw new UserError(`--prometheus: ${q} returned NaN (e.g. 0/0: nothing to divide in the window); refused`);
    }
    if (value === "+Inf" || value === "-Inf" || value === "Inf") {
      throw new UserError(`--prometheus: ${q} returned ${value}; refused`);
    }
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) {
      throw new UserError(`--prometheus: ${q} returned ${JSON.stringify(value)}, not a number`);
    }
    return n;
  }
}
