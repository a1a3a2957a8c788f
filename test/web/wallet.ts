/**
 * The test wallet: an EIP-1193 provider injected into the page with Playwright's `addInitScript`, as a wallet
 * extension injects it: as `window.ethereum` and announced through EIP-6963 ("Test Wallet"). It answers the
 * accounts and the chain id itself and forwards every other request to the `hardhat node` (whose accounts are
 * unlocked: eth_sendTransaction and eth_signTypedData_v4 work without keys). It asks nothing of a person and logs
 * every method the page called (`window.__wallet.calls`), so a test can assert that nothing was sent;
 * `window.__wallet.rejectNext = true` refuses the next transaction or signature (code 4001), as a person pressing
 * "Reject" does. The site's permission survives reloads (localStorage), as in a real wallet: `eth_accounts`
 * answers [] until `eth_requestAccounts` was called once.
 */
export interface WalletOptions {
  rpc: string;
  account: string;
  /** The node's chain id: the only chain the wallet can be switched to. */
  chainId: number;
  /** The chain the wallet starts on (default chainId): another one plays a wallet left on the wrong network. */
  startChainId?: number;
  /**
   * The wallet does not know the node's chain yet: switching to it fails with 4902 until the page adds it with
   * `wallet_addEthereumChain` (its parameters are kept in `window.__wallet.added`), which also switches, as
   * MetaMask does.
   */
  unknownChain?: boolean;
}

/** The function Playwright serialises into the page; it must not refer to anything outside itself. */
export function installWallet({ rpc, account, chainId, startChainId, unknownChain }: WalletOptions): void {
  const KEY = "__test_wallet_connected";
  let current = startChainId ?? chainId;
  let known = unknownChain !== true;
  const calls: string[] = [];
  const added: unknown[] = [];
  /** Set by a test: the next transaction or signature is refused, as a person pressing "Reject" does. */
  const state = { calls, added, rejectNext: false };
  const listeners: Record<string, ((...args: unknown[]) => void)[]> = {};
  let nextId = 0;
  const forward = async (method: string, params: unknown[]): Promise<unknown> => {
    const res = await fetch(rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++nextId, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (body.error !== undefined) {
      const err = new Error(body.error.message) as Error & { code: number; data?: unknown };
      err.code = body.error.code;
      err.data = body.error.data;
      throw err;
    }
    return body.result;
  };
  const provider = {
    isTestWallet: true,
    async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
      calls.push(method);
      if (state.rejectNext && (method === "eth_sendTransaction" || method.startsWith("eth_signTypedData"))) {
        state.rejectNext = false;
        throw Object.assign(new Error("User rejected the request."), { code: 4001 });
      }
      switch (method) {
        case "eth_requestAccounts":
          localStorage.setItem(KEY, "1");
          return [account];
        case "eth_accounts":
          return localStorage.getItem(KEY) === "1" ? [account] : [];
        case "eth_chainId":
          return `0x${current.toString(16)}`;
        case "net_version":
          return String(current);
        case "wallet_requestPermissions":
          localStorage.setItem(KEY, "1");
          return [{ parentCapability: "eth_accounts" }];
        case "wallet_revokePermissions":
          localStorage.removeItem(KEY);
          return null;
        case "wallet_addEthereumChain": {
          const chain = params?.[0] as { chainId: string; rpcUrls?: string[] };
          added.push(chain);
          if (Number(chain.chainId) !== chainId)
            throw Object.assign(new Error("the test wallet reaches no node for it"), { code: 4001 });
          known = true;
          current = chainId;
          for (const fn of listeners.chainChanged ?? []) fn(`0x${chainId.toString(16)}`);
          return null;
        }
        case "wallet_switchEthereumChain": {
          const wanted = Number((params?.[0] as { chainId: string }).chainId);
          if (wanted !== chainId || !known) throw Object.assign(new Error("Unrecognized chain"), { code: 4902 });
          current = wanted;
          for (const fn of listeners.chainChanged ?? []) fn(`0x${wanted.toString(16)}`);
          return null;
        }
        default:
          if (current !== chainId)
            throw Object.assign(new Error(`the test wallet reaches no node for chain ${current}`), { code: 4901 });
          return forward(method, params ?? []);
      }
    },
    on(event: string, fn: (...args: unknown[]) => void) {
      (listeners[event] ??= []).push(fn);
      return provider;
    },
    removeListener(event: string, fn: (...args: unknown[]) => void) {
      listeners[event] = (listeners[event] ?? []).filter((f) => f !== fn);
      return provider;
    },
  };
  (window as unknown as { ethereum: unknown }).ethereum = provider;
  // EIP-6963: announce on load and whenever the page asks, as wallet extensions do.
  const info = {
    uuid: "5b7d6f0e-6f38-4a4e-9d55-0c8e4c6a1e63",
    name: "Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E",
    rdns: "org.sla-escrow.test-wallet",
  };
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
  (window as unknown as { __wallet: unknown }).__wallet = state;
}
