import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import type { ISLAEscrow } from "../typechain-types";
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
  create,
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
  count: bigint;
  state: (id: bigint, word: number) => bigint;
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
  // EIP712's two fallback strings (unused: the name and version fit in 31 bytes), then the escrow's own three.
  expect(layout.map((entry) => entry.label)).to.deep.equal([
    "_nameFallback",
    "_versionFallback",
    "_agreementCount",
    "_state",
    "_balances",
  ]);
  const [state, balances] = [of("_state"), of("_balances")];
  return {
    count: of("_agreementCount"),
    state: (id, word) => mappingSlot(id, state) + BigInt(word),
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

/** `count` milestones of 1,000 units, due every 30 days from now. */
async function monthly(count: number): Promise<{ amount: bigint; dueAt: bigint }[]> {
  const now = BigInt(await time.latest());
  return Array.from({ length: count }, (_, i) => ({
    amount: 1000n * UNIT,
    dueAt: now + BigInt(i + 1) * 30n * BigInt(DAY),
  }));
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
    /** The raw state word `w` of agreement `id`: `_state[id][w]`. */
    async function stateWord(escrow: string, id: bigint, w: number): Promise<bigint> {
      return BigInt(await ethers.provider.getStorage(escrow, (await slots()).state(id, w)));
    }
    const field = (word: bigint, shift: number, bits: number): bigint =>
      (word >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);
    const ACCEPTED = 1n << 252n;

    it("should keep three milestones a word in the documented lanes: state 4 (3 + what came before once settled) | cut 16 | attest delay 32 | dispute delay 32, and ACCEPTED in bit 252", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { milestones: await monthly(4) });
      const id = await create(ctx, terms);
      expect(await stateWord(ctx.escrowAddress, id, 0), "creation writes no state word").to.equal(0n);
      await ctx.escrow.connect(ctx.vendor).accept(id);
      expect(await stateWord(ctx.escrowAddress, id, 0), "accept sets ACCEPTED in word 0").to.equal(ACCEPTED);
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
      expect(await stateWord(ctx.escrowAddress, id, 1), "milestone 3's word is untouched").to.equal(0n);
      await attestAt(ctx, terms, id, 3, BREACHED, 7);

      const expected = [
        { state: 5n, cut: 1234n, attestDelay: 60n, disputeDelay: 100n }, // settled after a dispute
        { state: 4n, cut: 0n, attestDelay: 5n, disputeDelay: 0n }, // settled after an attestation
        { state: 3n, cut: 10_000n, attestDelay: 0n, disputeDelay: 0n }, // settled without an attestation
        { state: 1n, cut: 4000n, attestDelay: 7n, disputeDelay: 0n }, // attested, in word 1
      ];
      const words = [await stateWord(ctx.escrowAddress, id, 0), await stateWord(ctx.escrowAddress, id, 1)];
      for (let m = 0; m < 4; m++) {
        const lane = field(words[Math.floor(m / 3)], (m % 3) * 84, 84);
        expect(
          [field(lane, 0, 4), field(lane, 4, 16), field(lane, 20, 32), field(lane, 52, 32)],
          `milestone ${m}`,
        ).to.deep.equal([expected[m].state, expected[m].cut, expected[m].attestDelay, expected[m].disputeDelay]);
      }
      expect(field(words[0], 252, 4), "word 0's flags: ACCEPTED only").to.equal(1n);
      expect(field(words[1], 252, 4), "word 1's copy of ACCEPTED, written with its first attestation").to.equal(1n);
      expect(field(words[1], 84, 168), "the lanes of milestones 4 and 5 (none) stay zero").to.equal(0n);
      expect(await stateWord(ctx.escrowAddress, id, 2)).to.equal(0n);
    });
  });
});

