/**
 * The one-command demo (`npx hardhat run scripts/demo/index.ts`, or `npm run demo`): six months of an SLA
 * agreement in well under a minute, through the project's real parts. This file only runs the acts in order:
 *
 * 1. setup.ts: deploys the escrow and TUSD with hardhat-deploy, mints TUSD to the client, writes the agreement
 *    as a human terms file; `sla:create --permit` funds it, `sla:accept` accepts it;
 * 2. months.ts: a local HTTP "vendor service" plays a scripted timeline (outages, slow spells) and the oracle's
 *    prober probes it for real, time compressed (probing.ts); per month the chain's clock moves to the due time,
 *    `oracle attest` measures, reports and signs, `oracle sign` co-signs, `sla:settle` settles the month before
 *    and `oracle post` posts; after the last dispute window `sla:settle`, `sla:withdraw` for both parties and
 *    `sla:status`;
 * 3. ledger-data.ts, checks.ts: the ledger from the reports and `sla:status`, checked (`oracle verify` for the
 *    evidence; a failed check throws: non-zero exit);
 * 4. render.ts: the ledger on the terminal, ledger.json and the self-contained HTML report.
 *
 * Every command runs in process through `hre.run` (drive.ts), with its output in demo-output/commands.log.
 * Runs on the in-process Hardhat network with nothing to configure, or against `npx hardhat node` with
 * `--network localhost`. This is the web-service scenario; `runScenario` also runs the helpdesk one
 * (./helpdesk/run.ts), as `npm run demo -- --scenario NAME` picks it (./launch.ts).
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import type { AgreementTerms } from "../lib/model";
import type { ResolvedToken } from "../lib/token";
import { type DemoCheck, DemoCheckError, runChecks } from "./checks";
import { type LedgerRow, type LedgerTotals, totalsOf } from "./ledger";
import { ledgerRows } from "./ledger-data";
import { type ProbeOptions, closeAgreement, playMonths } from "./months";
import { printLedger, writeHtmlReport, writeLedgerJson } from "./render";
import { agreementSummary, preflight, setUp } from "./setup";
import { DEMO_METRICS } from "./terms";
import { DEMO_TIMELINE } from "./timeline";
import { runHelpdeskDemo } from "./helpdesk/run";
import type { Scenario } from "./launch";

export { ACCOUNTS } from "./setup";
export { SIGNER_PAIRS } from "./months";
export { type DemoCheck, DemoCheckError } from "./checks";

export interface DemoOptions {
  /** Where reports, signatures, the probe store, the ledger and the HTML go. Default `<project>/demo-output`. */
  outDir?: string;
  /** Progress and ledger lines. Default console.log. */
  log?: (line: string) => void;
  /** Virtual minutes one real probe stands for. Default 30 (1440 probes per 30-day month). */
  probeMinutes?: number;
  /** Real milliseconds between two probes: the compressed clock. Default 2 (a month in about 3 s). */
  realMsPerProbe?: number;
  /** The prober's timeout in real milliseconds. Default 2000. */
  probeTimeoutMs?: number;
  /** Each milestone's amount in TUSD. Default "1000". */
  amount?: string;
}

const PERIOD_DAYS = 30;

export interface DemoResult {
  network: string;
  chainId: bigint;
  escrow: string;
  token: ResolvedToken;
  agreementId: bigint;
  client: string;
  vendor: string;
  arbitrator: string;
  relayer: string;
  oracles: string[];
  metricNames: string[];
  /** The agreement as the escrow stores it, in plain numbers (the oracle's view). */
  terms: AgreementTerms;
  deposit: bigint;
  rows: LedgerRow[];
  totals: LedgerTotals;
  /** What each party took out of the escrow. */
  withdrawn: { vendor: bigint; client: bigint };
  /** Token balances of the parties before the demo (the client's before the mint) and after the withdrawals. */
  balances: { before: { vendor: bigint; client: bigint }; after: { vendor: bigint; client: bigint } };
  checks: DemoCheck[];
  outDir: string;
  termsFile: string;
  storeFile: string;
  htmlFile: string;
  ledgerFile: string;
  /** Every command the demo ran and what it printed. */
  commandsFile: string;
  /** Each oracle's state folder (its record of the one digest it signed per milestone), by address. */
  oracleStateDirs: Record<string, string>;
  probes: number;
  seconds: number;
}

function probeOptions(o: DemoOptions): ProbeOptions {
  const stepSeconds = Math.round((o.probeMinutes ?? 30) * 60);
  if (!(stepSeconds > 0)) throw new UserError(`probeMinutes: must be more than 0, got ${o.probeMinutes}`);
  return { stepSeconds, realMsPerProbe: o.realMsPerProbe ?? 2, timeoutMs: o.probeTimeoutMs ?? 2000 };
}

/** Runs the whole demo on `hre`'s network; returns the ledger, the checks and the files written. */
export async function runDemo(hre: HardhatRuntimeEnvironment, options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = path.resolve(options.outDir ?? path.join(hre.config.paths.root, "demo-output"));
  const probing = probeOptions(options);
  await preflight(hre);

  const s = await setUp(hre, {
    outDir,
    log,
    amount: options.amount ?? "1000",
    months: DEMO_TIMELINE.length,
    periodDays: PERIOD_DAYS,
  });
  const months = await playMonths(s, probing);
  const closing = await closeAgreement(s);
  const after = {
    vendor: await s.token.balanceOf(s.vendor.address),
    client: await s.token.balanceOf(s.client.address),
  };

  const rows = await ledgerRows(s, months, closing.status);
  const totals = totalsOf(rows, s.deposit);
  const checks = await runChecks(s, { rows, totals, months, closing, after });
  printLedger(s, { rows, totals, checks });

  const seconds = (Date.now() - t0) / 1000;
  const ledgerFile = writeLedgerJson(s, { rows, totals, checks }, closing.withdrawn);
  const htmlFile = writeHtmlReport(s, { rows, totals, checks }, months, probing, seconds);
  log("");
  log(`reports, signatures and probes: ${s.rel(outDir)}/`);
  log(`HTML report: ${htmlFile}`);
  log(`done in ${seconds.toFixed(1)} s (${months.probes} real probes)`);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) throw new DemoCheckError(failed);

  return {
    ...agreementSummary(s),
    metricNames: [...DEMO_METRICS],
    terms: s.terms,
    deposit: s.deposit,
    rows,
    totals,
    withdrawn: closing.withdrawn,
    balances: { before: s.before, after },
    checks,
    outDir,
    termsFile: s.termsFile,
    storeFile: months.storeFile,
    htmlFile,
    ledgerFile,
    commandsFile: s.commands.file,
    oracleStateDirs: Object.fromEntries(s.oracles.map((o) => [o.address, o.stateDir])),
    probes: months.probes,
    seconds,
  };
}

/** Runs the named scenario with its default options (`npm run demo -- --scenario NAME`, ./launch.ts). */
export async function runScenario(hre: HardhatRuntimeEnvironment, scenario: Scenario): Promise<void> {
  if (scenario === "helpdesk") await runHelpdeskDemo(hre);
  else await runDemo(hre);
}
