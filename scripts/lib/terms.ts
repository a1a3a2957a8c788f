/**
 * Terms files: an agreement's terms written by people (JSON, human units) and their exact conversion to the
 * escrow's `ISLAEscrow.Terms` struct.
 *
 * Every on-chain rule of `contracts/libraries/TermsValidation.sol` (and of `createAgreement`'s funding checks
 * that depend on the file) is checked here first, so that a file that passes is never rejected by the chain for
 * its content; a few extra rules catch obvious mistakes (unknown fields, duplicate metrics, an arbitrator
 * without a dispute window). All errors are collected, each as `field.path: rule`.
 *
 * Format (see examples/terms.example.json and docs/operators.md):
 * ```
 * { "token": "TUSD" | "ETH" | "0x...",          amounts below are in this token's units
 *   "client": "0x..." (optional: the sending account), "vendor": "0x...", "arbitrator": "0x..." | null,
 *   "start": "2030-01-01T00:00:00Z",             ISO-8601 with an offset or Z
 *   "attestGrace": "3d", "disputeWindow": "2d", "arbitrationTimeout": "14d",   durations: w d h m s
 *   "silentCut": "100%",                         cuts: percent, exact to the basis point
 *   "oracles": ["0x...", ...], "threshold": 2,  oracles are sorted for you; duplicates are rejected
 *   "metricSpec": "helpdesk.metrics.json" (optional: the metric spec file, relative to this file),
 *   "metrics": [{ "name": "availability_ppm", "tiers": [{ "threshold": "99.9%", "cut": "10%" }] }],
 *     names: the probe metrics' bare names, or with a metric spec its names in its order; thresholds in the
 *     kind's unit: "99.9%" or "999000ppm" for ratios, "300ms", "20s", "30min", "4h" for durations, integers for counts
 *   "milestones": [{ "due": "2030-02-01T00:00:00Z", "amount": "1000" }]
 *     or "schedule": { "every": "30d", "count": 12, "amount": "1000", "first": "..." (optional) } }
 * ```
 *
 * Browser-safe: reading the file and resolving a token by a deployment's name are the adapters' (scripts/adapters/terms-file.ts).
 */
import { sortAddresses } from "./model";
import { ZeroAddress, getAddress } from "ethers";
import { RuleError } from "./errors";
import { MAX_DUE_AT, MAX_METRICS, MAX_MILESTONES, MAX_ORACLES, MAX_TIERS } from "./limits";
import { type MetricSpec, bareSpec, higherIsBetterOf, unitOf } from "./kpi/spec";
import { BARE_METRIC_NAMES } from "./kpi/registry";
import { exampleThreshold, parseThreshold } from "./kpi/units";
import type { ResolvedToken } from "./token";
import { parseAddress, parseAmount, parseCut, parseDate, parseDuration, parseDuration32 } from "./units";
import { formatTime } from "./time";

const q = (v: unknown): string => JSON.stringify(v);

/** `ISLAEscrow.Terms` with concrete types (assignable to TypeChain's `ISLAEscrow.TermsStruct`). */
export interface TermsValue {
  client: string;
  vendor: string;
  token: string;
  arbitrator: string;
  disputeWindow: bigint;
  attestGrace: bigint;
  arbitrationTimeout: bigint;
  silentCutBps: bigint;
  threshold: bigint;
  startAt: bigint;
  oracles: string[];
  metrics: { higherIsBetter: boolean; tiers: { threshold: bigint; cutBps: bigint }[] }[];
  milestones: { amount: bigint; dueAt: bigint }[];
}

/** A converted terms file. */
export interface ConvertedTerms {
  terms: TermsValue;
  token: ResolvedToken;
  /** Sum of the milestone amounts: the deposit, in the token's smallest unit. */
  total: bigint;
  /** The metric names, in the terms' metric order (the chain does not store them). */
  metricNames: string[];
  /** The metrics' specs, in the terms' order (the metric spec's, or the bare probe metrics'). */
  specs: MetricSpec[];
}

/** What a terms file is checked against besides its own content. */
export interface TermsEnvironment {
  /** The file's token, resolved on chain, or why it could not be (see {@link resolveToken}). */
  token: ResolvedToken | { error: string } | undefined;
  /** The account that will send `createAgreement` (the escrow requires `client == msg.sender`). */
  sender: string;
  /** The chain's current time (latest block), in seconds. */
  now: bigint;
  /**
   * The metric spec (the file's `metricSpec`, or a `--metric-spec` flag), read by the adapter; `{ error }` when
   * it could not be read. Without one, metric names are the probe metrics' bare names.
   */
  specs?: readonly MetricSpec[] | { error: string };
}

