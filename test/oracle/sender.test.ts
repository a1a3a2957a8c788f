/**
 * The durable sender inside a Daemon, in process on the Hardhat network with automine off: one nonce at a time
 * (a round while a transaction is in flight defers its calls and goes on), the wait that ends after `waitMs`
 * with the transaction still recorded, and what the metrics endpoint reads (relayerStatus, pendingStatus).
 * Replacements, the cap, confirmations and reorgs against a real node are in node-fees.test.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { Wallet } from "ethers";
import { formatSamplesCsv } from "../../scripts/oracle/csv";
import { connect, makeSources, specsFromArgs } from "../../scripts/oracle/commands";
import { Daemon } from "../../scripts/oracle/daemon";
import { Logger } from "../../scripts/oracle/log";
import { parseTolerances } from "../../scripts/lib/kpi/tolerance";
import type { PendingTx } from "../../scripts/oracle/run/state";
import { Milestone, createActive, makeTerms, setup } from "../helpers/fixture";
import { makeSamples, privateKeyOf, tempDir } from "./helpers";

type Log = Record<string, unknown> & { action: string; milestone?: number };

describe("oracle run: one nonce at a time (in process, automine off)", function () {
  afterEach(async function () {
    await hre.network.provider.send("evm_setAutomine", [true]);
  });

  it("defers the calls of a round while a transaction is in flight, goes on, and reports the relayer's balance", async function () {
    const ctx = await setup();
    const oracleSigner = ctx.oracles[0];
    const terms = await makeTerms(ctx, { threshold: 1, arbitrator: hre.ethers.ZeroAddress, disputeWindow: 0 });
    const id = await createActive(ctx, terms);
    const dir = tempDir();
    const samples = path.join(dir, "samples.csv");
    const start = Number(terms.startAt);
    const due = Number(terms.milestones[0].dueAt);
    fs.writeFileSync(samples, formatSamplesCsv(makeSamples(start, due, 500, 0, () => 100)));
    await time.increaseTo(due);

    const args = { command: "run", metrics: "availability_ppm,latency_p95_ms", samples };
    const specs = specsFromArgs(args);
    const lines: Log[] = [];
    const c = await connect(hre, ctx.escrowAddress, true);
    const key = new Wallet(privateKeyOf(oracleSigner.address), c.provider);
    const state = path.join(dir, "state");
    const daemon = new Daemon(
      c,
      key,
      key.address,
      key,
      {
        specs,
        specsFlag: "--metrics",
        sources: await makeSources(args, specs),
        stateDir: state,
        intervalMs: 1000,
        blockRange: 5000,
        fromBlock: 0,
        once: false,
        settle: false,
        tolerances: parseTolerances(undefined, specs),
        maxBatch: 100,
        onceAttempts: 5,
        lagSeconds: 0,
        staggerSeconds: 0,
        proposalWindowSeconds: 0,
        tx: { waitMs: 300, pollMs: 50 },
      },
      new Logger((l) => void lines.push(JSON.parse(l) as Log)),
    );
    const pending = () =>
      (JSON.parse(fs.readFileSync(path.join(state, "state.json"), "utf8")) as { pendingTx?: PendingTx }).pendingTx;
    daemon.open();
    try {
      await hre.network.provider.send("evm_setAutomine", [false]);
      const balance = await c.provider.getBalance(key.address);
      expect(daemon.relayerStatus(), "nothing priced yet").to.equal(undefined);

      // Round 1: posts, waits 300 ms for a block that does not come, returns with the nonce in flight.
      await daemon.round();
      const p = pending()!;
      expect(p.txs).to.have.length(1);
      expect(lines.filter((l) => l.action === "posting").map((l) => l.milestone)).to.deep.equal([0]);
      const status = daemon.relayerStatus()!;
      const gas = BigInt(p.gasLimit!);
      const maxFee = BigInt(p.txs![0].maxFeePerGas);
      expect(status).to.deep.include({ relayer: key.address, balanceWei: balance });
      expect(status.postingsCovered).to.equal(Number(balance / (gas * maxFee)));
      expect(daemon.pendingStatus()).to.deep.include({ hash: p.hash, nonce: p.nonce, transactions: 1 });

      // Round 2: the milestone still reads Pending, so it is due again; its call waits for the nonce: no second
      // transaction, one `send-deferred` line, and the round returns.
      await daemon.round();
      await daemon.round();
      expect(lines.filter((l) => l.action === "posting")).to.have.length(1);
      expect(lines.filter((l) => l.action === "send-deferred")).to.have.length(1);
      expect(lines.find((l) => l.action === "send-deferred")).to.deep.include({ nonce: p.nonce, txHash: p.hash });
      expect(pending()!.txs!.map((t) => t.hash)).to.deep.equal([p.hash]);
      expect(await c.provider.getTransactionCount(key.address, "pending")).to.equal(p.nonce + 1);

      // A block: the next round finds it done.
      await hre.network.provider.send("evm_mine", []);
      await daemon.round();
      expect(lines.find((l) => l.action === "posted")).to.deep.include({ txHash: p.hash, nonce: p.nonce });
      expect(pending()).to.equal(undefined);
      expect(daemon.pendingStatus()).to.equal(undefined);
      expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Attested);
      expect(await ctx.escrow.queryFilter(ctx.escrow.filters.AttestationPosted(id, 0))).to.have.length(1);
    } finally {
      daemon.close();
    }
  });
});
