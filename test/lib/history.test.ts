/**
 * scripts/lib/history.ts: one agreement's events in chain order, read through the escrow's provider with a
 * topic filter on the id, paged by block range, and put in words by describeEvent.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse, Provider } from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import {
  BREACHED,
  DAY,
  ETH,
  MET,
  Settlement,
  UNIT,
  attestAt,
  create,
  makeTerms,
  setup,
  totalOf,
} from "../helpers/fixture";
import {
  type DescribeContext,
  type HistoryEntry,
  type HistoryProgress,
  agreementHistory,
  describeEvent,
} from "../../scripts/lib/history";

const ETHER = { symbol: "ETH", decimals: 18 };

/** Where a transaction landed: its block, its time and its hash. */
async function landed(tx: Promise<ContractTransactionResponse>) {
  const receipt = (await (await tx).wait())!;
  const block = (await ethers.provider.getBlock(receipt.blockNumber))!;
  return { blockNumber: receipt.blockNumber, timestamp: block.timestamp, transactionHash: receipt.hash };
}

/**
 * Two agreements whose actions interleave (and a third, cancelled): A is created, accepted, attested (breached),
 * disputed, resolved by the arbitrator and terminated by both parties; B is created, accepted, attested, settled
 * and half-terminated; everybody withdraws (Withdrawn has no agreement id).
 */
async function scenario() {
  const ctx = await setup();
  const from = (await ethers.provider.getBlockNumber()) + 1;
  const tA = await makeTerms(ctx);
  const a = {
    created: await landed(ctx.escrow.connect(ctx.client).createAgreement(tA, { value: totalOf(tA) })),
    id: 1n,
  };
  const dueB = BigInt(tA.milestones[0].dueAt) + 100n;
  const tB = await makeTerms(ctx, {
    milestones: [
      { amount: 500n * UNIT, dueAt: dueB },
      { amount: 500n * UNIT, dueAt: dueB + 30n * BigInt(DAY) },
    ],
  });
  const idB = await create(ctx, tB);
  expect(idB).to.equal(2n);
  const acceptedA = await landed(ctx.escrow.connect(ctx.vendor).accept(a.id));
  await ctx.escrow.connect(ctx.vendor).accept(idB);
  const attestedA = await landed(attestAt(ctx, tA, a.id, 0, BREACHED));
  await attestAt(ctx, tB, idB, 0, MET);
  const disputedA = await landed(ctx.escrow.connect(ctx.vendor).dispute(a.id, 0));
  await time.increase(2 * DAY + 1);
  await ctx.escrow.settle(idB, 0);
  const resolvedA = await landed(ctx.escrow.connect(ctx.arbitrator).resolveDispute(a.id, 0, 2500));
  await ctx.escrow.connect(ctx.vendor).terminate(idB);
  const requestedA = await landed(ctx.escrow.connect(ctx.client).terminate(a.id));
  const terminatedA = await landed(ctx.escrow.connect(ctx.vendor).terminate(a.id));
  await ctx.escrow.connect(ctx.vendor).withdraw(ETH, ctx.vendor.address);
  await ctx.escrow.connect(ctx.client).withdraw(ETH, ctx.client.address);
  const tC = await makeTerms(ctx);
  const idC = await create(ctx, tC);
  const cancelledC = await landed(ctx.escrow.connect(ctx.client).cancel(idC));
  const to = await ethers.provider.getBlockNumber();
  return {
    ctx,
    from,
    to,
    tA,
    idB,
    idC,
    tC,
    a: { ...a, acceptedA, attestedA, disputedA, resolvedA, requestedA, terminatedA },
    cancelledC,
  };
}

/** The escrow connected to a provider that counts its getBlock and getLogs calls. */
function counting(escrow: SLAEscrow): { escrow: SLAEscrow; calls: { getBlock: number[]; getLogs: number } } {
  const calls = { getBlock: [] as number[], getLogs: 0 };
  const target = ethers.provider as unknown as Provider;
  const proxy: Provider = new Proxy(target, {
    get(t, prop) {
      if (prop === "provider") return proxy;
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== "function") return value;
      const fn = (value as (...args: unknown[]) => unknown).bind(t);
      if (prop === "getBlock") {
        return (block: number) => {
          calls.getBlock.push(block);
          return fn(block);
        };
      }
      if (prop === "getLogs") {
        return (filter: unknown) => {
          calls.getLogs++;
          return fn(filter);
        };
      }
      return fn;
    },
  });
  return { escrow: escrow.connect(proxy) as unknown as SLAEscrow, calls };
}

