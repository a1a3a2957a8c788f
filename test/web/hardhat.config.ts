/**
 * The project's Hardhat config with `localhost` pointed at the `hardhat node` the web page's browser test starts
 * on a free port (WEB_E2E_RPC_URL) and hardhat-deploy's deployments kept in a temp folder (WEB_E2E_DEPLOYMENTS):
 * `hardhat deploy --network localhost` then deploys the escrow and the test token there, exactly as a person
 * does for `npm run web`, without touching deployments/ or port 8545. Used as `--config test/web/hardhat.config.ts`.
 */
import os from "node:os";
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/types";
import base from "../../hardhat.config";

const config: HardhatUserConfig = {
  ...base,
  paths: {
    ...base.paths,
    root: path.resolve(__dirname, "../.."),
    deployments: process.env.WEB_E2E_DEPLOYMENTS ?? path.join(os.tmpdir(), "sla-escrow-web-e2e-deployments"),
  } as HardhatUserConfig["paths"],
  networks: {
    ...base.networks,
    localhost: { url: process.env.WEB_E2E_RPC_URL ?? "http://127.0.0.1:8545", chainId: 31_337, timeout: 10_000 },
  },
};

export default config;
