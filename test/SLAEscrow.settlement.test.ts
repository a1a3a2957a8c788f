import { expect } from "chai";
import { ethers, network } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { ISLAEscrow } from "../typechain-types";
import { cutBps, split } from "../scripts/lib/penalty";
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
  totalOf,
} from "./helpers/fixture";
import { amountOf, blockTimeOf, dueOf, eoa, evidenceOf, infoOf, metricsOf, signedBy } from "./helpers/attestation";
import { shouldRejectCallersOtherThan } from "./helpers/roles.behavior";

/** Odd amounts, so that cuts do not divide them evenly. */
const ODD = [999n, 1_000_003n, 12_345_679n];
const BREACHED_CUT = 4000;

/** `terms` with the milestone amounts replaced (due times kept). */
function withAmounts(terms: ISLAEscrow.TermsStruct, amounts: bigint[]): ISLAEscrow.TermsStruct {
  return { ...terms, milestones: terms.milestones.map((m, i) => ({ amount: amounts[i], dueAt: m.dueAt })) };
}

/** What the escrow holds of `token` (address(0) = ETH). */
async function held(ctx: Context, token: string): Promise<bigint> {
  return token === ETH ? ethers.provider.getBalance(ctx.escrowAddress) : ctx.token.balanceOf(ctx.escrowAddress);
}

/**
 * Runs `send` (a settle or a resolveDispute) and checks the MilestoneSettled event, the exact credits computed
 * with scripts/lib/penalty.ts split, that the escrow's own balance did not move, and the milestone's status and cut.
 */
async function expectSettlement(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  id: bigint,
  milestone: number,
  kind: bigint,
  cut: number,
  send: () => Promise<ContractTransactionResponse>,
): Promise<{ tx: ContractTransactionResponse; toVendor: bigint; toClient: bigint }> {
  const token = terms.token as string;
  const vendor = terms.vendor as string;
  const client = terms.client as string;
  const { toVendor, toClient } = split(amountOf(terms, milestone), cut);
  const vendorBefore = await ctx.escrow.balanceOf(vendor, token);
  const clientBefore = await ctx.escrow.balanceOf(client, token);
  const heldBefore = await held(ctx, token);
  const tx = await send();
  await expect(tx).to.emit(ctx.escrow, "MilestoneSettled").withArgs(id, milestone, kind, cut, toVendor, toClient);
  expect(await ctx.escrow.balanceOf(vendor, token)).to.equal(vendorBefore + toVendor);
  expect(await ctx.escrow.balanceOf(client, token)).to.equal(clientBefore + toClient);
  expect(await held(ctx, token)).to.equal(heldBefore);
  const [status, finalCut] = await infoOf(ctx.escrow, id, milestone);
  expect([status, finalCut]).to.deep.equal([Milestone.Settled, BigInt(cut)]);
  return { tx, toVendor, toClient };
}

/** Creates and accepts default terms (arbitrator, 2-of-3) with `overrides` and the ODD amounts. */
async function activeOdd(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint }> {
  const terms = withAmounts(await makeTerms(ctx, overrides), ODD);
  const id = await createActive(ctx, terms);
  return { terms, id };
}

/** Attests milestone `m` with BREACHED values at dueAt + offset and returns attestedAt. */
async function attestBreached(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  id: bigint,
  m: number,
  offset = 1234,
): Promise<bigint> {
  const tx = await attestAt(ctx, terms, id, m, BREACHED, offset);
  const at = await blockTimeOf(tx);
  expect(at).to.equal(dueOf(terms, m) + BigInt(offset));
  return at;
}

/** Disputes milestone `m` at exactly `at` by `party`; returns the tx. */
async function disputeAt(
  ctx: Context,
  party: HardhatEthersSigner,
  id: bigint,
  m: number,
  at: bigint,
): Promise<ContractTransactionResponse> {
  await time.setNextBlockTimestamp(at);
  return ctx.escrow.connect(party).dispute(id, m);
}

