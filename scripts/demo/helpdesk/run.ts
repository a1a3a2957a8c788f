/**
 * The helpdesk scenario (`npm run demo -- --scenario helpdesk`): six months of an outsourced service desk's
 * agreement, measured from its ticketing tool's export, through the project's real parts. The acts, in order:
 *
 * 1. terms.ts: the metric spec (four ticket KPIs) and the terms file naming it (`"metricSpec"`); ../setup.ts
 *    deploys, mints, `sla:create --permit` funds the agreement (starting on a Monday), `sla:accept` accepts it;
 * 2. tickets.ts: every ticket of the six months (and two weeks of history) from a seed, month by month as
 *    script.ts says (a good month, an incident storm, a good month, a backlog, recovery, a good month);
 * 3. months.ts: per month the cumulative export (export.ts, dated after the month's end), then `oracle attest`,
 *    `oracle sign`, `sla:settle`, `oracle post` with `--metric-spec` and `--tickets` (../months.ts); after the last
 *    dispute window `sla:settle`, `sla:withdraw` for both parties and `sla:status --metric-spec`;
 * 4. ledger.ts, checks.ts: the ledger from the reports and `sla:status`, checked (the web-service checks, the
 *    values recomputed by the kinds on each export, the deposit against the withdrawals);
 * 5. the ledger on the terminal, ledger.json and the HTML report (html.ts).
 * Every command runs in process (../drive.ts), with its output in demo-output/helpdesk/commands.log.
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { MetricSpec } from "../../lib/kpi/spec";
import type { AgreementTerms } from "../../lib/model";
import type { ResolvedToken } from "../../lib/token";
import { formatAmount } from "../../lib/units";
import { type DemoCheck, DemoCheckError } from "../checks";
import { type LedgerTotals, totalsOf } from "../ledger";
import { closeAgreement } from "../months";
import { reportHeader, writeLedgerJson } from "../render";
import { agreementSummary, preflight, setUp } from "../setup";
import { type HelpdeskRow, formatHelpdeskLedger, helpdeskRows } from "./ledger";
import { helpdeskChecks } from "./checks";
import { renderHelpdeskHtml } from "./html";
import { playHelpdeskMonths } from "./months";
import { HELPDESK_SCRIPT } from "./script";
import { HELPDESK_METRICS, SPEC_FILE_NAME, helpdeskTerms, writeSpecFile } from "./terms";
import { DEFAULT_SEED, type Ticket, generateTickets, nextMonday } from "./tickets";

export interface HelpdeskOptions {
  /** Where the spec, the exports, reports, signatures, the ledger and the HTML go. Default `<project>/demo-output/helpdesk`. */
  outDir?: string;
  /** Progress and ledger lines. Default console.log. */
  log?: (line: string) => void;
  /** Each milestone's amount in TUSD. Default "5000". */
  amount?: string;
  /** The ticket generator's seed. Default DEFAULT_SEED (the cuts docs/demo.md quotes). */
  seed?: number;
}

const PERIOD_DAYS = 30;

export interface HelpdeskResult {
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
  specs: MetricSpec[];
  terms: AgreementTerms;
  deposit: bigint;
  rows: HelpdeskRow[];
  totals: LedgerTotals;
  withdrawn: { vendor: bigint; client: bigint };
  balances: { before: { vendor: bigint; client: bigint }; after: { vendor: bigint; client: bigint } };
  checks: DemoCheck[];
  seed: number;
  /** Every ticket, with its whole life (the exports show each as known when they were taken). */
  tickets: Ticket[];
  outDir: string;
  specFile: string;
  termsFile: string;
  exportFiles: string[];
  htmlFile: string;
  ledgerFile: string;
  commandsFile: string;
  oracleStateDirs: Record<string, string>;
  seconds: number;
}

/** Relative link from the output folder, with forward slashes. */
function link(outDir: string, file: string): string {
  return path.relative(outDir, file).split(path.sep).join("/");
}

