/**
 * The one-shot commands: `attest`, `verify`, `sign` (co-sign) and `post`. Each validates everything it can
 * before writing or sending anything; a user's mistake is a UserError (one line, exit 1, nothing posted).
 */
import path from "node:path";
import { type Provider, type Wallet, getAddress } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { SLAEscrow } from "../../typechain-types";
import { attestationDigest, packSignatures } from "../lib/attestation";
import { UserError, decodeEscrowError, formatEscrowError } from "../lib/errors";
import { getEscrow } from "../adapters/escrow";
import { chainIdMismatch } from "../adapters/failures";
import { cutBps } from "../lib/penalty";
import { checkAttestWindow, checkMetricNames, checkMilestone, oracleIndexOf, parseUintFlag } from "./chain";
import {
  AGREEMENT_STATUS,
  AgreementStatus,
  type AgreementTerms,
  MILESTONE_STATUS,
  MilestoneStatus,
  readTerms,
  readMilestone,
  periodOf,
} from "../lib/model";
import { nextBlockTime, formatTime } from "../lib/time";
import type { Output } from "./log";
import { type MetricSpec, firstSpecDifference, selectSpecs } from "../lib/kpi/spec";
import { parseTolerances } from "../lib/kpi/tolerance";
import { readMetricSpecFile } from "../adapters/metric-spec-file";
import { type Sources, measureSpecs, sourcesOf } from "./measure";
import {
  type LoadedReport,
  type Report,
  buildReport,
  evidenceOf,
  loadReport,
  reportMetricNames,
  serializeReport,
  writeReport,
} from "./report";
import type { SampleSource } from "./samples";
import {
  type Expected,
  collectSignatures,
  escrowDomain,
  listSignatureFiles,
  loadOracleKey,
  oracleIdentity,
  relayerKey,
  signChecked,
  signatureFileName,
  writeSignatureFile,
  signatureRecord,
} from "./signing";
import { firstDifference } from "./cosign";
import { recordSigned } from "./sign-record";
import type { TypedDataDomain } from "ethers";

/** Every option of every sub-command (Hardhat passes them all; unused ones are undefined). */
export interface OracleArgs {
  command: string;
  agreement?: string;
  milestone?: string;
  samples?: string;
  metrics?: string;
  metricSpec?: string;
  tickets?: string;
  calls?: string;
  items?: string;
  report?: string;
  escrow?: string;
  keystore?: string;
  out?: string;
  signatures?: string;
  tolerance?: string;
  prometheus?: string;
  promSuccess?: string;
  promLatency?: string;
  promStep?: string;
  promTimeout?: string;
  fromBlock?: string;
  // run
  state?: string;
  shared?: string;
  interval?: string;
  blockRange?: string;
  once?: boolean;
  noSettle?: boolean;
  rpc?: string;
  rpcTimeout?: string;
  metricsPort?: string;
  metricsHost?: string;
  healthIntervals?: string;
  // probe
  url?: string;
  store?: string;
  timeout?: string;
  expectStatus?: string;
  count?: string;
  probeInterval?: string;
  lag?: string;
  stagger?: string;
  proposalWindow?: string;
  oracleAddress?: string;
  // run: fees, replacements and finality (run/tx-options.ts)
  maxFeeGwei?: string;
  confirmations?: string;
  bumpAfterBlocks?: string;
  bumpAfterSeconds?: string;
  minPostings?: string;
}

export interface Connection {
  escrow: SLAEscrow;
  address: string;
  chainId: bigint;
  domain: TypedDataDomain;
  provider: Provider;
}

/**
 * The escrow on `--network`, its chain id and EIP-712 domain. The RPC's chain id must equal the chain id the
 * Hardhat config pins for the network: otherwise a lying RPC could obtain a signature valid on another chain
 * where an escrow sits at the same address (the deployment is deterministic). `signing` commands refuse a
 * network that pins no chain id. `provider` (the daemon's, rpc.ts) replaces Hardhat's for everything.
 */
