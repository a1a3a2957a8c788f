/**
 * Differential tests of the escrow's math: the penalty rule (scripts/lib/penalty.ts) and the signer-mask check
 * (scripts/lib/signer-mask.ts) in TypeScript against the Solidity libraries, through LibraryHarness's batch entry
 * points (one eth_call checks tens of cases; one per case would take hours for 100,000), on DIFF_CASES cases per
 * property. A cutBps case is one packed config with one set of values; each random config comes with VALUE_SETS
 * value sets.
 *
 * Each property starts with a fixed grid of edge cases (zero, max uint32 and their neighbours, 10000 bps, no
 * metrics, 0 and 16 oracles ...) and fills up to DIFF_CASES with random cases biased to the same edges.
 *
 *   DIFF_CASES  cases per property (default 2000; `npm run test:diff` runs 100,000)
 *   DIFF_SEED   the fast-check seed (default: a fresh one, printed); the same seed and DIFF_CASES replay a run.
 *
 * A mismatch fails with the case as JSON and the command that replays it. Each test prints how many cases
 * reached each outcome, and the signer-mask test requires every error of the check on at least 5% of its cases.
 *
 * Not covered, because the packed format cannot express it: a metric with zero tiers. TermsValidation rejects
 * it (TierCountOutOfRange) before anything is packed, and the shape nibble stores "tiers - 1" (1..8); see the
 * last test. "No metrics at all" is expressible and is among the edge cases (both sides give 0).
 */
import { compareAddresses } from "../scripts/lib/model";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { AbiCoder, type ErrorFragment, Wallet } from "ethers";
import fc from "fast-check";
import v8 from "node:v8";
import vm from "node:vm";
import type { LibraryHarness } from "../typechain-types";
import { MAX_BPS } from "../scripts/lib/limits";
import { type MetricLike, cutBps as tsCutBps, split as tsSplit } from "../scripts/lib/penalty";
import { type SignerMaskResult, checkSignerMask, popcount, recoverSigner } from "../scripts/lib/signer-mask";
import { MAX_U128, MAX_U256, MAX_U32, type Metric, SECP256K1_N } from "./helpers/math";

const DIFF_CASES = Number(process.env.DIFF_CASES ?? 2000);
const SEED = process.env.DIFF_SEED !== undefined ? Number(process.env.DIFF_SEED) : (Math.random() * 0x7fffffff) | 0;
if (!Number.isSafeInteger(DIFF_CASES) || DIFF_CASES < 1)
  throw new Error(`DIFF_CASES: a positive integer, not ${DIFF_CASES}`);
if (!Number.isSafeInteger(SEED)) throw new Error(`DIFF_SEED: an integer, not ${process.env.DIFF_SEED}`);

/**
 * Value sets per random cutBps config. Packing the config costs three times what the rule costs per value set, so
 * the harness packs each config once and applies the rule to several value sets (as the escrow packs the terms at
 * creation and applies the rule at every attestation): 100,000 cases then take 25,000 configs.
 */
const VALUE_SETS = 4;
/**
 * Entries per eth_call, measured (2 cores shared with other jobs): the EVM keeps a trace of every step of a call
 * in native memory, so a large call costs more per case (allocation, page faults) and more memory than a small
 * one; 16 configs (64 cases) and 20 signer-mask cases per call were the fastest, at about 1.3 ms a case.
 */
const CUT_BATCH = 16;
const SPLIT_BATCH = 500;
const VERIFY_BATCH = 20;

/** One packed agreement and the values of VALUE_SETS attestations: each (config, values) pair is one case. */
type CutConfig = { oracleCount: number; metrics: Metric[]; valueSets: number[][] };
type SplitCase = { amount: bigint; cut: number };

