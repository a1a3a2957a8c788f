/**
 * Trust assumptions outside the escrow's control (SECURITY.md, "no test yet" rows): ERC-1271 oracle wallets that
 * share one owner key, rebasing tokens and tokens that start charging a fee after funding (both unsupported), and
 * blocklisting tokens (USDC/USDT-style). These tests show
 * what the escrow does, not a defence: it counts oracle addresses, credits nominal amounts and never pushes tokens.
 */
import { compareAddresses } from "../scripts/lib/model";
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type {
  ISLAEscrow,
  MockBlocklistToken,
  MockERC1271Wallet,
  MockLateFeeToken,
  MockRebasingToken,
  MockSafeMessageWallet,
} from "../typechain-types";
import { cutBps, split } from "../scripts/lib/penalty";
import {
  BREACHED,
  type Context,
  DAY,
  ETH,
  Milestone,
  Settlement,
  UNIT,
  attestAt,
  createActive,
  makeTerms,
  setup,
  totalOf,
} from "./helpers/fixture";
import {
  type OracleKey,
  ascending,
  deployWallet,
  dueOf,
  evidenceOf,
  infoOf,
  metricsOf,
  signatureOf,
} from "./helpers/attestation";
import { expectNothingChanged } from "./helpers/lifecycle";

const PENDING = [Milestone.Pending, 0n, 0n, 0n];

/** One milestone of 1000 units; BREACHED values give a cut of 4000 bps: 600 to the vendor, 400 to the client. */
const AMOUNT = 1000n * UNIT;
const CUT = 4000n;
const TO_VENDOR = 600n * UNIT;
const TO_CLIENT = 400n * UNIT;

