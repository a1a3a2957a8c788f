import { useSession } from "./session";
import { txUrl } from "./chain";
import type { TxState } from "./tx";

/** The outcome of the last action: an explanation (role=alert) or progress with the transaction's hash. */
export function TxStatus({ state }: { state: TxState }) {
  const { chainId } = useSession();
  if (state.kind === "idle") return null;
  if (state.kind === "error") {
    return (
      <p role="alert" className="error">
        {state.text}
      </p>
    );
  }
  const hash = "hash" in state ? state.hash : undefined;
  const url = hash === undefined || chainId === undefined ? undefined : txUrl(chainId, hash);
  return (
    <p role="status" className={state.kind}>
      {state.text}
      {hash !== undefined && (
        <>
          {" "}
          (transaction <code>{url === undefined ? hash : <a href={url}>{hash}</a>}</code>)
        </>
      )}
    </p>
  );
}
