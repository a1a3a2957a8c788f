/**
 * The daemon at scale, against a real `hardhat node` process (scripts/oracle/bench-scale.ts, the benchmark's
 * scenario with 100 agreements instead of 1,000): one round posts every due milestone with at most 3 JSON-RPC
 * requests per milestone, exactly one AttestationPosted each; the next round settles them. Then the batched reads
 * on their own: a chunk that reverts read call by call, and the batched digest check refusing a digest the escrow
 * computes otherwise. `ORACLE_E2E=0` skips the node part (skipped under coverage too).
 */
import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, keccak256 } from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import { SLAEscrow__factory } from "../../typechain-types";
import { describeScale, scaleRound } from "../../scripts/oracle/bench-scale";
import { DigestChecks, DigestQueued, readViews } from "../../scripts/oracle/run/reads";

describe("oracle run at scale (hardhat node)", function () {
  before(function () {
    if (
      process.env.ORACLE_E2E === "0" ||
      (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING
    ) {
      console.log("    SKIPPED: the scale test against a hardhat node (ORACLE_E2E=0 or coverage run)");
      this.skip();
    }
  });

  it("posts 100 due milestones in one round with at most 3 JSON-RPC requests each, once each, then settles them", async function () {
    const n = 100;
    const r = await scaleRound({ agreements: n });
    for (const line of describeScale(r)) console.log(`      ${line}`);
    expect(r.post.milestones).to.equal(n);
    expect(r.post.requests).to.be.at.most(3 * n);
    expect(r.post.transactions).to.equal(1); // 100 calls per multicall transaction
    expect(r.attestationsPerMilestone).to.deep.equal(new Array(n).fill(1));
    // Nothing is read per milestone: no getTerms (the terms come with the events), no single view calls.
    expect(r.post.byMethod.eth_call).to.be.at.most(4); // the reads, the digest checks, the simulation
    expect(r.settle.milestones).to.equal(n);
    expect(r.settle.requests).to.be.at.most(3 * n);
  });
});

describe("batched reads (run/reads.ts)", function () {
  const iface = SLAEscrow__factory.createInterface();
  const coder = AbiCoder.defaultAbiCoder();

  /** An escrow whose multicall answers `answer(call)` for each call, and reverts when any answer is undefined. */
  function fakeEscrow(answer: (fn: string, args: unknown[]) => string | undefined) {
    const calls: number[] = [];
    const escrow = {
      interface: iface,
      multicall: {
        staticCall: async (data: string[]) => {
          calls.push(data.length);
          const out = data.map((d) => {
            const parsed = iface.parseTransaction({ data: d })!;
            return answer(parsed.name, [...parsed.args]);
          });
          if (out.some((o) => o === undefined))
            throw Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION" });
          return out as string[];
        },
      },
    } as unknown as SLAEscrow;
    return { escrow, calls };
  }

  it("reads views in chunks of one eth_call each, and a chunk that reverts call by call (the failing one throws)", async function () {
    const { escrow, calls } = fakeEscrow((_fn, args) =>
      Number(args[0]) === 13 ? undefined : coder.encode(["uint8"], [Number(args[0]) % 5]),
    );
    const ids = Array.from({ length: 12 }, (_, i) => BigInt(i + 1));
    const got = await readViews(
      escrow,
      ids.map((id) => ({ fn: "agreementStatus", args: [id] })),
      5,
    );
    expect(got.map((r) => Number(r[0]))).to.deep.equal(ids.map((id) => Number(id) % 5));
    expect(calls).to.deep.equal([5, 5, 2]);
    calls.length = 0;
    const failing = readViews(
      escrow,
      [11n, 12n, 13n, 14n].map((id) => ({ fn: "agreementStatus", args: [id] })),
      5,
    );
    await expect(failing).to.be.rejectedWith(/execution reverted/);
    expect(calls).to.deep.equal([4, 1, 1, 1]); // the chunk, then one by one up to the failing call
  });

  it("checks digests in one batch after queueing them, and refuses a digest the escrow computes otherwise", async function () {
    const good = keccak256("0x01");
    const other = keccak256("0x02");
    // The "escrow" computes `good` for milestone 0 and `other` for milestone 1.
    const { escrow, calls } = fakeEscrow((_fn, args) =>
      coder.encode(["bytes32"], [Number(args[1]) === 0 ? good : other]),
    );
    const checks = new DigestChecks(escrow);
    const att = (m: number) => ({ agreementId: 1n, milestone: m, values: [1, 2], evidence: keccak256("0x03") });
    checks.deferring = true;
    await expect(checks.check(att(0), good)).to.be.rejectedWith(DigestQueued);
    await expect(checks.check(att(1), good)).to.be.rejectedWith(DigestQueued); // the escrow's is `other`
    expect(checks.pending).to.equal(2);
    expect(calls).to.deep.equal([]);
    await checks.flush();
    expect(calls).to.deep.equal([2]); // one eth_call for both
    await checks.check(att(0), good); // checked: no request
    expect(calls).to.deep.equal([2]);
    await expect(checks.check(att(1), good)).to.be.rejectedWith(/digest mismatch: local 0x[0-9a-f]{64}, escrow/);
    // Not deferring: a new digest is checked at once.
    checks.deferring = false;
    await checks.check(att(1), other);
    expect(calls).to.deep.equal([2, 1]);
  });
});