/** The entry's block fields, to compare with where a transaction landed. */
const where = (e: HistoryEntry) => ({
  blockNumber: e.blockNumber,
  timestamp: e.timestamp,
  transactionHash: e.transactionHash,
});

describe("lib/history: an agreement's events", function () {
  it("lists one agreement's events in chain order, with blocks, times and arguments, and no other agreement's", async function () {
    const s = await scenario();
    const { ctx, a, tA } = s;
    const { escrow, calls } = counting(ctx.escrow);
    const history = await agreementHistory(escrow, a.id, { fromBlock: s.from });

    expect(history.map((e) => e.name)).to.deep.equal([
      "AgreementCreated",
      "AgreementAccepted",
      "AttestationPosted",
      "MilestoneDisputed",
      "MilestoneSettled",
      "TerminationRequested",
      "TerminationRequested",
      "AgreementTerminated",
    ]);
    for (const e of history) expect(e.args.id).to.equal(a.id);
    // Chain order: block number, then log index.
    for (let i = 1; i < history.length; i++) {
      const [p, e] = [history[i - 1], history[i]];
      expect(p.blockNumber < e.blockNumber || (p.blockNumber === e.blockNumber && p.logIndex < e.logIndex)).to.equal(
        true,
      );
    }
    const [created, accepted, attested, disputed, resolved, requested, second, terminated] = history;
    expect(where(created)).to.deep.equal(a.created);
    expect(where(accepted)).to.deep.equal(a.acceptedA);
    expect(where(attested)).to.deep.equal(a.attestedA);
    expect(attested.timestamp).to.equal(Number(tA.milestones[0].dueAt));
    expect(where(disputed)).to.deep.equal(a.disputedA);
    expect(where(resolved)).to.deep.equal(a.resolvedA);
    expect(where(requested)).to.deep.equal(a.requestedA);
    // The second request terminates: two events in one transaction (one block), in log order.
    for (const e of [second, terminated]) expect(where(e)).to.deep.equal(a.terminatedA);
    expect(terminated.logIndex).to.equal(second.logIndex + 1);
    // One getBlock per distinct block; one getLogs for the whole (short) range.
    const blocks = [...new Set(history.map((e) => e.blockNumber))];
    expect([...calls.getBlock].sort((x, y) => x - y)).to.deep.equal(blocks);
    expect(calls.getLogs).to.equal(1);

    // The arguments, as plain objects (bigints kept; the terms as getTerms returns them).
    expect(created.args).to.deep.equal({
      id: a.id,
      client: ctx.client.address,
      vendor: ctx.vendor.address,
      terms: {
        client: ctx.client.address,
        vendor: ctx.vendor.address,
        token: ETH,
        arbitrator: ctx.arbitrator.address,
        disputeWindow: BigInt(2 * DAY),
        attestGrace: BigInt(3 * DAY),
        arbitrationTimeout: BigInt(14 * DAY),
        silentCutBps: 10_000n,
        threshold: 2n,
        startAt: BigInt(tA.startAt),
        oracles: ctx.oracles.map((o) => o.address),
        metrics: [
          {
            higherIsBetter: true,
            tiers: [
              { threshold: 999_000n, cutBps: 1000n },
              { threshold: 995_000n, cutBps: 2500n },
              { threshold: 990_000n, cutBps: 5000n },
            ],
          },
          {
            higherIsBetter: false,
            tiers: [
              { threshold: 300n, cutBps: 500n },
              { threshold: 500n, cutBps: 1500n },
              { threshold: 1000n, cutBps: 3000n },
            ],
          },
        ],
        milestones: tA.milestones.map((m) => ({ amount: BigInt(m.amount), dueAt: BigInt(m.dueAt) })),
      },
    });
    expect(created.milestone).to.equal(undefined);
    expect(accepted.args).to.deep.equal({ id: a.id });
    expect(attested.milestone).to.equal(0);
    expect(attested.args).to.deep.equal({
      id: a.id,
      milestone: 0n,
      cutBps: 4000n,
      values: BREACHED.map(BigInt),
      evidence: ethers.id(`report ${a.id}/0`),
      signerMask: 0b011n,
    });
    expect(disputed.args).to.deep.equal({ id: a.id, milestone: 0n, party: ctx.vendor.address });
    expect(resolved.args).to.deep.equal({
      id: a.id,
      milestone: 0n,
      kind: Settlement.Arbitrated,
      cutBps: 2500n,
      toVendor: 750n * UNIT,
      toClient: 250n * UNIT,
    });
    expect(requested.args).to.deep.equal({ id: a.id, party: ctx.client.address });
    expect(second.args).to.deep.equal({ id: a.id, party: ctx.vendor.address });
    expect(terminated.args).to.deep.equal({ id: a.id, refund: 2000n * UNIT, refundedMilestones: 0b110n });

    // The other agreements have their own histories.
    const b = await agreementHistory(ctx.escrow, s.idB, { fromBlock: s.from });
    expect(b.map((e) => e.name)).to.deep.equal([
      "AgreementCreated",
      "AgreementAccepted",
      "AttestationPosted",
      "MilestoneSettled",
      "TerminationRequested",
    ]);
    const c = await agreementHistory(ctx.escrow, s.idC, { fromBlock: s.from });
    expect(c.map((e) => e.name)).to.deep.equal(["AgreementCreated", "AgreementCancelled"]);
    expect(where(c[1])).to.deep.equal(s.cancelledC);
    expect(c[1].args).to.deep.equal({ id: s.idC, refund: totalOf(s.tC) });
    // An agreement that does not exist has none; nor does a range before the agreement.
    expect(await agreementHistory(ctx.escrow, 9n, { fromBlock: s.from })).to.deep.equal([]);
    expect(await agreementHistory(ctx.escrow, a.id, { fromBlock: 0, toBlock: s.from - 1 })).to.deep.equal([]);
  });

  it("pages by block range: blockRange 1 gives the same events and reports progress per range", async function () {
    const s = await scenario();
    const whole = await agreementHistory(s.ctx.escrow, s.a.id, { fromBlock: s.from, toBlock: s.to });
    const progress: HistoryProgress[] = [];
    const { escrow, calls } = counting(s.ctx.escrow);
    const paged = await agreementHistory(escrow, s.a.id, {
      fromBlock: s.from,
      toBlock: s.to,
      blockRange: 1,
      onProgress: (p) => progress.push({ ...p }),
    });
    expect(paged).to.deep.equal(whole);
    expect(calls.getLogs).to.equal(s.to - s.from + 1);
    expect(progress.map((p) => p.scannedTo)).to.deep.equal(
      Array.from({ length: s.to - s.from + 1 }, (_, i) => s.from + i),
    );
    for (const p of progress) {
      expect(p.fromBlock).to.equal(s.from);
      expect(p.toBlock).to.equal(s.to);
      expect(p.events).to.equal(whole.filter((e) => e.blockNumber <= p.scannedTo).length);
    }
    expect(progress[progress.length - 1].events).to.equal(whole.length);

    // A range that does not divide the blocks evenly: the last range is shorter.
    const ranges: HistoryProgress[] = [];
    const three = await agreementHistory(s.ctx.escrow, s.a.id, {
      fromBlock: s.from,
      toBlock: s.to,
      blockRange: 3,
      onProgress: (p) => ranges.push({ ...p }),
    });
    expect(three).to.deep.equal(whole);
    expect(ranges.map((p) => p.scannedTo)).to.deep.equal(
      Array.from({ length: Math.ceil((s.to - s.from + 1) / 3) }, (_, i) => Math.min(s.from + 3 * i + 2, s.to)),
    );
    // Without toBlock: up to the latest block.
    expect(await agreementHistory(s.ctx.escrow, s.a.id, { fromBlock: s.from, blockRange: 4 })).to.deep.equal(whole);
  });

  it("rejects a block range that is not a whole number from 1", async function () {
    const ctx = await setup();
    for (const blockRange of [0, -1, 1.5]) {
      let message = "";
      await agreementHistory(ctx.escrow, 1n, { fromBlock: 0, blockRange }).catch((e: Error) => {
        message = e.message;
      });
      expect(message).to.equal(`agreementHistory: blockRange must be a whole number from 1, not ${blockRange}`);
    }
  });

  describe("describeEvent", function () {
    it("puts each event of a real history in words", async function () {
      const s = await scenario();
      const { ctx } = s;
      const words = (h: HistoryEntry[], d: DescribeContext) => h.map((e) => describeEvent(e, d));
      const [client, vendor] = [ctx.client.address, ctx.vendor.address];
      const evidence = ethers.id(`report ${s.a.id}/0`);
      const history = await agreementHistory(ctx.escrow, s.a.id, { fromBlock: s.from });
      expect(words(history, { token: ETHER })).to.deep.equal([
        `created by the client ${client} for the vendor ${vendor}: 3 milestones, 3000 ETH funded`,
        "accepted by the vendor",
        `milestone 0 attested: values 994000, 600; cut 40%; evidence ${evidence}; signers 0b11`,
        `milestone 0 disputed by ${vendor}`,
        "milestone 0 settled (Arbitrated): vendor 750 ETH, client 250 ETH",
        `termination requested by ${client}`,
        `termination requested by ${vendor}`,
        "terminated: milestones 1, 2 refunded, 2000 ETH to the client",
      ]);
      // With the terms: parties by role, the signer mask one digit per oracle; with metric names: natural units.
      const terms = { client, vendor, oracles: ctx.oracles.map((o) => o.address) };
      const named = words(history, { token: ETHER, terms, metrics: ["availability_ppm", "latency_p95_ms"] });
      expect(named[2]).to.equal(
        `milestone 0 attested: values availability_ppm 99.4%, latency_p95_ms 600ms; cut 40%; evidence ${evidence}; signers 0b011`,
      );
      expect(named[3]).to.equal(`milestone 0 disputed by the vendor ${vendor}`);
      expect(named[5]).to.equal(`termination requested by the client ${client}`);
      expect(named[6]).to.equal(`termination requested by the vendor ${vendor}`);

      const b = await agreementHistory(ctx.escrow, s.idB, { fromBlock: s.from });
      expect(words(b, { token: ETHER })).to.deep.equal([
        `created by the client ${client} for the vendor ${vendor}: 2 milestones, 1000 ETH funded`,
        "accepted by the vendor",
        `milestone 0 attested: values 999500, 250; cut 0%; evidence ${ethers.id(`report ${s.idB}/0`)}; signers 0b11`,
        "milestone 0 settled (Attested): vendor 500 ETH, client 0 ETH",
        `termination requested by ${vendor}`,
      ]);
      const c = await agreementHistory(ctx.escrow, s.idC, { fromBlock: s.from });
      expect(describeEvent(c[1], { token: ETHER })).to.equal(
        "cancelled by the client: 3000 ETH refunded to the client",
      );
    });

    it("words the settlement kinds, terminations and masks the real histories above do not show", function () {
      const base = { blockNumber: 1, logIndex: 0, transactionHash: ethers.ZeroHash, timestamp: 0 };
      const tusd = { symbol: "TUSD", decimals: 6 };
      const settled = (kind: bigint, toVendor: bigint, toClient: bigint): HistoryEntry => ({
        ...base,
        name: "MilestoneSettled",
        milestone: 1,
        args: { id: 1n, milestone: 1n, kind, cutBps: 4000n, toVendor, toClient },
      });
      expect(describeEvent(settled(Settlement.Attested, 600_000_000n, 400_000_000n), { token: tusd })).to.equal(
        "milestone 1 settled (Attested): vendor 600 TUSD, client 400 TUSD",
      );
      expect(describeEvent(settled(Settlement.Silent, 0n, 1_000_000_000n), { token: tusd })).to.equal(
        "milestone 1 settled (Silent): vendor 0 TUSD, client 1000 TUSD",
      );
      expect(
        describeEvent(settled(Settlement.ArbitrationTimedOut, 600_250_000n, 399_750_000n), { token: tusd }),
      ).to.equal("milestone 1 settled (ArbitrationTimedOut): vendor 600.25 TUSD, client 399.75 TUSD");
      const terminated = (refundedMilestones: bigint, refund: bigint): HistoryEntry => ({
        ...base,
        name: "AgreementTerminated",
        args: { id: 1n, refund, refundedMilestones },
      });
      expect(describeEvent(terminated(0n, 0n), { token: tusd })).to.equal(
        "terminated: no milestone refunded, 0 TUSD to the client",
      );
      expect(describeEvent(terminated(0b100n, 1_500_000n), { token: tusd })).to.equal(
        "terminated: milestone 2 refunded, 1.5 TUSD to the client",
      );
      const attested: HistoryEntry = {
        ...base,
        name: "AttestationPosted",
        milestone: 1,
        args: {
          id: 1n,
          milestone: 1n,
          cutBps: 4000n,
          values: [994_000n, 600n],
          evidence: ethers.ZeroHash,
          signerMask: 0b101n,
        },
      };
      expect(describeEvent(attested, { token: tusd, metrics: ["availability_ppm"] })).to.equal(
        `milestone 1 attested: values availability_ppm 99.4%, 600; cut 40%; evidence ${ethers.ZeroHash}; signers 0b101`,
      );
    });
  });
});
