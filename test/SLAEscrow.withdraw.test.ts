import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ISLAEscrow, MockEthReceiver } from "../typechain-types";
import {
  Agreement,
  BREACHED,
  type Context,
  ETH,
  MET,
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
  plainTerms,
  proposeAs,
  revertName,
} from "./helpers/lifecycle";
import { cutBps, split } from "../scripts/lib/penalty";

/** MockEthReceiver modes. */
const Mode = { Accept: 0, Revert: 1, Reenter: 2 } as const;

const AMOUNT = 1000n * UNIT;

/** Creates an ETH agreement and cancels it: the client is owed the whole deposit. */
async function cancelled(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint; total: bigint }> {
  const terms = await makeTerms(ctx, overrides);
  const id = await create(ctx, terms);
  await ctx.escrow.connect(ctx.client).cancel(id);
  return { terms, id, total: totalOf(terms) };
}

/**
 * Creates an Active ETH agreement, attests milestone 0 with BREACHED values and settles it after the dispute
 * window: the vendor and the client are both owed part of milestone 0.
 */
async function settledWithCut(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint; toVendor: bigint; toClient: bigint }> {
  const terms = await makeTerms(ctx, overrides);
  const id = await create(ctx, terms);
  const vendor = await ethers.getAddress(terms.vendor as string);
  if (vendor === ctx.vendor.address) await ctx.escrow.connect(ctx.vendor).accept(id);
  else await vendorAccepts(ctx, vendor, id);
  await attestAt(ctx, terms, id, 0, BREACHED);
  await time.increase(BigInt(terms.disputeWindow));
  const cut = cutBps((await plainTerms(terms)).metrics, BREACHED);
  const { toVendor, toClient } = split(AMOUNT, cut);
  await expect(ctx.escrow.connect(ctx.relayer).settle(id, 0))
    .to.emit(ctx.escrow, "MilestoneSettled")
    .withArgs(id, 0, Settlement.Attested, cut, toVendor, toClient);
  return { terms, id, toVendor, toClient };
}

/** A contract vendor (MockEthReceiver) accepts through its `call` helper. */
async function vendorAccepts(ctx: Context, vendor: string, id: bigint): Promise<void> {
  const receiver = await ethers.getContractAt("MockEthReceiver", vendor);
  await receiver.call(ctx.escrowAddress, 0n, ctx.escrow.interface.encodeFunctionData("accept", [id]));
}

async function deployReceiver(): Promise<{ receiver: MockEthReceiver; address: string }> {
  const receiver = await ethers.deployContract("MockEthReceiver");
  return { receiver, address: await receiver.getAddress() };
}

/**
 * A contract party (driven by the relayer) with an ETH balance to withdraw: it proposed agreement 1 and cancelled it.
 * `call` sends `data` to the escrow as the contract.
 */
async function receiverWithRefund(ctx: Context): Promise<{
  account: ContractAccount;
  call: (data: string) => Promise<ContractTransactionResponse>;
  refund: bigint;
}> {
  const account = await contractAccount(ctx.relayer);
  const call = (data: string) => account.call(ctx.escrowAddress, data);
  const { id, total } = await proposeAs(ctx, account);
  await call(ctx.escrow.interface.encodeFunctionData("cancel", [id]));
  expect(await ctx.escrow.balanceOf(account.address, ETH)).to.equal(total);
  return { account, call, refund: total };
}

