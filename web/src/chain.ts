/**
 * The escrow on the chains the build knows: its typed contract (TypeChain's type over the artifact's ABI), each
 * chain's deployment, and the chain definitions wagmi connects to.
 */
import { type ChainDeployment, DEPLOYMENTS, ESCROW_ABI } from "virtual:sla-escrow";
import { Contract, type ContractRunner, Interface } from "ethers";
import { type Chain, defineChain } from "viem";
import { arbitrumSepolia, baseSepolia, hardhat, mainnet, optimismSepolia, sepolia } from "viem/chains";
import type { SLAEscrow } from "../../typechain-types";

export type { ChainDeployment };
export { DEPLOYMENTS };

export const ESCROW_INTERFACE = new Interface(ESCROW_ABI);

export function escrowAt(address: string, runner: ContractRunner): SLAEscrow {
  return new Contract(address, ESCROW_INTERFACE, runner) as unknown as SLAEscrow;
}

export function deploymentOn(chainId: number | undefined): ChainDeployment | undefined {
  return DEPLOYMENTS.find((d) => d.chainId === chainId);
}

/** The chain read when no wallet is connected: the local node when deployed there, else the first deployment. */
export const DEFAULT_DEPLOYMENT: ChainDeployment | undefined = deploymentOn(31337) ?? DEPLOYMENTS[0];

const KNOWN: Chain[] = [hardhat, mainnet, sepolia, baseSepolia, optimismSepolia, arbitrumSepolia];

function chainOf(d: ChainDeployment): Chain {
  const known = KNOWN.find((c) => c.id === d.chainId);
  const http = d.rpcUrl === undefined ? (known?.rpcUrls.default.http ?? []) : [d.rpcUrl];
  if (known !== undefined) return { ...known, rpcUrls: { default: { http } } };
  return defineChain({
    id: d.chainId,
    name: d.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http } },
  });
}

/** The chains with a deployment (the local node when there is none, so the page still starts). */
export const CHAINS: [Chain, ...Chain[]] =
  DEPLOYMENTS.length > 0 ? (DEPLOYMENTS.map(chainOf) as [Chain, ...Chain[]]) : [hardhat];

export function chainName(chainId: number): string {
  const c = CHAINS.find((x) => x.id === chainId) ?? KNOWN.find((x) => x.id === chainId);
  return c === undefined ? `chain ${chainId}` : `${c.name} (${chainId})`;
}

/** A block explorer's transaction page on public networks (none on local ones). */
export function txUrl(chainId: number, hash: string): string | undefined {
  const base = CHAINS.find((c) => c.id === chainId)?.blockExplorers?.default.url;
  return base === undefined ? undefined : `${base}/tx/${hash}`;
}