describe("SLAEscrow: disputes and settlement", function () {
  describe("dispute", function () {
    for (const party of ["client", "vendor"] as const) {
      context(`when the ${party} disputes an attested milestone within the window`, function () {
        it("should mark it Disputed, keep the attested cut and emit MilestoneDisputed", async function () {
          const ctx = await setup();
          const { terms, id } = await activeOdd(ctx);
          const attestedAt = await attestBreached(ctx, terms, id, 0);
          const tx = await disputeAt(ctx, ctx[party], id, 0, attestedAt + 100n);
          await expect(tx).to.emit(ctx.escrow, "MilestoneDisputed").withArgs(id, 0, ctx[party].address);
          expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
            Milestone.Disputed,
            BigInt(BREACHED_CUT),
            attestedAt,
            attestedAt + 100n,
          ]);
          // Nothing is credited by a dispute.
          expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
          expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
        });
      });
    }

    context("when the caller is neither the client nor the vendor", function () {
      shouldRejectCallersOtherThan("parties", {
        callers: ["arbitrator", "oracle", "stranger", "relayer"],
        oracle: 0,
        given: async (ctx) => {
          const { terms, id } = await activeOdd(ctx);
          return { id, attestedAt: await attestBreached(ctx, terms, id, 0) };
        },
        send: (ctx, { id, attestedAt }, caller) => disputeAt(ctx, caller, id, 0, attestedAt + 1n),
        after: async (ctx, { id, attestedAt }) => {
          expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
            Milestone.Attested,
            BigInt(BREACHED_CUT),
            attestedAt,
            0n,
          ]);
        },
        it: (role, test) => it(`should revert with NotParty(caller) for the ${role}`, test),
      });
    });

    context("when the agreement has no arbitrator", function () {
      it("should revert with NoArbitrator(id) for the client and the vendor", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx, { arbitrator: ethers.ZeroAddress });
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        for (const party of [ctx.client, ctx.vendor]) {
          await expect(ctx.escrow.connect(party).dispute(id, 0))
            .to.be.revertedWithCustomError(ctx.escrow, "NoArbitrator")
            .withArgs(id);
        }
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Attested,
          BigInt(BREACHED_CUT),
          attestedAt,
          0n,
        ]);
      });
    });

    context("when the milestone is not Attested", function () {
      it("should revert with MilestoneNotAttested(id, m, 0) while Pending", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        await time.setNextBlockTimestamp(dueOf(terms, 0));
        await expect(ctx.escrow.connect(ctx.client).dispute(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotAttested")
          .withArgs(id, 0, Milestone.Pending);
      });

      it("should revert with MilestoneNotAttested(id, m, 2) when already Disputed", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        await disputeAt(ctx, ctx.client, id, 0, attestedAt + 5n);
        for (const party of [ctx.vendor, ctx.client]) {
          await expect(ctx.escrow.connect(party).dispute(id, 0))
            .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotAttested")
            .withArgs(id, 0, Milestone.Disputed);
        }
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Disputed,
          BigInt(BREACHED_CUT),
          attestedAt,
          attestedAt + 5n,
        ]);
      });

      it("should revert with MilestoneNotAttested(id, m, 3) once Settled after an attestation", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0, 2000);
        await time.setNextBlockTimestamp(attestedAt + BigInt(terms.disputeWindow));
        await ctx.escrow.connect(ctx.relayer).settle(id, 0);
        for (const party of [ctx.vendor, ctx.client]) {
          await expect(ctx.escrow.connect(party).dispute(id, 0))
            .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotAttested")
            .withArgs(id, 0, Milestone.Settled);
        }
      });

      it("should revert with MilestoneNotAttested(id, m, 3) once Settled silently", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        await time.setNextBlockTimestamp(dueOf(terms, 0) + BigInt(terms.attestGrace) + 1n);
        await ctx.escrow.connect(ctx.relayer).settle(id, 0);
        await expect(ctx.escrow.connect(ctx.client).dispute(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotAttested")
          .withArgs(id, 0, Milestone.Settled);
      });
    });

    context("when the dispute window is at its boundary", function () {
      it("should allow a dispute at attestedAt + disputeWindow - 1", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        const last = attestedAt + BigInt(terms.disputeWindow) - 1n;
        await expect(disputeAt(ctx, ctx.vendor, id, 0, last))
          .to.emit(ctx.escrow, "MilestoneDisputed")
          .withArgs(id, 0, ctx.vendor.address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Disputed,
          BigInt(BREACHED_CUT),
          attestedAt,
          last,
        ]);
      });

      it("should revert with DisputeWindowClosed(attestedAt + disputeWindow) at attestedAt + disputeWindow", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        const deadline = attestedAt + BigInt(terms.disputeWindow);
        await expect(disputeAt(ctx, ctx.client, id, 0, deadline))
          .to.be.revertedWithCustomError(ctx.escrow, "DisputeWindowClosed")
          .withArgs(deadline);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Attested,
          BigInt(BREACHED_CUT),
          attestedAt,
          0n,
        ]);
      });
    });

    context("when the agreement or the milestone does not exist", function () {
      it("should revert with AgreementNotFound(id) and MilestoneOutOfRange(id, m, count)", async function () {
        const ctx = await setup();
        const { id } = await activeOdd(ctx);
        await expect(ctx.escrow.connect(ctx.client).dispute(id + 1n, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
          .withArgs(id + 1n);
        await expect(ctx.escrow.connect(ctx.client).dispute(id, 3))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneOutOfRange")
          .withArgs(id, 3, 3);
      });
    });
  });

  describe("resolveDispute", function () {
    /** An Active agreement with ODD amounts whose milestone 0 is attested (BREACHED) and disputed by the client. */
    async function disputed(ctx: Context) {
      const { terms, id } = await activeOdd(ctx);
      const attestedAt = await attestBreached(ctx, terms, id, 0);
      const disputedAt = attestedAt + 600n;
      await disputeAt(ctx, ctx.client, id, 0, disputedAt);
      return { terms, id, attestedAt, disputedAt };
    }

    context("when the caller is not the arbitrator", function () {
      shouldRejectCallersOtherThan("arbitrator", {
        callers: ["client", "vendor", "stranger", "oracle"],
        oracle: 1,
        given: disputed,
        send: (ctx, { id }, caller) => ctx.escrow.connect(caller).resolveDispute(id, 0, 0),
        after: async (ctx, { id, attestedAt, disputedAt }) => {
          expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
            Milestone.Disputed,
            BigInt(BREACHED_CUT),
            attestedAt,
            disputedAt,
          ]);
        },
        it: (role, test) => it(`should revert with NotArbitrator(caller) for the ${role}`, test),
      });

      it("should revert with AgreementNotFound(id) for an unknown agreement", async function () {
        const ctx = await setup();
        const { id } = await disputed(ctx);
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id + 1n, 0, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
          .withArgs(id + 1n);
      });
    });

    context("when the cut exceeds 10000", function () {
      it("should revert with CutTooHigh(cut)", async function () {
        const ctx = await setup();
        const { id, attestedAt, disputedAt } = await disputed(ctx);
        for (const cut of [10_001, 65_535]) {
          await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, cut))
            .to.be.revertedWithCustomError(ctx.escrow, "CutTooHigh")
            .withArgs(cut);
        }
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Disputed,
          BigInt(BREACHED_CUT),
          attestedAt,
          disputedAt,
        ]);
      });
    });

    context("when the milestone is not Disputed", function () {
      it("should revert with MilestoneNotDisputed(id, m, 0) while Pending and (id, m, 1) while Attested", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotDisputed")
          .withArgs(id, 0, Milestone.Pending);
        await attestBreached(ctx, terms, id, 0);
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotDisputed")
          .withArgs(id, 0, Milestone.Attested);
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 3, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneOutOfRange")
          .withArgs(id, 3, 3);
      });

      it("should revert with MilestoneNotDisputed(id, m, 3) once the arbitrator resolved it", async function () {
        const ctx = await setup();
        const { id } = await disputed(ctx);
        await ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 5000);
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotDisputed")
          .withArgs(id, 0, Milestone.Settled);
      });
    });

    context("when the arbitrator resolves a disputed milestone", function () {
      for (const cut of [0, 10_000, 3333, 1, 9999]) {
        it(`should settle with the arbitrator's cut ${cut} (kind Arbitrated) and credit exactly`, async function () {
          const ctx = await setup();
          const { terms, id, attestedAt, disputedAt } = await disputed(ctx);
          const { toVendor, toClient } = await expectSettlement(ctx, terms, id, 0, Settlement.Arbitrated, cut, () =>
            ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, cut),
          );
          expect(toVendor + toClient).to.equal(ODD[0]);
          expect(toClient).to.equal((ODD[0] * BigInt(cut)) / 10_000n); // rounded down
          expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
            Milestone.Settled,
            BigInt(cut),
            attestedAt,
            disputedAt,
          ]);
        });
      }

      it("should round the client's part down (999 wei at 3333 bps: 332 to the client, 667 to the vendor)", async function () {
        const ctx = await setup();
        const { terms, id } = await disputed(ctx);
        expect(split(999n, 3333)).to.deep.equal({ toVendor: 667n, toClient: 332n });
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 3333))
          .to.emit(ctx.escrow, "MilestoneSettled")
          .withArgs(id, 0, Settlement.Arbitrated, 3333, 667n, 332n);
        expect(await ctx.escrow.balanceOf(terms.vendor, ETH)).to.equal(667n);
        expect(await ctx.escrow.balanceOf(terms.client, ETH)).to.equal(332n);
      });
    });

    context("when the arbitration timeout has passed but nobody settled", function () {
      it("should still accept the arbitrator's resolution", async function () {
        const ctx = await setup();
        const { terms, id, attestedAt, disputedAt } = await disputed(ctx);
        await time.setNextBlockTimestamp(disputedAt + BigInt(terms.arbitrationTimeout) + BigInt(DAY));
        await expectSettlement(ctx, terms, id, 0, Settlement.Arbitrated, 2000, () =>
          ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 2000),
        );
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Settled, 2000n, attestedAt, disputedAt]);
      });
    });

    context("when someone settled it after the arbitration timeout", function () {
      it("should revert with MilestoneNotDisputed(id, m, 3)", async function () {
        const ctx = await setup();
        const { terms, id, disputedAt } = await disputed(ctx);
        await time.setNextBlockTimestamp(disputedAt + BigInt(terms.arbitrationTimeout));
        await ctx.escrow.connect(ctx.stranger).settle(id, 0);
        await expect(ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotDisputed")
          .withArgs(id, 0, Milestone.Settled);
        // The attested cut stands.
        const { toVendor, toClient } = split(ODD[0], BREACHED_CUT);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(toVendor);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(toClient);
      });
    });
  });

  describe("settle", function () {
    context("when Attested and the agreement has an arbitrator", function () {
      it("should revert with SettleTooEarly(attestedAt + disputeWindow) one second before, and settle at it", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        const settleableAt = attestedAt + BigInt(terms.disputeWindow);
        await time.setNextBlockTimestamp(settleableAt - 1n);
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
          .withArgs(settleableAt);
        expect((await infoOf(ctx.escrow, id, 0))[0]).to.equal(Milestone.Attested);
        await time.setNextBlockTimestamp(settleableAt);
        const { tx } = await expectSettlement(ctx, terms, id, 0, Settlement.Attested, BREACHED_CUT, () =>
          ctx.escrow.connect(ctx.relayer).settle(id, 0),
        );
        expect(await blockTimeOf(tx)).to.equal(settleableAt);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Settled,
          BigInt(BREACHED_CUT),
          attestedAt,
          0n,
        ]);
      });

      it("should pay the vendor in full for met values", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await blockTimeOf(await attestAt(ctx, terms, id, 1, MET, 7));
        await time.setNextBlockTimestamp(attestedAt + BigInt(terms.disputeWindow));
        const { toVendor, toClient } = await expectSettlement(ctx, terms, id, 1, Settlement.Attested, 0, () =>
          ctx.escrow.connect(ctx.stranger).settle(id, 1),
        );
        expect([toVendor, toClient]).to.deep.equal([ODD[1], 0n]);
      });
    });

    context("when Attested and the agreement has no arbitrator", function () {
      it("should settle in the same block (second) as the attestation", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx, { arbitrator: ethers.ZeroAddress });
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        const due = dueOf(terms, 0);
        const { toVendor, toClient } = split(ODD[0], BREACHED_CUT);
        const heldBefore = await held(ctx, ETH);
        await network.provider.send("evm_setAutomine", [false]);
        let attestTx: ContractTransactionResponse;
        let settleTx: ContractTransactionResponse;
        try {
          attestTx = await ctx.escrow.connect(ctx.relayer).postAttestation(...args, { gasLimit: 1_000_000 });
          settleTx = await ctx.escrow.connect(ctx.stranger).settle(id, 0, { gasLimit: 1_000_000 });
          await time.setNextBlockTimestamp(due);
          await network.provider.send("evm_mine", []);
        } finally {
          await network.provider.send("evm_setAutomine", [true]);
        }
        const [attestReceipt, settleReceipt] = [await attestTx.wait(), await settleTx.wait()];
        expect(settleReceipt?.blockNumber).to.equal(attestReceipt?.blockNumber);
        expect(await blockTimeOf(settleTx)).to.equal(due);
        await expect(attestTx)
          .to.emit(ctx.escrow, "AttestationPosted")
          .withArgs(id, 0, BREACHED_CUT, BREACHED, evidenceOf(id, 0), args[4]);
        await expect(settleTx)
          .to.emit(ctx.escrow, "MilestoneSettled")
          .withArgs(id, 0, Settlement.Attested, BREACHED_CUT, toVendor, toClient);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(toVendor);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(toClient);
        expect(await held(ctx, ETH)).to.equal(heldBefore);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Settled, BigInt(BREACHED_CUT), due, 0n]);
      });

      it("should settle in the second right after the attestation, paid in TestToken", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx, { arbitrator: ethers.ZeroAddress, token: ctx.tokenAddress });
        const attestedAt = await attestBreached(ctx, terms, id, 2, 0);
        await time.setNextBlockTimestamp(attestedAt + 1n);
        await expectSettlement(ctx, terms, id, 2, Settlement.Attested, BREACHED_CUT, () =>
          ctx.escrow.connect(ctx.relayer).settle(id, 2),
        );
      });
    });

    context("when Disputed", function () {
      it("should revert with SettleTooEarly(disputedAt + arbitrationTimeout) before it, and settle at it with the attested cut", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        const disputedAt = attestedAt + BigInt(terms.disputeWindow) - 10n;
        await disputeAt(ctx, ctx.vendor, id, 0, disputedAt);
        const settleableAt = disputedAt + BigInt(terms.arbitrationTimeout);
        // Neither at the end of the dispute window...
        await time.setNextBlockTimestamp(attestedAt + BigInt(terms.disputeWindow));
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
          .withArgs(settleableAt);
        // ...nor one second before the timeout.
        await time.setNextBlockTimestamp(settleableAt - 1n);
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
          .withArgs(settleableAt);
        expect((await infoOf(ctx.escrow, id, 0))[0]).to.equal(Milestone.Disputed);
        await time.setNextBlockTimestamp(settleableAt);
        await expectSettlement(ctx, terms, id, 0, Settlement.ArbitrationTimedOut, BREACHED_CUT, () =>
          ctx.escrow.connect(ctx.relayer).settle(id, 0),
        );
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([
          Milestone.Settled,
          BigInt(BREACHED_CUT),
          attestedAt,
          disputedAt,
        ]);
      });
    });

    context("when Pending (the oracles stayed silent) in an Active agreement", function () {
      for (const silentCutBps of [10_000, 0, 2500]) {
        it(`should revert with SettleTooEarly(dueAt + attestGrace + 1) at dueAt + attestGrace, and settle one second later with silentCutBps ${silentCutBps}`, async function () {
          const ctx = await setup();
          const { terms, id } = await activeOdd(ctx, { silentCutBps });
          const graceEnd = dueOf(terms, 1) + BigInt(terms.attestGrace);
          await time.setNextBlockTimestamp(graceEnd);
          await expect(ctx.escrow.connect(ctx.relayer).settle(id, 1))
            .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
            .withArgs(graceEnd + 1n);
          expect(await infoOf(ctx.escrow, id, 1)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
          await time.setNextBlockTimestamp(graceEnd + 1n);
          await expectSettlement(ctx, terms, id, 1, Settlement.Silent, silentCutBps, () =>
            ctx.escrow.connect(ctx.relayer).settle(id, 1),
          );
          expect(await infoOf(ctx.escrow, id, 1)).to.deep.equal([Milestone.Settled, BigInt(silentCutBps), 0n, 0n]);
        });
      }

      it("should revert with SettleTooEarly(dueAt + attestGrace + 1) before the milestone is even due", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 2))
          .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
          .withArgs(dueOf(terms, 2) + BigInt(terms.attestGrace) + 1n);
      });
    });

    context("when Pending while the agreement is still Proposed (the vendor never accepted)", function () {
      for (const silentCutBps of [0, 2500, 10_000]) {
        it(`should refund the client in full (cut 10000) although silentCutBps is ${silentCutBps}`, async function () {
          const ctx = await setup();
          const terms = withAmounts(await makeTerms(ctx, { silentCutBps }), ODD);
          const id = await create(ctx, terms);
          const graceEnd = dueOf(terms, 0) + BigInt(terms.attestGrace);
          await time.setNextBlockTimestamp(graceEnd);
          await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
            .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
            .withArgs(graceEnd + 1n);
          await time.setNextBlockTimestamp(graceEnd + 1n);
          const { toVendor, toClient } = await expectSettlement(ctx, terms, id, 0, Settlement.Silent, 10_000, () =>
            ctx.escrow.connect(ctx.relayer).settle(id, 0),
          );
          expect([toVendor, toClient]).to.deep.equal([0n, ODD[0]]);
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
        });
      }

      it("should close the agreement once every milestone is refunded", async function () {
        const ctx = await setup();
        const terms = withAmounts(await makeTerms(ctx, { silentCutBps: 0 }), ODD);
        const id = await create(ctx, terms);
        await time.setNextBlockTimestamp(dueOf(terms, 2) + BigInt(terms.attestGrace) + 1n);
        for (const m of [1, 0, 2]) {
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
          await expectSettlement(ctx, terms, id, m, Settlement.Silent, 10_000, () =>
            ctx.escrow.connect(ctx.stranger).settle(id, m),
          );
        }
        expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(totalOf(terms));
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
      });
    });

    context("when the milestone is already settled", function () {
      it("should revert with MilestoneAlreadySettled(id, m) after a settle", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        await time.setNextBlockTimestamp(attestedAt + BigInt(terms.disputeWindow));
        await ctx.escrow.connect(ctx.relayer).settle(id, 0);
        const balances = [
          await ctx.escrow.balanceOf(ctx.vendor.address, ETH),
          await ctx.escrow.balanceOf(ctx.client.address, ETH),
        ];
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneAlreadySettled")
          .withArgs(id, 0);
        expect([
          await ctx.escrow.balanceOf(ctx.vendor.address, ETH),
          await ctx.escrow.balanceOf(ctx.client.address, ETH),
        ]).to.deep.equal(balances);
      });

      it("should revert with MilestoneAlreadySettled(id, m) after the arbitrator resolved it, after a silent settle and after a cancel", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attestedAt = await attestBreached(ctx, terms, id, 0);
        await disputeAt(ctx, ctx.client, id, 0, attestedAt + 1n);
        await ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 0, 100);
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneAlreadySettled")
          .withArgs(id, 0);
        await time.setNextBlockTimestamp(dueOf(terms, 1) + BigInt(terms.attestGrace) + 1n);
        await ctx.escrow.connect(ctx.relayer).settle(id, 1);
        await expect(ctx.escrow.connect(ctx.relayer).settle(id, 1))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneAlreadySettled")
          .withArgs(id, 1);
        const proposed = await create(ctx, await makeTerms(ctx));
        await ctx.escrow.connect(ctx.client).cancel(proposed);
        await expect(ctx.escrow.connect(ctx.relayer).settle(proposed, 2))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneAlreadySettled")
          .withArgs(proposed, 2);
      });
    });

    context("when the agreement or the milestone does not exist", function () {
      it("should revert with AgreementNotFound(id)", async function () {
        const ctx = await setup();
        const { id } = await activeOdd(ctx);
        for (const unknown of [0n, id + 1n]) {
          await expect(ctx.escrow.connect(ctx.relayer).settle(unknown, 0))
            .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
            .withArgs(unknown);
        }
      });

      it("should revert with MilestoneOutOfRange(id, m, count)", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        await time.setNextBlockTimestamp(dueOf(terms, 2) + BigInt(terms.attestGrace) + 1n);
        for (const m of [3n, 127n, 128n, 2n ** 256n - 1n]) {
          await expect(ctx.escrow.connect(ctx.relayer).settle(id, m))
            .to.be.revertedWithCustomError(ctx.escrow, "MilestoneOutOfRange")
            .withArgs(id, m, 3);
        }
      });
    });
  });

  describe("milestoneInfo and agreementStatus", function () {
    context("when milestones settle out of order", function () {
      it("should stay Active (2) until the last open milestone settles, then read Closed (3)", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx, { silentCutBps: 2500 });
        expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
        await time.setNextBlockTimestamp(dueOf(terms, 2) + BigInt(terms.attestGrace) + 1n);
        for (const m of [2, 0, 1]) {
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
          await expectSettlement(ctx, terms, id, m, Settlement.Silent, 2500, () =>
            ctx.escrow.connect(ctx.relayer).settle(id, m),
          );
        }
        expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);
        for (const m of [0, 1, 2]) {
          expect(await infoOf(ctx.escrow, id, m)).to.deep.equal([Milestone.Settled, 2500n, 0n, 0n]);
        }
      });
    });

    context("when the agreement or the milestone does not exist", function () {
      it("should revert with AgreementNotFound and MilestoneOutOfRange, and agreementStatus should read None", async function () {
        const ctx = await setup();
        const { id } = await activeOdd(ctx);
        await expect(ctx.escrow.milestoneInfo(id + 1n, 0))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
          .withArgs(id + 1n);
        await expect(ctx.escrow.milestoneInfo(id, 3))
          .to.be.revertedWithCustomError(ctx.escrow, "MilestoneOutOfRange")
          .withArgs(id, 3, 3);
        expect(await ctx.escrow.agreementStatus(id + 1n)).to.equal(Agreement.None);
      });
    });
  });

  describe("full lifecycle", function () {
    for (const asset of ["native ETH", "TestToken"] as const) {
      context(`when paid in ${asset}`, function () {
        it("should settle a met, an arbitrated and a silent milestone, close, and pay both parties exactly", async function () {
          const ctx = await setup();
          const token = asset === "native ETH" ? ETH : ctx.tokenAddress;
          const amounts = [1000n * UNIT + 1n, 2500n * UNIT + 3n, 777n * UNIT + 7n];
          const terms = withAmounts(await makeTerms(ctx, { token, silentCutBps: 2500 }), amounts);
          const total = totalOf(terms);
          const walletBalance = async (who: HardhatEthersSigner) =>
            token === ETH ? ethers.provider.getBalance(who.address) : ctx.token.balanceOf(who.address);

          const heldBefore = await held(ctx, token);
          const clientWalletBefore = await walletBalance(ctx.client);
          const id = await create(ctx, terms);
          expect(await held(ctx, token)).to.equal(heldBefore + total);
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Proposed);
          await expect(ctx.escrow.connect(ctx.vendor).accept(id)).to.emit(ctx.escrow, "AgreementAccepted").withArgs(id);
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);

          // Milestone 0: met, settled when the dispute window closes.
          const attested0 = await blockTimeOf(await attestAt(ctx, terms, id, 0, MET));
          await time.setNextBlockTimestamp(attested0 + BigInt(terms.disputeWindow));
          const s0 = await expectSettlement(ctx, terms, id, 0, Settlement.Attested, 0, () =>
            ctx.escrow.connect(ctx.relayer).settle(id, 0),
          );
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);

          // Milestone 1: breached, disputed by the client, resolved by the arbitrator.
          const attested1 = await blockTimeOf(await attestAt(ctx, terms, id, 1, BREACHED, 3600));
          expect((await infoOf(ctx.escrow, id, 1))[1]).to.equal(BigInt(cutBps(metricsOf(terms), BREACHED)));
          await expect(disputeAt(ctx, ctx.client, id, 1, attested1 + 60n))
            .to.emit(ctx.escrow, "MilestoneDisputed")
            .withArgs(id, 1, ctx.client.address);
          await time.setNextBlockTimestamp(attested1 + 120n);
          const s1 = await expectSettlement(ctx, terms, id, 1, Settlement.Arbitrated, 3333, () =>
            ctx.escrow.connect(ctx.arbitrator).resolveDispute(id, 1, 3333),
          );
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);

          // Milestone 2: the oracles stay silent.
          await time.setNextBlockTimestamp(dueOf(terms, 2) + BigInt(terms.attestGrace) + 1n);
          const s2 = await expectSettlement(ctx, terms, id, 2, Settlement.Silent, 2500, () =>
            ctx.escrow.connect(ctx.stranger).settle(id, 2),
          );
          expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Closed);

          const toVendor = s0.toVendor + s1.toVendor + s2.toVendor;
          const toClient = s0.toClient + s1.toClient + s2.toClient;
          expect(toVendor).to.equal(amounts[0] + split(amounts[1], 3333).toVendor + split(amounts[2], 2500).toVendor);
          expect(toVendor + toClient).to.equal(total);
          expect(await ctx.escrow.balanceOf(ctx.vendor.address, token)).to.equal(toVendor);
          expect(await ctx.escrow.balanceOf(ctx.client.address, token)).to.equal(toClient);
          expect(await held(ctx, token)).to.equal(heldBefore + total);

          // Both withdraw exactly their sums.
          for (const [party, sum] of [
            [ctx.vendor, toVendor],
            [ctx.client, toClient],
          ] as const) {
            const tx = await ctx.escrow.connect(party).withdraw(token, party.address);
            await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(party.address, token, party.address, sum);
            if (token === ETH) {
              await expect(tx).to.changeEtherBalances([ctx.escrow, party], [-sum, sum]);
            } else {
              await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, party], [-sum, sum]);
            }
            expect(await ctx.escrow.balanceOf(party.address, token)).to.equal(0n);
          }
          expect(await held(ctx, token)).to.equal(heldBefore);
          if (token !== ETH) {
            expect(await walletBalance(ctx.client)).to.equal(clientWalletBefore - total + toClient);
            expect(await walletBalance(ctx.vendor)).to.equal(toVendor);
          }
        });
      });
    }
  });

  describe("multicall", function () {
    context("when a relayer settles one milestone and attests the next in one call", function () {
      it("should do both and emit both events", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const attested0 = await attestBreached(ctx, terms, id, 0);
        const post1 = await signedBy(ctx, terms, id, 1, MET, [eoa(ctx.oracles[1]), eoa(ctx.oracles[2])]);
        const due1 = dueOf(terms, 1);
        const { toVendor, toClient } = split(ODD[0], BREACHED_CUT);
        await time.setNextBlockTimestamp(due1);
        const tx = await ctx.escrow
          .connect(ctx.relayer)
          .multicall([
            ctx.escrow.interface.encodeFunctionData("settle", [id, 0]),
            ctx.escrow.interface.encodeFunctionData("postAttestation", post1),
          ]);
        await expect(tx)
          .to.emit(ctx.escrow, "MilestoneSettled")
          .withArgs(id, 0, Settlement.Attested, BREACHED_CUT, toVendor, toClient);
        await expect(tx).to.emit(ctx.escrow, "AttestationPosted").withArgs(id, 1, 0, MET, evidenceOf(id, 1), 0b110n);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Settled, BigInt(BREACHED_CUT), attested0, 0n]);
        expect(await infoOf(ctx.escrow, id, 1)).to.deep.equal([Milestone.Attested, 0n, due1, 0n]);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(toVendor);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(toClient);
      });
    });

    context("when a relayer attests and settles milestones of two agreements without arbitrators", function () {
      it("should attest and settle both in one call (one in ETH, one in TestToken)", async function () {
        const ctx = await setup();
        const ethTerms = withAmounts(await makeTerms(ctx, { arbitrator: ethers.ZeroAddress }), ODD);
        const tokenTerms = { ...ethTerms, token: ctx.tokenAddress };
        const a = await createActive(ctx, ethTerms);
        const b = await createActive(ctx, tokenTerms);
        const postA = await signedBy(ctx, ethTerms, a, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        const postB = await signedBy(ctx, tokenTerms, b, 0, MET, ctx.oracles.map(eoa));
        const heldEth = await held(ctx, ETH);
        const heldToken = await held(ctx, ctx.tokenAddress);
        const due = dueOf(ethTerms, 0);
        await time.setNextBlockTimestamp(due);
        const tx = await ctx.escrow
          .connect(ctx.relayer)
          .multicall([
            ctx.escrow.interface.encodeFunctionData("postAttestation", postA),
            ctx.escrow.interface.encodeFunctionData("settle", [a, 0]),
            ctx.escrow.interface.encodeFunctionData("postAttestation", postB),
            ctx.escrow.interface.encodeFunctionData("settle", [b, 0]),
          ]);
        const splitA = split(ODD[0], BREACHED_CUT);
        await expect(tx)
          .to.emit(ctx.escrow, "AttestationPosted")
          .withArgs(a, 0, BREACHED_CUT, BREACHED, evidenceOf(a, 0), 0b011n);
        await expect(tx).to.emit(ctx.escrow, "AttestationPosted").withArgs(b, 0, 0, MET, evidenceOf(b, 0), 0b111n);
        await expect(tx)
          .to.emit(ctx.escrow, "MilestoneSettled")
          .withArgs(a, 0, Settlement.Attested, BREACHED_CUT, splitA.toVendor, splitA.toClient);
        await expect(tx).to.emit(ctx.escrow, "MilestoneSettled").withArgs(b, 0, Settlement.Attested, 0, ODD[0], 0n);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(splitA.toVendor);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(splitA.toClient);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ctx.tokenAddress)).to.equal(ODD[0]);
        expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(0n);
        expect(await held(ctx, ETH)).to.equal(heldEth);
        expect(await held(ctx, ctx.tokenAddress)).to.equal(heldToken);
        expect(await infoOf(ctx.escrow, a, 0)).to.deep.equal([Milestone.Settled, BigInt(BREACHED_CUT), due, 0n]);
        expect(await infoOf(ctx.escrow, b, 0)).to.deep.equal([Milestone.Settled, 0n, due, 0n]);
      });
    });

    context("when an inner call fails", function () {
      it("should revert the whole batch with the inner SettleTooEarly", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx);
        const post0 = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        const due = dueOf(terms, 0);
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow
            .connect(ctx.relayer)
            .multicall([
              ctx.escrow.interface.encodeFunctionData("postAttestation", post0),
              ctx.escrow.interface.encodeFunctionData("settle", [id, 0]),
            ]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly")
          .withArgs(due + BigInt(terms.disputeWindow));
        // The attestation in the same batch was rolled back.
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      });

      it("should revert the whole batch with the inner InvalidSignature after a good settle", async function () {
        const ctx = await setup();
        const { terms, id } = await activeOdd(ctx, { arbitrator: ethers.ZeroAddress });
        await attestBreached(ctx, terms, id, 0);
        const [, , values, evidence, mask, sigs] = await signedBy(ctx, terms, id, 1, MET, [
          eoa(ctx.oracles[0]),
          eoa(ctx.oracles[1]),
        ]);
        await time.setNextBlockTimestamp(dueOf(terms, 1));
        await expect(
          ctx.escrow
            .connect(ctx.relayer)
            .multicall([
              ctx.escrow.interface.encodeFunctionData("settle", [id, 0]),
              ctx.escrow.interface.encodeFunctionData("postAttestation", [
                id,
                1,
                values,
                evidence,
                mask,
                [sigs[1], sigs[0]],
              ]),
            ]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect((await infoOf(ctx.escrow, id, 0))[0]).to.equal(Milestone.Attested);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
        expect(await infoOf(ctx.escrow, id, 1)).to.deep.equal([Milestone.Pending, 0n, 0n, 0n]);
      });
    });
  });
});
