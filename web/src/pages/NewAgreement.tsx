/**
 * `#/new`: the terms form in human units, checked by the core's checkTerms exactly as a terms file (field-path
 * messages), a preview (schedule, penalty table, total, warnings), and funding: native ETH as value, an EIP-2612
 * permit where the token supports it (one signature, one transaction), else approve then create. Import and
 * export of a terms file.
 */
import { useEffect, useMemo, useState } from "react";
import { Contract, type Provider, ZeroAddress, isAddress } from "ethers";
import {
  type ConvertedTerms,
  NATIVE_ETH,
  type ResolvedToken,
  checkTerms,
  formatAmount,
  formatCut,
  formatMetricValue,
  formatTime,
  nextBlockTime,
  partyOracleWarnings,
  permitDomain,
  signPermit,
  specJson,
  tokenAt,
} from "../../../scripts/lib";
import { escrowAt } from "../chain";
import { rememberMetricSpecs } from "../data";
import { go } from "../route";
import { useSession } from "../session";
import { TxStatus } from "../Status";
import { type FormState, METRIC_NAMES, defaultForm, fromTermsFile, toTermsFile } from "../terms-form";
import { type TxState, describeFailure, explainContext, runTx } from "../tx";

const ERC20 = [
  "function balanceOf(address) view returns (uint256)",
  "function allowance(address,address) view returns (uint256)",
  "function approve(address,uint256) returns (bool)",
  "function nonces(address) view returns (uint256)",
  "function name() view returns (string)",
  "function eip712Domain() view returns (bytes1, string, string, uint256, address, bytes32, uint256[])",
];

/** Seconds a permit signed here stays valid. */
const PERMIT_LIFETIME = 3600n;

interface Checked {
  converted?: ConvertedTerms;
  errors: string[];
}