/** JSON with bigints as decimal strings. */
function json(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Counts of outcomes, printed as a table with percentages. */
class Tally {
  readonly counts = new Map<string, number>();
  total = 0;

  add(outcome: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  count(outcome: string): number {
    return this.counts.get(outcome) ?? 0;
  }

  print(title: string, cases: number, ms?: number): void {
    console.log(`      ${title}: ${cases} cases${ms === undefined ? "" : ` in ${(ms / 1000).toFixed(1)} s`}`);
    for (const [outcome, n] of [...this.counts].sort((a, b) => b[1] - a[1])) {
      console.log(`        ${outcome.padEnd(44)} ${String(n).padStart(7)}  ${((100 * n) / cases).toFixed(1)}%`);
    }
  }
}

/** The seed of random batch `b` of a property: a fixed function of SEED, so that a seed replays every batch. */
function batchSeed(property: number, b: number): number {
  return (SEED ^ Math.imul(b + 1, 0x9e3779b1) ^ Math.imul(property + 1, 0x85ebca6b)) | 0;
}

/**
 * A minimal ABI encoder (32-byte words as hex, head then tail) for the batch arguments. ethers' encoder takes
 * milliseconds per case of nested arrays, as long as the EVM does; this one is a few times faster. Checked against
 * ethers on the first batches and every 64th after (see {@link differential}).
 */
// eslint-disable-next-line @typescript-eslint/no-namespace -- one object of small encoder helpers, local to this file
namespace Abi {
  export type Words = string[];
  export const word = (x: number | bigint | boolean): string =>
    (typeof x === "boolean" ? (x ? 1 : 0) : x).toString(16).padStart(64, "0");
  /** A 20- or 32-byte hex value (address, bytes32) as a word. */
  export const hexWord = (hex: string): string => hex.slice(2).toLowerCase().padStart(64, "0");

  function append(to: Words, from: Words): void {
    for (const w of from) to.push(w);
  }

  /** A tuple (or an argument list): a string part is a static word, a Words part a dynamic value in the tail. */
  export function tuple(parts: readonly (string | Words)[]): Words {
    const head: Words = [];
    const tail: Words = [];
    for (const part of parts) {
      if (typeof part === "string") head.push(part);
      else {
        head.push(word((parts.length + tail.length) * 32));
        append(tail, part);
      }
    }
    append(head, tail);
    return head;
  }

  /** An array of `count` static elements given as their words (a static tuple takes several). */
  export function staticArray(words: Words, count = words.length): Words {
    const out = [word(count)];
    append(out, words);
    return out;
  }

  /** An array of dynamic elements. */
  export function dynamicArray(items: readonly Words[]): Words {
    const out = [word(items.length)];
    const tail: Words = [];
    for (const item of items) {
      out.push(word((items.length + tail.length) * 32));
      append(tail, item);
    }
    append(out, tail);
    return out;
  }

  /** A `bytes` value. */
  export function bytes(hex: string): Words {
    const body = hex.slice(2);
    const out = [word(body.length / 2)];
    for (let i = 0; i < body.length; i += 64) out.push(body.slice(i, i + 64).padEnd(64, "0"));
    return out;
  }

  export function calldata(selector: string, args: readonly (string | Words)[]): string {
    return selector + tuple(args).join("");
  }
}

/**
 * A full garbage collection. Each eth_call's response holds the EVM trace of the call in native memory (about 100
 * bytes a step, hundreds of megabytes a batch) until V8 collects the response object, and V8 does not see that
 * memory: without collecting after each batch, 100,000 cases grow the process past 20 GB.
 */
const collectGarbage: () => void = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

/** Collect at most this often: each full collection takes a few hundred milliseconds. */
const GC_INTERVAL_MS = 1000;

/** Where a case came from, to name it when it fails. */
type Chunk<C> = { cases: C[]; where: (i: number) => string };

/**
 * Runs the `edges` entries and then random entries of `arb` until DIFF_CASES cases are checked, `batchSize`
 * entries per eth_call to the harness (an entry is one case, or for cutBps one config with several cases). The
 * next batch is generated and encoded while the EVM runs the current one. `compare` returns a description of the
 * difference (or null) and the outcome labels to tally.
 */
async function differential<C, R>(opts: {
  name: string;
  property: number;
  to: string;
  edges: C[];
  arb: fc.Arbitrary<C>;
  /** The number of cases in an entry (default 1). */
  sizeOf?: (c: C) => number;
  /** The number of cases in every random entry (default 1). */
  randomSize?: number;
  batchSize: number;
  /** The calldata of one batch (fast encoder). */
  encode: (entries: C[]) => string;
  /** The same calldata by ethers, to check `encode`. */
  reference: (entries: C[]) => string;
  decode: (returnData: string, entries: C[]) => R[];
  compare: (c: C, result: R) => { mismatch: string | null; outcomes: string[] };
  describeCase?: (c: C) => unknown;
}): Promise<Tally> {
  const sizeOf = opts.sizeOf ?? ((): number => 1);
  const randomSize = opts.randomSize ?? 1;
  const tally = new Tally();
  const started = Date.now();
  const cpuStarted = process.cpuUsage();
  let waited = 0;
  let collected = Date.now();
  let gcTime = 0;

  function* chunks(): Generator<Chunk<C>> {
    const edges = opts.edges.slice(0, DIFF_CASES);
    for (let i = 0; i < edges.length; i += opts.batchSize) {
      yield { cases: edges.slice(i, i + opts.batchSize), where: (k) => `edge entry #${i + k}` };
    }
    const edgeCases = edges.reduce((n, c) => n + sizeOf(c), 0);
    const randomEntries = Math.ceil(Math.max(0, DIFF_CASES - edgeCases) / randomSize);
    for (let b = 0, done = 0; done < randomEntries; b++) {
      const n = Math.min(opts.batchSize, randomEntries - done);
      const cases = fc.sample(opts.arb, { seed: batchSeed(opts.property, b), numRuns: n });
      yield { cases, where: (k) => `random entry #${k} of batch ${b}` };
      done += n;
    }
  }

  let sent = 0;
  function send(chunk: Chunk<C>): { chunk: Chunk<C>; reply: Promise<string> } {
    const data = opts.encode(chunk.cases);
    if (sent < 2 || sent % 64 === 0) expect(data, "fast ABI encoding").to.equal(opts.reference(chunk.cases));
    sent++;
    // straight to the provider: hardhat-ethers converts the calldata to bytes and back, a third of the JS time
    const reply = network.provider.request({
      method: "eth_call",
      params: [{ to: opts.to, data }, "latest"],
    }) as Promise<string>;
    reply.catch(() => undefined); // awaited below; not an unhandled rejection if an earlier batch throws first
    return { chunk, reply };
  }

  const iterator = chunks();
  const first = iterator.next();
  let pending = first.done ? null : send(first.value);
  while (pending !== null) {
    const { chunk, reply } = pending;
    const following = iterator.next();
    pending = following.done ? null : send(following.value);
    const waitStarted = Date.now();
    const results = opts.decode(await reply, chunk.cases);
    waited += Date.now() - waitStarted;
    if (Date.now() - collected >= GC_INTERVAL_MS) {
      const gcStarted = Date.now();
      collectGarbage();
      collected = Date.now();
      gcTime += collected - gcStarted;
    }
    expect(results.length, "one result per case").to.equal(chunk.cases.length);
    for (let i = 0; i < chunk.cases.length; i++) {
      const c = chunk.cases[i];
      const { mismatch, outcomes } = opts.compare(c, results[i]);
      if (mismatch !== null) {
        throw new Error(
          `${opts.name}: TypeScript and Solidity disagree on ${chunk.where(i)} (seed ${SEED}):\n` +
            `${json(opts.describeCase ? opts.describeCase(c) : c)}\n${mismatch}\n` +
            `Replay: DIFF_SEED=${SEED} DIFF_CASES=${DIFF_CASES} npx hardhat test test/differential.test.ts`,
        );
      }
      tally.total += sizeOf(c);
      for (const outcome of outcomes) tally.add(outcome);
    }
  }
  const cpu = process.cpuUsage(cpuStarted);
  tally.print(opts.name, tally.total, Date.now() - started);
  console.log(
    `        (${sent} eth_calls of up to ${opts.batchSize} entries; ${(waited / 1000).toFixed(1)} s waiting for the EVM, ` +
      `${(gcTime / 1000).toFixed(1)} s collecting garbage; ` +
      `process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`,
  );
  return tally;
}

/** uint32 biased to 0, 1, max and their neighbours. */
const U32_EDGES = [0, 1, 2, MAX_U32 - 2, MAX_U32 - 1, MAX_U32];
const u32Arb = fc.oneof(
  { arbitrary: fc.constantFrom(...U32_EDGES), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: MAX_U32 }), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 1000 }), weight: 1 },
);
/** cutBps biased to 0, 1, 9999, 10000. */
const CUT_EDGES = [0, 1, 9999, MAX_BPS];
const cutArb = fc.oneof(
  { arbitrary: fc.constantFrom(...CUT_EDGES), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: MAX_BPS }), weight: 2 },
  { arbitrary: fc.integer({ min: 0, max: 1500 }), weight: 1 },
);
const metricArb: fc.Arbitrary<Metric> = fc.record({
  higherIsBetter: fc.boolean(),
  tiers: fc.array(fc.record({ threshold: u32Arb, cutBps: cutArb }), { minLength: 1, maxLength: 8 }),
});
/** A value at one of the metric's thresholds or one either side (clamped to uint32), or a biased uint32. */
const valueFor = (m: Metric): fc.Arbitrary<number> =>
  fc.oneof(
    u32Arb,
    fc
      .tuple(fc.integer({ min: 0, max: m.tiers.length - 1 }), fc.integer({ min: -1, max: 1 }))
      .map(([t, d]) => Math.min(MAX_U32, Math.max(0, m.tiers[t].threshold + d))),
  );
