import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ISLAEscrow } from "../typechain-types";
import {
  Agreement,
  type Context,
  DAY,
  ETH,
  Milestone,
  UNIT,
  create,
  makeTerms,
  setup,
  totalOf,
} from "./helpers/fixture";
import {
  contractAccount,
  createdEventTerms,
  expectNothingChanged,
  expectTermsEqual,
  manyMetrics,
  manyMilestones,
  milestoneOf,
  revertName,
  signPermit,
  sortedAddresses,
} from "./helpers/lifecycle";
import { shouldRejectCallersOtherThan } from "./helpers/roles.behavior";

const MAX_DUE_AT = 2n ** 40n - 1n;

/** Sends createAgreement (ETH: the deposit as value unless told otherwise) and expects `error(args)`, nothing changed. */
async function expectCreateRevert(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  error: string,
  args: unknown[],
  opts: { from?: HardhatEthersSigner; value?: bigint; tokens?: string[] } = {},
): Promise<void> {
  const from = opts.from ?? ctx.client;
  const value = opts.value ?? (terms.token === ETH ? totalOf(terms) : 0n);
  await expectNothingChanged(
    ctx,
    async () => {
      await expect(ctx.escrow.connect(from).createAgreement(terms, { value }))
        .to.be.revertedWithCustomError(ctx.escrow, error)
        .withArgs(...args);
    },
    opts.tokens ?? [],
  );
  expect(await ctx.escrow.agreementStatus(1)).to.equal(Agreement.None);
}

/** Expects every milestone of `id` to read (Pending, 0, 0, 0). */
async function expectAllPending(ctx: Context, id: bigint, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect(await milestoneOf(ctx.escrow, id, i)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
  }
}

