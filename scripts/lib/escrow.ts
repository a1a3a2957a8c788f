/**
 * The one place the TypeScript side (tasks, oracle, demo) finds the escrow and explains its errors.
 *
 * Runtime imports only from ethers and Hardhat: the Hardhat config loads this module through the tasks, and
 * TypeChain's generated code does not exist before the first compile (types are imported with `import type`).
 */
import { Interface, isAddress, getAddress, type ErrorDescription } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { SLAEscrow } from "../../typechain-types";

/** A mistake of the user's (bad input, wrong network...): the CLI prints its message and exits 1, no stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

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

/** Finds revert data (0x...) in the nested shapes ethers and Hardhat give errors. */
export function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8}/.test(o.data)) return o.data;
    for (const key of ["error", "info", "cause", "data"]) {
      const found = visit(o[key]);
      if (found) return found;
    }
    return undefined;
  };
  return visit(err);
}

/** The escrow's custom error in `err`, decoded, or undefined. */
export function decodeEscrowError(iface: Interface, err: unknown): ErrorDescription | undefined {
  const data = revertData(err);
  if (!data) return undefined;
  try {
    return iface.parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

/** `Name(arg=value, ...)` for a decoded error. */
export function formatEscrowError(e: ErrorDescription): string {
  const args = e.fragment.inputs.map((input, i) => `${input.name || `arg${i}`}=${String(e.args[i])}`);
  return `${e.name}(${args.join(", ")})`;
}
