import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ISLAEscrow } from "../typechain-types";
import {
  Agreement,
  BREACHED,
  type Context,
  DAY,
  ETH,
  MET,
  Milestone,
  Settlement,
  UNIT,
  attestAt,
  create,
  createActive,
  makeTerms,
  setup,
  signed,
  totalOf,
} from "./helpers/fixture";
import {
  type ContractAccount,
  contractAccount,
  expectNothingChanged,
  manyMilestones,
  milestoneOf,
  plainTerms,
} from "./helpers/lifecycle";
import {
  type ContractCallerCheck,
  shouldRejectCallersOtherThan,
  shouldRejectContractCallers,
} from "./helpers/roles.behavior";
import { cutBps, split } from "../scripts/lib/penalty";

const REFUNDED = [Milestone.Settled, 10_000n, 0n, 0n];

function dueAt(terms: ISLAEscrow.TermsStruct, i: number): bigint {
  return BigInt(terms.milestones[i].dueAt);
}

function graceEnd(terms: ISLAEscrow.TermsStruct, i: number): bigint {
  return dueAt(terms, i) + BigInt(terms.attestGrace);
}

/** Creates a Proposed agreement (ETH unless `overrides` say otherwise) and returns its terms and id. */
async function proposed(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint }> {
  const terms = await makeTerms(ctx, overrides);
  return { terms, id: await create(ctx, terms) };
}

/** Creates an Active agreement and returns its terms and id. */
async function active(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint }> {
  const terms = await makeTerms(ctx, overrides);
  return { terms, id: await createActive(ctx, terms) };
}

/** The check after a refused accept or cancel: the agreement is still Proposed. */
async function stillProposed(ctx: Context, { id }: { id: bigint }): Promise<void> {
  expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
}

/** Creates an Active one-milestone agreement without arbitrator and settles its only milestone (Closed). */
async function closedBySettlement(ctx: Context): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint }> {
  const now = BigInt(await time.latest());
  const { terms, id } = await active(ctx, {
    arbitrator: ETH,
    milestones: [{ amount: 1000n * UNIT, dueAt: now + 30n * BigInt(DAY) }],
  });
  await attestAt(ctx, terms, id, 0, MET);
  await ctx.escrow.settle(id, 0);
  expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
  return { terms, id };
}

