/**
 * Failures: rejected calls explained in plain words (never revert data), bad flags and bad terms files named
 * in one line on stderr, exit code 1, and nothing sent. Plus the explanation of every escrow error.
 */
import { expect } from "chai";
import hre from "hardhat";
import { ErrorFragment, Interface, ZeroAddress } from "ethers";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { BREACHED, type Context, attestAt, setup } from "../helpers/fixture";
import { EXPLAINED_ERRORS, explainError, explainRevert } from "../../scripts/lib/explain";
import { type ConvertedTerms } from "../../scripts/lib/terms";
import { formatTime } from "../../scripts/lib/time";
import { loadTermsFile } from "../../scripts/adapters/terms-file";
import { escrowInterface } from "../../scripts/adapters/escrow";
import { DAY, runTask, termsFile, writeTerms } from "./helpers";

async function created(ctx: Context, overrides: Record<string, unknown> = {}): Promise<ConvertedTerms> {
  const file = writeTerms(await termsFile(ctx, overrides));
  const converted = await loadTermsFile(hre, file, ctx.client.address);
  const r = await runTask("sla:create", { terms: file, from: "1", yes: true });
  expect(r.exitCode).to.equal(undefined);
  return converted;
}

/** Runs a task that must fail: returns its stderr after checking exit code 1, no stdout, no transaction. */
async function failing(task: string, args: Record<string, unknown>): Promise<string> {
  const block = await hre.ethers.provider.getBlockNumber();
  const r = await runTask(task, args);
  expect(r.exitCode).to.equal(1);
  expect(r.result).to.equal(undefined);
  expect(await hre.ethers.provider.getBlockNumber(), "a transaction was sent").to.equal(block);
  expect(r.err, "a stack trace").not.to.match(/\n\s+at /);
  expect(r.err, "revert data").not.to.match(/0x[0-9a-fA-F]{41,}/);
  expect(r.err.endsWith("\n")).to.equal(true);
  return r.err;
}