/** Terms paid in `token`: one milestone of AMOUNT due in 30 days, no arbitrator (so it settles once attested). */
async function oneMilestone(
  ctx: Context,
  token: string,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<ISLAEscrow.TermsStruct> {
  const now = BigInt(await time.latest());
  return makeTerms(ctx, {
    token,
    arbitrator: ETH,
    milestones: [{ amount: AMOUNT, dueAt: now + 30n * BigInt(DAY) }],
    ...overrides,
  });
}

/** `terms.client` approves and creates; checks that the escrow received exactly the total. Returns the id. */
async function fund(ctx: Context, terms: ISLAEscrow.TermsStruct): Promise<bigint> {
  const payer = await ethers.getSigner(terms.client as string);
  const token = await ethers.getContractAt("IERC20", terms.token as string);
  const total = totalOf(terms);
  await token.connect(payer).approve(ctx.escrowAddress, total);
  const id = await ctx.escrow.connect(payer).createAgreement.staticCall(terms);
  const tx = ctx.escrow.connect(payer).createAgreement(terms);
  await expect(tx).to.emit(ctx.escrow, "AgreementCreated");
  await expect(tx).to.changeTokenBalances(token, [ctx.escrow, payer], [total, -total]);
  return id;
}

/** The vendor accepts, two oracles attest BREACHED at the due time and the relayer settles: 600 / 400 credited. */
async function acceptAttestSettle(ctx: Context, terms: ISLAEscrow.TermsStruct, id: bigint): Promise<void> {
  expect(cutBps(metricsOf(terms), BREACHED)).to.equal(Number(CUT));
  expect(split(AMOUNT, Number(CUT))).to.deep.equal({ toVendor: TO_VENDOR, toClient: TO_CLIENT });
  await expect(ctx.escrow.connect(ctx.vendor).accept(id)).to.emit(ctx.escrow, "AgreementAccepted").withArgs(id);
  await attestAt(ctx, terms, id, 0, BREACHED);
  await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
    .to.emit(ctx.escrow, "MilestoneSettled")
    .withArgs(id, 0, Settlement.Attested, CUT, TO_VENDOR, TO_CLIENT);
}

/** `account` withdraws its whole credit of `token` to `to`: exactly `amount` leaves the escrow and reaches `to`. */
async function expectWithdraw(
  ctx: Context,
  token: MockRebasingToken | MockBlocklistToken,
  account: HardhatEthersSigner,
  to: string,
  amount: bigint,
): Promise<void> {
  const tokenAddress = await token.getAddress();
  expect(await ctx.escrow.balanceOf(account.address, tokenAddress)).to.equal(amount);
  const tx = ctx.escrow.connect(account).withdraw(tokenAddress, to);
  await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(account.address, tokenAddress, to, amount);
  await expect(tx).to.changeTokenBalances(token, [ctx.escrow, to], [-amount, amount]);
  expect(await ctx.escrow.balanceOf(account.address, tokenAddress)).to.equal(0n);
}

/** Expects NothingToWithdraw(account, token) for each account. */
async function expectNothingToWithdraw(ctx: Context, token: string, accounts: HardhatEthersSigner[]): Promise<void> {
  for (const account of accounts) {
    await expect(ctx.escrow.connect(account).withdraw(token, account.address))
      .to.be.revertedWithCustomError(ctx.escrow, "NothingToWithdraw")
      .withArgs(account.address, token);
  }
}

/*//////////////////////////////////////////////////////////////
                 ERC-1271 WALLETS WITH ONE OWNER
//////////////////////////////////////////////////////////////*/

interface SharedWallet {
  address: string;
  wallet: MockERC1271Wallet;
  /** The wallet as an oracle, signed for by the shared owner key. */
  key: OracleKey;
}

/** Two MockERC1271Wallets owned by the same EOA, ascending by address. */
async function twoWalletsOneOwner(): Promise<{ owner: HardhatEthersSigner; wallets: SharedWallet[] }> {
  const owner = (await ethers.getSigners())[9];
  const deployed = await Promise.all([deployWallet(owner), deployWallet(owner)]);
  const wallets = await Promise.all(
    deployed.map(async (wallet) => {
      const address = await wallet.getAddress();
      return { address, wallet, key: { address, signer: owner } };
    }),
  );
  wallets.sort((a, b) => compareAddresses(a.address, b.address));
  expect(await wallets[0].wallet.OWNER()).to.equal(owner.address);
  expect(await wallets[1].wallet.OWNER()).to.equal(owner.address);
  return { owner, wallets };
}

function bit(index: number): bigint {
  return 1n << BigInt(index);
}

/** Posts at exactly `at` and checks the event (cut 4000 for BREACHED) and the recorded milestone. */
async function expectAttestedAt(
  ctx: Context,
  id: bigint,
  mask: bigint,
  signatures: string[],
  at: bigint,
): Promise<void> {
  const evidence = evidenceOf(id, 0);
  await time.setNextBlockTimestamp(at);
  await expect(ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidence, mask, signatures))
    .to.emit(ctx.escrow, "AttestationPosted")
    .withArgs(id, 0, CUT, BREACHED, evidence, mask);
  expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal([Milestone.Attested, CUT, at, 0n]);
}

/** The EIP-712 types of Safe's SafeMessage (the domain has only chainId and verifyingContract). */
const SAFE_MESSAGE_TYPES = { SafeMessage: [{ name: "message", type: "bytes" }] };

