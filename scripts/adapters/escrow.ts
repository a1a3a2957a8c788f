/**
 * Hardhat adapter: the escrow on the current network, found through hardhat-deploy's deployments.
 *
 * Runtime imports only from ethers and Hardhat: the Hardhat config loads this module through the tasks, and
 * TypeChain's generated code does not exist before the first compile (types are imported with `import type`).
 */
import { Interface, getAddress, isAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { SLAEscrow } from "../../typechain-types";
import { UserError } from "../lib/errors";

/**
 * The escrow on the current network: `escrowAddress` when given (it must hold code), else hardhat-deploy's
 * deployment of `SLAEscrow`.
 */
export async function getEscrow(hre: HardhatRuntimeEnvironment, escrowAddress?: string): Promise<SLAEscrow> {
  let address: string;
  if (escrowAddress !== undefined && escrowAddress !== "") {
    if (!isAddress(escrowAddress)) throw new UserError(`--escrow: "${escrowAddress}" is not an address`);
    address = getAddress(escrowAddress);
  } else {
    const deployment = await hre.deployments.getOrNull("SLAEscrow");
    if (!deployment) {
      throw new UserError(
        `no SLAEscrow deployment on network "${hre.network.name}": run "npx hardhat deploy --network ` +
          `${hre.network.name}" or pass --escrow ADDRESS`,
      );
    }
    address = deployment.address;
  }
  const code = await hre.ethers.provider.getCode(address);
  if (code === "0x") {
    throw new UserError(`no contract at ${address} on network "${hre.network.name}" (wrong network or address?)`);
  }
  return (await hre.ethers.getContractAt("SLAEscrow", address)) as unknown as SLAEscrow;
}

/** The escrow's ABI interface, from the compiled artifact. */
export async function escrowInterface(hre: HardhatRuntimeEnvironment): Promise<Interface> {
  return new Interface((await hre.artifacts.readArtifact("SLAEscrow")).abi);
}