const oracleCountArb = fc.oneof(fc.constantFrom(0, 1, 16), fc.integer({ min: 0, max: 16 }));
const cutConfigArb: fc.Arbitrary<CutConfig> = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.array(metricArb, { minLength: 1, maxLength: 8 }), weight: 60 },
      { arbitrary: fc.array(metricArb, { minLength: 8, maxLength: 8 }), weight: 10 },
      { arbitrary: fc.constant<Metric[]>([]), weight: 1 }, // no metrics (rejected at creation, but expressible)
    ),
    oracleCountArb,
  )
  .chain(([metrics, oracleCount]) =>
    fc.record({
      oracleCount: fc.constant(oracleCount),
      metrics: fc.constant(metrics),
      valueSets: fc.array(metrics.length === 0 ? fc.constant<number[]>([]) : fc.tuple(...metrics.map(valueFor)), {
        minLength: VALUE_SETS,
        maxLength: VALUE_SETS,
      }),
    }),
  );

/** Every single-tier metric with an edge threshold and edge cut at every edge value, behind 0 and 16 oracles. */
function cutEdges(): CutConfig[] {
  const configs: CutConfig[] = [
    { oracleCount: 0, metrics: [], valueSets: [[]] },
    { oracleCount: 16, metrics: [], valueSets: [[]] },
  ];
  for (const oracleCount of [0, 16])
    for (const higherIsBetter of [true, false])
      for (const threshold of U32_EDGES)
        for (const cutBps of CUT_EDGES)
          configs.push({
            oracleCount,
            metrics: [{ higherIsBetter, tiers: [{ threshold, cutBps }] }],
            valueSets: U32_EDGES.map((value) => [value]),
          });
  // eight metrics of eight 10000-bps tiers, all breached (80000 capped) and none breached
  const eight: Metric[] = Array.from({ length: 8 }, () => ({
    higherIsBetter: true,
    tiers: Array.from({ length: 8 }, () => ({ threshold: MAX_U32, cutBps: MAX_BPS })),
  }));
  configs.push({
    oracleCount: 16,
    metrics: eight,
    valueSets: [Array<number>(8).fill(MAX_U32 - 1), Array<number>(8).fill(MAX_U32)],
  });
  return configs;
}

