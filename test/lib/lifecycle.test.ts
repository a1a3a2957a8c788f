/**
 * The core's lifecycle rules (scripts/lib/lifecycle.ts) against the escrow itself, on the boundary seconds: what
 * the rules say is allowed at second t goes through on chain at t, and what they say opens at t reverts at t - 1
 * (with the escrow's custom error). The tasks, the daemon, the demo and the web page decide with these functions,
 * so a rule that drifted from the contract fails here.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  acceptDeadline,
  agreementActions,
  attestWindow,
  derivedStatus,
  disputeEnd,
  milestoneActions,
  rolesOf,
  settleableAt,
} from "../../scripts/lib/lifecycle";
import {
  AgreementStatus,
  type AgreementTerms,
  MilestoneStatus,
  readMilestone,
  readTerms,
} from "../../scripts/lib/model";
import { BREACHED, type Context, create, createActive, makeTerms, setup, signed } from "../helpers/fixture";

async function load(ctx: Context, id: bigint): Promise<{ terms: AgreementTerms; status: AgreementStatus }> {
  return {
    terms: await readTerms(ctx.escrow, id),
    status: Number(await ctx.escrow.agreementStatus(id)) as AgreementStatus,
  };
}

/** The action names the rules allow on milestone `m` at `now`. */
async function allowedNow(ctx: Context, id: bigint, m: number, now: number): Promise<string[]> {
  const { terms, status } = await load(ctx, id);
  const state = await readMilestone(ctx.escrow, id, m);
  return milestoneActions(terms, status, m, state, now)
    .filter((a) => a.now)
    .map((a) => a.action);
}

