import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ISLAEscrow } from "../typechain-types";
import { attestationDigest, readDomain } from "../scripts/lib/attestation";
import { cutBps } from "../scripts/lib/penalty";
import {
  Agreement,
  BREACHED,
  type Context,
  MET,
  Milestone,
  create,
  createActive,
  makeTerms,
  setup,
} from "./helpers/fixture";
import {
  type OracleKey,
  type PostArgs,
  ascending,
  blockTimeOf,
  deployWallet,
  dueOf,
  ecrecoverPrecompile,
  eoa,
  evidenceOf,
  highS,
  infoOf,
  metricsOf,
  signatureOf,
  signedBy,
} from "./helpers/attestation";
import { shouldAcceptAnyCaller } from "./helpers/roles.behavior";

const PENDING = [Milestone.Pending, 0n, 0n, 0n];

/** Posts `args` at exactly `at` and checks the event, milestoneInfo and the cut against penalty.ts and cutFor. */
async function expectAttested(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  args: PostArgs,
  at: bigint,
  sender: HardhatEthersSigner = ctx.relayer,
): Promise<void> {
  const [id, milestone, values, evidence, signerMask] = args;
  const cut = cutBps(metricsOf(terms), values);
  expect(await ctx.escrow.cutFor(id, values)).to.equal(cut);
  await time.setNextBlockTimestamp(at);
  const tx = await ctx.escrow.connect(sender).postAttestation(...args);
  await expect(tx).to.emit(ctx.escrow, "AttestationPosted").withArgs(id, milestone, cut, values, evidence, signerMask);
  expect(await blockTimeOf(tx)).to.equal(at);
  expect(await infoOf(ctx.escrow, id, milestone)).to.deep.equal([Milestone.Attested, BigInt(cut), at, 0n]);
}

/** An Active agreement with the default terms (2-of-3 oracles, reference metrics) plus `overrides`. */
async function activeAgreement(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint; due: bigint }> {
  const terms = await makeTerms(ctx, overrides);
  const id = await createActive(ctx, terms);
  return { terms, id, due: dueOf(terms, 0) };
}

/** A wallet oracle (ERC-1271) owned by an extra EOA, next to the first two fixture oracles, sorted ascending. */
async function withWalletOracle(ctx: Context) {
  const signers = await ethers.getSigners();
  const owner = signers[9];
  const wallet = await deployWallet(owner);
  const walletAddress = await wallet.getAddress();
  const walletKey: OracleKey = { address: walletAddress, signer: owner };
  const oracles = ascending([walletAddress, ctx.oracles[0].address, ctx.oracles[1].address]);
  return { owner, wallet, walletAddress, walletKey, oracles, walletIndex: oracles.indexOf(walletAddress) };
}

