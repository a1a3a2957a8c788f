/** `sla:accept`, `sla:cancel`, `sla:dispute`, `sla:resolve`, `sla:terminate`: one escrow call each. */
import { getAddress } from "ethers";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { partyOracleWarnings } from "../lib/party-oracles";
import { formatAmount, formatDuration, parseCut } from "../lib/units";

import {
  type EscrowArgs,
  type RunState,
  agreementToken,
  eventsFromBlock,
  agreementOf,
  explainFor,
  flag,
  parseId,
  parseMilestone,
  reportSettled,
  required,
  runTask,
  say,
  send,
  signerContext,
  simulate,
  withdrawName,
} from "./common";
import { describeTerms } from "./summary";
import { acceptDeadline } from "../lib/lifecycle";
import { formatTime, latestBlockTime } from "../lib/time";

interface IdArgs extends EscrowArgs {
  id?: string;
}

interface MilestoneArgs extends IdArgs {
  milestone?: string;
}

interface ResolveArgs extends MilestoneArgs {
  cut?: string;
}

/**
 * What `sla:accept` says before it sends: the vendor may accept only before the first milestone's due time
 * (`now < dueAt[0]`), so that every milestone has its whole attestation window while the agreement is Active.
 */
export function acceptanceDeadline(firstDueAt: number, now: number): string[] {
  const deadline = formatTime(firstDueAt);
  return now < firstDueAt
    ? [
        `deadline: the vendor can accept only before ${deadline} (the first milestone's due time); ` +
          `${formatDuration(firstDueAt - now)} left at the chain's time ${formatTime(now)}`,
      ]
    : [
        `deadline: the vendor could accept only before ${deadline} (the first milestone's due time); the chain's ` +
          `time is ${formatTime(now)}, too late`,
      ];
}