describe("createAgreement", function () {
  context("when funded in native ETH", function () {
    it("should return id 1 for the first agreement and 2 for the next", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const total = totalOf(terms);
      expect(await ctx.escrow.connect(ctx.client).createAgreement.staticCall(terms, { value: total })).to.equal(1n);
      await ctx.escrow.connect(ctx.client).createAgreement(terms, { value: total });
      expect(await ctx.escrow.connect(ctx.client).createAgreement.staticCall(terms, { value: total })).to.equal(2n);
    });

    it("should emit AgreementCreated with the id, the parties and the whole terms", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      await expect(ctx.escrow.connect(ctx.client).createAgreement(terms, { value: totalOf(terms) }))
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expectTermsEqual(await createdEventTerms(ctx.escrow, 1n), terms);
      await expectTermsEqual(await ctx.escrow.getTerms(1n), terms);
    });

    it("should return the terms unchanged from getTerms", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const id = await create(ctx, terms);
      await expectTermsEqual(await ctx.escrow.getTerms(id), terms);
    });

    it("should leave the agreement Proposed and every milestone Pending", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const id = await create(ctx, terms);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
      await expectAllPending(ctx, id, 3);
    });

    it("should move exactly the deposit from the client to the escrow and credit nobody", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const total = totalOf(terms);
      const tx = ctx.escrow.connect(ctx.client).createAgreement(terms, { value: total });
      await expect(tx).to.changeEtherBalances([ctx.client, ctx.escrow], [-total, total]);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.client, ctx.escrow], [0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
    });

    it("should accept a zero arbitrator (no disputes)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ETH });
      await expect(ctx.escrow.connect(ctx.client).createAgreement(terms, { value: totalOf(terms) }))
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expectTermsEqual(await ctx.escrow.getTerms(1n), terms);
    });
  });

  context("when funded with an ERC-20 after approve", function () {
    it("should return id 1, emit AgreementCreated and store the terms", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { token: ctx.tokenAddress });
      const total = totalOf(terms);
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, total);
      expect(await ctx.escrow.connect(ctx.client).createAgreement.staticCall(terms)).to.equal(1n);
      await expect(ctx.escrow.connect(ctx.client).createAgreement(terms))
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expectTermsEqual(await createdEventTerms(ctx.escrow, 1n), terms);
      await expectTermsEqual(await ctx.escrow.getTerms(1n), terms);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
      await expectAllPending(ctx, 1n, 3);
    });

    it("should pull exactly the deposit from the client and use up the allowance", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { token: ctx.tokenAddress });
      const total = totalOf(terms);
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, total);
      const tx = ctx.escrow.connect(ctx.client).createAgreement(terms);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.client, ctx.escrow], [-total, total]);
      await expect(tx).to.changeEtherBalance(ctx.escrow, 0n);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(0n);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(0n);
    });
  });

  context("when the token returns no boolean (USDT-style)", function () {
    it("should pull the deposit and create the agreement", async function () {
      const ctx = await setup();
      const usdt = await ethers.deployContract("MockNoReturnToken");
      const usdtAddress = await usdt.getAddress();
      const terms = await makeTerms(ctx, { token: usdtAddress });
      const total = totalOf(terms);
      await usdt.mint(ctx.client.address, total);
      await usdt.connect(ctx.client).approve(ctx.escrowAddress, total);
      const tx = ctx.escrow.connect(ctx.client).createAgreement(terms);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(usdt, [ctx.client, ctx.escrow], [-total, total]);
      await expectTermsEqual(await ctx.escrow.getTerms(1n), terms);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
    });
  });

  context("when every bound is at its maximum", function () {
    it("should accept 16 oracles with threshold 16", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { oracles: sortedAddresses(16), threshold: 16 });
      const id = await create(ctx, terms);
      await expectTermsEqual(await ctx.escrow.getTerms(id), terms);
    });

    it("should accept 8 metrics of 8 tiers with cuts up to 10000", async function () {
      const ctx = await setup();
      const metrics = manyMetrics(8, 8);
      metrics[3].tiers[5] = { threshold: 7, cutBps: 10_000 };
      const terms = await makeTerms(ctx, { metrics });
      const id = await create(ctx, terms);
      await expectTermsEqual(await ctx.escrow.getTerms(id), terms);
    });

    it("should accept 128 milestones", async function () {
      const ctx = await setup();
      const now = BigInt(await time.latest());
      const terms = await makeTerms(ctx, { milestones: manyMilestones(128, UNIT, now, BigInt(DAY)) });
      const total = totalOf(terms);
      await expect(ctx.escrow.connect(ctx.client).createAgreement(terms, { value: total })).to.changeEtherBalances(
        [ctx.client, ctx.escrow],
        [-total, total],
      );
      await expectTermsEqual(await ctx.escrow.getTerms(1n), terms);
      await expectAllPending(ctx, 1n, 128);
    });

    it("should accept all of them at once and round-trip them through getTerms", async function () {
      const ctx = await setup();
      const now = BigInt(await time.latest());
      const terms = await makeTerms(ctx, {
        oracles: sortedAddresses(16),
        threshold: 9,
        metrics: manyMetrics(8, 8),
        milestones: manyMilestones(128, 3n, now, 7n * BigInt(DAY)),
        silentCutBps: 10_000,
      });
      const id = await create(ctx, terms);
      await expectTermsEqual(await createdEventTerms(ctx.escrow, id), terms);
      await expectTermsEqual(await ctx.escrow.getTerms(id), terms);
    });

    it("should accept a last dueAt of exactly 2^40 - 1", async function () {
      const ctx = await setup();
      const now = BigInt(await time.latest());
      const terms = await makeTerms(ctx, {
        milestones: [
          { amount: UNIT, dueAt: now + 30n * BigInt(DAY) },
          { amount: UNIT, dueAt: MAX_DUE_AT },
        ],
      });
      const id = await create(ctx, terms);
      await expectTermsEqual(await ctx.escrow.getTerms(id), terms);
    });
  });

  context("when the client is not the sender", function () {
    it("should revert with ClientNotSender(client, sender)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      await expectCreateRevert(ctx, terms, "ClientNotSender", [ctx.client.address, ctx.stranger.address], {
        from: ctx.stranger,
      });
    });
  });

  context("when the vendor is invalid", function () {
    it("should revert with InvalidVendor(0) for a zero vendor", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { vendor: ETH });
      await expectCreateRevert(ctx, terms, "InvalidVendor", [ETH]);
    });

    it("should revert with InvalidVendor(client) for a vendor equal to the client", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { vendor: ctx.client.address });
      await expectCreateRevert(ctx, terms, "InvalidVendor", [ctx.client.address]);
    });
  });

  context("when the arbitrator is a party", function () {
    it("should revert with InvalidArbitrator(client) for the client", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ctx.client.address });
      await expectCreateRevert(ctx, terms, "InvalidArbitrator", [ctx.client.address]);
    });

    it("should revert with InvalidArbitrator(vendor) for the vendor", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ctx.vendor.address });
      await expectCreateRevert(ctx, terms, "InvalidArbitrator", [ctx.vendor.address]);
    });

    it("should revert with InvalidArbitrator(0x…01) when vendor and arbitrator are both address(1) (only address(0) means no arbitrator)", async function () {
      const ctx = await setup();
      const one = ethers.getAddress(ethers.toBeHex(1, 20));
      const terms = await makeTerms(ctx, { vendor: one, arbitrator: one });
      await expectCreateRevert(ctx, terms, "InvalidArbitrator", [one]);
    });
  });

  context("when the oracle count is out of range", function () {
    it("should revert with OracleCountOutOfRange(0) for no oracles", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { oracles: [], threshold: 1 });
      await expectCreateRevert(ctx, terms, "OracleCountOutOfRange", [0n]);
    });

    it("should revert with OracleCountOutOfRange(17) for 17 oracles", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { oracles: sortedAddresses(17), threshold: 1 });
      await expectCreateRevert(ctx, terms, "OracleCountOutOfRange", [17n]);
    });
  });

  context("when an oracle is invalid", function () {
    it("should revert with InvalidOracle(0, 0) for a zero oracle at index 0", async function () {
      const ctx = await setup();
      const o = ctx.oracles.map((s) => s.address);
      const terms = await makeTerms(ctx, { oracles: [ETH, o[0], o[1]] });
      await expectCreateRevert(ctx, terms, "InvalidOracle", [0n, ETH]);
    });

    it("should revert with InvalidOracle(index, oracle) for a duplicate", async function () {
      const ctx = await setup();
      const o = ctx.oracles.map((s) => s.address);
      const terms = await makeTerms(ctx, { oracles: [o[0], o[1], o[1]] });
      await expectCreateRevert(ctx, terms, "InvalidOracle", [2n, o[1]]);
    });

    it("should revert with InvalidOracle(index, oracle) for a descending pair", async function () {
      const ctx = await setup();
      const o = ctx.oracles.map((s) => s.address);
      const terms = await makeTerms(ctx, { oracles: [o[1], o[0], o[2]] });
      await expectCreateRevert(ctx, terms, "InvalidOracle", [1n, o[0]]);
    });
  });

  context("when the threshold is out of range", function () {
    it("should revert with InvalidThreshold(0, N) for threshold 0", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { threshold: 0 });
      await expectCreateRevert(ctx, terms, "InvalidThreshold", [0n, 3n]);
    });

    it("should revert with InvalidThreshold(N + 1, N) for a threshold above the oracle count", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { threshold: 4 });
      await expectCreateRevert(ctx, terms, "InvalidThreshold", [4n, 3n]);
    });
  });

  context("when the metric count is out of range", function () {
    it("should revert with MetricCountOutOfRange(0) for no metrics", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { metrics: [] });
      await expectCreateRevert(ctx, terms, "MetricCountOutOfRange", [0n]);
    });

    it("should revert with MetricCountOutOfRange(9) for 9 metrics", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { metrics: manyMetrics(9, 1) });
      await expectCreateRevert(ctx, terms, "MetricCountOutOfRange", [9n]);
    });
  });

  context("when a metric's tier count is out of range", function () {
    it("should revert with TierCountOutOfRange(metric, 0) for a metric without tiers", async function () {
      const ctx = await setup();
      const metrics = manyMetrics(3, 2);
      metrics[1] = { higherIsBetter: true, tiers: [] };
      const terms = await makeTerms(ctx, { metrics });
      await expectCreateRevert(ctx, terms, "TierCountOutOfRange", [1n, 0n]);
    });

    it("should revert with TierCountOutOfRange(metric, 9) for a metric with 9 tiers", async function () {
      const ctx = await setup();
      const metrics = [...manyMetrics(2, 8), ...manyMetrics(1, 9)];
      const terms = await makeTerms(ctx, { metrics });
      await expectCreateRevert(ctx, terms, "TierCountOutOfRange", [2n, 9n]);
    });
  });

  context("when a tier's cut exceeds 10000", function () {
    it("should revert with TierCutTooHigh(metric, tier, 10001)", async function () {
      const ctx = await setup();
      const metrics = manyMetrics(2, 3);
      metrics[1].tiers[2] = { threshold: 5, cutBps: 10_001 };
      const terms = await makeTerms(ctx, { metrics });
      await expectCreateRevert(ctx, terms, "TierCutTooHigh", [1n, 2n, 10_001n]);
    });
  });

  context("when the silent cut exceeds 10000", function () {
    it("should revert with SilentCutTooHigh(10001)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { silentCutBps: 10_001 });
      await expectCreateRevert(ctx, terms, "SilentCutTooHigh", [10_001n]);
    });
  });

  context("when the milestone count is out of range", function () {
    it("should revert with MilestoneCountOutOfRange(0) for no milestones", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { milestones: [] });
      await expectCreateRevert(ctx, terms, "MilestoneCountOutOfRange", [0n]);
    });

    it("should revert with MilestoneCountOutOfRange(129) for 129 milestones", async function () {
      const ctx = await setup();
      const now = BigInt(await time.latest());
      const terms = await makeTerms(ctx, { milestones: manyMilestones(129, UNIT, now, BigInt(DAY)) });
      await expectCreateRevert(ctx, terms, "MilestoneCountOutOfRange", [129n]);
    });
  });

  context("when a milestone amount is zero", function () {
    it("should revert with ZeroMilestoneAmount(index)", async function () {
      const ctx = await setup();
      const base = await makeTerms(ctx);
      const milestones = base.milestones.map((m, i) => (i === 1 ? { amount: 0n, dueAt: m.dueAt } : m));
      const terms = { ...base, milestones };
      await expectCreateRevert(ctx, terms, "ZeroMilestoneAmount", [1n]);
    });
  });

  context("when due times are not strictly ascending", function () {
    it("should revert with MilestoneDueNotAscending(i, dueAt, previous) for equal due times", async function () {
      const ctx = await setup();
      const base = await makeTerms(ctx);
      const d0 = BigInt(base.milestones[0].dueAt);
      const milestones = [base.milestones[0], { amount: UNIT, dueAt: d0 }, base.milestones[2]];
      const terms = { ...base, milestones };
      await expectCreateRevert(ctx, terms, "MilestoneDueNotAscending", [1n, d0, d0]);
    });

    it("should revert with MilestoneDueNotAscending(i, dueAt, previous) for a decreasing due time", async function () {
      const ctx = await setup();
      const base = await makeTerms(ctx);
      const d1 = BigInt(base.milestones[1].dueAt);
      const milestones = [base.milestones[0], base.milestones[1], { amount: UNIT, dueAt: d1 - 1n }];
      const terms = { ...base, milestones };
      await expectCreateRevert(ctx, terms, "MilestoneDueNotAscending", [2n, d1 - 1n, d1]);
    });
  });

  context("when the first milestone is due in the past", function () {
    it("should revert with MilestoneDueInPast(dueAt, now) for dueAt == block.timestamp", async function () {
      const ctx = await setup();
      const t = BigInt(await time.latest()) + 100n;
      const terms = await makeTerms(ctx, {
        startAt: t - 50n,
        milestones: [
          { amount: UNIT, dueAt: t },
          { amount: UNIT, dueAt: t + 30n * BigInt(DAY) },
        ],
      });
      await time.setNextBlockTimestamp(t);
      await expectCreateRevert(ctx, terms, "MilestoneDueInPast", [t, t]);
    });

    it("should revert with MilestoneDueInPast(dueAt, now) for dueAt < block.timestamp", async function () {
      const ctx = await setup();
      const t = BigInt(await time.latest()) + 100n;
      const terms = await makeTerms(ctx, {
        startAt: t - 50n,
        milestones: [{ amount: UNIT, dueAt: t - 1n }],
      });
      await time.setNextBlockTimestamp(t);
      await expectCreateRevert(ctx, terms, "MilestoneDueInPast", [t - 1n, t]);
    });

    it("should accept dueAt == block.timestamp + 1", async function () {
      const ctx = await setup();
      const t = BigInt(await time.latest()) + 100n;
      const terms = await makeTerms(ctx, { startAt: t - 50n, milestones: [{ amount: UNIT, dueAt: t + 1n }] });
      await time.setNextBlockTimestamp(t);
      await expect(ctx.escrow.connect(ctx.client).createAgreement(terms, { value: UNIT }))
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
    });
  });

  context("when a due time does not fit in 40 bits", function () {
    it("should revert with MilestoneDueTooLate(dueAt, 2^40 - 1)", async function () {
      const ctx = await setup();
      const now = BigInt(await time.latest());
      const terms = await makeTerms(ctx, {
        milestones: [
          { amount: UNIT, dueAt: now + 30n * BigInt(DAY) },
          { amount: UNIT, dueAt: MAX_DUE_AT + 1n },
        ],
      });
      await expectCreateRevert(ctx, terms, "MilestoneDueTooLate", [MAX_DUE_AT + 1n, MAX_DUE_AT]);
    });
  });

  context("when the start is not before the first due time", function () {
    it("should revert with StartNotBeforeFirstDue(startAt, dueAt[0]) for startAt == dueAt[0]", async function () {
      const ctx = await setup();
      const base = await makeTerms(ctx);
      const d0 = BigInt(base.milestones[0].dueAt);
      const terms = { ...base, startAt: d0 };
      await expectCreateRevert(ctx, terms, "StartNotBeforeFirstDue", [d0, d0]);
    });
  });

  context("when the ETH sent does not match the deposit", function () {
    it("should revert with DepositMismatch(total, value) when too little is sent", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const total = totalOf(terms);
      await expectCreateRevert(ctx, terms, "DepositMismatch", [total, total - 1n], { value: total - 1n });
    });

    it("should revert with DepositMismatch(total, value) when too much is sent", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const total = totalOf(terms);
      await expectCreateRevert(ctx, terms, "DepositMismatch", [total, total + 1n], { value: total + 1n });
    });

    it("should revert with DepositMismatch(total, 0) when nothing is sent", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      await expectCreateRevert(ctx, terms, "DepositMismatch", [totalOf(terms), 0n], { value: 0n });
    });
  });

  context("when ETH is sent with a token agreement", function () {
    it("should revert with EthSentWithToken(value)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { token: ctx.tokenAddress });
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, totalOf(terms));
      await expectCreateRevert(ctx, terms, "EthSentWithToken", [1n], { value: 1n });
    });
  });

  context("when the token is not a contract", function () {
    it("should revert with TokenNotContract(token) for an EOA", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { token: ctx.stranger.address });
      await expectCreateRevert(ctx, terms, "TokenNotContract", [ctx.stranger.address]);
    });
  });

  context("when the token takes a fee on transfer", function () {
    it("should revert with FeeOnTransferToken(token, expected, received)", async function () {
      const ctx = await setup();
      const fee = await ethers.deployContract("MockFeeOnTransferToken");
      const feeAddress = await fee.getAddress();
      const terms = await makeTerms(ctx, { token: feeAddress });
      const total = totalOf(terms);
      await fee.mint(ctx.client.address, total);
      await fee.connect(ctx.client).approve(ctx.escrowAddress, total);
      await expectCreateRevert(ctx, terms, "FeeOnTransferToken", [feeAddress, total, total - total / 100n], {
        tokens: [feeAddress],
      });
    });
  });

  // Issue 11, finding 2: `_pull` computed `balanceOf(after) - before` and panicked (arithmetic underflow) when the
  // escrow's balance dropped during transferFrom.
  context("when the escrow's balance of the token drops during transferFrom", function () {
    /** A drain token, agreement terms in it, the client funded and approving; the escrow already holds 10 units. */
    async function drainWorld() {
      const ctx = await setup();
      const drainToken = await ethers.deployContract("MockBalanceDrainToken");
      const token = await drainToken.getAddress();
      const terms = await makeTerms(ctx, { token });
      const total = totalOf(terms);
      await drainToken.mint(ctx.escrowAddress, 10n);
      await drainToken.mint(ctx.client.address, total);
      await drainToken.connect(ctx.client).approve(ctx.escrowAddress, total);
      return { ctx, drainToken, token, terms, total };
    }

    it("should revert with TokenBalanceDecreased(token, before, after), not an arithmetic panic", async function () {
      const { ctx, drainToken, token, terms, total } = await drainWorld();
      // The escrow already holds 10 units (sent to it directly); the transfer delivers nothing and burns 3 more.
      await drainToken.setDrain(3n);
      await expectCreateRevert(ctx, terms, "TokenBalanceDecreased", [token, 10n, 7n], { tokens: [token] });
      expect(await drainToken.balanceOf(ctx.escrowAddress)).to.equal(10n);
      expect(await drainToken.balanceOf(ctx.client.address)).to.equal(total);
    });

    it("should revert with FeeOnTransferToken(token, total, 0), not TokenBalanceDecreased, when the balance is unchanged (nothing delivered)", async function () {
      const { ctx, drainToken, token, terms, total } = await drainWorld();
      await drainToken.setDrain(0n); // delivers `total`, then burns exactly `total`: the balance stays 10
      await expectCreateRevert(ctx, terms, "FeeOnTransferToken", [token, total, 0n], { tokens: [token] });
      expect(await drainToken.balanceOf(ctx.escrowAddress)).to.equal(10n);
    });

    it("should create the agreement with the same token once it delivers the exact amount", async function () {
      const { ctx, drainToken, terms, total } = await drainWorld();
      const tx = ctx.escrow.connect(ctx.client).createAgreement(terms);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(drainToken, [ctx.client, ctx.escrow], [-total, total]);
    });
  });

  context("when a contract client funds with an ERC-20", function () {
    it("should pull the deposit from the contract (msg.sender), not from the account that sent the transaction", async function () {
      const ctx = await setup();
      const { address, call } = await contractAccount(ctx.client);
      const terms = await makeTerms(ctx, { client: address, token: ctx.tokenAddress });
      const total = totalOf(terms);
      await ctx.token.mint(address, total);
      await call(ctx.tokenAddress, ctx.token.interface.encodeFunctionData("approve", [ctx.escrowAddress, total]));
      // the EOA behind it has tokens and an allowance too: the escrow must not touch them
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, total);
      const tx = call(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("createAgreement", [terms]));
      await expect(tx).to.emit(ctx.escrow, "AgreementCreated").withArgs(1n, address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(ctx.token, [address, ctx.client, ctx.escrow], [-total, 0n, total]);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(total);
    });
  });

  context("when a creation was rejected", function () {
    it("should not use up an id", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const total = totalOf(terms);
      await expectCreateRevert(ctx, terms, "DepositMismatch", [total, 0n], { value: 0n });
      expect(await ctx.escrow.connect(ctx.client).createAgreement.staticCall(terms, { value: total })).to.equal(1n);
    });
  });

  context("when a malicious token reenters createAgreement during transferFrom", function () {
    it("should refuse the reentry with ReentrancyGuardReentrantCall and create only the outer agreement", async function () {
      const ctx = await setup();
      const evil = await ethers.deployContract("MockReentrantToken");
      const evilAddress = await evil.getAddress();
      const terms = await makeTerms(ctx, { token: evilAddress });
      const total = totalOf(terms);
      await evil.mint(ctx.client.address, total);
      await evil.connect(ctx.client).approve(ctx.escrowAddress, total);
      await evil.arm(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("createAgreement", [terms]));
      const tx = ctx.escrow.connect(ctx.client).createAgreement(terms);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(evil, [ctx.client, ctx.escrow], [-total, total]);
      expect(await evil.attempted()).to.equal(true);
      expect(await evil.reentrySucceeded()).to.equal(false);
      expect(revertName(ctx.escrow, await evil.reentryResult())).to.equal("ReentrancyGuardReentrantCall");
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
      expect(await ctx.escrow.agreementStatus(2n)).to.equal(Agreement.None);
    });
  });
});