describe("SLAEscrow: storage touched by settle (each cold slot is 2,100 gas)", function () {
  context("when a milestone is paid in full (toClient = 0)", function () {
    it("should read and write only the milestone's state word and the vendor's balance", async function () {
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
      const expected = [s.state(id, 0), s.balance(ctx.vendor.address, ETH)];
      expect([...written]).to.have.members(expected);
      expect([...read]).to.have.members(expected);
    });
  });

  context("when a silent milestone is refunded in full (toVendor = 0)", function () {
    it("should write only the milestone's state word and the client's balance, not the vendor's", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { arbitrator: ETH, silentCutBps: 2500, milestones: await monthly(4) });
      const id = await createActive(ctx, terms);
      await time.increaseTo(BigInt(terms.milestones[0].dueAt) + BigInt(terms.attestGrace) + 1n);
      const s = await slots();
      const tx = await ctx.escrow.connect(ctx.relayer).settle(id, 0);
      await expect(tx)
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 0, Settlement.Silent, 2500, 750n * UNIT, 250n * UNIT);

      // Milestone 3, in word 1, which no attestation has touched: word 0 tells that the vendor accepted.
      await time.increaseTo(BigInt(terms.milestones[3].dueAt) + BigInt(terms.attestGrace) + 1n);
      const later = await ctx.escrow.connect(ctx.relayer).settle(id, 3);
      await expect(later)
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(id, 3, Settlement.Silent, 2500, 750n * UNIT, 250n * UNIT);
      const { read, written } = await storageAccess(later.hash);
      expect([...written]).to.have.members([
        s.state(id, 1),
        s.balance(ctx.vendor.address, ETH),
        s.balance(ctx.client.address, ETH),
      ]);
      expect(read.has(s.state(id, 0)), "read word 0 for ACCEPTED").to.equal(true);

      const refundTerms = await makeTerms(ctx, { arbitrator: ETH });
      const refundId = await createActive(ctx, refundTerms);
      await time.increaseTo(BigInt(refundTerms.milestones[0].dueAt) + BigInt(refundTerms.attestGrace) + 1n);
      const refund = await ctx.escrow.connect(ctx.relayer).settle(refundId, 0);
      await expect(refund)
        .to.emit(ctx.escrow, "MilestoneSettled")
        .withArgs(refundId, 0, Settlement.Silent, 10_000, 0, 1000n * UNIT);
      expect([...(await storageAccess(refund.hash)).written]).to.have.members([
        s.state(refundId, 0),
        s.balance(ctx.client.address, ETH),
      ]);
    });
  });
});

describe("SLAEscrow: storage touched by a termination", function () {
  context("when the second party terminates an agreement of 9 milestones after milestone 5 fell due", function () {
    it("should write word 0 (the vote), word 2 (milestones 6 to 8, refunded) and the client's balance, not word 1 (all due)", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { milestones: await monthly(9) });
      const id = await createActive(ctx, terms);
      await ctx.escrow.connect(ctx.client).terminate(id);
      await time.setNextBlockTimestamp(BigInt(terms.milestones[5].dueAt));
      const tx = await ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 3000n * UNIT, 0b111000000);
      const s = await slots();
      const { written } = await storageAccess(tx.hash);
      expect([...written]).to.have.members([s.state(id, 0), s.state(id, 2), s.balance(ctx.client.address, ETH)]);
    });
  });
});

/** The words of `_state[id]` among `touched`, by index: which of the agreement's 43 state words a step touched. */
async function stateWordsIn(touched: Set<bigint>, id: bigint): Promise<number[]> {
  const s = await slots();
  return Array.from({ length: 43 }, (_, w) => w).filter((w) => touched.has(s.state(id, w)));
}