describe("SLAEscrow: attestations", function () {
  describe("postAttestation", function () {
    context("when the agreement has one oracle and a threshold of 1", function () {
      it("should accept that oracle's signature and record the attestation", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx, { oracles: [ctx.oracles[1].address], threshold: 1 });
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[1])]);
        expect(args[4]).to.equal(0b1n);
        await expectAttested(ctx, terms, args, due);
      });
    });

    context("when two of three oracles sign (threshold 2)", function () {
      for (const [i, j] of [
        [0, 1],
        [0, 2],
        [1, 2],
      ]) {
        it(`should accept oracles ${i} and ${j} (mask 0b${((1 << i) | (1 << j)).toString(2).padStart(3, "0")})`, async function () {
          const ctx = await setup();
          const { terms, id, due } = await activeAgreement(ctx);
          const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[i]), eoa(ctx.oracles[j])]);
          expect(args[4]).to.equal(BigInt((1 << i) | (1 << j)));
          await expectAttested(ctx, terms, args, due + 60n);
        });
      }

      it("should accept met values with a cut of 0", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id, 0, MET, [eoa(ctx.oracles[0]), eoa(ctx.oracles[2])]);
        expect(cutBps(metricsOf(terms), MET)).to.equal(0);
        await expectAttested(ctx, terms, args, due);
      });
    });

    context("when three of three oracles sign (threshold 3)", function () {
      it("should accept all three signatures", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx, { threshold: 3 });
        const args = await signedBy(ctx, terms, id, 0, BREACHED, ctx.oracles.map(eoa));
        expect(args[4]).to.equal(0b111n);
        await expectAttested(ctx, terms, args, due);
      });
    });

    context("when an oracle is an ERC-1271 contract wallet", function () {
      it("should accept the wallet owner's EIP-712 signature through ERC-1271 (2-of-3 with an EOA)", async function () {
        const ctx = await setup();
        const w = await withWalletOracle(ctx);
        const { terms, id, due } = await activeAgreement(ctx, { oracles: w.oracles });
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [w.walletKey, eoa(ctx.oracles[0])]);
        const eoaIndex = w.oracles.indexOf(ctx.oracles[0].address);
        expect(args[4]).to.equal((1n << BigInt(w.walletIndex)) | (1n << BigInt(eoaIndex)));
        // The signature is the owner's, so ECDSA recovery alone yields the owner, never the wallet.
        const digest = await ctx.escrow.attestationDigest(id, 0, BREACHED, evidenceOf(id, 0));
        const walletSig = args[5][w.walletIndex < eoaIndex ? 0 : 1];
        expect(ethers.recoverAddress(digest, walletSig)).to.equal(w.owner.address);
        await expectAttested(ctx, terms, args, due);
      });

      it("should accept a wallet that is the only oracle (1-of-1)", async function () {
        const ctx = await setup();
        const w = await withWalletOracle(ctx);
        const { terms, id, due } = await activeAgreement(ctx, { oracles: [w.walletAddress], threshold: 1 });
        const args = await signedBy(ctx, terms, id, 0, MET, [w.walletKey]);
        await expectAttested(ctx, terms, args, due);
      });
    });

    context("when the attestation is relayed by someone who is not an oracle", function () {
      shouldAcceptAnyCaller({
        callers: ["relayer", "stranger", "client", "vendor", "arbitrator"],
        given: async (ctx) => {
          const { terms, id, due } = await activeAgreement(ctx);
          const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
          return { terms, args, due };
        },
        expectAccepted: (ctx, { terms, args, due }, caller) => expectAttested(ctx, terms, args, due, caller),
        it: (role, test) => it(`should accept it from the ${role}`, test),
      });
    });

    context("when the agreement does not exist", function () {
      it("should revert with AgreementNotFound", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id + 1n, 0, MET, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
          .withArgs(id + 1n);
      });
    });

    context("when the agreement is still Proposed", function () {
      it("should revert with AgreementNotActive(id, 1) and leave the milestone Pending", async function () {
        const ctx = await setup();
        const terms = await makeTerms(ctx);
        const id = await create(ctx, terms);
        const args = await signedBy(ctx, terms, id, 0, MET, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await time.setNextBlockTimestamp(dueOf(terms, 0));
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotActive")
          .withArgs(id, Agreement.Proposed);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when the agreement was cancelled", function () {
      it("should revert with AgreementNotActive(id, 3)", async function () {
        const ctx = await setup();
        const terms = await makeTerms(ctx);
        const id = await create(ctx, terms);
        await ctx.escrow.connect(ctx.client).cancel(id);
        const args = await signedBy(ctx, terms, id, 0, MET, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await time.setNextBlockTimestamp(dueOf(terms, 0));
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotActive")
          .withArgs(id, Agreement.Closed);
      });
    });

    context("when the milestone index is out of range", function () {
      it("should revert with MilestoneOutOfRange(id, milestone, count)", async function () {
        const ctx = await setup();
        const { terms, id } = await activeAgreement(ctx);
        for (const m of [3n, 4n, 2n ** 255n]) {
          const args = await signedBy(ctx, terms, id, m, MET, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
          await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
            .to.be.revertedWithCustomError(ctx.escrow, "MilestoneOutOfRange")
            .withArgs(id, m, 3);
        }
      });
    });

    context("when the milestone is not due yet", function () {
      it("should revert with AttestationTooEarly(dueAt) one second before dueAt, and accept it at dueAt", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await time.setNextBlockTimestamp(due - 1n);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "AttestationTooEarly")
          .withArgs(due);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
        await expectAttested(ctx, terms, args, due);
      });

      it("should revert with AttestationTooEarly for a later milestone while an earlier one is due", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id, 1, MET, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "AttestationTooEarly")
          .withArgs(dueOf(terms, 1));
        expect(await infoOf(ctx.escrow, id, 1)).to.deep.equal(PENDING);
      });
    });

    context("when the attestation grace has passed", function () {
      it("should revert with AttestationTooLate(dueAt + attestGrace) one second after the grace", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const deadline = due + BigInt(terms.attestGrace);
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await time.setNextBlockTimestamp(deadline + 1n);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "AttestationTooLate")
          .withArgs(deadline);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should accept it exactly at dueAt + attestGrace", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await expectAttested(ctx, terms, args, due + BigInt(terms.attestGrace));
      });
    });

    context("when the milestone was already attested", function () {
      it("should revert with MilestoneNotPending(id, milestone, 1)", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
        await expectAttested(ctx, terms, args, due);
        const again = await signedBy(ctx, terms, id, 0, MET, [eoa(ctx.oracles[1]), eoa(ctx.oracles[2])]);
        for (const a of [args, again]) {
          await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...a))
            .to.be.revertedWithCustomError(ctx.escrow, "MilestoneNotPending")
            .withArgs(id, 0, Milestone.Attested);
        }
        // The first attestation stands.
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Attested, 4000n, due, 0n]);
      });
    });

    context("when the number of values differs from the number of metrics", function () {
      for (const values of [[], [999_500], [999_500, 250, 7]]) {
        it(`should revert with ValuesLengthMismatch(${values.length}, 2)`, async function () {
          const ctx = await setup();
          const { terms, id, due } = await activeAgreement(ctx);
          const args = await signedBy(ctx, terms, id, 0, values, [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])]);
          await time.setNextBlockTimestamp(due);
          await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
            .to.be.revertedWithCustomError(ctx.escrow, "ValuesLengthMismatch")
            .withArgs(values.length, 2);
          expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
        });
      }
    });

    context("when fewer oracles than the threshold sign", function () {
      it("should revert with ThresholdNotMet(1, 2)", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [eoa(ctx.oracles[2])]);
        expect(args[4]).to.equal(0b100n);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "ThresholdNotMet")
          .withArgs(1, 2);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with ThresholdNotMet(0, 2) for an empty mask", async function () {
        const ctx = await setup();
        const { id, due } = await activeAgreement(ctx);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, MET, evidenceOf(id, 0), 0n, []))
          .to.be.revertedWithCustomError(ctx.escrow, "ThresholdNotMet")
          .withArgs(0, 2);
      });
    });

    context("when the number of signatures differs from the bits in the mask", function () {
      it("should revert with SignatureCountMismatch(1, 2) for one signature under two bits", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const [, , values, evidence, , sigs] = await signedBy(ctx, terms, id, 0, MET, [
          eoa(ctx.oracles[0]),
          eoa(ctx.oracles[1]),
        ]);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, 0b011n, [sigs[0]]))
          .to.be.revertedWithCustomError(ctx.escrow, "SignatureCountMismatch")
          .withArgs(1, 2);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with SignatureCountMismatch(3, 2) for three signatures under two bits", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const [, , values, evidence, , sigs] = await signedBy(ctx, terms, id, 0, MET, ctx.oracles.map(eoa));
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, 0b101n, sigs))
          .to.be.revertedWithCustomError(ctx.escrow, "SignatureCountMismatch")
          .withArgs(3, 2);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when the mask has a bit at or above the number of oracles", function () {
      it("should revert with SignerMaskOutOfRange(mask, 3) for bit 3", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const [, , values, evidence, , sigs] = await signedBy(ctx, terms, id, 0, MET, ctx.oracles.map(eoa));
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, 0b1011n, sigs))
          .to.be.revertedWithCustomError(ctx.escrow, "SignerMaskOutOfRange")
          .withArgs(0b1011n, 3);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with SignerMaskOutOfRange(mask, 1) for bit 1 with a single oracle, and for bit 255", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx, { oracles: [ctx.oracles[0].address], threshold: 1 });
        const [, , values, evidence, , sigs] = await signedBy(ctx, terms, id, 0, MET, [eoa(ctx.oracles[0])]);
        await time.setNextBlockTimestamp(due);
        for (const mask of [0b10n, 0b11n, 1n << 255n]) {
          await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, mask, sigs))
            .to.be.revertedWithCustomError(ctx.escrow, "SignerMaskOutOfRange")
            .withArgs(mask, 1);
        }
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when a signature is not the named oracle's", function () {
      it("should revert with InvalidSignature(1, oracles[1]) for a non-oracle's signature under bit 1", async function () {
        const ctx = await setup();
        const { id, due } = await activeAgreement(ctx);
        const good = await signatureOf(eoa(ctx.oracles[0]), ctx.domain, id, 0, BREACHED);
        const bad = await signatureOf(eoa(ctx.stranger), ctx.domain, id, 0, BREACHED);
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), 0b011n, [good, bad]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, ctx.oracles[1].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with InvalidSignature(0, oracles[0]) for a non-oracle's signature under bit 0", async function () {
        const ctx = await setup();
        const { id, due } = await activeAgreement(ctx);
        const bad = await signatureOf(eoa(ctx.stranger), ctx.domain, id, 0, BREACHED);
        const good = await signatureOf(eoa(ctx.oracles[1]), ctx.domain, id, 0, BREACHED);
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), 0b011n, [bad, good]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with InvalidSignature(0, oracles[0]) for valid signatures in descending order", async function () {
        const ctx = await setup();
        const { id, due } = await activeAgreement(ctx);
        const sig0 = await signatureOf(eoa(ctx.oracles[0]), ctx.domain, id, 0, BREACHED);
        const sig1 = await signatureOf(eoa(ctx.oracles[1]), ctx.domain, id, 0, BREACHED);
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), 0b011n, [sig1, sig0]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with InvalidSignature(1, oracles[1]) for oracle 0's signature under bits 0 and 1", async function () {
        const ctx = await setup();
        const { id, due } = await activeAgreement(ctx);
        const sig0 = await signatureOf(eoa(ctx.oracles[0]), ctx.domain, id, 0, BREACHED);
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), 0b011n, [sig0, sig0]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, ctx.oracles[1].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when a signature is the high-s (malleable) twin of a valid one", function () {
      it("should revert with InvalidSignature although ecrecover itself would accept it", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const [, , values, evidence, mask, sigs] = await signedBy(ctx, terms, id, 0, BREACHED, [
          eoa(ctx.oracles[0]),
          eoa(ctx.oracles[1]),
        ]);
        const digest = await ctx.escrow.attestationDigest(id, 0, values, evidence);
        const twin0 = highS(sigs[0]);
        const twin1 = highS(sigs[1]);
        // The twins are mathematically valid: the raw precompile recovers the same oracles.
        expect(await ecrecoverPrecompile(digest, twin0)).to.equal(ctx.oracles[0].address);
        expect(await ecrecoverPrecompile(digest, twin1)).to.equal(ctx.oracles[1].address);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, mask, [twin0, sigs[1]]))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, mask, [sigs[0], twin1]))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, ctx.oracles[1].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when a signature was made for another message", function () {
      it("should revert with InvalidSignature for signatures of another agreement id (valid on that agreement)", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const other = await createActive(ctx, terms);
        const keys = [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])];
        const evidence = evidenceOf(id, 0);
        const [, , , , mask, sigs] = await signedBy(ctx, terms, other, 0, BREACHED, keys, evidence);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidence, mask, sigs))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
        // The same signatures are good for the agreement they were made for.
        await expectAttested(ctx, terms, [other, 0n, BREACHED, evidence, mask, sigs], due + 1n);
      });

      it("should revert with InvalidSignature(1, oracles[1]) when oracle 1 signed another milestone", async function () {
        const ctx = await setup();
        const { id, due } = await activeAgreement(ctx);
        const evidence = evidenceOf(id, 0);
        const sig0 = await signatureOf(eoa(ctx.oracles[0]), ctx.domain, id, 0, BREACHED, evidence);
        const sig1 = await signatureOf(eoa(ctx.oracles[1]), ctx.domain, id, 1, BREACHED, evidence);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidence, 0b011n, [sig0, sig1]))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, ctx.oracles[1].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with InvalidSignature for signatures of other values", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const [, , , evidence, mask, sigs] = await signedBy(ctx, terms, id, 0, MET, [
          eoa(ctx.oracles[0]),
          eoa(ctx.oracles[2]),
        ]);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidence, mask, sigs))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        // Only one value differs by one unit.
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, [MET[0], MET[1] + 1], evidence, mask, sigs))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with InvalidSignature for signatures of other evidence", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const [, , values, , mask, sigs] = await signedBy(
          ctx,
          terms,
          id,
          0,
          BREACHED,
          [eoa(ctx.oracles[1]), eoa(ctx.oracles[2])],
          ethers.id("the report the oracles signed"),
        );
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, ethers.id("another report"), mask, sigs),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, ctx.oracles[1].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when a signature was made for another EIP-712 domain", function () {
      it("should revert with InvalidSignature for a signature for chain id 1", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const domain = { ...ctx.domain, chainId: 1n };
        const keys = [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])];
        const args = await signedBy(ctx, terms, id, 0, BREACHED, keys, evidenceOf(id, 0), domain);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });

      it("should revert with InvalidSignature for a signature for another SLAEscrow", async function () {
        const ctx = await setup();
        const { terms, id, due } = await activeAgreement(ctx);
        const other = await (await ethers.getContractFactory("SLAEscrow")).deploy();
        const otherDomain = await readDomain(other);
        expect(otherDomain.verifyingContract).to.equal(await other.getAddress());
        expect(otherDomain.verifyingContract).to.not.equal(ctx.escrowAddress);
        const keys = [eoa(ctx.oracles[0]), eoa(ctx.oracles[1])];
        const args = await signedBy(ctx, terms, id, 0, BREACHED, keys, evidenceOf(id, 0), otherDomain);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, ctx.oracles[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when an ERC-1271 oracle's wallet revokes its signatures", function () {
      it("should revert with InvalidSignature(index, wallet), then accept after un-revoking", async function () {
        const ctx = await setup();
        const w = await withWalletOracle(ctx);
        const { terms, id, due } = await activeAgreement(ctx, { oracles: w.oracles });
        const eoaIndex = w.oracles.indexOf(ctx.oracles[1].address);
        const args = await signedBy(ctx, terms, id, 0, BREACHED, [w.walletKey, eoa(ctx.oracles[1])]);
        expect(args[4]).to.equal((1n << BigInt(w.walletIndex)) | (1n << BigInt(eoaIndex)));
        await w.wallet.connect(w.owner).setRevoked(true);
        await time.setNextBlockTimestamp(due);
        await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(w.walletIndex, w.walletAddress);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
        await w.wallet.connect(w.owner).setRevoked(false);
        await expectAttested(ctx, terms, args, due + 10n);
      });
    });

    context("when a signature is malformed", function () {
      const cases: { name: string; make: (valid: string) => string }[] = [
        {
          name: "the 64-byte (ERC-2098 compact) form of a valid signature",
          make: (s) => ethers.Signature.from(s).compactSerialized,
        },
        { name: "a valid signature truncated to 64 bytes", make: (s) => ethers.dataSlice(s, 0, 64) },
        { name: "a valid signature with one extra byte", make: (s) => ethers.concat([s, "0x00"]) },
        { name: "65 bytes of garbage", make: () => "0x" + "ab".repeat(65) },
        { name: "a 65-byte signature with v = 0", make: (s) => ethers.concat([ethers.dataSlice(s, 0, 64), "0x00"]) },
        { name: "an empty signature", make: () => "0x" },
      ];
      for (const c of cases) {
        it(`should revert with InvalidSignature for ${c.name}`, async function () {
          const ctx = await setup();
          const { terms, id, due } = await activeAgreement(ctx);
          const [, , values, evidence, mask, sigs] = await signedBy(ctx, terms, id, 0, BREACHED, [
            eoa(ctx.oracles[0]),
            eoa(ctx.oracles[1]),
          ]);
          await time.setNextBlockTimestamp(due);
          await expect(
            ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, values, evidence, mask, [sigs[0], c.make(sigs[1])]),
          )
            .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
            .withArgs(1, ctx.oracles[1].address);
          expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
        });
      }

      it("should revert with InvalidSignature for garbage from an ERC-1271 oracle", async function () {
        const ctx = await setup();
        const w = await withWalletOracle(ctx);
        const { id, due } = await activeAgreement(ctx, { oracles: [w.walletAddress], threshold: 1 });
        await time.setNextBlockTimestamp(due);
        await expect(
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, MET, evidenceOf(id, 0), 1n, ["0x" + "cd".repeat(64)]),
        )
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, w.walletAddress);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });
  });

  describe("cutFor", function () {
    context("when the values fit the agreement's metrics", function () {
      it("should equal scripts/lib/penalty.ts cutBps for met, breached, boundary and extreme values", async function () {
        const ctx = await setup();
        const terms = await makeTerms(ctx);
        const id = await create(ctx, terms); // a Proposed agreement has a cut too
        const cases: [number[], number][] = [
          [MET, 0],
          [BREACHED, 4000],
          [[999_000, 300], 0], // on a threshold is not a breach
          [[998_999, 301], 1500],
          [[995_000, 500], 1000 + 500],
          [[0, 4_294_967_295], 5000 + 3000],
          [[4_294_967_295, 0], 0],
        ];
        for (const [values, expected] of cases) {
          expect(cutBps(metricsOf(terms), values)).to.equal(expected);
          expect(await ctx.escrow.cutFor(id, values)).to.equal(expected);
        }
      });

      it("should cap the sum of metric cuts at 10000, like penalty.ts", async function () {
        const ctx = await setup();
        const { terms, id } = await activeAgreement(ctx, {
          metrics: [
            { higherIsBetter: true, tiers: [{ threshold: 100, cutBps: 7000 }] },
            {
              higherIsBetter: false,
              tiers: [
                { threshold: 100, cutBps: 6000 },
                { threshold: 50, cutBps: 4000 },
              ],
            },
          ],
        });
        for (const values of [
          [0, 1000],
          [99, 101],
          [100, 101],
          [99, 75],
          [100, 100],
        ]) {
          const expected = cutBps(metricsOf(terms), values);
          expect(await ctx.escrow.cutFor(id, values)).to.equal(expected);
        }
        expect(await ctx.escrow.cutFor(id, [0, 1000])).to.equal(10_000);
        expect(await ctx.escrow.cutFor(id, [99, 75])).to.equal(10_000);
        expect(await ctx.escrow.cutFor(id, [100, 75])).to.equal(4000);
      });
    });

    context("when the number of values differs from the number of metrics", function () {
      it("should revert with ValuesLengthMismatch(length, expected)", async function () {
        const ctx = await setup();
        const { id } = await activeAgreement(ctx);
        for (const values of [[], [1], [1, 2, 3]]) {
          await expect(ctx.escrow.cutFor(id, values))
            .to.be.revertedWithCustomError(ctx.escrow, "ValuesLengthMismatch")
            .withArgs(values.length, 2);
        }
      });
    });

    context("when the agreement does not exist", function () {
      it("should revert with AgreementNotFound(id)", async function () {
        const ctx = await setup();
        const { id } = await activeAgreement(ctx);
        for (const unknown of [0n, id + 1n, 42n]) {
          await expect(ctx.escrow.cutFor(unknown, MET))
            .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
            .withArgs(unknown);
        }
      });
    });
  });

  describe("attestationDigest", function () {
    context("when read from the escrow", function () {
      it("should use the domain SLAEscrow / 1 / 31337 / the escrow (ERC-5267)", async function () {
        const ctx = await setup();
        const d = await ctx.escrow.eip712Domain();
        expect(d.fields).to.equal("0x0f");
        expect(d.name).to.equal("SLAEscrow");
        expect(d.version).to.equal("1");
        expect(d.chainId).to.equal(31337n);
        expect(d.verifyingContract).to.equal(ctx.escrowAddress);
        expect(d.salt).to.equal(ethers.ZeroHash);
        expect(d.extensions).to.deep.equal([]);
        const domain = await readDomain(ctx.escrow);
        expect(domain).to.deep.equal({
          name: "SLAEscrow",
          version: "1",
          chainId: 31337n,
          verifyingContract: ctx.escrowAddress,
        });
        expect(ctx.domain).to.deep.equal(domain);
      });

      it("should equal scripts/lib/attestation.ts attestationDigest for any id, milestone, values and evidence", async function () {
        const ctx = await setup();
        const cases: [bigint, bigint, number[], string][] = [
          [1n, 0n, MET, ethers.id("a")],
          [1n, 1n, MET, ethers.id("a")],
          [2n, 0n, MET, ethers.id("a")],
          [1n, 0n, BREACHED, ethers.id("a")],
          [1n, 0n, MET, ethers.id("b")],
          [7n, 127n, [], ethers.ZeroHash],
          [2n ** 256n - 1n, 2n ** 256n - 1n, [0, 4_294_967_295, 1, 2, 3, 4, 5, 6], ethers.id("max")],
        ];
        const digests = new Set<string>();
        for (const [id, m, values, evidence] of cases) {
          const onChain = await ctx.escrow.attestationDigest(id, m, values, evidence);
          expect(onChain).to.equal(attestationDigest(ctx.domain, { agreementId: id, milestone: m, values, evidence }));
          digests.add(onChain);
        }
        expect(digests.size).to.equal(cases.length);
      });

      it("should be the digest the oracles sign (recovers each oracle)", async function () {
        const ctx = await setup();
        const { terms, id } = await activeAgreement(ctx);
        const [, , values, evidence, , sigs] = await signedBy(ctx, terms, id, 2, BREACHED, ctx.oracles.map(eoa));
        const digest = await ctx.escrow.attestationDigest(id, 2, values, evidence);
        expect(sigs.map((s) => ethers.recoverAddress(digest, s))).to.deep.equal(ctx.oracles.map((o) => o.address));
      });

      it("should differ between escrows and chains", async function () {
        const ctx = await setup();
        const other = await (await ethers.getContractFactory("SLAEscrow")).deploy();
        const a = { agreementId: 1n, milestone: 0n, values: MET, evidence: ethers.id("r") };
        const here = await ctx.escrow.attestationDigest(1n, 0n, MET, a.evidence);
        const there = await other.attestationDigest(1n, 0n, MET, a.evidence);
        expect(there).to.equal(attestationDigest(await readDomain(other), a));
        expect(there).to.not.equal(here);
        expect(attestationDigest({ ...ctx.domain, chainId: 1n }, a)).to.not.equal(here);
      });
    });
  });
});