describe("createAgreementWithPermit", function () {
  async function permitTerms(
    ctx: Context,
  ): Promise<{ terms: ISLAEscrow.TermsStruct; total: bigint; deadline: bigint }> {
    const terms = await makeTerms(ctx, { token: ctx.tokenAddress });
    return { terms, total: totalOf(terms), deadline: BigInt(await time.latest()) + 3600n };
  }

  context("when the permit is valid", function () {
    it("should sign against the token's domain (Test USD, version 1)", async function () {
      const ctx = await setup();
      const d = await ctx.token.eip712Domain();
      expect(d.name).to.equal("Test USD");
      expect(d.version).to.equal("1");
      expect(d.verifyingContract).to.equal(ctx.tokenAddress);
    });

    it("should create the agreement and pull the deposit without a prior approve", async function () {
      const ctx = await setup();
      const { terms, total, deadline } = await permitTerms(ctx);
      const { v, r, s } = await signPermit(ctx.token, ctx.client, ctx.escrowAddress, total, deadline);
      expect(
        await ctx.escrow.connect(ctx.client).createAgreementWithPermit.staticCall(terms, deadline, v, r, s),
      ).to.equal(1n);
      const tx = ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, deadline, v, r, s);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.client, ctx.escrow], [-total, total]);
      await expectTermsEqual(await ctx.escrow.getTerms(1n), terms);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
      expect(await ctx.token.nonces(ctx.client.address)).to.equal(1n);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(0n);
    });
  });

  context("when someone front-runs the permit", function () {
    it("should still create the agreement with the allowance the permit gave", async function () {
      const ctx = await setup();
      const { terms, total, deadline } = await permitTerms(ctx);
      const { v, r, s } = await signPermit(ctx.token, ctx.client, ctx.escrowAddress, total, deadline);
      await ctx.token.connect(ctx.stranger).permit(ctx.client.address, ctx.escrowAddress, total, deadline, v, r, s);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(total);
      const tx = ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, deadline, v, r, s);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.client, ctx.escrow], [-total, total]);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
    });
  });

  context("when the permit fails but the allowance already suffices", function () {
    it("should ignore the permit and create the agreement", async function () {
      const ctx = await setup();
      const { terms, total, deadline } = await permitTerms(ctx);
      const { v, r, s } = await signPermit(ctx.token, ctx.stranger, ctx.escrowAddress, total, deadline);
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, total);
      await expect(
        ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, deadline, v, r, s),
      ).to.changeTokenBalances(ctx.token, [ctx.client, ctx.escrow], [-total, total]);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
    });
  });

  context("when the permit fails and the allowance is insufficient", function () {
    it("should revert with InsufficientAllowance(token, 0, total) for a permit signed by someone else", async function () {
      const ctx = await setup();
      const { terms, total, deadline } = await permitTerms(ctx);
      const { v, r, s } = await signPermit(ctx.token, ctx.stranger, ctx.escrowAddress, total, deadline);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, deadline, v, r, s))
          .to.be.revertedWithCustomError(ctx.escrow, "InsufficientAllowance")
          .withArgs(ctx.tokenAddress, 0n, total);
      });
    });

    it("should revert with InsufficientAllowance(token, allowance, total) for an expired permit and a short approve", async function () {
      const ctx = await setup();
      const { terms, total } = await permitTerms(ctx);
      const expired = BigInt(await time.latest()) - 1n;
      const { v, r, s } = await signPermit(ctx.token, ctx.client, ctx.escrowAddress, total, expired);
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, total - 1n);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, expired, v, r, s))
          .to.be.revertedWithCustomError(ctx.escrow, "InsufficientAllowance")
          .withArgs(ctx.tokenAddress, total - 1n, total);
      });
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(total - 1n);
    });
  });

  context("when the client is a contract", function () {
    it("should fall back to the contract's own allowance when the permit fails", async function () {
      const ctx = await setup();
      const { address, call } = await contractAccount(ctx.client);
      const terms = await makeTerms(ctx, { client: address, token: ctx.tokenAddress });
      const total = totalOf(terms);
      const deadline = BigInt(await time.latest()) + 3600n;
      await ctx.token.mint(address, total);
      await call(ctx.tokenAddress, ctx.token.interface.encodeFunctionData("approve", [ctx.escrowAddress, total]));
      // a contract cannot sign a permit: any signature fails, and the contract's approval is what counts
      const { v, r, s } = await signPermit(ctx.token, ctx.stranger, ctx.escrowAddress, total, deadline);
      const data = ctx.escrow.interface.encodeFunctionData("createAgreementWithPermit", [terms, deadline, v, r, s]);
      const tx = call(ctx.escrowAddress, data);
      await expect(tx).to.emit(ctx.escrow, "AgreementCreated").withArgs(1n, address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(ctx.token, [address, ctx.client, ctx.escrow], [-total, 0n, total]);
    });

    it("should revert with InsufficientAllowance(token, 0, total) for a permit of the EOA behind it, and leave that permit unused", async function () {
      const ctx = await setup();
      const { address, call } = await contractAccount(ctx.client);
      const terms = await makeTerms(ctx, { client: address, token: ctx.tokenAddress });
      const total = totalOf(terms);
      const deadline = BigInt(await time.latest()) + 3600n;
      await ctx.token.mint(address, total);
      // the EOA that sends the transaction signs a permit of its own tokens: a permit only ever covers the caller's
      const { v, r, s } = await signPermit(ctx.token, ctx.client, ctx.escrowAddress, total, deadline);
      const data = ctx.escrow.interface.encodeFunctionData("createAgreementWithPermit", [terms, deadline, v, r, s]);
      await expectNothingChanged(
        ctx,
        async () => {
          await expect(call(ctx.escrowAddress, data))
            .to.be.revertedWithCustomError(ctx.escrow, "InsufficientAllowance")
            .withArgs(ctx.tokenAddress, 0n, total);
        },
        [],
        [address],
      );
      expect(await ctx.token.nonces(ctx.client.address)).to.equal(0n);
      expect(await ctx.token.allowance(ctx.client.address, ctx.escrowAddress)).to.equal(0n);
    });
  });

  context("when a malicious token reenters createAgreement during transferFrom", function () {
    it("should refuse the reentry with ReentrancyGuardReentrantCall and create only the outer agreement", async function () {
      const ctx = await setup();
      const evil = await ethers.deployContract("MockReentrantToken");
      const evilAddress = await evil.getAddress();
      const terms = await makeTerms(ctx, { token: evilAddress });
      const total = totalOf(terms);
      await evil.mint(ctx.client.address, total);
      await evil.connect(ctx.client).approve(ctx.escrowAddress, total);
      await evil.arm(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("createAgreement", [terms]));
      // the token has no permit(): the call fails and the approval above funds the agreement
      const deadline = BigInt(await time.latest()) + 3600n;
      const tx = ctx.escrow
        .connect(ctx.client)
        .createAgreementWithPermit(terms, deadline, 27, ethers.ZeroHash, ethers.ZeroHash);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue);
      await expect(tx).to.changeTokenBalances(evil, [ctx.client, ctx.escrow], [-total, total]);
      expect(await evil.reentrySucceeded()).to.equal(false);
      expect(revertName(ctx.escrow, await evil.reentryResult())).to.equal("ReentrancyGuardReentrantCall");
      expect(await ctx.escrow.agreementStatus(2n)).to.equal(Agreement.None);
    });
  });

  context("when the agreement is in native ETH", function () {
    it("should revert with PermitWithNativeEth()", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(ctx.token, ctx.client, ctx.escrowAddress, totalOf(terms), deadline);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, deadline, v, r, s))
          .to.be.revertedWithCustomError(ctx.escrow, "PermitWithNativeEth")
          .withArgs();
      });
    });
  });

  context("when the terms are invalid", function () {
    it("should revert with the terms error (InvalidVendor) before touching the permit", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { token: ctx.tokenAddress, vendor: ctx.client.address });
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(ctx.token, ctx.client, ctx.escrowAddress, totalOf(terms), deadline);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).createAgreementWithPermit(terms, deadline, v, r, s))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidVendor")
          .withArgs(ctx.client.address);
      });
      expect(await ctx.token.nonces(ctx.client.address)).to.equal(0n);
    });
  });
});

