/**
 * The `oracle attest | verify | sign | post` tasks, run in process through hre.run against the escrow that the
 * shared fixture deploys with hardhat-deploy. Every user mistake must end with one `error: ...` line, exit
 * code 1 and nothing posted.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { Wallet, keccak256 } from "ethers";
import type { ISLAEscrow } from "../../typechain-types";
import { cutBps } from "../../scripts/lib/penalty";
import { formatSamplesCsv } from "../../scripts/oracle/csv";
import { type Context, Milestone, makeTerms, createActive, setup } from "../helpers/fixture";
import { deployWallet, metricsOf } from "../helpers/attestation";
import { expectUserError, freePort, makeSamples, privateKeyOf, runOracle, tempDir } from "./helpers";

const METRICS = "availability_ppm,latency_p95_ms";
/** 1000 samples, 6 failed, ok latencies whose nearest-rank p95 (index 944 of 994) is `p95`. */
function latencies(p95: number, spread = 400): (j: number) => number {
  return (j) => (j < 945 ? p95 - spread + Math.floor((j * spread) / 944) : p95 + 300);
}

interface World {
  ctx: Context;
  terms: ISLAEscrow.TermsStruct;
  id: bigint;
  dir: string;
  samples: string;
  keys: string[];
  escrow: string;
}

async function world(overrides: Partial<ISLAEscrow.TermsStruct> = {}): Promise<World> {
  const ctx = await setup();
  const terms = await makeTerms(ctx, overrides);
  const id = await createActive(ctx, terms);
  const dir = tempDir();
  const start = Number(terms.startAt);
  const due0 = Number(terms.milestones[0].dueAt);
  const samples = path.join(dir, "samples.csv");
  // Milestone 0: 994000 ppm and p95 600 ms (cut 2500 + 1500 = 4000); one sample just outside on each side.
  const rows = makeSamples(start, due0, 1000, 6, latencies(600));
  rows.push({ timestamp: start - 1, ok: false, latencyMs: null }, { timestamp: due0, ok: false, latencyMs: null });
  fs.writeFileSync(samples, formatSamplesCsv(rows));
  return {
    ctx,
    terms,
    id,
    dir,
    samples,
    keys: ctx.oracles.map((o) => privateKeyOf(o.address)),
    escrow: ctx.escrowAddress,
  };
}

async function statusOf(w: World, milestone = 0): Promise<bigint> {
  return (await w.ctx.escrow.milestoneInfo(w.id, milestone))[0];
}

