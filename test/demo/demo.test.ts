/**
 * The one-command demo (scripts/demo), run in process on the in-process network: six months of probing a
 * scripted service, attesting, settling and withdrawing. Checks the ledger against the penalty rule on the
 * reported values, the chain against the ledger, the totals against the deposit, the balances after the
 * withdrawals, and the HTML report; and that the expected failures are one clear line.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { keccak256 } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Commands } from "../../scripts/demo/drive";
import { demoFailureMessage } from "../../scripts/demo/errors";
import { type DemoResult, runDemo } from "../../scripts/demo/run";
import { UserError } from "../../scripts/lib/errors";
import { cutBps, split } from "../../scripts/lib/penalty";
import { formatUnitsExact } from "../../scripts/lib/units";
import { computeMetrics } from "../../scripts/oracle/metrics";
import { loadReport } from "../../scripts/oracle/report";
import { inPeriod } from "../../scripts/oracle/samples";
import { readSignedRecord } from "../../scripts/oracle/sign-record";
import { readStore } from "../../scripts/oracle/store";
import { privateKeyOf } from "../oracle/helpers";

const UNIT = 10n ** 18n;

describe("demo: npx hardhat run scripts/demo/index.ts", function () {
  this.timeout(120_000);

  let outDir: string;
  let lines: string[];
  let result: DemoResult;
  let envBefore: (string | undefined)[];

  before(async function () {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "sla-demo-"));
    lines = [];
    envBefore = [process.env.ORACLE_PRIVATE_KEY, process.env.ORACLE_RELAYER_PRIVATE_KEY];
    const t0 = Date.now();
    result = await runDemo(hre, { outDir, log: (line) => lines.push(line) });
    // The demo is meant to run in well under a minute.
    expect(Date.now() - t0).to.be.below(60_000);
  });

  after(function () {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it("runs six monthly milestones of 1000 TUSD with 2 of 3 ascending oracles and prints the ledger", async function () {
    expect(result.network).to.equal("hardhat");
    expect(result.rows).to.have.length(6);
    expect(result.deposit).to.equal(6000n * UNIT);
    expect(result.terms.threshold).to.equal(2);
    expect(result.oracles).to.have.length(3);
    const sorted = [...result.oracles].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(result.oracles).to.deep.equal(sorted);
    expect(result.terms.metrics.map((m) => m.tiers.length)).to.deep.equal([3, 3]);
    for (const r of result.rows) {
      expect(r.amount).to.equal(1000n * UNIT);
      expect(r.signerIndexes).to.have.length(2);
      // Every probe of the month is in the period: 30 days, one probe per 30 virtual minutes.
      expect(r.samples.all).to.equal(1440);
    }
    const text = lines.join("\n");
    expect(text).to.include(`ledger of agreement ${result.agreementId}`);
    expect(text).to.match(/checks: (\d+) of \1 passed/);
    expect(text).to.include(`HTML report: ${result.htmlFile}`);
    expect(result.checks.every((c) => c.ok)).to.equal(true);
  });

  it("measures the scripted timeline: outages in months 2, 4 and 6, slow spells in months 3 and 4", async function () {
    // Availability depends only on which probes failed, which the script decides.
    expect(result.rows.map((r) => r.availabilityPpm)).to.deep.equal([
      1_000_000, 997_916, 1_000_000, 991_666, 1_000_000, 944_444,
    ]);
    expect(result.rows.map((r) => r.samples.failed)).to.deep.equal([0, 3, 0, 12, 0, 80]);
    // A response is never measured faster than the service delayed it: the slow spells set a lower bound.
    expect(result.rows[2].p95Ms).to.be.at.least(600);
    expect(result.rows[3].p95Ms).to.be.at.least(1100);
  });

  it("follows the penalty rule on the reported values, and the reports are what the probes say", async function () {
    const samples = readStore(result.storeFile).samples;
    for (const r of result.rows) {
      const { report, evidence } = loadReport(r.reportFile);
      expect(report.milestone).to.equal(r.milestone);
      expect(report.values).to.deep.equal(r.values);
      expect(evidence).to.equal(r.evidence);
      // The oracle's metrics recomputed from its probe store.
      const recomputed = computeMetrics(inPeriod(samples, r.period.start, r.period.end), result.metricNames);
      expect(recomputed.values).to.deep.equal(r.values);
      const cut = cutBps(result.terms.metrics, report.values);
      expect(r.cutBps).to.equal(cut);
      expect(report.cutBps).to.equal(cut);
      const expected = split(r.amount, cut);
      expect(r.toVendor).to.equal(expected.toVendor);
      expect(r.toClient).to.equal(expected.toClient);
    }
  });

  it("the chain agrees with the ledger: cuts, attested values, evidence and settlements", async function () {
    const escrow = await hre.ethers.getContractAt("SLAEscrow", result.escrow);
    const id = result.agreementId;
    expect(await escrow.agreementStatus(id)).to.equal(3n); // Closed
    const posted = await escrow.queryFilter(escrow.filters.AttestationPosted(id));
    const settled = await escrow.queryFilter(escrow.filters.MilestoneSettled(id));
    expect(posted).to.have.length(6);
    expect(settled).to.have.length(6);
    for (const r of result.rows) {
      const [status, cut] = await escrow.milestoneInfo(id, r.milestone);
      expect(status).to.equal(3n);
      expect(Number(cut)).to.equal(r.cutBps);
      const p = posted.find((e) => Number(e.args.milestone) === r.milestone);
      expect(p, `AttestationPosted ${r.milestone}`).to.not.equal(undefined);
      expect(p?.args[3].map((v) => Number(v))).to.deep.equal(r.values);
      expect(p?.args.evidence).to.equal(keccak256(fs.readFileSync(r.reportFile)));
      expect(Number(p?.args.cutBps)).to.equal(r.cutBps);
      // Two of the three oracles signed.
      expect(p?.args.signerMask.toString(2).replace(/0/g, "")).to.equal("11");
      const s = settled.find((e) => Number(e.args.milestone) === r.milestone);
      expect(s?.args.kind).to.equal(0n); // settled with the attested cut
      expect(s?.args.toVendor).to.equal(r.toVendor);
      expect(s?.args.toClient).to.equal(r.toClient);
    }
  });

  it("drives the real commands (sla:* tasks, the oracle program) and keeps every oracle's signing record in its own state folder", async function () {
    const transcript = fs.readFileSync(result.commandsFile, "utf8");
    const commands = transcript
      .split("\n")
      .filter((l) => l.startsWith("$ "))
      .map((l) => /npx hardhat (sla:\S+|oracle \S+)/.exec(l)?.[1]);
    const count = (c: string): number => commands.filter((x) => x === c).length;
    expect(count("sla:create")).to.equal(1);
    expect(count("sla:accept")).to.equal(1);
    for (const c of ["oracle attest", "oracle sign", "oracle post", "oracle verify", "sla:settle"])
      expect(count(c), c).to.equal(6);
    expect(count("sla:withdraw")).to.equal(2);
    expect(count("sla:status")).to.equal(1);
    expect(commands).to.have.length(35);
    // The oracles' keys travel in ORACLE_PRIVATE_KEY for the call only and are never written down.
    for (const a of [result.relayer, ...result.oracles]) expect(transcript).to.not.include(privateKeyOf(a).slice(2));
    expect([process.env.ORACLE_PRIVATE_KEY, process.env.ORACLE_RELAYER_PRIVATE_KEY]).to.deep.equal(envBefore);

    // Each oracle has its own state folder in the demo's output, holding the one digest it signed per milestone:
    // the posted attestation's. The oracle that did not sign a milestone has no record of it.
    for (const dir of Object.values(result.oracleStateDirs))
      expect(path.relative(result.outDir, dir).startsWith("..")).to.equal(false);
    for (const r of result.rows) {
      for (const oracle of result.oracles) {
        const key = {
          chainId: result.chainId,
          escrow: result.escrow,
          agreementId: result.agreementId,
          milestone: r.milestone,
          oracle,
        };
        const record = readSignedRecord(result.oracleStateDirs[oracle], key);
        if (r.signers.includes(oracle)) {
          expect(record?.evidence, `milestone ${r.milestone} ${oracle}`).to.equal(r.evidence);
          expect(record?.values).to.deep.equal(r.values);
        } else {
          expect(record, `milestone ${r.milestone} ${oracle}`).to.equal(undefined);
        }
      }
      // The two signature files beside the report, as `oracle attest` and `oracle sign` write them.
      const sigs = fs
        .readdirSync(path.dirname(r.reportFile))
        .filter(
          (f) => f.startsWith(`agreement-${result.agreementId}-milestone-${r.milestone}.`) && f.endsWith(".sig.json"),
        );
      expect(sigs).to.have.length(2);
    }
  });

  it("the totals add up exactly to the deposit", async function () {
    const vendor = result.rows.reduce((s, r) => s + r.toVendor, 0n);
    const client = result.rows.reduce((s, r) => s + r.toClient, 0n);
    expect(result.totals.toVendor).to.equal(vendor);
    expect(result.totals.toClient).to.equal(client);
    expect(vendor + client).to.equal(result.deposit);
    expect(result.totals.deposit).to.equal(result.deposit);
  });

  it("the balances after the withdrawals are exact, and nothing is left in the escrow", async function () {
    const escrow = await hre.ethers.getContractAt("SLAEscrow", result.escrow);
    const token = await hre.ethers.getContractAt("MockERC20Permit", result.token.address);
    expect(result.withdrawn).to.deep.equal({ vendor: result.totals.toVendor, client: result.totals.toClient });
    expect(await token.balanceOf(result.vendor)).to.equal(result.balances.before.vendor + result.totals.toVendor);
    // The client was minted the deposit, paid it in, and got the refunds back.
    expect(await token.balanceOf(result.client)).to.equal(result.balances.before.client + result.totals.toClient);
    expect(await escrow.balanceOf(result.vendor, result.token.address)).to.equal(0n);
    expect(await escrow.balanceOf(result.client, result.token.address)).to.equal(0n);
    expect(await token.balanceOf(result.escrow)).to.equal(0n);
  });

  it("writes a self-contained HTML report with a chart per metric against its thresholds and the payouts", async function () {
    expect(fs.existsSync(result.htmlFile)).to.equal(true);
    const html = fs.readFileSync(result.htmlFile, "utf8");
    for (const id of ["chart-availability", "chart-latency", "chart-payouts", "chart-timeline"]) {
      expect(html).to.include(`<svg id="${id}"`);
    }
    // One bar per milestone in each per-period chart, and a dashed line per tier.
    const chart = (id: string): string => {
      const start = html.indexOf(`<svg id="${id}"`);
      return html.slice(start, html.indexOf("</svg>", start));
    };
    for (const id of ["chart-availability", "chart-latency"]) {
      expect(chart(id).match(/class="bar"/g)).to.have.length(6);
      expect(chart(id).match(/class="threshold"/g)).to.have.length(3);
    }
    expect(chart("chart-payouts").match(/class="bar vendor"/g)).to.have.length(6);
    for (const label of ["&lt; 99.9%: cut 10%", "&gt; 1000ms: cut 30%"]) expect(html).to.include(label);
    expect(html).to.include(formatUnitsExact(result.totals.toVendor, 18));
    // Nothing from elsewhere: no scripts, style sheets, images, fonts or frames.
    expect(html).to.not.match(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).to.not.match(/(src|href)="https?:/i);
  });

  it("a command that fails stops the demo with the command's own error line, and leaves the exit code and keys alone", async function () {
    const commands = new Commands(hre, path.join(outDir, "failing.log"));
    const exitCode = process.exitCode;
    const failure = async (run: () => Promise<unknown>): Promise<Error> => {
      try {
        await run();
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected the command to fail");
    };
    const task = await failure(() => commands.task("sla:settle", { id: "999" }));
    expect(task).to.be.instanceOf(UserError);
    expect(task.message).to.match(/^sla:settle: .*999/);
    const key = privateKeyOf(result.oracles[0]);
    const oracle = await failure(() =>
      commands.oracle(
        {
          command: "attest",
          agreement: "999",
          milestone: "0",
          samples: result.storeFile,
          metrics: result.metricNames.join(","),
          state: path.join(outDir, "failing-state"),
        },
        { ORACLE_PRIVATE_KEY: key },
      ),
    );
    expect(oracle).to.be.instanceOf(UserError);
    expect(oracle.message).to.match(/^oracle attest: --agreement: agreement 999 does not exist/);
    expect(await demoFailureMessage(oracle, hre)).to.equal(oracle.message);
    expect(process.exitCode).to.equal(exitCode);
    expect([process.env.ORACLE_PRIVATE_KEY, process.env.ORACLE_RELAYER_PRIVATE_KEY]).to.deep.equal(envBefore);
    const transcript = fs.readFileSync(commands.file, "utf8");
    expect(transcript).to.include("error: ");
    expect(transcript).to.not.include(key.slice(2));
  });

  it("a local node that is not running is one clear line, not a stack trace", async function () {
    const fake = {
      ...hre,
      network: {
        ...hre.network,
        name: "localhost",
        config: { ...hre.network.config, url: "http://127.0.0.1:8545" },
        provider: {
          request: async (): Promise<never> => {
            throw Object.assign(new Error("HH108: Cannot connect to the network localhost."), { number: 108 });
          },
        },
      },
    } as unknown as HardhatRuntimeEnvironment;
    let err: unknown;
    try {
      await runDemo(fake, { outDir, log: () => undefined });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UserError);
    expect(await demoFailureMessage(err, fake)).to.equal(
      "no node at http://127.0.0.1:8545: start one with npx hardhat node",
    );
    // The same error thrown later (a node that goes away mid-run) reads the same.
    const late = Object.assign(new Error("HH108: Cannot connect to the network localhost."), { number: 108 });
    expect(await demoFailureMessage(late, fake)).to.equal(
      "no node at http://127.0.0.1:8545: start one with npx hardhat node",
    );
  });

  it("refuses a public network (the demo moves the chain's clock)", async function () {
    const fake = { ...hre, network: { ...hre.network, name: "sepolia" } } as unknown as HardhatRuntimeEnvironment;
    let err: unknown;
    try {
      await runDemo(fake, { outDir, log: () => undefined });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UserError);
    expect((err as Error).message).to.match(/not on "sepolia"/);
  });
});
