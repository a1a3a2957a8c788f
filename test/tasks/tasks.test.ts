/**
 * Every `sla:*` task's happy path, run in-process with `hre.run` on the fixture's deployment, with its on-chain
 * effect asserted exactly and its output captured.
 */
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { Readable } from "node:stream";
import { Agreement, BREACHED, MET, Milestone, type Context, UNIT, attestAt, setup } from "../helpers/fixture";
import { plainTerms } from "../helpers/lifecycle";
import { type ConvertedTerms } from "../../scripts/lib/terms";
import { formatDuration } from "../../scripts/lib/units";
import { formatTime } from "../../scripts/lib/time";
import { loadTermsFile } from "../../scripts/adapters/terms-file";
import { prompt } from "../../scripts/tasks/common";
import type { StatusReport } from "../../scripts/tasks/status";
import { DAY, runTask, termsFile, writeTerms } from "./helpers";

/** Creates an agreement with `sla:create --from 1 --yes` and returns its id and converted terms. */
async function created(
  ctx: Context,
  overrides: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<{ id: bigint; converted: ConvertedTerms; out: string }> {
  const file = writeTerms(await termsFile(ctx, overrides));
  const converted = await loadTermsFile(hre, file, ctx.client.address);
  const r = await runTask<bigint>("sla:create", { terms: file, from: "1", yes: true, ...extra });
  expect(r.err).to.equal("");
  expect(r.exitCode).to.equal(undefined);
  return { id: r.result, converted, out: r.out };
}

/** Created and accepted by the vendor. */
async function active(ctx: Context, overrides: Record<string, unknown> = {}) {
  const c = await created(ctx, overrides);
  await ctx.escrow.connect(ctx.vendor).accept(c.id);
  return c;
}

describe("tasks: happy paths", function () {
  afterEach(function () {
    prompt.input = undefined;
  });

  describe("sla:create", function () {
    it("shows the terms, approves the token, creates and prints the id", async function () {
      const ctx = await setup();
      const before = await ctx.token.balanceOf(ctx.client.address);
      const { id, converted, out } = await created(ctx);
      expect(id).to.equal(1n);
      expect(await ctx.token.balanceOf(ctx.client.address)).to.equal(before - 3000n * UNIT);
      expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(3000n * UNIT);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(0n);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
      expect(await plainTerms(await ctx.escrow.getTerms(id))).to.deep.equal(converted.terms);

      expect(out).to.include(`total       3000 TUSD (3 milestones)`);
      expect(out).to.include(`oracles     2 of 3: ${ctx.oracles.map((o) => o.address).join(", ")}`);
      expect(out).to.match(/\n {4}0 {2}\S+Z {2}\S+Z {2}1000 TUSD\n/);
      expect(out).to.match(/availability_ppm \(higher is better\) +below 99\.9% +cut 10% +100 TUSD of each 1000 TUSD/);
      expect(out).to.match(
        /latency_p95_ms \(lower is better\) +above 300ms +cut 5% +50 TUSD of each 1000 TUSD\n +above 500ms +cut 15%/,
      );
      expect(out).to.include("approve: allowing the escrow to take 3000 TUSD\n");
      expect(out).to.include("approve: confirmed\n");
      expect(out).to.match(/create: confirmed in block \d+ \(gas \d+\)\n/);
      expect(out).to.include("agreement 1 created: 3000 TUSD in escrow;");
      expect(out.trimEnd().split("\n").pop()).to.equal("id: 1");
    });

    it("warns before sending when the vendor, an oracle, meets the threshold alone (1 of 3): the vendor can attest its own service", async function () {
      const ctx = await setup();
      const oracles = [ctx.vendor.address, ctx.oracles[0].address, ctx.oracles[1].address];
      const { id, out } = await created(ctx, { oracles, threshold: 1 });
      expect(id).to.equal(1n);
      const warning =
        `warning: oracles ${ctx.vendor.address} (vendor) alone meet the threshold 1 of 3: the vendor can attest its ` +
        "own service\n";
      expect(out).to.include(warning);
      expect(out.match(/warning:/g)).to.have.length(1);
      // In the preview: before the question and before anything is sent.
      expect(out.indexOf(warning)).to.be.lessThan(out.indexOf("The client deposits 3000 TUSD now"));
      expect(out.indexOf(warning)).to.be.lessThan(out.indexOf("approve: allowing"));
      // Creation allows it: the vendor is one of the agreement's oracles.
      expect((await ctx.escrow.getTerms(id)).oracles).to.include(ctx.vendor.address);
    });

    it("warns when the parties' oracles together meet the threshold (client and vendor, 2 of 3)", async function () {
      const ctx = await setup();
      const oracles = [ctx.client.address, ctx.vendor.address, ctx.oracles[0].address];
      const { converted, out } = await created(ctx, { oracles, threshold: 2 });
      const [first, second] = converted.terms.oracles.filter((o) => o !== ctx.oracles[0].address);
      const role = (a: string) => (a === ctx.client.address ? "client" : "vendor");
      const together = first === ctx.client.address ? "the client and the vendor" : "the vendor and the client";
      expect(out).to.include(
        `warning: oracles ${first} (${role(first)}), ${second} (${role(second)}) alone meet the threshold 2 of 3: ` +
          `${together} can attest between themselves, without an independent oracle\n`,
      );
    });

    it("does not warn when parties are oracles but cannot meet the threshold alone (vendor and arbitrator, 3 of 4)", async function () {
      const ctx = await setup();
      const oracles = [ctx.vendor.address, ctx.arbitrator.address, ctx.oracles[0].address, ctx.oracles[1].address];
      const { id, out } = await created(ctx, { oracles, threshold: 3 });
      expect(out).to.include("oracles     3 of 4: ");
      expect(out).not.to.include("warning");
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
    });

    it("--permit funds with a permit signature: one transaction, no approval", async function () {
      const ctx = await setup();
      const block = await hre.ethers.provider.getBlockNumber();
      const { id, out } = await created(ctx, {}, { permit: true });
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block + 1);
      expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(3000n * UNIT);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(0n);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
      expect(out).to.include("permit: signing 3000 TUSD for the escrow");
      expect(out).not.to.include("approve:");
    });

    it("funds native ETH with the transaction's value", async function () {
      const ctx = await setup();
      const before = await hre.ethers.provider.getBalance(ctx.client.address);
      const { id } = await created(ctx, {
        token: "ETH",
        schedule: { every: "1w", count: 4, amount: "1.25" },
        milestones: undefined,
      });
      const terms = await ctx.escrow.getTerms(id);
      expect(terms.token).to.equal(hre.ethers.ZeroAddress);
      expect(terms.milestones.map((m) => m.amount)).to.deep.equal(Array(4).fill(1_250_000_000_000_000_000n));
      expect(await hre.ethers.provider.getBalance(ctx.escrowAddress)).to.equal(5n * UNIT);
      expect(await hre.ethers.provider.getBalance(ctx.client.address)).to.be.lessThan(before - 5n * UNIT);
    });

    it("asks for confirmation: y sends, anything else sends nothing", async function () {
      const ctx = await setup();
      const file = writeTerms(await termsFile(ctx));
      const block = await hre.ethers.provider.getBlockNumber();
      prompt.input = Readable.from(["no\n"]);
      const no = await runTask("sla:create", { terms: file, from: "1" });
      expect(no.out).to.include("Send? [y/N] ");
      expect(no.err).to.equal("error: not confirmed: nothing was sent (answer y, or pass --yes)\n");
      expect(no.exitCode).to.equal(1);
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);

      prompt.input = Readable.from(["y\n"]);
      const yes = await runTask<bigint>("sla:create", { terms: file, from: ctx.client.address });
      expect(yes.exitCode).to.equal(undefined);
      expect(yes.result).to.equal(1n);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
    });
  });

  describe("lifecycle tasks", function () {
    it("sla:accept makes the agreement Active", async function () {
      const ctx = await setup();
      const { id } = await created(ctx);
      const r = await runTask<string>("sla:accept", { id: String(id), from: "2" });
      expect(r.exitCode).to.equal(undefined);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
      expect(r.out).to.include("Accepting agreement 1:");
      expect(r.out).to.include("accept: sent " + r.result);
      expect(r.out).to.include("agreement 1 is Active");
    });

    it("sla:accept warns, with the terms read from the chain, when the vendor's own oracle meets the threshold alone", async function () {
      const ctx = await setup();
      const oracles = [ctx.vendor.address, ctx.oracles[0].address, ctx.oracles[1].address];
      const { id } = await created(ctx, { oracles, threshold: 1 });
      const r = await runTask<string>("sla:accept", { id: String(id), from: "2" });
      expect(r.exitCode).to.equal(undefined);
      const warning =
        `warning: oracles ${ctx.vendor.address} (vendor) alone meet the threshold 1 of 3: the vendor can attest its ` +
        "own service\n";
      expect(r.out).to.include(warning);
      expect(r.out.indexOf(warning)).to.be.lessThan(r.out.indexOf("accept: sent " + r.result));
    });

    it("sla:accept says the acceptance deadline (the first milestone's due time, ISO) before it sends", async function () {
      const ctx = await setup();
      const { id, converted } = await created(ctx);
      const firstDue = converted.terms.milestones[0].dueAt;
      // An empty block one day and one second before the deadline: the task reads the chain's time from it.
      await time.setNextBlockTimestamp(firstDue - DAY - 1n);
      await hre.network.provider.send("evm_mine");
      const now = BigInt(await time.latest());
      const r = await runTask<string>("sla:accept", { id: String(id), from: "2" });
      expect(r.exitCode).to.equal(undefined);
      expect(r.err).to.equal("");
      const deadline =
        `deadline: the vendor can accept only before ${formatTime(firstDue)} (the first milestone's due time); ` +
        `1d 1s left at the chain's time ${formatTime(now)}\n`;
      expect(r.out.startsWith(deadline), r.out).to.equal(true);
      expect(r.out.indexOf(deadline)).to.be.lessThan(r.out.indexOf("accept: sent " + r.result));
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
      expect(BigInt(await time.latest())).to.be.lessThan(firstDue);
    });

    it("sla:cancel refunds everything to the client's balance and closes", async function () {
      const ctx = await setup();
      const { id } = await created(ctx);
      const r = await runTask("sla:cancel", { id: "1", from: ctx.client.address });
      expect(r.exitCode).to.equal(undefined);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(3000n * UNIT);
      expect(r.out).to.include("agreement 1 cancelled: 3000 TUSD credited to the client");
    });

    it("sla:dispute and sla:resolve: the arbitrator's cut settles the milestone", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      await attestAt(ctx, converted.terms, id, 0, BREACHED);
      const d = await runTask("sla:dispute", { id: "1", milestone: "0", from: "1" });
      expect(d.exitCode).to.equal(undefined);
      const [status, cut, , disputedAt] = await ctx.escrow.milestoneInfo(id, 0);
      expect([status, cut, disputedAt]).to.deep.equal([Milestone.Disputed, 4000n, BigInt(await time.latest())]);
      expect(d.out).to.include(`anyone can settle with the attested cut from ${formatTime(disputedAt + 14n * DAY)}`);

      const r = await runTask("sla:resolve", { id: "1", milestone: "0", cut: "25%", from: "3" });
      expect(r.exitCode).to.equal(undefined);
      expect((await ctx.escrow.milestoneInfo(id, 0)).slice(0, 2)).to.deep.equal([Milestone.Settled, 2500n]);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ctx.tokenAddress)).to.equal(750n * UNIT);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(250n * UNIT);
      expect(r.out).to.include(
        "milestone 0 of agreement 1 settled (arbitrator's cut 25%): 750 TUSD to the vendor, 250 TUSD to the client",
      );
    });

    it("sla:terminate: a request, then both parties: milestones not yet due are refunded", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      const first = await runTask("sla:terminate", { id: "1", from: "1" });
      expect(first.out).to.include(
        `termination of agreement 1 requested by ${ctx.client.address}; it takes effect when the other party asks too`,
      );
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
      const second = await runTask("sla:terminate", { id: "1", from: "2" });
      expect(second.exitCode).to.equal(undefined);
      expect(second.out).to.include(
        "agreement 1 terminated: 3000 TUSD credited to the client for the milestones not yet due (0, 1, 2)",
      );
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(3000n * UNIT);
    });
  });

  describe("sla:terminate: the request does not expire (issue 11)", function () {
    const NOTE =
      "note: your termination request does not expire: the other party can complete it at any later time while " +
      "the agreement is Active, and the milestones not yet due at that moment are refunded to the client (a " +
      "request cannot be withdrawn)\n";

    it("says so before it sends the first party's request", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      const r = await runTask<string>("sla:terminate", { id: String(id), from: "2" });
      expect(r.exitCode).to.equal(undefined);
      expect(r.err).to.equal("");
      expect(r.out.startsWith(NOTE), r.out).to.equal(true);
      expect(r.out.indexOf(NOTE)).to.be.lessThan(r.out.indexOf("terminate: sent " + r.result));
      await expect(r.result).to.emit(ctx.escrow, "TerminationRequested").withArgs(id, ctx.vendor.address);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
    });

    it("lets the other party complete it much later, just before a due time: that milestone is refunded too", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      await runTask("sla:terminate", { id: String(id), from: "2" }); // the vendor, right after accepting
      const due1 = converted.terms.milestones[1].dueAt;
      await time.increaseTo(converted.terms.milestones[0].dueAt + 3n * DAY + 1n); // milestone 0 runs its course
      await time.setNextBlockTimestamp(due1 - 1n); // then, one second before milestone 1 is due, the client
      const r = await runTask<string>("sla:terminate", { id: String(id), from: "1" });
      expect(r.exitCode).to.equal(undefined);
      expect(r.out).to.include(
        "note: the vendor asked to terminate already (a request does not expire); yours completes it now: the " +
          "milestones not yet due are refunded to the client\n",
      );
      expect(r.out).not.to.include(NOTE);
      await expect(r.result)
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 2000n * UNIT, 0b110n);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(2000n * UNIT);
      expect(r.out).to.include(
        "agreement 1 terminated: 2000 TUSD credited to the client for the milestones not yet due (1, 2)",
      );
    });
  });

  describe("sla:settle", function () {
    it("--milestone settles one milestone with the attested cut", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      await attestAt(ctx, converted.terms, id, 0, BREACHED);
      await time.increase(2 * 86_400);
      const r = await runTask<bigint[]>("sla:settle", { id: "1", milestone: "0", from: "4" });
      expect(r.result).to.deep.equal([0n]);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ctx.tokenAddress)).to.equal(600n * UNIT);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(400n * UNIT);
      expect(r.out).to.include(
        "milestone 0 of agreement 1 settled (attested cut 40%): 600 TUSD to the vendor, 400 TUSD to the client",
      );
    });

    it("without --milestone settles every settleable milestone in one multicall, after simulating each", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx, {}); // 3 milestones, 30 days apart
      await attestAt(ctx, converted.terms, id, 0, BREACHED);
      await attestAt(ctx, converted.terms, id, 1, MET);
      await time.increase(2 * 86_400);
      const block = await hre.ethers.provider.getBlockNumber();
      const r = await runTask<bigint[]>("sla:settle", { id: "1", from: "4" });
      expect(r.exitCode).to.equal(undefined);
      expect(r.result).to.deep.equal([0n, 1n]);

      // One transaction, a multicall.
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block + 1);
      const tx = (await hre.ethers.provider.getBlock(block + 1, true))!.prefetchedTransactions[0];
      expect(tx.data.slice(0, 10)).to.equal(ctx.escrow.interface.getFunction("multicall").selector);

      expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Settled);
      expect((await ctx.escrow.milestoneInfo(id, 1))[0]).to.equal(Milestone.Settled);
      expect((await ctx.escrow.milestoneInfo(id, 2))[0]).to.equal(Milestone.Pending);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ctx.tokenAddress)).to.equal(1600n * UNIT);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(400n * UNIT);

      const settleable = converted.terms.milestones[2].dueAt + 3n * DAY + 1n;
      expect(r.out).to.include("checking the 3 milestones of agreement 1...\n");
      expect(r.out).to.include("milestone 0: Attested, settleable now\n");
      expect(r.out).to.include("milestone 1: Attested, settleable now\n");
      expect(r.out).to.include(
        `milestone 2: Pending, not settleable (SettleTooEarly: the milestone can be settled from ${formatTime(settleable)} on)\n`,
      );
      expect(r.out).to.include("settle 2 milestones in one multicall: sent");
      expect(r.out).to.include(
        "milestone 1 of agreement 1 settled (attested cut 0%): 1000 TUSD to the vendor, 0 TUSD to the client",
      );

      // Nothing left: a message, no transaction, exit code 0.
      const again = await runTask<bigint[]>("sla:settle", { id: "1" });
      expect(again.result).to.deep.equal([]);
      expect(again.exitCode).to.equal(undefined);
      expect(again.out).to.include("milestone 0: already settled\n");
      expect(again.out).to.include("nothing to settle now in agreement 1\n");
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block + 1);
    });

    it("settles a silent milestone after the grace period", async function () {
      const ctx = await setup();
      const { converted } = await active(ctx, { silentCut: "60%" });
      await time.increaseTo(converted.terms.milestones[0].dueAt + 3n * DAY + 1n);
      const r = await runTask<bigint[]>("sla:settle", { id: "1" });
      expect(r.result).to.deep.equal([0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(600n * UNIT);
      expect(r.out).to.include("settled (silent cut 60%): 400 TUSD to the vendor, 600 TUSD to the client");
    });
  });

  describe("sla:withdraw", function () {
    it("sends the whole balance to the account itself or to --to", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      await attestAt(ctx, converted.terms, id, 0, BREACHED);
      await time.increase(2 * 86_400);
      await ctx.escrow.settle(id, 0);

      const vendorBefore = await ctx.token.balanceOf(ctx.vendor.address);
      const v = await runTask<bigint>("sla:withdraw", { token: "TUSD", from: "2" });
      expect(v.result).to.equal(600n * UNIT);
      expect(await ctx.token.balanceOf(ctx.vendor.address)).to.equal(vendorBefore + 600n * UNIT);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ctx.tokenAddress)).to.equal(0n);
      expect(v.out).to.include(`withdrew 600 TUSD of ${ctx.vendor.address}'s balance to ${ctx.vendor.address}`);

      const c = await runTask<bigint>("sla:withdraw", { token: ctx.tokenAddress, from: "1", to: ctx.stranger.address });
      expect(c.result).to.equal(400n * UNIT);
      expect(await ctx.token.balanceOf(ctx.stranger.address)).to.equal(400n * UNIT);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(0n);
    });

    it("withdraws native ETH", async function () {
      const ctx = await setup();
      await created(ctx, { token: "ETH", milestones: undefined, schedule: { every: "30d", count: 2, amount: "0.5" } });
      await runTask("sla:cancel", { id: "1", from: "1" });
      const before = await hre.ethers.provider.getBalance(ctx.stranger.address);
      const r = await runTask<bigint>("sla:withdraw", { token: "ETH", from: "1", to: ctx.stranger.address });
      expect(r.result).to.equal(UNIT);
      expect(await hre.ethers.provider.getBalance(ctx.stranger.address)).to.equal(before + UNIT);
      expect(r.out).to.include(`withdrew 1 ETH of ${ctx.client.address}'s balance to ${ctx.stranger.address}`);
    });
  });

  describe("sla:status", function () {
    it("shows the agreement, both balances and a row per milestone in token units", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      const t = converted.terms;
      await attestAt(ctx, t, id, 0, BREACHED);
      await time.increase(2 * 86_400);
      await ctx.escrow.settle(id, 0);
      await attestAt(ctx, t, id, 1, [999_000, 301]);
      const attestedAt = BigInt(await time.latest());

      const r = await runTask<StatusReport>("sla:status", { id: "1" });
      expect(r.exitCode).to.equal(undefined);
      const report = r.result;
      expect(report.status).to.equal("Active");
      expect(report.clientBalance).to.equal(400n * UNIT);
      expect(report.vendorBalance).to.equal(600n * UNIT);
      expect(report.milestones).to.deep.equal([
        {
          index: 0,
          periodStart: t.startAt,
          dueAt: t.milestones[0].dueAt,
          amount: 1000n * UNIT,
          status: "Settled",
          settlement: "attested",
          values: [994_000n, 600n],
          cutBps: 4000n,
          toVendor: 600n * UNIT,
          toClient: 400n * UNIT,
          next: "-",
        },
        {
          index: 1,
          periodStart: t.milestones[0].dueAt,
          dueAt: t.milestones[1].dueAt,
          amount: 1000n * UNIT,
          status: "Attested",
          values: [999_000n, 301n],
          cutBps: 500n,
          toVendor: 950n * UNIT,
          toClient: 50n * UNIT,
          next: `dispute until ${formatTime(attestedAt + 2n * DAY)}, settle from then`,
        },
        {
          index: 2,
          periodStart: t.milestones[1].dueAt,
          dueAt: t.milestones[2].dueAt,
          amount: 1000n * UNIT,
          status: "Pending",
          values: undefined,
          next: `attest from ${formatTime(t.milestones[2].dueAt)}`,
        },
      ]);
      expect(r.out).to.include("agreement 1: Active");
      expect(r.out).to.include(`client      ${ctx.client.address}: 400 TUSD to withdraw`);
      expect(r.out).to.include(`vendor      ${ctx.vendor.address}: 600 TUSD to withdraw`);
      expect(r.out).to.match(/\n {2}0 .*Settled \(attested\) +994000, 600 +40% +600 +400 +-\n/);
      expect(r.out).to.match(/\n {2}1 .*Attested +999000, 301 +5% +950\* +50\* +dispute until/);
      expect(r.out).to.match(/\n {2}2 .*Pending +- +- +- +- +attest from/);
      expect(r.out).to.include("* if settled with the attested cut");
      expect(report.acceptBefore).to.equal(undefined);
      expect(r.out).not.to.include("acceptance");
    });

    it("--metric-spec names the metrics and shows the attested values in their units; a spec that does not fit is refused", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      await attestAt(ctx, converted.terms, id, 0, BREACHED);
      const spec = writeTerms({
        metrics: [
          { name: "API availability", kind: "probes.availability_ppm" },
          { name: "API p95", kind: "probes.latency_ms", percentile: 95 },
        ],
      });
      const r = await runTask<StatusReport>("sla:status", { id: String(id), metricSpec: spec });
      expect(r.exitCode, r.err).to.equal(undefined);
      expect(r.out).to.include("\n  metrics     (attested values below in this order)\n");
      expect(r.out).to.include("\n    0  API availability: share of probes that succeeded (probes.availability_ppm)\n");
      expect(r.out).to.include("\n    1  API p95: p95 latency of the ok probes (probes.latency_ms)\n");
      expect(r.out).to.match(/\n {2}0 .*Attested +99\.4%, 600ms +40% /);

      const wrong = writeTerms({ metrics: [{ name: "CSAT", kind: "tickets.csat_ppm" }] });
      const bad = await runTask<StatusReport>("sla:status", { id: String(id), metricSpec: wrong });
      expect(bad.exitCode).to.equal(1);
      expect(bad.err.trim()).to.equal(
        `error: --metric-spec ${wrong}: agreement ${id} has 2 metric(s), but 1 were given (CSAT)`,
      );
    });

    it("shows the acceptance deadline (the first milestone's due time) while the agreement is Proposed", async function () {
      const ctx = await setup();
      const { id, converted } = await created(ctx);
      const firstDue = converted.terms.milestones[0].dueAt;
      const now = BigInt(await time.latest());
      const r = await runTask<StatusReport>("sla:status", { id: String(id) });
      expect(r.exitCode).to.equal(undefined);
      expect(r.result.status).to.equal("Proposed");
      expect(r.result.acceptBefore).to.equal(firstDue);
      expect(r.out).to.include(
        `\n  acceptance  the vendor can accept before ${formatTime(firstDue)} (the first milestone's due time), ` +
          `${formatDuration(firstDue - now)} from now\n`,
      );

      // At the due time itself it is too late: the line says so, and the agreement is still Proposed.
      await time.setNextBlockTimestamp(firstDue);
      await hre.network.provider.send("evm_mine");
      const late = await runTask<StatusReport>("sla:status", { id: String(id) });
      expect(late.result.status).to.equal("Proposed");
      expect(late.result.acceptBefore).to.equal(firstDue);
      expect(late.out).to.include(
        `\n  acceptance  closed at ${formatTime(firstDue)} (the first milestone's due time): the vendor can no ` +
          "longer accept; the client can cancel, and each milestone refunds itself after its grace\n",
      );
    });

    it("--history lists the agreement's events in chain order after the status, with progress for long scans", async function () {
      const ctx = await setup();
      const { id, converted } = await active(ctx);
      const t = converted.terms;
      const other = await active(ctx); // its events are not in agreement 1's history
      const attested = await (await attestAt(ctx, t, id, 0, BREACHED)).wait();
      await time.increase(2 * 86_400);
      const settled = await (await ctx.escrow.settle(id, 0)).wait();
      await ctx.escrow.connect(ctx.vendor).terminate(other.id);

      const plain = await runTask<StatusReport>("sla:status", { id: String(id) });
      expect(plain.result.history).to.equal(undefined);
      expect(plain.out).not.to.include("history:");

      const r = await runTask<StatusReport>("sla:status", { id: String(id), history: true });
      expect(r.exitCode).to.equal(undefined);
      expect(r.err).to.equal("");
      // The status is printed exactly as without the flag, then the history.
      expect(r.out.startsWith(plain.out)).to.equal(true);
      const history = r.result.history!;
      expect(history.map((e) => e.name)).to.deep.equal([
        "AgreementCreated",
        "AgreementAccepted",
        "AttestationPosted",
        "MilestoneSettled",
      ]);
      expect(history.every((e) => e.args.id === id)).to.equal(true);
      expect([history[2].blockNumber, history[2].transactionHash]).to.deep.equal([
        attested!.blockNumber,
        attested!.hash,
      ]);
      expect([history[3].blockNumber, history[3].transactionHash]).to.deep.equal([settled!.blockNumber, settled!.hash]);
      const w = Math.max(...history.map((e) => String(e.blockNumber).length)); // block numbers are right-aligned
      const line = (i: number) =>
        `  block ${String(history[i].blockNumber).padStart(w)}  ${formatTime(history[i].timestamp)}  ${history[i].transactionHash.slice(0, 10)}  `;
      const evidence = hre.ethers.id(`report ${id}/0`);
      expect(r.out.slice(plain.out.length)).to.equal(
        "\nhistory:\n" +
          `${line(0)}created by the client ${ctx.client.address} for the vendor ${ctx.vendor.address}: 3 milestones, 3000 TUSD funded\n` +
          `${line(1)}accepted by the vendor\n` +
          `${line(2)}milestone 0 attested: values 994000, 600; cut 40%; evidence ${evidence}; signers 0b011\n` +
          `${line(3)}milestone 0 settled (Attested): vendor 600 TUSD, client 400 TUSD\n`,
      );
      expect(r.out).not.to.include("scanning blocks");

      // More than one block range (5000 blocks): a progress line per range, then the same history.
      await hre.network.provider.send("hardhat_mine", ["0x1388"]);
      const long = await runTask<StatusReport>("sla:status", { id: String(id), history: true });
      expect(long.result.history).to.deep.equal(history);
      const scans = long.out.split("\n").filter((l) => l.includes("scanning blocks"));
      expect(scans.length).to.equal(2);
      expect(scans[1]).to.match(/^ {2}scanning blocks (\d+)\.\.(\d+) of \1\.\.\2 \(4 events so far\)$/);
      expect(long.out.indexOf("scanning blocks")).to.be.below(long.out.indexOf("history:"));
    });
  });
});
