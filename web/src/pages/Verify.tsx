/**
 * `#/verify`: a report file is hashed in the page (keccak256 of its exact bytes, never a re-serialisation) and
 * compared with the evidence of the AttestationPosted event of that agreement and milestone (read from the report,
 * or from the inputs); the cut is recomputed from the report's values with the agreement's tiers.
 */
import { useState } from "react";
import { keccak256 } from "ethers";
import { agreementHistory, cutBps, formatCut, readTerms } from "../../../scripts/lib";
import { rememberMetricSpecs } from "../data";
import { useSession } from "../session";
import { describeFailure } from "../tx";

interface Outcome {
  ok: boolean;
  lines: string[];
}

export function Verify() {
  const session = useSession();
  const [bytes, setBytes] = useState<Uint8Array>();
  const [hash, setHash] = useState<string>();
  const [report, setReport] = useState<Record<string, unknown>>();
  const [agreement, setAgreement] = useState("");
  const [milestone, setMilestone] = useState("");
  const [outcome, setOutcome] = useState<Outcome>();
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(false);

  const onFile = async (file: File | undefined) => {
    setOutcome(undefined);
    setError(undefined);
    if (file === undefined) return;
    const b = new Uint8Array(await file.arrayBuffer());
    setBytes(b);
    setHash(keccak256(b));
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(b));
      if (parsed !== null && typeof parsed === "object") {
        const r = parsed as Record<string, unknown>;
        setReport(r);
        if (typeof r.agreementId === "string" || typeof r.agreementId === "number") setAgreement(String(r.agreementId));
        if (typeof r.milestone === "number") setMilestone(String(r.milestone));
      }
    } catch {
      setReport(undefined); // not JSON: the hash still decides; the agreement and milestone come from the inputs
    }
  };

  const check = async () => {
    setOutcome(undefined);
    setError(undefined);
    const escrow = session.escrow;
    if (escrow === undefined || session.deployment === undefined)
      return setError("Connect a wallet on a network where the escrow is deployed.");
    if (hash === undefined || bytes === undefined) return setError("Report file: choose the report file first.");
    if (!/^\d+$/.test(agreement.trim())) return setError("Agreement: give the agreement's id, a whole number.");
    if (!/^\d+$/.test(milestone.trim())) return setError("Milestone: give the milestone's number, from 0.");
    const id = BigInt(agreement.trim());
    const m = Number(milestone.trim());
    setChecking(true);
    try {
      const terms = await readTerms(escrow, id, "Agreement");
      if (m >= terms.milestones.length)
        throw new Error(`Milestone: agreement ${id} has milestones 0 to ${terms.milestones.length - 1}`);
      const history = await agreementHistory(escrow, id, { fromBlock: session.deployment.deployBlock });
      const posted = history.filter((e) => e.name === "AttestationPosted" && e.milestone === m).pop();
      if (posted === undefined || posted.name !== "AttestationPosted") {
        setOutcome({
          ok: false,
          lines: [`The report does not match: no attestation has been posted for milestone ${m} of agreement ${id}.`],
        });
        return;
      }
      const ok = posted.args.evidence.toLowerCase() === hash.toLowerCase();
      const lines = [
        ok
          ? `The report matches the evidence posted for milestone ${m} of agreement ${id}.`
          : `The report does not match the evidence posted for milestone ${m} of agreement ${id}.`,
        `posted evidence: ${posted.args.evidence}`,
      ];
      const values = report?.values;
      if (Array.isArray(values) && values.every((v) => typeof v === "number")) {
        try {
          const cut = cutBps(terms.metrics, values as number[]);
          lines.push(
            `the report's values give a cut of ${formatCut(cut)} with the agreement's tiers; the attested cut is ${formatCut(posted.args.cutBps)}`,
          );
        } catch (e) {
          lines.push(`the report's values do not fit the agreement: ${(e as Error).message}`);
        }
      }
      const metrics = report?.metrics;
      if (
        ok &&
        Array.isArray(metrics) &&
        metrics.every((x) => typeof (x as { spec?: unknown }).spec === "object") &&
        session.chainId !== undefined
      ) {
        rememberMetricSpecs(
          session.chainId,
          session.deployment.escrow,
          id,
          metrics.map((x) => (x as { spec: Record<string, unknown> }).spec),
        );
      }
      setOutcome({ ok, lines });
    } catch (e) {
      setError(e instanceof Error && e.name === "UserError" ? e.message : describeFailure(e));
    } finally {
      setChecking(false);
    }
  };

  return (
    <article>
      <h1>Verify a report</h1>
      <p>The page hashes the file's exact bytes (keccak256) and compares them with the evidence the oracles posted.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <p>
          <label>
            Report file <input type="file" onChange={(e) => void onFile(e.target.files?.[0])} />
          </label>
        </p>
        {hash !== undefined && (
          <p>
            keccak256 of the file ({bytes?.length} bytes):{" "}
            <code className="hash" aria-label="File hash">
              {hash}
            </code>
          </p>
        )}
        <p>
          <label>
            Agreement <input inputMode="numeric" value={agreement} onChange={(e) => setAgreement(e.target.value)} />
          </label>{" "}
          <label>
            Milestone <input inputMode="numeric" value={milestone} onChange={(e) => setMilestone(e.target.value)} />
          </label>
        </p>
        <button type="submit" disabled={checking}>
          Verify
        </button>
      </form>
      {error !== undefined && <p role="alert">{error}</p>}
      {outcome !== undefined && (
        <div role="status" className={outcome.ok ? "ok" : "error"}>
          {outcome.lines.map((l) => (
            <p key={l}>{l}</p>
          ))}
        </div>
      )}
    </article>
  );
}
