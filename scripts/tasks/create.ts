/** `sla:create`: proposes and funds an agreement from a terms file. */
import { ZeroAddress } from "ethers";
import { permitDomain, signPermit } from "../lib/permit";
import { task, types } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import { revertErrorName } from "../lib/explain";
import { partyOracleWarnings } from "../lib/party-oracles";
import { type ConvertedTerms } from "../lib/terms";
import { formatAmount } from "../lib/units";
import { loadTermsFile } from "../adapters/terms-file";
import {
  type EscrowArgs,
  type RunState,
  type Sent,
  type SignerContext,
  confirm,
  erc20,
  explainFor,
  required,
  runTask,
  say,
  send,
  signerContext,
} from "./common";
import { describeTerms } from "./summary";
import { toTerms } from "../lib/model";
import { latestBlockTime } from "../lib/time";

export interface CreateArgs extends EscrowArgs {
  terms?: string;
  metricSpec?: string;
  permit: boolean;
  yes: boolean;
}

/** Seconds a permit signed by `sla:create --permit` stays valid. */
const PERMIT_LIFETIME = 3_600n;

async function create(args: CreateArgs, hre: HardhatRuntimeEnvironment, run: RunState): Promise<bigint> {
  const file = required(args.terms, "--terms", "examples/terms.example.json");
  const c = await signerContext(hre, args);
  const converted = await loadTermsFile(hre, file, c.signer.address, args.metricSpec);
  const { terms, token, total } = converted;
  run.explain = explainFor(token);
  if (args.permit && token.address === ZeroAddress) {
    throw new UserError("--permit: the terms are in native ETH, which needs no approval; leave out --permit");
  }

  say(`Agreement to propose on network "${hre.network.name}" (escrow ${c.address}):`);
  for (const line of describeTerms(toTerms(0n, terms), token, converted.specs)) say(line ? `  ${line}` : "");
  say("");
  // Parties may be oracles; warn when those oracles can meet the threshold without an independent one.
  const warnings = partyOracleWarnings(terms);
  for (const warning of warnings) say(warning);
  if (warnings.length > 0) say("");
  const funding =
    token.address === ZeroAddress
      ? `sent with the transaction`
      : args.permit
        ? "pulled from the client with a permit signature"
        : "pulled from the client after an approve transaction";
  say(`The client deposits ${formatAmount(total, token)} now (${funding}).`);
  if (!args.yes && !(await confirm("Send? [y/N] "))) {
    throw new UserError("not confirmed: nothing was sent (answer y, or pass --yes)");
  }

  const id =
    token.address === ZeroAddress
      ? await createWithEth(c, converted)
      : await createWithToken(c, converted, args.permit);
  say(`agreement ${id} created: ${formatAmount(total, token)} in escrow; the vendor accepts with:`);
  say(`  npx hardhat sla:accept --id ${id} --network ${hre.network.name}`);
  say(`id: ${id}`);
  return id;
}

async function createWithEth(c: SignerContext, converted: ConvertedTerms): Promise<bigint> {
  const { total, token } = converted;
  const balance = await c.hre.ethers.provider.getBalance(c.signer.address);
  if (balance < total) {
    throw new UserError(
      `${c.signer.address} holds ${formatAmount(balance, token)}; the deposit is ${formatAmount(total, token)} (plus gas)`,
    );
  }
  return idOf(await send(c, "create", "createAgreement", [converted.terms], total));
}

async function createWithToken(c: SignerContext, converted: ConvertedTerms, permit: boolean): Promise<bigint> {
  const { terms, total, token } = converted;
  const erc = erc20(token.address, c.signer);
  const balance = BigInt(await erc.getFunction("balanceOf").staticCall(c.signer.address));
  if (balance < total) {
    throw new UserError(
      `${c.signer.address} holds ${formatAmount(balance, token)}; the deposit is ${formatAmount(total, token)}`,
    );
  }

  if (permit) {
    let nonce: bigint;
    try {
      nonce = BigInt(await erc.getFunction("nonces").staticCall(c.signer.address));
    } catch {
      throw new UserError(
        `--permit: ${token.symbol} does not support EIP-2612 permits; leave out --permit to approve instead`,
      );
    }
    const deadline = BigInt(await latestBlockTime(c.hre.ethers.provider)) + PERMIT_LIFETIME;
    say(`permit: signing ${formatAmount(total, token)} for the escrow (valid until the chain's time + 1h)`);
    const domain = await permitDomain(token.address, c.signer, (await c.hre.ethers.provider.getNetwork()).chainId);
    const signature = await signPermit(c.signer, domain, {
      owner: c.signer.address,
      spender: c.address,
      value: total,
      nonce,
      deadline,
    });
    return idOf(
      await send(c, "create", "createAgreementWithPermit", [terms, deadline, signature.v, signature.r, signature.s]),
    );
  }

  const allowance = BigInt(await erc.getFunction("allowance").staticCall(c.signer.address, c.address));
  if (allowance < total) {
    // Before spending gas on the approval, check that only the allowance stands in the way.
    try {
      await c.signer.call({ to: c.address, data: c.iface.encodeFunctionData("createAgreement", [terms]) });
    } catch (err) {
      const name = revertErrorName(err, c.iface);
      if (name !== "ERC20InsufficientAllowance" && name !== "SafeERC20FailedOperation") throw err;
    }
    say(`approve: allowing the escrow to take ${formatAmount(total, token)}`);
    const tx = await erc.getFunction("approve").send(c.address, total);
    say(`approve: sent ${tx.hash}`);
    await tx.wait();
    say("approve: confirmed");
  }
  return idOf(await send(c, "create", "createAgreement", [terms]));
}

/** The token's EIP-712 domain: from ERC-5267 when it answers, else its name and version "1". */

function idOf(sent: Sent): bigint {
  const created = sent.events.find((e) => e.name === "AgreementCreated");
  if (created === undefined) throw new UserError("create: the transaction emitted no AgreementCreated event");
  return BigInt(created.args[0] as bigint);
}

task("sla:create", "Proposes and funds an agreement from a terms file (the client's first step)")
  .addOptionalParam(
    "terms",
    "the terms file: JSON, see examples/terms.example.json (required)",
    undefined,
    types.string,
  )
  .addOptionalParam(
    "metricSpec",
    'the metric spec file (JSON; default: the terms file\'s "metricSpec"): names, kinds and units of the metrics',
    undefined,
    types.string,
  )
  .addFlag("permit", "fund with an EIP-2612 permit signature instead of an approve transaction")
  .addFlag("yes", "send without asking for confirmation")
  .addOptionalParam("escrow", "the escrow's address (default: the SLAEscrow deployment)", undefined, types.string)
  .addOptionalParam(
    "from",
    "the client's account: an index or an address (default: account 0)",
    undefined,
    types.string,
  )
  .setAction(runTask(create));
