/** Unit tests of the oracle's pure core: metrics, CSV, the JSON-lines store, reports, tolerance, keys. */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { Wallet, encryptKeystoreJson, keccak256, toBeHex } from "ethers";
import { UserError } from "../../scripts/lib/errors";
import { formatSamplesCsv, parseSamplesCsv } from "../../scripts/oracle/csv";
import { FileSource } from "../../scripts/oracle/file-source";
import { backoffMs } from "../../scripts/oracle/daemon";
import { computeMetrics, nearestRankIndex, parseMetricNames } from "../../scripts/oracle/metrics";
import {
  REPORT_FORMAT,
  buildReport,
  evidenceOf,
  loadReport,
  serializeReport,
  writeReport,
} from "../../scripts/oracle/report";
import { type Sample, UINT32_MAX, inPeriod } from "../../scripts/oracle/samples";
import { loadOracleKey, signDigestChecked, verifyDigestSignature } from "../../scripts/oracle/signing";
import { SECP256K1_HALF_N, recoverSigner } from "../../scripts/lib/signer-mask";
import { attestationDigest, signAttestation } from "../../scripts/lib/attestation";
import { attestationHasher } from "../../scripts/lib/attestation-hasher";
import { ProbeStore, parseStore, readStore } from "../../scripts/oracle/store";
import { outOfTolerance, parseTolerances } from "../../scripts/lib/kpi/tolerance";
import { measureSpecs } from "../../scripts/oracle/measure";
import { specJson } from "../../scripts/lib/kpi/spec";
import type { SourceInfo } from "../../scripts/oracle/samples";
import { makeSamples, tempDir } from "./helpers";

const ALL = parseMetricNames("availability_ppm,latency_p50_ms,latency_p95_ms,latency_p99_ms");

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error("expected a UserError");
}

/** The reference: DESIGN.md's words, with floating point, on small inputs. */
function reference(samples: Sample[]): number[] {
  const ok = samples
    .filter((s) => s.ok)
    .map((s) => s.latencyMs as number)
    .sort((a, b) => a - b);
  const pct = (p: number) => (ok.length === 0 ? UINT32_MAX : ok[Math.ceil((p / 100) * ok.length) - 1]);
  return [Math.floor((1_000_000 * ok.length) / samples.length), pct(50), pct(95), pct(99)];
}