describe("accept", function () {
  context("when the vendor accepts a Proposed agreement", function () {
    it("should emit AgreementAccepted(id) and make the agreement Active", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await expect(ctx.escrow.connect(ctx.vendor).accept(id)).to.emit(ctx.escrow, "AgreementAccepted").withArgs(id);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
    });

    it("should move no funds and leave every milestone Pending", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await expect(ctx.escrow.connect(ctx.vendor).accept(id)).to.changeEtherBalances(
        [ctx.escrow, ctx.client, ctx.vendor],
        [0n, 0n, 0n],
      );
      for (let i = 0; i < 3; i++) {
        expect(await milestoneOf(ctx.escrow, id, i)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      }
    });
  });

  context("when someone other than the vendor accepts", function () {
    shouldRejectCallersOtherThan("vendor", {
      callers: ["client", "arbitrator", "stranger"],
      given: proposed,
      send: (ctx, { id }, caller) => ctx.escrow.connect(caller).accept(id),
      nothingChanged: true,
      after: stillProposed,
      it: (who, test) => it(`should revert with NotVendor(caller) for the ${who}`, test),
    });
  });

  context("when the agreement is already Active", function () {
    it("should revert with AgreementNotProposed(id, Active)", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      await expect(ctx.escrow.connect(ctx.vendor).accept(id))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotProposed")
        .withArgs(id, Agreement.Active);
    });
  });

  context("when the agreement was cancelled (Closed)", function () {
    it("should revert with AgreementNotProposed(id, Closed)", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await ctx.escrow.connect(ctx.client).cancel(id);
      await expect(ctx.escrow.connect(ctx.vendor).accept(id))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotProposed")
        .withArgs(id, Agreement.Closed);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
    });
  });

  context("when the agreement does not exist", function () {
    it("should revert with AgreementNotFound(id) for an unknown id", async function () {
      const ctx = await setup();
      await proposed(ctx);
      await expect(ctx.escrow.connect(ctx.vendor).accept(2n))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
        .withArgs(2n);
    });

    it("should revert with AgreementNotFound(0) for id 0", async function () {
      const ctx = await setup();
      await expect(ctx.escrow.connect(ctx.vendor).accept(0n))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
        .withArgs(0n);
    });
  });

  context("when the acceptance deadline dueAt[0] is one second away", function () {
    it("should still accept", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx);
      await time.setNextBlockTimestamp(dueAt(terms, 0) - 1n);
      await expect(ctx.escrow.connect(ctx.vendor).accept(id)).to.emit(ctx.escrow, "AgreementAccepted").withArgs(id);
      expect(BigInt(await time.latest())).to.equal(dueAt(terms, 0) - 1n);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
    });
  });

  context("when the acceptance deadline dueAt[0] is reached exactly", function () {
    it("should revert with AcceptanceWindowClosed(deadline)", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx);
      await time.setNextBlockTimestamp(dueAt(terms, 0));
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.vendor).accept(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AcceptanceWindowClosed")
          .withArgs(dueAt(terms, 0));
      });
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
    });
  });

  // Issue 11, finding 1: accepting was allowed until dueAt[0] + attestGrace, but attestations need the agreement
  // Active, so a vendor accepting in the last second left the oracles no time and milestone 0 settled with
  // silentCutBps (here 0: paid in full) instead of its measured cut.
  context("when the vendor accepts late so that milestone 0 cannot be attested (issue 11)", function () {
    it("should refuse the acceptance at dueAt[0] + attestGrace with AcceptanceWindowClosed(dueAt[0]), so milestone 0 refunds the client in full instead of paying the vendor by silentCutBps 0", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx, { silentCutBps: 0 });
      const amount = BigInt(terms.milestones[0].amount);
      await time.setNextBlockTimestamp(graceEnd(terms, 0));
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.vendor).accept(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AcceptanceWindowClosed")
          .withArgs(dueAt(terms, 0));
      });
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
      // Nobody could attest while Proposed: the first second after the grace, milestone 0 refunds itself.
      await time.setNextBlockTimestamp(graceEnd(terms, 0) + 1n);
      const tx = ctx.escrow.connect(ctx.relayer).settle(id, 0);
      await expect(tx).to.emit(ctx.escrow, "MilestoneSettled").withArgs(id, 0n, Settlement.Silent, 10_000n, 0n, amount);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client, ctx.vendor], [0n, 0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(amount);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
    });

    it("should refuse the acceptance at dueAt[0], the first second of milestone 0's attestation window, with AcceptanceWindowClosed(dueAt[0])", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx, { silentCutBps: 0 });
      await time.setNextBlockTimestamp(dueAt(terms, 0));
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.vendor).accept(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AcceptanceWindowClosed")
          .withArgs(dueAt(terms, 0));
      });
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
    });

    it("should accept at dueAt[0] - 1 and leave milestone 0 its whole attestation window: attested at dueAt[0] + attestGrace with its measured cut", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx, { silentCutBps: 0 });
      const amount = BigInt(terms.milestones[0].amount);
      await time.setNextBlockTimestamp(dueAt(terms, 0) - 1n);
      await expect(ctx.escrow.connect(ctx.vendor).accept(id)).to.emit(ctx.escrow, "AgreementAccepted").withArgs(id);
      // The last second of the window is still open to the oracles.
      // (BREACHED: availability tier 25% + latency tier 15% = a 40% cut.)
      await time.setNextBlockTimestamp(graceEnd(terms, 0));
      await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, 0, BREACHED))))
        .to.emit(ctx.escrow, "AttestationPosted")
        .withArgs(id, 0n, 4000n, BREACHED, ethers.id(`report ${id}/0`), 0b011n);
      expect(await milestoneOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Attested, 4000n, graceEnd(terms, 0), 0n]);
      await time.setNextBlockTimestamp(graceEnd(terms, 0) + BigInt(terms.disputeWindow));
      await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0n, Settlement.Attested, 4000n, (amount * 6n) / 10n, (amount * 4n) / 10n);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(400n * UNIT);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(600n * UNIT);
    });
  });
});