describe("lifecycle rules (scripts/lib/lifecycle.ts) against the escrow", function () {
  it("accept: allowed while now < acceptDeadline (the first due time), AcceptanceWindowClosed at it", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx);
    const id = await create(ctx, terms);
    const { terms: t, status } = await load(ctx, id);
    const deadline = acceptDeadline(t);
    expect(deadline).to.equal(Number(terms.milestones[0].dueAt));
    const actions = agreementActions(t, status, deadline - 1);
    expect(actions.find((a) => a.action === "accept")).to.deep.equal({
      action: "accept",
      who: ["vendor"],
      until: deadline - 1,
      now: true,
    });
    expect(agreementActions(t, status, deadline).map((a) => a.action)).to.deep.equal(["cancel"]);
    const id2 = await create(ctx, terms);
    await time.setNextBlockTimestamp(deadline);
    await expect(ctx.escrow.connect(ctx.vendor).accept(id2))
      .to.be.revertedWithCustomError(ctx.escrow, "AcceptanceWindowClosed")
      .withArgs(deadline);
    // One second earlier it went through (a fresh agreement with the same first due time).
    const ctx2 = await setup();
    const id3 = await create(ctx2, await makeTerms(ctx2));
    const t3 = await readTerms(ctx2.escrow, id3);
    await time.setNextBlockTimestamp(acceptDeadline(t3) - 1);
    await expect(ctx2.escrow.connect(ctx2.vendor).accept(id3)).to.emit(ctx2.escrow, "AgreementAccepted").withArgs(id3);
  });

  it("attest: the window [dueAt, dueAt + attestGrace] is the escrow's, both ends included", async function () {
    const ctx = await setup();
    const terms0 = await makeTerms(ctx);
    const id = await createActive(ctx, terms0);
    const late = await createActive(ctx, terms0); // the same window, for the second after it
    const { terms } = await load(ctx, id);
    const w = attestWindow(terms, 0);
    expect(await allowedNow(ctx, id, 0, w.from - 1)).to.deep.equal([]);
    expect(await allowedNow(ctx, id, 0, w.from)).to.deep.equal(["attest"]);
    expect(await allowedNow(ctx, id, 0, w.until)).to.deep.equal(["attest"]);
    expect(await allowedNow(ctx, id, 0, w.until + 1)).to.deep.equal(["settle"]);
    const args = await signed(ctx, id, 0, BREACHED);
    await time.setNextBlockTimestamp(w.from - 1);
    await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args))
      .to.be.revertedWithCustomError(ctx.escrow, "AttestationTooEarly")
      .withArgs(w.from);
    await time.setNextBlockTimestamp(w.until);
    await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...args)).to.emit(ctx.escrow, "AttestationPosted");
    await time.setNextBlockTimestamp(w.until + 1);
    await expect(ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, late, 0, BREACHED))))
      .to.be.revertedWithCustomError(ctx.escrow, "AttestationTooLate")
      .withArgs(w.until);
  });

  it("settle Pending: settleableAt = dueAt + attestGrace + 1, SettleTooEarly one second before; the silent cut while Active, 10000 while Proposed", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx, { silentCutBps: 700 });
    const active = await createActive(ctx, terms);
    const proposed = await create(ctx, terms);
    const { terms: t } = await load(ctx, active);
    const state = await readMilestone(ctx.escrow, active, 0);
    const at = settleableAt(t, 0, state) as number;
    expect(at).to.equal(attestWindow(t, 0).until + 1);
    const settleOf = (status: AgreementStatus) =>
      milestoneActions(t, status, 0, state, at).find((a) => a.action === "settle");
    expect(settleOf(AgreementStatus.Active)).to.include({ now: true, from: at, cutBps: 700 });
    expect(settleOf(AgreementStatus.Proposed)).to.include({ now: true, from: at, cutBps: 10_000 });
    await time.setNextBlockTimestamp(at - 1);
    await expect(ctx.escrow.settle(active, 0)).to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly").withArgs(at);
    await time.setNextBlockTimestamp(at);
    await expect(ctx.escrow.settle(active, 0))
      .to.emit(ctx.escrow, "MilestoneSettled")
      .withArgs(active, 0, 3, 700, 930n * 10n ** 18n, 70n * 10n ** 18n);
    await expect(ctx.escrow.settle(proposed, 0))
      .to.emit(ctx.escrow, "MilestoneSettled")
      .withArgs(proposed, 0, 3, 10_000, 0, 1000n * 10n ** 18n);
  });

  it("dispute and settle Attested: dispute while now < attestedAt + disputeWindow, settle from then (the rules' boundaries are the escrow's)", async function () {
    const ctx = await setup();
    const id = await createActive(ctx);
    const { terms } = await load(ctx, id);
    const due = attestWindow(terms, 0).from;
    await time.setNextBlockTimestamp(due);
    await ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, 0, BREACHED)));
    const state = await readMilestone(ctx.escrow, id, 0);
    expect(state.status).to.equal(MilestoneStatus.Attested);
    const end = disputeEnd(terms, state);
    expect(settleableAt(terms, 0, state)).to.equal(end);
    expect(await allowedNow(ctx, id, 0, end - 1)).to.deep.equal(["dispute"]);
    expect(await allowedNow(ctx, id, 0, end)).to.deep.equal(["settle"]);
    await time.setNextBlockTimestamp(end - 1);
    await expect(ctx.escrow.settle(id, 0)).to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly").withArgs(end);
    await time.setNextBlockTimestamp(end);
    await expect(ctx.escrow.connect(ctx.client).dispute(id, 0)).to.be.revertedWithCustomError(
      ctx.escrow,
      "DisputeWindowClosed",
    );
  });

  it("Disputed: the arbitrator may resolve at any time, anyone may settle from disputedAt + arbitrationTimeout", async function () {
    const ctx = await setup();
    const id = await createActive(ctx);
    const { terms } = await load(ctx, id);
    await time.setNextBlockTimestamp(attestWindow(terms, 0).from);
    await ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, 0, BREACHED)));
    await ctx.escrow.connect(ctx.vendor).dispute(id, 0);
    const state = await readMilestone(ctx.escrow, id, 0);
    const at = settleableAt(terms, 0, state) as number;
    expect(at).to.equal(state.disputedAt + terms.arbitrationTimeout);
    const actions = milestoneActions(terms, AgreementStatus.Active, 0, state, at - 1);
    expect(actions.map((a) => [a.action, a.who, a.now])).to.deep.equal([
      ["resolve", ["arbitrator"], true],
      ["settle", ["anyone"], false],
    ]);
    await time.setNextBlockTimestamp(at - 1);
    await expect(ctx.escrow.settle(id, 0)).to.be.revertedWithCustomError(ctx.escrow, "SettleTooEarly").withArgs(at);
    await time.setNextBlockTimestamp(at);
    await expect(ctx.escrow.settle(id, 0)).to.emit(ctx.escrow, "MilestoneSettled");
    const settled = await readMilestone(ctx.escrow, id, 0);
    expect(settleableAt(terms, 0, settled)).to.equal(undefined);
    expect(milestoneActions(terms, AgreementStatus.Active, 0, settled, at)).to.deep.equal([]);
  });

  it("terminate: both parties while Active, then only the one that has not asked; roles and the derived Closed status", async function () {
    const ctx = await setup();
    const id = await createActive(ctx);
    const { terms, status } = await load(ctx, id);
    expect(agreementActions(terms, status, 0).map((a) => [a.action, a.who])).to.deep.equal([
      ["terminate", ["client", "vendor"]],
    ]);
    await ctx.escrow.connect(ctx.client).terminate(id);
    expect(agreementActions(terms, status, 0, [ctx.client.address]).map((a) => [a.action, a.who])).to.deep.equal([
      ["terminate", ["vendor"]],
    ]);
    await expect(ctx.escrow.connect(ctx.client).terminate(id))
      .to.be.revertedWithCustomError(ctx.escrow, "TerminationAlreadyRequested")
      .withArgs(id, ctx.client.address);
    expect(rolesOf(terms, ctx.client.address)).to.deep.equal(["client"]);
    expect(rolesOf(terms, ctx.oracles[1].address.toLowerCase())).to.deep.equal(["oracle"]);
    expect(rolesOf(terms, ctx.stranger.address)).to.deep.equal([]);
    const settled = { status: MilestoneStatus.Settled };
    expect(derivedStatus(AgreementStatus.Active, [settled, settled])).to.equal(AgreementStatus.Closed);
    expect(derivedStatus(AgreementStatus.Active, [settled, { status: MilestoneStatus.Pending }])).to.equal(
      AgreementStatus.Active,
    );
  });
});
