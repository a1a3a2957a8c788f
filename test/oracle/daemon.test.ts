/**
 * `oracle run --once` in process: discovery of the agreements naming the oracle, batched posting (one
 * multicall), idempotence across rounds, settling when allowed, and co-signing through a shared folder.
 * (Killing the process and restarting the node are in e2e.test.ts, against a separate `hardhat node`.)
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import hre from "hardhat";
import { type Interface, keccak256 } from "ethers";
import { readDomain } from "../../scripts/lib/attestation";
import { formatSamplesCsv } from "../../scripts/oracle/csv";
import type { Sample } from "../../scripts/oracle/samples";
import { ProbeStore } from "../../scripts/oracle/store";
import type { ISLAEscrow } from "../../typechain-types";
import { type Context, DAY, Milestone, UNIT, createActive, makeTerms, setup } from "../helpers/fixture";
import { makeSamples, plantReport, privateKeyOf, runOracle, tempDir } from "./helpers";

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
    rows.push(
      ...makeSamples(
        start,
        end,
        1000,
        failed,
        (j) => (j < 945 ? p95 - 300 + Math.floor((j * 300) / 944) : p95 + 200),
        seed++,
      ),
    );
    start = end;
  }
  return formatSamplesCsv(rows);
}

/** The shared folder of the fixture's escrow under `shared`. */
const folderOf = (shared: string, ctx: Context) => path.join(shared, `31337-${ctx.escrowAddress}`);

/** plantReport for milestone 0 of an agreement of the fixture's escrow. */
async function plant(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  id: bigint,
  folder: string,
  opts: Parameters<typeof plantReport>[2],
) {
  const metrics = (terms.metrics as ISLAEscrow.MetricStruct[]).map((m) => ({
    higherIsBetter: Boolean(m.higherIsBetter),
    tiers: m.tiers.map((t) => ({ threshold: Number(t.threshold), cutBps: Number(t.cutBps) })),
  }));
  const period = { start: Number(terms.startAt), end: Number(terms.milestones[0].dueAt) };
  return plantReport(
    folder,
    {
      chainId: 31337n,
      escrow: ctx.escrowAddress,
      domain: await readDomain(ctx.escrow),
      id,
      milestone: 0,
      period,
      metrics,
    },
    opts,
  );
}

/** 1000 ok samples of 1 ms over milestone 0: the perfect values a forger wants attested ([1000000, 1]). */
function perfect(terms: ISLAEscrow.TermsStruct): Sample[] {
  return makeSamples(Number(terms.startAt), Number(terms.milestones[0].dueAt), 1000, 0, () => 1);
}

/** The sample rows of the CSV `samplesFor` writes, for building a planted report from the same view. */
function rowsOf(csv: string): Sample[] {
  return csv
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => {
      const [t, ok, ms] = l.split(",");
      return { timestamp: Number(t), ok: ok === "1", latencyMs: ms === "" ? null : Number(ms) };
    });
}