async function accept(args: IdArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<string> {
  const id = parseId(args.id);
  const c = await signerContext(hre, args);
  const { terms, token } = await agreementOf(c, id, run);
  // The deadline first, so that a vendor who is too late reads why before the error (AcceptanceWindowClosed).
  for (const line of acceptanceDeadline(acceptDeadline(terms), await latestBlockTime(hre.ethers.provider))) say(line);
  await simulate(c, "accept", [id]); // a rejection is explained before the terms are shown
  say(`Accepting agreement ${id}:`);
  for (const line of describeTerms(terms, token)) say(line ? `  ${line}` : "");
  for (const warning of partyOracleWarnings(terms)) say(warning);
  const sent = await send(c, "accept", "accept", [id]);
  say(
    `agreement ${id} is Active: the oracles attest each milestone from its due time on, the first at ` +
      `${formatTime(terms.milestones[0].dueAt)}`,
  );
  return sent.hash;
}

async function cancel(args: IdArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<string> {
  const id = parseId(args.id);
  const c = await signerContext(hre, args);
  const token = await agreementToken(c, id);
  run.explain = explainFor(token);
  const sent = await send(c, "cancel", "cancel", [id]);
  const refund = sent.events.find((e) => e.name === "AgreementCancelled")?.args[1] as bigint;
  say(`agreement ${id} cancelled: ${formatAmount(refund, token)} credited to the client; withdraw it with`);
  say(`  npx hardhat sla:withdraw --token ${withdrawName(token)} --network ${hre.network.name}`);
  return sent.hash;
}

async function dispute(args: MilestoneArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<string> {
  const id = parseId(args.id);
  const milestone = parseMilestone(args.milestone);
  const c = await signerContext(hre, args);
  const { terms } = await agreementOf(c, id, run);
  const sent = await send(c, "dispute", "dispute", [id, milestone]);
  const [, , , disputedAt] = await c.escrow.milestoneInfo(id, milestone);
  say(
    `milestone ${milestone} of agreement ${id} is Disputed: the arbitrator ${terms.arbitrator} decides the cut ` +
      `(sla:resolve); if it does not, anyone can settle with the attested cut from ` +
      `${formatTime(disputedAt + BigInt(terms.arbitrationTimeout))}`,
  );
  return sent.hash;
}

async function resolve(args: ResolveArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<string> {
  const id = parseId(args.id);
  const milestone = parseMilestone(args.milestone);
  const cutBps = flag("--cut", () => parseCut(required(args.cut, "--cut", "25%")));
  const c = await signerContext(hre, args);
  const token = await agreementToken(c, id);
  run.explain = explainFor(token);
  const sent = await send(c, "resolve", "resolveDispute", [id, milestone, cutBps]);
  reportSettled(sent.events, token);
  return sent.hash;
}

/**
 * What `sla:terminate` says before it sends. A termination request never expires and cannot be withdrawn: the
 * other party may complete it whenever it suits them while the agreement is Active (say one second before a due
 * time, so that that milestone is refunded too), and the milestones not yet due at that moment are refunded.
 */
export function terminationNote(otherAlreadyAsked: "client" | "vendor" | undefined): string {
  return otherAlreadyAsked === undefined
    ? "note: your termination request does not expire: the other party can complete it at any later time while " +
        "the agreement is Active, and the milestones not yet due at that moment are refunded to the client (a " +
        "request cannot be withdrawn)"
    : `note: the ${otherAlreadyAsked} asked to terminate already (a request does not expire); yours completes it ` +
        "now: the milestones not yet due are refunded to the client";
}

async function terminate(args: IdArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<string> {
  const id = parseId(args.id);
  const c = await signerContext(hre, args);
  const { terms, token } = await agreementOf(c, id, run);
  await simulate(c, "terminate", [id]); // a rejection (not a party, not Active, asked twice) is explained first
  const me = c.signer.address;
  const other = me === terms.client ? "vendor" : "client";
  const otherAddress = other === "vendor" ? terms.vendor : terms.client;
  const requests = await c.escrow.queryFilter(c.escrow.filters.TerminationRequested(id), await eventsFromBlock(c));
  const otherAsked = requests.some((e) => getAddress(e.args.party) === otherAddress);
  say(terminationNote(otherAsked ? other : undefined));
  const sent = await send(c, "terminate", "terminate", [id]);
  const done = sent.events.find((e) => e.name === "AgreementTerminated");
  if (done === undefined) {
    say(
      `termination of agreement ${id} requested by ${c.signer.address}; it takes effect when the other party asks too`,
    );
  } else {
    const refund = done.args[1] as bigint;
    const mask = done.args[2] as bigint;
    const refunded = [...Array(256).keys()].filter((i) => (mask >> BigInt(i)) & 1n);
    say(
      `agreement ${id} terminated: ${formatAmount(refund, token)} credited to the client for the milestones not ` +
        `yet due (${refunded.length ? refunded.join(", ") : "none"}); the others run their course`,
    );
  }
  return sent.hash;
}

const ESCROW = "the escrow's address (default: the SLAEscrow deployment)";
const FROM = "the acting account: an index or an address (default: account 0)";

task("sla:accept", "Accepts a proposed agreement (the vendor)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam("escrow", ESCROW, undefined, types.string)
  .addOptionalParam(
    "from",
    "the vendor's account: an index or an address (default: account 0)",
    undefined,
    types.string,
  )
  .setAction(runTask(accept));

task("sla:cancel", "Withdraws a proposal the vendor has not accepted, with a full refund (the client)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam("escrow", ESCROW, undefined, types.string)
  .addOptionalParam(
    "from",
    "the client's account: an index or an address (default: account 0)",
    undefined,
    types.string,
  )
  .setAction(runTask(cancel));

task("sla:dispute", "Disputes an attested milestone within the dispute window (the client or the vendor)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam("milestone", "the milestone index, from 0 (required)", undefined, types.string)
  .addOptionalParam("escrow", ESCROW, undefined, types.string)
  .addOptionalParam("from", FROM, undefined, types.string)
  .setAction(runTask(dispute));

task("sla:resolve", "Settles a disputed milestone with the arbitrator's cut (the arbitrator)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam("milestone", "the milestone index, from 0 (required)", undefined, types.string)
  .addOptionalParam(
    "cut",
    'the cut, e.g. "25%" or "2.5%"; 0% pays the vendor everything (required)',
    undefined,
    types.string,
  )
  .addOptionalParam("escrow", ESCROW, undefined, types.string)
  .addOptionalParam(
    "from",
    "the arbitrator's account: an index or an address (default: account 0)",
    undefined,
    types.string,
  )
  .setAction(runTask(resolve));

task("sla:terminate", "Asks to end an active agreement early; effective when both parties asked (client or vendor)")
  .addOptionalParam("id", "the agreement id (required)", undefined, types.string)
  .addOptionalParam("escrow", ESCROW, undefined, types.string)
  .addOptionalParam("from", FROM, undefined, types.string)
  .setAction(runTask(terminate));