export async function connect(
  hre: HardhatRuntimeEnvironment,
  escrowFlag?: string,
  signing = false,
  provider: Provider = hre.ethers.provider,
): Promise<Connection> {
  const configured = hre.network.config.chainId;
  if (configured === undefined && signing) {
    throw new UserError(
      `--network ${hre.network.name}: the Hardhat config gives this network no chainId; set it, so that a wrong or lying RPC cannot obtain a signature for another chain`,
    );
  }
  const chainId = (await provider.getNetwork()).chainId;
  if (configured !== undefined && BigInt(configured) !== chainId)
    throw chainIdMismatch(hre.network.name, BigInt(configured), chainId);
  const escrow = await getEscrow(hre, escrowFlag, provider === hre.ethers.provider ? undefined : provider);
  const domain = await escrowDomain(escrow, chainId);
  return { escrow, address: await escrow.getAddress(), chainId, domain, provider };
}

/** The oracle's state folder: `--state`, else oracle-state/<network>/<key address> (shared by `run`, `attest` and `sign`). */
export function stateDirOf(hre: HardhatRuntimeEnvironment, args: OracleArgs, wallet: Wallet): string {
  return args.state ?? path.join("oracle-state", hre.network.name, wallet.address);
}

/** The `beforeSign` hook that records the digest for the milestone (sign-record.ts), then runs `after`. */
export function recordBeforeSign(
  stateDir: string,
  c: Pick<Connection, "chainId" | "address">,
  oracle: string,
  att: { agreementId: bigint; milestone: number; values: readonly number[]; evidence: string },
  after?: () => void,
): (digest: string) => void {
  return (digest) => {
    recordSigned(
      stateDir,
      { chainId: c.chainId, escrow: c.address, agreementId: att.agreementId, milestone: att.milestone, oracle },
      { digest, values: att.values, evidence: att.evidence },
    );
    after?.();
  };
}

/**
 * The agreement's metrics from the flags: `--metric-spec FILE.json` (names, kinds, parameters, in the agreement's
 * order) or `--metrics NAME,NAME` (the probe metrics' bare names); with both, the names must agree.
 */
export function specsFromArgs(args: Pick<OracleArgs, "metrics" | "metricSpec">): MetricSpec[] {
  return selectSpecs(args.metrics, args.metricSpec ? readMetricSpecFile(args.metricSpec) : undefined);
}

/**
 * The sources the specs read, from the flags: probe samples from `--samples FILE` (CSV or JSON lines) or
 * `--prometheus URL` (range queries); exports from `--tickets`, `--calls`, `--items`; Prometheus kinds from
 * `--prometheus URL` (instant queries). A flag no metric reads is a mistake and is refused.
 */
export async function makeSources(
  args: OracleArgs,
  specs: readonly MetricSpec[],
  probes?: SampleSource,
): Promise<Sources> {
  const used = new Set(sourcesOf(specs));
  const refuseUnused = (flag: string, value: string | undefined, source: string): void => {
    if (value !== undefined && !used.has(source as never)) {
      throw new UserError(
        `${flag}: no metric of ${specs.map((s) => `"${s.name}"`).join(", ")} reads ${source === "probes" ? "probe samples" : `a ${source} export`}; leave it out or check --metric-spec`,
      );
    }
  };
  refuseUnused("--tickets", args.tickets, "tickets");
  refuseUnused("--calls", args.calls, "calls");
  refuseUnused("--items", args.items, "items");
  refuseUnused("--samples", args.samples, "probes");
  if (args.prometheus && !used.has("probes") && !used.has("prometheus")) {
    throw new UserError(`--prometheus: no metric of the agreement reads probe samples or a Prometheus query`);
  }
  const sources: Sources = {};
  if (used.has("probes")) {
    if (probes) sources.probes = probes;
    else if (args.samples) {
      const { FileSource } = await import("./file-source");
      sources.probes = new FileSource(args.samples);
    } else if (args.prometheus) {
      const { PrometheusSource, prometheusConfigFromArgs } = await import("./prometheus");
      sources.probes = new PrometheusSource(prometheusConfigFromArgs(args));
    } else {
      throw new UserError(
        "--samples: missing (a CSV file timestamp,ok,latency_ms, a .jsonl store, or --prometheus URL)",
      );
    }
  }
  if (used.has("prometheus")) {
    if (!args.prometheus) {
      const spec = specs.find((s) => s.kind.source === "prometheus") as MetricSpec;
      throw new UserError(
        `--prometheus: missing; metric "${spec.name}" (${spec.kind.kind}) queries a Prometheus server`,
      );
    }
    const { PrometheusInstantSource } = await import("./prometheus-instant");
    const { prometheusConfigFromArgs } = await import("./prometheus");
    const cfg = prometheusConfigFromArgs(args);
    sources.prometheus = new PrometheusInstantSource({ url: cfg.url, timeoutMs: cfg.timeoutMs });
  }
  const { ticketsFile, callsFile, itemsFile } = await import("./export-source");
  const need = (source: "tickets" | "calls" | "items", value: string | undefined): string | undefined => {
    if (!used.has(source)) return undefined;
    if (value === undefined || value === "") {
      const spec = specs.find((s) => s.kind.source === source) as MetricSpec;
      throw new UserError(
        `--${source}: missing; metric "${spec.name}" (${spec.kind.kind}) reads the ${source} export (CSV)`,
      );
    }
    return value;
  };
  const t = need("tickets", args.tickets);
  const ca = need("calls", args.calls);
  const it = need("items", args.items);
  if (t) sources.tickets = ticketsFile(t);
  if (ca) sources.calls = callsFile(ca);
  if (it) sources.items = itemsFile(it);
  return sources;
}

