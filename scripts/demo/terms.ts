/**
 * The demo agreement as a human terms file (the format of examples/terms.example.json and docs/operators.md),
 * which the demo converts with scripts/lib/terms-file.ts exactly as `sla:create --terms FILE` does.
 */
import { formatTime } from "../lib/time";

/** The metric names of the demo agreement, in its metric order (what `oracle attest --metrics` would name). */
export const DEMO_METRICS = ["availability_ppm", "latency_p95_ms"] as const;

/** The demo's penalty tiers, in human units. */
export const DEMO_TIERS = {
  availability_ppm: [
    { threshold: "99.9%", cut: "10%" },
    { threshold: "99.5%", cut: "25%" },
    { threshold: "99%", cut: "50%" },
  ],
  latency_p95_ms: [
    { threshold: "300ms", cut: "5%" },
    { threshold: "500ms", cut: "15%" },
    { threshold: "1s", cut: "30%" },
  ],
} as const;

export interface DemoTermsInput {
  client: string;
  vendor: string;
  arbitrator: string;
  oracles: readonly string[];
  /** Start of the first period, unix seconds. */
  start: number;
  /** Milestone amount in token units, e.g. "1000". */
  amount: string;
  /** Number of monthly milestones. */
  months: number;
  /** Days per period. */
  periodDays: number;
  tokenSymbol: string;
}

/** A terms file's JSON: the same fields a person writes. */
export type HumanTerms = Record<string, unknown>;

/** The parties, windows, oracles (2 of them sign) and schedule both scenarios' agreements share. */
export function demoAgreement(i: DemoTermsInput): HumanTerms {
  return {
    token: i.tokenSymbol,
    client: i.client,
    vendor: i.vendor,
    arbitrator: i.arbitrator,
    start: formatTime(i.start),
    attestGrace: "3d",
    disputeWindow: "2d",
    arbitrationTimeout: "14d",
    silentCut: "100%",
    oracles: [...i.oracles],
    threshold: 2,
    schedule: { every: `${i.periodDays}d`, count: i.months, amount: i.amount },
  };
}

export function demoTerms(i: DemoTermsInput): HumanTerms {
  return {
    description:
      `sla-escrow demo: ${i.months} monthly payments of ${i.amount} ${i.tokenSymbol} for a hosted API, measured by ` +
      `${i.oracles.length === 3 ? "2 of 3" : `2 of ${i.oracles.length}`} oracles, with an arbitrator`,
    ...demoAgreement(i),
    metrics: DEMO_METRICS.map((name) => ({ name, tiers: DEMO_TIERS[name].map((t) => ({ ...t })) })),
  };
}
