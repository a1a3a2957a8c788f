/**
 * The project's Hardhat config plus one network, `e2e`, at E2E_RPC_URL (a `hardhat node` the end-to-end test
 * starts on a free port), with hardhat-deploy's deployments kept in E2E_DEPLOYMENTS (a temp folder), so the
 * test never touches deployments/ nor needs port 8545. Used as `--config test/oracle/e2e/hardhat.config.ts`.
 */
import os from "node:os";
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/types";
import base from "../../../hardhat.config";
import { daemonHooks } from "../../../scripts/oracle/hooks";

// ORACLE_TEST_CRASH=<point>[@<n>]: the daemon this CLI process runs is killed (SIGKILL) the n-th time (default the
// first) it reaches that point, so that the test can prove what a restart does (points: after-record,
// after-broadcast, after-sign-record; see scripts/oracle/hooks.ts). after-record@2: after recording a replacement.
const reached = new Map<string, number>();
const crash = (point: string) => () => {
  const [name, nth] = (process.env.ORACLE_TEST_CRASH ?? "").split("@");
  if (name !== point) return;
  const n = (reached.get(point) ?? 0) + 1;
  reached.set(point, n);
  if (n === Number(nth ?? 1)) process.kill(process.pid, "SIGKILL");
};
daemonHooks.afterRecord = crash("after-record");
daemonHooks.afterBroadcast = crash("after-broadcast");
daemonHooks.afterSignRecord = crash("after-sign-record");

const config: HardhatUserConfig = {
  ...base,
  paths: {
    ...base.paths,
    root: path.resolve(__dirname, "../../.."),
    deployments: process.env.E2E_DEPLOYMENTS ?? path.join(os.tmpdir(), "sla-escrow-e2e-deployments"),
  } as HardhatUserConfig["paths"],
  networks: {
    ...base.networks,
    e2e: { url: process.env.E2E_RPC_URL ?? "http://127.0.0.1:8545", chainId: 31_337, timeout: 4_000 },
    // The same node without a pinned chain id: signing commands refuse it.
    e2eUnpinned: { url: process.env.E2E_RPC_URL ?? "http://127.0.0.1:8545", timeout: 4_000 },
  },
};

export default config;
