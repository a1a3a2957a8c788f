/**
 * The demo's second and third acts, month by month: the vendor service plays its script and the oracle's prober
 * probes it (time compressed, ./probing.ts); the chain's clock moves to the due time; then the oracles and the
 * relayer do what docs/oracle.md and docs/operators.md describe, with the real commands:
 *
 *   oracle attest   one oracle measures the month from the probe store, writes the report, signs it
 *   oracle sign     a second oracle recomputes the values from the same store and co-signs
 *   sla:settle      the relayer settles the month before (its dispute window has passed)
 *   oracle post     the relayer collects both signature files and posts the attestation
 *
 * After the last month's dispute window the relayer settles it (`sla:settle`), both parties withdraw
 * (`sla:withdraw`), and `sla:status` reports the agreement as the ledger's source.
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { attestWindow, settleableAt } from "../lib/lifecycle";
import { periodOf, readMilestone } from "../lib/model";
import { formatAmount, formatCut, formatMetricValue } from "../lib/units";
import { formatTime } from "../lib/time";
import type { AttestResult, OracleArgs, PostResult, SignResult } from "../oracle/commands";
import { ProbeStore } from "../oracle/store";
import type { StatusReport } from "../tasks/status";
import { probePeriod, warmUp } from "./probing";
import { startVendorService } from "./service";
import { ACCOUNTS, type DemoOracle, type DemoSetup, short } from "./setup";
import { DEMO_METRICS } from "./terms";
import { DEMO_TIMELINE, behaviourAt } from "./timeline";

/** Which two oracles (indexes into the ascending oracle list) sign each month: every pair takes a turn. */
export const SIGNER_PAIRS: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 2],
  [0, 2],
];

/** The oracles attest this long after a period closes (virtual seconds). */
export const ATTEST_LAG = 600;

export interface ProbeOptions {
  /** Virtual seconds one real probe stands for. */
  stepSeconds: number;
  /** Real milliseconds between two probes. */
  realMsPerProbe: number;
  /** The prober's timeout in real milliseconds. */
  timeoutMs: number;
}

/** What the commands returned for one month. */
export interface MonthOutcome {
  milestone: number;
  /** `oracle attest` (the proposer's report, evidence, values and cut). */
  attest: AttestResult;
  /** `oracle sign` (the co-signer's own values). */
  sign: SignResult;
  /** `oracle post` (the transaction, the signers in oracle order, the cut from the AttestationPosted event). */
  post: PostResult;
  /** The two signing oracles. */
  pair: readonly [DemoOracle, DemoOracle];
}

export interface Months {
  outcomes: MonthOutcome[];
  storeFile: string;
  serviceUrl: string;
  probes: number;
}

/** Runs the vendor service for the whole agreement and plays every month; closes the service and the store. */
export async function playMonths(s: DemoSetup, o: ProbeOptions): Promise<Months> {
  const periods = s.terms.milestones.map((_, i) => periodOf(s.terms, i));
  const service = await startVendorService((vt) => behaviourAt(vt, periods));
  const storeFile = path.join(s.outDir, "probes.jsonl");
  const store = ProbeStore.open(storeFile);
  s.log(
    `  vendor service on ${service.url}; the oracle's prober probes it once per ${o.stepSeconds / 60} virtual minutes, ` +
      `one probe every ${o.realMsPerProbe} ms (time ${Math.round((o.stepSeconds * 1000) / o.realMsPerProbe).toLocaleString("en-US")}x compressed), timeout ${o.timeoutMs} ms`,
  );
  const outcomes: MonthOutcome[] = [];
  let probes = 0;
  try {
    const warm = await warmUp(service.url, o.realMsPerProbe, o.timeoutMs);
    s.log(
      `  warmed the prober up with ${warm.probes} unrecorded probes (slowest answer of the last round ${warm.slowestMs} ms)`,
    );
    s.log("");
    for (let i = 0; i < periods.length; i++) {
      s.log(
        `month ${i + 1} (milestone ${i}) ${formatTime(periods[i].start)} .. ${formatTime(periods[i].end)}: ${DEMO_TIMELINE[i].summary}`,
      );
      probes += await probeMonth(s, o, service.url, store, i);
      outcomes.push(await attestMonth(s, storeFile, i));
    }
    const st = service.stats;
    s.log(
      `the service answered ${st.requests} requests: ${st.ok} normally, ${st.slow} slowly, ${st.unavailable} with 503, ` +
        `${st.hung} never, and dropped ${st.dropped} connections`,
    );
  } finally {
    store.close();
    await service.close();
  }
  return { outcomes, storeFile, serviceUrl: service.url, probes };
}