describe("tasks: failures", function () {
  describe("rejected calls are explained in plain words", function () {
    it("accept by someone other than the vendor: NotVendor", async function () {
      const ctx = await setup();
      await created(ctx);
      const err = await failing("sla:accept", { id: "1", from: "1" });
      expect(err).to.equal(
        `error: NotVendor: ${ctx.client.address} is not the agreement's vendor; only the vendor may do this\n`,
      );
    });

    it("accept at the first due time: the deadline is said first, then AcceptanceWindowClosed(dueAt[0]) in words", async function () {
      const ctx = await setup();
      const t = await created(ctx);
      const firstDue = t.terms.milestones[0].dueAt;
      await time.setNextBlockTimestamp(firstDue);
      await hre.network.provider.send("evm_mine");
      const block = await hre.ethers.provider.getBlockNumber();
      const r = await runTask("sla:accept", { id: "1", from: "2" });
      expect(r.exitCode).to.equal(1);
      expect(r.result).to.equal(undefined);
      expect(await hre.ethers.provider.getBlockNumber(), "a transaction was sent").to.equal(block);
      expect(r.out).to.equal(
        `deadline: the vendor could accept only before ${formatTime(firstDue)} (the first milestone's due time); ` +
          `the chain's time is ${formatTime(firstDue)}, too late\n`,
      );
      expect(r.err).to.equal(
        `error: AcceptanceWindowClosed: the vendor could accept only before ${formatTime(firstDue)}, the first ` +
          "milestone's due time (from then on its attestation window is open); that time has come, so the proposal " +
          "can no longer be accepted: the client can cancel it for a full refund, and each milestone refunds itself " +
          "after its grace\n",
      );
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(1n);
    });

    it("settle too early: SettleTooEarly with the time it becomes possible", async function () {
      const ctx = await setup();
      const t = await created(ctx);
      await ctx.escrow.connect(ctx.vendor).accept(1n);
      const err = await failing("sla:settle", { id: "1", milestone: "0" });
      const from = t.terms.milestones[0].dueAt + 3n * DAY + 1n;
      expect(err).to.equal(`error: SettleTooEarly: the milestone can be settled from ${formatTime(from)} on\n`);
    });

    it("dispute without an arbitrator: NoArbitrator", async function () {
      const ctx = await setup();
      const t = await created(ctx, { arbitrator: null });
      await ctx.escrow.connect(ctx.vendor).accept(1n);
      await attestAt(ctx, t.terms, 1n, 0, BREACHED);
      expect(await failing("sla:dispute", { id: "1", milestone: "0", from: "2" })).to.equal(
        "error: NoArbitrator: agreement 1 has no arbitrator, so its milestones cannot be disputed\n",
      );
    });

    it("dispute after the window: DisputeWindowClosed", async function () {
      const ctx = await setup();
      const t = await created(ctx);
      await ctx.escrow.connect(ctx.vendor).accept(1n);
      await attestAt(ctx, t.terms, 1n, 0, BREACHED);
      const closes = BigInt(await time.latest()) + 2n * DAY;
      await time.increaseTo(closes);
      expect(await failing("sla:dispute", { id: "1", milestone: "0", from: "1" })).to.equal(
        `error: DisputeWindowClosed: the dispute window closed at ${formatTime(closes)}; the attested cut stands\n`,
      );
    });

    it("resolve by someone other than the arbitrator, and a milestone not disputed", async function () {
      const ctx = await setup();
      const t = await created(ctx);
      await ctx.escrow.connect(ctx.vendor).accept(1n);
      await attestAt(ctx, t.terms, 1n, 0, BREACHED);
      expect(await failing("sla:resolve", { id: "1", milestone: "0", cut: "10%", from: "2" })).to.equal(
        `error: NotArbitrator: ${ctx.vendor.address} is not the agreement's arbitrator; only the arbitrator may ` +
          "resolve disputes\n",
      );
      expect(await failing("sla:resolve", { id: "1", milestone: "0", cut: "10%", from: "3" })).to.equal(
        "error: MilestoneNotDisputed: milestone 0 of agreement 1 is Attested; only a Disputed milestone can be resolved\n",
      );
    });

    it("cancel after acceptance: AgreementNotProposed with the status in words", async function () {
      const ctx = await setup();
      await created(ctx);
      await ctx.escrow.connect(ctx.vendor).accept(1n);
      expect(await failing("sla:cancel", { id: "1", from: "1" })).to.equal(
        "error: AgreementNotProposed: agreement 1 is Active; this is possible only while it is Proposed (funded, " +
          "not yet accepted by the vendor)\n",
      );
    });

    it("terminate twice: TerminationAlreadyRequested", async function () {
      const ctx = await setup();
      await created(ctx);
      await ctx.escrow.connect(ctx.vendor).accept(1n);
      await ctx.escrow.connect(ctx.client).terminate(1n);
      expect(await failing("sla:terminate", { id: "1", from: "1" })).to.equal(
        `error: TerminationAlreadyRequested: ${ctx.client.address} already asked to terminate agreement 1; it ` +
          "takes effect when the other party asks too\n",
      );
    });

    it("unknown agreement and milestone: AgreementNotFound, MilestoneOutOfRange", async function () {
      const ctx = await setup();
      await created(ctx);
      expect(await failing("sla:status", { id: "7" })).to.equal(
        "error: AgreementNotFound: there is no agreement 7 on this escrow (wrong id, escrow or network?)\n",
      );
      expect(await failing("sla:settle", { id: "1", milestone: "9" })).to.equal(
        "error: MilestoneOutOfRange: agreement 1 has 3 milestones (0 to 2); there is no milestone 9\n",
      );
    });

    it("withdraw without a balance: NothingToWithdraw, naming the token", async function () {
      const ctx = await setup();
      expect(await failing("sla:withdraw", { token: "TUSD", from: "5" })).to.equal(
        `error: NothingToWithdraw: ${ctx.stranger.address} has no TUSD balance in the escrow\n`,
      );
    });
  });

  describe("bad input names the flag or field, one line, exit code 1, nothing sent", function () {
    it("flags", async function () {
      const ctx = await setup();
      await created(ctx);
      const cases: [string, Record<string, unknown>, string][] = [
        ["sla:accept", {}, "--id is required, e.g. --id 1"],
        ["sla:create", { yes: true }, "--terms is required, e.g. --terms examples/terms.example.json"],
        ["sla:dispute", { id: "1" }, "--milestone is required, e.g. --milestone 0"],
        ["sla:resolve", { id: "1", milestone: "0" }, "--cut is required, e.g. --cut 25%"],
        ["sla:withdraw", {}, "--token is required, e.g. --token TUSD"],
        ["sla:accept", { id: "abc" }, '--id: "abc" is not an agreement id (a whole number from 1)'],
        ["sla:accept", { id: "0" }, '--id: "0" is not an agreement id (a whole number from 1)'],
        [
          "sla:dispute",
          { id: "1", milestone: "-1" },
          '--milestone: "-1" is not a milestone index (a whole number from 0)',
        ],
        [
          "sla:accept",
          { id: "1", from: "99" },
          '--from: account 99 does not exist; network "hardhat" has 20 (0 to 19)',
        ],
        [
          "sla:accept",
          { id: "1", from: "0x000000000000000000000000000000000000dEaD" },
          '--from: 0x000000000000000000000000000000000000dEaD is not one of the accounts of network "hardhat"',
        ],
        ["sla:accept", { id: "1", from: "vendor" }, '--from: "vendor" is neither an account index nor an address'],
        ["sla:resolve", { id: "1", milestone: "0", cut: "120%" }, '--cut: "120%" is above 100%'],
        [
          "sla:resolve",
          { id: "1", milestone: "0", cut: "2.555%" },
          '--cut: "2.555%" is finer than a basis point (0.01%)',
        ],
        [
          "sla:resolve",
          { id: "1", milestone: "0", cut: "0.25" },
          '--cut: "0.25" is not a percentage like "25%" or "2.5%"',
        ],
        [
          "sla:withdraw",
          { token: "XYZ" },
          '--token: "XYZ" is neither "ETH", an address, nor the symbol of a token deployed on network "hardhat" (deployed: TUSD)',
        ],
        ["sla:withdraw", { token: "TUSD", to: "0x12" }, '--to: "0x12" is not an address'],
        ["sla:status", { id: "1", escrow: "nope" }, '--escrow: "nope" is not an address'],
        [
          "sla:status",
          { id: "1", escrow: ctx.vendor.address },
          `no contract at ${ctx.vendor.address} on network "hardhat" (wrong network or address?)`,
        ],
      ];
      for (const [task, args, message] of cases) {
        expect(await failing(task, args), `${task} ${JSON.stringify(args)}`).to.equal(`error: ${message}\n`);
      }
    });

    it("a terms file with errors: every error listed, nothing sent", async function () {
      const ctx = await setup();
      const raw = await termsFile(ctx, { vendor: ctx.client.address, threshold: 4 });
      (raw.metrics as { tiers: { cut: string }[] }[])[0].tiers[1].cut = "120%";
      const file = writeTerms(raw);
      expect(await failing("sla:create", { terms: file, from: "1", yes: true })).to.equal(
        `error: ${file}: 3 errors, nothing was sent:\n` +
          "  vendor: must differ from client\n" +
          "  threshold: must be between 1 and the number of oracles (3), got 4\n" +
          '  metrics[0].tiers[1].cut: "120%" is above 100%\n',
      );
      expect(await ctx.escrow.agreementStatus(1n)).to.equal(0n);
    });

    it("a terms file whose client is not --from", async function () {
      const ctx = await setup();
      const file = writeTerms(await termsFile(ctx));
      expect(await failing("sla:create", { terms: file, yes: true })).to.equal(
        `error: ${file}: 1 error, nothing was sent:\n` +
          `  client: ${ctx.client.address} is not the sending account ${ctx.deployer.address}; the client must send ` +
          "the proposal itself (choose the account with --from)\n",
      );
    });

    it("--permit with native ETH, and a client without the deposit", async function () {
      const ctx = await setup();
      const eth = writeTerms(await termsFile(ctx, { token: "ETH" }));
      expect(await failing("sla:create", { terms: eth, from: "1", yes: true, permit: true })).to.equal(
        "error: --permit: the terms are in native ETH, which needs no approval; leave out --permit\n",
      );
      const poor = writeTerms(await termsFile(ctx, { client: ctx.stranger.address }));
      expect(await failing("sla:create", { terms: poor, from: "5", yes: true })).to.equal(
        `error: ${ctx.stranger.address} holds 0 TUSD; the deposit is 3000 TUSD\n`,
      );
    });
  });

  describe("explanations", function () {
    let iface: Interface;
    before(async function () {
      iface = await escrowInterface(hre);
    });

    it("explains every custom error of the escrow's ABI (none falls back to raw arguments)", function () {
      const errors = iface.fragments.filter((f): f is ErrorFragment => f.type === "error");
      expect(errors.length).to.be.greaterThan(50);
      for (const fragment of errors) {
        expect(EXPLAINED_ERRORS, fragment.name).to.include(fragment.name);
        const args = fragment.inputs.map((input) =>
          input.type === "address" ? ZeroAddress : input.type === "string" ? "x" : input.type === "bool" ? false : 1n,
        );
        const text = explainRevert({ data: iface.encodeErrorResult(fragment, args) }, iface)!;
        expect(text, fragment.name).to.match(new RegExp(`^${fragment.name}: \\S`));
        expect(text, fragment.name).not.to.match(/undefined|NaN|\[object/);
      }
    });

    it("says times, cuts, statuses and amounts in human terms", function () {
      const explain = (name: string, args: unknown[]) =>
        explainError(iface.parseError(iface.encodeErrorResult(name, args))!, {
          amount: (v) => `${Number(v) / 1e6} USDC`,
          tokenName: () => "USDC",
        });
      expect(explain("AttestationTooEarly", [1_798_020_000n])).to.equal(
        "AttestationTooEarly: the milestone is due at 2026-12-23T10:00:00Z; attestations are accepted from then on",
      );
      expect(explain("TierCutTooHigh", [1n, 2n, 12_000n])).to.equal(
        "TierCutTooHigh: tier 2 of metric 1 cuts 120%; a cut cannot exceed 100%",
      );
      expect(explain("MilestoneNotAttested", [3n, 1n, 3n])).to.equal(
        "MilestoneNotAttested: milestone 1 of agreement 3 is Settled; only an Attested milestone can be disputed",
      );
      expect(explain("TokenBalanceDecreased", [ZeroAddress, 10_000_000n, 7_000_000n])).to.equal(
        "TokenBalanceDecreased: the escrow's balance of USDC fell from 10 USDC to 7 USDC while it pulled the " +
          "deposit: the token took more than it delivered, and such tokens are not supported",
      );
      expect(explain("InsufficientAllowance", [ZeroAddress, 5_000_000n, 6_000_000n])).to.equal(
        "InsufficientAllowance: the permit failed and the escrow may spend only 5 USDC of the client's USDC, but " +
          "needs 6 USDC; sign a fresh permit or approve first",
      );
    });

    it("decodes token errors, Error(string), Panic and unknown errors without printing revert data", function () {
      const token = new Interface(["error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)"]);
      const data = token.encodeErrorResult("ERC20InsufficientBalance", [ZeroAddress, 1n, 2n]);
      expect(explainRevert({ error: { data } }, iface)).to.equal(
        `ERC20InsufficientBalance: ${ZeroAddress} holds 1 (smallest units) of the token but 2 (smallest units) are needed`,
      );
      const reason = new Interface(["error Error(string)"]).encodeErrorResult("Error", ["no way"]);
      expect(explainRevert({ data: reason }, iface)).to.equal("reverted: no way");
      const panic = new Interface(["error Panic(uint256)"]).encodeErrorResult("Panic", [0x11n]);
      expect(explainRevert({ data: panic }, iface)).to.equal("Panic: an arithmetic overflow or underflow");
      expect(explainRevert({ data: "0xdeadbeef" }, iface)).to.equal(
        "the call reverted with an error this tool does not know (selector 0xdeadbeef)",
      );
      expect(explainRevert(new Error("boom"), iface)).to.equal(undefined);
    });
  });
});
