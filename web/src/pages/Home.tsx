/**
 * `#/`: the connected account's agreements by role (client, vendor, arbitrator, oracle), found by scanning the
 * escrow's AgreementCreated events (scan.ts), each with its status, its next deadline and what the account can
 * do now (the core's lifecycle rules); and "open by id".
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import {
  type Role,
  agreementActions,
  agreementStatusName,
  derivedStatus,
  formatTime,
  milestoneActions,
  nextBlockTime,
  readTerms,
  rolesOf,
  formatAmount,
  tokenAt,
  ZERO_ADDRESS,
} from "../../../scripts/lib";
import { escrowAt } from "../chain";
import { TxStatus } from "../Status";
import { go } from "../route";
import { readStates, useBlockNumber } from "../data";
import { type IndexedAgreement, type ScanProgress, scanAgreements } from "../scan";
import { useSession } from "../session";
import { type TxState, describeFailure, explainContext, runTx } from "../tx";
import type { SLAEscrow } from "../../../typechain-types";

const ROLES: Role[] = ["client", "vendor", "arbitrator", "oracle"];
const PAGE = 50;

interface Summary {
  status: string;
  next: string;
  can: string[];
}

async function summarise(escrow: SLAEscrow, id: bigint, roles: Role[], now: number): Promise<Summary> {
  const terms = await readTerms(escrow, id);
  const { stored, milestones: states } = await readStates(escrow, id, terms.milestones.length);
  const status = derivedStatus(stored, states);
  const mine = (who: Role[]) => who.includes("anyone") || who.some((r) => roles.includes(r));
  const can = new Set<string>();
  let next: number | undefined;
  for (const a of agreementActions(terms, status, now)) if (a.now && mine(a.who)) can.add(a.action);
  states.forEach((s, m) => {
    for (const a of milestoneActions(terms, status, m, s, now)) {
      if (a.now && mine(a.who)) can.add(`${a.action} ${m}`);
      const edge = a.now ? a.until : a.from;
      if (edge !== undefined && edge >= now && (next === undefined || edge < next)) next = edge;
    }
  });
  return { status: agreementStatusName(status), next: next === undefined ? "—" : formatTime(next), can: [...can] };
}

/** The connected account's balance in each token of its agreements (and ETH), each with its Withdraw. */
function Balances({ tokens }: { tokens: string[] }) {
  const { escrow, provider, account, signer, deployment, chainId } = useSession();
  const queryClient = useQueryClient();
  const [tx, setTx] = useState<TxState>({ kind: "idle" });
  const { data } = useQuery({
    queryKey: ["balances", chainId, account, tokens.join()],
    queryFn: () =>
      Promise.all(
        tokens.map(async (t) => ({
          token: await tokenAt(provider!, t),
          balance: BigInt(await escrow!.balanceOf(account!, t)),
        })),
      ),
    enabled: escrow !== undefined && provider !== undefined && account !== undefined,
    refetchInterval: 2_000,
  });
  const held = (data ?? []).filter((b) => b.balance > 0n);
  if (held.length === 0 && tx.kind === "idle") return null;
  return (
    <section aria-label="Balances">
      <h2>Your balances in the escrow</h2>
      <ul>
        {held.map(({ token, balance }) => (
          <li key={token.address}>
            {formatAmount(balance, token)}{" "}
            <button
              type="button"
              disabled={signer === undefined || tx.kind === "working" || tx.kind === "pending"}
              aria-label={`Withdraw ${token.symbol}`}
              onClick={async () => {
                const fn = escrowAt(deployment!.escrow, signer!).getFunction("withdraw");
                const args = [token.address, account!] as const;
                const receipt = await runTx(
                  {
                    label: `Withdraw ${formatAmount(balance, token)}`,
                    simulate: () => fn.staticCall(...args),
                    send: () => fn.send(...args),
                  },
                  setTx,
                  explainContext(token),
                );
                if (receipt !== undefined) await queryClient.invalidateQueries();
              }}
            >
              Withdraw
            </button>
          </li>
        ))}
      </ul>
      <TxStatus state={tx} />
    </section>
  );
}

