import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import {
  BREACHED,
  DAY,
  Milestone,
  Settlement,
  UNIT,
  attestAt,
  createActive,
  makeTerms,
  setup,
} from "./helpers/fixture";

describe("smoke", function () {
  it("runs one milestone end to end", async function () {
    const ctx = await setup();
    const terms = await makeTerms(ctx);
    const id = await createActive(ctx, terms);
    await attestAt(ctx, terms, id, 0, BREACHED);
    await time.increase(2 * DAY);
    const s = await ctx.escrow.settle(id, 0);
    await expect(s)
      .to.emit(ctx.escrow, "MilestoneSettled")
      .withArgs(id, 0, Settlement.Attested, 4000, 600n * UNIT, 400n * UNIT);
    expect((await ctx.escrow.milestoneInfo(id, 0))[0]).to.equal(Milestone.Settled);
    expect((await ctx.escrow.getTerms(id)).milestones.length).to.equal(3);
  });
});