describe("oracle run (daemon, in process)", function () {
  it("finds its agreements, posts due milestones in one multicall, never twice, then settles", async function () {
    const ctx = await setup();
    const [o0, o1] = ctx.oracles;
    const t0 = await makeTerms(ctx, { threshold: 1 });
    const t1 = await makeTerms(ctx, { threshold: 1, milestones: t0.milestones.map((m) => ({ ...m, amount: UNIT })) });
    const id1 = await createActive(ctx, t1);
    const id2 = await createActive(
      ctx,
      await makeTerms(ctx, { threshold: 1, startAt: t1.startAt, milestones: t1.milestones }),
    );
    // An agreement that does not name oracle 0, and one with another metric shape: both ignored.
    const idOther = await createActive(ctx, await makeTerms(ctx, { threshold: 1, oracles: [o1.address] }));
    const idShape = await createActive(ctx, await makeTerms(ctx, { threshold: 1, metrics: [t1.metrics[0]] }));
    const dir = tempDir();
    const samples = path.join(dir, "samples.csv");
    fs.writeFileSync(samples, samplesFor(t1, 6, 600));
    const state = path.join(dir, "state");
    const args = {
      command: "run",
      once: true,
      samples,
      metrics: "availability_ppm,latency_p95_ms",
      escrow: ctx.escrowAddress,
      state,
    };
    const env = { ORACLE_PRIVATE_KEY: privateKeyOf(o0.address) };

    // Nothing due yet: discovery only.
    const r0 = await runOracle(args, env);
    expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
    const l0 = logs(r0.stdout);
    expect(l0.filter((l) => l.action === "discovered").map((l) => l.agreement)).to.deep.equal([
      id1.toString(),
      id2.toString(),
    ]);
    expect(l0.find((l) => l.action === "skip-agreement")?.agreement).to.equal(idShape.toString());
    expect(l0.some((l) => l.agreement === idOther.toString())).to.equal(false);
    for (const l of l0) expect(l).to.have.keys(Object.keys(l)).and.include.keys("time", "level", "action");

    await time.increaseTo(t1.milestones[0].dueAt);
    const r1 = await runOracle(args, env);
    expect(r1.result.exitCode, r1.stderr.join("\n")).to.equal(0);
    const posted = logs(r1.stdout).filter((l) => l.action === "posted");
    expect(posted.map((l) => [l.agreement, l.milestone])).to.deep.equal([
      [id1.toString(), 0],
      [id2.toString(), 0],
    ]);
    expect(posted[0].txHash)
      .to.match(/^0x[0-9a-f]{64}$/)
      .and.equal(posted[1].txHash); // one multicall
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
    expect(settled.map((l) => [l.agreement, l.milestone])).to.deep.equal([
      [id1.toString(), 0],
      [id2.toString(), 0],
    ]);
    expect((await ctx.escrow.milestoneInfo(id1, 0))[0]).to.equal(Milestone.Settled);

    // Two daemons on one state folder are refused.
    fs.writeFileSync(path.join(state, "lock"), String(process.pid === 1 ? 2 : 1));
    const locked = await runOracle(args, env);
    expect(locked.result.exitCode).to.equal(1);
    expect(locked.stderr[0]).to.match(/^error: --state: .* is in use by process 1/);
    fs.rmSync(path.join(state, "lock"));
  });

  it("takes the terms from the events into terms.jsonl and reads views only in batches; a torn cache is read again in one batch", async function () {
    const ctx = await setup();
    const t = await makeTerms(ctx, { threshold: 1 });
    const ids = [
      await createActive(ctx, t),
      await createActive(ctx, await makeTerms(ctx, { threshold: 1, startAt: t.startAt, milestones: t.milestones })),
      await createActive(ctx, await makeTerms(ctx, { threshold: 1, startAt: t.startAt, milestones: t.milestones })),
    ].map(String);
    const dir = tempDir();
    const samples = path.join(dir, "samples.csv");
    fs.writeFileSync(samples, samplesFor(t, 6, 600));
    const state = path.join(dir, "state");
    const args = {
      command: "run",
      once: true,
      samples,
      metrics: "availability_ppm,latency_p95_ms",
      escrow: ctx.escrowAddress,
      state,
    };
    const env = { ORACLE_PRIVATE_KEY: privateKeyOf(ctx.oracles[0].address) };
    // Every eth_call the daemon makes, by the selector of the function it calls (a multicall's by its calls').
    const iface = ctx.escrow.interface as unknown as Interface;
    const selectorNames = new Map(
      [
        "getTerms",
        "agreementStatus",
        "milestoneInfo",
        "attestationDigest",
        "postAttestation",
        "multicall",
        "eip712Domain",
      ].map((f) => [iface.getFunction(f)!.selector, f]),
    );
    const calls: string[] = [];
    const provider = hre.network.provider as unknown as { send: (m: string, p?: unknown[]) => Promise<unknown> };
    const send = provider.send;
    provider.send = function (method: string, params?: unknown[]) {
      if (method === "eth_call") {
        const data = String((params?.[0] as { data?: string })?.data);
        const name = selectorNames.get(data.slice(0, 10)) ?? data.slice(0, 10);
        if (name !== "multicall") calls.push(name);
        else {
          const inner = iface.decodeFunctionData("multicall", data)[0] as string[];
          calls.push(`multicall(${[...new Set(inner.map((d) => selectorNames.get(d.slice(0, 10))))].join(",")})`);
        }
      }
      return send.call(this, method, params);
    };
    const cacheFile = path.join(state, "terms.jsonl");
    const cached = () =>
      fs
        .readFileSync(cacheFile, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => (JSON.parse(l) as { id: string }).id);
    try {
      // Discovery: the terms come with the events; nothing is due, so nothing is read.
      const r0 = await runOracle(args, env);
      expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
      expect(cached()).to.deep.equal(ids);
      expect(calls).to.deep.equal(["eip712Domain"]);
      // Due: one batch of reads, one of digest checks, the simulation.
      calls.length = 0;
      await time.increaseTo(t.milestones[0].dueAt);
      const r1 = await runOracle(args, env);
      expect(logs(r1.stdout).filter((l) => l.action === "posted")).to.have.length(3);
      expect(calls).to.deep.equal([
        "eip712Domain",
        "multicall(agreementStatus,milestoneInfo)",
        "multicall(attestationDigest)",
        "multicall(postAttestation)", // the simulation of the posts
      ]);
      // A torn last line (a crash mid-append) is cut off, the lines after it read again in one batch.
      const lines = fs.readFileSync(cacheFile, "utf8").split("\n");
      fs.writeFileSync(cacheFile, lines[0] + "\n" + lines[1].slice(0, 40));
      calls.length = 0;
      const r2 = await runOracle(args, env);
      expect(r2.result.exitCode, r2.stderr.join("\n")).to.equal(0);
      expect(calls).to.deep.equal(["eip712Domain", "multicall(getTerms)", "multicall(agreementStatus,milestoneInfo)"]);
      expect(cached()).to.deep.equal(ids);
      expect(logs(r2.stdout).filter((l) => ["posting", "settling"].includes(l.action))).to.deep.equal([]);
    } finally {
      provider.send = send;
    }
  });

  it("co-signs through a shared folder: each oracle proposes its report and co-signs the others' within tolerance; an outlier cannot block", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx); // 2 of 3
    const id = await createActive(ctx, terms);
    const dir = tempDir();
    const shared = path.join(dir, "shared");
    const folder = path.join(shared, `31337-${ctx.escrowAddress}`);
    // Oracles 0 and 1 see nearly the same service; oracle 2 sees p95 800 ms against their ~600.
    const files = [samplesFor(terms, 6, 600, 1), samplesFor(terms, 7, 620, 11), samplesFor(terms, 6, 800, 21)].map(
      (text, i) => {
        const f = path.join(dir, `o${i}.csv`);
        fs.writeFileSync(f, text);
        return f;
      },
    );
    // A proposal window of 0: each oracle chooses from what the folder holds when it runs (the window itself is
    // tested below).
    const run = (i: number, stagger = "0") =>
      runOracle(
        {
          command: "run",
          once: true,
          samples: files[i],
          metrics: "availability_ppm,latency_p95_ms",
          escrow: ctx.escrowAddress,
          state: path.join(dir, `state${i}`),
          shared,
          stagger,
          proposalWindow: "0",
        },
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
    expect(a.find((l) => l.action === "refused")?.reason).to.match(
      /refusing to co-sign 0x[0-9a-fA-F]{40}'s report: latency_p95_ms differs by 2\d\d \(report 8\d\d, ours 600; tolerance 10% = 60\)/,
    );
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Pending);

    // Oracle 1 co-signs oracle 0's report (within tolerance): 2 of 3. As oracle 1 of the agreement, with the
    // default --stagger of 15 s it leaves relaying to oracle 0 for 15 s; then it relays itself.
    const early = logs((await run(1, "15")).stdout);
    expect(
      early.find((l) => l.action === "waiting" && /^signed enough; relaying from /.test(String(l.reason))),
    ).to.not.equal(undefined);
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Pending);
    await time.increase(15);
    const b = logs((await run(1, "15")).stdout);
    const posted = b.find((l) => l.action === "posted");
    expect(posted, JSON.stringify(b)).to.not.equal(undefined);
    const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0));
    expect(events).to.have.length(1);
    expect(events[0].args.signerMask).to.equal(0b011n);
    expect(events[0].args.evidence).to.equal(
      ethersKeccak(
        fs.readFileSync(path.join(folder, `agreement-${id}-milestone-0.report.${ctx.oracles[0].address}.json`)),
      ),
    );
    expect(events[0].args[3].map(Number)).to.deep.equal([994_000, 600]);

    // Everyone's next round treats it as done: nothing sent.
    for (const i of [0, 2]) {
      const again = logs((await run(i)).stdout);
      expect(again.filter((l) => ["posting", "posted"].includes(l.action))).to.deep.equal([]);
    }
  });
  it("measures a prober's store only once its watermark has reached the period's end, and says what it waits for", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx, { threshold: 1 });
    const id = await createActive(ctx, terms);
    const due = Number(terms.milestones[0].dueAt);
    const dir = tempDir();
    const file = path.join(dir, "probes.jsonl");
    const rows = makeSamples(Number(terms.startAt), due, 1000, 6, () => 200);
    fs.writeFileSync(
      file,
      rows.map((r) => JSON.stringify({ timestamp: r.timestamp, ok: r.ok, latency_ms: r.latencyMs })).join("\n") + "\n",
    );
    // The prober has stored every probe scheduled before due - 5: one may still be in flight.
    ProbeStore.open(file).setWatermark(due - 5);
    const args = {
      command: "run",
      once: true,
      store: file,
      metrics: "availability_ppm,latency_p95_ms",
      escrow: ctx.escrowAddress,
      state: path.join(dir, "state"),
    };
    const env = { ORACLE_PRIVATE_KEY: privateKeyOf(ctx.oracles[0].address) };
    await time.increaseTo(due + 10);
    const r0 = await runOracle(args, env);
    expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
    const waiting = logs(r0.stdout).find((l) => l.action === "waiting");
    expect(waiting).to.include({ agreement: id.toString(), milestone: 0 });
    expect(waiting?.reason).to.match(
      /^--store: the prober's watermark is \S+ \(every probe before it is stored\), before the period's end/,
    );
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(0n);

    ProbeStore.open(file).setWatermark(due);
    const r1 = await runOracle(args, env);
    expect(
      logs(r1.stdout)
        .filter((l) => l.action === "posted")
        .map((l) => [l.agreement, l.milestone]),
    ).to.deep.equal([[id.toString(), 0]]);
    expect(logs(r1.stdout).find((l) => l.action === "report")?.values).to.deep.equal([994_000, 200]);
  });

  describe("co-signing rules: nothing in a proposal is trusted because of what it says", function () {
    const names = ["availability_ppm", "latency_p95_ms"];
    async function world(threshold: number) {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { threshold });
      const id = await createActive(ctx, terms);
      const dir = tempDir();
      const shared = path.join(dir, "shared");
      const csv = samplesFor(terms, 6, 600); // the honest view: 994000 ppm, p95 600 ms: cut 4000
      const files = [1, 2, 3].map((seed, i) => {
        const f = path.join(dir, `o${i}.csv`);
        fs.writeFileSync(f, i === 0 ? csv : samplesFor(terms, 6, 600, seed * 10));
        return f;
      });
      const run = (i: number, extra: Record<string, string> = {}) =>
        runOracle(
          {
            command: "run",
            once: true,
            samples: files[i],
            metrics: names.join(","),
            escrow: ctx.escrowAddress,
            state: path.join(dir, `state${i}`),
            shared,
            stagger: "0",
            proposalWindow: "0",
            ...extra,
          },
          { ORACLE_PRIVATE_KEY: privateKeyOf(ctx.oracles[i].address) },
        );
      return { ctx, terms, id, dir, shared, folder: folderOf(shared, ctx), csv, run };
    }
    const postedOf = async (ctx: Context, id: bigint) =>
      ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0));

    it("2 of 3: a forged report naming an honest oracle, with the forger's signature, gets no second signature; the honest report is posted", async function () {
      const w = await world(2);
      const [o0, , o2] = w.ctx.oracles;
      const base = `agreement-${w.id}-milestone-0`;
      // Oracle 2, dishonest, writes perfect values under oracle 0's own file name and under another name, both
      // naming oracle 0 as author, and signs them itself: one more signature would reach the threshold.
      const under = await plant(w.ctx, w.terms, w.id, w.folder, {
        file: `${base}.report.${o0.address}.json`,
        author: o0.address,
        samples: perfect(w.terms),
        names,
        signers: [o2.address],
      });
      const aside = await plant(w.ctx, w.terms, w.id, w.folder, {
        file: `${base}.report.copy.json`,
        author: o0.address,
        samples: perfect(w.terms),
        names,
        signers: [o2.address],
      });
      expect(under.values).to.deep.equal([1_000_000, 1]);
      expect(aside.evidence).to.equal(under.evidence);
      await time.increaseTo(w.terms.milestones[0].dueAt);

      const r0 = await w.run(0);
      expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
      const l0 = logs(r0.stdout);
      expect(l0.find((l) => l.action === "refused")?.reason).to.equal(
        `${base}.report.copy.json: it names this oracle (${o0.address}) as its author but is not the report this oracle wrote: a forgery`,
      );
      expect(await postedOf(w.ctx, w.id)).to.have.length(0);
      // Oracle 0's file in the folder is its own report again, and it signed only that.
      const own = fs.readFileSync(path.join(w.dir, "state0", "reports", `${base}.json`));
      expect(fs.readFileSync(path.join(w.folder, `${base}.report.${o0.address}.json`)).equals(own)).to.equal(true);
      const mine = fs.readdirSync(w.folder).filter((f) => f.endsWith(`.${o0.address}.sig.json`));
      expect(mine).to.deep.equal([`${base}.${keccak256(own).slice(2, 12)}.${o0.address}.sig.json`]);

      // Oracle 1 (honest) co-signs oracle 0's report, first in oracle order: posted with the measured values.
      const r1 = await w.run(1);
      expect(logs(r1.stdout).find((l) => l.action === "chose")).to.include({
        proposer: o0.address,
        evidence: keccak256(own),
      });
      const posted = await postedOf(w.ctx, w.id);
      expect(posted).to.have.length(1);
      expect(posted[0].args[3].map(Number)).to.deep.equal([994_000, 600]);
      expect(posted[0].args.cutBps).to.equal(4000n);
      expect(posted[0].args.evidence).to.equal(keccak256(own));
      expect(posted[0].args.signerMask).to.equal(0b011n);
    });

    it("1 of 3: a report planted in the shared folder naming the oracle is not posted; the oracle's own is", async function () {
      const w = await world(1);
      const o0 = w.ctx.oracles[0];
      const base = `agreement-${w.id}-milestone-0`;
      await plant(w.ctx, w.terms, w.id, w.folder, {
        file: `${base}.report.${o0.address}.json`,
        author: o0.address,
        samples: perfect(w.terms),
        names,
      });
      await plant(w.ctx, w.terms, w.id, w.folder, {
        file: `${base}.report.0.json`,
        author: o0.address,
        samples: perfect(w.terms),
        names,
      });
      await time.increaseTo(w.terms.milestones[0].dueAt);
      const r0 = await w.run(0);
      expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
      const posted = await postedOf(w.ctx, w.id);
      expect(posted).to.have.length(1);
      expect(posted[0].args[3].map(Number)).to.deep.equal([994_000, 600]);
      expect(posted[0].args.cutBps).to.equal(4000n);
      expect(posted[0].args.evidence).to.equal(
        keccak256(fs.readFileSync(path.join(w.dir, "state0", "reports", `${base}.json`))),
      );
    });

    it("a proposal naming another oracle without that oracle's proposal signature ranks nowhere; a signed outlier is refused with the difference", async function () {
      const w = await world(2);
      const [o0, o1, o2] = w.ctx.oracles;
      const base = `agreement-${w.id}-milestone-0`;
      // Oracle 2 writes perfect values naming oracle 0 and signs a proposal for them as itself (not oracle 0's).
      await plant(w.ctx, w.terms, w.id, w.folder, {
        file: `${base}.report.forged.json`,
        author: o0.address,
        samples: perfect(w.terms),
        names,
        signers: [o2.address],
        proposers: [o2.address],
      });
      // And an outlier under its own name, with its own proposal signature.
      const out = await plant(w.ctx, w.terms, w.id, w.folder, {
        file: `${base}.report.${o2.address}.json`,
        author: o2.address,
        samples: perfect(w.terms),
        names,
        signers: [o2.address],
        proposers: [o2.address],
      });
      await time.increaseTo(w.terms.milestones[0].dueAt);
      const r1 = await w.run(1);
      const refused = logs(r1.stdout)
        .filter((l) => l.action === "refused")
        .map((l) => l.reason);
      expect(refused).to.deep.equal([
        `${base}.report.${o2.address}.json: refusing to co-sign ${o2.address}'s report: availability_ppm differs by 6000 (report 1000000, ours 994000; tolerance 1000 = 1000); latency_p95_ms differs by 599 (report 1, ours 600; tolerance 10% = 60)`,
        `${base}.report.forged.json: ${o0.address} has not signed it as its proposal (no valid ${base}.proposal.${o0.address}.json for it)`,
      ]);
      // With nothing else in the folder, oracle 1 signs its own report; the outlier's has only its own signature.
      expect(logs(r1.stdout).find((l) => l.action === "chose")).to.include({ proposer: o1.address });
      expect(
        fs.readdirSync(w.folder).filter((f) => f.includes(out.evidence.slice(2, 12)) && f.endsWith(".sig.json")),
      ).to.deep.equal([`${base}.${out.evidence.slice(2, 12)}.${o2.address}.sig.json`]);
      expect(await postedOf(w.ctx, w.id)).to.have.length(0);
    });

    it("takes metric names from its own --metrics: a proposal with two lower-is-better metrics swapped is refused, naming the first difference", async function () {
      // True p50 ~450 ms and p95 600 ms; cut 5000 (p50 > 200) + 500 (p95 > 500) = 5500. Swapped: 5000.
      const ctx = await setup();
      const latencyTiers = [
        { higherIsBetter: false, tiers: [{ threshold: 200, cutBps: 5000 }] },
        { higherIsBetter: false, tiers: [{ threshold: 500, cutBps: 500 }] },
      ];
      const terms = await makeTerms(ctx, { metrics: latencyTiers });
      const id = await createActive(ctx, terms);
      const dir = tempDir();
      const shared = path.join(dir, "shared");
      const csv = samplesFor(terms, 6, 600);
      const f = path.join(dir, "o0.csv");
      fs.writeFileSync(f, csv);
      const [o0, o1] = ctx.oracles;
      const base = `agreement-${id}-milestone-0`;
      const swapped = await plant(ctx, terms, id, folderOf(shared, ctx), {
        file: `${base}.report.${o1.address}.json`,
        author: o1.address,
        samples: rowsOf(csv).filter(
          (r) => r.timestamp >= Number(terms.startAt) && r.timestamp < Number(terms.milestones[0].dueAt),
        ),
        names: ["latency_p95_ms", "latency_p50_ms"],
        signers: [o1.address],
        proposers: [o1.address],
      });
      expect(swapped.values[0]).to.equal(600);
      await time.increaseTo(terms.milestones[0].dueAt);
      const r0 = await runOracle(
        {
          command: "run",
          once: true,
          samples: f,
          metrics: "latency_p50_ms,latency_p95_ms",
          escrow: ctx.escrowAddress,
          state: path.join(dir, "state0"),
          shared,
          stagger: "0",
          proposalWindow: "0",
        },
        { ORACLE_PRIVATE_KEY: privateKeyOf(o0.address) },
      );
      expect(r0.result.exitCode, r0.stderr.join("\n")).to.equal(0);
      expect(logs(r0.stdout).find((l) => l.action === "refused")?.reason).to.equal(
        `${base}.report.${o1.address}.json: refusing to co-sign ${o1.address}'s report: metric 0 is "latency_p95_ms" in it but "latency_p50_ms" in ours (ours: latency_p50_ms, latency_p95_ms)`,
      );
      const chose = logs(r0.stdout).find((l) => l.action === "chose");
      expect(chose).to.include({ proposer: o0.address });
      expect(await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0))).to.have.length(0);
    });

    it("publishes, waits the proposal window, then signs the first proposal in oracle order within tolerance: two honest oracles converge, the outlier gets no co-signer", async function () {
      const w = await world(2);
      const [o0, o1, o2] = w.ctx.oracles;
      const base = `agreement-${w.id}-milestone-0`;
      const outlier = path.join(w.dir, "outlier.csv");
      fs.writeFileSync(outlier, samplesFor(w.terms, 6, 900, 99));
      await time.increaseTo(w.terms.milestones[0].dueAt);
      const window = { proposalWindow: "60" };
      const runOutlier = () =>
        runOracle(
          {
            command: "run",
            once: true,
            samples: outlier,
            metrics: names.join(","),
            escrow: w.ctx.escrowAddress,
            state: path.join(w.dir, "state2"),
            shared: w.shared,
            stagger: "0",
            ...window,
          },
          { ORACLE_PRIVATE_KEY: privateKeyOf(o2.address) },
        );
      // Oracles 2 (the outlier, on its own samples) and 1 publish first; they must not sign anything yet.
      const r2 = await runOutlier();
      const r1 = await w.run(1, window);
      for (const r of [r1, r2]) {
        const l = logs(r.stdout);
        expect(l.map((x) => x.action))
          .to.include.members(["report", "proposed"])
          .and.not.include("signed");
        expect(l.find((x) => x.action === "waiting")?.reason).to.match(
          /^proposal window: signing the first proposal in oracle order from \d{4}-/,
        );
      }
      const r0 = await w.run(0, window);
      expect(logs(r0.stdout).map((x) => x.action)).to.not.include("signed");
      expect(fs.readdirSync(w.folder).filter((f) => f.endsWith(".sig.json"))).to.deep.equal([]);
      await time.increase(60);
      // Oracle 1 now chooses oracle 0's report (first in oracle order, within tolerance), not its own.
      const own0 = keccak256(fs.readFileSync(path.join(w.dir, "state0", "reports", `${base}.json`)));
      const c1 = logs((await w.run(1, window)).stdout);
      expect(c1.find((l) => l.action === "chose")).to.include({ proposer: o0.address, evidence: own0 });
      expect(fs.readdirSync(w.folder).filter((f) => f.endsWith(`.${o1.address}.sig.json`))).to.deep.equal([
        `${base}.${own0.slice(2, 12)}.${o1.address}.sig.json`,
      ]);
      expect(c1.find((l) => l.action === "refused")?.reason).to.match(
        new RegExp(
          `^${base}\\.report\\.${o2.address}\\.json: refusing to co-sign ${o2.address}'s report: latency_p95_ms differs by`,
        ),
      );
      // The outlier chooses its own (the others are outside its tolerance); oracle 0 chooses its own: 2 of 3, posted.
      await runOutlier();
      const c0 = logs((await w.run(0, window)).stdout);
      expect(c0.find((l) => l.action === "chose")).to.include({ proposer: o0.address, evidence: own0 });
      const posted = await postedOf(w.ctx, w.id);
      expect(posted).to.have.length(1);
      expect(posted[0].args.evidence).to.equal(own0);
      expect(posted[0].args.signerMask).to.equal(0b011n);
      // One record per oracle, each naming the one digest it signed; oracle 1's is oracle 0's report.
      const recordOf = (i: number) => {
        const d = path.join(w.dir, `state${i}`, "signed");
        const files = fs.readdirSync(d);
        expect(files).to.have.length(1);
        return JSON.parse(fs.readFileSync(path.join(d, files[0]), "utf8")) as { evidence: string };
      };
      expect(recordOf(0).evidence).to.equal(own0);
      expect(recordOf(1).evidence).to.equal(own0);
      expect(recordOf(2).evidence).to.not.equal(own0);
    });
  });
});

function ethersKeccak(b: Uint8Array): string {
  return (require("ethers") as typeof import("ethers")).keccak256(b);
}
