/**
 * The Prometheus source against a real Prometheus server (the Debian package `prometheus`): the series are
 * backfilled with `promtool tsdb create-blocks-from openmetrics` (test/helpers/prometheus.ts), so nothing waits
 * for scrapes. Then `oracle attest --prometheus URL` measures the scripted outage and posts it on the in-process
 * chain.
 * Skips itself (saying so) only when the `prometheus` or `promtool` binary is absent.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { cutBps } from "../../scripts/lib/penalty";
import { computeMetrics } from "../../scripts/oracle/metrics";
import { PrometheusSource, prometheusConfigFromArgs } from "../../scripts/oracle/prometheus";
import { metricsOf } from "../helpers/attestation";
import { createActive, makeTerms, setup } from "../helpers/fixture";
import { type RunningPrometheus, requirePrometheus, startPrometheus } from "../helpers/prometheus";
import { privateKeyOf, runOracle, tempDir } from "./helpers";

describe("oracle Prometheus source (real Prometheus)", function () {
  let prom: RunningPrometheus | undefined;
  let url = "";
  let dir = "";

  before(function () {
    requirePrometheus(this);
  });

  after(async function () {
    await prom?.stop();
  });

  it("backfilled blackbox series -> samples -> values and cut on chain match the scripted outage", async function () {
    const ctx = await setup();
    // A one-hour period of 15 s probes, in the chain's near future: 240 samples, 12 failed (a 3-minute
    // outage), ok latencies 40 ms except 12 at 300 ms (so p95 = the 217th of 228 = 300 ms).
    const step = 15;
    const start = Math.ceil(((await time.latest()) + 600) / step) * step;
    const end = start + 240 * step;
    const lines = ["# TYPE probe_success gauge"];
    const latency: string[] = ["# TYPE probe_duration_seconds gauge"];
    for (let k = 0; k < 240; k++) {
      const t = start + k * step;
      const down = k >= 100 && k < 112;
      lines.push(`probe_success{instance="svc",job="blackbox"} ${down ? 0 : 1} ${t}`);
      latency.push(
        `probe_duration_seconds{instance="svc",job="blackbox"} ${down ? "5.0" : k % 20 === 19 ? "0.3" : "0.04"} ${t}`,
      );
      // Another target's series, so that the query has to select one.
      lines.push(`probe_success{instance="other",job="blackbox"} 0 ${t}`);
    }
    dir = tempDir("oracle-prom-");
    prom = await startPrometheus(dir, [...lines, ...latency, "# EOF", ""].join("\n"));
    url = prom.url;

    const successQuery = 'probe_success{instance="svc"}';
    const latencyQuery = 'probe_duration_seconds{instance="svc"}';
    const source = new PrometheusSource(
      prometheusConfigFromArgs({
        prometheus: url,
        promStep: String(step),
        promSuccess: successQuery,
        promLatency: latencyQuery,
      }),
    );
    const got = await source.samplesFor(start, end);
    expect(got.samples).to.have.length(240);
    const m = computeMetrics(got.samples, ["availability_ppm", "latency_p95_ms"]);
    expect(m.metrics[0].derivation).to.include({ allSamples: 240, okSamples: 228 });
    expect(m.values).to.deep.equal([950_000, 300]);

    // The same through the CLI, posted on chain.
    const terms = await makeTerms(ctx, {
      threshold: 1,
      startAt: start,
      milestones: [
        { amount: 10n ** 18n, dueAt: end },
        { amount: 10n ** 18n, dueAt: end + 3600 },
      ],
    });
    const id = await createActive(ctx, terms);
    await time.increaseTo(end);
    const r = await runOracle(
      {
        command: "attest",
        agreement: id.toString(),
        milestone: "0",
        metrics: "availability_ppm,latency_p95_ms",
        prometheus: url,
        promStep: String(step),
        promSuccess: successQuery,
        promLatency: latencyQuery,
        escrow: ctx.escrowAddress,
        out: path.join(dir, "report.json"),
      },
      { ORACLE_PRIVATE_KEY: privateKeyOf(ctx.oracles[0].address) },
    );
    expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
    const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0));
    expect(events[0].args[3].map(Number)).to.deep.equal([950_000, 300]);
    // availability 950000 breaches every tier (5000), p95 300 breaches none: cut 5000.
    expect(Number(events[0].args.cutBps)).to.equal(cutBps(metricsOf(terms), [950_000, 300]));
    expect(Number(events[0].args.cutBps)).to.equal(5000);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "report.json"), "utf8"));
    expect(report.sources.probes).to.include({ kind: "prometheus", url, successQuery, latencyQuery, stepSeconds: 15 });

    // Without a selector the query returns two series: refused, naming the flag.
    const ambiguous = new PrometheusSource(prometheusConfigFromArgs({ prometheus: url, promStep: "15" }));
    let message = "";
    await ambiguous.samplesFor(start, end).catch((e: Error) => (message = e.message));
    expect(message).to.match(/--prom-success: "probe_success" returned 2 series/);
  });
});
