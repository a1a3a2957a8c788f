/**
 * A real Prometheus server for the tests (the Debian package `prometheus`): series are backfilled from OpenMetrics
 * text with `promtool tsdb create-blocks-from openmetrics`, so nothing waits for scrapes, then `prometheus` serves
 * them on a free local port; or it scrapes live targets (`scrape`) and evaluates rule files. `requirePrometheus`
 * skips a suite (saying so) only when the binaries are absent, and fails it instead under REQUIRE_PROMETHEUS=1
 * (.ci/run sets it, since CI installs Prometheus).
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { freePort, waitFor } from "../oracle/helpers";

/** Whether `bin` is on the PATH. */
export function have(bin: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0;
}

/** In a `before` hook: skips the suite when prometheus/promtool are absent, fails it under REQUIRE_PROMETHEUS=1. */
export function requirePrometheus(ctx: Mocha.Context): void {
  if (have("prometheus") && have("promtool")) return;
  // CI installs Prometheus (.ci/run sets REQUIRE_PROMETHEUS=1): there, a missing binary is a failure.
  if (process.env.REQUIRE_PROMETHEUS === "1") {
    throw new Error("REQUIRE_PROMETHEUS=1 but the prometheus/promtool binaries are not installed");
  }
  console.log("    SKIPPED: the prometheus/promtool binaries are not installed (apt-get install -y prometheus)");
  ctx.skip();
}

export interface RunningPrometheus {
  url: string;
  /** Stops the server (SIGTERM) and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

/** Live scraping: `targets` (host:port) in job `job`, every `intervalSeconds`; `ruleFiles` evaluated as often. */
export interface ScrapeConfig {
  job: string;
  targets: string[];
  intervalSeconds: number;
  ruleFiles?: string[];
}

/**
 * Backfills `openMetricsText` (ending in `# EOF`; "" for none) into `dir`/data and starts Prometheus on it,
 * scraping `scrape` when given; resolves once `/-/ready` answers 200.
 */
export async function startPrometheus(
  dir: string,
  openMetricsText: string,
  scrape?: ScrapeConfig,
): Promise<RunningPrometheus> {
  const data = path.join(dir, "data");
  if (openMetricsText !== "") {
    const om = path.join(dir, "series.om");
    fs.writeFileSync(om, openMetricsText);
    const backfill = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", om, data], {
      encoding: "utf8",
    });
    expect(backfill.status, backfill.stderr + backfill.stdout).to.equal(0);
  }
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(
    config,
    scrape === undefined
      ? "global:\n  scrape_interval: 15s\nscrape_configs: []\n"
      : JSON.stringify({
          // JSON is YAML
          global: { scrape_interval: `${scrape.intervalSeconds}s`, evaluation_interval: `${scrape.intervalSeconds}s` },
          rule_files: scrape.ruleFiles ?? [],
          scrape_configs: [{ job_name: scrape.job, static_configs: [{ targets: scrape.targets }] }],
        }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prom = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=100y",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  prom.stderr?.on("data", (b: Buffer) => (log += b.toString()));
  const stop = async (): Promise<void> => {
    if (prom.exitCode !== null || prom.signalCode !== null) return;
    const exited = new Promise((resolve) => prom.once("exit", resolve));
    prom.kill("SIGTERM");
    await exited;
  };
  try {
    await waitFor(
      async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200,
      30_000,
      () => `prometheus not ready:\n${log}`,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
