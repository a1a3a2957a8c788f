import type { DeployFunction } from "hardhat-deploy/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types";

/**
 * The CREATE2 salt of the SLAEscrow singleton: keccak256("sla-escrow/SLAEscrow/v1"). Fixed, so the escrow lands at
 * the same address on every chain: address = CREATE2(factory, SLA_ESCROW_SALT, keccak256(init code)), where the
 * factory is the standard deterministic-deployment proxy 0x4e59b44847b379578588920ca78fbf26c0b4956c (present on
 * every public chain we target; hardhat-deploy deploys it itself on hardhat/localhost) and the init code is the
 * compiled creation bytecode (no constructor arguments). A different compiler setting or source changes the init
 * code and hence the address; change the salt only to deploy a second, independent escrow from the same code.
 * Anyone can send the same init code through the factory: the result is the same ownerless contract, so a
 * front-runner only pays our gas.
 */
export const SLA_ESCROW_SALT = "0x13dcf0370c9eae341e2b2547ddc1e3c0fc73176f08da7d98352cf2016038aeaf";

/** The deterministic-deployment proxy hardhat-deploy uses by default (github.com/Arachnid/deterministic-deployment-proxy). */
export const CREATE2_FACTORY = "0x4e59b44847b379578588920ca78fbf26c0b4956c";

/**
 * Deploys the ownerless SLAEscrow singleton (no constructor arguments, nothing to configure) through CREATE2.
 * When code is already at the address, hardhat-deploy says `reusing "SLAEscrow" at 0x…` and sends nothing.
 */
const deployEscrow: DeployFunction = async (hre: HardhatRuntimeEnvironment) => {
  const { deployments, getNamedAccounts } = hre;
  const { deployer } = await getNamedAccounts();
  await deployments.deploy("SLAEscrow", {
    from: deployer,
    args: [],
    deterministicDeployment: SLA_ESCROW_SALT,
    log: true,
  });
};

deployEscrow.tags = ["SLAEscrow"];
export default deployEscrow;
