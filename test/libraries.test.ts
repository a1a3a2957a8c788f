/**
 * Unit tests of the escrow's libraries (PenaltyMath, PackedConfig, SignerMask, TermsValidation) through
 * LibraryHarness, each fixed case also checked against the TypeScript rule of scripts/lib/penalty.ts where there is
 * one. The random comparisons of the math with its TypeScript twins are in differential.test.ts.
 *
 * DIFF_RUNS sets the number of random cases of the random properties here (default 300).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { Signature, Wallet } from "ethers";
import fc from "fast-check";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { LibraryHarness, MockERC1271Wallet } from "../typechain-types";
import type { ISLAEscrow } from "../typechain-types/contracts/mocks/LibraryHarness";
import { cutBps as tsCutBps, split as tsSplit } from "../scripts/lib/penalty";
import { BREACHED, DAY, MET, METRICS, UNIT, makeTerms, setup, type Context } from "./helpers/fixture";
import { MAX_U128, MAX_U256, MAX_U32, type Metric, SECP256K1_N } from "./helpers/math";

const DIFF_RUNS = Number(process.env.DIFF_RUNS ?? 300);

/** 16 distinct, ascending, non-zero addresses. */
const ORACLES = Array.from({ length: 16 }, (_, i) => ethers.getAddress(ethers.toBeHex(0x1000n + BigInt(i), 20)));

function higher(...tiers: [number, number][]): Metric {
  return { higherIsBetter: true, tiers: tiers.map(([threshold, cutBps]) => ({ threshold, cutBps })) };
}

function lower(...tiers: [number, number][]): Metric {
  return { higherIsBetter: false, tiers: tiers.map(([threshold, cutBps]) => ({ threshold, cutBps })) };
}

function popcount(x: bigint): number {
  let n = 0;
  for (let v = x; v !== 0n; v &= v - 1n) n++;
  return n;
}

function byAddress(a: string, b: string): number {
  return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
}

/** Normalizes a decoded Metric[] into plain numbers for deep comparison. */
function plainMetrics(metrics: readonly ISLAEscrow.MetricStructOutput[]): Metric[] {
  return metrics.map((m) => ({
    higherIsBetter: m.higherIsBetter,
    tiers: m.tiers.map((t) => ({ threshold: Number(t.threshold), cutBps: Number(t.cutBps) })),
  }));
}