type Json = Record<string, unknown>;

const TOP_FIELDS = [
  "description",
  "token",
  "client",
  "vendor",
  "arbitrator",
  "start",
  "attestGrace",
  "disputeWindow",
  "arbitrationTimeout",
  "silentCut",
  "oracles",
  "threshold",
  "metricSpec",
  "metrics",
  "milestones",
  "schedule",
];

/** Collects `path: rule` errors. */
class Errors {
  readonly list: string[] = [];

  add(path: string, rule: string): void {
    this.list.push(`${path}: ${rule}`);
  }

  /** Runs a parser; a RuleError becomes an error at `path` and the result undefined. */
  run<T>(path: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (e instanceof RuleError) {
        this.add(path, e.message);
        return undefined;
      }
      throw e;
    }
  }

  /** `value` as an object, with unknown fields reported. */
  object(path: string, value: unknown, fields: readonly string[]): Json | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.add(path, `must be an object, got ${q(value)}`);
      return undefined;
    }
    const o = value as Json;
    for (const key of Object.keys(o)) {
      if (!fields.includes(key)) {
        this.add(path === "" ? key : `${path}.${key}`, `unknown field (known: ${fields.join(", ")})`);
      }
    }
    return o;
  }

  /** A required (or optional) string field. */
  string(path: string, value: unknown, example: string, required = true): string | undefined {
    if (value === undefined) {
      if (required) this.add(path, "is required");
      return undefined;
    }
    if (typeof value !== "string") {
      this.add(path, `must be a string like ${q(example)}, got ${q(value)}`);
      return undefined;
    }
    return value;
  }

  array(path: string, value: unknown): unknown[] | undefined {
    if (value === undefined) {
      this.add(path, "is required");
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add(path, `must be a list, got ${q(value)}`);
      return undefined;
    }
    return value;
  }
}

function child(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
}

/**
 * Checks a parsed terms file against every rule and converts it exactly. Never throws for bad content:
 * returns every error instead (`terms` only when there are none).
 */
