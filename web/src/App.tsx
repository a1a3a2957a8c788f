import { useState } from "react";
import { useAccount, useConnect, useDisconnect, useSwitchChain } from "wagmi";
import { DEPLOYMENTS, chainName } from "./chain";
import { Agreement } from "./pages/Agreement";
import { Home } from "./pages/Home";
import { NewAgreement } from "./pages/NewAgreement";
import { Verify } from "./pages/Verify";
import { useChainError } from "./data";
import { useRoute } from "./route";
import { useSession } from "./session";
import { describeFailure } from "./tx";

function Wallet() {
  const { isConnected, address, chainId, connector } = useAccount();
  const { connectors, connect, isPending } = useConnect();
  const { disconnect } = useDisconnect();
  const { switchChain, isPending: switching } = useSwitchChain();
  const session = useSession();
  const [error, setError] = useState<string>();
  // EIP-6963 wallets first (wagmi adds one connector per announced wallet), then window.ethereum.
  const choices = [...connectors].sort((a, b) => Number(a.id === "injected") - Number(b.id === "injected"));
  const [choice, setChoice] = useState(0);
  if (!isConnected) {
    return (
      <div className="wallet">
        {choices.length > 1 && (
          <label>
            Wallet{" "}
            <select value={choice} onChange={(e) => setChoice(Number(e.target.value))}>
              {choices.map((c, i) => (
                <option key={c.uid} value={i}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button
          type="button"
          disabled={isPending || choices.length === 0}
          onClick={() => {
            setError(undefined);
            const c = choices[choice] ?? choices[0];
            if (c !== undefined) connect({ connector: c }, { onError: (e) => setError(describeFailure(e)) });
          }}
        >
          Connect wallet
        </button>
        {error !== undefined && <p role="alert">{error}</p>}
      </div>
    );
  }
  return (
    <div className="wallet">
      <p>
        <span aria-label="Account">{address}</span> on{" "}
        <span aria-label="Network">{chainId === undefined ? "?" : chainName(chainId)}</span>
        {connector !== undefined && ` via ${connector.name}`}{" "}
        <button type="button" className="link" onClick={() => disconnect()}>
          Disconnect
        </button>
      </p>
      {session.wrongChain && (
        <div role="alert" className="warning">
          <p>
            The escrow is not deployed on {chainId === undefined ? "this network" : chainName(chainId)}. It is deployed
            on: {DEPLOYMENTS.map((d) => chainName(d.chainId)).join(", ") || "no network known to this build"}.
          </p>
          {DEPLOYMENTS.map((d) => (
            <button
              key={d.chainId}
              type="button"
              disabled={switching}
              onClick={() => switchChain({ chainId: d.chainId }, { onError: (e) => setError(describeFailure(e)) })}
            >
              Switch to {chainName(d.chainId)}
            </button>
          ))}
          {error !== undefined && <p>{error}</p>}
        </div>
      )}
    </div>
  );
}

/** A banner while the chain cannot be read: the page keeps polling and clears it when the node answers again. */
function ChainStatus() {
  const error = useChainError();
  const { deployment, account } = useSession();
  if (error === undefined) return null;
  const where = account === undefined ? `the read-only RPC ${deployment?.rpcUrl ?? ""}` : "the wallet's network";
  return (
    <p role="alert" className="error">
      Cannot read the chain through {where}: {describeFailure(error)}
    </p>
  );
}

export function App() {
  const route = useRoute();
  return (
    <>
      <header>
        <nav aria-label="Pages">
          <a href="#/">My agreements</a> <a href="#/new">Create</a> <a href="#/verify">Verify a report</a>
        </nav>
        <Wallet />
      </header>
      <main>
        <ChainStatus />
        {route.page === "home" && <Home />}
        {route.page === "new" && <NewAgreement />}
        {route.page === "verify" && <Verify />}
        {route.page === "agreement" && <Agreement id={route.id} />}
        {route.page === "unknown" && <p role="alert">There is no page {route.path}.</p>}
      </main>
    </>
  );
}
