/**
 * The Prometheus kinds (prometheus.ratio_ppm, prometheus.value) through PrometheusInstantSource against a real
 * Prometheus server (test/helpers/prometheus.ts backfills the series with promtool), with exact values worked out
 * by hand; then the source's refusals, against the real server and against a fake one for what a real server
 * does not do on demand (a timeout, a proxy's error page, warnings).
 *
 * The series. Prometheus accepts backfilled blocks only in the past of its clock, so the period is an hour
 * ending two hours ago: [start, end) with end = start + 3600, evaluated at `end`, so {{.window}} = 3600s. Every
 * counter has a sample every 60 s from `start` to `end` inclusive (61 samples) and grows by a constant step:
 *   http_requests_total{job="api",code="200"}  1000 + 540 k   increase over the hour 540 * 60 = 32400
 *   http_requests_total{job="api",code="500"}   100 +  54 k                          54 * 60 =  3240
 *   http_requests_total{job="api",code="503"}    10 +   6 k                           6 * 60 =   360
 *   http_requests_total{job="api",code="429"}     5 +   1 k                           1 * 60 =    60
 * so all requests 36060, 5xx 3600, 5xx and 429 3660. The latency histogram's cumulative buckets grow by
 * le=0.1: 360, le=0.25: 480, le=0.5: 600, le=1: 600, le=+Inf: 600 per step (and _count by 600).
 *
 * Why increase() is exact here: Prometheus extrapolates increase() and rate() from the first and last samples in
 * the range to the range's boundaries, by (sampled interval + the gaps to the boundaries) / sampled interval
 * (each gap only when it is below 1.1 average sample intervals, else half an interval). In Prometheus 2 (Debian's
 * is 2.42) the range of `[3600s]` at `end` is [end - 3600, end], closed at both ends, so the first sample is at
 * the range's start and the last at its end: both gaps are 0, the factor is 3600 / 3600 = 1, and increase() is
 * exactly last - first (e.g. 5xx: (3240 + 360) = 3600). rate() is that divided by 3600: 1 for 5xx, 36060 / 3600
 * = 10.0166... for all requests. (From Prometheus 3 on the range is open at its start: the sample at `start` drops
 * out, the gap is 60 s < 66 s, and the constant steps make the extrapolated 59 steps * 3600 / 3540 the same 60.)
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { UserError } from "../../scripts/lib/errors";
import { parseSpec } from "../../scripts/lib/kpi/spec";
import type { Computed, Period } from "../../scripts/lib/kpi/types";
import { PrometheusInstantSource } from "../../scripts/oracle/prometheus-instant";
import { type RunningPrometheus, requirePrometheus, startPrometheus } from "../helpers/prometheus";
import { freePort, tempDir } from "./helpers";

const STEP = 60;

function openMetrics(start: number): string {
  const lines = ["# TYPE http_requests counter"];
  const counters: [string, number, number][] = [
    ["200", 1000, 540],
    ["500", 100, 54],
    ["503", 10, 6],
    ["429", 5, 1],
  ];
  for (const [code, base, step] of counters) {
    for (let k = 0; k <= 60; k++)
      lines.push(`http_requests_total{job="api",code="${code}"} ${base + step * k} ${start + k * STEP}`);
  }
  lines.push("# TYPE http_request_duration_seconds histogram");
  const buckets: [string, number][] = [
    ["0.1", 360],
    ["0.25", 480],
    ["0.5", 600],
    ["1", 600],
    ["+Inf", 600],
  ];
  for (let k = 0; k <= 60; k++) {
    const t = start + k * STEP;
    for (const [le, step] of buckets) lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${step * k} ${t}`);
    lines.push(`http_request_duration_seconds_count ${600 * k} ${t}`);
    lines.push(`http_request_duration_seconds_sum ${180 * k} ${t}`);
  }
  return [...lines, "# EOF", ""].join("\n");
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error("expected a UserError");
}

describe("Prometheus kinds against a real Prometheus (PrometheusInstantSource)", function () {
  let prom: RunningPrometheus | undefined;
  let source: PrometheusInstantSource;
  let period: Period;

  before(async function () {
    requirePrometheus(this);
    const start = Math.floor(Date.now() / 1000 / STEP) * STEP - 3 * 3600;
    period = { start, end: start + 3600 };
    prom = await startPrometheus(tempDir("oracle-prom-kpi-"), openMetrics(start));
    source = new PrometheusInstantSource({ url: prom.url, timeoutMs: 10_000 });
  });

  after(async function () {
    await prom?.stop();
  });

  /** Parses the spec, evaluates its queries at the period's end, computes the value. */
  async function measure(raw: Record<string, unknown>): Promise<Computed & { info: Record<string, unknown> }> {
    const s = parseSpec({ name: "m", ...raw }, "metrics[0]");
    const got = await source.evaluate(s.kind.queries!(s.params, period), period.end);
    return { ...(s.kind.compute(got.results, s.params, period) as Computed), info: got.info };
  }

  it("ratio_ppm with bad = 5xx: floor(1e6 * (36060 - 3600) / 36060) = 900166", async function () {
    const got = await measure({
      kind: "prometheus.ratio_ppm",
      total: "sum(increase(http_requests_total[{{.window}}]))",
      bad: 'sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))',
    });
    // 1e6 * 32460 / 36060 = 900166.38...
    expect(got.value).to.equal(900_166);
    expect(got.derivation).to.deep.equal({
      rule: "counts rounded half up; floor(1000000 * (total - bad) / total), clamped to [0, 1000000]",
      totalQuery: "sum(increase(http_requests_total[3600s]))",
      badQuery: 'sum(increase(http_requests_total{code=~"5.."}[3600s]))',
      totalResult: 36060,
      badResult: 3600,
      total: 36060,
      bad: 3600,
    });
    expect(got.info).to.deep.equal({ kind: "prometheus", url: prom!.url, time: period.end });
  });

  it("ratio_ppm with good = 200: floor(1e6 * 32400 / 36060) = 898502", async function () {
    const got = await measure({
      kind: "prometheus.ratio_ppm",
      total: "sum(increase(http_requests_total[{{.window}}]))",
      good: 'sum(increase(http_requests_total{code="200"}[{{.window}}]))',
    });
    // 1e6 * 32400 / 36060 = 898502.49...
    expect(got.value).to.equal(898_502);
    expect(got.derivation).to.include({ goodResult: 32400, good: 32400, totalResult: 36060, total: 36060 });
  });

  it("a Sloth SLI as written (rate over {{.window}}): the per-second rates are rounded like counts", async function () {
    // Sloth's getting-started SLO, with our job: errorQuery and totalQuery.
    const got = await measure({
      kind: "prometheus.ratio_ppm",
      bad: 'sum(rate(http_requests_total{job="api",code=~"(5..|429)"}[{{.window}}]))',
      total: 'sum(rate(http_requests_total{job="api"}[{{.window}}]))',
    });
    // Rates: 3660 / 3600 = 1.0166... -> 1 and 36060 / 3600 = 10.0166... -> 10: (10 - 1) / 10 = 900000 (the same
    // SLI with increase() would give floor(1e6 * 32400 / 36060) = 898502).
    expect(got.value).to.equal(900_000);
    expect(got.derivation.bad).to.equal(1);
    expect(got.derivation.total).to.equal(10);
    expect(got.derivation.badResult).to.be.closeTo(1.01667, 1e-5);
    expect(got.derivation.totalResult).to.be.closeTo(10.01667, 1e-5);
  });

  it("a Pyrra ratio's selectors, wrapped as sum(increase(<selector>[{{.window}}])): 900166", async function () {
    // Pyrra: indicator.ratio.errors.metric http_requests_total{job="api",code=~"5.."}, total.metric
    // http_requests_total{job="api"}.
    const got = await measure({
      kind: "prometheus.ratio_ppm",
      bad: 'sum(increase(http_requests_total{job="api",code=~"5.."}[{{.window}}]))',
      total: 'sum(increase(http_requests_total{job="api"}[{{.window}}]))',
    });
    expect(got.value).to.equal(900_166);
  });

  it("value: histogram_quantile(0.95, ...) with scale 1000 is 437 ms, p50 is 83 ms", async function () {
    // Bucket rates (per second): le 0.1: 6, le 0.25: 8, le 0.5: 10, le 1: 10, +Inf: 10. p95: rank 0.95 * 10 =
    // 9.5 falls in (0.25, 0.5], which holds 10 - 8 = 2: 0.25 + 0.25 * (9.5 - 8) / 2 = 0.4375 s: 437.5 ms -> 437.
    const p95 = await measure({
      kind: "prometheus.value",
      query: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[{{.window}}])))",
      scale: 1000,
      higherIsBetter: false,
    });
    expect(p95.value).to.equal(437);
    expect(p95.derivation).to.deep.equal({
      rule: "floor(result * scale), exact on the decimals, clamped to [0, 4294967295]",
      query: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[3600s])))",
      result: 0.4375,
      scale: 1000,
    });
    // p50: rank 5 falls in (0, 0.1], which holds 6: 0.1 * 5 / 6 = 0.08333... s: 83 ms.
    const p50 = await measure({
      kind: "prometheus.value",
      query: "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket[{{.window}}])))",
      scale: 1000,
      higherIsBetter: false,
    });
    expect(p50.value).to.equal(83);
  });

  it("a scalar result counts as one sample", async function () {
    const got = await source.evaluate({ a: "scalar(sum(increase(http_requests_total[3600s]))) / 4" }, period.end);
    // 36060 / 4 = 9015.
    expect(got.results).to.deep.equal({ a: 9015 });
  });

  it("a total of 0 is refused by the kind, naming the total query", async function () {
    const message = await rejection(
      measure({
        kind: "prometheus.ratio_ppm",
        total: 'sum(increase(http_requests_total{code="200"}[{{.window}}])) * 0',
        bad: 'sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))',
      }),
    );
    expect(message).to.equal(
      'Prometheus query total "sum(increase(http_requests_total{code="200"}[3600s])) * 0" gave 0 (0 events once rounded): no ratio to attest (the escrow\'s silent path applies)',
    );
  });

  it("refuses a query with no result, several series, NaN, infinities, a syntax error, a range vector, a string", async function () {
    const one = (query: string): Promise<string> => rejection(source.evaluate({ q: query }, period.end));
    expect(await one('http_requests_total{code="404"}')).to.equal(
      `--prometheus: "http_requests_total{code="404"}" returned no sample at ${period.end} (no series matches, or none has a sample then); each query must return exactly one`,
    );
    expect(await one('sum by (code) (increase(http_requests_total{code=~"5.."}[3600s]))')).to.equal(
      '--prometheus: "sum by (code) (increase(http_requests_total{code=~"5.."}[3600s]))" returned 2 series ({code="500"}, {code="503"}); each query must return exactly one: select one series or aggregate (e.g. sum(...))',
    );
    expect(await one("http_requests_total")).to.equal(
      '--prometheus: "http_requests_total" returned 4 series (http_requests_total{code="200",job="api"}, http_requests_total{code="429",job="api"}, http_requests_total{code="500",job="api"}, and 1 more); each query must return exactly one: select one series or aggregate (e.g. sum(...))',
    );
    expect(await one("0/0")).to.equal(
      '--prometheus: "0/0" returned NaN (e.g. 0/0: nothing to divide in the window); refused',
    );
    expect(await one("1/0")).to.equal('--prometheus: "1/0" returned +Inf; refused');
    expect(await one("-1/0")).to.equal('--prometheus: "-1/0" returned -Inf; refused');
    expect(await one("sum(")).to.equal(
      '--prometheus: Prometheus rejected "sum(" (HTTP 400): bad_data: invalid parameter "query": 1:5: parse error: unclosed left parenthesis',
    );
    expect(await one("http_requests_total[5m]")).to.equal(
      '--prometheus: "http_requests_total[5m]" returned a range vector; an instant query must return one number (a scalar or a one-series vector)',
    );
    expect(await one('"foo"')).to.equal(
      '--prometheus: ""foo"" returned a string; an instant query must return one number (a scalar or a one-series vector)',
    );
  });
});

