/**
 * The demo's own accounting, checked: per milestone that it is settled with the attested cut, that the cut on
 * chain equals the report's and the penalty rule's (scripts/lib/penalty.ts), that the split is the rule's, and
 * that the report file is the posted evidence (`oracle verify`); then that the totals equal the deposit, the
 * agreement is closed and every balance after the withdrawals is exact.
 */
import { cutBps, split } from "../lib/penalty";
import type { VerifyResult } from "../oracle/commands";
import type { LedgerTotals, MilestoneLedgerRow } from "./ledger";
import type { Closing, Months } from "./months";
import type { DemoSetup } from "./setup";

export interface DemoCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** A check of the demo's own accounting failed (the script exits non-zero). */
export class DemoCheckError extends Error {
  constructor(readonly failed: DemoCheck[]) {
    super(`${failed.length} check(s) failed: ${failed.map((c) => `${c.name} (${c.detail})`).join("; ")}`);
    this.name = "DemoCheckError";
  }
}

export interface CheckInput {
  rows: readonly MilestoneLedgerRow[];
  totals: LedgerTotals;
  months: Pick<Months, "outcomes">;
  closing: Closing;
  /** The parties' token balances after the withdrawals. */
  after: { vendor: bigint; client: bigint };
}

/** `oracle verify` of each milestone's report against the posted attestation. */
async function verifyReports(s: DemoSetup, rows: readonly MilestoneLedgerRow[]): Promise<VerifyResult[]> {
  const out: VerifyResult[] = [];
  for (const r of rows) {
    out.push(
      await s.commands.oracle<VerifyResult>({
        command: "verify",
        agreement: s.id.toString(),
        milestone: String(r.milestone),
        report: r.reportFile,
      }),
    );
  }
  return out;
}

function milestoneChecks(s: DemoSetup, r: MilestoneLedgerRow, input: CheckInput, verified: VerifyResult): DemoCheck[] {
  const onChain = input.closing.status.milestones[r.milestone];
  const attestedCut = input.months.outcomes[r.milestone].post.cutBps;
  const rule = cutBps(s.terms.metrics, r.values);
  const expected = split(r.amount, rule);
  return [
    {
      name: `milestone ${r.milestone} settled`,
      ok: onChain.status === "Settled" && onChain.settlement === "attested",
      detail: `status ${onChain.status}${onChain.settlement ? ` (${onChain.settlement})` : ""}`,
    },
    {
      name: `milestone ${r.milestone} cut`,
      ok: r.onChainCutBps === r.cutBps && attestedCut === r.cutBps && rule === r.cutBps,
      detail: `report ${r.cutBps}, event ${attestedCut}, milestoneInfo ${r.onChainCutBps} bps`,
    },
    {
      name: `milestone ${r.milestone} split`,
      ok: r.toVendor === expected.toVendor && r.toClient === expected.toClient && r.toVendor + r.toClient === r.amount,
      detail: `vendor ${r.toVendor}, client ${r.toClient}, amount ${r.amount}`,
    },
    { name: `milestone ${r.milestone} evidence`, ok: verified.ok, detail: verified.reason ?? r.evidence },
  ];
}

export async function runChecks(s: DemoSetup, input: CheckInput): Promise<DemoCheck[]> {
  const { rows, totals, closing, after } = input;
  const verified = await verifyReports(s, rows);
  const checks = rows.flatMap((r, k) => milestoneChecks(s, r, input, verified[k]));
  const check = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });
  const { withdrawn, status } = closing;
  check(
    "totals = deposit",
    totals.toVendor + totals.toClient === s.deposit,
    `${totals.toVendor} + ${totals.toClient} vs ${s.deposit}`,
  );
  check("agreement closed", status.status === "Closed", `status ${status.status}`);
  check("vendor withdrew its payments", withdrawn.vendor === s.credit.vendor + totals.toVendor, `${withdrawn.vendor}`);
  check("client withdrew its refunds", withdrawn.client === s.credit.client + totals.toClient, `${withdrawn.client}`);
  check(
    "vendor token balance",
    after.vendor === s.before.vendor + withdrawn.vendor,
    `${s.before.vendor} -> ${after.vendor}`,
  );
  // The client was minted the deposit and paid it in: it ends with what it had plus the refunds.
  check(
    "client token balance",
    after.client === s.before.client + withdrawn.client,
    `${s.before.client} -> ${after.client}`,
  );
  check(
    "nothing left to withdraw",
    status.vendorBalance === 0n && status.clientBalance === 0n,
    "escrow balances (sla:status)",
  );
  return checks;
}
