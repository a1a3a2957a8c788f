/**
 * What every page needs: the connected account (if any), the chain, its deployment, an ethers provider for reads
 * and a signer for transactions. With no wallet the page reads the default chain from its RPC URL.
 */
import type { JsonRpcSigner, Provider } from "ethers";
import { createContext, type ReactNode, useContext, useMemo } from "react";
import { useAccount, useConnectorClient } from "wagmi";
import { type ChainDeployment, DEFAULT_DEPLOYMENT, deploymentOn, escrowAt } from "./chain";
import { clientToSigner, readProvider } from "./ethers";
import type { SLAEscrow } from "../../typechain-types";

export interface Session {
  /** The connected account (checksummed), when a wallet is connected. */
  account?: string;
  /** The chain the page works on: the wallet's, or the default one without a wallet. */
  chainId?: number;
  /** The wallet is on a chain without a deployment. */
  wrongChain: boolean;
  deployment?: ChainDeployment;
  provider?: Provider;
  signer?: JsonRpcSigner;
  /** The escrow for reads (through the wallet when connected). */
  escrow?: SLAEscrow;
}

const SessionContext = createContext<Session>({ wrongChain: false });

export function SessionProvider({ children }: { children: ReactNode }) {
  const { address, chainId, isConnected } = useAccount();
  const deployment = isConnected ? deploymentOn(chainId) : DEFAULT_DEPLOYMENT;
  const { data: client } = useConnectorClient({
    chainId: deployment?.chainId,
    query: { enabled: isConnected && deployment !== undefined },
  });
  const session = useMemo<Session>(() => {
    if (isConnected && deployment === undefined) return { account: address, chainId, wrongChain: true };
    if (deployment === undefined) return { wrongChain: false };
    if (isConnected) {
      if (client === undefined || client.account.address !== address || client.chain.id !== deployment.chainId) {
        return { account: address, chainId, wrongChain: false, deployment };
      }
      const signer = clientToSigner(client);
      const provider = signer.provider;
      return {
        account: signer.address,
        chainId,
        wrongChain: false,
        deployment,
        provider,
        signer,
        escrow: escrowAt(deployment.escrow, provider),
      };
    }
    if (deployment.rpcUrl === undefined) return { wrongChain: false, deployment, chainId: deployment.chainId };
    const provider = readProvider(deployment.rpcUrl, deployment.chainId);
    return {
      chainId: deployment.chainId,
      wrongChain: false,
      deployment,
      provider,
      escrow: escrowAt(deployment.escrow, provider),
    };
  }, [address, chainId, isConnected, deployment, client]);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}
