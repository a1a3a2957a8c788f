/**
 * `#/agreement/<id>`: the parties, oracles and token; one row per milestone (number from 0, period, due time,
 * status, attested values with their meaning, cut, the vendor's and the client's amounts, evidence, the window
 * running); the actions the connected account may take now (the core's lifecycle rules decide); the history.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import {
  AgreementStatus,
  type MetricSpec,
  type MilestoneAction,
  MilestoneStatus,
  ZERO_ADDRESS,
  agreementActions,
  agreementStatusName,
  describeEvent,
  formatAmount,
  formatCut,
  formatDuration,
  formatMetricValue,
  formatTime,
  milestoneActions,
  milestoneStatusName,
  parseCut,
  partyOracleWarnings,
  periodOf,
  rolesOf,
  split,
  RuleError,
} from "../../../scripts/lib";
import { ESCROW_INTERFACE, escrowAt, txUrl } from "../chain";
import { type AgreementData, metricSpecsOf, useAgreement } from "../data";
import { useSession } from "../session";
import { MetricChart } from "../Chart";
import { TxStatus } from "../Status";
import { type TxPlan, type TxState, explainContext, runTx } from "../tx";

function left(seconds: number): string {
  return formatDuration(Math.max(0, seconds));
}

/** The window that is running for a milestone, in words. */
function windowText(d: AgreementData, m: number, actions: MilestoneAction[]): string {
  const state = d.milestones[m];
  const due = d.terms.milestones[m].dueAt;
  const now = d.now;
  const settle = actions.find((a) => a.action === "settle");
  if (state.status === MilestoneStatus.Settled) return "";
  if (settle?.now) return "settleable now";
  if (state.status === MilestoneStatus.Pending) {
    if (d.status === AgreementStatus.Proposed)
      return now < due
        ? `due in ${left(due - now)}; waiting for the vendor to accept`
        : `refundable in ${left((settle?.from ?? now) - now)}`;
    const attest = actions.find((a) => a.action === "attest");
    if (attest !== undefined && !attest.now) return `due in ${left(due - now)}`;
    if (attest?.now && attest.until !== undefined) return `attestation window: ${left(attest.until - now + 1)} left`;
  }
  if (state.status === MilestoneStatus.Attested) {
    const dispute = actions.find((a) => a.action === "dispute");
    if (dispute?.now && dispute.until !== undefined) return `dispute window: ${left(dispute.until - now + 1)} left`;
  }
  if (state.status === MilestoneStatus.Disputed && settle !== undefined)
    return `arbitration: ${left(settle.from - now)} left`;
  return settle === undefined ? "" : `settleable in ${left(settle.from - now)}`;
}

