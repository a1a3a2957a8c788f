/**
 * `oracle run --once` in process: discovery of the agreements naming the oracle, batched posting (one
 * multicall), idempotence across rounds, settling when allowed, and co-signing through a shared folder.
 * (Killing the process and restarting the node are in e2e.test.ts, against a separate `hardhat node`.)
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { formatSamplesCsv } from "../../scripts/oracle/csv";
import type { ISLAEscrow } from "../../typechain-types";
import { DAY, Milestone, UNIT, createActive, makeTerms, setup } from "../helpers/fixture";
import { makeSamples, privateKeyOf, runOracle, tempDir } from "./helpers";

type Log = Record<string, unknown> & { action: string; agreement?: string; milestone?: number; txHash?: string };

function logs(stdout: string[]): Log[] {
  return stdout.map((l) => JSON.parse(l) as Log);
}

/** Samples for every milestone of `terms`: 1000 per period, `failed` failed, p95 around `p95`. */
function samplesFor(terms: ISLAEscrow.TermsStruct, failed: number, p95: number, seed = 1): string {
  const rows = [];
  let start = Number(terms.startAt);
  for (const m of terms.milestones) {
    const end = Number(m.dueAt);
    rows.push(...makeSamples(start, end, 1000, failed, (j) => (j < 945 ? p95 - 300 + Math.floor((j * 300) / 944) : p95 + 200), seed++));
    start = end;
  }
  return formatSamplesCsv(rows);
}