/** Runs the helpdesk scenario on `hre`'s network; returns the ledger, the checks and the files written. */
export async function runHelpdeskDemo(
  hre: HardhatRuntimeEnvironment,
  options: HelpdeskOptions = {},
): Promise<HelpdeskResult> {
  const t0 = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = path.resolve(options.outDir ?? path.join(hre.config.paths.root, "demo-output", "helpdesk"));
  const seed = options.seed ?? DEFAULT_SEED;
  await preflight(hre);

  fs.rmSync(path.join(outDir, "exports"), { recursive: true, force: true });
  const spec = writeSpecFile(outDir);
  log(`helpdesk scenario: a service desk measured from its ticket export (metric spec ${SPEC_FILE_NAME})`);
  const s = await setUp(hre, {
    outDir,
    log,
    amount: options.amount ?? "5000",
    months: HELPDESK_SCRIPT.length,
    periodDays: PERIOD_DAYS,
    terms: helpdeskTerms,
    startAfter: nextMonday,
  });
  const tickets = generateTickets(s.terms.startAt, PERIOD_DAYS * 86_400, seed);
  log(
    `  generated ${tickets.length} tickets from seed ${seed}: six months from the agreement's start (a Monday) and two weeks before it`,
  );

  const months = await playHelpdeskMonths(s, spec, tickets);
  const closing = await closeAgreement(s, { metricSpec: spec.file });
  const after = {
    vendor: await s.token.balanceOf(s.vendor.address),
    client: await s.token.balanceOf(s.client.address),
  };

  const rows = await helpdeskRows(s, months, closing.status);
  const totals = totalsOf(rows, s.deposit);
  const checks = await helpdeskChecks(s, spec.specs, { rows, totals, months: { outcomes: months }, closing, after });
  const failed = checks.filter((c) => !c.ok);

  log("");
  log(
    `ledger of agreement ${s.id} (amounts in ${s.tokenInfo.symbol}; deposit ${formatAmount(s.deposit, s.tokenInfo)})`,
  );
  for (const line of formatHelpdeskLedger(rows, totals, spec.specs, s.tokenInfo)) log(`  ${line}`);
  log("");
  log(
    `  deposit ${formatAmount(s.deposit, s.tokenInfo)} = vendor ${formatAmount(totals.toVendor, s.tokenInfo)} + client ${formatAmount(totals.toClient, s.tokenInfo)}` +
      `${totals.toVendor + totals.toClient === s.deposit ? "" : "  <-- DOES NOT ADD UP"}`,
  );
  log(
    `  checks: ${checks.length - failed.length} of ${checks.length} passed (values = the kinds on each export, cuts on chain = ledger = penalty rule, deposit = withdrawals, balances exact)`,
  );

  const seconds = (Date.now() - t0) / 1000;
  const ledgerFile = writeLedgerJson(s, { rows, totals, checks }, closing.withdrawn);
  const htmlFile = path.join(outDir, "report.html");
  const commandLines = fs
    .readFileSync(s.commands.file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("$ "));
  fs.writeFileSync(
    htmlFile,
    renderHelpdeskHtml({
      ...reportHeader(s),
      specs: spec.specs,
      rows,
      totals,
      tickets,
      seed,
      specLink: link(outDir, spec.file),
      termsLink: link(outDir, s.termsFile),
      commandsLink: link(outDir, s.commands.file),
      reportLinks: rows.map((r) => link(outDir, r.reportFile)),
      exportLinks: rows.map((r) => link(outDir, r.exportFile)),
      commandLines,
      seconds,
    }),
  );
  log("");
  log(`metric spec, terms, exports, reports and signatures: ${s.rel(outDir)}/`);
  log(`HTML report: ${htmlFile}`);
  log(`done in ${seconds.toFixed(1)} s (${tickets.length} tickets)`);
  if (failed.length > 0) throw new DemoCheckError(failed);

  return {
    ...agreementSummary(s),
    metricNames: [...HELPDESK_METRICS],
    specs: spec.specs,
    terms: s.terms,
    deposit: s.deposit,
    rows,
    totals,
    withdrawn: closing.withdrawn,
    balances: { before: s.before, after },
    checks,
    seed,
    tickets,
    outDir,
    specFile: spec.file,
    termsFile: s.termsFile,
    exportFiles: rows.map((r) => r.exportFile),
    htmlFile,
    ledgerFile,
    commandsFile: s.commands.file,
    oracleStateDirs: Object.fromEntries(s.oracles.map((o) => [o.address, o.stateDir])),
    seconds,
  };
}