describe("cancel", function () {
  context("when the client cancels a Proposed ETH agreement", function () {
    it("should emit AgreementCancelled(id, deposit) and credit the whole deposit to the client", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx);
      const total = totalOf(terms);
      const tx = ctx.escrow.connect(ctx.client).cancel(id);
      await expect(tx).to.emit(ctx.escrow, "AgreementCancelled").withArgs(id, total);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client], [0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(total);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
    });

    it("should settle every milestone with cut 10000 and close the agreement", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await ctx.escrow.connect(ctx.client).cancel(id);
      for (let i = 0; i < 3; i++) expect(await milestoneOf(ctx.escrow, id, i)).to.deep.equal(REFUNDED);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
    });
  });

  context("when the client cancels a Proposed token agreement", function () {
    it("should credit the whole deposit in the token and move no tokens", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx, { token: ctx.tokenAddress });
      const total = totalOf(terms);
      const tx = ctx.escrow.connect(ctx.client).cancel(id);
      await expect(tx).to.emit(ctx.escrow, "AgreementCancelled").withArgs(id, total);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.client], [0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(total);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
    });
  });

  context("when the agreement has the maximum of 128 milestones", function () {
    it("should refund all 128 (the last word included) and close the agreement", async function () {
      const ctx = await setup();
      const milestones = manyMilestones(128, UNIT, BigInt(await time.latest()), BigInt(DAY));
      const { terms, id } = await proposed(ctx, { milestones });
      await expect(ctx.escrow.connect(ctx.client).cancel(id))
        .to.emit(ctx.escrow, "AgreementCancelled")
        .withArgs(id, totalOf(terms));
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(128n * UNIT);
      expect(await milestoneOf(ctx.escrow, id, 127)).to.deep.equal(REFUNDED);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
    });
  });

  context("when someone other than the client cancels", function () {
    shouldRejectCallersOtherThan("client", {
      callers: ["vendor", "arbitrator", "stranger"],
      given: proposed,
      send: (ctx, { id }, caller) => ctx.escrow.connect(caller).cancel(id),
      nothingChanged: true,
      after: stillProposed,
      it: (who, test) => it(`should revert with NotClient(caller) for the ${who}`, test),
    });
  });

  context("when the agreement is Active", function () {
    it("should revert with AgreementNotProposed(id, Active)", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).cancel(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotProposed")
          .withArgs(id, Agreement.Active);
      });
    });
  });

  context("when the agreement was already cancelled", function () {
    it("should revert with AgreementNotProposed(id, Closed)", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await ctx.escrow.connect(ctx.client).cancel(id);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).cancel(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotProposed")
          .withArgs(id, Agreement.Closed);
      });
    });
  });

  context("when every milestone was already settled while Proposed (Closed)", function () {
    // DESIGN.md: cancel only "while Proposed"; agreementStatus reads Closed here, so cancel must be refused.
    it("should revert with AgreementNotProposed(id, Closed)", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx);
      await time.increaseTo(graceEnd(terms, 2) + 1n);
      for (let i = 0; i < 3; i++) await ctx.escrow.settle(id, i);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).cancel(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotProposed")
          .withArgs(id, Agreement.Closed);
      });
    });
  });

  context("when the agreement does not exist", function () {
    it("should revert with AgreementNotFound(id)", async function () {
      const ctx = await setup();
      await expect(ctx.escrow.connect(ctx.client).cancel(7n))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
        .withArgs(7n);
    });
  });

  context("when some milestones were already refunded by settle while Proposed", function () {
    it("should settle them silently with cut 10000 (whatever silentCutBps says) and cancel only the rest", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx, { silentCutBps: 2500 });
      const amount = 1000n * UNIT;
      await time.increaseTo(graceEnd(terms, 1) + 1n);
      for (const i of [0, 1]) {
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, i))
          .to.emit(ctx.escrow, "MilestoneSettled")
          .withArgs(id, i, Settlement.Silent, 10_000n, 0n, amount);
      }
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(2n * amount);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
      await expect(ctx.escrow.connect(ctx.client).cancel(id))
        .to.emit(ctx.escrow, "AgreementCancelled")
        .withArgs(id, amount);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(totalOf(terms));
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
      for (let i = 0; i < 3; i++) expect(await milestoneOf(ctx.escrow, id, i)).to.deep.equal(REFUNDED);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
    });
  });

  context("when a milestone is settled after cancel", function () {
    it("should revert with MilestoneAlreadySettled(id, i) for every milestone", async function () {
      const ctx = await setup();
      const { terms, id } = await proposed(ctx);
      await ctx.escrow.connect(ctx.client).cancel(id);
      await time.increaseTo(graceEnd(terms, 2) + 1n);
      for (let i = 0; i < 3; i++) {
        await expectNothingChanged(ctx, async () => {
          await expect(ctx.escrow.connect(ctx.relayer).settle(id, i))
            .to.be.revertedWithCustomError(ctx.escrow, "MilestoneAlreadySettled")
            .withArgs(id, i);
        });
      }
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(totalOf(terms));
    });
  });
});