describe("oracle run (daemon, in process)", function () {
  it("finds its agreements, posts due milestones in one multicall, never twice, then settles", async function () {
    const ctx = await setup();
    const [o0, o1] = ctx.oracles;
    const t0 = await makeTerms(ctx, { threshold: 1 });
    const t1 = await makeTerms(ctx, { threshold: 1, milestones: t0.milestones.map((m) => ({ ...m, amount: UNIT })) });
    const id1 = await createActive(ctx, t1);
    const id2 = await createActive(ctx, await makeTerms(ctx, { threshold: 1, startAt: t1.startAt, milestones: t1.milestones }));
    // An agreement that does not name oracle 0, and one with another metric shape: both ignored.
    const idOther = await createActive(ctx, await makeTerms(ctx, { threshold: 1, oracles: [o1.address] }));
    const idShape = await createActive(ctx, await makeTerms(ctx, { threshold: 1, metrics: [t1.metrics[0]] }));
    const dir = tempDir();
    const samples = path.join(dir, "samples.csv");
    fs.writeFileSync(samples, samplesFor(t1, 6, 600));
    const state = path.join(dir, "state");
    const args = { command: "run", once: true, samples, metrics: "availability_ppm,latency_p95_ms", escrow: ctx.escrowAddress, state };
    const env = { ORACLE_PRIVATE_KEY: privateKeyOf(o0.address) };

    // Nothing due yet: discovery only.
    const r0 = await runOracle(args, env);
    expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
    const l0 = logs(r0.stdout);
    expect(l0.filter((l) => l.action === "discovered").map((l) => l.agreement)).to.deep.equal([id1.toString(), id2.toString()]);
    expect(l0.find((l) => l.action === "skip-agreement")?.agreement).to.equal(idShape.toString());
    expect(l0.some((l) => l.agreement === idOther.toString())).to.equal(false);
    for (const l of l0) expect(l).to.have.keys(Object.keys(l)).and.include.keys("time", "level", "action");

    await time.increaseTo(t1.milestones[0].dueAt);
    const r1 = await runOracle(args, env);
    expect(r1.result.exitCode, r1.stderr.join("\n")).to.equal(0);
    const posted = logs(r1.stdout).filter((l) => l.action === "posted");
    expect(posted.map((l) => [l.agreement, l.milestone])).to.deep.equal([[id1.toString(), 0], [id2.toString(), 0]]);
    expect(posted[0].txHash).to.match(/^0x[0-9a-f]{64}$/).and.equal(posted[1].txHash); // one multicall
    for (const id of [id1, id2]) {
      const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0));
      expect(events).to.have.length(1);
      expect(events[0].args[3].map(Number)).to.deep.equal([994_000, 600]);
      expect(events[0].args.cutBps).to.equal(4000n);
      expect(events[0].transactionHash).to.equal(posted[0].txHash);
    }

    // A second round posts nothing (chain state says Attested; no arbitrator-free settle yet: the window runs).
    const r2 = await runOracle(args, env);
    expect(logs(r2.stdout).filter((l) => ["posting", "posted", "settling"].includes(l.action))).to.deep.equal([]);

    // After the dispute window both settle, in one transaction.
    await time.increase(2 * DAY);
    const r3 = await runOracle(args, env);
    const settled = logs(r3.stdout).filter((l) => l.action === "settled");
    expect(settled.map((l) => [l.agreement, l.milestone])).to.deep.equal([[id1.toString(), 0], [id2.toString(), 0]]);
    expect((await ctx.escrow.milestoneInfo(id1, 0))[0]).to.equal(Milestone.Settled);

    // Two daemons on one state folder are refused.
    fs.writeFileSync(path.join(state, "lock"), String(process.pid === 1 ? 2 : 1));
    const locked = await runOracle(args, env);
    expect(locked.result.exitCode).to.equal(1);
    expect(locked.stderr[0]).to.match(/^error: --state: .* is in use by process 1/);
    fs.rmSync(path.join(state, "lock"));
  });

  it("co-signs through a shared folder: each oracle proposes its report and co-signs the others' within tolerance; an outlier cannot block", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx); // 2 of 3
    const id = await createActive(ctx, terms);
    const dir = tempDir();
    const shared = path.join(dir, "shared");
    const folder = path.join(shared, `31337-${ctx.escrowAddress}`);
    // Oracles 0 and 1 see nearly the same service; oracle 2 sees p95 800 ms against their ~600.
    const files = [samplesFor(terms, 6, 600, 1), samplesFor(terms, 7, 620, 11), samplesFor(terms, 6, 800, 21)].map((text, i) => {
      const f = path.join(dir, `o${i}.csv`);
      fs.writeFileSync(f, text);
      return f;
    });
    const run = (i: number, stagger = "0") =>
      runOracle(
        { command: "run", once: true, samples: files[i], metrics: "availability_ppm,latency_p95_ms", escrow: ctx.escrowAddress, state: path.join(dir, `state${i}`), shared, stagger },
        { ORACLE_PRIVATE_KEY: privateKeyOf(ctx.oracles[i].address) },
      );
    await time.increaseTo(terms.milestones[0].dueAt);

    // A corrupt file among the proposals: refused with the file named; the daemon carries on (exit 0).
    fs.mkdirSync(folder, { recursive: true });
    const junk = path.join(folder, `agreement-${id}-milestone-0.report.junk.json`);
    fs.writeFileSync(junk, "{ not a report");

    // The outlier goes first: it proposes its own report and waits (nobody else has signed it).
    const c = await run(2);
    expect(c.result.exitCode, c.stderr.join("\n")).to.equal(0);
    const lc = logs(c.stdout);
    expect(lc.map((l) => l.action)).to.include.members(["report", "proposed", "signed", "waiting"]);
    expect(lc.find((l) => l.action === "refused")?.reason).to.match(/report\.junk\.json: .*not valid JSON/);
    fs.rmSync(junk);

    // Oracle 0 proposes its own, refuses the outlier's, saying which metric differs by how much.
    const a = logs((await run(0)).stdout);
    expect(a.find((l) => l.action === "refused")?.reason).to.match(/refusing to co-sign 0x[0-9a-fA-F]{40}'s report: latency_p95_ms differs by 2\d\d \(report 8\d\d, ours 600; tolerance 10% = 60\)/);
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Pending);

    // Oracle 1 co-signs oracle 0's report (within tolerance): 2 of 3. As oracle 1 of the agreement, with the
    // default --stagger of 15 s it leaves relaying to oracle 0 for 15 s; then it relays itself.
    const early = logs((await run(1, "15")).stdout);
    expect(early.find((l) => l.action === "waiting" && /^signed enough; relaying from /.test(String(l.reason)))).to.not.equal(undefined);
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Pending);
    await time.increase(15);
    const b = logs((await run(1, "15")).stdout);
    const posted = b.find((l) => l.action === "posted");
    expect(posted, JSON.stringify(b)).to.not.equal(undefined);
    const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0));
    expect(events).to.have.length(1);
    expect(events[0].args.signerMask).to.equal(0b011n);
    expect(events[0].args.evidence).to.equal(ethersKeccak(fs.readFileSync(path.join(folder, `agreement-${id}-milestone-0.report.${ctx.oracles[0].address}.json`))));
    expect(events[0].args[3].map(Number)).to.deep.equal([994_000, 600]);

    // Everyone's next round treats it as done: nothing sent.
    for (const i of [0, 2]) {
      const again = logs((await run(i)).stdout);
      expect(again.filter((l) => ["posting", "posted"].includes(l.action))).to.deep.equal([]);
    }
  });
});

function ethersKeccak(b: Uint8Array): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("ethers") as typeof import("ethers")).keccak256(b);
}
