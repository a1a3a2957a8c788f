import fs from "node:fs";
import path from "node:path";
import type { DeployFunction } from "hardhat-deploy/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** One contract in the compact export. */
export interface ExportedContract {
  address: string;
  abi: unknown[];
  /** The deployment transaction and its block, when this deployer sent it (absent when reused without receipt). */
  transactionHash?: string;
  blockNumber?: number;
}

/**
 * The compact export, `deployments/<network>.json`: the same shape as hardhat-deploy's `--export` file (name,
 * chain id as a decimal string, contracts by deployment name with address and ABI), plus each contract's
 * deployment transaction and block (where an indexer or the oracle starts reading events).
 */
export interface DeploymentExport {
  name: string;
  chainId: string;
  contracts: Record<string, ExportedContract>;
}

/** Where the compact export of `network` is written. */
export function exportPath(deploymentsDir: string, network: string): string {
  return path.join(deploymentsDir, `${network}.json`);
}

/**
 * Runs after the other scripts (whichever tags were asked for) and writes `deployments/<network>.json` from every
 * deployment hardhat-deploy knows on that network. Skipped on the in-process `hardhat` network (tests), which keeps
 * nothing on disk.
 */
const exportDeployments: DeployFunction = async (hre: HardhatRuntimeEnvironment) => {
  const all = await hre.deployments.all();
  const contracts: Record<string, ExportedContract> = {};
  for (const name of Object.keys(all).sort()) {
    const d = all[name];
    contracts[name] = {
      address: d.address,
      abi: d.abi,
      ...(d.receipt ? { transactionHash: d.receipt.transactionHash, blockNumber: d.receipt.blockNumber } : {}),
    };
  }
  const out: DeploymentExport = { name: hre.network.name, chainId: await hre.getChainId(), contracts };
  const file = exportPath(hre.config.paths.deployments, hre.network.name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  console.log(`exported ${Object.keys(contracts).join(", ")} to ${path.relative(hre.config.paths.root, file)}`);
};

exportDeployments.tags = ["SLAEscrow", "TestToken", "Export"];
exportDeployments.runAtTheEnd = true;
exportDeployments.skip = async (hre: HardhatRuntimeEnvironment) => hre.network.name === "hardhat";
export default exportDeployments;
