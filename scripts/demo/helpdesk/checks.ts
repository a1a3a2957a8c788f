/**
 * The helpdesk scenario's checks: the web-service scenario's (../checks.ts: settled with the attested cut, the
 * cut is the penalty rule's, the split is exact, `oracle verify` passes, totals = deposit, balances exact), and
 * per month that each posted value (the AttestationPosted event's, as `sla:status` reads it) is what the metric
 * kinds compute on that month's export file (parseTicketsCsv, then each spec's kind.compute over the period), and
 * that the report names the export's exact bytes (keccak256); finally that the deposit is exactly what the two
 * parties withdrew.
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256 } from "ethers";
import { parseTicketsCsv } from "../../lib/kpi/exports/tickets";
import type { MetricSpec } from "../../lib/kpi/spec";
import { type CheckInput, type DemoCheck, runChecks } from "../checks";
import type { DemoSetup } from "../setup";
import type { HelpdeskRow } from "./ledger";

/** The four values the kinds compute on the export the oracles read for row `r`'s month. */
export function recompute(specs: readonly MetricSpec[], r: Pick<HelpdeskRow, "exportFile" | "period">): number[] {
  const table = parseTicketsCsv(fs.readFileSync(r.exportFile, "utf8"), path.basename(r.exportFile));
  return specs.map((spec) => spec.kind.compute(table, spec.params, r.period).value);
}

function exportChecks(
  specs: readonly MetricSpec[],
  r: HelpdeskRow,
  posted: readonly bigint[] | undefined,
): DemoCheck[] {
  const own = recompute(specs, r);
  const onChain = (posted ?? []).map(Number);
  const bytes = fs.readFileSync(r.exportFile);
  return [
    {
      name: `milestone ${r.milestone} values = the kinds on the export`,
      ok: own.length === onChain.length && own.every((v, k) => v === onChain[k] && v === r.values[k]),
      detail: `kinds ${own.join(", ")}; posted ${onChain.join(", ")}`,
    },
    {
      name: `milestone ${r.milestone} export`,
      ok: keccak256(bytes) === r.exportKeccak256,
      detail: `${path.basename(r.exportFile)} keccak256 ${keccak256(bytes)}, report ${r.exportKeccak256}`,
    },
  ];
}

export async function helpdeskChecks(
  s: DemoSetup,
  specs: readonly MetricSpec[],
  input: CheckInput & { rows: readonly HelpdeskRow[] },
): Promise<DemoCheck[]> {
  const checks = await runChecks(s, input);
  for (const r of input.rows)
    checks.push(...exportChecks(specs, r, input.closing.status.milestones[r.milestone].values));
  const { vendor, client } = input.closing.withdrawn;
  const paidOut = vendor - s.credit.vendor + (client - s.credit.client);
  checks.push({
    name: "deposit = vendor + client withdrawals",
    ok: paidOut === s.deposit,
    detail: `${vendor - s.credit.vendor} + ${client - s.credit.client} vs ${s.deposit}`,
  });
  return checks;
}