/** Probes milestone `i`'s period into the store; returns the number of probes. */
async function probeMonth(s: DemoSetup, o: ProbeOptions, url: string, store: ProbeStore, i: number): Promise<number> {
  const period = periodOf(s.terms, i);
  const probed = await probePeriod({ url, start: period.start, end: period.end, ...o, store });
  const errors = Object.entries(probed.errors)
    .map(([e, n]) => `${n} x ${e}`)
    .join(", ");
  s.log(
    `  probed ${probed.probes} times in ${(probed.realMs / 1000).toFixed(1)} s: ${probed.ok} ok, ${probed.failed} failed${errors ? ` (${errors})` : ""}`,
  );
  return probed.probes;
}

/** The chain's clock moves to `timestamp` (a block is mined then), so that every command sees that time. */
async function mineAt(hre: HardhatRuntimeEnvironment, timestamp: number): Promise<void> {
  await hre.network.provider.request({ method: "evm_setNextBlockTimestamp", params: [timestamp] });
  await hre.network.provider.request({ method: "evm_mine", params: [] });
}

/** The oracle program's environment for one command: the oracle's key, and the key that sends (the relayer's, or none). */
function oracleEnv(oracle: DemoOracle, relayerKey?: string): Record<string, string | undefined> {
  return { ORACLE_PRIVATE_KEY: oracle.key, ORACLE_RELAYER_PRIVATE_KEY: relayerKey };
}

/** What the oracles measure from, as their command-line flags, and how the demo prints what they measured. */
export interface Measuring {
  /** The flags naming the metrics and the data: `--samples --metrics`, or `--metric-spec --tickets`. */
  flags: Partial<OracleArgs>;
  /** Where the co-signer's own values come from, in words ("the store"). */
  from: string;
  /** The proposer's values in words ("availability 100%, p95 40ms"). */
  describe: (values: readonly number[]) => string;
}

/** Both oracles measure from the prober's store, naming the agreement's metrics in its order. */
function measuring(storeFile: string): Measuring {
  return {
    flags: { samples: storeFile, metrics: DEMO_METRICS.join(",") },
    from: "the store",
    describe: ([availabilityPpm, p95Ms]) =>
      `availability ${formatMetricValue("availability_ppm", availabilityPpm)}, p95 ${formatMetricValue("latency_p95_ms", p95Ms)}`,
  };
}

/** Milestone `i` is due: one oracle attests, another co-signs, the relayer settles the month before and posts. */
async function attestMonth(s: DemoSetup, storeFile: string, i: number): Promise<MonthOutcome> {
  return attestDue(s, i, measuring(storeFile));
}

/**
 * The chain's clock moves to ATTEST_LAG after milestone `i`'s due time; one oracle of the month's pair attests
 * (`oracle attest`), the other co-signs (`oracle sign`), the relayer settles the month before (`sla:settle`) and
 * posts (`oracle post`).
 */
export async function attestDue(s: DemoSetup, i: number, m: Measuring): Promise<MonthOutcome> {
  const [a, b] = SIGNER_PAIRS[i % SIGNER_PAIRS.length];
  const pair = [s.oracles[a], s.oracles[b]] as const;
  const at = attestWindow(s.terms, i).from + ATTEST_LAG;
  await mineAt(s.hre, at);
  s.log(`  chain time ${formatTime(at)}: milestone ${i} is due`);
  const attest = await propose(s, m, i, pair[0]);
  const sign = await coSign(s, m, attest, pair[1]);
  if (i > 0) await settleDue(s);
  const post = await relay(s, attest, sign, pair);
  return { milestone: i, attest, sign, post, pair };
}