describe("withdraw", function () {
  context("when the client withdraws its ETH refund to itself", function () {
    it("should send exactly its balance, emit Withdrawn and zero the balance", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx);
      expect(await ctx.escrow.connect(ctx.client).withdraw.staticCall(ETH, ctx.client.address)).to.equal(total);
      const tx = ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address);
      await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(ctx.client.address, ETH, ctx.client.address, total);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client], [-total, total]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
    });
  });

  context("when the client withdraws its ETH refund to another address", function () {
    it("should send the balance to `to`", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx);
      const tx = ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.stranger.address);
      await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(ctx.client.address, ETH, ctx.stranger.address, total);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.stranger, ctx.client], [-total, total, 0n]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
    });
  });

  context("when both parties are owed part of a settled milestone", function () {
    it("should pay the vendor and the client exactly their shares", async function () {
      const ctx = await setup();
      const { toVendor, toClient } = await settledWithCut(ctx);
      const tx1 = ctx.escrow.connect(ctx.vendor).withdraw(ETH, ctx.vendor.address);
      await expect(tx1)
        .to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.vendor.address, ETH, ctx.vendor.address, toVendor);
      await expect(tx1).to.changeEtherBalances([ctx.escrow, ctx.vendor], [-toVendor, toVendor]);
      const tx2 = ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address);
      await expect(tx2)
        .to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.client.address, ETH, ctx.client.address, toClient);
      await expect(tx2).to.changeEtherBalances([ctx.escrow, ctx.client], [-toClient, toClient]);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
      expect(await ethers.provider.getBalance(ctx.escrowAddress)).to.equal(2n * AMOUNT);
    });
  });

  context("when the balance is in an ERC-20", function () {
    it("should transfer exactly the balance in the token, emit Withdrawn and zero the balance", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx, { token: ctx.tokenAddress });
      const tx = ctx.escrow.connect(ctx.client).withdraw(ctx.tokenAddress, ctx.client.address);
      await expect(tx)
        .to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.client.address, ctx.tokenAddress, ctx.client.address, total);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.client], [-total, total]);
      await expect(tx).to.changeEtherBalance(ctx.escrow, 0n);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ctx.tokenAddress)).to.equal(0n);
    });

    it("should transfer to a different recipient `to`", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx, { token: ctx.tokenAddress });
      const tx = ctx.escrow.connect(ctx.client).withdraw(ctx.tokenAddress, ctx.stranger.address);
      await expect(tx)
        .to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.client.address, ctx.tokenAddress, ctx.stranger.address, total);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.stranger, ctx.client], [-total, total, 0n]);
    });
  });

  context("when the token returns no boolean (USDT-style)", function () {
    it("should transfer exactly the balance", async function () {
      const ctx = await setup();
      const usdt = await ethers.deployContract("MockNoReturnToken");
      const usdtAddress = await usdt.getAddress();
      const terms = await makeTerms(ctx, { token: usdtAddress });
      const total = totalOf(terms);
      await usdt.mint(ctx.client.address, total);
      await usdt.connect(ctx.client).approve(ctx.escrowAddress, total);
      await ctx.escrow.connect(ctx.client).createAgreement(terms);
      await ctx.escrow.connect(ctx.client).cancel(1n);
      const tx = ctx.escrow.connect(ctx.client).withdraw(usdtAddress, ctx.client.address);
      await expect(tx)
        .to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.client.address, usdtAddress, ctx.client.address, total);
      await expect(tx).to.changeTokenBalances(usdt, [ctx.escrow, ctx.client], [-total, total]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, usdtAddress)).to.equal(0n);
    });
  });

  context("when the caller has nothing to withdraw", function () {
    it("should revert with NothingToWithdraw(account, ETH) for a stranger", async function () {
      const ctx = await setup();
      await cancelled(ctx);
      await expectNothingChanged(
        ctx,
        async () => {
          await expect(ctx.escrow.connect(ctx.stranger).withdraw(ETH, ctx.stranger.address))
            .to.be.revertedWithCustomError(ctx.escrow, "NothingToWithdraw")
            .withArgs(ctx.stranger.address, ETH);
        },
        [],
        [ctx.stranger.address],
      );
    });

    it("should revert with NothingToWithdraw(account, token) for a token it holds no balance of", async function () {
      const ctx = await setup();
      await cancelled(ctx);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).withdraw(ctx.tokenAddress, ctx.client.address))
          .to.be.revertedWithCustomError(ctx.escrow, "NothingToWithdraw")
          .withArgs(ctx.client.address, ctx.tokenAddress);
      });
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(totalOf(await makeTerms(ctx)));
    });

    it("should revert with NothingToWithdraw(account, ETH) on a second withdrawal", async function () {
      const ctx = await setup();
      await cancelled(ctx);
      await ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address))
          .to.be.revertedWithCustomError(ctx.escrow, "NothingToWithdraw")
          .withArgs(ctx.client.address, ETH);
      });
    });
  });

  context("when the recipient is the zero address", function () {
    it("should revert with ZeroRecipient() and keep the balance", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx);
      await expectNothingChanged(ctx, async () => {
        await expect(ctx.escrow.connect(ctx.client).withdraw(ETH, ETH))
          .to.be.revertedWithCustomError(ctx.escrow, "ZeroRecipient")
          .withArgs();
      });
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(total);
    });
  });

  context("when the vendor is a contract whose ETH receipt reverts", function () {
    it("should revert with EthTransferFailed(to, amount) and keep the vendor's balance", async function () {
      const ctx = await setup();
      const { receiver, address } = await deployReceiver();
      const { toVendor } = await settledWithCut(ctx, { vendor: address });
      await receiver.setMode(Mode.Revert, "0x");
      const data = ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, address]);
      await expectNothingChanged(
        ctx,
        async () => {
          await expect(receiver.call(ctx.escrowAddress, 0n, data))
            .to.be.revertedWithCustomError(ctx.escrow, "EthTransferFailed")
            .withArgs(address, toVendor);
        },
        [],
        [address],
      );
      expect(await ctx.escrow.balanceOf(address, ETH)).to.equal(toVendor);
    });

    it("should not block the client from withdrawing its own refund", async function () {
      const ctx = await setup();
      const { receiver, address } = await deployReceiver();
      const { toVendor, toClient } = await settledWithCut(ctx, { vendor: address });
      await receiver.setMode(Mode.Revert, "0x");
      const data = ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, address]);
      await expect(receiver.call(ctx.escrowAddress, 0n, data))
        .to.be.revertedWithCustomError(ctx.escrow, "EthTransferFailed")
        .withArgs(address, toVendor);
      const tx = ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address);
      await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(ctx.client.address, ETH, ctx.client.address, toClient);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client], [-toClient, toClient]);
      expect(await ctx.escrow.balanceOf(address, ETH)).to.equal(toVendor);
    });

    it("should let the reverting vendor withdraw to another recipient instead", async function () {
      const ctx = await setup();
      const { receiver, address } = await deployReceiver();
      const { toVendor } = await settledWithCut(ctx, { vendor: address });
      await receiver.setMode(Mode.Revert, "0x");
      const data = ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, ctx.stranger.address]);
      const tx = receiver.call(ctx.escrowAddress, 0n, data);
      await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(address, ETH, ctx.stranger.address, toVendor);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.stranger, receiver], [-toVendor, toVendor, 0n]);
      expect(await ctx.escrow.balanceOf(address, ETH)).to.equal(0n);
    });
  });

  context("when an EOA withdraws to a recipient whose ETH receipt reverts", function () {
    it("should revert with EthTransferFailed(to, amount) and keep the balance", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx);
      const { receiver, address } = await deployReceiver();
      await receiver.setMode(Mode.Revert, "0x");
      await expectNothingChanged(
        ctx,
        async () => {
          await expect(ctx.escrow.connect(ctx.client).withdraw(ETH, address))
            .to.be.revertedWithCustomError(ctx.escrow, "EthTransferFailed")
            .withArgs(address, total);
        },
        [],
        [address],
      );
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(total);
    });
  });

  context("when the ETH recipient reenters withdraw while receiving", function () {
    it("should refuse the reentry (ReentrancyGuardReentrantCall) and pay exactly once", async function () {
      const ctx = await setup();
      const { account, call, refund: total } = await receiverWithRefund(ctx);
      const { receiver, address } = account;
      const withdrawData = ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, address]);
      await receiver.setMode(Mode.Reenter, withdrawData);
      const tx = call(withdrawData);
      await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(address, ETH, address, total);
      await expect(tx).to.changeEtherBalances([ctx.escrow, receiver], [-total, total]);
      const receipt = await (await tx).wait();
      const withdrawn = receipt!.logs.filter((log) => ctx.escrow.interface.parseLog(log)?.name === "Withdrawn");
      expect(withdrawn.length).to.equal(1);
      expect(await receiver.reentrySucceeded()).to.equal(false);
      expect(revertName(ctx.escrow, await receiver.reentryResult())).to.equal("ReentrancyGuardReentrantCall");
      expect(await ctx.escrow.balanceOf(address, ETH)).to.equal(0n);
      await expect(call(withdrawData))
        .to.be.revertedWithCustomError(ctx.escrow, "NothingToWithdraw")
        .withArgs(address, ETH);
    });
  });

  context("when the ETH recipient calls the escrow's other functions while receiving", function () {
    // Only createAgreement and withdraw move tokens, so only they carry the reentrancy guard; every other state
    // change makes no outside call (ERC-1271 checks are static calls) and must stay callable from a contract
    // party's receive hook, e.g. a vendor's wallet that accepts the next agreement when a payout arrives. And a
    // credit that lands while a withdrawal is paying out is kept: withdraw zeroes the balance before it sends.
    interface Reentry {
      /** The escrow call the receiver makes from its receive hook. */
      data: string;
      /** Asserts what that call did, given the withdrawal's transaction. */
      check: (tx: Promise<ContractTransactionResponse>) => Promise<void>;
    }
    const cases: Record<string, (ctx: Context, party: ContractAccount) => Promise<Reentry>> = {
      "accept (the receiver is the vendor)": async (ctx, party) => {
        const id = await create(ctx, await makeTerms(ctx, { vendor: party.address }));
        return {
          data: ctx.escrow.interface.encodeFunctionData("accept", [id]),
          check: async (tx) => {
            await expect(tx).to.emit(ctx.escrow, "AgreementAccepted").withArgs(id);
            expect(await ctx.escrow.agreementStatus(id)).to.equal(Agreement.Active);
          },
        };
      },
      "cancel (the receiver is the client)": async (ctx, party) => {
        const { id, total } = await proposeAs(ctx, party);
        return {
          data: ctx.escrow.interface.encodeFunctionData("cancel", [id]),
          check: async (tx) => {
            await expect(tx).to.emit(ctx.escrow, "AgreementCancelled").withArgs(id, total);
            expect(await ctx.escrow.balanceOf(party.address, ETH)).to.equal(total);
          },
        };
      },
      "terminate (the receiver is the client; the vendor voted first)": async (ctx, party) => {
        const { id, total } = await proposeAs(ctx, party);
        await ctx.escrow.connect(ctx.vendor).accept(id);
        await ctx.escrow.connect(ctx.vendor).terminate(id);
        return {
          data: ctx.escrow.interface.encodeFunctionData("terminate", [id]),
          check: async (tx) => {
            await expect(tx).to.emit(ctx.escrow, "TerminationRequested").withArgs(id, party.address);
            await expect(tx).to.emit(ctx.escrow, "AgreementTerminated").withArgs(id, total, 0b111);
            expect(await ctx.escrow.balanceOf(party.address, ETH)).to.equal(total);
          },
        };
      },
      "dispute (the receiver is the client)": async (ctx, party) => {
        const { terms, id } = await proposeAs(ctx, party);
        await ctx.escrow.connect(ctx.vendor).accept(id);
        await attestAt(ctx, terms, id, 0, BREACHED);
        return {
          data: ctx.escrow.interface.encodeFunctionData("dispute", [id, 0]),
          check: async (tx) => {
            await expect(tx).to.emit(ctx.escrow, "MilestoneDisputed").withArgs(id, 0, party.address);
          },
        };
      },
      "resolveDispute (the receiver is the arbitrator)": async (ctx, party) => {
        const terms = await makeTerms(ctx, { arbitrator: party.address });
        const id = await createActive(ctx, terms);
        await attestAt(ctx, terms, id, 0, BREACHED);
        await ctx.escrow.connect(ctx.client).dispute(id, 0);
        const { toVendor, toClient } = split(AMOUNT, 2500);
        return {
          data: ctx.escrow.interface.encodeFunctionData("resolveDispute", [id, 0, 2500]),
          check: async (tx) => {
            await expect(tx)
              .to.emit(ctx.escrow, "MilestoneSettled")
              .withArgs(id, 0, Settlement.Arbitrated, 2500, toVendor, toClient);
          },
        };
      },
      "settle (the receiver is a relayer)": async (ctx) => {
        const terms = await makeTerms(ctx);
        const id = await createActive(ctx, terms);
        await attestAt(ctx, terms, id, 0, MET);
        await time.increase(BigInt(terms.disputeWindow));
        return {
          data: ctx.escrow.interface.encodeFunctionData("settle", [id, 0]),
          check: async (tx) => {
            await expect(tx).to.emit(ctx.escrow, "MilestoneSettled").withArgs(id, 0, Settlement.Attested, 0, AMOUNT, 0);
            expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(AMOUNT);
          },
        };
      },
      "postAttestation (the receiver is a relayer)": async (ctx) => {
        const terms = await makeTerms(ctx);
        const id = await createActive(ctx, terms);
        const args = await signed(ctx, id, 0, BREACHED);
        await time.increaseTo(BigInt(terms.milestones[0].dueAt));
        const cut = cutBps((await plainTerms(terms)).metrics, BREACHED);
        return {
          data: ctx.escrow.interface.encodeFunctionData("postAttestation", args),
          check: async (tx) => {
            await expect(tx).to.emit(ctx.escrow, "AttestationPosted").withArgs(id, 0, cut, BREACHED, args[3], args[4]);
          },
        };
      },
    };

    for (const [name, prepare] of Object.entries(cases)) {
      it(`should let it call ${name} and still pay the withdrawal exactly once`, async function () {
        const ctx = await setup();
        const { account, call, refund } = await receiverWithRefund(ctx);
        const { receiver, address } = account;
        const reentry = await prepare(ctx, account);
        await receiver.setMode(Mode.Reenter, reentry.data);
        const tx = call(ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, address]));
        await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(address, ETH, address, refund);
        expect(await receiver.reentrySucceeded()).to.equal(true);
        await reentry.check(tx);
      });
    }
  });

  context("when the ETH recipient needs more than the 2300-gas stipend", function () {
    it("should forward all gas so a receiver that writes storage gets paid", async function () {
      const ctx = await setup();
      const { total } = await cancelled(ctx);
      const { receiver, address } = await deployReceiver();
      // Reenter mode with a harmless view call: receive() writes three storage slots (far beyond 2300 gas)
      const view = ctx.escrow.interface.encodeFunctionData("balanceOf", [address, ETH]);
      await receiver.setMode(Mode.Reenter, view);
      await expect(ctx.escrow.connect(ctx.client).withdraw(ETH, address)).to.changeEtherBalances(
        [ctx.escrow, receiver],
        [-total, total],
      );
      expect(await receiver.reentrySucceeded()).to.equal(true);
      expect(await receiver.mode()).to.equal(BigInt(Mode.Accept));
    });
  });

  context("when a contract wallet (ERC-1271) is the vendor", function () {
    it("should let it withdraw its ETH through execute", async function () {
      const ctx = await setup();
      const owner = ctx.stranger;
      const wallet = await ethers.deployContract("MockERC1271Wallet", [owner.address]);
      const walletAddress = await wallet.getAddress();
      const terms = await makeTerms(ctx, { vendor: walletAddress, arbitrator: ETH });
      const id = await create(ctx, terms);
      await wallet
        .connect(owner)
        .execute(ctx.escrowAddress, 0n, ctx.escrow.interface.encodeFunctionData("accept", [id]));
      await attestAt(ctx, terms, id, 0, MET);
      await ctx.escrow.settle(id, 0);
      expect(await ctx.escrow.balanceOf(walletAddress, ETH)).to.equal(AMOUNT);
      const data = ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, walletAddress]);
      const tx = wallet.connect(owner).execute(ctx.escrowAddress, 0n, data);
      await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(walletAddress, ETH, walletAddress, AMOUNT);
      await expect(tx).to.changeEtherBalances([ctx.escrow, wallet], [-AMOUNT, AMOUNT]);
      expect(await ctx.escrow.balanceOf(walletAddress, ETH)).to.equal(0n);
    });
  });

  context("when a malicious token reenters withdraw during transfer", function () {
    it("should refuse the reentry (ReentrancyGuardReentrantCall) and pay exactly the balance", async function () {
      const ctx = await setup();
      const evil = await ethers.deployContract("MockReentrantToken");
      const evilAddress = await evil.getAddress();
      const terms = await makeTerms(ctx, { token: evilAddress });
      const total = totalOf(terms);
      await evil.mint(ctx.client.address, total);
      await evil.connect(ctx.client).approve(ctx.escrowAddress, total);
      await ctx.escrow.connect(ctx.client).createAgreement(terms);
      await ctx.escrow.connect(ctx.client).cancel(1n);
      await evil.arm(
        ctx.escrowAddress,
        ctx.escrow.interface.encodeFunctionData("withdraw", [evilAddress, evilAddress]),
      );
      const tx = ctx.escrow.connect(ctx.client).withdraw(evilAddress, ctx.client.address);
      await expect(tx)
        .to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.client.address, evilAddress, ctx.client.address, total);
      await expect(tx).to.changeTokenBalances(evil, [ctx.escrow, ctx.client], [-total, total]);
      expect(await evil.attempted()).to.equal(true);
      expect(await evil.reentrySucceeded()).to.equal(false);
      expect(revertName(ctx.escrow, await evil.reentryResult())).to.equal("ReentrancyGuardReentrantCall");
      expect(await ctx.escrow.balanceOf(ctx.client.address, evilAddress)).to.equal(0n);
    });
  });

  context("when someone force-sends ETH to the escrow", function () {
    it("should raise the escrow's balance, pay every party exactly what it is owed and keep the surplus", async function () {
      const ctx = await setup();
      const { terms, id, toVendor, toClient } = await settledWithCut(ctx);
      const forced = 5n * UNIT;
      const before = await ethers.provider.getBalance(ctx.escrowAddress);
      expect(before).to.equal(totalOf(terms));
      await ethers.deployContract("ForceSend", [ctx.escrowAddress], { signer: ctx.stranger, value: forced });
      expect(await ethers.provider.getBalance(ctx.escrowAddress)).to.equal(before + forced);
      // nobody is credited the forced ETH
      expect(await ctx.escrow.balanceOf(ctx.stranger.address, ETH)).to.equal(0n);
      await expect(ctx.escrow.connect(ctx.stranger).withdraw(ETH, ctx.stranger.address))
        .to.be.revertedWithCustomError(ctx.escrow, "NothingToWithdraw")
        .withArgs(ctx.stranger.address, ETH);

      await expect(ctx.escrow.connect(ctx.vendor).withdraw(ETH, ctx.vendor.address)).to.changeEtherBalances(
        [ctx.escrow, ctx.vendor],
        [-toVendor, toVendor],
      );
      await expect(ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address)).to.changeEtherBalances(
        [ctx.escrow, ctx.client],
        [-toClient, toClient],
      );

      // the two open milestones are refunded by a termination and withdrawn; only the surplus stays
      await ctx.escrow.connect(ctx.client).terminate(id);
      await expect(ctx.escrow.connect(ctx.vendor).terminate(id))
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 2n * AMOUNT, 0b110n);
      await expect(ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address)).to.changeEtherBalances(
        [ctx.escrow, ctx.client],
        [-2n * AMOUNT, 2n * AMOUNT],
      );
      expect(await ethers.provider.getBalance(ctx.escrowAddress)).to.equal(forced);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
      expect(await ctx.escrow.balanceOf(ctx.vendor.address, ETH)).to.equal(0n);
    });
  });
});

