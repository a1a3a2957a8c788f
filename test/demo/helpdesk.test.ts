/**
 * The demo's helpdesk scenario (scripts/demo/helpdesk, `npm run demo -- --scenario helpdesk`), run in process on
 * the in-process network: six months of a service desk measured from its ticket export by 2 of 3 oracles. Checks
 * that every month was attested by two oracles from that month's export with the metric spec, that each posted
 * value is what the metric kinds compute on that export, the cuts of the storm and backlog months, that the money
 * adds up, the HTML report; and that the launcher refuses an unknown scenario in one line.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { keccak256 } from "ethers";
import { type HelpdeskResult, runHelpdeskDemo } from "../../scripts/demo/helpdesk/run";
import { generateTickets } from "../../scripts/demo/helpdesk/tickets";
import { parseTicketsCsv } from "../../scripts/lib/kpi/exports/tickets";
import { cutBps, split } from "../../scripts/lib/penalty";
import { loadReport } from "../../scripts/oracle/report";

const UNIT = 10n ** 18n;
const ROOT = path.resolve(__dirname, "..", "..");

describe("demo: npm run demo -- --scenario helpdesk", function () {
  this.timeout(120_000);

  let outDir: string;
  let lines: string[];
  let result: HelpdeskResult;
  let ms: number;

  before(async function () {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "sla-helpdesk-"));
    lines = [];
    const t0 = Date.now();
    result = await runHelpdeskDemo(hre, { outDir, log: (line) => lines.push(line) });
    ms = Date.now() - t0;
  });

  after(function () {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it("runs six monthly milestones of 5000 TUSD on four ticket KPIs in well under a minute, and prints the ledger", function () {
    expect(ms).to.be.below(60_000);
    expect(result.rows).to.have.length(6);
    expect(result.deposit).to.equal(30_000n * UNIT);
    expect(result.metricNames).to.deep.equal([
      "P1 response within 1h",
      "P2 resolution within 8h",
      "Resolution p90",
      "CSAT",
    ]);
    expect(result.specs.map((s) => s.kind.kind)).to.deep.equal([
      "tickets.response_within_target_ppm",
      "tickets.resolution_within_target_ppm",
      "tickets.resolution_minutes",
      "tickets.csat_ppm",
    ]);
    expect(result.terms.metrics.map((m) => m.higherIsBetter)).to.deep.equal([true, true, false, true]);
    // The thresholds in the kinds' units: 95%, 90%, 24h (in minutes), 85%.
    expect(result.terms.metrics.map((m) => Number(m.tiers[0].threshold))).to.deep.equal([
      950_000, 900_000, 1440, 850_000,
    ]);
    // The terms file names the spec file beside it.
    const terms = JSON.parse(fs.readFileSync(result.termsFile, "utf8")) as { metricSpec: string };
    expect(path.resolve(path.dirname(result.termsFile), terms.metricSpec)).to.equal(result.specFile);
    // The agreement starts on a Monday 00:00 UTC (1970-01-05 was one): the same week pattern every run.
    expect((result.terms.startAt - 4 * 86_400) % (7 * 86_400)).to.equal(0);
    const text = lines.join("\n");
    expect(text).to.include(`ledger of agreement ${result.agreementId}`);
    expect(text).to.match(/checks: (\d+) of \1 passed/);
    expect(text).to.include(`HTML report: ${result.htmlFile}`);
    expect(result.checks.every((c) => c.ok)).to.equal(true);
  });

  it("every month is attested by two oracles from that month's export, with the metric spec", async function () {
    const escrow = await hre.ethers.getContractAt("SLAEscrow", result.escrow);
    const posted = await escrow.queryFilter(escrow.filters.AttestationPosted(result.agreementId));
    expect(posted.map((e) => Number(e.args.milestone))).to.deep.equal([0, 1, 2, 3, 4, 5]);
    for (const e of posted) expect(e.args.signerMask.toString(2).replace(/0/g, "")).to.equal("11");
    for (const r of result.rows) expect(r.signers).to.have.length(2);

    const commands = fs
      .readFileSync(result.commandsFile, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("$ "));
    const named = (c: string): string[] => commands.filter((l) => l.includes(`npx hardhat ${c} `));
    for (const c of ["oracle attest", "oracle sign"]) {
      expect(named(c), c).to.have.length(6);
      named(c).forEach((line, i) => {
        // The files as the transcript shows them (relative to the working directory when below it).
        expect(line).to.match(new RegExp(`--metric-spec \\S*/${path.basename(result.specFile)} `));
        expect(line).to.match(new RegExp(`--tickets \\S*/${path.basename(result.exportFiles[i])}( |$)`));
      });
    }
    expect(named("oracle post")).to.have.length(6);
    expect(named("sla:create")).to.have.length(1);
    expect(named("sla:accept")).to.have.length(1);
    expect(named("sla:settle")).to.have.length(6);
    expect(named("sla:withdraw")).to.have.length(2);
    expect(named("sla:status")).to.have.length(1);
    expect(named("sla:status")[0]).to.include("--metric-spec");
  });

  it("each posted value is what the kinds compute on that month's export, and the report names the export's bytes", async function () {
    const escrow = await hre.ethers.getContractAt("SLAEscrow", result.escrow);
    const posted = await escrow.queryFilter(escrow.filters.AttestationPosted(result.agreementId));
    for (const r of result.rows) {
      const bytes = fs.readFileSync(r.exportFile);
      const table = parseTicketsCsv(bytes.toString("utf8"), path.basename(r.exportFile));
      const kinds = result.specs.map((spec) => spec.kind.compute(table, spec.params, r.period).value);
      const event = posted.find((e) => Number(e.args.milestone) === r.milestone);
      expect(
        event?.args[3].map((v) => Number(v)),
        `milestone ${r.milestone}`,
      ).to.deep.equal(kinds);
      expect(r.values).to.deep.equal(kinds);
      const { report } = loadReport(r.reportFile);
      expect(report.sources.tickets?.fileKeccak256).to.equal(keccak256(bytes));
      expect(report.values).to.deep.equal(kinds);
      expect(report.cutBps).to.equal(cutBps(result.terms.metrics, kinds));
      // The export job ran after the month's end, and the file is dated then.
      expect(fs.statSync(r.exportFile).mtimeMs / 1000).to.be.above(r.period.end);
    }
  });

  it("the exports are cumulative and show each ticket as known when they were taken", function () {
    const tables = result.rows.map((r) => parseTicketsCsv(fs.readFileSync(r.exportFile, "utf8"), "export"));
    for (let k = 1; k < tables.length; k++) {
      expect(tables[k].length).to.be.above(tables[k - 1].length);
      expect(tables[k].id.slice(0, tables[k - 1].length).join(",")).to.equal(tables[k - 1].id.join(","));
    }
    // Tickets open at the backlog month's export and resolved by the next one.
    const [m4, m5] = [tables[3], tables[4]];
    let laterResolved = 0;
    for (let i = 0; i < m4.length; i++) if (!(m4.resolvedAt[i] >= 0) && m5.resolvedAt[i] >= 0) laterResolved++;
    expect(laterResolved).to.be.above(300);
    // Hundreds to a few thousand tickets a month, about a quarter of them rated.
    for (const r of result.rows) {
      expect(r.tickets.created).to.be.within(1500, 3000);
      expect(r.tickets.rated / r.tickets.created).to.be.within(0.15, 0.35);
    }
    // The same seed gives the same tickets.
    const again = generateTickets(result.terms.startAt, 30 * 86_400, result.seed);
    expect(again).to.have.length(result.tickets.length);
    expect(JSON.stringify(again)).to.equal(JSON.stringify(result.tickets));
  });

  it("the storm and backlog months are cut as the tiers say", function () {
    expect(result.rows.map((r) => r.cutBps)).to.deep.equal([0, 1500, 0, 2500, 1500, 0]);
    // Month 2, the P1 incident storm: P1 responses within 1h fall below 90%: 15%.
    const storm = result.rows[1];
    expect(storm.values[0]).to.be.below(900_000);
    expect(storm.metricCutsBps).to.deep.equal([1500, 0, 0, 0]);
    // Month 4, the backlog: P2 resolution within 8h below 90% (5%), resolution p90 above 48h (10%), CSAT below 75% (10%).
    const backlog = result.rows[3];
    expect(backlog.values[1]).to.be.within(800_000, 899_999);
    expect(backlog.values[2]).to.be.above(48 * 60);
    expect(backlog.values[3]).to.be.below(750_000);
    expect(backlog.metricCutsBps).to.deep.equal([0, 500, 1000, 1000]);
    for (const r of result.rows) {
      expect(r.onChainCutBps).to.equal(r.cutBps);
      const expected = split(r.amount, r.cutBps);
      expect([r.toVendor, r.toClient]).to.deep.equal([expected.toVendor, expected.toClient]);
    }
  });

  it("conserves the money: the deposit is exactly what the vendor and the client withdrew", async function () {
    expect(result.withdrawn.vendor + result.withdrawn.client).to.equal(result.deposit);
    expect(result.withdrawn).to.deep.equal({ vendor: result.totals.toVendor, client: result.totals.toClient });
    expect(result.totals.toVendor).to.equal(27_250n * UNIT);
    expect(result.totals.toClient).to.equal(2_750n * UNIT);
    const token = await hre.ethers.getContractAt("MockERC20Permit", result.token.address);
    expect(await token.balanceOf(result.vendor)).to.equal(result.balances.before.vendor + result.withdrawn.vendor);
    expect(await token.balanceOf(result.client)).to.equal(result.balances.before.client + result.withdrawn.client);
    expect(await token.balanceOf(result.escrow)).to.equal(0n);
  });

  it("writes a self-contained HTML report with a chart per KPI against its tiers", function () {
    expect(fs.existsSync(result.htmlFile)).to.equal(true);
    const html = fs.readFileSync(result.htmlFile, "utf8");
    for (const name of result.metricNames) expect(html).to.include(name);
    const chart = (id: string): string => {
      const start = html.indexOf(`<svg id="${id}"`);
      expect(start, id).to.be.above(-1);
      return html.slice(start, html.indexOf("</svg>", start));
    };
    for (let k = 1; k <= 4; k++) {
      expect(chart(`chart-kpi-${k}`).match(/class="bar"/g)).to.have.length(6);
      expect(chart(`chart-kpi-${k}`).match(/class="threshold"/g)).to.have.length(2);
    }
    expect(chart("chart-payouts").match(/class="bar vendor"/g)).to.have.length(6);
    expect(chart("chart-tickets")).to.include('class="open"');
    for (const label of ["&lt; 95%: cut 5%", "&gt; 48h: cut 10%", "&lt; 75%: cut 10%"]) expect(html).to.include(label);
    expect(html).to.not.match(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).to.not.match(/(src|href)="https?:/i);
  });

  it("the launcher (npm run demo) refuses an unknown scenario in one line with exit code 1", function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { demo: string } };
    const run = spawnSync(`${pkg.scripts.demo} --scenario nonsense`, {
      cwd: ROOT,
      shell: true,
      encoding: "utf8",
      env: { ...process.env, PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` },
    });
    expect(run.status).to.equal(1);
    expect(run.stdout).to.equal("");
    expect(run.stderr).to.equal('error: unknown scenario "nonsense" (valid: web-service, helpdesk)\n');
  });
});