describe("SLAEscrow: state words an attestation reads", function () {
  context("when milestones 3 and 4 of six (word 1) are attested one after the other", function () {
    it("should read word 0 for ACCEPTED on the word's first attestation only; the second reads word 1's copy alone", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { milestones: await monthly(6) });
      const id = await createActive(ctx, terms);
      const first = await attestAt(ctx, terms, id, 3, MET);
      await expect(first)
        .to.emit(ctx.escrow, "AttestationPosted")
        .withArgs(id, 3, 0, MET, ethers.id(`report ${id}/3`), 0b011);
      const firstAccess = await storageAccess(first.hash);
      expect(await stateWordsIn(firstAccess.read, id), "first attestation in word 1: reads").to.deep.equal([0, 1]);
      expect(await stateWordsIn(firstAccess.written, id), "first attestation in word 1: writes").to.deep.equal([1]);
      const second = await attestAt(ctx, terms, id, 4, BREACHED);
      await expect(second)
        .to.emit(ctx.escrow, "AttestationPosted")
        .withArgs(id, 4, 4000, BREACHED, ethers.id(`report ${id}/4`), 0b011);
      const secondAccess = await storageAccess(second.hash);
      expect(await stateWordsIn(secondAccess.read, id), "second attestation in word 1: reads").to.deep.equal([1]);
      expect(await stateWordsIn(secondAccess.written, id), "second attestation in word 1: writes").to.deep.equal([1]);
    });
  });
});

describe("SLAEscrow: state words a cancel and a termination read", function () {
  for (const count of [3, 4, 6]) {
    context(`when the client cancels a proposal of ${count} milestones`, function () {
      it(`should read and write words 0 to ${Math.ceil(count / 3) - 1} only, not the word after the last milestone`, async function () {
        const ctx = await setup();
        const terms = await makeTerms(ctx, { milestones: await monthly(count) });
        const id = await create(ctx, terms);
        const tx = await ctx.escrow.connect(ctx.client).cancel(id);
        await expect(tx)
          .to.emit(ctx.escrow, "AgreementCancelled")
          .withArgs(id, BigInt(count) * 1000n * UNIT);
        const { read, written } = await storageAccess(tx.hash);
        const used = Array.from({ length: Math.ceil(count / 3) }, (_, w) => w);
        expect(await stateWordsIn(read, id), "read").to.deep.equal(used);
        expect(await stateWordsIn(written, id), "written").to.deep.equal(used);
      });
    });
  }

  context("when both parties terminate an agreement of 6 milestones before any is due", function () {
    it("should read words 0 and 1 only, not word 2", async function () {
      const ctx = await setup();
      const terms = await makeTerms(ctx, { milestones: await monthly(6) });
      const id = await createActive(ctx, terms);
      await ctx.escrow.connect(ctx.client).terminate(id);
      const tx = await ctx.escrow.connect(ctx.vendor).terminate(id);
      await expect(tx)
        .to.emit(ctx.escrow, "AgreementTerminated")
        .withArgs(id, 6000n * UNIT, 0b111111);
      const { read, written } = await storageAccess(tx.hash);
      expect(await stateWordsIn(read, id), "read").to.deep.equal([0, 1]);
      expect(await stateWordsIn(written, id), "written").to.deep.equal([0, 1]);
    });
  });
});

/** The data contract's code for `terms`, written straight from the layout that TermsData documents. */
function expectedCode(terms: ISLAEscrow.TermsStruct): string {
  const hex = (v: bigint | number | string | boolean, bytes: number): string =>
    BigInt(v)
      .toString(16)
      .padStart(bytes * 2, "0");
  const addr = (a: unknown): string => (a as string).slice(2).toLowerCase();
  const metrics = terms.metrics as ISLAEscrow.MetricStruct[];
  let shape = 0n;
  metrics.forEach((m, i) => {
    shape |= (BigInt(m.tiers.length - 1) | (m.higherIsBetter ? 8n : 0n)) << BigInt(4 * i);
  });
  const parts = [
    "00", // STOP
    addr(terms.vendor),
    hex(terms.disputeWindow as bigint, 4),
    hex(terms.arbitrationTimeout as bigint, 4),
    hex(terms.silentCutBps as bigint, 2),
    hex(terms.threshold as bigint, 1),
    hex(terms.milestones.length, 1),
    addr(terms.token),
    hex(terms.attestGrace as bigint, 4),
    hex(shape, 4),
    hex(terms.oracles.length, 1),
    hex(metrics.length, 1),
    "0000",
    addr(terms.client),
    hex(terms.startAt as bigint, 8),
    "00000000",
    addr(terms.arbitrator),
    ...terms.milestones.map((m) => hex(m.amount as bigint, 16) + hex(m.dueAt as bigint, 5)),
    ...terms.oracles.map(addr),
    ...metrics.flatMap((m) => m.tiers.map((t) => hex(t.threshold as bigint, 4) + hex(t.cutBps as bigint, 2))),
  ];
  return `0x${parts.join("")}`;
}