describe("withdraw through multicall", function () {
  context("when the client cancels and withdraws in one multicall", function () {
    it("should credit and pay the refund in the same transaction", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx);
      const id = await create(ctx, terms);
      const total = totalOf(terms);
      const calls = [
        ctx.escrow.interface.encodeFunctionData("cancel", [id]),
        ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, ctx.client.address]),
      ];
      const tx = ctx.escrow.connect(ctx.client).multicall(calls);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementCancelled")
        .withArgs(id, total)
        .and.to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.client.address, ETH, ctx.client.address, total);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.client], [-total, total]);
      expect(await ctx.escrow.balanceOf(ctx.client.address, ETH)).to.equal(0n);
    });
  });

  context("when the vendor settles a milestone and withdraws in one multicall", function () {
    it("should pay the vendor its share in the same transaction", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ETH });
      const id = await createActive(ctx, terms);
      await attestAt(ctx, terms, id, 0, MET);
      const calls = [
        ctx.escrow.interface.encodeFunctionData("settle", [id, 0n]),
        ctx.escrow.interface.encodeFunctionData("withdraw", [ETH, ctx.vendor.address]),
      ];
      const tx = ctx.escrow.connect(ctx.vendor).multicall(calls);
      await expect(tx)
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0, Settlement.Attested, 0, AMOUNT, 0)
        .and.to.emit(ctx.escrow, "Withdrawn")
        .withArgs(ctx.vendor.address, ETH, ctx.vendor.address, AMOUNT);
      await expect(tx).to.changeEtherBalances([ctx.escrow, ctx.vendor], [-AMOUNT, AMOUNT]);
    });
  });
});