describe("libraries (LibraryHarness)", function () {
  let harness: LibraryHarness;

  before(async function () {
    const factory = await ethers.getContractFactory("LibraryHarness");
    harness = (await factory.deploy()) as unknown as LibraryHarness;
    await harness.waitForDeployment();
  });

  /** The harness's cut for `metrics` and `values`, with the tiers after `oracleCount` packed oracles. */
  async function cut(metrics: Metric[], values: number[], oracleCount = 3): Promise<number> {
    return Number(await harness.cutBps(ORACLES.slice(0, oracleCount), metrics, values));
  }

  /** Asserts the harness and the TypeScript rule both give `expected`, with 0, 1, 3 and 16 oracles in front. */
  async function expectCut(metrics: Metric[], values: number[], expected: number): Promise<void> {
    expect(tsCutBps(metrics, values), "scripts/lib/penalty.ts").to.equal(expected);
    for (const n of [0, 1, 3, 16]) {
      expect(await cut(metrics, values, n), `harness with ${n} oracles`).to.equal(expected);
    }
  }

  describe("PenaltyMath.cutBps", function () {
    it("gives the DESIGN.md reference cuts", async function () {
      const metrics = METRICS as unknown as Metric[];
      await expectCut(metrics, MET, 0);
      await expectCut(metrics, BREACHED, 4000); // availability tier 2500 + latency tier 1500
      await expectCut(metrics, [989_999, 1001], 8000); // the worst tier of each: 5000 + 3000
      await expectCut(metrics, [0, MAX_U32], 8000);
      await expectCut(metrics, [MAX_U32, 0], 0);
    });

    it("does not breach at exactly the threshold, breaches one past it (higher is better)", async function () {
      const m = [higher([999_000, 1000])];
      await expectCut(m, [999_000], 0);
      await expectCut(m, [998_999], 1000);
      await expectCut(m, [999_001], 0);
    });

    it("does not breach at exactly the threshold, breaches one past it (lower is better)", async function () {
      const m = [lower([300, 500])];
      await expectCut(m, [300], 0);
      await expectCut(m, [301], 500);
      await expectCut(m, [299], 0);
    });

    it("reference metrics at every threshold and one past it", async function () {
      const metrics = METRICS as unknown as Metric[];
      // availability (higher is better): tiers 999000/1000, 995000/2500, 990000/5000; latency met.
      await expectCut(metrics, [999_000, 0], 0);
      await expectCut(metrics, [998_999, 0], 1000);
      await expectCut(metrics, [995_000, 0], 1000);
      await expectCut(metrics, [994_999, 0], 2500);
      await expectCut(metrics, [990_000, 0], 2500);
      await expectCut(metrics, [989_999, 0], 5000);
      // latency (lower is better): tiers 300/500, 500/1500, 1000/3000; availability met.
      await expectCut(metrics, [MAX_U32, 300], 0);
      await expectCut(metrics, [MAX_U32, 301], 500);
      await expectCut(metrics, [MAX_U32, 500], 500);
      await expectCut(metrics, [MAX_U32, 501], 1500);
      await expectCut(metrics, [MAX_U32, 1000], 1500);
      await expectCut(metrics, [MAX_U32, 1001], 3000);
    });

    it("takes the largest breached tier whatever the tier order", async function () {
      const tiers: [number, number][] = [
        [999_000, 1000],
        [995_000, 2500],
        [990_000, 5000],
        [980_000, 700],
      ];
      // every permutation of the four tiers
      const perms = (xs: [number, number][]): [number, number][][] =>
        xs.length <= 1
          ? [xs]
          : xs.flatMap((x, i) => perms([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
      for (const order of perms(tiers)) {
        await expectCut([higher(...order)], [970_000], 5000); // all four breached: 5000 is the largest
        await expectCut([higher(...order)], [992_000], 2500); // 999000 and 995000 breached
        await expectCut([higher(...order)], [999_000], 0);
      }
      // a larger cut on a less strict tier still wins when both are breached
      await expectCut([lower([100, 9000], [200, 100])], [300], 9000);
      await expectCut([lower([200, 100], [100, 9000])], [150], 9000);
      await expectCut([lower([200, 100], [100, 9000])], [100], 0);
    });

    it("caps the sum over metrics at 10000", async function () {
      await expectCut([higher([10, 6000]), lower([10, 4000])], [0, 11], 10_000); // exactly 10000
      await expectCut([higher([10, 6000]), lower([10, 4001])], [0, 11], 10_000); // 10001 capped
      await expectCut([higher([10, 10_000]), lower([10, 10_000])], [0, 11], 10_000);
      const eight = Array.from({ length: 8 }, () => higher([MAX_U32, 10_000]));
      await expectCut(eight, Array<number>(8).fill(0), 10_000); // 80000 capped
      await expectCut([higher([10, 6000]), lower([10, 3999])], [0, 11], 9999);
    });

    it("handles values 0 and max uint32", async function () {
      await expectCut([higher([1, 100])], [0], 100);
      await expectCut([higher([1, 100])], [MAX_U32], 0);
      await expectCut([lower([MAX_U32 - 1, 100])], [MAX_U32], 100);
      await expectCut([lower([MAX_U32 - 1, 100])], [0], 0);
    });

    it("tiers with cut 0 never add anything, even when breached", async function () {
      await expectCut([higher([100, 0])], [0], 0);
      await expectCut([lower([100, 0], [50, 0])], [MAX_U32], 0);
      await expectCut([lower([100, 0], [50, 300])], [MAX_U32], 300);
      await expectCut([higher([100, 0], [50, 300])], [70], 0); // only the cut-0 tier breached
    });

    it("threshold 0 and max uint32", async function () {
      // higher is better: value < 0 never holds; value < MAX holds for every value but MAX
      await expectCut([higher([0, 9000])], [0], 0);
      await expectCut([higher([0, 9000])], [MAX_U32], 0);
      await expectCut([higher([MAX_U32, 9000])], [MAX_U32 - 1], 9000);
      await expectCut([higher([MAX_U32, 9000])], [0], 9000);
      await expectCut([higher([MAX_U32, 9000])], [MAX_U32], 0);
      // lower is better: value > 0 holds for every value but 0; value > MAX never holds
      await expectCut([lower([0, 9000])], [0], 0);
      await expectCut([lower([0, 9000])], [1], 9000);
      await expectCut([lower([0, 9000])], [MAX_U32], 9000);
      await expectCut([lower([MAX_U32, 9000])], [MAX_U32], 0);
      await expectCut([lower([MAX_U32, 9000])], [0], 0);
    });

    it("8 metrics with 8 tiers each", async function () {
      // metric m, tier t: threshold 100 * (t + 1), cut 100 * (t + 1) + m; alternating directions.
      const metrics: Metric[] = Array.from({ length: 8 }, (_, m) => ({
        higherIsBetter: m % 2 === 0,
        tiers: Array.from({ length: 8 }, (_, t) => ({ threshold: 100 * (t + 1), cutBps: 100 * (t + 1) + m })),
      }));
      // all breached: higher-is-better value 0 (< every threshold), lower-is-better value MAX
      const all = metrics.map((m) => (m.higherIsBetter ? 0 : MAX_U32));
      await expectCut(
        metrics,
        all,
        [0, 1, 2, 3, 4, 5, 6, 7].reduce((s, m) => s + 800 + m, 0),
      ); // 6428
      // none breached
      await expectCut(
        metrics,
        metrics.map((m) => (m.higherIsBetter ? 800 : 100)),
        0,
      );
      // value 450 breaches thresholds 500..800 (tiers 4..7, largest cut 800) of a higher-is-better metric and
      // thresholds 100..400 (tiers 0..3, largest cut 400 + m) of a lower-is-better one.
      const mid = metrics.map(() => 450);
      const expected = metrics.reduce((s, m, i) => s + (m.higherIsBetter ? 800 + i : 400 + i), 0);
      await expectCut(metrics, mid, expected);
      // the last tier of the last metric is read correctly (no off-by-one at the end of the packed bytes)
      const last: Metric[] = metrics.map((m, i) =>
        i < 7
          ? { ...m, tiers: m.tiers.map((t) => ({ ...t, cutBps: 0 })) }
          : { ...m, tiers: m.tiers.map((t, j) => ({ ...t, cutBps: j === 7 ? 4321 : 0 })) },
      );
      await expectCut(last, all, 4321);
    });

    it("the tiers offset after the oracles does not change the cut (0..16 oracles)", async function () {
      const metrics = METRICS as unknown as Metric[];
      for (let n = 0; n <= 16; n++) {
        expect(await cut(metrics, BREACHED, n), `${n} oracles`).to.equal(4000);
        expect(await cut(metrics, MET, n), `${n} oracles`).to.equal(0);
      }
    });
  });

  describe("PenaltyMath.split", function () {
    async function expectSplit(amount: bigint, c: number, toVendor: bigint, toClient: bigint): Promise<void> {
      const [v, cl] = await harness.split(amount, c);
      expect([v, cl], `split(${amount}, ${c})`).to.deep.equal([toVendor, toClient]);
      const ts = tsSplit(amount, c);
      expect([ts.toVendor, ts.toClient], `TS split(${amount}, ${c})`).to.deep.equal([toVendor, toClient]);
    }

    it("rounds the client's part down", async function () {
      await expectSplit(1n, 9999, 1n, 0n);
      await expectSplit(1n, 5000, 1n, 0n);
      await expectSplit(3n, 5000, 2n, 1n);
      await expectSplit(9999n, 1, 9999n, 0n);
      await expectSplit(10_000n, 1, 9999n, 1n);
      await expectSplit(10_001n, 1, 10_000n, 1n);
      await expectSplit(19_999n, 1, 19_998n, 1n);
      await expectSplit(1000n * UNIT, 4000, 600n * UNIT, 400n * UNIT);
      await expectSplit(7n, 3333, 5n, 2n); // 7 * 3333 / 10000 = 2.3331
    });

    it("cut 0 pays the vendor everything, cut 10000 refunds everything", async function () {
      for (const amount of [0n, 1n, 2n, 3n, 12_345n, UNIT, MAX_U128]) {
        await expectSplit(amount, 0, amount, 0n);
        await expectSplit(amount, 10_000, 0n, amount);
      }
    });

    it("max uint128 with cut 10000 and 9999 does not overflow", async function () {
      await expectSplit(MAX_U128, 10_000, 0n, MAX_U128);
      const client = (MAX_U128 * 9999n) / 10_000n;
      await expectSplit(MAX_U128, 9999, MAX_U128 - client, client);
      await expectSplit(MAX_U128, 1, MAX_U128 - MAX_U128 / 10_000n, MAX_U128 / 10_000n);
    });
  });

  describe("PackedConfig round trip", function () {
    const addressArb = fc.bigInt({ min: 0n, max: (1n << 160n) - 1n });
    const oraclesArb = fc
      .uniqueArray(addressArb, { minLength: 1, maxLength: 16 })
      .map((xs) => [...xs].sort((a, b) => (a < b ? -1 : 1)).map((x) => ethers.getAddress(ethers.toBeHex(x, 20))));
    const tierArb = fc.record({
      threshold: fc.oneof(fc.constantFrom(0, MAX_U32), fc.integer({ min: 0, max: MAX_U32 })),
      cutBps: fc.oneof(fc.constantFrom(0, 10_000, 65_535), fc.integer({ min: 0, max: 65_535 })),
    });
    const metricsArb = fc.array(
      fc.record({ higherIsBetter: fc.boolean(), tiers: fc.array(tierArb, { minLength: 1, maxLength: 8 }) }),
      { minLength: 1, maxLength: 8 },
    );

    async function expectRoundTrip(oracles: string[], metrics: Metric[]): Promise<void> {
      const [outOracles, outMetrics] = await harness.roundTrip(oracles, metrics);
      expect([...outOracles]).to.deep.equal(oracles);
      expect(plainMetrics(outMetrics)).to.deep.equal(metrics);
    }

    it("the largest config (16 oracles, 8 metrics x 8 tiers, 22 words) round-trips", async function () {
      const oracles = Array.from({ length: 16 }, (_, i) =>
        ethers.getAddress(ethers.toBeHex(MAX_U256 >> BigInt(96 + i), 20)),
      ).sort(byAddress);
      const metrics: Metric[] = Array.from({ length: 8 }, (_, m) => ({
        higherIsBetter: m % 3 === 0,
        tiers: Array.from({ length: 8 }, (_, t) => ({ threshold: MAX_U32 - m * 8 - t, cutBps: 65_535 - m * 8 - t })),
      }));
      await expectRoundTrip(oracles, metrics);
    });

    // each case decodes up to 16 oracles and 64 tiers: a third of DIFF_RUNS keeps the default suite fast
    const ROUND_TRIP_RUNS = Math.max(30, Math.floor(DIFF_RUNS / 3));
    it(`random oracles and metrics round-trip exactly (${ROUND_TRIP_RUNS} random cases)`, async function () {
      await fc.assert(
        fc.asyncProperty(oraclesArb, metricsArb, async (oracles, metrics) => {
          await expectRoundTrip(oracles, metrics);
        }),
        { numRuns: ROUND_TRIP_RUNS, verbose: true },
      );
    });
  });

  describe("SignerMask", function () {
    describe("popcount", function () {
      it("edges", async function () {
        expect(await harness.popcount(0)).to.equal(0n);
        expect(await harness.popcount(1)).to.equal(1n);
        expect(await harness.popcount(2)).to.equal(1n);
        expect(await harness.popcount(3)).to.equal(2n);
        expect(await harness.popcount(0xffff)).to.equal(16n);
        expect(await harness.popcount(1n << 255n)).to.equal(1n);
        expect(await harness.popcount(MAX_U256)).to.equal(256n);
        expect(await harness.popcount(MAX_U256 - 1n)).to.equal(255n);
      });

      it(`random masks match a TypeScript popcount (${DIFF_RUNS} random cases)`, async function () {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(fc.bigInt({ min: 0n, max: MAX_U256 }), fc.bigInt({ min: 0n, max: 0xffffn })),
            async (mask) => {
              expect(await harness.popcount(mask)).to.equal(BigInt(popcount(mask)));
            },
          ),
          { numRuns: DIFF_RUNS, verbose: true },
        );
      });
    });

    describe("verify", function () {
      const NO_METRICS: Metric[] = [];
      const DIGEST = ethers.id("attestation digest");

      /** `n` wallets from fixed keys, ascending by address. */
      function wallets(n: number, seed = 1): Wallet[] {
        return Array.from(
          { length: n },
          (_, i) => new Wallet(ethers.toBeHex(BigInt(seed) * 1000n + BigInt(i) + 1n, 32)),
        ).sort((a, b) => byAddress(a.address, b.address));
      }

      function sign(wallet: Wallet, digest: string = DIGEST): string {
        return wallet.signingKey.sign(digest).serialized;
      }

      /** The mask and signatures of the oracles at `indexes`, in ascending index order. */
      function signedBy(oracles: Wallet[], indexes: number[], digest: string = DIGEST): [bigint, string[]] {
        const sorted = [...indexes].sort((a, b) => a - b);
        return [sorted.reduce((m, i) => m | (1n << BigInt(i)), 0n), sorted.map((i) => sign(oracles[i], digest))];
      }

      /** The same signature with s replaced by n - s and v flipped: valid for ecrecover, rejected as high-s. */
      function malleate(signature: string): string {
        const sig = Signature.from(signature);
        const highS = SECP256K1_N - BigInt(sig.s);
        return ethers.concat([sig.r, ethers.toBeHex(highS, 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
      }

      const addrs = (ws: Wallet[]): string[] => ws.map((w) => w.address);

      it("accepts a valid M-of-N (every quorum of a 2-of-3, 3-of-3, 1-of-1, 16-of-16)", async function () {
        const o = wallets(3);
        for (const idx of [
          [0, 1],
          [0, 2],
          [1, 2],
          [0, 1, 2],
        ]) {
          const [mask, sigs] = signedBy(o, idx);
          expect(await harness.verify(DIGEST, addrs(o), NO_METRICS, 2, mask, sigs), `${idx}`).to.equal(true);
        }
        const [mask3, sigs3] = signedBy(o, [0, 1, 2]);
        expect(await harness.verify(DIGEST, addrs(o), NO_METRICS, 3, mask3, sigs3)).to.equal(true);
        const one = wallets(1, 7);
        expect(await harness.verify(DIGEST, addrs(one), NO_METRICS, 1, ...signedBy(one, [0]))).to.equal(true);
        const sixteen = wallets(16, 9);
        const all = Array.from({ length: 16 }, (_, i) => i);
        expect(await harness.verify(DIGEST, addrs(sixteen), NO_METRICS, 16, ...signedBy(sixteen, all))).to.equal(true);
        // the oracles are read from the packed bytes: metrics after them change nothing
        expect(await harness.verify(DIGEST, addrs(o), METRICS, 2, ...signedBy(o, [0, 2]))).to.equal(true);
      });

      it("SignerMaskOutOfRange(mask, oracleCount) for a bit at or above N", async function () {
        const o = wallets(3);
        const [, sigs] = signedBy(o, [0, 1]);
        for (const mask of [0b1000n, 0b1011n, 1n << 255n, MAX_U256]) {
          await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 2, mask, sigs))
            .to.be.revertedWithCustomError(harness, "SignerMaskOutOfRange")
            .withArgs(mask, 3);
        }
        const sixteen = wallets(16, 3);
        await expect(harness.verify(DIGEST, addrs(sixteen), NO_METRICS, 1, 1n << 16n, [sign(sixteen[0])]))
          .to.be.revertedWithCustomError(harness, "SignerMaskOutOfRange")
          .withArgs(1n << 16n, 16);
      });

      it("SignatureCountMismatch(signatures, signersInMask)", async function () {
        const o = wallets(3);
        const [mask, sigs] = signedBy(o, [0, 1]);
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 2, mask, sigs.slice(0, 1)))
          .to.be.revertedWithCustomError(harness, "SignatureCountMismatch")
          .withArgs(1, 2);
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 2, mask, [...sigs, sign(o[2])]))
          .to.be.revertedWithCustomError(harness, "SignatureCountMismatch")
          .withArgs(3, 2);
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 1, 0, [sign(o[0])]))
          .to.be.revertedWithCustomError(harness, "SignatureCountMismatch")
          .withArgs(1, 0);
      });

      it("ThresholdNotMet(signers, threshold)", async function () {
        const o = wallets(3);
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 2, ...signedBy(o, [1])))
          .to.be.revertedWithCustomError(harness, "ThresholdNotMet")
          .withArgs(1, 2);
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 3, ...signedBy(o, [0, 2])))
          .to.be.revertedWithCustomError(harness, "ThresholdNotMet")
          .withArgs(2, 3);
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 1, 0, []))
          .to.be.revertedWithCustomError(harness, "ThresholdNotMet")
          .withArgs(0, 1);
      });

      it("checks the mask range first, then the signature count, then the threshold", async function () {
        const o = wallets(3);
        // out of range and count mismatch and below threshold: the range error wins
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 3, 0b1000n, []))
          .to.be.revertedWithCustomError(harness, "SignerMaskOutOfRange")
          .withArgs(0b1000n, 3);
        // count mismatch and below threshold: the count error wins
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 3, 0b1n, []))
          .to.be.revertedWithCustomError(harness, "SignatureCountMismatch")
          .withArgs(0, 1);
        // below threshold with a bad signature: the threshold error wins (no signature is checked)
        await expect(harness.verify(DIGEST, addrs(o), NO_METRICS, 2, 0b1n, ["0x"]))
          .to.be.revertedWithCustomError(harness, "ThresholdNotMet")
          .withArgs(1, 2);
      });

      it("InvalidSignature(index, oracle) for a wrong signer, digest, order, malleated or malformed signature", async function () {
        const o = wallets(3);
        const a = addrs(o);
        const stranger = wallets(1, 99)[0];
        // oracle 2's slot signed by a stranger
        await expect(harness.verify(DIGEST, a, NO_METRICS, 2, 0b101n, [sign(o[0]), sign(stranger)]))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(2, a[2]);
        // the first slot is checked first
        await expect(harness.verify(DIGEST, a, NO_METRICS, 2, 0b110n, [sign(stranger), sign(stranger)]))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(1, a[1]);
        // signatures of another digest
        const other = ethers.id("another digest");
        await expect(harness.verify(DIGEST, a, NO_METRICS, 2, ...signedBy(o, [0, 1], other)))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(0, a[0]);
        // right signatures, wrong order
        await expect(harness.verify(DIGEST, a, NO_METRICS, 2, 0b011n, [sign(o[1]), sign(o[0])]))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(0, a[0]);
        // the same signature twice cannot count for two oracles
        await expect(harness.verify(DIGEST, a, NO_METRICS, 2, 0b011n, [sign(o[0]), sign(o[0])]))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(1, a[1]);
        // high-s twin of a valid signature (ecrecover would accept it; OpenZeppelin ECDSA does not)
        await expect(harness.verify(DIGEST, a, NO_METRICS, 2, 0b011n, [sign(o[0]), malleate(sign(o[1]))]))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(1, a[1]);
        // empty, truncated and zero signatures
        for (const bad of ["0x", ethers.dataSlice(sign(o[1]), 0, 64), ethers.ZeroHash + "00".repeat(33)]) {
          await expect(harness.verify(DIGEST, a, NO_METRICS, 2, 0b011n, [sign(o[0]), bad]))
            .to.be.revertedWithCustomError(harness, "InvalidSignature")
            .withArgs(1, a[1]);
        }
      });

      it("accepts an ERC-1271 contract-wallet oracle, and rejects it once revoked", async function () {
        const [owner] = await ethers.getSigners();
        const ownerWallet = wallets(1, 42)[0].connect(ethers.provider);
        await owner.sendTransaction({ to: ownerWallet.address, value: UNIT });
        const factory = await ethers.getContractFactory("MockERC1271Wallet");
        const wallet = (await factory.deploy(ownerWallet.address)) as unknown as MockERC1271Wallet;
        const walletAddress = await wallet.getAddress();
        const eoas = wallets(2, 43);
        const oracles = [...addrs(eoas), walletAddress].sort(byAddress);
        const signatureOf = (addr: string): string =>
          addr === walletAddress ? sign(ownerWallet) : sign(eoas.find((e) => e.address === addr) as Wallet);
        const sigs = oracles.map(signatureOf);
        expect(await harness.verify(DIGEST, oracles, NO_METRICS, 3, 0b111n, sigs)).to.equal(true);
        await wallet.connect(ownerWallet).setRevoked(true);
        const index = oracles.indexOf(walletAddress);
        await expect(harness.verify(DIGEST, oracles, NO_METRICS, 3, 0b111n, sigs))
          .to.be.revertedWithCustomError(harness, "InvalidSignature")
          .withArgs(index, walletAddress);
      });

      it(`random N, M and quorums: valid passes, one bad signature fails at its index (${Math.max(
        20,
        Math.floor(DIFF_RUNS / 5),
      )} random cases)`, async function () {
        const caseArb = fc
          .record({
            keys: fc.uniqueArray(fc.bigInt({ min: 1n, max: SECP256K1_N - 1n }), { minLength: 1, maxLength: 16 }),
            digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
          })
          .chain(({ keys, digest }) =>
            fc.record({
              keys: fc.constant(keys),
              digest: fc.constant(ethers.hexlify(digest)),
              threshold: fc.integer({ min: 1, max: keys.length }),
              signers: fc.subarray(
                Array.from({ length: keys.length }, (_, i) => i),
                { minLength: 0 },
              ),
              bad: fc.nat(),
            }),
          );
        await fc.assert(
          fc.asyncProperty(caseArb, async ({ keys, digest, threshold, signers, bad }) => {
            const o = keys
              .map((k) => new Wallet(ethers.toBeHex(k, 32)))
              .sort((x, y) => byAddress(x.address, y.address));
            const a = addrs(o);
            const [mask, sigs] = signedBy(o, signers, digest);
            if (signers.length < threshold) {
              await expect(harness.verify(digest, a, NO_METRICS, threshold, mask, sigs))
                .to.be.revertedWithCustomError(harness, "ThresholdNotMet")
                .withArgs(signers.length, threshold);
              return;
            }
            expect(await harness.verify(digest, a, NO_METRICS, threshold, mask, sigs)).to.equal(true);
            if (signers.length === 0) return;
            // replace one signature with one of another digest
            const k = bad % signers.length;
            const sorted = [...signers].sort((x, y) => x - y);
            const corrupted = [...sigs];
            corrupted[k] = sign(o[sorted[k]], ethers.keccak256(digest));
            await expect(harness.verify(digest, a, NO_METRICS, threshold, mask, corrupted))
              .to.be.revertedWithCustomError(harness, "InvalidSignature")
              .withArgs(sorted[k], a[sorted[k]]);
          }),
          { numRuns: Math.max(20, Math.floor(DIFF_RUNS / 5)), verbose: true },
        );
      });
    });
  });

  describe("TermsValidation.check", function () {
    let ctx: Context;
    let termsHarness: LibraryHarness;

    before(async function () {
      // setup() reverts the chain to the fixture's snapshot, which may predate the outer harness: deploy anew.
      ctx = await setup();
      termsHarness = (await (await ethers.getContractFactory("LibraryHarness")).deploy()) as unknown as LibraryHarness;
    });

    it("returns the deposit and the tier count of the default terms", async function () {
      const terms = await makeTerms(ctx);
      const [total, tierCount] = await termsHarness.checkTerms(terms, ctx.client.address);
      expect(total).to.equal(3000n * UNIT);
      expect(tierCount).to.equal(6n);
    });

    it("returns the exact sum for 128 milestones of max uint128 (no overflow) and 64 tiers", async function () {
      const now = BigInt(await time.latest());
      const metrics: Metric[] = Array.from({ length: 8 }, (_, m) => ({
        higherIsBetter: m % 2 === 1,
        tiers: Array.from({ length: 8 }, (_, t) => ({ threshold: t, cutBps: 10_000 })),
      }));
      const terms = await makeTerms(ctx, {
        metrics,
        oracles: ORACLES, // 16
        threshold: 16,
        milestones: Array.from({ length: 128 }, (_, i) => ({ amount: MAX_U128, dueAt: now + BigInt(DAY) + BigInt(i) })),
      });
      const [total, tierCount] = await termsHarness.checkTerms(terms, ctx.client.address);
      expect(total).to.equal(128n * MAX_U128);
      expect(total > MAX_U128).to.equal(true);
      expect(tierCount).to.equal(64n);
    });

    it("returns odd sums and tier counts exactly", async function () {
      const now = BigInt(await time.latest());
      const amounts = [1n, 2n, 3n, 999_999_999_999_999_999n, 7n];
      const terms = await makeTerms(ctx, {
        metrics: [
          higher([1, 1]),
          lower([2, 2], [3, 3]),
          higher([4, 4], [5, 5], [6, 6], [7, 7], [8, 8], [9, 9], [10, 10]),
        ],
        milestones: amounts.map((amount, i) => ({ amount, dueAt: now + BigInt((i + 1) * DAY) })),
      });
      const [total, tierCount] = await termsHarness.checkTerms(terms, ctx.client.address);
      expect(total).to.equal(amounts.reduce((s, x) => s + x, 0n));
      expect(tierCount).to.equal(10n);
    });

    it("accepts the last storable due time and rejects one past it", async function () {
      const maxDue = (1n << 40n) - 1n;
      const ok = await makeTerms(ctx, { milestones: [{ amount: 5n, dueAt: maxDue }] });
      const [total, tierCount] = await termsHarness.checkTerms(ok, ctx.client.address);
      expect([total, tierCount]).to.deep.equal([5n, 6n]);
      const late = await makeTerms(ctx, { milestones: [{ amount: 5n, dueAt: maxDue + 1n }] });
      await expect(termsHarness.checkTerms(late, ctx.client.address))
        .to.be.revertedWithCustomError(termsHarness, "MilestoneDueTooLate")
        .withArgs(maxDue + 1n, maxDue);
    });

    it("rejects a sender that is not the client, and counts beyond the bounds", async function () {
      const terms = await makeTerms(ctx);
      await expect(termsHarness.checkTerms(terms, ctx.vendor.address))
        .to.be.revertedWithCustomError(termsHarness, "ClientNotSender")
        .withArgs(ctx.client.address, ctx.vendor.address);
      const seventeen = [...ORACLES, ethers.getAddress(ethers.toBeHex(0x2000n, 20))];
      await expect(termsHarness.checkTerms({ ...terms, oracles: seventeen, threshold: 1 }, ctx.client.address))
        .to.be.revertedWithCustomError(termsHarness, "OracleCountOutOfRange")
        .withArgs(17);
      const nine = Array.from({ length: 9 }, () => higher([1, 1]));
      await expect(termsHarness.checkTerms({ ...terms, metrics: nine }, ctx.client.address))
        .to.be.revertedWithCustomError(termsHarness, "MetricCountOutOfRange")
        .withArgs(9);
      const nineTiers = higher(...Array.from({ length: 9 }, (_, t): [number, number] => [t, 1]));
      await expect(termsHarness.checkTerms({ ...terms, metrics: [higher([1, 1]), nineTiers] }, ctx.client.address))
        .to.be.revertedWithCustomError(termsHarness, "TierCountOutOfRange")
        .withArgs(1, 9);
      await expect(termsHarness.checkTerms({ ...terms, metrics: [higher([1, 1], [2, 10_001])] }, ctx.client.address))
        .to.be.revertedWithCustomError(termsHarness, "TierCutTooHigh")
        .withArgs(0, 1, 10_001);
      const now = BigInt(await time.latest());
      const many = Array.from({ length: 129 }, (_, i) => ({ amount: 1n, dueAt: now + BigInt(DAY) + BigInt(i) }));
      await expect(termsHarness.checkTerms({ ...terms, milestones: many }, ctx.client.address))
        .to.be.revertedWithCustomError(termsHarness, "MilestoneCountOutOfRange")
        .withArgs(129);
    });
  });
});
