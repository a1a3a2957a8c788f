import type { DeployFunction } from "hardhat-deploy/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** Deploys the ownerless SLAEscrow singleton (no constructor arguments, nothing to configure). */
const deployEscrow: DeployFunction = async (hre: HardhatRuntimeEnvironment) => {
  const { deployments, getNamedAccounts } = hre;
  const { deployer } = await getNamedAccounts();
  await deployments.deploy("SLAEscrow", { from: deployer, args: [], log: true });
};

deployEscrow.tags = ["SLAEscrow"];
export default deployEscrow;
