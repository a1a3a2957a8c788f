/**
 * The helpdesk agreement: its metric spec (the four KPIs, each a ticket kind with its parameters, DESIGN.md
 * "Business KPIs") and its terms file, which names the spec with `"metricSpec"` and gives the thresholds in each
 * kind's unit ("95%", "24h"), exactly as docs/kpis.md has the parties write them.
 */
import fs from "node:fs";
import path from "node:path";
import { readMetricSpecFile } from "../../adapters/metric-spec-file";
import type { MetricSpec } from "../../lib/kpi/spec";
import { type DemoTermsInput, type HumanTerms, demoAgreement } from "../terms";

export const SPEC_FILE_NAME = "helpdesk.metrics.json";

/** The metric spec file's JSON: the agreement's metrics in order. */
export const HELPDESK_SPEC = {
  metrics: [
    {
      name: "P1 response within 1h",
      kind: "tickets.response_within_target_ppm",
      priorities: ["P1"],
      targetSeconds: 3600,
    },
    {
      name: "P2 resolution within 8h",
      kind: "tickets.resolution_within_target_ppm",
      priorities: ["P2"],
      targetSeconds: 28800,
    },
    { name: "Resolution p90", kind: "tickets.resolution_minutes", percentile: 90 },
    { name: "CSAT", kind: "tickets.csat_ppm", satisfiedMin: 4 },
  ],
} as const;

export const HELPDESK_METRICS: readonly string[] = HELPDESK_SPEC.metrics.map((m) => m.name);

/** Short column names for the ledger, in metric order. */
export const SHORT_NAMES: readonly string[] = ["P1 <=1h", "P2 <=8h", "res. p90", "CSAT"];

/** The penalty tiers, in each kind's unit: a metric's cut is its largest breached tier's. */
export const HELPDESK_TIERS: Record<string, readonly { threshold: string; cut: string }[]> = {
  "P1 response within 1h": [
    { threshold: "95%", cut: "5%" },
    { threshold: "90%", cut: "15%" },
  ],
  "P2 resolution within 8h": [
    { threshold: "90%", cut: "5%" },
    { threshold: "80%", cut: "10%" },
  ],
  "Resolution p90": [
    { threshold: "24h", cut: "5%" },
    { threshold: "48h", cut: "10%" },
  ],
  CSAT: [
    { threshold: "85%", cut: "5%" },
    { threshold: "75%", cut: "10%" },
  ],
};

/** Writes the metric spec file into `outDir`; returns its path and the specs as the oracle reads them. */
export function writeSpecFile(outDir: string): { file: string; specs: MetricSpec[] } {
  const file = path.join(outDir, SPEC_FILE_NAME);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(HELPDESK_SPEC, null, 2) + "\n");
  return { file, specs: readMetricSpecFile(file) };
}

/** The terms file's JSON (written beside the spec file, which it names). */
export function helpdeskTerms(i: DemoTermsInput): HumanTerms {
  return {
    description:
      `sla-escrow helpdesk demo: ${i.months} monthly payments of ${i.amount} ${i.tokenSymbol} for an outsourced service ` +
      `desk, measured from the ticketing tool's export by 2 of ${i.oracles.length} oracles, with an arbitrator`,
    ...demoAgreement(i),
    metricSpec: SPEC_FILE_NAME,
    metrics: HELPDESK_METRICS.map((name) => ({ name, tiers: HELPDESK_TIERS[name].map((t) => ({ ...t })) })),
  };
}