describe("PrometheusInstantSource refusals that need no Prometheus", function () {
  let server: http.Server | undefined;
  let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;
  let url = "";

  before(async function () {
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async function () {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const json =
    (body: unknown, status = 200) =>
    (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };

  it("asks GET /api/v1/query with the query and time = the period's end", async function () {
    let asked: URL | undefined;
    handler = (req, res) => {
      asked = new URL(req.url ?? "", url);
      json({ status: "success", data: { resultType: "vector", result: [{ metric: {}, value: [1800, "12.5"] }] } })(
        req,
        res,
      );
    };
    const got = await new PrometheusInstantSource({ url: `${url}/`, timeoutMs: 5000 }).evaluate(
      { total: "sum(x)" },
      1800,
    );
    expect(got.results).to.deep.equal({ total: 12.5 });
    expect(asked?.pathname).to.equal("/api/v1/query");
    expect(asked?.searchParams.get("query")).to.equal("sum(x)");
    expect(asked?.searchParams.get("time")).to.equal("1800");
    // The trailing slash of the URL is dropped, as for every --prometheus.
    expect(got.info).to.deep.equal({ kind: "prometheus", url, time: 1800 });
  });

  it("refuses an HTTP error page, a timeout, warnings and a native histogram, naming the query", async function () {
    const src = new PrometheusInstantSource({ url, timeoutMs: 300 });
    handler = (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>502 Bad Gateway</html>");
    };
    expect(await rejection(src.evaluate({ q: "up" }, 1800))).to.equal(
      `--prometheus: ${url} answered HTTP 502 for "up" with something that is not the Prometheus API (<html>502 Bad Gateway</html>)`,
    );
    handler = json({ status: "error", errorType: "timeout", error: "query timed out in expression evaluation" }, 503);
    expect(await rejection(src.evaluate({ q: "up" }, 1800))).to.equal(
      '--prometheus: Prometheus rejected "up" (HTTP 503): timeout: query timed out in expression evaluation',
    );
    handler = () => undefined; // never answers
    expect(await rejection(src.evaluate({ q: "up" }, 1800))).to.equal(
      `--prometheus: no answer from ${url} within 300 ms for "up"`,
    );
    handler = json({
      status: "success",
      warnings: ["remote_read: store unavailable"],
      data: { resultType: "vector", result: [{ metric: {}, value: [1800, "1"] }] },
    });
    expect(await rejection(src.evaluate({ q: "up" }, 1800))).to.equal(
      '--prometheus: Prometheus answered "up" with warnings (remote_read: store unavailable): the result may miss data; refused',
    );
    handler = json({
      status: "success",
      data: { resultType: "vector", result: [{ metric: {}, histogram: [1800, { count: "1", sum: "1" }] }] },
    });
    expect(await rejection(src.evaluate({ q: "h" }, 1800))).to.equal(
      '--prometheus: "h" returned a native histogram, not a number; e.g. histogram_quantile(...)',
    );
  });

  it("refuses an unreachable server, naming --prometheus and the query", async function () {
    const port = await freePort();
    const src = new PrometheusInstantSource({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
    expect(await rejection(src.evaluate({ q: "up" }, 1800))).to.equal(
      `--prometheus: cannot reach http://127.0.0.1:${port} for "up" (ECONNREFUSED)`,
    );
  });

  it("validates the URL as every --prometheus is, and the timeout", function () {
    expect(() => new PrometheusInstantSource({ url: "ftp://x", timeoutMs: 1000 })).to.throw(
      UserError,
      '--prometheus: "ftp://x" is not an http(s) URL',
    );
    expect(() => new PrometheusInstantSource({ url: "nope", timeoutMs: 1000 })).to.throw(
      UserError,
      '--prometheus: "nope" is not a URL (e.g. http://127.0.0.1:9090)',
    );
    expect(() => new PrometheusInstantSource({ url, timeoutMs: 0 })).to.throw(
      UserError,
      '--prom-timeout: "0" is not a positive number',
    );
  });
});
