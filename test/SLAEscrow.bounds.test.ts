import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  BREACHED,
  DAY,
  ETH,
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

const coder = ethers.AbiCoder.defaultAbiCoder();
const mappingSlot = (key: string | bigint, slot: bigint): bigint =>
  BigInt(ethers.keccak256(coder.encode([typeof key === "string" ? "address" : "uint256", "uint256"], [key, slot])));

/** Storage slots of the escrow's state, from the compiler's storage layout of SLAEscrow. */
async function slots(): Promise<{
  milestone: (id: bigint, m: number) => bigint;
  agreement: (id: bigint, word: number) => bigint;
  balance: (account: string, token: string) => bigint;
}> {
  const info = await artifacts.getBuildInfo("contracts/SLAEscrow.sol:SLAEscrow");
  const layout = (
    info?.output.contracts["contracts/SLAEscrow.sol"].SLAEscrow as unknown as {
      storageLayout: { storage: { label: string; slot: string }[] };
    }
  ).storageLayout.storage;
  const of = (label: string): bigint => {
    const v = layout.find((entry) => entry.label === label);
    expect(v, `no ${label} in SLAEscrow's storage layout`).to.not.equal(undefined);
    return BigInt(v!.slot);
  };
  const [milestones, agreements, balances] = [of("_milestones"), of("_agreements"), of("_balances")];
  return {
    milestone: (id, m) => mappingSlot(id, milestones) + BigInt(m),
    agreement: (id, word) => mappingSlot(id, agreements) + BigInt(word),
    balance: (account, token) => mappingSlot(token, mappingSlot(account, balances)),
  };
}

/** The storage slots a transaction read (SLOAD) and wrote (SSTORE), from Hardhat's debug_traceTransaction. */
async function storageAccess(hash: string): Promise<{ read: Set<bigint>; written: Set<bigint> }> {
  const trace = (await ethers.provider.send("debug_traceTransaction", [hash, { disableMemory: true }])) as {
    structLogs: { op: string; stack?: string[] }[];
  };
  const read = new Set<bigint>();
  const written = new Set<bigint>();
  for (const { op, stack } of trace.structLogs) {
    if ((op !== "SLOAD" && op !== "SSTORE") || stack === undefined) continue;
    const top = stack[stack.length - 1];
    const key = BigInt(top.startsWith("0x") ? top : `0x${top}`);
    (op === "SLOAD" ? read : written).add(key);
  }
  return { read, written };
}

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
    /** The raw storage word of milestone `m`: `_milestones[id][m]`. */
    async function milestoneWord(escrow: string, id: bigint, m: number): Promise<bigint> {
      return BigInt(await ethers.provider.getStorage(escrow, (await slots()).milestone(id, m)));
    }
    const field = (word: bigint, shift: number, bits: number): bigint =>
      (word >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);

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
          [
            field(word, 0, 128),
            field(word, 128, 40),
            field(word, 168, 8),
            field(word, 176, 16),
            field(word, 192, 32),
            field(word, 224, 32),
          ],
          `milestone ${m}`,
        ).to.deep.equal([
          1000n * UNIT,
          due[m],
          expected[m].state,
          expected[m].cut,
          expected[m].attestDelay,
          expected[m].disputeDelay,
        ]);
        expect((await ctx.escrow.milestoneInfo(id, m))[0]).to.equal(Milestone.Settled);
      }
      // a milestone that does not exist is a zero word
      expect(await milestoneWord(ctx.escrowAddress, id, 3)).to.equal(0n);
    });
  });
});

describe("SLAEscrow: storage touched by settle (each cold slot is 2,100 gas)", function () {
  context("when a milestone is paid in full (toClient = 0)", function () {
    it("should write only the milestone word and the vendor's balance, and never read the client (agreement word 2)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ETH });
      const id = await createActive(ctx, terms);
      await attestAt(ctx, terms, id, 0, MET);
      const tx = await ctx.escrow.connect(ctx.relayer).settle(id, 0);
      await expect(tx)
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0, Settlement.Attested, 0, 1000n * UNIT, 0);
      const s = await slots();
      const { read, written } = await storageAccess(tx.hash);
      expect([...written]).to.have.members([s.milestone(id, 0), s.balance(ctx.vendor.address, ETH)]);
      expect(read.has(s.agreement(id, 0)), "read the vendor's word (the trace sees reads)").to.equal(true);
      expect(read.has(s.agreement(id, 2)), "read the client's word").to.equal(false);
    });
  });

  context("when a silent milestone is refunded in full (toVendor = 0)", function () {
    it("should write only the milestone word and the client's balance, not the vendor's", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ETH });
      const id = await createActive(ctx, terms);
      await time.increaseTo(BigInt(terms.milestones[0].dueAt) + BigInt(terms.attestGrace) + 1n);
      const tx = await ctx.escrow.connect(ctx.relayer).settle(id, 0);
      await expect(tx)
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0, Settlement.Silent, 10_000, 0, 1000n * UNIT);
      const s = await slots();
      const { written } = await storageAccess(tx.hash);
      expect([...written]).to.have.members([s.milestone(id, 0), s.balance(ctx.client.address, ETH)]);
    });
  });
});