export function Agreement({ id }: { id: bigint }) {
  const session = useSession();
  const { data, error, isPending } = useAgreement(id);
  const [tx, setTx] = useState<TxState>({ kind: "idle" });
  const [cuts, setCuts] = useState<Record<number, string>>({});
  const queryClient = useQueryClient();
  const [renderMs, setRenderMs] = useState<number>();
  useEffect(() => {
    if (data !== undefined) setRenderMs(performance.now() - data.loadedAt);
  }, [data]);

  if (session.deployment === undefined) return <p>Connect a wallet on a network where the escrow is deployed.</p>;
  if (error)
    return (
      <p role="alert">
        {error instanceof RuleError || error.name === "UserError"
          ? error.message
          : `Cannot read agreement ${id}: ${error.message}`}
      </p>
    );
  if (isPending || data === undefined) return <p role="status">Loading agreement {id.toString()}…</p>;

  const { terms, token } = data;
  const specs = metricSpecsOf(session.chainId, session.deployment.escrow, id);
  const roles = session.account === undefined ? [] : rolesOf(terms, session.account);
  const canSend = session.signer !== undefined;
  const may = (a: { now: boolean; who: string[] }) =>
    canSend && a.now && (a.who.includes("anyone") || a.who.some((r) => (roles as string[]).includes(r)));
  const ctx = explainContext(token);
  const busy = tx.kind === "working" || tx.kind === "pending";

  const act = async (label: string, method: string, args: unknown[]) => {
    const signer = session.signer;
    if (signer === undefined || session.deployment === undefined) return;
    const escrow = escrowAt(session.deployment.escrow, signer);
    const fn = escrow.getFunction(method);
    const plan: TxPlan = { label, simulate: () => fn.staticCall(...args), send: () => fn.send(...args) };
    const receipt = await runTx(plan, setTx, ctx);
    if (receipt !== undefined) await queryClient.invalidateQueries();
  };

  const perMilestone = data.milestones.map((state, m) => milestoneActions(terms, data.status, m, state, data.now));
  const settleable = perMilestone.flatMap((acts, m) => (acts.some((a) => a.action === "settle" && a.now) ? [m] : []));
  const agreementActs = agreementActions(terms, data.status, data.now, data.requestedBy);
  const allowed = (name: string) => agreementActs.find((a) => a.action === name && may(a)) !== undefined;
  const warnings = partyOracleWarnings(terms);
  const total = terms.milestones.reduce((s, m) => s + m.amount, 0n);

  return (
    <article className="agreement">
      <h1>
        Agreement {id.toString()}: <span aria-label="Agreement status">{agreementStatusName(data.status)}</span>
      </h1>
      <dl className="parties">
        <dt>Client</dt>
        <dd>{terms.client}</dd>
        <dt>Vendor</dt>
        <dd>{terms.vendor}</dd>
        <dt>Arbitrator</dt>
        <dd>{terms.arbitrator === ZERO_ADDRESS ? "none (no disputes)" : terms.arbitrator}</dd>
        <dt>Oracles</dt>
        <dd>
          {terms.threshold} of {terms.oracles.length}: {terms.oracles.join(", ")}
        </dd>
        <dt>Token</dt>
        <dd>
          {token.symbol} {token.address === ZERO_ADDRESS ? "(native)" : token.address}; total{" "}
          {formatAmount(total, token)}
        </dd>
        <dt>Windows</dt>
        <dd>
          attestation grace {formatDuration(terms.attestGrace)}, dispute window {formatDuration(terms.disputeWindow)},
          arbitration timeout {formatDuration(terms.arbitrationTimeout)}, silent cut {formatCut(terms.silentCutBps)}
        </dd>
        {roles.length > 0 && (
          <>
            <dt>You are</dt>
            <dd>{roles.join(", ")}</dd>
          </>
        )}
      </dl>
      {warnings.map((w) => (
        <p key={w} className="warning">
          {w}
        </p>
      ))}

      <div className="actions" role="group" aria-label="Actions">
        {allowed("accept") && (
          <button type="button" disabled={busy} onClick={() => void act("Accept", "accept", [id])}>
            Accept
          </button>
        )}
        {allowed("cancel") && (
          <button type="button" disabled={busy} onClick={() => void act("Cancel agreement", "cancel", [id])}>
            Cancel agreement
          </button>
        )}
        {allowed("terminate") && (
          <button type="button" disabled={busy} onClick={() => void act("Request termination", "terminate", [id])}>
            Request termination
          </button>
        )}
        {canSend && settleable.length > 0 && (
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              const calls = settleable.map((m) => ESCROW_INTERFACE.encodeFunctionData("settle", [id, m]));
              void act(`Settle milestone${settleable.length === 1 ? "" : "s"} ${settleable.join(", ")}`, "multicall", [
                calls,
              ]);
            }}
          >
            Settle
          </button>
        )}
        {canSend && data.balance !== undefined && data.balance > 0n && (
          <span>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void act(`Withdraw ${formatAmount(data.balance!, token)}`, "withdraw", [terms.token, session.account])
              }
            >
              Withdraw
            </button>{" "}
            your balance of {formatAmount(data.balance, token)}
          </span>
        )}
      </div>
      {data.requestedBy.length > 0 && <p>Termination requested by: {data.requestedBy.join(", ")}</p>}
      <TxStatus state={tx} />

      <div className="table-wrap">
        <table aria-label="Milestones">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Period</th>
              <th scope="col">Status</th>
              <th scope="col">Values</th>
              <th scope="col">Cut</th>
              <th scope="col">Amount</th>
              <th scope="col">Vendor</th>
              <th scope="col">Client</th>
              <th scope="col">Evidence</th>
              <th scope="col">Window</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.milestones.map((state, m) => {
              const period = periodOf(terms, m);
              const posted = data.attestations.get(m);
              const amount = terms.milestones[m].amount;
              const decided = state.status !== MilestoneStatus.Pending;
              const parts = split(amount, state.cutBps);
              const acts = perMilestone[m];
              const dispute = acts.find((a) => a.action === "dispute" && may(a));
              const resolve = acts.find((a) => a.action === "resolve" && may(a));
              return (
                <tr key={m}>
                  <td>{m}</td>
                  <td>
                    {formatTime(period.start)} – {formatTime(period.end)}
                  </td>
                  <td>{milestoneStatusName(state.status)}</td>
                  <td>
                    {posted === undefined
                      ? "—"
                      : posted.values.map((v, i) => (
                          <span key={i} className="value">
                            {v.toString()}
                            {specs?.[i] !== undefined && ` (${formatMetricValue(specs[i], v)} ${specs[i].name})`}
                          </span>
                        ))}
                  </td>
                  <td>{decided ? formatCut(state.cutBps) : "—"}</td>
                  <td>{formatAmount(amount, token)}</td>
                  <td>{decided ? formatAmount(parts.toVendor, token) : "—"}</td>
                  <td>{decided ? formatAmount(parts.toClient, token) : "—"}</td>
                  <td>{posted === undefined ? "—" : <code className="hash">{posted.evidence}</code>}</td>
                  <td>{windowText(data, m, acts)}</td>
                  <td>
                    {dispute !== undefined && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void act(`Dispute milestone ${m}`, "dispute", [id, m])}
                      >
                        Dispute
                      </button>
                    )}
                    {resolve !== undefined && (
                      <span className="resolve">
                        <label>
                          Cut for milestone {m} (%){" "}
                          <input
                            size={6}
                            value={cuts[m] ?? ""}
                            placeholder="25%"
                            onChange={(e) => setCuts({ ...cuts, [m]: e.target.value })}
                          />
                        </label>{" "}
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => {
                            const text = (cuts[m] ?? "").trim();
                            try {
                              const bps = parseCut(text.endsWith("%") ? text : `${text}%`);
                              void act(`Resolve milestone ${m} with a cut of ${formatCut(bps)}`, "resolveDispute", [
                                id,
                                m,
                                bps,
                              ]);
                            } catch (e) {
                              setTx({
                                kind: "error",
                                text: `Cut for milestone ${m}: ${(e as Error).message}. Nothing was sent.`,
                              });
                            }
                          }}
                        >
                          Resolve
                        </button>
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <section aria-label="Charts" className="charts">
        <h2>Measurements</h2>
        {terms.metrics.map((_, i) => (
          <MetricChart
            key={i}
            terms={terms}
            metric={i}
            {...(specs?.[i] === undefined ? {} : { spec: specs[i] })}
            values={data.milestones.map((_, m) => {
              const v = data.attestations.get(m)?.values[i];
              return v === undefined ? undefined : Number(v);
            })}
          />
        ))}
      </section>

      <section aria-label="History">
        <h2>History</h2>
        <ol className="history">
          {data.history.map((e) => {
            const url = session.chainId === undefined ? undefined : txUrl(session.chainId, e.transactionHash);
            return (
              <li key={`${e.blockNumber}-${e.logIndex}`}>
                <time>{formatTime(e.timestamp)}</time>{" "}
                {describeEvent(e, { token, terms, ...(specs === undefined ? {} : { metrics: specs }) })}{" "}
                <small>
                  block {e.blockNumber}, tx{" "}
                  {url === undefined ? <code>{e.transactionHash}</code> : <a href={url}>{e.transactionHash}</a>}
                </small>
              </li>
            );
          })}
        </ol>
        <p>
          <button type="button" onClick={() => downloadCsv(id, data, specs)}>
            Export history (CSV)
          </button>{" "}
          <button type="button" onClick={() => window.print()}>
            Print statement
          </button>
        </p>
      </section>
      <p className="muted" data-testid="load-ms">
        read in {Math.round(data.loadMs)} ms{renderMs === undefined ? "" : `; shown in ${Math.round(renderMs)} ms`}
      </p>
    </article>
  );
}

function downloadCsv(id: bigint, data: AgreementData, specs: MetricSpec[] | undefined): void {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const rows = [
    ["time", "block", "transaction", "event", "milestone", "description"].join(","),
    ...data.history.map((e) =>
      [
        formatTime(e.timestamp),
        e.blockNumber,
        e.transactionHash,
        e.name,
        e.milestone ?? "",
        quote(
          describeEvent(e, {
            token: data.token,
            terms: data.terms,
            ...(specs === undefined ? {} : { metrics: specs }),
          }),
        ),
      ].join(","),
    ),
  ];
  const url = URL.createObjectURL(new Blob([rows.join("\n") + "\n"], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `agreement-${id}-history.csv`;
  a.click();
  URL.revokeObjectURL(url);
}