/** The form's token field resolved on chain, as checkTerms takes it. */
async function resolveToken(
  provider: Provider,
  text: string,
  testToken?: string,
): Promise<ResolvedToken | { error: string }> {
  const t = text.trim();
  if (t.toUpperCase() === "ETH") return NATIVE_ETH;
  const address = t.toUpperCase() === "TUSD" && testToken !== undefined ? testToken : t;
  if (!isAddress(address))
    return {
      error: `${JSON.stringify(t)} is neither ETH, a token of this network's deployments (TUSD) nor an address`,
    };
  try {
    return await tokenAt(provider, address);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function Field({
  label,
  path,
  errors,
  children,
}: {
  label: string;
  path: string;
  errors: string[];
  children: (id: string, describedBy?: string) => React.ReactNode;
}) {
  const mine = errors.filter((e) => e.startsWith(`${path}: `));
  const id = `f-${path.replace(/[^a-zA-Z0-9]/g, "-")}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label> {children(id, mine.length > 0 ? `${id}-err` : undefined)}
      {mine.length > 0 && (
        <span id={`${id}-err`} className="field-error">
          {mine.join("; ")}
        </span>
      )}
    </div>
  );
}

export function NewAgreement() {
  const session = useSession();
  const [form, setForm] = useState<FormState>(() => defaultForm(Math.floor(Date.now() / 1000)));
  const [checked, setChecked] = useState<Checked>({ errors: [] });
  const [showErrors, setShowErrors] = useState(false);
  const [tx, setTx] = useState<TxState>({ kind: "idle" });
  const [importError, setImportError] = useState<string>();
  const file = useMemo(() => toTermsFile(form), [form]);

  const check = async (f: Record<string, unknown>): Promise<Checked> => {
    if (session.provider === undefined || session.account === undefined)
      return { errors: ["(wallet): connect a wallet to check the terms against the chain"] };
    const token =
      typeof f.token === "string"
        ? await resolveToken(session.provider, f.token, session.deployment?.testToken)
        : undefined;
    const now = BigInt(await nextBlockTime(session.provider));
    const { terms, errors } = checkTerms(f, { token, sender: session.account, now });
    return terms === undefined ? { errors } : { converted: terms, errors };
  };

  useEffect(() => {
    let live = true;
    const timer = setTimeout(() => {
      void check(file).then((c) => {
        if (live) setChecked(c);
      });
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [file, session.provider, session.account]);

  const set = (patch: Partial<FormState>) => setForm({ ...form, ...patch });
  const errors = showErrors ? checked.errors : [];
  const busy = tx.kind === "working" || tx.kind === "pending";

  const create = async () => {
    setShowErrors(true);
    const c = await check(file);
    setChecked(c);
    const signer = session.signer;
    if (
      c.converted === undefined ||
      signer === undefined ||
      session.deployment === undefined ||
      session.chainId === undefined
    ) {
      setTx({
        kind: "error",
        text: `${c.errors.length} error${c.errors.length === 1 ? "" : "s"} in the terms; nothing was sent.`,
      });
      return;
    }
    const { terms, total, token, specs } = c.converted;
    const escrow = escrowAt(session.deployment.escrow, signer);
    const ctx = explainContext(token);
    let receipt;
    if (token.address === ZeroAddress) {
      const fn = escrow.getFunction("createAgreement");
      receipt = await runTx(
        {
          label: "Create agreement",
          simulate: () => fn.staticCall(terms, { value: total }),
          send: () => fn.send(terms, { value: total }),
        },
        setTx,
        ctx,
      );
    } else {
      const erc = new Contract(token.address, ERC20, signer);
      const owner = signer.address;
      let nonce: bigint | undefined;
      try {
        nonce = BigInt(await erc.getFunction("nonces").staticCall(owner));
      } catch {
        nonce = undefined; // no EIP-2612: approve, then create
      }
      if (nonce !== undefined) {
        setTx({
          kind: "working",
          text: `Create agreement: sign the permit for ${formatAmount(total, token)} in your wallet…`,
        });
        let sig: { v: number; r: string; s: string };
        const deadline = BigInt(await nextBlockTime(signer.provider)) + PERMIT_LIFETIME;
        try {
          sig = await signPermit(signer, await permitDomain(token.address, signer, BigInt(session.chainId)), {
            owner,
            spender: session.deployment.escrow,
            value: total,
            nonce,
            deadline,
          });
        } catch (e) {
          setTx({ kind: "error", text: `Create agreement: ${describeFailure(e, ctx)}` });
          return;
        }
        const fn = escrow.getFunction("createAgreementWithPermit");
        const args = [terms, deadline, sig.v, sig.r, sig.s] as const;
        receipt = await runTx(
          {
            label: "Create agreement (with permit)",
            simulate: () => fn.staticCall(...args),
            send: () => fn.send(...args),
          },
          setTx,
          ctx,
        );
      } else {
        const allowance = BigInt(await erc.getFunction("allowance").staticCall(owner, session.deployment.escrow));
        if (allowance < total) {
          const approve = erc.getFunction("approve");
          const args = [session.deployment.escrow, total];
          const ok = await runTx(
            {
              label: `Approve ${formatAmount(total, token)}`,
              simulate: () => approve.staticCall(...args),
              send: () => approve.send(...args),
            },
            setTx,
            ctx,
          );
          if (ok === undefined) return;
        }
        const fn = escrow.getFunction("createAgreement");
        receipt = await runTx(
          { label: "Create agreement", simulate: () => fn.staticCall(terms), send: () => fn.send(terms) },
          setTx,
          ctx,
        );
      }
    }
    if (receipt === undefined) return;
    for (const log of receipt.logs) {
      const parsed = escrow.interface.parseLog(log);
      if (parsed?.name === "AgreementCreated") {
        const id = BigInt(parsed.args[0] as bigint);
        rememberMetricSpecs(session.chainId, session.deployment.escrow, id, specs.map(specJson));
        go(`/agreement/${id}`);
        return;
      }
    }
  };

  const exportFile = () => {
    const url = URL.createObjectURL(
      new Blob([JSON.stringify(toTermsFile(form, session.account), null, 2) + "\n"], { type: "application/json" }),
    );
    const a = document.createElement("a");
    a.href = url;
    a.download = "terms.json";
    a.click();
    URL.revokeObjectURL(url);
  };

  const importFile = async (f: File | undefined) => {
    setImportError(undefined);
    if (f === undefined) return;
    try {
      setForm(fromTermsFile(JSON.parse(await f.text()), form));
      setShowErrors(true);
    } catch (e) {
      setImportError(`${f.name}: ${(e as Error).message}`);
    }
  };

  const input = (label: string, path: keyof FormState & string, placeholder = "") => (
    <Field label={label} path={path} errors={errors}>
      {(id, d) => (
        <input
          id={id}
          aria-describedby={d}
          aria-invalid={d !== undefined}
          value={form[path] as string}
          placeholder={placeholder}
          onChange={(e) => set({ [path]: e.target.value })}
        />
      )}
    </Field>
  );

  const preview = checked.converted;
  const warnings = preview === undefined ? [] : partyOracleWarnings(preview.terms);

  return (
    <article>
      <h1>Create an agreement</h1>
      <p>
        <label>
          Import terms file{" "}
          <input type="file" accept=".json,application/json" onChange={(e) => void importFile(e.target.files?.[0])} />
        </label>{" "}
        <button type="button" onClick={exportFile}>
          Export terms file
        </button>
      </p>
      {importError !== undefined && <p role="alert">{importError}</p>}
      <form
        className="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        {input("Description", "description")}
        <Field label="Token" path="token" errors={errors}>
          {(id, d) => (
            <input
              id={id}
              list="tokens"
              aria-describedby={d}
              value={form.token}
              onChange={(e) => set({ token: e.target.value })}
              placeholder="ETH, TUSD or 0x…"
            />
          )}
        </Field>
        <datalist id="tokens">
          <option value="ETH" />
          {session.deployment?.testToken !== undefined && <option value="TUSD" />}
        </datalist>
        {input("Vendor", "vendor", "0x…")}
        {input("Arbitrator (optional)", "arbitrator", "0x… or empty for none")}
        {input("Start", "start", "2030-01-01T00:00:00Z")}
        {input("Attestation grace", "attestGrace", "3d")}
        {input("Dispute window", "disputeWindow", "2d")}
        {input("Arbitration timeout", "arbitrationTimeout", "14d")}
        {input("Silent cut", "silentCut", "100%")}
        <Field label="Oracles (one address a line)" path="oracles" errors={errors}>
          {(id, d) => (
            <textarea
              id={id}
              rows={3}
              cols={46}
              aria-describedby={d}
              value={form.oracles}
              onChange={(e) => set({ oracles: e.target.value })}
            />
          )}
        </Field>
        {errors
          .filter((e) => /^oracles\[\d+\]: /.test(e))
          .map((e) => (
            <span key={e} className="field-error">
              {e}
            </span>
          ))}
        {input("Threshold", "threshold", "1")}

        <fieldset>
          <legend>Metrics</legend>
          {form.metrics.map((m, i) => (
            <fieldset key={i}>
              <legend>Metric {i}</legend>
              <Field label={`Metric ${i} name`} path={`metrics[${i}].name`} errors={errors}>
                {(id, d) => (
                  <select
                    id={id}
                    aria-describedby={d}
                    value={m.name}
                    onChange={(e) =>
                      set({ metrics: form.metrics.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })
                    }
                  >
                    {[...new Set([...METRIC_NAMES, m.name])].map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {m.tiers.map((t, k) => (
                <span key={k} className="tier">
                  {(["threshold", "cut"] as const).map((part) => (
                    <Field
                      key={part}
                      label={`Metric ${i} tier ${k} ${part}`}
                      path={`metrics[${i}].tiers[${k}].${part}`}
                      errors={errors}
                    >
                      {(id, d) => (
                        <input
                          id={id}
                          size={8}
                          aria-describedby={d}
                          value={t[part]}
                          onChange={(e) =>
                            set({
                              metrics: form.metrics.map((x, j) =>
                                j === i
                                  ? {
                                      ...x,
                                      tiers: x.tiers.map((y, l) => (l === k ? { ...y, [part]: e.target.value } : y)),
                                    }
                                  : x,
                              ),
                            })
                          }
                        />
                      )}
                    </Field>
                  ))}
                </span>
              ))}
              <button
                type="button"
                onClick={() =>
                  set({
                    metrics: form.metrics.map((x, j) =>
                      j === i ? { ...x, tiers: [...x.tiers, { threshold: "", cut: "" }] } : x,
                    ),
                  })
                }
              >
                Add a tier to metric {i}
              </button>
              <button type="button" onClick={() => set({ metrics: form.metrics.filter((_, j) => j !== i) })}>
                Remove metric {i}
              </button>
            </fieldset>
          ))}
          <button
            type="button"
            onClick={() =>
              set({
                metrics: [...form.metrics, { name: "latency_p95_ms", tiers: [{ threshold: "300ms", cut: "5%" }] }],
              })
            }
          >
            Add a metric
          </button>
        </fieldset>

        <fieldset>
          <legend>Milestones</legend>
          <label>
            <input type="radio" name="mode" checked={form.mode === "list"} onChange={() => set({ mode: "list" })} /> a
            list
          </label>
          <label>
            <input
              type="radio"
              name="mode"
              checked={form.mode === "schedule"}
              onChange={() => set({ mode: "schedule" })}
            />{" "}
            a schedule
          </label>
          {form.mode === "list" ? (
            <>
              {form.milestones.map((m, i) => (
                <span key={i} className="tier">
                  {(["due", "amount"] as const).map((part) => (
                    <Field
                      key={part}
                      label={`Milestone ${i} ${part}`}
                      path={`milestones[${i}].${part}`}
                      errors={errors}
                    >
                      {(id, d) => (
                        <input
                          id={id}
                          aria-describedby={d}
                          value={m[part]}
                          onChange={(e) =>
                            set({
                              milestones: form.milestones.map((x, j) =>
                                j === i ? { ...x, [part]: e.target.value } : x,
                              ),
                            })
                          }
                        />
                      )}
                    </Field>
                  ))}
                  <button type="button" onClick={() => set({ milestones: form.milestones.filter((_, j) => j !== i) })}>
                    Remove milestone {i}
                  </button>
                </span>
              ))}
              <button
                type="button"
                onClick={() =>
                  set({ milestones: [...form.milestones, { due: "", amount: form.milestones.at(-1)?.amount ?? "" }] })
                }
              >
                Add a milestone
              </button>
            </>
          ) : (
            (["every", "count", "amount", "first"] as const).map((part) => (
              <Field
                key={part}
                label={`Schedule ${part}${part === "first" ? " (optional)" : ""}`}
                path={`schedule.${part}`}
                errors={errors}
              >
                {(id, d) => (
                  <input
                    id={id}
                    aria-describedby={d}
                    value={form.schedule[part]}
                    onChange={(e) => set({ schedule: { ...form.schedule, [part]: e.target.value } })}
                  />
                )}
              </Field>
            ))
          )}
          {errors
            .filter((e) => /^(milestones|schedule): /.test(e))
            .map((e) => (
              <span key={e} className="field-error">
                {e}
              </span>
            ))}
        </fieldset>

        {showErrors && checked.errors.length > 0 && (
          <div role="alert" aria-label="Errors in the terms">
            <p>
              {checked.errors.length} error{checked.errors.length === 1 ? "" : "s"}, nothing was sent:
            </p>
            <ul>
              {checked.errors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          </div>
        )}

        {preview !== undefined && (
          <section aria-label="Preview">
            <h2>Preview</h2>
            <p>
              Total deposit: <strong>{formatAmount(preview.total, preview.token)}</strong>, funded{" "}
              {preview.token.address === ZeroAddress
                ? "with the transaction (ETH)"
                : "from your balance (a permit signature where the token supports it, else an approval)"}
              .
            </p>
            {warnings.map((w) => (
              <p key={w} className="warning">
                {w}
              </p>
            ))}
            <table aria-label="Schedule">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Due</th>
                  <th scope="col">Amount</th>
                </tr>
              </thead>
              <tbody>
                {preview.terms.milestones.map((m, i) => (
                  <tr key={i}>
                    <td>{i}</td>
                    <td>{formatTime(m.dueAt)}</td>
                    <td>{formatAmount(m.amount, preview.token)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <table aria-label="Penalty tiers">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  <th scope="col">Breached when</th>
                  <th scope="col">Cut</th>
                </tr>
              </thead>
              <tbody>
                {preview.terms.metrics.flatMap((m, i) =>
                  m.tiers.map((t, k) => (
                    <tr key={`${i}-${k}`}>
                      <td>{preview.metricNames[i]}</td>
                      <td>
                        {m.higherIsBetter ? "below" : "above"} {formatMetricValue(preview.metricNames[i], t.threshold)}
                      </td>
                      <td>{formatCut(t.cutBps)}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </section>
        )}

        <button type="submit" disabled={busy || session.signer === undefined}>
          Create agreement
        </button>
        {session.signer === undefined && <span> (connect a wallet first)</span>}
      </form>
      <TxStatus state={tx} />
    </article>
  );
}

/** The token's EIP-712 domain: from ERC-5267 when it answers, else its name and version "1". */
