import type { DeployFunction } from "hardhat-deploy/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/** Networks where a freely mintable test token is deployed next to the escrow. */
export const LOCAL_NETWORKS = ["hardhat", "localhost"];

/** Deploys "Test USD" (18 decimals, EIP-2612 permit, open mint) on local networks only. */
const deployTestToken: DeployFunction = async (hre: HardhatRuntimeEnvironment) => {
  const { deployments, getNamedAccounts } = hre;
  const { deployer } = await getNamedAccounts();
  await deployments.deploy("TestToken", {
    contract: "MockERC20Permit",
    from: deployer,
    args: ["Test USD", "TUSD", 18],
    log: true,
  });
};

deployTestToken.tags = ["TestToken"];
deployTestToken.skip = async (hre: HardhatRuntimeEnvironment) => !LOCAL_NETWORKS.includes(hre.network.name);
export default deployTestToken;