/** Every EXTCODECOPY of a transaction: [address, code offset, length]. */
async function codeCopies(hash: string): Promise<[string, bigint, bigint][]> {
  const trace = (await ethers.provider.send("debug_traceTransaction", [hash, { disableMemory: true }])) as {
    structLogs: { op: string; stack?: string[] }[];
  };
  const big = (v: string): bigint => BigInt(v.startsWith("0x") ? v : `0x${v}`);
  return trace.structLogs
    .filter((l) => l.op === "EXTCODECOPY" && l.stack !== undefined)
    .map(({ stack }) => {
      const n = stack!.length;
      return [ethers.getAddress(ethers.toBeHex(big(stack![n - 1]), 20)), big(stack![n - 3]), big(stack![n - 4])];
    });
}

describe("SLAEscrow: the terms' data contract", function () {
  it("is the escrow's CREATE address at nonce id, with STOP then exactly the documented layout as its code", async function () {
    const ctx = await setup();
    const first = await makeTerms(ctx);
    const now = BigInt(await time.latest());
    const second = await makeTerms(ctx, {
      token: ctx.tokenAddress,
      arbitrator: ETH,
      threshold: 3,
      silentCutBps: 1234,
      startAt: now - 1000n,
      milestones: [{ amount: 2n ** 128n - 1n, dueAt: 2n ** 40n - 1n }],
    });
    await ctx.token.mint(ctx.client.address, 2n ** 128n - 1n); // the largest amount
    for (const [i, terms] of [first, second].entries()) {
      const id = await create(ctx, terms);
      expect(id).to.equal(BigInt(i + 1));
      const data = ethers.getCreateAddress({ from: ctx.escrowAddress, nonce: id });
      const code = await ethers.provider.getCode(data);
      expect(code, `agreement ${id}`).to.equal(expectedCode(terms));
      expect(code.slice(0, 4)).to.equal("0x00");
    }
    // Calling it runs STOP: it succeeds and returns nothing, whatever it is sent.
    const data = ethers.getCreateAddress({ from: ctx.escrowAddress, nonce: 1 });
    expect(await ethers.provider.call({ to: data, data: "0x7a0ed627" })).to.equal("0x");
  });

  it("is read with exact lengths: the header, the one milestone a step needs, and the oracles and tiers when it verifies", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx);
    const id = await createActive(ctx, terms);
    const data = ethers.getCreateAddress({ from: ctx.escrowAddress, nonce: id });
    const header: [string, bigint, bigint] = [data, 1n, 116n];
    const milestone = (m: number): [string, bigint, bigint] => [data, 117n + 21n * BigInt(m), 21n];
    const tiers = (terms.metrics as ISLAEscrow.MetricStruct[]).reduce((n, m) => n + m.tiers.length, 0);
    const config: [string, bigint, bigint] = [data, 117n + 21n * 3n, BigInt(20 * terms.oracles.length + 6 * tiers)];

    await time.setNextBlockTimestamp(BigInt(terms.milestones[1].dueAt));
    const attest = await ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, 1, BREACHED)));
    expect(await codeCopies(attest.hash)).to.deep.equal([header, milestone(1), config]);
    await time.setNextBlockTimestamp(BigInt(terms.milestones[1].dueAt) + BigInt(terms.disputeWindow));
    const settle = await ctx.escrow.connect(ctx.relayer).settle(id, 1);
    await expect(settle)
      .to.emit(ctx.escrow, "MilestoneSettled")
      .withArgs(id, 1, Settlement.Attested, 4000, 600n * UNIT, 400n * UNIT);
    expect(await codeCopies(settle.hash)).to.deep.equal([header, milestone(1)]);
  });

  it("answers AgreementNotFound(id) for ids never created: 0, the next, 2^64 - 1, 2^64 and 2^64 + 1 (whose low 64 bits are agreement 1)", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx);
    const id = await createActive(ctx, terms);
    expect(id).to.equal(1n);
    for (const missing of [0n, 2n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 64n + 1n]) {
      const e = ctx.escrow;
      expect(await e.agreementStatus(missing), `${missing}`).to.equal(0n);
      for (const call of [
        e.getTerms(missing),
        e.milestoneInfo(missing, 0),
        e.cutFor(missing, MET),
        e.connect(ctx.vendor).accept(missing),
        e.connect(ctx.client).cancel(missing),
        e.connect(ctx.client).terminate(missing),
        e.connect(ctx.client).dispute(missing, 0),
        e.connect(ctx.arbitrator).resolveDispute(missing, 0, 0),
        e.connect(ctx.relayer).settle(missing, 0),
      ]) {
        await expect(call, `${missing}`).to.be.revertedWithCustomError(e, "AgreementNotFound").withArgs(missing);
      }
    }
    expect(await ctx.escrow.agreementStatus(1n)).to.equal(2n);
  });

  context("when created by the library (LibraryHarness)", function () {
    it("derives CREATE addresses as ethers does, for every length of RLP nonce, and none past 2^64 - 1", async function () {
      const harness = await ethers.deployContract("LibraryHarness");
      const from = "0x5FbDB2315678afecb367f032d93F642f64180aa3"; // any deployer
      const nonces = [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xffffn, 0x10000n, 2n ** 24n, 2n ** 32n - 1n];
      nonces.push(2n ** 40n, 2n ** 48n + 5n, 2n ** 56n - 1n, 2n ** 56n, 2n ** 64n - 1n);
      for (const nonce of nonces) {
        expect(await harness.createAddress(from, nonce), `${nonce}`).to.equal(ethers.getCreateAddress({ from, nonce }));
      }
      expect(await harness.createAddress(from, 2n ** 64n)).to.equal(ethers.ZeroAddress);
    });

    it("creates the code it is given at the expected address; another address is DataContractMismatch, a failed CREATE DataContractNotCreated", async function () {
      const harness = await ethers.deployContract("LibraryHarness");
      const at = await harness.getAddress();
      const code = "0x00c0ffee";
      await harness.createData(code, 1); // the harness's first CREATE: nonce 1
      expect(await ethers.provider.getCode(ethers.getCreateAddress({ from: at, nonce: 1 }))).to.equal(code);
      await expect(harness.createData(code, 1))
        .to.be.revertedWithCustomError(harness, "DataContractMismatch")
        .withArgs(ethers.getCreateAddress({ from: at, nonce: 1 }), ethers.getCreateAddress({ from: at, nonce: 2 }));
      // CREATE given too little gas to deposit the code (10,000 bytes: 2M gas) returns 0: the harness keeps the
      // 1/64 of the gas that CREATE could not take and reverts with the error. (A deterministic failure: code over
      // EIP-170's limit would also do on a real chain, but the unoptimized build's network allows any size.)
      const big = `0x00${"5b".repeat(9_999)}`;
      await expect(harness.createData(big, 2, { gasLimit: 1_000_000 })).to.be.revertedWithCustomError(
        harness,
        "DataContractNotCreated",
      );
      await harness.createData(big, 2, { gasLimit: 3_000_000 });
      expect(await ethers.provider.getCode(ethers.getCreateAddress({ from: at, nonce: 2 }))).to.equal(big);
      const largest = `0x00${"5b".repeat(24_575)}`; // EIP-170's limit
      await harness.createData(largest, 3, { gasLimit: 29_000_000 });
      expect(await ethers.provider.getCode(ethers.getCreateAddress({ from: at, nonce: 3 }))).to.equal(largest);
    });
  });
});
