/** The build-time module of vite.config.ts: the escrow's ABI and its deployments per chain. */
declare module "virtual:sla-escrow" {
  import type { InterfaceAbi } from "ethers";

  export interface ChainDeployment {
    chainId: number;
    /** hardhat-deploy's network name, e.g. "localhost". */
    network: string;
    escrow: string;
    /** Where scans for events start. */
    deployBlock: number;
    /** The read-only RPC used when no wallet is connected. */
    rpcUrl?: string;
    /** The local networks' test token (TUSD), when deployed. */
    testToken?: string;
  }

  export const ESCROW_ABI: InterfaceAbi;
  export const DEPLOYMENTS: ChainDeployment[];
}
