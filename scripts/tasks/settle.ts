/** `sla:settle`: settles one milestone, or every milestone settleable now in one multicall. */
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { explainRevert } from "../lib/explain";
import { MILESTONE_STATUS, MilestoneStatus } from "../lib/model";
import {
  type EscrowArgs,
  type RunState,
  agreementToken,
  explainFor,
  parseId,
  parseMilestone,
  reportSettled,
  runTask,
  say,
  send,
  signerContext,
} from "./common";

interface SettleArgs extends EscrowArgs {
  id?: string;
  milestone?: string;
}

/** Returns the indexes of the milestones it settled. */
async function settle(args: SettleArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<bigint[]> {
  const id = parseId(args.id);
  const milestone = args.milestone === undefined ? undefined : parseMilestone(args.milestone);
  const c = await signerContext(hre, args);
  const token = await agreementToken(c, id);
  run.explain = explainFor(token);

  if (milestone !== undefined) {
    const sent = await send(c, "settle", "settle", [id, milestone]);
    reportSettled(sent.events, token);
    return [milestone];
  }

  // Every milestone: simulate each open one and batch those that would settle now.
  const count = BigInt((await c.escrow.getTerms(id)).milestones.length);
  say(`checking the ${count} milestones of agreement ${id}...`);
  const ready: bigint[] = [];
  for (let i = 0n; i < count; i++) {
    const [status] = await c.escrow.milestoneInfo(id, i);
    if (Number(status) === MilestoneStatus.Settled) {
      say(`milestone ${i}: already settled`);
      continue;
    }
    try {
      await c.signer.call({ to: c.address, data: c.iface.encodeFunctionData("settle", [id, i]) });
      ready.push(i);
      say(`milestone ${i}: ${MILESTONE_STATUS[Number(status)]}, settleable now`);
    } catch (err) {
      const why = explainRevert(err, c.iface, run.explain);
      if (why === undefined) throw err;
      say(`milestone ${i}: ${MILESTONE_STATUS[Number(status)]}, not settleable (${why})`);
    }
  }
  if (ready.length === 0) {
    say(`nothing to settle now in agreement ${id}`);
    return [];
  }
  const sent =
    ready.length === 1
      ? await send(c, "settle", "settle", [id, ready[0]])
      : await send(c, `settle ${ready.length} milestones in one multicall`, "multicall", [
          ready.map((i) => c.iface.encodeFunctionData("settle", [id, i])),
        ]);
  reportSettled(sent.events, token);
  return ready;
}

task("sla:settle", "Settles a milestone whose time has come, or every one settleable now (anyone)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam(
    "milestone",
    "the milestone index (from 0); default: every milestone settleable now, in one multicall",
    undefined,
    types.string,
  )
  .addOptionalParam("escrow", "the escrow's address (default: the SLAEscrow deployment)", undefined, types.string)
  .addOptionalParam("from", "the sending account: an index or an address (default: account 0)", undefined, types.string)
  .setAction(runTask(settle));
