/**
 * Hardhat adapter: the escrow on the current network, found through hardhat-deploy's deployments.
 *
 * Runtime imports only from ethers, Hardhat and Node: the Hardhat config loads this module through the tasks, and
 * TypeChain's generated code does not exist before the first compile (types are imported with `import type`).
 */
import fs from "node:fs";
import path from "node:path";
import { Contract, Interface, type Provider, getAddress, isAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { SLAEscrow } from "../../typechain-types";
import { UserError } from "../lib/errors";

/**
 * hardhat-deploy's record of `SLAEscrow` on the current network. With `chainId`, read from the deployments folder
 * itself (`<deployments>/<network>/SLAEscrow.json`, its `.chainId` checked against `chainId`) without a request:
 * hardhat-deploy asks the network's own RPC URL for the chain id, which a provider of one's own (the oracle
 * daemon's failover over several URLs) must not depend on.
 */
export async function escrowDeployment(
  hre: HardhatRuntimeEnvironment,
  chainId?: bigint,
): Promise<{ address: string; blockNumber?: number } | undefined> {
  if (chainId === undefined) {
    const d = await hre.deployments.getOrNull("SLAEscrow");
    return d ? { address: d.address, blockNumber: d.receipt?.blockNumber } : undefined;
  }
  const folder = path.join(hre.config.paths.deployments, hre.network.name);
  const file = path.join(folder, "SLAEscrow.json");
  if (!fs.existsSync(file)) return undefined;
  const idFile = path.join(folder, ".chainId");
  const recorded = fs.existsSync(idFile) ? fs.readFileSync(idFile, "utf8").trim() : undefined;
  if (recorded !== undefined && BigInt(recorded) !== chainId) {
    throw new UserError(
      `the SLAEscrow deployment of network "${hre.network.name}" (${folder}) is for chain ${recorded}, not ${chainId}`,
    );
  }
  const d = JSON.parse(fs.readFileSync(file, "utf8")) as { address: string; receipt?: { blockNumber?: number } };
  return { address: d.address, blockNumber: d.receipt?.blockNumber };
}

/**
 * The escrow on the current network: `escrowAddress` when given (it must hold code), else hardhat-deploy's
 * deployment of `SLAEscrow`. With `provider`, read through it (and connected to it) instead of Hardhat's.
 */
export async function getEscrow(
  hre: HardhatRuntimeEnvironment,
  escrowAddress?: string,
  provider?: Provider,
): Promise<SLAEscrow> {
  let address: string;
  if (escrowAddress !== undefined && escrowAddress !== "") {
    if (!isAddress(escrowAddress)) throw new UserError(`--escrow: "${escrowAddress}" is not an address`);
    address = getAddress(escrowAddress);
  } else {
    const deployment = await escrowDeployment(hre, provider && (await provider.getNetwork()).chainId);
    if (!deployment) {
      throw new UserError(
        `no SLAEscrow deployment on network "${hre.network.name}": run "npx hardhat deploy --network ` +
          `${hre.network.name}" or pass --escrow ADDRESS`,
      );
    }
    address = deployment.address;
  }
  const code = await (provider ?? hre.ethers.provider).getCode(address);
  if (code === "0x") {
    throw new UserError(`no contract at ${address} on network "${hre.network.name}" (wrong network or address?)`);
  }
  if (provider)
    return new Contract(address, (await hre.artifacts.readArtifact("SLAEscrow")).abi, provider) as unknown as SLAEscrow;
  return (await hre.ethers.getContractAt("SLAEscrow", address)) as unknown as SLAEscrow;
}

/** The escrow's ABI interface, from the compiled artifact. */
export async function escrowInterface(hre: HardhatRuntimeEnvironment): Promise<Interface> {
  return new Interface((await hre.artifacts.readArtifact("SLAEscrow")).abi);
}
