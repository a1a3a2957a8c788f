import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { BREACHED, DAY, Milestone, Settlement, UNIT, attestAt, createActive, makeTerms, setup } from "./helpers/fixture";

describe("smoke", function () {
  it("runs one milestone end to end", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx);
    const id = await createActive(ctx, terms);
    const tx = await attestAt(ctx, terms, id, 0, BREACHED);
    console.log("attest gas", (await tx.wait())!.gasUsed);
    await time.increase(2 * DAY);
    const s = await ctx.escrow.settle(id, 0);
    console.log("settle gas", (await s.wait())!.gasUsed);
    await expect(s).to.emit(ctx.escrow, "MilestoneSettled").withArgs(id, 0, Settlement.Attested, 4000, 600n * UNIT, 400n * UNIT);
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Settled);
    console.log(await ctx.escrow.getTerms(id));
    void ethers;
  });
});