describe("terminate", function () {
  context("when the first party asks", function () {
    it("should emit TerminationRequested(id, client) only and change nothing else", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      const tx = ctx.escrow.connect(ctx.client).terminate(id);
      await expect(tx).to.emit(ctx.escrow, "TerminationRequested").withArgs(id, ctx.client.address);
      await expect(tx).not.to.emit(ctx.escrow, "AgreementTerminated");
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client], [0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
      for (let i = 0; i < 3; i++) {
        expect(await milestoneOf(ctx.escrow, id, i)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      }
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
    });

    it("should emit TerminationRequested(id, vendor) only when the vendor asks first", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      const tx = ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(tx).to.emit(ctx.escrow, "TerminationRequested").withArgs(id, ctx.vendor.address);
      await expect(tx).not.to.emit(ctx.escrow, "AgreementTerminated");
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
    });
  });

  context("when both parties asked before any milestone was due", function () {
    it("should refund every milestone, emit AgreementTerminated(id, total, 0b111) and close the agreement", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx);
      await ctx.escrow.connect(ctx.vendor).terminate(id);
      const tx = ctx.escrow.connect(ctx.client).terminate(id);
      await expect(tx)
        .to.emit(ctx.escrow, "TerminationRequested")
        .withArgs(id, ctx.client.address)
        .and.to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, totalOf(terms), 0b111n);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client], [0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(totalOf(terms));
      for (let i = 0; i < 3; i++) expect(await milestoneOf(ctx.escrow, id, i)).to.deep.equal(REFUNDED);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
    });
  });

  context("when both parties asked with the maximum of 128 milestones, none due", function () {
    it("should refund all 128 (mask 2^128 - 1) and close the agreement", async function () {
      const ctx = await setup();
      const milestones = manyMilestones(128, UNIT, BigInt(await time.latest()), BigInt(DAY));
      const { terms, id } = await active(ctx, { milestones });
      await ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(ctx.escrow.connect(ctx.client).terminate(id))
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, totalOf(terms), 2n ** 128n - 1n);
      expect(await milestoneOf(ctx.escrow, id, 127)).to.deep.equal(REFUNDED);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
    });
  });

  context("when both parties asked with one milestone attested, one due and one not yet due", function () {
    it("should refund only the milestone not yet due (mask 0b100)", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx);
      await attestAt(ctx, terms, id, 0, MET);
      await time.setNextBlockTimestamp(dueAt(terms, 1) + 1n);
      await ctx.escrow.connect(ctx.client).terminate(id);
      const tx = ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(tx)
        .to.emit(ctx.escrow, "TerminationRequested")
        .withArgs(id, ctx.vendor.address)
        .and.to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 1000n * UNIT, 0b100n);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(1000n * UNIT);
      expect(await milestoneOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Attested, 0n, dueAt(terms, 0), 0n]);
      expect(await milestoneOf(ctx.escrow, id, 1)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      expect(await milestoneOf(ctx.escrow, id, 2)).to.deep.equal(REFUNDED);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
    });

    it("should let the remaining milestones attest and settle normally and then close the agreement", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx);
      const amount = 1000n * UNIT;
      await attestAt(ctx, terms, id, 0, MET);
      await time.setNextBlockTimestamp(dueAt(terms, 1) + 1n);
      await ctx.escrow.connect(ctx.client).terminate(id);
      await ctx.escrow.connect(ctx.vendor).terminate(id);

      // milestone 0: attested before termination, its dispute window is long over
      await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0, Settlement.Attested, 0, amount, 0);

      // milestone 1: due, still within its attestation grace
      const cut = cutBps((await plainTerms(terms)).metrics, BREACHED);
      const { toVendor, toClient } = split(amount, cut);
      await expect(attestAt(ctx, terms, id, 1, BREACHED, 60))
        .to.emit(ctx.escrow, "AttestationPosted")
        .withArgs(id, 1, cut, BREACHED, ethers.id(`report ${id}/1`), 0b011n);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
      await time.increase(BigInt(terms.disputeWindow));
      await expect(ctx.escrow.connect(ctx.relayer).settle(id, 1))
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 1, Settlement.Attested, cut, toVendor, toClient);

      // milestone 2 was refunded by the termination
      await expect(ctx.escrow.connect(ctx.relayer).settle(id, 2))
        .to.be.revertedWithCustomError(ctx.escrow, "MilestoneAlreadySettled")
        .withArgs(id, 2);

      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(amount + toVendor);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(amount + toClient);
    });
  });

  context("when a milestone's dueAt equals the terminating block's timestamp", function () {
    it("should not refund it (it is due), only the later one (mask 0b100)", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx);
      await ctx.escrow.connect(ctx.client).terminate(id);
      await time.setNextBlockTimestamp(dueAt(terms, 1));
      await expect(ctx.escrow.connect(ctx.vendor).terminate(id))
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 1000n * UNIT, 0b100n);
      expect(BigInt(await time.latest())).to.equal(dueAt(terms, 1));
      expect(await milestoneOf(ctx.escrow, id, 1)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      expect(await milestoneOf(ctx.escrow, id, 2)).to.deep.equal(REFUNDED);
    });
  });

  context("when a milestone's dueAt is one second after the terminating block's timestamp", function () {
    it("should refund it together with the later one (mask 0b110)", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx);
      await ctx.escrow.connect(ctx.client).terminate(id);
      await time.setNextBlockTimestamp(dueAt(terms, 1) - 1n);
      await expect(ctx.escrow.connect(ctx.vendor).terminate(id))
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 2000n * UNIT, 0b110n);
      expect(await milestoneOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      expect(await milestoneOf(ctx.escrow, id, 1)).to.deep.equal(REFUNDED);
      expect(await milestoneOf(ctx.escrow, id, 2)).to.deep.equal(REFUNDED);
    });
  });

  // Issue 11, finding 4 (documented, the interface is fixed): a request never expires and cannot be withdrawn.
  context(
    "when one party asked months ago and the other completes it when it suits them (a request never expires)",
    function () {
      it("should take effect one second before milestone 1 is due, after milestone 0 was paid, refunding milestones 1 and 2 (mask 0b110)", async function () {
        const ctx = await setup();
        const { terms, id } = await active(ctx, { arbitrator: ETH });
        await expect(ctx.escrow.connect(ctx.vendor).terminate(id))
          .to.emit(ctx.escrow, "TerminationRequested")
          .withArgs(id, ctx.vendor.address);
        // Milestone 0 runs its course: attested and settled (no arbitrator: at once), paid in full.
        await attestAt(ctx, terms, id, 0, MET);
        await expect(ctx.escrow.settle(id, 0))
          .to.emit(ctx.escrow, "MilestoneSettled")
          .withArgs(id, 0n, Settlement.Attested, 0n, 1000n * UNIT, 0n);
        // The vendor has worked all but the last second of period 1 when the client completes the termination.
        await time.setNextBlockTimestamp(dueAt(terms, 1) - 1n);
        const tx = ctx.escrow.connect(ctx.client).terminate(id);
        await expect(tx).to.emit(ctx.escrow, "TerminationRequested").withArgs(id, ctx.client.address);
        await expect(tx)
          .to.emit(ctx.escrow, "AgreementTerminated")
          .withArgs(id, 2000n * UNIT, 0b110n);
        await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client, ctx.vendor], [0n, 0n, 0n]);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(2000n * UNIT);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(1000n * UNIT);
        expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
      });
    },
  );

  context("when the agreement is in a token", function () {
    it("should credit the refund in the token and move no tokens", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx, { token: ctx.tokenAddress });
      await ctx.escrow.connect(ctx.client).terminate(id);
      const tx = ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(tx).to.emit(ctx.escrow, "AgreementTerminated").withArgs(id, totalOf(terms), 0b111n);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.client], [0n, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(totalOf(terms));
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
    });
  });

  context("when a party asks twice", function () {
    it("should revert with TerminationAlreadyRequested(id, client) for the client", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      await ctx.escrow.connect(ctx.client).terminate(id);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).terminate(id))
          .to.be.revertedWithCustomError(ctx.escrow, "TerminationAlreadyRequested")
          .withArgs(id, ctx.client.address);
      });
    });

    it("should revert with TerminationAlreadyRequested(id, vendor) for the vendor", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      await ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(ctx.escrow.connect(ctx.vendor).terminate(id))
        .to.be.revertedWithCustomError(ctx.escrow, "TerminationAlreadyRequested")
        .withArgs(id, ctx.vendor.address);
    });

    it("should revert with TerminationAlreadyRequested after the termination took effect", async function () {
      const ctx = await setup();
      const { terms, id } = await active(ctx);
      await time.setNextBlockTimestamp(dueAt(terms, 1));
      await ctx.escrow.connect(ctx.client).terminate(id);
      await ctx.escrow.connect(ctx.vendor).terminate(id);
      expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
      await expect(ctx.escrow.connect(ctx.client).terminate(id))
        .to.be.revertedWithCustomError(ctx.escrow, "TerminationAlreadyRequested")
        .withArgs(id, ctx.client.address);
    });
  });

  context("when someone other than the client or the vendor asks", function () {
    shouldRejectCallersOtherThan("parties", {
      callers: ["arbitrator", "relayer", "stranger"],
      given: active,
      send: (ctx, { id }, caller) => ctx.escrow.connect(caller).terminate(id),
      nothingChanged: true,
      it: (who, test) => it(`should revert with NotParty(caller) for the ${who}`, test),
    });
  });

  context("when the agreement is Proposed", function () {
    it("should revert with AgreementNotActive(id, Proposed)", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).terminate(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotActive")
          .withArgs(id, Agreement.Proposed);
      });
    });
  });

  context("when every milestone is settled (Closed)", function () {
    it("should revert with AgreementNotActive(id, Closed)", async function () {
      const ctx = await setup();
      const { id } = await closedBySettlement(ctx);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).terminate(id))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotActive")
          .withArgs(id, Agreement.Closed);
      });
    });

    it("should revert with AgreementNotActive(id, Closed) after a full termination", async function () {
      const ctx = await setup();
      const { id } = await active(ctx);
      await ctx.escrow.connect(ctx.client).terminate(id);
      await ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(ctx.escrow.connect(ctx.vendor).terminate(id))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotActive")
        .withArgs(id, Agreement.Closed);
    });
  });

  context("when the agreement was cancelled", function () {
    it("should revert with AgreementNotActive(id, Closed)", async function () {
      const ctx = await setup();
      const { id } = await proposed(ctx);
      await ctx.escrow.connect(ctx.client).cancel(id);
      await expect(ctx.escrow.connect(ctx.client).terminate(id))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotActive")
        .withArgs(id, Agreement.Closed);
    });
  });

  context("when the agreement does not exist", function () {
    it("should revert with AgreementNotFound(id)", async function () {
      const ctx = await setup();
      await expect(ctx.escrow.connect(ctx.client).terminate(5n))
        .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
        .withArgs(5n);
    });
  });
});