function Row({ a, roles }: { a: IndexedAgreement; roles: Role[] }) {
  const { escrow, provider, chainId } = useSession();
  const { data, error } = useQuery({
    queryKey: ["summary", chainId, a.id, roles.join()],
    queryFn: async () => summarise(escrow as SLAEscrow, BigInt(a.id), roles, await nextBlockTime(provider!)),
    enabled: escrow !== undefined && provider !== undefined,
    refetchInterval: 5_000,
  });
  return (
    <tr>
      <td>
        <a href={`#/agreement/${a.id}`}>Agreement {a.id}</a>
      </td>
      <td>{roles.join(", ")}</td>
      <td>{error ? describeFailure(error) : (data?.status ?? "…")}</td>
      <td>{data?.next ?? ""}</td>
      <td>{data === undefined ? "" : data.can.length === 0 ? "nothing now" : data.can.join(", ")}</td>
    </tr>
  );
}

export function Home() {
  const { escrow, provider, account, chainId, deployment } = useSession();
  const [progress, setProgress] = useState<ScanProgress>();
  const [all, setAll] = useState<IndexedAgreement[]>();
  const [error, setError] = useState<string>();
  const [openId, setOpenId] = useState("");
  const [shown, setShown] = useState(PAGE);
  const block = useBlockNumber();

  useEffect(() => {
    if (
      escrow === undefined ||
      provider === undefined ||
      chainId === undefined ||
      deployment === undefined ||
      block === undefined
    )
      return;
    let live = true;
    scanAgreements(escrow, provider, chainId, deployment.deployBlock, (p) => live && setProgress(p))
      .then((list) => live && setAll([...list]))
      .catch((e: unknown) => live && setError(describeFailure(e)));
    return () => {
      live = false;
    };
  }, [escrow, provider, chainId, deployment, block]);

  const mine = useMemo(() => {
    if (all === undefined || account === undefined) return [];
    return all.flatMap((a) => {
      const roles = rolesOf(a, account);
      return roles.length > 0 ? [{ a, roles }] : [];
    });
  }, [all, account]);

  return (
    <article>
      <h1>My agreements</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (/^\d+$/.test(openId.trim())) go(`/agreement/${openId.trim()}`);
        }}
      >
        <label>
          Agreement id <input inputMode="numeric" value={openId} onChange={(e) => setOpenId(e.target.value)} />
        </label>{" "}
        <button type="submit">Open</button>
      </form>
      {account === undefined ? (
        <p>
          Connect a wallet to see the agreements where the account is the client, the vendor, the arbitrator or an
          oracle.
        </p>
      ) : (
        <>
          {progress !== undefined && (
            <p role="status" aria-label="Scan progress">
              {progress.scannedTo >= progress.toBlock
                ? `Scanned to block ${progress.toBlock}: ${progress.found} agreements on this escrow, ${all === undefined ? "…" : mine.length} of them yours.`
                : `Scanning blocks ${progress.fromBlock} to ${progress.toBlock}: at ${progress.scannedTo}, ${progress.found} agreements found…`}
            </p>
          )}
          {error !== undefined && <p role="alert">{error}</p>}
          {all !== undefined && <Balances tokens={[...new Set([ZERO_ADDRESS, ...mine.map((x) => x.a.token)])]} />}
          {ROLES.map((role) => {
            const list = mine.filter((x) => x.roles.includes(role));
            if (list.length === 0) return null;
            return (
              <section key={role} aria-label={`As ${role}`}>
                <h2>
                  As {role} ({list.length})
                </h2>
                <div className="table-wrap">
                  <table aria-label={`Agreements as ${role}`}>
                    <thead>
                      <tr>
                        <th scope="col">Agreement</th>
                        <th scope="col">Your roles</th>
                        <th scope="col">Status</th>
                        <th scope="col">Next deadline</th>
                        <th scope="col">You can</th>
                      </tr>
                    </thead>
                    <tbody>
                      {list.slice(0, shown).map(({ a, roles }) => (
                        <Row key={a.id} a={a} roles={roles} />
                      ))}
                    </tbody>
                  </table>
                </div>
                {list.length > shown && (
                  <button type="button" onClick={() => setShown(shown + PAGE)}>
                    Show more
                  </button>
                )}
              </section>
            );
          })}
        </>
      )}
    </article>
  );
}