describe("oracle tasks (in process)", function () {
  it("attest: measures, writes the report, signs, posts alone at threshold 1; verify matches it", async function () {
    const w = await world({ threshold: 1 });
    await time.increaseTo(w.terms.milestones[0].dueAt);
    const out = path.join(w.dir, "report.json");
    const r = await runOracle(
      {
        command: "attest",
        agreement: w.id.toString(),
        milestone: "0",
        samples: w.samples,
        metrics: METRICS,
        escrow: w.escrow,
        out,
      },
      { ORACLE_PRIVATE_KEY: w.keys[1] },
    );
    expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
    const bytes = fs.readFileSync(out);
    const report = JSON.parse(bytes.toString());
    expect(report.values).to.deep.equal([994_000, 600]);
    expect(report.sources.probes).to.include({ all: 1000, ok: 994, failed: 6 });
    expect(report.metrics.map((m: { spec: unknown }) => m.spec)).to.deep.equal([
      { name: "availability_ppm", kind: "probes.availability_ppm" },
      { name: "latency_p95_ms", kind: "probes.latency_ms", percentile: 95 },
    ]);
    expect(report.cutBps).to.equal(4000);
    expect(report.cutBps).to.equal(cutBps(metricsOf(w.terms), report.values));
    expect(report.oracle).to.equal(w.ctx.oracles[1].address);
    // The printed lines: the report path, the values, the cut and the tx hash.
    expect(r.stdout).to.include(`report: ${out}`);
    expect(r.stdout).to.include("values: availability_ppm=994000, latency_p95_ms=600");
    expect(r.stdout).to.include("cut: 4000 bps");
    const txLine = r.stdout.find((l) => l.startsWith("tx: "));
    expect(txLine).to.match(/^tx: 0x[0-9a-f]{64}$/);

    // On chain: the values, the evidence = keccak256 of the file's bytes, the cut, oracle 1's bit.
    const events = await w.ctx.escrow.queryFilter(w.ctx.escrow.filters.AttestationPosted(w.id, 0));
    expect(events).to.have.length(1);
    expect(events[0].transactionHash).to.equal(txLine!.slice(4));
    expect(events[0].args[3].map(Number)).to.deep.equal([994_000, 600]);
    expect(events[0].args.evidence).to.equal(keccak256(bytes));
    expect(events[0].args.cutBps).to.equal(4000n);
    expect(events[0].args.signerMask).to.equal(2n);
    expect(await statusOf(w)).to.equal(Milestone.Attested);

    const v = await runOracle({
      command: "verify",
      agreement: w.id.toString(),
      milestone: "0",
      report: out,
      escrow: w.escrow,
    });
    expect(v.result.exitCode, v.stderr.join("\n")).to.equal(0);
    expect(v.stdout[0]).to.match(
      /^ok: keccak256 0x[0-9a-f]{64} and values availability_ppm=994000, latency_p95_ms=600 match/,
    );

    // Attesting again with the same samples is a no-op (same evidence), exit 0, nothing sent.
    const again = await runOracle(
      {
        command: "attest",
        agreement: w.id.toString(),
        milestone: "0",
        samples: w.samples,
        metrics: METRICS,
        escrow: w.escrow,
        out,
      },
      { ORACLE_PRIVATE_KEY: w.keys[1] },
    );
    expect(again.result.exitCode).to.equal(0);
    expect(again.stdout[0]).to.match(/^already attested/);

    // A tampered report (one value changed, or one byte) fails verify with the reason.
    const tampered = path.join(w.dir, "tampered.json");
    fs.writeFileSync(tampered, bytes.toString().replace(/994000/g, "999000"));
    const t = await runOracle({
      command: "verify",
      agreement: w.id.toString(),
      milestone: "0",
      report: tampered,
      escrow: w.escrow,
    });
    expect(t.result.exitCode).to.equal(1);
    expect(t.stderr[0]).to.match(/^mismatch: the report's keccak256 is 0x[0-9a-f]+, the posted evidence is/);
    const other = await runOracle({
      command: "verify",
      agreement: w.id.toString(),
      milestone: "1",
      report: out,
      escrow: w.escrow,
    });
    expect(other.result.exitCode).to.equal(1);
    expect(other.stderr[0]).to.match(
      /^mismatch: the report is for agreement \d+ milestone 0, not agreement \d+ milestone 1/,
    );
  });

  it("attest with a keystore file and ORACLE_KEYSTORE_PASSWORD", async function () {
    const w = await world({ threshold: 1 });
    await time.increaseTo(w.terms.milestones[0].dueAt);
    const wallet = new Wallet(w.keys[0]);
    const keystore = path.join(w.dir, "oracle.json");
    fs.writeFileSync(
      keystore,
      await ethers.encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, "s3cret", {
        scrypt: { N: 1024 },
      }),
    );
    const base = {
      command: "attest",
      agreement: w.id.toString(),
      milestone: "0",
      samples: w.samples,
      metrics: METRICS,
      escrow: w.escrow,
      keystore,
      out: path.join(w.dir, "r.json"),
    };
    const bad = await runOracle(base, { ORACLE_KEYSTORE_PASSWORD: "nope", ORACLE_PRIVATE_KEY: undefined });
    expectUserError(bad, /ORACLE_KEYSTORE_PASSWORD does not decrypt --keystore \(wrong password\?\)/);
    expect(bad.stderr[0]).to.not.include("nope");
    const r = await runOracle(base, { ORACLE_KEYSTORE_PASSWORD: "s3cret", ORACLE_PRIVATE_KEY: undefined });
    expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
    expect(
      (await w.ctx.escrow.queryFilter(w.ctx.escrow.filters.AttestationPosted(w.id, 0)))[0].args.signerMask,
    ).to.equal(1n);
  });

  it("2 of 3: attest proposes, sign co-signs within tolerance and refuses outside it, post posts in oracle order", async function () {
    const w = await world();
    await time.increaseTo(w.terms.milestones[0].dueAt);
    const id = w.id.toString();
    const report = path.join(w.dir, "report.json");
    const a = await runOracle(
      {
        command: "attest",
        agreement: id,
        milestone: "0",
        samples: w.samples,
        metrics: METRICS,
        escrow: w.escrow,
        out: report,
      },
      { ORACLE_PRIVATE_KEY: w.keys[2] },
    );
    expect(a.result.exitCode, a.stderr.join("\n")).to.equal(0);
    expect(a.stdout.at(-1)).to.match(/^posted: no \(agreement \d+ needs 2 signatures/);
    expect(await statusOf(w)).to.equal(Milestone.Pending);

    const start = Number(w.terms.startAt);
    const due0 = Number(w.terms.milestones[0].dueAt);
    // Oracle 0's own samples: 7 failures of 1000 (993000, 1000 ppm off) and p95 620 (20 ms, 3.3% off).
    const near = path.join(w.dir, "near.csv");
    fs.writeFileSync(
      near,
      formatSamplesCsv(
        makeSamples(start, due0, 1000, 7, (j) => (j < 944 ? 200 + Math.floor((j * 420) / 943) : 950), 9),
      ),
    );
    // Oracle 0 on a worse view: p95 700 ms (100 ms, 14% off).
    const far = path.join(w.dir, "far.csv");
    fs.writeFileSync(far, formatSamplesCsv(makeSamples(start, due0, 1000, 6, latencies(700), 5)));

    const refused = await runOracle(
      {
        command: "sign",
        report,
        samples: far,
        metrics: METRICS,
        escrow: w.escrow,
        out: path.join(w.dir, "o0.sig.json"),
      },
      { ORACLE_PRIVATE_KEY: w.keys[0] },
    );
    expectUserError(
      refused,
      /refusing to sign: latency_p95_ms differs by 100 \(report 600, ours 700; tolerance 10% = 70\)/,
    );
    expect(fs.existsSync(path.join(w.dir, "o0.sig.json"))).to.equal(false);
    const strict = await runOracle(
      { command: "sign", report, samples: near, metrics: METRICS, escrow: w.escrow, tolerance: "availability_ppm=500" },
      { ORACLE_PRIVATE_KEY: w.keys[0] },
    );
    expectUserError(
      strict,
      /refusing to sign: availability_ppm differs by 1000 \(report 994000, ours 993000; tolerance 500 = 500\)/,
    );

    // Not enough signatures yet: post refuses and names what it has.
    const early = await runOracle({ command: "post", report, escrow: w.escrow }, { ORACLE_PRIVATE_KEY: w.keys[2] });
    expectUserError(
      early,
      /--signatures: 1 valid signature\(s\) \(0x[0-9a-fA-F]{40}\), agreement \d+ needs 2; nothing posted/,
    );

    const s = await runOracle(
      { command: "sign", report, samples: near, metrics: METRICS, escrow: w.escrow },
      { ORACLE_PRIVATE_KEY: w.keys[0] },
    );
    expect(s.result.exitCode, s.stderr.join("\n")).to.equal(0);
    expect(s.stdout[0]).to.equal(
      "ours: availability_ppm=993000, latency_p95_ms=620 (within tolerance of the report's availability_ppm=994000, latency_p95_ms=600)",
    );

    // A stray signature file for something else in the folder is skipped with its reason.
    fs.writeFileSync(path.join(w.dir, "junk.sig.json"), "{}");
    const p = await runOracle(
      { command: "post", report, signatures: w.dir, escrow: w.escrow },
      { ORACLE_PRIVATE_KEY: w.keys[1] },
    );
    expect(p.result.exitCode, p.stderr.join("\n")).to.equal(0);
    expect(p.stderr.join("\n")).to.match(/skipped .*junk\.sig\.json: signature file junk\.sig\.json: field "format"/);
    const events = await w.ctx.escrow.queryFilter(w.ctx.escrow.filters.AttestationPosted(w.id, 0));
    expect(events).to.have.length(1);
    expect(events[0].args.signerMask).to.equal(0b101n);
    expect(events[0].args.evidence).to.equal(keccak256(fs.readFileSync(report)));
    expect(events[0].args.cutBps).to.equal(4000n);
    expect(p.stdout.at(-1)).to.equal(`tx: ${events[0].transactionHash}`);
    const v = await runOracle({ command: "verify", agreement: id, milestone: "0", report, escrow: w.escrow });
    expect(v.result.exitCode).to.equal(0);
  });

  it("a contract-wallet oracle (ERC-1271): the key signs for the wallet named in the terms", async function () {
    const ctx = await setup();
    const owner = ctx.stranger;
    const wallet = await deployWallet(owner);
    const walletAddress = await wallet.getAddress();
    const terms = await makeTerms(ctx, { threshold: 1, oracles: [walletAddress] });
    const id = await createActive(ctx, terms);
    const dir = tempDir();
    const samples = path.join(dir, "s.csv");
    fs.writeFileSync(
      samples,
      formatSamplesCsv(makeSamples(Number(terms.startAt), Number(terms.milestones[0].dueAt), 1000, 6, latencies(600))),
    );
    await time.increaseTo(terms.milestones[0].dueAt);
    const base = {
      command: "attest",
      agreement: id.toString(),
      milestone: "0",
      samples,
      metrics: METRICS,
      escrow: ctx.escrowAddress,
      out: path.join(dir, "r.json"),
    };
    // Without --oracle-address the key itself is not an oracle; with a key the wallet does not accept, refused.
    expectUserError(
      await runOracle(base, { ORACLE_PRIVATE_KEY: privateKeyOf(owner.address) }),
      /key: 0x[0-9a-fA-F]{40} is not an oracle/,
    );
    const wrong = await runOracle(
      { ...base, oracleAddress: walletAddress },
      { ORACLE_PRIVATE_KEY: privateKeyOf(ctx.relayer.address) },
    );
    expectUserError(
      wrong,
      /--oracle-address: the wallet 0x[0-9a-fA-F]{40} does not accept 0x[0-9a-fA-F]{40}'s signature \(ERC-1271 isValidSignature\)/,
    );
    const r = await runOracle(
      { ...base, oracleAddress: walletAddress },
      { ORACLE_PRIVATE_KEY: privateKeyOf(owner.address) },
    );
    expect(r.result.exitCode, r.stderr.join("\n")).to.equal(0);
    const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0));
    expect(events).to.have.length(1);
    expect(events[0].args.signerMask).to.equal(1n);
    expect(JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8")).oracle).to.equal(walletAddress);
  });

  describe("sign: the co-signing rules (a co-signer's own configuration decides, one digest per milestone)", function () {
    /** A 2-of-3 agreement whose report oracle 2 proposes with `attest --metrics proposerMetrics`; returns its path. */
    async function proposed(w: World, proposerMetrics = METRICS): Promise<string> {
      await time.increaseTo(w.terms.milestones[0].dueAt);
      const report = path.join(w.dir, "proposal.json");
      const a = await runOracle(
        {
          command: "attest",
          agreement: w.id.toString(),
          milestone: "0",
          samples: w.samples,
          metrics: proposerMetrics,
          escrow: w.escrow,
          out: report,
        },
        { ORACLE_PRIVATE_KEY: w.keys[2] },
      );
      expect(a.result.exitCode, a.stderr.join("\n")).to.equal(0);
      return report;
    }
    const sigIn = (w: World) =>
      fs.readdirSync(w.dir).filter((f) => f.endsWith(".sig.json") && f.includes(w.ctx.oracles[0].address));

    it("refuses a proposal whose two same-direction metrics are swapped, naming the first difference (its --metrics decide)", async function () {
      // p50 and p95 are both lower-is-better: the chain cannot tell them apart. True p50 410 ms and p95 600 ms give
      // 5000 + 500 = 5500 bps; the swapped [600, 410] would give 5000.
      const latencyTiers = [
        { higherIsBetter: false, tiers: [{ threshold: 200, cutBps: 5000 }] },
        { higherIsBetter: false, tiers: [{ threshold: 500, cutBps: 500 }] },
      ];
      const w = await world({ metrics: latencyTiers });
      const report = await proposed(w, "latency_p95_ms,latency_p50_ms");
      expect(JSON.parse(fs.readFileSync(report, "utf8")).values).to.deep.equal([600, 410]);
      const own = "latency_p50_ms,latency_p95_ms";
      const r = await runOracle(
        { command: "sign", report, samples: w.samples, metrics: own, escrow: w.escrow },
        { ORACLE_PRIVATE_KEY: w.keys[0] },
      );
      expectUserError(
        r,
        /^error: refusing to sign: metric 0 is "latency_p95_ms" in it but "latency_p50_ms" in ours \(ours: latency_p50_ms, latency_p95_ms\)$/,
      );
      expect(sigIn(w)).to.deep.equal([]);
      // --metrics is required: the names never come from the proposal.
      const missing = await runOracle(
        { command: "sign", report, samples: w.samples, escrow: w.escrow },
        { ORACLE_PRIVATE_KEY: w.keys[0] },
      );
      expectUserError(missing, /^error: --metrics: missing; give the agreement's metrics in order/);
      expect(sigIn(w)).to.deep.equal([]);
    });

    it("refuses a proposal whose cutBps is not the penalty rule applied to its values, or whose period is not the milestone's", async function () {
      const w = await world();
      const report = await proposed(w);
      const text = fs.readFileSync(report, "utf8");
      const cut = path.join(w.dir, "cut.json");
      fs.writeFileSync(cut, text.replace('"cutBps": 4000', '"cutBps": 0'));
      const r = await runOracle(
        { command: "sign", report: cut, samples: w.samples, metrics: METRICS, escrow: w.escrow },
        { ORACLE_PRIVATE_KEY: w.keys[0] },
      );
      expectUserError(
        r,
        /^error: refusing to sign: its cutBps is 0, but the agreement's tiers give 4000 for its values \[994000, 600\]$/,
      );
      const start = Number(w.terms.startAt);
      const period = path.join(w.dir, "period.json");
      fs.writeFileSync(period, text.replace(`"start": ${start}`, `"start": ${start + 1}`));
      const p = await runOracle(
        { command: "sign", report: period, samples: w.samples, metrics: METRICS, escrow: w.escrow },
        { ORACLE_PRIVATE_KEY: w.keys[0] },
      );
      expectUserError(
        p,
        new RegExp(
          `^error: refusing to sign: its period \\[${start + 1}, ${w.terms.milestones[0].dueAt}\\) is not milestone 0's period \\[${start}, `,
        ),
      );
      expect(sigIn(w)).to.deep.equal([]);
    });

    it("signs at most one digest per milestone: another report is refused naming the digest signed, the same one is signed again, attest shares the record", async function () {
      const w = await world();
      const report = await proposed(w);
      const state = path.join(w.dir, "o0-state");
      const sign = (file: string) =>
        runOracle(
          {
            command: "sign",
            report: file,
            samples: w.samples,
            metrics: METRICS,
            escrow: w.escrow,
            state,
            out: path.join(w.dir, `${path.basename(file)}.o0.sig.json`),
          },
          { ORACLE_PRIVATE_KEY: w.keys[0] },
        );
      const first = await sign(report);
      expect(first.result.exitCode, first.stderr.join("\n")).to.equal(0);
      const record = fs.readdirSync(path.join(state, "signed"));
      expect(record).to.deep.equal([
        `31337-${w.escrow}-agreement-${w.id}-milestone-0-${w.ctx.oracles[0].address}.json`,
      ]);
      const signedDigest = JSON.parse(fs.readFileSync(path.join(state, "signed", record[0]), "utf8")).digest as string;
      expect(signedDigest).to.equal(
        JSON.parse(fs.readFileSync(path.join(w.dir, "proposal.json.o0.sig.json"), "utf8")).digest,
      );
      // Oracle 1's report of the same milestone: within tolerance (the same samples), but another digest.
      const other = path.join(w.dir, "other.json");
      const a = await runOracle(
        {
          command: "attest",
          agreement: w.id.toString(),
          milestone: "0",
          samples: w.samples,
          metrics: METRICS,
          escrow: w.escrow,
          out: other,
        },
        { ORACLE_PRIVATE_KEY: w.keys[1] },
      );
      expect(a.result.exitCode, a.stderr.join("\n")).to.equal(0);
      const second = await sign(other);
      expectUserError(
        second,
        new RegExp(
          `^error: refusing to sign digest 0x[0-9a-f]{64} for agreement ${w.id} milestone 0: oracle ${w.ctx.oracles[0].address} already signed digest ${signedDigest} for it`,
        ),
      );
      expect(fs.existsSync(path.join(w.dir, "other.json.o0.sig.json"))).to.equal(false);
      // The same digest again: allowed, and the same signature (deterministic).
      const before = fs.readFileSync(path.join(w.dir, "proposal.json.o0.sig.json"), "utf8");
      const again = await sign(report);
      expect(again.result.exitCode, again.stderr.join("\n")).to.equal(0);
      expect(fs.readFileSync(path.join(w.dir, "proposal.json.o0.sig.json"), "utf8")).to.equal(before);
      // attest with the same state folder measures its own report: another digest, refused before signing.
      const own = path.join(w.dir, "own.json");
      const at = await runOracle(
        {
          command: "attest",
          agreement: w.id.toString(),
          milestone: "0",
          samples: w.samples,
          metrics: METRICS,
          escrow: w.escrow,
          state,
          out: own,
        },
        { ORACLE_PRIVATE_KEY: w.keys[0] },
      );
      expectUserError(at, new RegExp(`already signed digest ${signedDigest} for it`));
      expect(
        fs.readdirSync(w.dir).filter((f) => f.startsWith("agreement-") && f.includes(w.ctx.oracles[0].address)),
      ).to.deep.equal([]);
      expect(await statusOf(w)).to.equal(Milestone.Pending);
    });
  });

  describe("user mistakes: one line, exit 1, nothing posted", function () {
    let w: World;
    let base: {
      command: string;
      agreement: string;
      milestone: string;
      samples: string;
      metrics: string;
      escrow: string;
      out: string;
    };
    let env: Record<string, string>;

    before(async function () {
      w = await world({ threshold: 1 });
      await time.increaseTo(w.terms.milestones[0].dueAt);
      base = {
        command: "attest",
        agreement: w.id.toString(),
        milestone: "0",
        samples: w.samples,
        metrics: METRICS,
        escrow: w.escrow,
        out: path.join(w.dir, "m.json"),
      };
      env = { ORACLE_PRIVATE_KEY: w.keys[0] };
    });

    afterEach(async function () {
      expect(await statusOf(w, 0)).to.equal(Milestone.Pending);
      expect(await statusOf(w, 1)).to.equal(Milestone.Pending);
    });

    it("a malformed CSV, with its line number", async function () {
      const bad = path.join(w.dir, "bad.csv");
      fs.writeFileSync(bad, fs.readFileSync(w.samples, "utf8").replace(/\n([0-9]+),1,([0-9]+)\n/, "\n$1,1,fast\n"));
      expectUserError(
        await runOracle({ ...base, samples: bad }, env),
        /bad\.csv line \d+: latency_ms "fast" is not an integer/,
      );
      expect(fs.existsSync(base.out)).to.equal(false);
    });

    it("a missing sample file", async function () {
      expectUserError(
        await runOracle({ ...base, samples: path.join(w.dir, "nope.csv") }, env),
        /--samples: cannot read .*nope\.csv/,
      );
    });

    it("a key that is not an oracle of the agreement", async function () {
      expectUserError(
        await runOracle(base, { ORACLE_PRIVATE_KEY: privateKeyOf(w.ctx.stranger.address) }),
        /key: 0x[0-9a-fA-F]{40} is not an oracle of agreement/,
      );
    });

    it("no key at all", async function () {
      expectUserError(await runOracle(base, { ORACLE_PRIVATE_KEY: "" }), /ORACLE_PRIVATE_KEY: not set/);
    });

    it("a milestone that is not due", async function () {
      expectUserError(
        await runOracle({ ...base, milestone: "1" }, env),
        /--milestone: milestone 1 of agreement \d+ is not due until \d{4}-/,
      );
    });

    it("a milestone or agreement that does not exist", async function () {
      expectUserError(
        await runOracle({ ...base, milestone: "3" }, env),
        /--milestone: agreement \d+ has milestones 0\.\.2, not 3/,
      );
      expectUserError(await runOracle({ ...base, agreement: "999" }, env), /--agreement: agreement 999 does not exist/);
      expectUserError(
        await runOracle({ ...base, agreement: "one" }, env),
        /--agreement: "one" is not a non-negative integer/,
      );
    });

    it("metrics that do not fit the agreement", async function () {
      expectUserError(
        await runOracle({ ...base, metrics: "availability_ppm" }, env),
        /^error: --metrics: agreement \d+ has 2 metric\(s\), but 1 were given \(availability_ppm\)$/,
      );
      expectUserError(
        await runOracle({ ...base, metrics: "latency_p95_ms,availability_ppm" }, env),
        /--metrics: metric 0 of agreement \d+ is higher-is-better/,
      );
      expectUserError(
        await runOracle({ ...base, metrics: "availability_ppm,latency_p90_ms" }, env),
        /--metrics: unknown metric "latency_p90_ms"/,
      );
    });

    it("an escrow address without code (wrong network) and a malformed one", async function () {
      expectUserError(
        await runOracle({ ...base, escrow: w.ctx.stranger.address }, env),
        /no contract at 0x[0-9a-fA-F]{40} on network "hardhat" \(wrong network or address\?\)/,
      );
      expectUserError(await runOracle({ ...base, escrow: "0x1234" }, env), /--escrow: "0x1234" is not an address/);
    });

    it("a period without samples", async function () {
      const empty = path.join(w.dir, "empty.csv");
      fs.writeFileSync(empty, "timestamp,ok,latency_ms\n1,1,5\n");
      expectUserError(
        await runOracle({ ...base, samples: empty }, env),
        /^error: agreement \d+ milestone 0 \(period \[\d+, \d+\)\), metric "availability_ppm": no probe samples in the period: nothing to attest/,
      );
    });

    it("a report for another chain, or tampered, is refused by sign and post", async function () {
      const good = path.join(w.dir, "good.json");
      // Write a report without posting: threshold 1 would post, so build it through a 2-of-3 agreement instead.
      const w2 = await world();
      await time.increaseTo(w2.terms.milestones[0].dueAt);
      const a = await runOracle(
        { ...base, agreement: w2.id.toString(), samples: w2.samples, out: good },
        { ORACLE_PRIVATE_KEY: w2.keys[0] },
      );
      expect(a.result.exitCode, a.stderr.join("\n")).to.equal(0);
      const otherChain = path.join(w.dir, "chain.json");
      fs.writeFileSync(
        otherChain,
        fs.readFileSync(good, "utf8").replace('"chainId": "31337"', '"chainId": "11155111"'),
      );
      expectUserError(
        await runOracle(
          { command: "sign", report: otherChain, samples: w2.samples, metrics: METRICS, escrow: w.escrow },
          { ORACLE_PRIVATE_KEY: w2.keys[1] },
        ),
        /--report: chain\.json is for chain 11155111, but the network is chain 31337 \(wrong network\?\)/,
      );
      // Tampered after oracle 0 signed: oracle 0's signature no longer matches its evidence.
      const tampered = path.join(w.dir, "tampered.json");
      fs.writeFileSync(tampered, fs.readFileSync(good, "utf8").replace('"all": 1000', '"all": 1001'));
      const p = await runOracle(
        { command: "post", report: tampered, signatures: w.dir, escrow: w.escrow },
        { ORACLE_PRIVATE_KEY: w2.keys[1] },
      );
      expectUserError(p, /--signatures: 0 valid signature\(s\), agreement \d+ needs 2; nothing posted/);
      expect((await w2.ctx.escrow.milestoneInfo(w2.id, 0))[0]).to.equal(Milestone.Pending);
    });

    it("an unreachable Prometheus", async function () {
      const r = await runOracle(
        { ...base, samples: undefined, prometheus: `http://127.0.0.1:${await freePort()}` },
        env,
      );
      expectUserError(r, /^error: --prometheus: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    });

    it("an unknown sub-command", async function () {
      expectUserError(await runOracle({ command: "attset" }), /unknown command "attset"/);
    });
  });
});
