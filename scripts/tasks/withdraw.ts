/** `sla:withdraw`: sends the acting account's whole escrow balance of a token to itself or --to. */
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { formatAmount } from "../lib/units";
import {
  type EscrowArgs,
  type RunState,
  addressFlag,
  explainFor,
  runTask,
  say,
  send,
  signerContext,
  tokenFlag,
} from "./common";

interface WithdrawArgs extends EscrowArgs {
  token?: string;
  to?: string;
}

/** Returns the amount withdrawn (smallest units). */
async function withdraw(args: WithdrawArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<bigint> {
  const token = await tokenFlag(hre, args.token);
  const to = args.to === undefined ? undefined : addressFlag("--to", args.to);
  const c = await signerContext(hre, args);
  run.explain = explainFor(token);
  const recipient = to ?? c.signer.address;
  const sent = await send(c, "withdraw", "withdraw", [token.address, recipient]);
  const withdrawn = sent.events.find((e) => e.name === "Withdrawn");
  const amount = (withdrawn?.args[3] ?? sent.result[0]) as bigint;
  say(`withdrew ${formatAmount(amount, token)} of ${c.signer.address}'s balance to ${recipient}`);
  return amount;
}

task("sla:withdraw", "Withdraws the acting account's whole balance of a token from the escrow (anyone with a balance)")
  .addOptionalParam(
    "token",
    'the token: "ETH", a deployed token\'s symbol (e.g. TUSD) or an address (required)',
    undefined,
    types.string,
  )
  .addOptionalParam("to", "the recipient (default: the acting account)", undefined, types.string)
  .addOptionalParam("escrow", "the escrow's address (default: the SLAEscrow deployment)", undefined, types.string)
  .addOptionalParam(
    "from",
    "the account whose balance it is: an index or an address (default: account 0)",
    undefined,
    types.string,
  )
  .setAction(runTask(withdraw));
