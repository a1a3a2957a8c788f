/**
 * Property test of the escrow's accounting: random sequences of operations (create, accept, cancel, attest,
 * dispute, resolve, settle, terminate, withdraw, time jumps and warps to a milestone's deadlines, forced ETH) run
 * against the in-process Hardhat network, each from the same snapshot. After every step, for ETH and the test
 * token: the escrow's balance == the unsettled milestone amounts + every credited balance (+ the ETH force-sent);
 * no settled milestone changes again; every settlement pays exactly its amount (split as scripts/lib/penalty.ts
 * splits it); and the chain equals a TypeScript mirror of the escrow (helpers/invariant/model.ts). After the last
 * operation, every agreement must reach Closed by timed actions alone (every deadline passes, a relayer settles
 * each open milestone: no oracle, no arbitrator), after which every party withdraws and the escrow holds nothing
 * but force-sent ETH.
 *
 * INVARIANT_RUNS  number of sequences (default 200; e.g. 10000 for a deep run)
 * INVARIANT_SEED  fast-check seed (default random; always printed, and printed again on failure)
 * INVARIANT_PATH  with INVARIANT_SEED, replays just the counterexample at this fast-check path (printed on failure)
 * INVARIANT_VERBOSE=1  prints every sequence's transcript (operation, agreement/milestone acted on, outcome)
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { UNIT, setup } from "./helpers/fixture";
import { type Env, type Op, Runner, Stats, sequenceArb } from "./helpers/invariant";

const RUNS = Number(process.env.INVARIANT_RUNS ?? 200);
const VERBOSE = process.env.INVARIANT_VERBOSE === "1";
const PATH = process.env.INVARIANT_PATH;
const SEED =
  process.env.INVARIANT_SEED !== undefined ? Number(process.env.INVARIANT_SEED) : (Math.random() * 0x7fffffff) | 0;

describe("invariant: escrow accounting under random operation sequences", function () {
  let env: Env;

  before(async function () {
    const ctx = await setup();
    const signers = await ethers.getSigners();
    // client and vendor of the fixture plus two more accounts; any of them may be client or vendor
    const pool = [ctx.client, ctx.vendor, signers[9], signers[10]];
    for (const party of pool) {
      await ctx.token.mint(party.address, 1_000_000n * UNIT);
      await ctx.token.connect(party).approve(ctx.escrowAddress, ethers.MaxUint256);
    }
    const forceSend = await ethers.getContractFactory("ForceSend");
    env = { ctx, pool, forceSendBytecode: forceSend.bytecode };
    // a fresh escrow: nothing held, nothing owed
    expect(await ethers.provider.getBalance(ctx.escrowAddress)).to.equal(0n);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
  });

  it(`holds over ${RUNS} random sequences of up to 25 operations`, async function () {
    this.timeout(0); // deep runs (INVARIANT_RUNS=10000) take far longer than mocha's default
    console.log(`      [invariant] seed ${SEED} (INVARIANT_SEED=${SEED} replays), ${RUNS} sequences`);
    const stats = new Stats();
    const started = Date.now();
    let runs = 0;

    const property = fc.asyncProperty(sequenceArb, async (ops: Op[]) => {
      runs++;
      const snapshot = (await ethers.provider.send("evm_snapshot", [])) as string;
      try {
        const runner = new Runner(env, stats, BigInt(await time.latest()));
        await runner.check();
        try {
          for (const op of ops) {
            await runner.step(op);
            await runner.check();
          }
          await runner.windDown();
        } finally {
          if (VERBOSE) console.log(`      --- sequence ${runs}\n${runner.transcript().replace(/^/gm, "      ")}`);
        }
      } finally {
        await ethers.provider.send("evm_revert", [snapshot]);
      }
      stats.sequences++;
      if (runs % 20 === 0) {
        const phase = runs <= RUNS ? `${runs}/${RUNS} sequences` : `shrinking, attempt ${runs - RUNS}`;
        console.log(`      [invariant] ${phase}, ${stats.steps} steps, ${((Date.now() - started) / 1000).toFixed(1)}s`);
      }
    });

    try {
      // Verbose: on failure, besides the seed, the path and the shrunk counterexample (printed in any case),
      // list the failing sequences met while shrinking.
      await fc.assert(property, { numRuns: RUNS, seed: SEED, path: PATH, verbose: fc.VerbosityLevel.Verbose });
    } catch (error) {
      console.log(
        `      [invariant] FAILED with seed ${SEED}: replay with INVARIANT_SEED=${SEED} INVARIANT_RUNS=${RUNS}, or ` +
          `just the shrunk counterexample with INVARIANT_SEED=${SEED} INVARIANT_PATH=<the path fast-check prints>`,
      );
      throw error;
    } finally {
      console.log(
        `      [invariant] ${stats.steps} steps in ${((Date.now() - started) / 1000).toFixed(1)}s; outcomes:`,
      );
      console.log(stats.summary());
    }

    // The generator must reach every transition, or the property proves little.
    if (RUNS >= 100) {
      for (const kind of [
        "create",
        "accept",
        "cancel",
        "attest",
        "dispute",
        "resolve",
        "settle",
        "terminate",
        "withdraw",
        "forceSend",
      ]) {
        expect(stats.okCount(kind), `successful ${kind} operations`).to.be.greaterThan(0);
      }
    }
  });
});
