/**
 * wagmi: the injected connector (window.ethereum) plus every wallet announced through EIP-6963 (wagmi's
 * multiInjectedProviderDiscovery), reconnecting on reload without asking for accounts (eth_accounts only); the
 * chains are those with a deployment.
 */
import { http } from "viem";
import { createConfig, injected } from "wagmi";
import { CHAINS } from "./chain";

export const wagmiConfig = createConfig({
  chains: CHAINS,
  connectors: [injected({ shimDisconnect: true })],
  multiInjectedProviderDiscovery: true,
  transports: Object.fromEntries(CHAINS.map((c) => [c.id, http(c.rpcUrls.default.http[0])])),
});

declare module "wagmi" {
  interface Register {
    config: typeof wagmiConfig;
  }
}