/** `oracle attest`: the proposer measures the month, writes the report and signs it. */
async function propose(s: DemoSetup, m: Measuring, i: number, proposer: DemoOracle): Promise<AttestResult> {
  const reportFile = path.join(s.outDir, "reports", `agreement-${s.id}-milestone-${i}.json`);
  const attest = await s.commands.oracle<AttestResult>(
    {
      command: "attest",
      agreement: s.id.toString(),
      milestone: String(i),
      ...m.flags,
      out: reportFile,
      state: proposer.stateDir,
    },
    oracleEnv(proposer),
  );
  s.log(
    `  oracle attest (oracle ${proposer.index}, ${short(proposer.address)}): report ${s.rel(reportFile)}: ` +
      `${m.describe(attest.values ?? [])} ` +
      `-> cut ${formatCut(attest.cutBps ?? 0)}; evidence ${short(attest.evidence ?? "")}; signed`,
  );
  return attest;
}

/** `oracle sign`: the co-signer recomputes the values from its own data and signs the same report. */
async function coSign(s: DemoSetup, m: Measuring, attest: AttestResult, cosigner: DemoOracle): Promise<SignResult> {
  const sign = await s.commands.oracle<SignResult>(
    { command: "sign", report: attest.reportFile, ...m.flags, state: cosigner.stateDir },
    oracleEnv(cosigner),
  );
  s.log(
    `  oracle sign (oracle ${cosigner.index}, ${short(cosigner.address)}): its own values from ${m.from} agree; co-signed`,
  );
  return sign;
}

/** `oracle post` from the relayer's key: both signature files, posted. */
async function relay(
  s: DemoSetup,
  attest: AttestResult,
  sign: SignResult,
  pair: readonly [DemoOracle, DemoOracle],
): Promise<PostResult> {
  const post = await s.commands.oracle<PostResult>(
    { command: "post", report: attest.reportFile, signatures: [attest.signatureFile, sign.signatureFile].join(",") },
    oracleEnv(pair[0], s.relayerKey),
  );
  s.log(
    `  oracle post (relayer ${short(s.relayer.address)}): signatures of oracles ${pair.map((x) => x.index).join(" and ")}; ` +
      `cut ${formatCut(post.cutBps ?? 0)} on chain; tx ${short(post.txHash ?? "")}`,
  );
  return post;
}

/** `sla:settle --id` from the relayer: every milestone settleable now. */
async function settleDue(s: DemoSetup): Promise<bigint[]> {
  const settled = await s.commands.task<bigint[]>("sla:settle", {
    id: s.id.toString(),
    from: String(ACCOUNTS.relayer),
  });
  s.log(`  sla:settle (relayer): settled milestone${settled.length === 1 ? "" : "s"} ${settled.join(", ") || "none"}`);
  return settled;
}

export interface Closing {
  withdrawn: { vendor: bigint; client: bigint };
  /** `sla:status` after the withdrawals. */
  status: StatusReport;
}

/**
 * After the last dispute window: settle the last month, both parties withdraw, and the final `sla:status` (with
 * `statusFlags`, e.g. `--metric-spec`).
 */
export async function closeAgreement(s: DemoSetup, statusFlags: Record<string, string> = {}): Promise<Closing> {
  const last = s.terms.milestones.length - 1;
  const at = settleableAt(s.terms, last, await readMilestone(s.escrow, s.id, last)) as number;
  await mineAt(s.hre, at);
  s.log("");
  s.log(`chain time ${formatTime(at)}: the dispute window of milestone ${last} closed`);
  await settleDue(s);
  const withdraw = (from: number): Promise<bigint> =>
    s.commands.task<bigint>("sla:withdraw", { token: s.tokenInfo.address, from: String(from) });
  const withdrawn = { vendor: await withdraw(ACCOUNTS.vendor), client: await withdraw(ACCOUNTS.client) };
  s.log(
    `sla:withdraw: vendor ${formatAmount(withdrawn.vendor, s.tokenInfo)}, client ${formatAmount(withdrawn.client, s.tokenInfo)}`,
  );
  const status = await s.commands.task<StatusReport>("sla:status", { id: s.id.toString(), ...statusFlags });
  s.log(`sla:status: agreement ${s.id} is ${status.status}`);
  return { withdrawn, status };
}