/** `--lag` of the one-shot commands: seconds after a period's end before an export counts as complete for it. */
export function lagOf(args: Pick<OracleArgs, "lag">, def = 0): number {
  if (args.lag === undefined || args.lag === "") return def;
  const n = Number(args.lag);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`--lag: "${args.lag}" is not a number of seconds >= 0`);
  return n;
}

/** With `--metrics`/`--metric-spec` given, a report's metric specs must be ours (post and verify). */
function checkReportSpecs(r: Report, args: OracleArgs): void {
  if (args.metrics === undefined && args.metricSpec === undefined) return;
  const diff = firstSpecDifference(
    r.metrics.map((m) => m.spec),
    specsFromArgs(args),
  );
  if (diff !== undefined) throw new UserError(`--report: its metrics are not ours: ${diff}`);
}

export function formatValues(names: readonly string[], values: readonly (number | bigint)[]): string {
  return names.map((n, i) => `${n}=${values[i]}`).join(", ");
}

/** The AttestationPosted event of a milestone, if any. */
export interface PostedAttestation {
  values: number[];
  evidence: string;
  cutBps: number;
  signerMask: bigint;
  txHash: string;
  blockNumber: number;
}

export async function findAttestation(
  escrow: SLAEscrow,
  id: bigint,
  milestone: number,
  fromBlock: number = 0,
): Promise<PostedAttestation | undefined> {
  const events = await escrow.queryFilter(escrow.filters.AttestationPosted(id, milestone), fromBlock);
  const e = events[events.length - 1];
  if (!e) return undefined;
  return {
    // args.values would be Array.prototype.values (ethers' Result is an array): take the field by position.
    values: e.args[3].map((v) => Number(v)),
    evidence: e.args.evidence,
    cutBps: Number(e.args.cutBps),
    signerMask: e.args.signerMask,
    txHash: e.transactionHash,
    blockNumber: e.blockNumber,
  };
}