describe("oracle core", function () {
  describe("metrics", function () {
    it("computes availability and nearest-rank percentiles exactly as DESIGN.md defines them", function () {
      // 1000 samples, 6 failed: availability 994000; the 945th smallest of 994 ok latencies is p95.
      const samples = makeSamples(1000, 2000, 1000, 6, (j) => (j < 945 ? 200 + Math.floor((j * 400) / 944) : 900));
      const r = computeMetrics(samples, ALL);
      expect(r.values[0]).to.equal(994_000);
      expect(r.values[2]).to.equal(600);
      expect(r.metrics[2].derivation).to.include({ percentile: 95, index: 944, okSamples: 994, allSamples: 1000 });
      expect(r.values).to.deep.equal(reference(samples));
    });

    it("uses integer arithmetic for the rank (no float rounding at exact multiples)", function () {
      expect(nearestRankIndex(95, 100)).to.equal(94);
      expect(nearestRankIndex(95, 20)).to.equal(18);
      expect(nearestRankIndex(99, 1)).to.equal(0);
      expect(nearestRankIndex(50, 2)).to.equal(0);
      expect(nearestRankIndex(50, 3)).to.equal(1);
      const wrong: string[] = [];
      for (let n = 1; n < 5000; n++) {
        for (const p of [50, 95, 99])
          if (nearestRankIndex(p, n) !== Math.ceil((p * n) / 100) - 1) wrong.push(`${p}/${n}`);
      }
      expect(wrong).to.deep.equal([]);
    });

    it("matches the reference on random sample sets, in any row order", function () {
      const sample = fc.record({
        timestamp: fc.integer({ min: 0, max: 10_000 }),
        ok: fc.boolean(),
        latencyMs: fc.integer({ min: 0, max: UINT32_MAX }),
      });
      fc.assert(
        fc.property(fc.array(sample, { minLength: 1, maxLength: 200 }), (raw) => {
          const samples = raw.map((s) => ({ ...s, latencyMs: s.ok ? s.latencyMs : null }));
          const values = computeMetrics(samples, ALL).values;
          expect(values).to.deep.equal(reference(samples));
          expect(computeMetrics([...samples].reverse(), ALL).values).to.deep.equal(values);
        }),
        { numRuns: 300 },
      );
    });

    it("an all-failed period has availability 0 and latencies 4294967295", function () {
      const r = computeMetrics([{ timestamp: 1, ok: false, latencyMs: null }], ALL);
      expect(r.values).to.deep.equal([0, UINT32_MAX, UINT32_MAX, UINT32_MAX]);
    });

    it("refuses a period without samples", function () {
      expect(userError(() => computeMetrics([], ALL, "agreement 1 milestone 0"))).to.equal(
        "agreement 1 milestone 0: no probe samples in the period: nothing to attest (the escrow's silent path applies)",
      );
    });

    it("keeps samples with start <= timestamp < end", function () {
      const s = [9, 10, 11, 19, 20].map((timestamp) => ({ timestamp, ok: true, latencyMs: 1 }));
      expect(inPeriod(s, 10, 20).map((x) => x.timestamp)).to.deep.equal([10, 11, 19]);
    });

    it("parses --metrics and rejects unknown or repeated names", function () {
      expect(parseMetricNames("availability_ppm, latency_p95_ms").map(specJson)).to.deep.equal([
        { name: "availability_ppm", kind: "probes.availability_ppm" },
        { name: "latency_p95_ms", kind: "probes.latency_ms", percentile: 95 },
      ]);
      expect(userError(() => parseMetricNames("availability_ppm,latency_p90_ms"))).to.match(
        /--metrics: unknown metric "latency_p90_ms"/,
      );
      expect(userError(() => parseMetricNames("latency_p95_ms,latency_p95_ms"))).to.match(/named twice/);
      expect(userError(() => parseMetricNames(""))).to.match(/--metrics: missing/);
    });
  });

  describe("CSV", function () {
    it("parses the DESIGN.md format, any row order, CRLF, failed rows with or without latency", function () {
      const text = "timestamp,ok,latency_ms\r\n20,1,150\r\n10,0,\r\n15,0,999\r\n12,1,0\r\n\r\n";
      expect(parseSamplesCsv(text)).to.deep.equal([
        { timestamp: 20, ok: true, latencyMs: 150 },
        { timestamp: 10, ok: false, latencyMs: null },
        { timestamp: 15, ok: false, latencyMs: null },
        { timestamp: 12, ok: true, latencyMs: 0 },
      ]);
    });

    it("round-trips through formatSamplesCsv", function () {
      const samples = makeSamples(0, 100, 50, 5, (j) => j * 3);
      expect(parseSamplesCsv(formatSamplesCsv(samples))).to.deep.equal(samples);
    });

    for (const [row, why] of [
      ["1700000000,1,", /line 3: latency_ms is empty for an ok sample/],
      ["1700000000,yes,12", /line 3: ok "yes" must be 1 or 0/],
      ["1700000000.5,1,12", /line 3: timestamp "1700000000.5" is not a unix time/],
      ["-5,1,12", /line 3: timestamp "-5"/],
      ["1700000000,1,12.5", /line 3: latency_ms "12.5" is not an integer/],
      ["1700000000,1,4294967296", /line 3: latency_ms "4294967296"/],
      ["1700000000,1", /line 3: expected 3 fields/],
      ["1700000000,1,12,4", /line 3: expected 3 fields/],
      ["", /line 3: expected 3 fields/],
    ] as const) {
      it(`rejects the whole file for the malformed row "${row}" with its line number`, function () {
        const text = `timestamp,ok,latency_ms\n1700000000,1,10\n${row}\n1700000001,1,10\n`;
        expect(userError(() => parseSamplesCsv(text, "s.csv"))).to.match(new RegExp("^s\\.csv " + why.source));
      });
    }

    it("rejects a wrong header and an empty file", function () {
      expect(userError(() => parseSamplesCsv("time,ok,latency\n1,1,1\n", "s.csv"))).to.match(
        /s\.csv line 1: header must be "timestamp,ok,latency_ms"/,
      );
      expect(userError(() => parseSamplesCsv("", "s.csv"))).to.match(/s\.csv: empty file/);
    });
  });

  describe("JSON-lines store", function () {
    it("appends with fsync and reads back after reopening", function () {
      const file = path.join(tempDir(), "probes.jsonl");
      const s = ProbeStore.open(file);
      s.append({ timestamp: 1, ok: true, latency_ms: 12, status: 200 });
      s.append({ timestamp: 2, ok: false, latency_ms: null, status: 503 });
      s.close();
      const s2 = ProbeStore.open(file);
      s2.append({ timestamp: 3, ok: true, latency_ms: 7 });
      s2.close();
      const read = readStore(file);
      expect(read.samples.map((x) => x.timestamp)).to.deep.equal([1, 2, 3]);
      expect(read.tornBytes).to.equal(0);
    });

    it("detects a torn last line: readers skip it (and say so), the next writer cuts it off", function () {
      const file = path.join(tempDir(), "probes.jsonl");
      fs.writeFileSync(file, '{"timestamp":1,"ok":true,"latency_ms":5}\n{"timestamp":2,"ok":tr');
      const read = readStore(file);
      expect(read.samples).to.have.length(1);
      expect(read.tornBytes).to.equal('{"timestamp":2,"ok":tr'.length);
      const s = ProbeStore.open(file);
      expect(s.repairedBytes).to.equal(read.tornBytes);
      s.append({ timestamp: 3, ok: false, latency_ms: null });
      s.close();
      expect(fs.readFileSync(file, "utf8")).to.equal(
        '{"timestamp":1,"ok":true,"latency_ms":5}\n{"timestamp":3,"ok":false,"latency_ms":null}\n',
      );
      expect(readStore(file).samples.map((x) => x.timestamp)).to.deep.equal([1, 3]);
    });

    it("rejects a corrupt complete line with its line number", function () {
      expect(() => parseStore('{"timestamp":1,"ok":true,"latency_ms":5}\nnot json\n', "p.jsonl")).to.throw(
        UserError,
        /p\.jsonl line 2: not a JSON object/,
      );
      expect(() => parseStore('{"timestamp":1,"ok":true}\n', "p.jsonl")).to.throw(
        UserError,
        /p\.jsonl line 1: not a probe result/,
      );
    });

    it("is a file source (chosen by extension) that reports the torn line it skipped", async function () {
      const file = path.join(tempDir(), "probes.jsonl");
      fs.writeFileSync(
        file,
        '{"timestamp":10,"ok":true,"latency_ms":5}\n{"timestamp":11,"ok":false,"latency_ms":null}\n{"time',
      );
      const got = await new FileSource(file).samplesFor(0, 100);
      expect(got.samples).to.have.length(2);
      expect(got.info).to.include({ kind: "jsonl", tornLastLineBytesSkipped: 6 });
    });
  });

  describe("report", function () {
    const ctx = {
      chainId: 31337n,
      escrow: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      agreementId: 7n,
      milestone: 2,
      period: { start: 1000, end: 2000 },
      oracle: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    };

    /** A report of `names` over `samples` (already in the period), measured as the oracle measures. */
    async function reportOf(samples: Sample[], names: string[], info: SourceInfo = {}, cut = 0) {
      const measured = await measureSpecs(
        parseMetricNames(names.join(",")),
        { probes: { kind: "test", samplesFor: async () => ({ samples, info }) } },
        ctx.period,
        { lagSeconds: 0, what: `agreement 7 milestone 2 (period [1000, 2000))` },
      );
      return buildReport(ctx, measured, () => cut);
    }

    it("carries agreement, milestone, period, values with derivations, counts and the source", async function () {
      const samples = makeSamples(1000, 2000, 100, 3, (j) => 100 + j);
      const report = await reportOf(
        samples,
        ["availability_ppm", "latency_p95_ms"],
        { kind: "csv", file: "s.csv" },
        1234,
      );
      expect(report).to.include({
        format: REPORT_FORMAT,
        chainId: "31337",
        agreementId: "7",
        milestone: 2,
        cutBps: 1234,
      });
      expect(report.period).to.include({ start: 1000, end: 2000 });
      expect(report.sources).to.deep.equal({ probes: { kind: "csv", file: "s.csv", all: 100, ok: 97, failed: 3 } });
      expect(report.metrics[0].spec).to.deep.equal({ name: "availability_ppm", kind: "probes.availability_ppm" });
      expect(report.metrics[1].spec).to.deep.equal({
        name: "latency_p95_ms",
        kind: "probes.latency_ms",
        percentile: 95,
      });
      expect(report.metrics[1].unit).to.equal("ms");
      expect(report.values).to.deep.equal([970_000, 100 + nearestRankIndex(95, 97)]);
      expect(report.metrics[1].derivation.index).to.equal(nearestRankIndex(95, 97));
    });

    it("evidence is keccak256 of the exact bytes written, and loading hashes the bytes read", async function () {
      const report = await reportOf(
        makeSamples(1000, 2000, 10, 1, () => 5),
        ["availability_ppm"],
      );
      const file = path.join(tempDir(), "r.json");
      const { bytes, evidence } = writeReport(file, report);
      expect(evidence).to.equal(keccak256(fs.readFileSync(file)));
      expect(evidence).to.equal(evidenceOf(serializeReport(report)));
      expect(loadReport(file).evidence).to.equal(evidence);
      // A one-byte change (even whitespace) is another report.
      fs.writeFileSync(file, Buffer.concat([bytes, Buffer.from(" ")]));
      expect(loadReport(file).evidence).to.not.equal(evidence);
    });

    it("refuses a period without samples, naming the agreement and milestone", async function () {
      let message = "";
      await reportOf([], ["availability_ppm"]).catch((e: Error) => {
        expect(e).to.be.instanceOf(UserError);
        message = e.message;
      });
      expect(message).to.equal(
        'agreement 7 milestone 2 (period [1000, 2000)), metric "availability_ppm": no probe samples in the period: nothing to attest (the escrow\'s silent path applies)',
      );
    });

    it("rejects a malformed report naming the field", async function () {
      const dir = tempDir();
      const file = path.join(dir, "bad.json");
      const report = await reportOf(
        makeSamples(1000, 2000, 10, 1, () => 5),
        ["availability_ppm"],
      );
      fs.writeFileSync(file, JSON.stringify({ ...report, values: [-1] }));
      expect(() => loadReport(file)).to.throw(UserError, /field "values"/);
      fs.writeFileSync(file, "{ nope");
      expect(() => loadReport(file)).to.throw(UserError, /not valid JSON/);
      expect(() => loadReport(path.join(dir, "missing.json"))).to.throw(UserError, /--report: cannot read/);
    });
  });

  describe("tolerance", function () {
    it("parses absolute and relative tolerances over the defaults", function () {
      const t = parseTolerances("availability_ppm=50,2=5%", ALL);
      expect(t).to.deep.equal([
        { kind: "abs", amount: 50 },
        { kind: "pct", percent: 10 },
        { kind: "pct", percent: 5 },
        { kind: "pct", percent: 10 },
      ]);
      expect(() => parseTolerances("latency_p95_ms=lots", ALL)).to.throw(
        UserError,
        /--tolerance: "latency_p95_ms=lots"/,
      );
      expect(() => parseTolerances("uptime=5", ALL)).to.throw(
        UserError,
        '--tolerance: "uptime" is not one of the metrics (availability_ppm, latency_p50_ms, latency_p95_ms, latency_p99_ms) nor an index 0..3',
      );
    });

    it("names every metric outside tolerance and by how much", function () {
      const names = parseMetricNames("availability_ppm,latency_p95_ms");
      const t = parseTolerances("availability_ppm=100,latency_p95_ms=5%", names);
      expect(outOfTolerance(names, [994_000, 600], [994_100, 580], t)).to.deep.equal([]);
      const diffs = outOfTolerance(names, [994_000, 600], [994_101, 560], t);
      expect(diffs.map((d) => [d.name, d.difference, d.allowed])).to.deep.equal([
        ["availability_ppm", 101, 100],
        ["latency_p95_ms", 40, 28],
      ]);
    });
  });

  describe("retry backoff", function () {
    it("is full-jitter exponential: uniform in [0, min(cap, base * 2^attempt)]", function () {
      expect(backoffMs(0, 500, 30_000, () => 0.999999)).to.equal(499);
      expect(backoffMs(3, 500, 30_000, () => 0.5)).to.equal(2000);
      expect(backoffMs(10, 500, 30_000, () => 0.999999)).to.equal(29_999);
      expect(backoffMs(10, 500, 30_000, () => 0)).to.equal(0);
    });
  });

  describe("signing", function () {
    it("the cached hasher and the digest signature equal the shared module's digest and EIP-712 signature", async function () {
      const w = Wallet.createRandom();
      const wallet = new Wallet(w.privateKey);
      const domain = {
        name: "SLAEscrow",
        version: "1",
        chainId: 31337n,
        verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      };
      const hasher = attestationHasher(domain);
      for (const att of [
        { agreementId: 1n, milestone: 0, values: [994_000, 600], evidence: keccak256("0x01") },
        { agreementId: 2n ** 200n, milestone: 127, values: [0, UINT32_MAX, 5], evidence: keccak256("0x02") },
      ]) {
        const digest = attestationDigest(domain, att);
        expect(hasher(att)).to.equal(digest);
        expect(signDigestChecked(wallet, digest)).to.equal(await signAttestation(wallet, domain, att));
      }
    });

    it("the cached hasher rejects what the EIP-712 encoder rejects", function () {
      const domain = { name: "SLAEscrow", version: "1", chainId: 1n, verifyingContract: Wallet.createRandom().address };
      const hasher = attestationHasher(domain);
      const ok = { agreementId: 1n, milestone: 0, values: [1, 2], evidence: keccak256("0x01") };
      for (const bad of [
        { ...ok, values: [2 ** 32] },
        { ...ok, values: [-1] },
        { ...ok, values: [1.5] },
        { ...ok, values: [2n ** 32n] },
        { ...ok, agreementId: -1n },
        { ...ok, milestone: 2n ** 256n },
        { ...ok, evidence: "0x1234" },
      ]) {
        expect(
          () => attestationDigest(domain, bad),
          JSON.stringify(bad, (_k, v) => String(v)),
        ).to.throw();
        expect(
          () => hasher(bad),
          JSON.stringify(bad, (_k, v) => String(v)),
        ).to.throw();
      }
      expect(hasher({ ...ok, values: [] })).to.equal(attestationDigest(domain, { ...ok, values: [] }));
      expect(hasher({ ...ok, values: ["7", 8n, 0xffffffff] })).to.equal(
        attestationDigest(domain, { ...ok, values: [7, 8, 0xffffffff] }),
      );
    });

    /** `signature` with s replaced by n - s and v flipped: the same ECDSA signature's malleable twin. */
    function highS(signature: string): string {
      const s = BigInt("0x" + signature.slice(66, 130));
      const v = parseInt(signature.slice(130), 16);
      return signature.slice(0, 66) + toBeHex(2n * SECP256K1_HALF_N + 1n - s, 32).slice(2) + (v === 27 ? "1c" : "1b");
    }

    it("the self-check verifies against the key's public key exactly when recovery yields its address", function () {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const other = new Wallet(Wallet.createRandom().privateKey);
      const pub = wallet.signingKey.publicKey;
      // Enough rounds to use both ways of computing the key's multiple (before and after its table is built).
      for (let i = 0; i < 8; i++) {
        const digest = keccak256(toBeHex(i, 32));
        const good = wallet.signingKey.sign(digest).serialized;
        const cases: [string, string, boolean][] = [
          [digest, good, true],
          [digest, other.signingKey.sign(digest).serialized, false], // another key
          [keccak256(toBeHex(i + 100, 32)), good, false], // another digest
          [digest, highS(good), false], // the malleable twin, which plain ECDSA accepts
          [digest, good.slice(0, 130) + (good.endsWith("1b") ? "1c" : "1b"), false], // the other recovery bit
          [digest, good.slice(0, 130) + (good.endsWith("1b") ? "00" : "01"), false], // v 0/1: OpenZeppelin refuses
          [digest, good.slice(0, 128), false], // 64 bytes
          [digest, "0x" + "00".repeat(32) + good.slice(66), false], // r = 0
          [digest, good.slice(0, 66) + "00".repeat(32) + good.slice(130), false], // s = 0
        ];
        for (const [d, sig, expected] of cases) {
          expect(verifyDigestSignature(pub, d, sig), `case ${cases.findIndex((c) => c[1] === sig)}`).to.equal(expected);
          expect(recoverSigner(d, sig) === wallet.address).to.equal(expected);
        }
      }
    });

    it("agrees with recovery on random keys, digests and corrupted signatures (property)", function () {
      const keys = Array.from({ length: 3 }, () => new Wallet(Wallet.createRandom().privateKey));
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 2 }),
          fc.integer({ min: 0, max: 2 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.integer({ min: -1, max: 64 }),
          fc.integer({ min: 1, max: 255 }),
          (signer, claimed, digestBytes, flipAt, flip) => {
            const digest = keccak256(digestBytes);
            let sig = keys[signer].signingKey.sign(digest).serialized;
            if (flipAt >= 0) {
              const bytes = Buffer.from(sig.slice(2), "hex");
              bytes[flipAt] ^= flip;
              sig = "0x" + bytes.toString("hex");
            }
            const byRecovery = recoverSigner(digest, sig) === keys[claimed].address;
            expect(verifyDigestSignature(keys[claimed].signingKey.publicKey, digest, sig)).to.equal(byRecovery);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("signDigestChecked refuses a signature by another key, a high-s one and one of another digest", function () {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const other = new Wallet(Wallet.createRandom().privateKey);
      const digest = keccak256("0x0123");
      const good = wallet.signingKey.sign(digest).serialized;
      // A key that signs wrongly (a fault, a bug): the check must catch what leaves the machine.
      const faulty = (serialized: string) =>
        ({
          address: wallet.address,
          signingKey: { publicKey: wallet.signingKey.publicKey, sign: () => ({ serialized }) },
        }) as unknown as Wallet;
      expect(signDigestChecked(faulty(good), digest)).to.equal(good);
      for (const bad of [
        other.signingKey.sign(digest).serialized,
        highS(good),
        wallet.signingKey.sign(keccak256("0x0124")).serialized,
      ]) {
        expect(() => signDigestChecked(faulty(bad), digest)).to.throw(/signature check failed/);
        expect(signDigestChecked(faulty(bad), digest, false)).to.equal(bad); // the benchmark's sign-only path
      }
      // A public key that is not the address's.
      const lying = {
        address: other.address,
        signingKey: { publicKey: wallet.signingKey.publicKey, sign: () => ({ serialized: good }) },
      } as unknown as Wallet;
      expect(() => signDigestChecked(lying, digest)).to.throw(/signature check failed/);
    });
  });

  describe("keys", function () {
    const key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    it("loads ORACLE_PRIVATE_KEY and explains a missing or malformed one without echoing it", async function () {
      expect((await loadOracleKey({ env: { ORACLE_PRIVATE_KEY: key } })).address).to.equal(new Wallet(key).address);
      await expectUserError(loadOracleKey({ env: {} }), /ORACLE_PRIVATE_KEY: not set/);
      const err = await expectUserError(
        loadOracleKey({ env: { ORACLE_PRIVATE_KEY: "0x1234secret" } }),
        /ORACLE_PRIVATE_KEY: expected 64 hex digits \(0x optional\)/,
      );
      expect(err).to.not.include("secret");
    });

    it("loads an encrypted keystore with ORACLE_KEYSTORE_PASSWORD", async function () {
      const w = new Wallet(key);
      const json = await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, "pw", {
        scrypt: { N: 1024 },
      });
      const file = path.join(tempDir(), "key.json");
      fs.writeFileSync(file, json);
      expect((await loadOracleKey({ keystore: file, env: { ORACLE_KEYSTORE_PASSWORD: "pw" } })).address).to.equal(
        w.address,
      );
      const err = await expectUserError(
        loadOracleKey({ keystore: file, env: { ORACLE_KEYSTORE_PASSWORD: "wrong-pw" } }),
        /ORACLE_KEYSTORE_PASSWORD does not decrypt --keystore \(wrong password\?\)/,
      );
      expect(err).to.not.include("wrong-pw");
      await expectUserError(loadOracleKey({ keystore: file, env: {} }), /ORACLE_KEYSTORE_PASSWORD: not set/);
      await expectUserError(
        loadOracleKey({ keystore: file + ".missing", env: { ORACLE_KEYSTORE_PASSWORD: "pw" } }),
        /--keystore: no such file: .*key\.json\.missing$/,
      );
      // The same rules as the deployer's key (scripts/adapters/keys.ts): 0x optional, in the curve's range.
      expect((await loadOracleKey({ env: { ORACLE_PRIVATE_KEY: key.slice(2) } })).address).to.equal(
        new Wallet(key).address,
      );
      await expectUserError(
        loadOracleKey({ env: { ORACLE_PRIVATE_KEY: "0x" + "0".repeat(64) } }),
        /ORACLE_PRIVATE_KEY: not a valid secp256k1 private key/,
      );
    });
  });
});

async function expectUserError(p: Promise<unknown>, re: RegExp): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(UserError);
    expect((e as Error).message).to.match(re);
    return (e as Error).message;
  }
  throw new Error("expected a UserError");
}
