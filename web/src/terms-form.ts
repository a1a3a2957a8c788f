/**
 * The create form's state and the terms file it stands for: the form edits exactly the fields of a terms file
 * (docs/operators.md; the format `sla:create` reads), in human units, and the core's checkTerms validates it, so
 * the page and the task accept and reject the same terms with the same field-path messages.
 */
import { BARE_METRIC_NAMES, formatTime } from "../../scripts/lib";

export interface TierRow {
  threshold: string;
  cut: string;
}

export interface MetricRow {
  name: string;
  tiers: TierRow[];
}

export interface FormState {
  description: string;
  /** "ETH", a token's symbol of this build's deployments (e.g. "TUSD"), or an address. */
  token: string;
  vendor: string;
  arbitrator: string;
  start: string;
  attestGrace: string;
  disputeWindow: string;
  arbitrationTimeout: string;
  silentCut: string;
  /** One address a line. */
  oracles: string;
  threshold: string;
  metrics: MetricRow[];
  mode: "list" | "schedule";
  milestones: { due: string; amount: string }[];
  schedule: { every: string; count: string; amount: string; first: string };
}

export const METRIC_NAMES = [...BARE_METRIC_NAMES];

export function defaultForm(now: number): FormState {
  const start = Math.ceil(now / 60) * 60 + 60;
  const day = 86_400;
  return {
    description: "",
    token: "ETH",
    vendor: "",
    arbitrator: "",
    start: formatTime(start),
    attestGrace: "1d",
    disputeWindow: "1d",
    arbitrationTimeout: "7d",
    silentCut: "100%",
    oracles: "",
    threshold: "1",
    metrics: [
      {
        name: "availability_ppm",
        tiers: [
          { threshold: "99.9%", cut: "10%" },
          { threshold: "99%", cut: "25%" },
        ],
      },
    ],
    mode: "list",
    milestones: [1, 2, 3].map((i) => ({ due: formatTime(start + i * 30 * day), amount: "1" })),
    schedule: { every: "30d", count: "3", amount: "1", first: "" },
  };
}

const text = (v: string): string | undefined => (v.trim() === "" ? undefined : v.trim());
const num = (v: string): number | string | undefined => {
  const t = v.trim();
  if (t === "") return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
};

/** The terms file the form stands for (undefined fields left out, so checkTerms reports them as missing). */
export function toTermsFile(f: FormState, client?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    description: text(f.description),
    token: text(f.token),
    client,
    vendor: text(f.vendor),
    arbitrator: text(f.arbitrator) ?? null,
    start: text(f.start),
    attestGrace: text(f.attestGrace),
    disputeWindow: text(f.disputeWindow),
    arbitrationTimeout: text(f.arbitrationTimeout),
    silentCut: text(f.silentCut),
    oracles: f.oracles
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    threshold: num(f.threshold),
    metrics: f.metrics.map((m) => ({
      name: m.name,
      tiers: m.tiers.map((t) => ({ threshold: t.threshold.trim(), cut: t.cut.trim() })),
    })),
  };
  if (f.mode === "list") out.milestones = f.milestones.map((m) => ({ due: m.due.trim(), amount: m.amount.trim() }));
  else {
    out.schedule = {
      every: text(f.schedule.every),
      count: num(f.schedule.count),
      amount: text(f.schedule.amount),
      ...(text(f.schedule.first) === undefined ? {} : { first: text(f.schedule.first) }),
    };
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const str = (v: unknown): string =>
  v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);

/** A terms file into the form (unknown fields are dropped: export shows what the form holds). */
export function fromTermsFile(raw: unknown, base: FormState): FormState {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new Error("the file is not a JSON object with the terms' fields");
  const o = raw as Record<string, unknown>;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const schedule = (o.schedule ?? {}) as Record<string, unknown>;
  return {
    ...base,
    description: str(o.description),
    token: str(o.token),
    vendor: str(o.vendor),
    arbitrator: str(o.arbitrator),
    start: str(o.start),
    attestGrace: str(o.attestGrace),
    disputeWindow: str(o.disputeWindow),
    arbitrationTimeout: str(o.arbitrationTimeout),
    silentCut: str(o.silentCut),
    oracles: list(o.oracles).map(str).join("\n"),
    threshold: str(o.threshold),
    metrics: list(o.metrics).map((m) => {
      const mm = (m ?? {}) as Record<string, unknown>;
      return {
        name: str(mm.name),
        tiers: list(mm.tiers).map((t) => {
          const tt = (t ?? {}) as Record<string, unknown>;
          return { threshold: str(tt.threshold), cut: str(tt.cut) };
        }),
      };
    }),
    mode: o.schedule !== undefined ? "schedule" : "list",
    milestones: list(o.milestones).map((m) => {
      const mm = (m ?? {}) as Record<string, unknown>;
      return { due: str(mm.due), amount: str(mm.amount) };
    }),
    schedule: {
      every: str(schedule.every),
      count: str(schedule.count),
      amount: str(schedule.amount),
      first: str(schedule.first),
    },
  };
}
