import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  BREACHED,
  DAY,
  MET,
  Milestone,
  Settlement,
  UNIT,
  attestAt,
  createActive,
  makeTerms,
  setup,
  signed,
} from "./helpers/fixture";

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

  context("when milestones are settled silently, after an attestation and after a dispute", function () {
    /** The raw storage word of milestone `m`: `_milestones[id][m]` (slot from the compiler's storage layout). */
    async function milestoneWord(escrow: string, id: bigint, m: number): Promise<bigint> {
      const info = await artifacts.getBuildInfo("contracts/SLAEscrow.sol:SLAEscrow");
      const layout = (
        info?.output.contracts["contracts/SLAEscrow.sol"].SLAEscrow as unknown as {
          storageLayout: { storage: { label: string; slot: string }[] };
        }
      ).storageLayout.storage;
      const slot = BigInt(layout.find((v) => v.label === "_milestones")?.slot ?? "-1");
      const base = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [id, slot])));
      return BigInt(await ethers.provider.getStorage(escrow, base + BigInt(m)));
    }
    const field = (word: bigint, shift: number, bits: number): bigint => (word >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);

    it("should keep one word per milestone in the documented layout: amount 128 | dueAt 40 | state 8 (3 + what came before once settled) | cut 16 | attest delay 32 | dispute delay 32", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const id = await createActive(ctx, terms);
      const due = terms.milestones.map((m) => BigInt(m.dueAt));

      await attestAt(ctx, terms, id, 0, BREACHED, 60); // attested 60 s after due, cut 4000
      await time.setNextBlockTimestamp(due[0] + 160n);
      await ctx.escrow.connect(ctx.client).dispute(id, 0); // disputed 100 s after the attestation
      await ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 1234);
      await attestAt(ctx, terms, id, 1, MET, 5); // attested 5 s after due, cut 0
      await time.setNextBlockTimestamp(due[1] + 5n + BigInt(2 * DAY));
      await ctx.escrow.settle(id, 1);
      await time.setNextBlockTimestamp(due[2] + BigInt(3 * DAY) + 1n);
      await ctx.escrow.settle(id, 2); // silent: cut 10000

      const expected = [
        { state: 5n, cut: 1234n, attestDelay: 60n, disputeDelay: 100n }, // settled after a dispute
        { state: 4n, cut: 0n, attestDelay: 5n, disputeDelay: 0n }, // settled after an attestation
        { state: 3n, cut: 10_000n, attestDelay: 0n, disputeDelay: 0n }, // settled without an attestation
      ];
      for (let m = 0; m < 3; m++) {
        const word = await milestoneWord(ctx.escrowAddress, id, m);
        expect(
          [field(word, 0, 128), field(word, 128, 40), field(word, 168, 8), field(word, 176, 16), field(word, 192, 32), field(word, 224, 32)],
          `milestone ${m}`,
        ).to.deep.equal([1000n * UNIT, due[m], expected[m].state, expected[m].cut, expected[m].attestDelay, expected[m].disputeDelay]);
        expect((await ctx.escrow.milestoneInfo(id, m))[0]).to.equal(Milestone.Settled);
      }
      // a milestone that does not exist is a zero word
      expect(await milestoneWord(ctx.escrowAddress, id, 3)).to.equal(0n);
    });
  });
});