const AMOUNT_EDGES = [0n, 1n, 2n, 9999n, 10_000n, 10_001n, MAX_U128 - 1n, MAX_U128];
const splitCaseArb: fc.Arbitrary<SplitCase> = fc.record({
  amount: fc.oneof(
    { arbitrary: fc.constantFrom(...AMOUNT_EDGES), weight: 3 },
    { arbitrary: fc.bigInt({ min: 0n, max: 100_000n }), weight: 2 },
    { arbitrary: fc.bigInt({ min: 0n, max: MAX_U128 }), weight: 3 },
  ),
  cut: cutArb,
});

describe("differential: TypeScript vs Solidity math (LibraryHarness batches)", function () {
  let harness: LibraryHarness;
  /** The oracles in front of the tiers for cutBps: every byte set, so a tier read off by one would show. */
  const CUT_ORACLES = Array.from({ length: 16 }, (_, i) =>
    ethers.getAddress(ethers.toBeHex((1n << 160n) - 16n + BigInt(i), 20)),
  );

  let harnessAddress: string;
  const selector = (name: "cutBpsBatch" | "splitBatch" | "verifyBatch"): string =>
    harness.interface.getFunction(name).selector;

  before(async function () {
    console.log(`      DIFF_SEED=${SEED} DIFF_CASES=${DIFF_CASES} (replay with these)`);
    const factory = await ethers.getContractFactory("LibraryHarness");
    harness = (await factory.deploy()) as unknown as LibraryHarness;
    await harness.waitForDeployment();
    harnessAddress = await harness.getAddress();
  });

  it(`PenaltyMath.cutBps equals scripts/lib/penalty.ts (${DIFF_CASES} cases, ${VALUE_SETS} value sets per config)`, async function () {
    const label = (c: CutConfig, values: number[], cut: number): string[] => {
      const sum = c.metrics.reduce((total, m, i) => total + tsCutBps([m], [values[i]]), 0);
      const outcomes = [
        c.metrics.length === 0
          ? "no metrics"
          : cut === 0
            ? "cut 0"
            : sum > MAX_BPS
              ? "sum > 10000, capped"
              : cut === MAX_BPS
                ? "exactly 10000"
                : "0 < cut < 10000",
      ];
      if (c.metrics.some((m, i) => m.tiers.some((t) => t.threshold === values[i]))) {
        outcomes.push("(a value equal to a threshold)");
      }
      if (values.some((v) => v === 0 || v === MAX_U32)) outcomes.push("(a value 0 or max uint32)");
      return outcomes;
    };
    const tally = await differential<CutConfig, bigint[]>({
      name: "cutBps",
      property: 1,
      to: harnessAddress,
      edges: cutEdges(),
      arb: cutConfigArb,
      sizeOf: (c) => c.valueSets.length,
      randomSize: VALUE_SETS,
      batchSize: CUT_BATCH,
      encode: (configs) =>
        Abi.calldata(selector("cutBpsBatch"), [
          Abi.staticArray(CUT_ORACLES.map(Abi.hexWord)),
          Abi.dynamicArray(
            configs.map((c) =>
              Abi.tuple([
                Abi.word(c.oracleCount),
                Abi.dynamicArray(
                  c.metrics.map((m) =>
                    Abi.tuple([
                      Abi.word(m.higherIsBetter),
                      Abi.staticArray(
                        m.tiers.flatMap((t) => [Abi.word(t.threshold), Abi.word(t.cutBps)]),
                        m.tiers.length,
                      ),
                    ]),
                  ),
                ),
                Abi.dynamicArray(c.valueSets.map((values) => Abi.staticArray(values.map(Abi.word)))),
              ]),
            ),
          ),
        ]),
      reference: (configs) => harness.interface.encodeFunctionData("cutBpsBatch", [CUT_ORACLES, configs]),
      decode: (data, configs) => {
        const cuts = harness.interface.decodeFunctionResult("cutBpsBatch", data)[0] as bigint[];
        let next = 0;
        return configs.map((c) => c.valueSets.map(() => cuts[next++]));
      },
      compare: (c, onChain) => {
        const outcomes: string[] = [];
        for (const [v, values] of c.valueSets.entries()) {
          const offChain = tsCutBps(c.metrics as MetricLike[], values);
          if (onChain[v] !== BigInt(offChain)) {
            return {
              mismatch: `value set #${v} ${json(values)}: TypeScript ${offChain}, Solidity ${onChain[v]}`,
              outcomes,
            };
          }
          outcomes.push(...label(c, values, offChain));
        }
        return { mismatch: null, outcomes };
      },
    });
    for (const outcome of ["cut 0", "sum > 10000, capped", "0 < cut < 10000", "exactly 10000"]) {
      expect(tally.count(outcome), outcome).to.be.greaterThan(0);
    }
  });

  it(`PenaltyMath.split equals scripts/lib/penalty.ts (${DIFF_CASES} cases)`, async function () {
    const edges = AMOUNT_EDGES.flatMap((amount) => [...CUT_EDGES, 5000].map((cut) => ({ amount, cut })));
    const tally = await differential<SplitCase, [bigint, bigint]>({
      name: "split",
      property: 2,
      edges,
      arb: splitCaseArb,
      to: harnessAddress,
      batchSize: SPLIT_BATCH,
      encode: (cases) =>
        Abi.calldata(selector("splitBatch"), [
          Abi.staticArray(
            cases.flatMap((c) => [Abi.word(c.amount), Abi.word(c.cut)]),
            cases.length,
          ),
        ]),
      reference: (cases) => harness.interface.encodeFunctionData("splitBatch", [cases]),
      decode: (data) => {
        const [toVendor, toClient] = harness.interface.decodeFunctionResult("splitBatch", data) as unknown as [
          bigint[],
          bigint[],
        ];
        return toVendor.map((v, i): [bigint, bigint] => [v, toClient[i]]);
      },
      compare: (c, [toVendor, toClient]) => {
        const ts = tsSplit(c.amount, c.cut);
        const same = ts.toVendor === toVendor && ts.toClient === toClient && toVendor + toClient === c.amount;
        const outcomes = [
          c.cut === 0
            ? "cut 0"
            : c.cut === MAX_BPS
              ? "cut 10000"
              : (c.amount * BigInt(c.cut)) % 10_000n !== 0n
                ? "rounded down"
                : "exact",
        ];
        if (c.amount === MAX_U128) outcomes.push("(amount max uint128)");
        if (c.amount === 0n) outcomes.push("(amount 0)");
        return {
          mismatch: same ? null : `TypeScript ${json(ts)}, Solidity ${json({ toVendor, toClient })}`,
          outcomes,
        };
      },
    });
    for (const outcome of ["cut 0", "cut 10000", "rounded down", "exact"]) {
      expect(tally.count(outcome), outcome).to.be.greaterThan(0);
    }
  });

  describe("SignerMask.verify equals scripts/lib/signer-mask.ts", function () {
    const DIGEST = ethers.id("sla-escrow differential attestation");
    const OTHER_DIGEST = ethers.id("another attestation");
    /** 16 oracle keys, fixed. */
    const KEYS = Array.from({ length: 16 }, (_, i) => new Wallet(ethers.id(`sla-escrow differential oracle ${i}`)));
    const STRANGER = new Wallet(ethers.id("sla-escrow differential stranger"));

    type PoolSignature = { label: string; bytes: string };
    /** Every signature a case can send; a case refers to them by index. GOOD[k] is key k's signature of DIGEST. */
    const POOL: PoolSignature[] = [];
    const GOOD: number[] = [];
    /** Indexes into POOL of the signatures that are no oracle's signature of DIGEST ... */
    const BAD: number[] = [];
    /** ... grouped by kind (other digest, high-s, ...), so that a bad pick takes every kind equally often. */
    const BAD_KINDS = new Map<string, number[]>();
    /** What each pool signature recovers to under OpenZeppelin's rules (lower case), precomputed once. */
    let RECOVERED: (string | null)[] = [];
    /** The ABI encodings of the pool signatures and of the keys' addresses, computed once. */
    let POOL_WORDS: Abi.Words[] = [];
    let KEY_WORDS: string[] = [];

    function add(label: string, bytes: string, bad: boolean): number {
      POOL.push({ label, bytes });
      const index = POOL.length - 1;
      if (bad) {
        BAD.push(index);
        const kind = label.replace(/\(\d+\)$/, "");
        BAD_KINDS.set(kind, [...(BAD_KINDS.get(kind) ?? []), index]);
      }
      return index;
    }

    /** A bad signature: a kind, then one of that kind, both from `pick`. */
    function badSignature(pick: number): number {
      const kinds = [...BAD_KINDS.values()];
      const ofKind = kinds[pick % kinds.length];
      return ofKind[Math.floor(pick / kinds.length) % ofKind.length];
    }

    before(function () {
      for (const [k, key] of KEYS.entries()) {
        const sig = key.signingKey.sign(DIGEST);
        GOOD.push(add(`good(${k})`, sig.serialized, false));
        add(`other digest(${k})`, key.signingKey.sign(OTHER_DIGEST).serialized, true);
        // the high-s twin: ecrecover accepts it, OpenZeppelin's ECDSA does not
        const highS = ethers.toBeHex(SECP256K1_N - BigInt(sig.s), 32);
        add(`high-s(${k})`, ethers.concat([sig.r, highS, new Uint8Array([sig.v === 27 ? 28 : 27])]), true);
        // v as 0/1: ethers would normalize it, the EVM does not
        add(`v-27(${k})`, ethers.concat([sig.r, sig.s, new Uint8Array([sig.v - 27])]), true);
        add(`r=0(${k})`, ethers.concat([ethers.ZeroHash, sig.s, new Uint8Array([sig.v])]), true);
        add(`64 bytes(${k})`, ethers.concat([sig.r, sig.yParityAndS]), true); // EIP-2098 compact: length rejected
        add(`66 bytes(${k})`, ethers.concat([sig.serialized, "0x00"]), true);
      }
      add("stranger", STRANGER.signingKey.sign(DIGEST).serialized, true);
      add("empty", "0x", true);
      add("65 zero bytes", ethers.zeroPadBytes("0x", 65), true);
      add("65 bytes 0xff", ethers.hexlify(new Uint8Array(65).fill(0xff)), true);
      RECOVERED = POOL.map((s) => recoverSigner(DIGEST, s.bytes)?.toLowerCase() ?? null);
      POOL_WORDS = POOL.map((s) => Abi.bytes(s.bytes));
      KEY_WORDS = KEYS.map((k) => Abi.hexWord(k.address));
      // the pool is what it says: good signatures recover to their key, through ethers too
      for (const [k, key] of KEYS.entries()) {
        expect(RECOVERED[GOOD[k]]).to.equal(key.address.toLowerCase());
        expect(ethers.recoverAddress(DIGEST, POOL[GOOD[k]].bytes)).to.equal(key.address);
      }
      const keys = new Set(KEYS.map((k) => k.address.toLowerCase()));
      for (const i of BAD)
        expect(RECOVERED[i] !== null && keys.has(RECOVERED[i] as string), POOL[i].label).to.equal(false);
    });

    /** A case: oracle key indexes (ascending by address), threshold, mask and the pool indexes of the signatures. */
    type VerifyCase = { keys: number[]; threshold: number; mask: bigint; signatures: number[] };

    /** Raw random choices, turned into a case by {@link buildVerifyCase}. */
    const rawArb = oracleCountArb.chain((n) =>
      fc.record({
        keys: fc.shuffledSubarray(
          Array.from({ length: 16 }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
        inMask: fc.bigInt({ min: 0n, max: (1n << BigInt(n)) - 1n }),
        // bits at or above N: a single bit (biased to N, N + 1 and 255), or every high bit
        outOfRange: fc.oneof(
          { arbitrary: fc.constant<bigint | null>(null), weight: 80 },
          {
            arbitrary: fc
              .oneof(fc.constantFrom(n, n + 1, 255), fc.integer({ min: n, max: 255 }))
              .map((bit) => 1n << BigInt(bit)),
            weight: 15,
          },
          { arbitrary: fc.constant(MAX_U256 ^ ((1n << BigInt(n)) - 1n)), weight: 5 },
        ),
        countDelta: fc.oneof(
          { arbitrary: fc.constant(0), weight: 85 },
          { arbitrary: fc.constantFrom(-1, 1, -2, 2, 5), weight: 15 },
        ),
        thresholdKind: fc.oneof(
          { arbitrary: fc.constant("met" as const), weight: 60 },
          { arbitrary: fc.constant("unmet" as const), weight: 25 },
          { arbitrary: fc.constant("any" as const), weight: 15 },
        ),
        thresholdRaw: fc.nat({ max: 255 }),
        corrupt: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 4 }),
        firstBad: fc.nat(),
        // per signature slot: bit 0 = bad (after the first bad one), bit 1 = another oracle's, the rest = which
        slots: fc.array(fc.nat(), { minLength: 21, maxLength: 21 }),
      }),
    );
    type RawVerifyCase = typeof rawArb extends fc.Arbitrary<infer T> ? T : never;

    function buildVerifyCase(raw: RawVerifyCase): VerifyCase {
      const keys = [...raw.keys].sort((a, b) => compareAddresses(KEYS[a].address, KEYS[b].address));
      const mask = raw.inMask | (raw.outOfRange ?? 0n);
      const pop = popcount(raw.inMask); // the set bits that name oracles
      const threshold =
        raw.thresholdKind === "met"
          ? raw.thresholdRaw % (pop + 1)
          : raw.thresholdKind === "unmet"
            ? Math.min(255, pop + 1 + (raw.thresholdRaw % 3))
            : raw.thresholdRaw % 18 === 17
              ? 255
              : raw.thresholdRaw % 18;
      const bits = keys.map((_, i) => i).filter((i) => ((raw.inMask >> BigInt(i)) & 1n) !== 0n);
      const count = Math.max(0, popcount(mask) + raw.countDelta);
      const firstBad = raw.corrupt && pop > 0 ? raw.firstBad % pop : Infinity;
      const signatures = Array.from({ length: count }, (_, j) => {
        const r = raw.slots[j % raw.slots.length];
        const slot = { bad: (r & 1) !== 0, otherOracle: (r & 2) !== 0, pick: r >>> 2 };
        const oracle = bits[j];
        if (oracle === undefined) return slot.pick % POOL.length; // a surplus signature: anything
        const right = GOOD[keys[oracle]];
        if (j < firstBad || (j > firstBad && !slot.bad)) return right;
        // a bad one: another oracle's good signature (of this case when it has others), or a bad kind
        if (slot.otherOracle && keys.length > 1) {
          const other = keys[(oracle + 1 + (slot.pick % (keys.length - 1))) % keys.length];
          return GOOD[other];
        }
        return badSignature(slot.pick);
      });
      return { keys, threshold, mask, signatures };
    }

    const verifyCaseArb = rawArb.map(buildVerifyCase);

    /** The TypeScript model's verdict, from the precomputed recoveries. */
    function predict(c: VerifyCase): SignerMaskResult {
      const oracles = c.keys.map((k) => KEYS[k].address);
      const isValid = (oracleIndex: number, signatureIndex: number): boolean =>
        RECOVERED[c.signatures[signatureIndex]] === oracles[oracleIndex].toLowerCase();
      return checkSignerMask(c.mask, oracles.length, c.threshold, c.signatures.length, isValid, oracles);
    }

    /** The model's verdict in the shape of a decoded revert: [name, ...args as strings], or ["ok"]. */
    function modelTuple(r: SignerMaskResult): string[] {
      if ("ok" in r) return ["ok"];
      switch (r.error) {
        case "SignerMaskOutOfRange":
          return [r.error, String(r.mask), String(r.oracleCount)];
        case "SignatureCountMismatch":
          return [r.error, String(r.signatures), String(r.signers)];
        case "ThresholdNotMet":
          return [r.error, String(r.signers), String(r.threshold)];
        case "InvalidSignature":
          return [r.error, String(r.index), r.oracle.toLowerCase()];
      }
    }

    /** The harness's errors by selector (Interface.parseError would hash every error's signature per call). */
    let errorsBySelector: Map<string, ErrorFragment> | undefined;

    function contractTuple(revertData: string): string[] {
      if (revertData === "0x") return ["ok"];
      if (errorsBySelector === undefined) {
        const errors = new Map<string, ErrorFragment>();
        harness.interface.forEachError((fragment) => errors.set(fragment.selector, fragment));
        errorsBySelector = errors;
      }
      const fragment = errorsBySelector.get(revertData.slice(0, 10));
      if (fragment === undefined) return ["unknown revert", revertData];
      const args = AbiCoder.defaultAbiCoder().decode(fragment.inputs, `0x${revertData.slice(10)}`);
      return [fragment.name, ...args.map((a: unknown) => String(a).toLowerCase())];
    }

    function describeCase(c: VerifyCase): unknown {
      return {
        oracles: c.keys.map((k) => `${KEYS[k].address} (key ${k})`),
        threshold: c.threshold,
        mask: `0x${c.mask.toString(16)}`,
        signatures: c.signatures.map((i) => POOL[i].label),
      };
    }

    /** Fixed edges: 0, 1 and 16 oracles, empty and full masks, threshold 0 and 255, the top mask bit. */
    function verifyEdges(): VerifyCase[] {
      const all = Array.from({ length: 16 }, (_, i) => i).sort((a, b) =>
        BigInt(KEYS[a].address) < BigInt(KEYS[b].address) ? -1 : 1,
      );
      const goods = (keys: number[]): number[] => keys.map((k) => GOOD[k]);
      return [
        { keys: [], threshold: 0, mask: 0n, signatures: [] }, // ok: nothing required, nothing sent
        { keys: [], threshold: 1, mask: 0n, signatures: [] },
        { keys: [], threshold: 0, mask: 1n, signatures: [] },
        { keys: [], threshold: 0, mask: 0n, signatures: [GOOD[0]] },
        { keys: [all[0]], threshold: 1, mask: 1n, signatures: [GOOD[all[0]]] },
        { keys: [all[0]], threshold: 1, mask: 1n, signatures: [GOOD[all[1]]] },
        { keys: all, threshold: 16, mask: 0xffffn, signatures: goods(all) },
        { keys: all, threshold: 255, mask: 0xffffn, signatures: goods(all) },
        { keys: all, threshold: 16, mask: 0xffffn, signatures: [...goods(all.slice(0, 15)), BAD[0]] },
        { keys: all, threshold: 16, mask: 0x1ffffn, signatures: goods(all) },
        { keys: all, threshold: 1, mask: 1n << 255n, signatures: [] },
        { keys: all, threshold: 1, mask: MAX_U256, signatures: [] },
        { keys: all, threshold: 0, mask: 0n, signatures: [] },
        { keys: all, threshold: 2, mask: 0b11n, signatures: [GOOD[all[0]], GOOD[all[0]]] }, // one signature twice
        { keys: all, threshold: 2, mask: 0b11n, signatures: [GOOD[all[1]], GOOD[all[0]]] }, // wrong order
      ];
    }

    it(`signer-mask check: revert data equals the TypeScript model (${DIFF_CASES} cases)`, async function () {
      const kinds = new Tally();
      const tally = await differential<VerifyCase, string>({
        name: "signer mask",
        property: 3,
        edges: verifyEdges(),
        arb: verifyCaseArb,
        to: harnessAddress,
        batchSize: VERIFY_BATCH,
        encode: (cases) =>
          Abi.calldata(selector("verifyBatch"), [
            Abi.hexWord(DIGEST),
            Abi.dynamicArray(
              cases.map((c) =>
                Abi.tuple([
                  Abi.staticArray(c.keys.map((k) => KEY_WORDS[k])),
                  Abi.word(c.threshold),
                  Abi.word(c.mask),
                  Abi.dynamicArray(c.signatures.map((i) => POOL_WORDS[i])),
                ]),
              ),
            ),
          ]),
        reference: (cases) =>
          harness.interface.encodeFunctionData("verifyBatch", [
            DIGEST,
            cases.map((c) => ({
              oracles: c.keys.map((k) => KEYS[k].address),
              threshold: c.threshold,
              mask: c.mask,
              signatures: c.signatures.map((i) => POOL[i].bytes),
            })),
          ]),
        decode: (data) => [...harness.interface.decodeFunctionResult("verifyBatch", data)[0]] as string[],
        compare: (c, revertData) => {
          const expected = modelTuple(predict(c));
          const actual = contractTuple(revertData);
          if (expected[0] === "InvalidSignature") {
            // which bad signature the check stopped at
            const slot = popcount(c.mask & ((1n << BigInt(expected[1])) - 1n));
            const label = POOL[c.signatures[slot]].label.replace(/\(\d+\)$/, "");
            kinds.add(label === "good" ? "another oracle's good signature" : label);
          }
          return {
            mismatch: json(actual) === json(expected) ? null : `TypeScript ${json(expected)}, Solidity ${json(actual)}`,
            outcomes: [expected[0]],
          };
        },
        describeCase,
      });
      kinds.print("signer mask: the signature InvalidSignature stopped at", tally.count("InvalidSignature"));
      for (const outcome of [
        "ok",
        "SignerMaskOutOfRange",
        "SignatureCountMismatch",
        "ThresholdNotMet",
        "InvalidSignature",
      ]) {
        expect(tally.count(outcome), `${outcome} on at least 5% of the cases`).to.be.at.least(0.05 * tally.total);
      }
    });
  });

  it("a metric with zero tiers cannot be packed, so it is no differential case", async function () {
    // TermsValidation rejects it at creation (TierCountOutOfRange); the shape nibble stores tiers - 1, and
    // encodeShape's `tiers.length - 1` underflows. The TypeScript rule would give 0.
    expect(tsCutBps([{ higherIsBetter: true, tiers: [] }], [0])).to.equal(0);
    await expect(
      harness.cutBpsBatch(CUT_ORACLES, [
        { oracleCount: 0, metrics: [{ higherIsBetter: true, tiers: [] }], valueSets: [[0]] },
      ]),
    ).to.be.revertedWithPanic(0x11);
  });
});