describe("multicall", function () {
  context("when it batches an ETH createAgreement", function () {
    it("should revert with DepositMismatch(total, 0), since multicall carries no value", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const data = ctx.escrow.interface.encodeFunctionData("createAgreement", [terms]);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).multicall([data]))
          .to.be.revertedWithCustomError(ctx.escrow, "DepositMismatch")
          .withArgs(totalOf(terms), 0n);
      });
    });

    it("should refuse ETH sent to multicall itself (non-payable)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const data = ctx.escrow.interface.encodeFunctionData("createAgreement", [terms]);
      const calldata = ctx.escrow.interface.encodeFunctionData("multicall", [[data]]);
      await expectNothingChanged(ctx, async () => {
        await expect(
          ctx.client.sendTransaction({ to: ctx.escrowAddress, data: calldata, value: totalOf(terms) }),
        ).to.be.revertedWithoutReason();
      });
    });
  });

  context("when it batches two token createAgreement calls", function () {
    it("should create both agreements with ids 1 and 2 and pull both deposits", async function () {
      const ctx = await setup();
      const first = await makeTerms(ctx, { token: ctx.tokenAddress });
      const second = await makeTerms(ctx, {
        token: ctx.tokenAddress,
        vendor: ctx.relayer.address,
        silentCutBps: 5000,
        milestones: [{ amount: 7n * UNIT, dueAt: BigInt(await time.latest()) + 10n * BigInt(DAY) }],
      });
      const total = totalOf(first) + totalOf(second);
      await ctx.token.connect(ctx.client).approve(ctx.escrowAddress, total);
      const calls = [
        ctx.escrow.interface.encodeFunctionData("createAgreement", [first]),
        ctx.escrow.interface.encodeFunctionData("createAgreement", [second]),
      ];
      const results = await ctx.escrow.connect(ctx.client).multicall.staticCall(calls);
      expect(results.map((r) => ethers.AbiCoder.defaultAbiCoder().decode(["uint256"], r)[0])).to.deep.equal([1n, 2n]);
      const tx = ctx.escrow.connect(ctx.client).multicall(calls);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(1n, ctx.client.address, ctx.vendor.address, anyValue)
        .and.to.emit(ctx.escrow, "AgreementCreated")
        .withArgs(2n, ctx.client.address, ctx.relayer.address, anyValue);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.client, ctx.escrow], [-total, total]);
      await expectTermsEqual(await ctx.escrow.getTerms(1n), first);
      await expectTermsEqual(await ctx.escrow.getTerms(2n), second);
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(Agreement.Proposed);
      expect(await ctx.escrow.agreementStatus(2n)).to.equal(Agreement.Proposed);
    });
  });

  context("when the client batches a vendor-only call", function () {
    shouldRejectCallersOtherThan("vendor", {
      callers: ["client"],
      given: async (ctx) => {
        const id = await create(ctx, await makeTerms(ctx));
        return { id, data: ctx.escrow.interface.encodeFunctionData("accept", [id]) };
      },
      send: (ctx, { data }, caller) => ctx.escrow.connect(caller).multicall([data]),
      after: async (ctx, { id }) => {
        expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
      },
      it: (_client, test) => it("should keep msg.sender and revert with NotVendor(client)", test),
    });
  });
});
