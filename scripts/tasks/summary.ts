/**
 * Terms in words: the total, the milestone schedule and the penalty table, in token units. `sla:create` shows
 * it before asking for confirmation; `sla:accept` shows it for the terms read from the chain.
 */
import { ZeroAddress } from "ethers";
import { type ResolvedToken } from "../lib/token";
import type { AgreementTerms } from "../lib/model";
import { formatAmount, formatCut, formatDuration, formatMetricValue } from "../lib/units";
import { formatTime } from "../lib/time";
import { split } from "../lib/penalty";
import { table } from "./common";
import type { MetricSpec } from "../lib/kpi/spec";

/** The lines that describe `terms`; `specs` (from a terms file or a metric spec) name the metrics when known. */
export function describeTerms(
  terms: AgreementTerms,
  token: ResolvedToken,
  specs: readonly MetricSpec[] = [],
): string[] {
  const total = terms.milestones.reduce((sum, m) => sum + m.amount, 0n);
  const hasArbitrator = terms.arbitrator !== ZeroAddress;
  const lines: string[] = [
    `client      ${terms.client}`,
    `vendor      ${terms.vendor}`,
    `arbitrator  ${
      hasArbitrator
        ? `${terms.arbitrator} (disputes within ${formatDuration(terms.disputeWindow)} of an attestation; ` +
          `undecided after ${formatDuration(terms.arbitrationTimeout)}: the attested cut stands)`
        : "none (attested cuts are final)"
    }`,
    `token       ${token.symbol}${token.address === ZeroAddress ? " (native)" : ` ${token.address}`} (${token.decimals} decimals)`,
    `oracles     ${terms.threshold} of ${terms.oracles.length}: ${terms.oracles.join(", ")}`,
    `attesting   from each due time until ${formatDuration(terms.attestGrace)} after it; no attestation by then: ` +
      `cut ${formatCut(terms.silentCutBps)}`,
    `total       ${formatAmount(total, token)} (${terms.milestones.length} milestone${terms.milestones.length === 1 ? "" : "s"})`,
    "",
    "milestones:",
  ];
  const rows = terms.milestones.map((m, i) => [
    String(i),
    formatTime(i === 0 ? terms.startAt : terms.milestones[i - 1].dueAt),
    formatTime(m.dueAt),
    formatAmount(m.amount, token),
  ]);
  lines.push(...table(["#", "period from", "due (period end)", "amount"], rows, [0, 3]).map((l) => `  ${l}`));

  const amounts = new Set(terms.milestones.map((m) => m.amount));
  const each = amounts.size === 1 ? terms.milestones[0].amount : undefined;
  lines.push(
    "",
    "penalty table (a milestone's cut is the sum of its metrics' cuts, at most 100%; the cut goes back to the client):",
  );
  const tierRows: string[][] = [];
  terms.metrics.forEach((metric, m) => {
    const spec = specs[m];
    const name = spec === undefined ? `metric ${m}` : spec.name;
    const direction = metric.higherIsBetter ? "higher is better" : "lower is better";
    // Mildest breach first: for higher-is-better the highest threshold, else the lowest.
    const tiers = [...metric.tiers].sort((a, b) =>
      (metric.higherIsBetter ? a.threshold > b.threshold : a.threshold < b.threshold) ? -1 : 1,
    );
    tiers.forEach((tier, t) => {
      const row = [
        t === 0 ? `${name} (${direction})` : "",
        `${metric.higherIsBetter ? "below" : "above"} ${formatMetricValue(spec, tier.threshold)}`,
        `cut ${formatCut(tier.cutBps)}`,
      ];
      if (each !== undefined) {
        row.push(`${formatAmount(split(each, tier.cutBps).toClient, token)} of each ${formatAmount(each, token)}`);
      }
      tierRows.push(row);
    });
  });
  const header = ["metric", "breached when", "cut"];
  if (each !== undefined) header.push("back to the client");
  lines.push(...table(header, tierRows).map((l) => `  ${l}`));
  return lines;
}