export function checkTerms(raw: unknown, env: TermsEnvironment): { terms?: ConvertedTerms; errors: string[] } {
  const e = new Errors();
  const o = e.object("", raw, TOP_FIELDS);
  if (o === undefined) return { errors: ["(file): must be a JSON object with the terms' fields"] };

  if (o.description !== undefined && typeof o.description !== "string") {
    e.add("description", `must be a string, got ${q(o.description)}`);
  }

  // ---- token ----
  let token: ResolvedToken | undefined;
  const tokenText = e.string("token", o.token, "TUSD");
  if (tokenText !== undefined) {
    if (env.token === undefined) e.add("token", `${q(tokenText)} could not be resolved`);
    else if ("error" in env.token) e.add("token", env.token.error);
    else token = env.token;
  }

  // ---- parties ----
  const sender = getAddress(env.sender);
  const addressField = (path: string, value: unknown, required: boolean): string | undefined => {
    const text = e.string(path, value, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", required);
    return text === undefined ? undefined : e.run(path, () => parseAddress(text));
  };
  let client: string | undefined = sender;
  if (o.client !== undefined) {
    client = addressField("client", o.client, false);
    if (client !== undefined && client !== sender) {
      e.add(
        "client",
        `${client} is not the sending account ${sender}; the client must send the proposal itself ` +
          `(choose the account with --from)`,
      );
      client = undefined;
    }
  }
  const vendor = addressField("vendor", o.vendor, true);
  if (vendor !== undefined) {
    if (vendor === ZeroAddress) e.add("vendor", "must not be the zero address");
    else if (vendor === sender) e.add("vendor", "must differ from client");
  }
  let arbitrator: string | undefined = ZeroAddress;
  if (o.arbitrator !== undefined && o.arbitrator !== null) {
    arbitrator = addressField("arbitrator", o.arbitrator, false);
    if (arbitrator === sender) e.add("arbitrator", "must differ from client");
    else if (arbitrator !== undefined && arbitrator === vendor && arbitrator !== ZeroAddress) {
      e.add("arbitrator", "must differ from vendor");
    }
  }
  const hasArbitrator = arbitrator !== undefined && arbitrator !== ZeroAddress;

  // ---- times and cuts ----
  const startText = e.string("start", o.start, "2030-01-01T00:00:00Z");
  const startAt = startText === undefined ? undefined : e.run("start", () => parseDate(startText));
  const duration = (path: string, value: unknown, required: boolean): bigint | undefined => {
    const text = e.string(path, value, "3d", required);
    if (text === undefined) return required ? undefined : 0n;
    return e.run(path, () => parseDuration32(text));
  };
  const attestGrace = duration("attestGrace", o.attestGrace, true);
  const disputeWindow = duration("disputeWindow", o.disputeWindow, hasArbitrator);
  const arbitrationTimeout = duration("arbitrationTimeout", o.arbitrationTimeout, hasArbitrator);
  if (hasArbitrator) {
    if (disputeWindow === 0n)
      e.add("disputeWindow", "must be more than 0 when there is an arbitrator (else nobody could dispute)");
    if (arbitrationTimeout === 0n) {
      e.add(
        "arbitrationTimeout",
        "must be more than 0 when there is an arbitrator (else the arbitrator has no time to decide)",
      );
    }
  }
  const silentText = e.string("silentCut", o.silentCut, "100%");
  const silentCutBps = silentText === undefined ? undefined : e.run("silentCut", () => parseCut(silentText));

  // ---- oracles ----
  let oracles: string[] | undefined;
  const oracleList = e.array("oracles", o.oracles);
  if (oracleList !== undefined) {
    if (oracleList.length === 0 || oracleList.length > MAX_ORACLES) {
      e.add("oracles", `must list 1 to ${MAX_ORACLES} addresses, got ${oracleList.length}`);
    }
    const seen = new Map<string, number>();
    let ok = true;
    oracleList.forEach((value, i) => {
      const path = child("oracles", i);
      const address = addressField(path, value, true);
      if (address === undefined) {
        ok = false;
        return;
      }
      if (address === ZeroAddress) {
        e.add(path, "must not be the zero address");
        ok = false;
        return;
      }
      const first = seen.get(address);
      if (first !== undefined) {
        e.add(path, `duplicates oracles[${first}] (${address})`);
        ok = false;
        return;
      }
      seen.set(address, i);
    });
    if (ok && oracleList.length > 0 && oracleList.length <= MAX_ORACLES) {
      oracles = sortAddresses([...seen.keys()]);
    }
  }

  // ---- threshold ----
  let threshold: bigint | undefined;
  if (o.threshold === undefined) e.add("threshold", "is required");
  else if (typeof o.threshold !== "number" || !Number.isInteger(o.threshold)) {
    e.add("threshold", `must be a whole number of oracle signatures, got ${q(o.threshold)}`);
  } else if (oracleList !== undefined) {
    const n = oracleList.length;
    if (o.threshold < 1 || o.threshold > n) {
      e.add("threshold", `must be between 1 and the number of oracles (${n}), got ${o.threshold}`);
    } else threshold = BigInt(o.threshold);
  }

  // ---- metrics ----
  let metrics: TermsValue["metrics"] | undefined;
  const metricNames: string[] = [];
  const specs: MetricSpec[] = [];
  let specList: readonly MetricSpec[] | undefined;
  if (env.specs !== undefined && "error" in env.specs) e.add("metricSpec", env.specs.error);
  else specList = env.specs;
  if (o.metricSpec !== undefined && typeof o.metricSpec !== "string")
    e.add("metricSpec", `must be the path of a metric spec file, got ${q(o.metricSpec)}`);
  else if (o.metricSpec !== undefined && env.specs === undefined)
    e.add("metricSpec", `${q(o.metricSpec)} was not read (this tool takes the metric spec file itself)`);
  const metricList = e.array("metrics", o.metrics);
  if (metricList !== undefined) {
    let ok = true;
    if (metricList.length === 0 || metricList.length > MAX_METRICS) {
      e.add("metrics", `must list 1 to ${MAX_METRICS} metrics, got ${metricList.length}`);
      ok = false;
    } else if (specList !== undefined && metricList.length !== specList.length) {
      e.add(
        "metrics",
        `lists ${metricList.length} metric(s), the metric spec ${specList.length} (${specList.map((x) => q(x.name)).join(", ")}): the terms give tiers to each of the spec's metrics, in its order`,
      );
      ok = false;
    }
    const out: TermsValue["metrics"] = [];
    metricList.forEach((value, m) => {
      const path = child("metrics", m);
      const metric = e.object(path, value, ["name", "tiers"]);
      if (metric === undefined) {
        ok = false;
        return;
      }
      const name = e.string(child(path, "name"), metric.name, specList?.[0]?.name ?? "availability_ppm");
      let spec: MetricSpec | undefined;
      if (name !== undefined && specList !== undefined) {
        const at = specList.findIndex((x) => x.name === name);
        if (at === m) spec = specList[m];
        else if (at >= 0)
          e.add(
            child(path, "name"),
            `${q(name)} is metric ${at} of the metric spec, not metric ${m} (list them in the spec's order)`,
          );
        else
          e.add(
            child(path, "name"),
            `${q(name)} is not in the metric spec (its metrics: ${specList.map((x) => q(x.name)).join(", ")})`,
          );
      } else if (name !== undefined) {
        spec = bareSpec(name);
        if (spec === undefined) {
          e.add(
            child(path, "name"),
            `${q(name)} is not a known metric (${BARE_METRIC_NAMES.join(", ")}; other metrics need a "metricSpec" file)`,
          );
        }
      }
      if (name !== undefined && spec !== undefined) {
        const first = metricNames.indexOf(name);
        if (first >= 0) e.add(child(path, "name"), `${q(name)} is already metrics[${first}]`);
      }
      metricNames.push(name ?? "");
      if (spec !== undefined) specs.push(spec);
      const tiersPath = child(path, "tiers");
      const tierList = e.array(tiersPath, metric.tiers);
      if (tierList === undefined || spec === undefined || name === undefined) {
        ok = false;
        return;
      }
      const unit = unitOf(spec);
      if (tierList.length === 0 || tierList.length > MAX_TIERS) {
        e.add(tiersPath, `must list 1 to ${MAX_TIERS} tiers, got ${tierList.length}`);
        ok = false;
      }
      const tiers: { threshold: bigint; cutBps: bigint }[] = [];
      tierList.forEach((tierValue, t) => {
        const tierPath = child(tiersPath, t);
        const tier = e.object(tierPath, tierValue, ["threshold", "cut"]);
        if (tier === undefined) {
          ok = false;
          return;
        }
        const thresholdPath = child(tierPath, "threshold");
        let value: bigint | undefined;
        if (tier.threshold === undefined) e.add(thresholdPath, `is required, e.g. ${q(exampleThreshold(unit))}`);
        else value = e.run(thresholdPath, () => parseThreshold(unit, tier.threshold));
        const cutText = e.string(child(tierPath, "cut"), tier.cut, "10%");
        const cutBps = cutText === undefined ? undefined : e.run(child(tierPath, "cut"), () => parseCut(cutText));
        if (value === undefined || cutBps === undefined) ok = false;
        else tiers.push({ threshold: value, cutBps });
      });
      out.push({ higherIsBetter: higherIsBetterOf(spec), tiers });
    });
    if (ok) metrics = out;
  }

  // ---- milestones ----
  const milestones = checkMilestones(e, o, token, startAt, env.now);

  if (e.list.length > 0) return { errors: e.list };
  const terms: TermsValue = {
    client: client as string,
    vendor: vendor as string,
    token: (token as ResolvedToken).address,
    arbitrator: arbitrator as string,
    disputeWindow: disputeWindow as bigint,
    attestGrace: attestGrace as bigint,
    arbitrationTimeout: arbitrationTimeout as bigint,
    silentCutBps: silentCutBps as bigint,
    threshold: threshold as bigint,
    startAt: startAt as bigint,
    oracles: oracles as string[],
    metrics: metrics as TermsValue["metrics"],
    milestones: milestones as TermsValue["milestones"],
  };
  const total = terms.milestones.reduce((sum, m) => sum + m.amount, 0n);
  return { terms: { terms, token: token as ResolvedToken, total, metricNames, specs }, errors: [] };
}

/** The milestone list or the schedule shorthand, with every ordering and time rule. */
function checkMilestones(
  e: Errors,
  o: Json,
  token: ResolvedToken | undefined,
  startAt: bigint | undefined,
  now: bigint,
): TermsValue["milestones"] | undefined {
  // Amount syntax is checked even when the token is unknown (its decimals then are not).
  const amount = (path: string, value: unknown): bigint | undefined => {
    if (value !== undefined && typeof value !== "string") {
      e.add(path, `must be a string like "1500.25" (JSON numbers can lose precision), got ${q(value)}`);
      return undefined;
    }
    const text = e.string(path, value, "1500.25");
    if (text === undefined) return undefined;
    if (token === undefined) {
      // The token's decimals are unknown (its own error is reported): check the syntax only.
      if (!/^\d+(\.\d+)?$/.test(text)) e.add(path, `${q(text)} is not an amount like "1500.25"`);
      return undefined;
    }
    return e.run(path, () => parseAmount(text, token));
  };

  let dues: (bigint | undefined)[] = [];
  let amounts: (bigint | undefined)[] = [];
  /** Where to report a rule about milestone i's due time. */
  let duePath: (i: number) => string;
  /** How to name milestone i's due time in a message. */
  let dueName: (i: number) => string;

  if (o.milestones !== undefined && o.schedule !== undefined) {
    e.add("milestones", "give either milestones or schedule, not both");
    return undefined;
  }
  if (o.schedule !== undefined) {
    const s = e.object("schedule", o.schedule, ["every", "count", "amount", "first"]);
    if (s === undefined) return undefined;
    const everyText = e.string("schedule.every", s.every, "30d");
    let every = everyText === undefined ? undefined : e.run("schedule.every", () => parseDuration(everyText));
    if (every === 0n) {
      e.add("schedule.every", "must be more than 0");
      every = undefined;
    }
    let count: number | undefined;
    if (s.count === undefined) e.add("schedule.count", "is required");
    else if (typeof s.count !== "number" || !Number.isInteger(s.count) || s.count < 1 || s.count > MAX_MILESTONES) {
      e.add("schedule.count", `must be a whole number from 1 to ${MAX_MILESTONES}, got ${q(s.count)}`);
    } else count = s.count;
    const each = amount("schedule.amount", s.amount);
    let first: bigint | undefined;
    if (s.first !== undefined) {
      const firstText = e.string("schedule.first", s.first, "2030-02-01T00:00:00Z");
      first = firstText === undefined ? undefined : e.run("schedule.first", () => parseDate(firstText));
      if (first === undefined) return undefined;
    } else if (startAt !== undefined && every !== undefined) first = startAt + every;
    if (count === undefined || every === undefined || first === undefined) return undefined;
    const f = first;
    const step = every;
    dues = Array.from({ length: count }, (_, i) => f + BigInt(i) * step);
    amounts = dues.map(() => each);
    duePath = (i) => (i === 0 && s.first !== undefined ? "schedule.first" : "schedule");
    dueName = (i) => `milestone ${i}'s due time ${formatTime(dues[i] as bigint)}`;
  } else {
    if (o.milestones === undefined) {
      e.add("milestones", "is required (or give a schedule)");
      return undefined;
    }
    const list = e.array("milestones", o.milestones);
    if (list === undefined) return undefined;
    if (list.length === 0 || list.length > MAX_MILESTONES) {
      e.add("milestones", `must list 1 to ${MAX_MILESTONES} milestones, got ${list.length}`);
      return undefined;
    }
    list.forEach((value, i) => {
      const path = child("milestones", i);
      const m = e.object(path, value, ["due", "amount"]);
      if (m === undefined) {
        dues.push(undefined);
        amounts.push(undefined);
        return;
      }
      const dueText = e.string(child(path, "due"), m.due, "2030-02-01T00:00:00Z");
      dues.push(dueText === undefined ? undefined : e.run(child(path, "due"), () => parseDate(dueText)));
      amounts.push(amount(child(path, "amount"), m.amount));
    });
    duePath = (i) => `milestones[${i}].due`;
    dueName = (i) => formatTime(dues[i] as bigint);
  }

  // Due times: strictly ascending, the first in the future and after the start, the last storable.
  const first = dues[0];
  if (first !== undefined) {
    if (first <= now) e.add(duePath(0), `${dueName(0)} is not in the future (the chain's time is ${formatTime(now)})`);
    if (startAt !== undefined && startAt >= first) {
      e.add("start", `must be before the first milestone's due time (${formatTime(first)})`);
    }
  }
  let previous: { i: number; due: bigint } | undefined;
  dues.forEach((due, i) => {
    if (due === undefined) return;
    if (previous !== undefined && due <= previous.due) {
      e.add(duePath(i), `must be after milestones[${previous.i}].due`);
    }
    if (due > MAX_DUE_AT)
      e.add(duePath(i), `${dueName(i)} is after ${formatTime(MAX_DUE_AT)}, the latest the escrow stores`);
    previous = { i, due };
  });
  if (dues.some((d) => d === undefined) || amounts.some((a) => a === undefined) || token === undefined) {
    return undefined;
  }
  return dues.map((due, i) => ({ amount: amounts[i] as bigint, dueAt: due as bigint }));
}