describe("SLAEscrow: oracle wallets and tokens outside the escrow's control", function () {
  describe("ERC-1271 oracle wallets that share one owner key", function () {
    context("when two wallets of the same owner are two of three oracles (threshold 2)", function () {
      it("should count the owner's single signature once per wallet bit: one key meets the 2-of-3 quorum alone (the escrow counts oracle addresses, not keys; a trust assumption for clients)", async function () {
        const ctx = await setup();
        const { owner, wallets } = await twoWalletsOneOwner();
        const honest = ctx.oracles[0].address;
        const oracles = ascending([wallets[0].address, wallets[1].address, honest]);
        const terms = await makeTerms(ctx, { oracles, threshold: 2 });
        const id = await createActive(ctx, terms);
        const i0 = oracles.indexOf(wallets[0].address);
        const i1 = oracles.indexOf(wallets[1].address);
        // One signature by the owner key; neither the owner nor its key is an oracle.
        const sig = await signatureOf(wallets[0].key, ctx.domain, id, 0, BREACHED);
        expect(await signatureOf(wallets[1].key, ctx.domain, id, 0, BREACHED)).to.equal(sig);
        const digest = await ctx.escrow.attestationDigest(id, 0, BREACHED, evidenceOf(id, 0));
        expect(ethers.recoverAddress(digest, sig)).to.equal(owner.address);
        expect(oracles).to.not.include(owner.address);
        // The same bytes under both wallet bits: each wallet says yes through ERC-1271, so they count twice.
        const mask = bit(i0) | bit(i1);
        await expectAttestedAt(ctx, id, mask, [sig, sig], dueOf(terms, 0));
      });

      it("should never count one wallet twice: ThresholdNotMet(1, 2) for its bit alone, SignatureCountMismatch(2, 1) for its signature twice under one bit, InvalidSignature(index, oracle) under an EOA oracle's bit", async function () {
        const ctx = await setup();
        const { wallets } = await twoWalletsOneOwner();
        const honest = ctx.oracles[0].address;
        const oracles = ascending([wallets[0].address, wallets[1].address, honest]);
        const terms = await makeTerms(ctx, { oracles, threshold: 2 });
        const id = await createActive(ctx, terms);
        const iw = oracles.indexOf(wallets[0].address);
        const ie = oracles.indexOf(honest);
        const sig = await signatureOf(wallets[0].key, ctx.domain, id, 0, BREACHED);
        const post = (mask: bigint, signatures: string[]) =>
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), mask, signatures);
        await time.setNextBlockTimestamp(dueOf(terms, 0));
        // A mask has one bit per oracle: one wallet is one signer, whatever the signatures.
        await expect(post(bit(iw), [sig]))
          .to.be.revertedWithCustomError(ctx.escrow, "ThresholdNotMet")
          .withArgs(1, 2);
        await expect(post(bit(iw), [sig, sig]))
          .to.be.revertedWithCustomError(ctx.escrow, "SignatureCountMismatch")
          .withArgs(2, 1);
        // The owner's signature is not the honest EOA oracle's.
        await expect(post(bit(iw) | bit(ie), [sig, sig]))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(ie, honest);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
      });
    });

    context("when two wallets of the same owner are the only oracles (2-of-2) and one revokes", function () {
      it("should revert with InvalidSignature(index, wallet) for whichever wallet revoked, and accept the same signature once neither is revoked", async function () {
        const ctx = await setup();
        const { owner, wallets } = await twoWalletsOneOwner();
        const terms = await makeTerms(ctx, { oracles: wallets.map((w) => w.address), threshold: 2 });
        const id = await createActive(ctx, terms);
        const due = dueOf(terms, 0);
        const sig = await signatureOf(wallets[0].key, ctx.domain, id, 0, BREACHED);
        const post = () =>
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), 0b11n, [sig, sig]);

        await wallets[0].wallet.connect(owner).setRevoked(true);
        await time.setNextBlockTimestamp(due);
        await expect(post())
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, wallets[0].address);

        await wallets[0].wallet.connect(owner).setRevoked(false);
        await wallets[1].wallet.connect(owner).setRevoked(true);
        await expect(post())
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, wallets[1].address);

        await wallets[0].wallet.connect(owner).setRevoked(true);
        await expect(post())
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, wallets[0].address);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);

        await wallets[0].wallet.connect(owner).setRevoked(false);
        await wallets[1].wallet.connect(owner).setRevoked(false);
        await expectAttestedAt(ctx, id, 0b11n, [sig, sig], due + 100n);
      });
    });

    context("when the wallets bind their own address into the signed hash (Safe's SafeMessage)", function () {
      it("should refuse one wallet's signature under the other wallet's bit with InvalidSignature(index, wallet), yet accept one signature per wallet by the same key (binding stops replay, not one key holding two oracles)", async function () {
        const ctx = await setup();
        const owner = (await ethers.getSigners())[9];
        const deployed: MockSafeMessageWallet[] = await Promise.all(
          [0, 1].map(() => ethers.deployContract("MockSafeMessageWallet", [owner.address])),
        );
        const byAddress = new Map<string, MockSafeMessageWallet>();
        for (const w of deployed) byAddress.set(await w.getAddress(), w);
        const oracles = ascending([...byAddress.keys()]);
        const terms = await makeTerms(ctx, { oracles, threshold: 2 });
        const id = await createActive(ctx, terms);
        const digest = await ctx.escrow.attestationDigest(id, 0, BREACHED, evidenceOf(id, 0));
        // The owner signs the attestation digest wrapped for one wallet (what a Safe owner signs).
        const sigFor = async (wallet: string): Promise<string> => {
          const domain = { chainId: ctx.domain.chainId, verifyingContract: wallet };
          const message = { message: digest };
          const onChain = await byAddress.get(wallet)!.messageHash(digest);
          expect(ethers.TypedDataEncoder.hash(domain, SAFE_MESSAGE_TYPES, message)).to.equal(onChain);
          return owner.signTypedData(domain, SAFE_MESSAGE_TYPES, message);
        };
        const sig0 = await sigFor(oracles[0]);
        const sig1 = await sigFor(oracles[1]);
        expect(sig0).to.not.equal(sig1);
        const post = (signatures: string[]) =>
          ctx.escrow.connect(ctx.relayer).postAttestation(id, 0, BREACHED, evidenceOf(id, 0), 0b11n, signatures);
        await time.setNextBlockTimestamp(dueOf(terms, 0));
        await expect(post([sig0, sig0]))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(1, oracles[1]);
        await expect(post([sig1, sig1]))
          .to.be.revertedWithCustomError(ctx.escrow, "InvalidSignature")
          .withArgs(0, oracles[0]);
        expect(await infoOf(ctx.escrow, id, 0)).to.deep.equal(PENDING);
        await expectAttestedAt(ctx, id, 0b11n, [sig0, sig1], dueOf(terms, 0) + 100n);
      });
    });
  });

  /*//////////////////////////////////////////////////////////////
                        REBASING TOKEN
  //////////////////////////////////////////////////////////////*/

  describe("rebasing token (unsupported)", function () {
    /**
     * Two agreements in one rebasing token, 1000 units each: agreement 1 (client -> vendor) and agreement 2 (the
     * stranger as a second client -> vendor). Right after both are funded, every balance is scaled by
     * `numerator / denominator`. Then agreement 1 settles BREACHED (600 to the vendor, 400 to the client) and the
     * stranger cancels agreement 2 (1000 back): the escrow owes 2000 in nominal units.
     */
    async function twoAgreementsThenRebase(
      ctx: Context,
      numerator: bigint,
      denominator: bigint,
    ): Promise<{ token: MockRebasingToken; tokenAddress: string; id1: bigint; id2: bigint }> {
      const token = await ethers.deployContract("MockRebasingToken");
      const tokenAddress = await token.getAddress();
      const terms1 = await oneMilestone(ctx, tokenAddress);
      const terms2 = await oneMilestone(ctx, tokenAddress, { client: ctx.stranger.address });
      await token.mint(ctx.client.address, AMOUNT);
      await token.mint(ctx.stranger.address, AMOUNT);
      // Funding is exact at the index of the moment: nothing at creation tells the token rebases.
      const id1 = await fund(ctx, terms1);
      const id2 = await fund(ctx, terms2);
      expect(await token.balanceOf(ctx.escrowAddress)).to.equal(2n * AMOUNT);

      const index = await token.index();
      await expect(token.connect(ctx.relayer).rebase(numerator, denominator))
        .to.emit(token, "Rebased")
        .withArgs(index, (index * numerator) / denominator);
      expect(await token.balanceOf(ctx.escrowAddress)).to.equal((2n * AMOUNT * numerator) / denominator);

      await acceptAttestSettle(ctx, terms1, id1);
      await expect(ctx.escrow.connect(ctx.stranger).cancel(id2))
        .to.emit(ctx.escrow, "AgreementCancelled")
        .withArgs(id2, AMOUNT);
      // Credits are nominal: the rebase changed none of them.
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(TO_VENDOR);
      expect(await ctx.escrow.balanceOf(ctx.client.address, tokenAddress)).to.equal(TO_CLIENT);
      expect(await ctx.escrow.balanceOf(ctx.stranger.address, tokenAddress)).to.equal(AMOUNT);
      return { token, tokenAddress, id1, id2 };
    }

    context("when a negative rebase (x 4/5) shrinks the escrow's balance after funding", function () {
      it("should pay the first withdrawers in full and revert the last with the token's ERC20InsufficientBalance(escrow, 200, 600): the 400-unit loss is not socialised, it falls on whoever withdraws last, across agreements", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await twoAgreementsThenRebase(ctx, 4n, 5n);
        // Owed 600 + 400 + 1000 = 2000; held 1600.
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(1600n * UNIT);

        await expectWithdraw(ctx, token, ctx.client, ctx.client.address, TO_CLIENT);
        await expectWithdraw(ctx, token, ctx.stranger, ctx.stranger.address, AMOUNT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(200n * UNIT);

        for (const to of [ctx.vendor.address, ctx.relayer.address]) {
          await expectNothingChanged(
            ctx,
            async () => {
              await expect(ctx.escrow.connect(ctx.vendor).withdraw(tokenAddress, to))
                .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
                .withArgs(ctx.escrowAddress, 200n * UNIT, TO_VENDOR);
            },
            [tokenAddress],
            [ctx.stranger.address, ctx.relayer.address],
          );
        }
        // The vendor is still owed its 600; the escrow holds 200 of them.
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(TO_VENDOR);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(200n * UNIT);
      });

      it("should let a later agreement's deposit pay that shortfall: the vendor is paid its 600 out of the next client's 1000, whose refund then reverts with ERC20InsufficientBalance(escrow, 600, 1000)", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await twoAgreementsThenRebase(ctx, 4n, 5n);
        await expectWithdraw(ctx, token, ctx.client, ctx.client.address, TO_CLIENT);
        await expectWithdraw(ctx, token, ctx.stranger, ctx.stranger.address, AMOUNT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(200n * UNIT);

        // A later client, unaware of the rebase, funds a new agreement in the same token (accepted: exact pull).
        const later = ctx.deployer;
        await token.mint(later.address, AMOUNT);
        const terms3 = await oneMilestone(ctx, tokenAddress, { client: later.address });
        const id3 = await fund(ctx, terms3);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(1200n * UNIT);

        // The vendor of agreement 1 is paid in full: 200 left from before, 400 from agreement 3's deposit.
        await expectWithdraw(ctx, token, ctx.vendor, ctx.vendor.address, TO_VENDOR);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(600n * UNIT);

        await expect(ctx.escrow.connect(later).cancel(id3))
          .to.emit(ctx.escrow, "AgreementCancelled")
          .withArgs(id3, AMOUNT);
        await expectNothingChanged(
          ctx,
          async () => {
            await expect(ctx.escrow.connect(later).withdraw(tokenAddress, later.address))
              .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
              .withArgs(ctx.escrowAddress, 600n * UNIT, AMOUNT);
          },
          [tokenAddress],
          [later.address],
        );
        expect(await ctx.escrow.balanceOf(later.address, tokenAddress)).to.equal(AMOUNT);
      });
    });

    context("when a positive rebase (x 5/4) grows the escrow's balance after funding", function () {
      it("should pay every party exactly its credit, no more, and keep the 500-unit gain in the escrow where nobody can withdraw it", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await twoAgreementsThenRebase(ctx, 5n, 4n);
        // Owed 2000; held 2500.
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(2500n * UNIT);

        await expectWithdraw(ctx, token, ctx.vendor, ctx.vendor.address, TO_VENDOR);
        await expectWithdraw(ctx, token, ctx.client, ctx.client.address, TO_CLIENT);
        await expectWithdraw(ctx, token, ctx.stranger, ctx.stranger.address, AMOUNT);

        const gain = 2500n * UNIT - 2n * AMOUNT;
        expect(gain).to.equal(500n * UNIT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(gain);
        await expectNothingToWithdraw(ctx, tokenAddress, [
          ctx.vendor,
          ctx.client,
          ctx.stranger,
          ctx.deployer,
          ctx.relayer,
        ]);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(gain);
      });
    });
  });

  /*//////////////////////////////////////////////////////////////
                       BLOCKLISTING TOKEN
  //////////////////////////////////////////////////////////////*/

  /*//////////////////////////////////////////////////////////////
              TOKEN THAT STARTS CHARGING A FEE LATER
  //////////////////////////////////////////////////////////////*/

  // Issue 11, finding 5: only creation can check what arrives; a token that starts charging a fee on transfers
  // after funding is unsupported, like a rebasing one.
  describe("token that starts charging a fee on transfers after funding (unsupported)", function () {
    /** One agreement in a MockLateFeeToken, funded fee-free, settled BREACHED (600 / 400); then a 1% fee. */
    async function settledThenFee(
      ctx: Context,
      onTop: boolean,
    ): Promise<{ token: MockLateFeeToken; tokenAddress: string }> {
      const token = await ethers.deployContract("MockLateFeeToken");
      const tokenAddress = await token.getAddress();
      const terms = await oneMilestone(ctx, tokenAddress);
      await token.mint(ctx.client.address, AMOUNT);
      const id = await fund(ctx, terms); // exact: no fee yet
      await acceptAttestSettle(ctx, terms, id);
      await token.setFee(100n, onTop);
      expect(await token.balanceOf(ctx.escrowAddress)).to.equal(AMOUNT);
      return { token, tokenAddress };
    }

    context("when the fee is taken from the amount sent (the recipient gets less)", function () {
      it("should pay the vendor's 600-unit withdrawal as 594 (the token keeps 6) and zero its credit: after creation the escrow cannot check what arrives", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await settledThenFee(ctx, false);
        const tx = ctx.escrow.connect(ctx.vendor).withdraw(tokenAddress, ctx.vendor.address);
        await expect(tx)
          .to.emit(ctx.escrow, "Withdrawn")
          .withArgs(ctx.vendor.address, tokenAddress, ctx.vendor.address, TO_VENDOR);
        await expect(tx).to.changeTokenBalances(token, [ctx.escrow, ctx.vendor], [-TO_VENDOR, 594n * UNIT]);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(0n);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(TO_CLIENT);
      });

      it("should refuse new funding in that token with FeeOnTransferToken(token, 1000, 990): only creation checks what arrives", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await settledThenFee(ctx, false);
        const later = ctx.deployer;
        await token.mint(later.address, AMOUNT);
        const terms = await oneMilestone(ctx, tokenAddress, { client: later.address });
        await token.connect(later).approve(ctx.escrowAddress, AMOUNT);
        await expectNothingChanged(
          ctx,
          async () => {
            await expect(ctx.escrow.connect(later).createAgreement(terms))
              .to.be.revertedWithCustomError(ctx.escrow, "FeeOnTransferToken")
              .withArgs(tokenAddress, AMOUNT, 990n * UNIT);
          },
          [tokenAddress],
          [later.address],
        );
        expect(await ctx.escrow.agreementStatus(2n)).to.equal(0n);
      });
    });

    context("when the fee is charged to the sender on top (the escrow pays more than it owes)", function () {
      it("should leave the escrow short: the vendor's 600 cost it 606, and the client's 400 refund then reverts with ERC20InsufficientBalance(escrow, 394, 400)", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await settledThenFee(ctx, true);
        const tx = ctx.escrow.connect(ctx.vendor).withdraw(tokenAddress, ctx.vendor.address);
        await expect(tx)
          .to.emit(ctx.escrow, "Withdrawn")
          .withArgs(ctx.vendor.address, tokenAddress, ctx.vendor.address, TO_VENDOR);
        await expect(tx).to.changeTokenBalances(token, [ctx.escrow, ctx.vendor], [-606n * UNIT, TO_VENDOR]);
        await expectNothingChanged(ctx, async () => {
          await expect(ctx.escrow.connect(ctx.client).withdraw(tokenAddress, ctx.client.address))
            .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
            .withArgs(ctx.escrowAddress, 394n * UNIT, TO_CLIENT);
        }, [tokenAddress]);
        expect(await ctx.escrow.balanceOf(ctx.client.address, tokenAddress)).to.equal(TO_CLIENT);
      });

      it("should even accept new funding in that token, since exactly the amount arrives (the client pays 1010): creation cannot see a fee charged to the sender", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await settledThenFee(ctx, true);
        const later = ctx.deployer;
        await token.mint(later.address, AMOUNT + 10n * UNIT);
        const terms = await oneMilestone(ctx, tokenAddress, { client: later.address });
        await token.connect(later).approve(ctx.escrowAddress, AMOUNT);
        const tx = ctx.escrow.connect(later).createAgreement(terms);
        await expect(tx)
          .to.emit(ctx.escrow, "AgreementCreated")
          .withArgs(2n, later.address, ctx.vendor.address, anyValue);
        await expect(tx).to.changeTokenBalances(token, [ctx.escrow, later], [AMOUNT, -(AMOUNT + 10n * UNIT)]);
      });
    });
  });

  describe("blocklisting token (USDC/USDT-style)", function () {
    /** One agreement of 1000 units in a blocklisting token, funded by the client; `blockAfterFunding` is blocked. */
    async function fundedThenBlocked(
      ctx: Context,
      blockAfterFunding: (escrowAddress: string) => string,
    ): Promise<{ token: MockBlocklistToken; tokenAddress: string; terms: ISLAEscrow.TermsStruct; id: bigint }> {
      const token = await ethers.deployContract("MockBlocklistToken");
      const tokenAddress = await token.getAddress();
      const terms = await oneMilestone(ctx, tokenAddress);
      await token.mint(ctx.client.address, AMOUNT);
      const id = await fund(ctx, terms);
      const blocked = blockAfterFunding(ctx.escrowAddress);
      await expect(token.connect(ctx.deployer).setBlocked(blocked, true))
        .to.emit(token, "BlockedSet")
        .withArgs(blocked, true);
      expect(await token.blocked(blocked)).to.equal(true);
      return { token, tokenAddress, terms, id };
    }

    context("when the vendor is blocklisted after funding", function () {
      const vendorBlocked = async (ctx: Context) => {
        const f = await fundedThenBlocked(ctx, () => ctx.vendor.address);
        await acceptAttestSettle(ctx, f.terms, f.id);
        return f;
      };

      it("should still settle and credit both parties (the escrow pushes no tokens), and let the client withdraw its 400-unit refund", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await vendorBlocked(ctx);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(TO_VENDOR);
        expect(await ctx.escrow.balanceOf(ctx.client.address, tokenAddress)).to.equal(TO_CLIENT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(AMOUNT);
        await expectWithdraw(ctx, token, ctx.client, ctx.client.address, TO_CLIENT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(TO_VENDOR);
      });

      it("should revert the vendor's withdraw to its own blocked address with the token's AccountBlocked(vendor) and keep its 600-unit credit", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await vendorBlocked(ctx);
        await expectNothingChanged(ctx, async () => {
          await expect(ctx.escrow.connect(ctx.vendor).withdraw(tokenAddress, ctx.vendor.address))
            .to.be.revertedWithCustomError(token, "AccountBlocked")
            .withArgs(ctx.vendor.address);
        }, [tokenAddress]);
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(TO_VENDOR);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(AMOUNT);
        expect(await token.balanceOf(ctx.vendor.address)).to.equal(0n);
      });

      it("should pay the vendor's 600 units to another, unblocked address `to`", async function () {
        const ctx = await setup();
        const { token, tokenAddress } = await vendorBlocked(ctx);
        const tx = ctx.escrow.connect(ctx.vendor).withdraw(tokenAddress, ctx.stranger.address);
        await expect(tx)
          .to.emit(ctx.escrow, "Withdrawn")
          .withArgs(ctx.vendor.address, tokenAddress, ctx.stranger.address, TO_VENDOR);
        await expect(tx).to.changeTokenBalances(
          token,
          [ctx.escrow, ctx.stranger, ctx.vendor],
          [-TO_VENDOR, TO_VENDOR, 0n],
        );
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(0n);
        // The client's 400 are untouched.
        expect(await ctx.escrow.balanceOf(ctx.client.address, tokenAddress)).to.equal(TO_CLIENT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(TO_CLIENT);
      });
    });

    context("when the escrow itself is blocklisted", function () {
      it("should still settle, revert every withdraw (to any address) with AccountBlocked(escrow) keeping every credit, and pay both parties exactly once unblocked", async function () {
        const ctx = await setup();
        const { token, tokenAddress, terms, id } = await fundedThenBlocked(ctx, (escrow) => escrow);
        await acceptAttestSettle(ctx, terms, id);

        for (const [account, to] of [
          [ctx.client, ctx.client.address],
          [ctx.client, ctx.stranger.address],
          [ctx.vendor, ctx.vendor.address],
          [ctx.vendor, ctx.stranger.address],
        ] as const) {
          await expectNothingChanged(
            ctx,
            async () => {
              await expect(ctx.escrow.connect(account).withdraw(tokenAddress, to))
                .to.be.revertedWithCustomError(token, "AccountBlocked")
                .withArgs(ctx.escrowAddress);
            },
            [tokenAddress],
            [ctx.stranger.address],
          );
        }
        expect(await ctx.escrow.balanceOf(ctx.vendor.address, tokenAddress)).to.equal(TO_VENDOR);
        expect(await ctx.escrow.balanceOf(ctx.client.address, tokenAddress)).to.equal(TO_CLIENT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(AMOUNT);

        await expect(token.connect(ctx.deployer).setBlocked(ctx.escrowAddress, false))
          .to.emit(token, "BlockedSet")
          .withArgs(ctx.escrowAddress, false);
        await expectWithdraw(ctx, token, ctx.vendor, ctx.vendor.address, TO_VENDOR);
        await expectWithdraw(ctx, token, ctx.client, ctx.client.address, TO_CLIENT);
        expect(await token.balanceOf(ctx.escrowAddress)).to.equal(0n);
        await expectNothingToWithdraw(ctx, tokenAddress, [ctx.vendor, ctx.client]);
      });

      it("should refuse new funding in that token with AccountBlocked(escrow) and create nothing", async function () {
        const ctx = await setup();
        const { token, tokenAddress, id } = await fundedThenBlocked(ctx, (escrow) => escrow);
        const terms = await oneMilestone(ctx, tokenAddress);
        await token.mint(ctx.client.address, AMOUNT);
        await token.connect(ctx.client).approve(ctx.escrowAddress, AMOUNT);
        await expectNothingChanged(ctx, async () => {
          await expect(ctx.escrow.connect(ctx.client).createAgreement(terms))
            .to.be.revertedWithCustomError(token, "AccountBlocked")
            .withArgs(ctx.escrowAddress);
        }, [tokenAddress]);
        await expect(ctx.escrow.getTerms(id + 1n))
          .to.be.revertedWithCustomError(ctx.escrow, "AgreementNotFound")
          .withArgs(id + 1n);
      });
    });
  });
});
