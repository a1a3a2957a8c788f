/**
 * wagmi's documented ethers adapters ("Ethers.js Adapters"): a BrowserProvider and JsonRpcSigner over the wagmi
 * connector client, so that the page calls the core's ethers code; a JsonRpcProvider for reads without a wallet.
 */
import { BrowserProvider, JsonRpcProvider, JsonRpcSigner } from "ethers";
import type { Account, Chain, Client, Transport } from "viem";

/** Fast polling (receipts, blocks) and no call cache: right after a transaction, reads must see its effects. */
const OPTIONS = { pollingInterval: 500, cacheTimeout: -1 } as const;

export function clientToSigner(client: Client<Transport, Chain, Account>): JsonRpcSigner {
  const { account, chain, transport } = client;
  const network = { chainId: chain.id, name: chain.name };
  const provider = new BrowserProvider(transport, network, OPTIONS);
  return new JsonRpcSigner(provider, account.address);
}

export function readProvider(url: string, chainId: number): JsonRpcProvider {
  return new JsonRpcProvider(url, chainId, { ...OPTIONS, staticNetwork: true });
}
