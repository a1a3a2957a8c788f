/**
 * Sources against real sockets: the HTTP prober against a local service with a scripted outage, and the
 * Prometheus source against a small local server speaking the query_range API (the real Prometheus is in
 * prometheus.test.ts).
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import { UserError } from "../../scripts/lib/errors";
import { computeMetrics } from "../../scripts/oracle/metrics";
import { PrometheusSource, prometheusConfigFromArgs } from "../../scripts/oracle/prometheus";
import { Prober, probeOnce } from "../../scripts/oracle/prober";
import { ProbeStore, readStore, readWatermark } from "../../scripts/oracle/store";
import { FileSource } from "../../scripts/oracle/file-source";
import { PeriodNotComplete } from "../../scripts/oracle/samples";
import { runOracle, tempDir, waitFor } from "./helpers";

export async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function freePortUrl(): Promise<string> {
  const { server, url } = await listen(() => undefined);
  await close(server);
  return url;
}

describe("oracle sources", function () {
  describe("HTTP prober", function () {
    it("probes a service with a scripted outage and stores every result, failures included", async function () {
      // Requests 5..9 answer 503, request 12 hangs past the timeout, the rest answer 200 after 15 ms.
      let n = 0;
      const { server, url } = await listen((_req, res) => {
        const k = n++;
        if (k >= 5 && k <= 9) return void res.writeHead(503).end("down");
        if (k === 12) return; // never answers
        setTimeout(() => res.writeHead(200).end("ok"), 15);
      });
      const file = path.join(tempDir(), "probes.jsonl");
      const store = ProbeStore.open(file);
      await new Promise<void>((resolve) => {
        new Prober({ url, intervalMs: 25, timeoutMs: 150, expectStatus: 200 }, store, undefined, 20, resolve).start();
      });
      store.close();
      await close(server);
      const read = readStore(file);
      expect(read.samples).to.have.length(20);
      expect(read.tornBytes).to.equal(0);
      const lines = fs
        .readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.status === 503)).to.have.length(5);
      expect(lines.filter((l) => /timeout after 150 ms/.test(l.error ?? ""))).to.have.length(1);
      const m = computeMetrics(read.samples, ["availability_ppm", "latency_p50_ms"]);
      expect(m.metrics[0].derivation).to.include({ allSamples: 20, okSamples: 14 });
      expect(m.values[0]).to.equal(700_000);
      expect(m.values[1]).to.be.at.least(15);
    });

    it("`oracle probe` probes into a store, one JSON log line per probe, and names a bad flag", async function () {
      const { server, url } = await listen((_req, res) => void res.writeHead(200).end("ok"));
      const store = path.join(tempDir(), "p.jsonl");
      const r = await runOracle({ command: "probe", url, store, interval: "0.02", count: "5" });
      await close(server);
      expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
      expect(readStore(store).samples).to.have.length(5);
      const logs = r.stdout.map((l) => JSON.parse(l) as { action: string; level: string; time: string });
      expect(logs.filter((l) => l.action === "probe")).to.have.length(5);
      expect(logs[0]).to.include({ action: "probe-start", level: "info" });
      const bad = await runOracle({ command: "probe", url: "ftp://x", store });
      expect(bad.result.exitCode).to.equal(1);
      expect(bad.stderr).to.deep.equal(['error: --url: "ftp://x" is not an http(s) URL']);
      const noStore = await runOracle({ command: "probe", url });
      expect(noStore.stderr[0]).to.match(/^error: --store: missing/);
    });

    it("keeps a watermark: a probe in flight holds it back until it is stored, failed or not", async function () {
      // The service answers request 1 only when released: while that probe is in flight, the watermark stays at
      // or before its timestamp, so a period ending after it cannot be measured without it.
      let release: () => void = () => undefined;
      let n = 0;
      const { server, url } = await listen((_req, res) => {
        if (n++ === 1) release = () => void res.writeHead(200).end("late");
        else res.writeHead(200).end("ok");
      });
      const file = path.join(tempDir(), "probes.jsonl");
      const store = ProbeStore.open(file);
      expect(readWatermark(file)).to.equal(undefined);
      const done = new Promise<void>((resolve) => {
        new Prober({ url, intervalMs: 20, timeoutMs: 60_000, expectStatus: 200 }, store, undefined, 3, resolve).start();
      });
      await waitFor(
        async () => n >= 2,
        10_000,
        () => "the second probe never reached the service",
      ); // in flight
      const held = readWatermark(file) as number;
      const inFlight = Math.floor(Date.now() / 1000);
      expect(held).to.be.at.most(inFlight);
      expect(readStore(file).samples).to.have.length(1);
      // A period ending after the in-flight probe started is not complete: the source says what it waits for.
      const source = new FileSource(file);
      let waited = "";
      await source.samplesFor(0, held + 1).catch((e: Error) => {
        expect(e).to.be.instanceOf(PeriodNotComplete);
        waited = e.message;
      });
      expect(waited).to.match(
        /^--store: the prober's watermark is \S+ \(every probe before it is stored\), before the period's end \S+: waiting/,
      );
      release();
      await done;
      store.close();
      await close(server);
      const after = readWatermark(file) as number;
      expect(after).to.be.at.least(held);
      const all = readStore(file).samples;
      expect(all).to.have.length(3);
      const got = await source.samplesFor(0, after);
      expect(got.samples).to.deep.equal(all.filter((x) => x.timestamp < after));
      expect(got.info.watermark).to.equal(after);
      // Never backwards.
      ProbeStore.open(file).setWatermark(after - 100);
      expect(readWatermark(file)).to.equal(after);
    });

    it("a refused connection and an unexpected status are failures, not errors", async function () {
      const down = await probeOnce({ url: await freePortUrl(), timeoutMs: 500, expectStatus: 200 });
      expect(down).to.include({ ok: false, latency_ms: null, error: "ECONNREFUSED" });
      const { server, url } = await listen((_req, res) => void res.writeHead(204).end());
      expect(await probeOnce({ url, timeoutMs: 500, expectStatus: 200 })).to.include({ ok: false, status: 204 });
      expect(await probeOnce({ url, timeoutMs: 500, expectStatus: 204 })).to.include({ ok: true, status: 204 });
      await close(server);
    });
  });

  describe("Prometheus source (query_range)", function () {
    type Handler = (query: string, start: number, end: number, step: number) => unknown;
    async function fakePrometheus(handler: Handler) {
      const requests: { query: string; start: number; end: number; step: number }[] = [];
      const { server, url } = await listen((req, res) => {
        const u = new URL(req.url ?? "/", "http://x");
        if (u.pathname !== "/api/v1/query_range") return void res.writeHead(404).end("not found");
        const r = {
          query: u.searchParams.get("query") ?? "",
          start: Number(u.searchParams.get("start")),
          end: Number(u.searchParams.get("end")),
          step: Number(u.searchParams.get("step")),
        };
        requests.push(r);
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(handler(r.query, r.start, r.end, r.step)));
      });
      return { server, url, requests };
    }
    /** A blackbox-exporter-like world: every 10 s; down on [1300, 1400); latency 0.05 s, 0.25 s every 10th. */
    const world: Handler = (query, start, end, step) => {
      const values: [number, string][] = [];
      for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
        if (query.startsWith("probe_success")) values.push([t, t >= 1300 && t < 1400 ? "0" : "1"]);
        else values.push([t, (t / 10) % 10 === 0 ? "0.25" : "0.05"]);
      }
      return {
        status: "success",
        data: { resultType: "matrix", result: values.length ? [{ metric: { job: "blackbox" }, values }] : [] },
      };
    };

    it("turns the success and latency series into samples over [start, end)", async function () {
      const { server, url, requests } = await fakePrometheus(world);
      const src = new PrometheusSource(
        prometheusConfigFromArgs({ prometheus: url, promStep: "10", promSuccess: 'probe_success{instance="svc"}' }),
      );
      const got = await src.samplesFor(1000, 2000);
      await close(server);
      expect(got.samples).to.have.length(100);
      expect(got.samples[0]).to.deep.equal({ timestamp: 1000, ok: true, latencyMs: 250 });
      expect(got.samples[1]).to.deep.equal({ timestamp: 1010, ok: true, latencyMs: 50 });
      expect(got.samples.filter((s) => !s.ok)).to.have.length(10);
      expect(got.samples.at(-1)!.timestamp).to.equal(1990);
      expect(requests.map((r) => r.query)).to.deep.equal(['probe_success{instance="svc"}', "probe_duration_seconds"]);
      expect(got.info).to.include({
        kind: "prometheus",
        successQuery: 'probe_success{instance="svc"}',
        stepSeconds: 10,
      });
    });

    it("splits a long period into requests of at most 10,000 steps", async function () {
      const { server, url, requests } = await fakePrometheus(world);
      const src = new PrometheusSource(prometheusConfigFromArgs({ prometheus: url, promStep: "10" }));
      const got = await src.samplesFor(0, 250_000);
      await close(server);
      expect(got.samples).to.have.length(25_000);
      const success = requests.filter((r) => r.query === "probe_success");
      expect(success).to.have.length(3);
      for (const r of success) expect((r.end - r.start) / r.step).to.be.below(10_000);
    });

    it("refuses several series, an error answer, and an unreachable server with one clear message", async function () {
      const two = await fakePrometheus(() => ({
        status: "success",
        data: {
          resultType: "matrix",
          result: [
            { metric: { a: "1" }, values: [[1000, "1"]] },
            { metric: { a: "2" }, values: [[1000, "1"]] },
          ],
        },
      }));
      await expectRejects(
        new PrometheusSource(prometheusConfigFromArgs({ prometheus: two.url })).samplesFor(1000, 2000),
        /--prom-success: "probe_success" returned 2 series; select one/,
      );
      await close(two.server);
      const bad = await fakePrometheus(() => ({
        status: "error",
        errorType: "bad_data",
        error: "parse error at char 5",
      }));
      await expectRejects(
        new PrometheusSource(
          prometheusConfigFromArgs({ prometheus: bad.url, promSuccess: "probe_success{" }),
        ).samplesFor(1000, 2000),
        /--prom-success: Prometheus rejected "probe_success\{": bad_data: parse error at char 5/,
      );
      await close(bad.server);
      const down = await freePortUrl();
      await expectRejects(
        new PrometheusSource(prometheusConfigFromArgs({ prometheus: down })).samplesFor(1000, 2000),
        /--prometheus: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      );
      expect(() => prometheusConfigFromArgs({ prometheus: "localhost:9090" })).to.throw(
        UserError,
        /--prometheus: "localhost:9090" is not/,
      );
    });
  });
});

async function expectRejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    expect((e as Error).message).to.match(re);
    return;
  }
  throw new Error("expected a UserError");
}