describe("contract callers (SWC-115: the caller is msg.sender, never tx.origin)", function () {
  const disputable = async (ctx: Context): Promise<bigint> => {
    const terms = await makeTerms(ctx);
    const id = await createActive(ctx, terms);
    await attestAt(ctx, terms, id, 0, BREACHED);
    return id;
  };
  const refused: Record<string, ContractCallerCheck> = {
    accept: {
      driver: "vendor",
      prepare: async (ctx, contract) => {
        const id = await create(ctx, await makeTerms(ctx));
        return { data: ctx.escrow.interface.encodeFunctionData("accept", [id]), error: "NotVendor", args: [contract] };
      },
    },
    cancel: {
      driver: "client",
      prepare: async (ctx, contract) => {
        const id = await create(ctx, await makeTerms(ctx));
        return { data: ctx.escrow.interface.encodeFunctionData("cancel", [id]), error: "NotClient", args: [contract] };
      },
    },
    "terminate (the client drives)": {
      driver: "client",
      prepare: async (ctx, contract) => {
        const id = await createActive(ctx);
        return {
          data: ctx.escrow.interface.encodeFunctionData("terminate", [id]),
          error: "NotParty",
          args: [contract],
        };
      },
    },
    "terminate (the vendor drives)": {
      driver: "vendor",
      prepare: async (ctx, contract) => {
        const id = await createActive(ctx);
        return {
          data: ctx.escrow.interface.encodeFunctionData("terminate", [id]),
          error: "NotParty",
          args: [contract],
        };
      },
    },
    "dispute (the client drives)": {
      driver: "client",
      prepare: async (ctx, contract) => {
        const id = await disputable(ctx);
        return {
          data: ctx.escrow.interface.encodeFunctionData("dispute", [id, 0]),
          error: "NotParty",
          args: [contract],
        };
      },
    },
    "dispute (the vendor drives)": {
      driver: "vendor",
      prepare: async (ctx, contract) => {
        const id = await disputable(ctx);
        return {
          data: ctx.escrow.interface.encodeFunctionData("dispute", [id, 0]),
          error: "NotParty",
          args: [contract],
        };
      },
    },
    resolveDispute: {
      driver: "arbitrator",
      prepare: async (ctx, contract) => {
        const id = await disputable(ctx);
        await ctx.escrow.connect(ctx.client).dispute(id, 0);
        return {
          data: ctx.escrow.interface.encodeFunctionData("resolveDispute", [id, 0, 0]),
          error: "NotArbitrator",
          args: [contract],
        };
      },
    },
    withdraw: {
      driver: "client",
      prepare: async (ctx, contract) => {
        const id = await create(ctx, await makeTerms(ctx));
        await ctx.escrow.connect(ctx.client).cancel(id);
        return {
          data: ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, contract]),
          error: "NothingToWithdraw",
          args: [contract, ETH],
        };
      },
    },
  };

  context("when a party's EOA sends the transaction through a contract that is not a party", function () {
    shouldRejectContractCallers(refused, (name, driver, test) =>
      it(`should refuse ${name} by the ${driver}'s contract, naming the contract in the error`, test),
    );
  });

  context("when the vendor is a contract that someone else drives", function () {
    async function contractVendor(
      ctx: Context,
    ): Promise<{ vendor: ContractAccount; terms: ISLAEscrow.TermsStruct; id: bigint }> {
      const vendor = await contractAccount(ctx.stranger);
      const terms = await makeTerms(ctx, { vendor: vendor.address });
      const id = await create(ctx, terms);
      await vendor.call(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("accept", [id]));
      return { vendor, terms, id };
    }

    it("should record its termination vote under the contract, and refuse a second with TerminationAlreadyRequested(id, contract)", async function () {
      const ctx = await setup();
      const { vendor, id } = await contractVendor(ctx);
      const terminate = ctx.escrow.interface.encodeFunctionData("terminate", [id]);
      await expect(vendor.call(ctx.escrowAddress, terminate))
        .to.emit(ctx.escrow, "TerminationRequested")
        .withArgs(id, vendor.address);
      await expect(vendor.call(ctx.escrowAddress, terminate))
        .to.be.revertedWithCustomError(ctx.escrow, "TerminationAlreadyRequested")
        .withArgs(id, vendor.address);
      await expect(ctx.escrow.connect(ctx.client).terminate(id))
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 3000n * UNIT, 0b111);
    });

    it("should let it dispute, with MilestoneDisputed naming the contract", async function () {
      const ctx = await setup();
      const { vendor, terms, id } = await contractVendor(ctx);
      await attestAt(ctx, terms, id, 0, BREACHED);
      await expect(vendor.call(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("dispute", [id, 0])))
        .to.emit(ctx.escrow, "MilestoneDisputed")
        .withArgs(id, 0, vendor.address);
      expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Disputed);
    });
  });
});
