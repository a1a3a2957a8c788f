import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { BREACHED, Milestone, Settlement, UNIT, createActive, makeTerms, setup, signed } from "./helpers/fixture";

const MAX_UINT32 = 2n ** 32n - 1n;

describe("SLAEscrow: packed-field bounds", function () {
  context("when attestGrace and disputeWindow are the largest uint32", function () {
    it("should store attestedAt and disputedAt exactly at the last allowed seconds (offsets of 2^32-1 and 2^32-2)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { attestGrace: MAX_UINT32, disputeWindow: MAX_UINT32, arbitrationTimeout: 1 });
      const id = await createActive(ctx, terms);
      const dueAt = BigInt(terms.milestones[0].dueAt);
      const attestedAt = dueAt + MAX_UINT32; // the last second of the attestation window
      const disputedAt = attestedAt + MAX_UINT32 - 1n; // the last second of the dispute window

      await time.setNextBlockTimestamp(attestedAt);
      await ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, 0, BREACHED)));
      expect(await ctx.escrow.milestoneInfo(id, 0)).to.deep.equal([Milestone.Attested, 4000n, attestedAt, 0n]);

      await time.setNextBlockTimestamp(disputedAt);
      await expect(ctx.escrow.connect(ctx.client).dispute(id, 0))
        .to.emit(ctx.escrow, "MilestoneDisputed")
        .withArgs(id, 0, ctx.client.address);
      expect(await ctx.escrow.milestoneInfo(id, 0)).to.deep.equal([Milestone.Disputed, 4000n, attestedAt, disputedAt]);

      // The neighbouring fields (amount, due time) are intact: the timeout settle pays exactly the attested split.
      await time.setNextBlockTimestamp(disputedAt + 1n);
      await expect(ctx.escrow.settle(id, 0))
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0, Settlement.ArbitrationTimedOut, 4000, 600n * UNIT, 400n * UNIT);
      expect(await ctx.escrow.milestoneInfo(id, 0)).to.deep.equal([Milestone.Settled, 4000n, attestedAt, disputedAt]);
      expect((await ctx.escrow.getTerms(id)).milestones[0]).to.deep.equal([1000n * UNIT, dueAt]);
    });

    it("should refuse an attestation one second after the 2^32-1 grace with AttestationTooLate(dueAt + 2^32 - 1)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { attestGrace: MAX_UINT32 });
      const id = await createActive(ctx, terms);
      const deadline = BigInt(terms.milestones[0].dueAt) + MAX_UINT32;
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, 0, BREACHED))))
        .to.be.revertedWithCustomError(ctx.escrow, "AttestationTooLate")
        .withArgs(deadline);
    });
  });
});