/** Turns an escrow revert (or an empty sender) into a UserError; anything else is rethrown. */
export function explainSendError(escrow: SLAEscrow, err: unknown, what: string): never {
  const decoded = decodeEscrowError(escrow.interface, err);
  if (decoded) {
    let hint = "";
    if (decoded.name === "AttestationTooEarly") hint = ` (not due until ${formatTime(Number(decoded.args[0]))})`;
    if (decoded.name === "AttestationTooLate") hint = ` (the window closed at ${formatTime(Number(decoded.args[0]))})`;
    throw new UserError(`the escrow rejects ${what}: ${formatEscrowError(decoded)}${hint}; nothing posted`);
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (/insufficient funds|doesn't have enough funds|sender doesn't have enough/i.test(msg)) {
    throw new UserError(`the sending account has no ETH for gas (${what}); nothing posted`);
  }
  throw err;
}

export type PostArgs = [bigint, number, number[], string, bigint, string[]];

/** Simulates postAttestation, then sends it; returns the tx hash and the cut from the event. */
export async function sendAttestation(
  escrow: SLAEscrow,
  sender: Wallet,
  args: PostArgs,
): Promise<{ txHash: string; cutBps: number; gasUsed: bigint }> {
  const e = escrow.connect(sender);
  try {
    await e.postAttestation.staticCall(...args, { blockTag: "pending" });
  } catch (err) {
    explainSendError(escrow, err, "the attestation");
  }
  let receipt;
  try {
    const tx = await e.postAttestation(...args);
    receipt = await tx.wait();
  } catch (err) {
    explainSendError(escrow, err, "the attestation");
  }
  if (!receipt) throw new Error("postAttestation: no receipt");
  let cut = -1;
  for (const log of receipt.logs) {
    const parsed = escrow.interface.parseLog(log);
    if (parsed?.name === "AttestationPosted") cut = Number(parsed.args.cutBps);
  }
  return { txHash: receipt.hash, cutBps: cut, gasUsed: receipt.gasUsed };
}

function defaultReportPath(network: string, id: bigint, milestone: number): string {
  return path.join("oracle-reports", network, `agreement-${id}-milestone-${milestone}.json`);
}

/** Checks a report belongs to the connected chain and escrow (and the flags, when given). */
function checkReportTarget(loaded: LoadedReport, c: Connection, args: OracleArgs): void {
  const r = loaded.report;
  if (BigInt(r.chainId) !== c.chainId) {
    throw new UserError(
      `--report: ${path.basename(loaded.file)} is for chain ${r.chainId}, but the network is chain ${c.chainId} (wrong network?)`,
    );
  }
  if (getAddress(r.escrow) !== c.address) {
    throw new UserError(`--report: ${path.basename(loaded.file)} is for escrow ${r.escrow}, not ${c.address}`);
  }
  if (args.agreement !== undefined && parseUintFlag(args.agreement, "--agreement") !== BigInt(r.agreementId)) {
    throw new UserError(`--agreement: ${args.agreement}, but the report is for agreement ${r.agreementId}`);
  }
  if (args.milestone !== undefined && parseUintFlag(args.milestone, "--milestone") !== BigInt(r.milestone)) {
    throw new UserError(`--milestone: ${args.milestone}, but the report is for milestone ${r.milestone}`);
  }
}

/**
 * Signs `att` as `oracle` once per milestone (the digest is recorded in the state folder first: another digest
 * for the milestone is refused) and writes the signature file `file`.
 */
async function signOnceTo(
  file: string,
  hre: HardhatRuntimeEnvironment,
  args: OracleArgs,
  c: Connection,
  wallet: Wallet,
  oracle: string,
  att: { agreementId: bigint; milestone: number; values: number[]; evidence: string },
): Promise<{ signature: string; digest: string }> {
  const before = recordBeforeSign(stateDirOf(hre, args, wallet), c, oracle, att);
  const signed = await signChecked(c.escrow, wallet, c.domain, att, oracle, before);
  writeSignatureFile(file, signatureRecord(c, att, signed.digest, oracle, signed.signature));
  return signed;
}

export interface AttestResult {
  exitCode: number;
  reportFile?: string;
  evidence?: string;
  values?: number[];
  cutBps?: number;
  signatureFile?: string;
  txHash?: string;
  posted: boolean;
}

/** `oracle attest`: measure, report, sign and (when this signature meets the threshold) post. */
export async function attestCommand(
  hre: HardhatRuntimeEnvironment,
  args: OracleArgs,
  out: Output,
): Promise<AttestResult> {
  const id = parseUintFlag(args.agreement, "--agreement");
  const m = parseUintFlag(args.milestone, "--milestone");
  const specs = specsFromArgs(args);
  const sources = await makeSources(args, specs);
  const lag = lagOf(args);
  const wallet = await loadOracleKey({ keystore: args.keystore });
  const oracle = oracleIdentity(wallet, args.oracleAddress);
  const c = await connect(hre, args.escrow, true);
  const terms = await readTerms(c.escrow, id);
  const milestone = checkMilestone(terms, m);
  checkMetricNames(terms, specs, metricsFlag(args));
  oracleIndexOf(terms, oracle);
  const status = Number(await c.escrow.agreementStatus(id));
  const state = await readMilestone(c.escrow, id, milestone);
  if (status !== AgreementStatus.Active && state.status === MilestoneStatus.Pending) {
    throw new UserError(`--agreement: agreement ${id} is ${AGREEMENT_STATUS[status]}; attestations need it Active`);
  }
  if (state.status === MilestoneStatus.Pending) checkAttestWindow(terms, milestone, await nextBlockTime(c.provider));

  const report = await measure(c, terms, milestone, specs, sources, oracle, lag);
  const file = args.out ?? defaultReportPath(hre.network.name, id, milestone);
  if (state.status !== MilestoneStatus.Pending) {
    const posted = await findAttestation(c.escrow, id, milestone, parseFromBlock(args.fromBlock));
    const evidence = evidenceOf(serializeReport(report));
    if (posted && posted.evidence === evidence) {
      out.info(`already attested with this report's evidence ${evidence} in tx ${posted.txHash}: nothing to do`);
      return {
        exitCode: 0,
        evidence,
        values: posted.values,
        cutBps: posted.cutBps,
        txHash: posted.txHash,
        posted: false,
      };
    }
    throw new UserError(
      `--milestone: milestone ${milestone} of agreement ${id} is already ${MILESTONE_STATUS[state.status]}` +
        (posted ? ` (evidence ${posted.evidence} in tx ${posted.txHash})` : "") +
        "; nothing posted",
    );
  }

  const { evidence } = writeReport(file, report);
  const att = { agreementId: id, milestone, values: report.values, evidence };
  const signatureFile = path.join(path.dirname(file), signatureFileName(id, milestone, oracle));
  const { signature } = await signOnceTo(signatureFile, hre, args, c, wallet, oracle, att);
  out.info(`report: ${file}`);
  out.info(`evidence: ${evidence}`);
  out.info(
    `values: ${formatValues(
      specs.map((s) => s.name),
      report.values,
    )}`,
  );
  out.info(`cut: ${report.cutBps} bps`);
  out.info(`signature: ${signatureFile}`);
  const base: AttestResult = {
    exitCode: 0,
    reportFile: file,
    evidence,
    values: report.values,
    cutBps: report.cutBps,
    signatureFile,
    posted: false,
  };
  if (terms.threshold > 1) {
    out.info(
      `posted: no (agreement ${id} needs ${terms.threshold} signatures: have the other oracles run ` +
        `"oracle sign --report ${file}", then "oracle post --report ${file} --signatures DIR")`,
    );
    return base;
  }
  const packed = packSignatures(terms.oracles, [{ signer: oracle, signature }]);
  const sender = relayerKey(wallet).connect(c.provider);
  const sent = await sendAttestation(c.escrow, sender, [
    id,
    milestone,
    report.values,
    evidence,
    packed.signerMask,
    packed.signatures,
  ]);
  out.info(`tx: ${sent.txHash}`);
  return { ...base, txHash: sent.txHash, cutBps: sent.cutBps, posted: true };
}

/** Measures one milestone from `sources`: the report (not yet written). */
export async function measure(
  c: { chainId: bigint; address: string },
  terms: AgreementTerms,
  milestone: number,
  specs: readonly MetricSpec[],
  sources: Sources,
  oracle: string,
  lagSeconds: number,
): Promise<Report> {
  const period = periodOf(terms, milestone);
  const what = `agreement ${terms.id} milestone ${milestone} (period [${period.start}, ${period.end}))`;
  const measured = await measureSpecs(specs, sources, period, { lagSeconds, what });
  return buildReport(
    { chainId: c.chainId, escrow: c.address, agreementId: terms.id, milestone, period, oracle },
    measured,
    (values) => cutBps(terms.metrics, values),
  );
}

/** The flag the specs came from, for messages. */
export function metricsFlag(args: Pick<OracleArgs, "metricSpec">): string {
  return args.metricSpec ? `--metric-spec ${path.basename(args.metricSpec)}` : "--metrics";
}

function parseFromBlock(v: string | undefined): number {
  return v === undefined ? 0 : Number(parseUintFlag(v, "--from-block"));
}

export interface VerifyResult {
  exitCode: number;
  ok: boolean;
  reason?: string;
  txHash?: string;
}

/** `oracle verify`: exit 0 when the report's keccak256 and values match the posted attestation. */
export async function verifyCommand(
  hre: HardhatRuntimeEnvironment,
  args: OracleArgs,
  out: Output,
): Promise<VerifyResult> {
  const id = parseUintFlag(args.agreement, "--agreement");
  const milestone = Number(parseUintFlag(args.milestone, "--milestone"));
  if (!args.report) throw new UserError("--report: missing");
  const loaded = loadReport(args.report);
  const r = loaded.report;
  const c = await connect(hre, args.escrow);
  const fail = (reason: string): VerifyResult => {
    out.warn(`mismatch: ${reason}`);
    process.exitCode = 1;
    return { exitCode: 1, ok: false, reason };
  };
  if (BigInt(r.agreementId) !== id || r.milestone !== milestone) {
    return fail(
      `the report is for agreement ${r.agreementId} milestone ${r.milestone}, not agreement ${id} milestone ${milestone}`,
    );
  }
  if (BigInt(r.chainId) !== c.chainId)
    return fail(`the report is for chain ${r.chainId}, the network is chain ${c.chainId}`);
  if (getAddress(r.escrow) !== c.address) return fail(`the report is for escrow ${r.escrow}, not ${c.address}`);
  const terms = await readTerms(c.escrow, id);
  checkMilestone(terms, BigInt(milestone));
  checkReportSpecs(r, args);
  const posted = await findAttestation(c.escrow, id, milestone, parseFromBlock(args.fromBlock));
  if (!posted) return fail(`no attestation has been posted for agreement ${id} milestone ${milestone}`);
  if (posted.evidence.toLowerCase() !== loaded.evidence.toLowerCase()) {
    return fail(
      `the report's keccak256 is ${loaded.evidence}, the posted evidence is ${posted.evidence} (tx ${posted.txHash}): the report was changed or is another one`,
    );
  }
  if (posted.values.join(",") !== r.values.join(",")) {
    return fail(
      `the report's values [${r.values.join(", ")}] differ from the posted [${posted.values.join(", ")}] (tx ${posted.txHash})`,
    );
  }
  out.info(
    `ok: keccak256 ${loaded.evidence} and values ${formatValues(reportMetricNames(r), r.values)} match the attestation in tx ${posted.txHash} (block ${posted.blockNumber}, cut ${posted.cutBps} bps)`,
  );
  return { exitCode: 0, ok: true, txHash: posted.txHash };
}

export interface SignResult {
  exitCode: number;
  signatureFile: string;
  signer: string;
  ownValues: number[];
}

/**
 * `oracle sign`: co-sign another oracle's report. Our own `--metrics` decide the names and their order; the
 * report must match our chain, escrow, agreement, milestone, period and metrics, its cutBps must be the
 * penalty rule applied to its values, and each value must be within our tolerance of our own (recomputed from
 * our samples). The digest is recorded in the state folder before signing: one digest per milestone.
 */
export async function signCommand(hre: HardhatRuntimeEnvironment, args: OracleArgs, out: Output): Promise<SignResult> {
  if (!args.report) throw new UserError("--report: missing");
  const loaded = loadReport(args.report);
  const specs = specsFromArgs(args);
  const tolerances = parseTolerances(args.tolerance, specs);
  const sources = await makeSources(args, specs);
  const lag = lagOf(args);
  const wallet = await loadOracleKey({ keystore: args.keystore });
  const oracle = oracleIdentity(wallet, args.oracleAddress);
  const c = await connect(hre, args.escrow, true);
  const { r, id, terms, milestone } = await reportTarget(loaded, c, args);
  checkMetricNames(terms, specs, metricsFlag(args));
  oracleIndexOf(terms, oracle);
  const period = periodOf(terms, milestone);
  const now = await nextBlockTime(c.provider);
  if (now < period.end)
    throw new UserError(
      `--report: milestone ${milestone} of agreement ${id} is not due until ${formatTime(period.end)}`,
    );
  const state = await readMilestone(c.escrow, id, milestone);
  if (state.status !== MilestoneStatus.Pending)
    throw new UserError(
      `--report: milestone ${milestone} of agreement ${id} is already ${MILESTONE_STATUS[state.status]}; nothing signed`,
    );
  const own = await measureSpecs(specs, sources, period, {
    lagSeconds: lag,
    what: `our measurement of agreement ${id} milestone ${milestone}`,
  });
  const diff = firstDifference(r, {
    chainId: c.chainId,
    escrow: c.address,
    terms,
    milestone,
    specs,
    values: own.values,
    tolerances,
  });
  if (diff !== undefined) throw new UserError(`refusing to sign: ${diff}`);
  const names = specs.map((s) => s.name);
  const att = { agreementId: id, milestone, values: r.values, evidence: loaded.evidence };
  const file = args.out ?? path.join(path.dirname(loaded.file), signatureFileName(id, milestone, oracle));
  await signOnceTo(file, hre, args, c, wallet, oracle, att);
  out.info(
    `ours: ${formatValues(names, own.values)} (within tolerance of the report's ${formatValues(names, r.values)})`,
  );
  out.info(`signature: ${file}`);
  return { exitCode: 0, signatureFile: file, signer: oracle, ownValues: own.values };
}

/** Checks that a loaded report is for this chain and escrow, and reads its agreement's terms and milestone. */
async function reportTarget(loaded: LoadedReport, c: Connection, args: OracleArgs) {
  checkReportTarget(loaded, c, args);
  const r = loaded.report;
  const id = BigInt(r.agreementId);
  const terms = await readTerms(c.escrow, id);
  const milestone = checkMilestone(terms, BigInt(r.milestone));
  return { r, id, terms, milestone };
}

export interface PostResult {
  exitCode: number;
  txHash?: string;
  signers: string[];
  cutBps?: number;
}

/** `oracle post`: collect signature files, build the mask in oracle order, post once the threshold is met. */
export async function postCommand(hre: HardhatRuntimeEnvironment, args: OracleArgs, out: Output): Promise<PostResult> {
  if (!args.report) throw new UserError("--report: missing");
  const loaded = loadReport(args.report);
  const c = await connect(hre, args.escrow);
  const { r, id, terms, milestone } = await reportTarget(loaded, c, args);
  checkReportSpecs(r, args);
  if (r.values.length !== terms.metrics.length) {
    throw new UserError(`--report: ${r.values.length} value(s), agreement ${id} has ${terms.metrics.length} metric(s)`);
  }
  const sources = (args.signatures ?? path.dirname(loaded.file))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const digest = attestationDigest(c.domain, {
    agreementId: id,
    milestone,
    values: r.values,
    evidence: loaded.evidence,
  });
  const expected: Expected = {
    chainId: c.chainId,
    escrow: c.address,
    agreementId: id,
    milestone,
    values: r.values,
    evidence: loaded.evidence,
    digest,
  };
  const collected = await collectSignatures(listSignatureFiles(sources), expected, terms.oracles, c.provider);
  for (const rej of collected.rejected) out.warn(`skipped ${rej.file}: ${rej.reason}`);
  const signers = collected.valid.map((v) => v.signer);
  if (collected.valid.length < terms.threshold) {
    throw new UserError(
      `--signatures: ${collected.valid.length} valid signature(s)${signers.length ? ` (${signers.join(", ")})` : ""}, ` +
        `agreement ${id} needs ${terms.threshold}; nothing posted`,
    );
  }
  const state = await readMilestone(c.escrow, id, milestone);
  if (state.status !== MilestoneStatus.Pending) {
    const posted = await findAttestation(c.escrow, id, milestone, parseFromBlock(args.fromBlock));
    if (posted && posted.evidence === loaded.evidence) {
      out.info(`already attested with this report in tx ${posted.txHash}: nothing to do`);
      return { exitCode: 0, txHash: posted.txHash, signers, cutBps: posted.cutBps };
    }
    throw new UserError(
      `--report: milestone ${milestone} of agreement ${id} is already ${MILESTONE_STATUS[state.status]}; nothing posted`,
    );
  }
  const packed = packSignatures(terms.oracles, collected.valid);
  const sender = relayerKey(await loadOracleKey({ keystore: args.keystore })).connect(c.provider);
  const sent = await sendAttestation(c.escrow, sender, [
    id,
    milestone,
    r.values,
    loaded.evidence,
    packed.signerMask,
    packed.signatures,
  ]);
  out.info(`signers: ${signers.join(", ")} (mask 0b${packed.signerMask.toString(2)})`);
  out.info(`cut: ${sent.cutBps} bps`);
  out.info(`tx: ${sent.txHash}`);
  return { exitCode: 0, txHash: sent.txHash, signers, cutBps: sent.cutBps };
}
