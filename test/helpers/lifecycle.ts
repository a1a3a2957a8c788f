/**
 * Extra helpers for the creation, lifecycle and withdrawal tests: plain (comparable) terms, sorted random
 * oracle addresses, EIP-2612 permits, a "nothing changed" snapshot, decoding of a recorded revert and contract
 * accounts (parties that are contracts).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { type AddressLike, type BytesLike, type ContractTransactionResponse, resolveAddress } from "ethers";
import { signPermit as signTokenPermit } from "../../scripts/lib/permit";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ISLAEscrow, MockERC20Permit, MockEthReceiver, SLAEscrow } from "../../typechain-types";
import { type TermsValue } from "../../scripts/lib/terms";
import { type Context, ETH, makeTerms, totalOf } from "./fixture";

/** A Terms struct with every address checksummed and every number a bigint, for deep equality. */
export type PlainTerms = TermsValue;

async function addr(a: AddressLike): Promise<string> {
  return ethers.getAddress(await resolveAddress(a));
}

/** Normalises input terms (TermsStruct) or decoded terms (getTerms, the event) to `PlainTerms`. */
export async function plainTerms(t: ISLAEscrow.TermsStruct): Promise<PlainTerms> {
  return {
    client: await addr(t.client),
    vendor: await addr(t.vendor),
    token: await addr(t.token),
    arbitrator: await addr(t.arbitrator),
    disputeWindow: BigInt(t.disputeWindow),
    attestGrace: BigInt(t.attestGrace),
    arbitrationTimeout: BigInt(t.arbitrationTimeout),
    silentCutBps: BigInt(t.silentCutBps),
    threshold: BigInt(t.threshold),
    startAt: BigInt(t.startAt),
    oracles: await Promise.all(t.oracles.map(addr)),
    metrics: t.metrics.map((m) => ({
      higherIsBetter: m.higherIsBetter,
      tiers: m.tiers.map((tier) => ({ threshold: BigInt(tier.threshold), cutBps: BigInt(tier.cutBps) })),
    })),
    milestones: t.milestones.map((m) => ({ amount: BigInt(m.amount), dueAt: BigInt(m.dueAt) })),
  };
}

/** Asserts that `actual` (decoded from the chain) equals `expected` field by field. */
export async function expectTermsEqual(
  actual: ISLAEscrow.TermsStruct,
  expected: ISLAEscrow.TermsStruct,
): Promise<void> {
  const a = await plainTerms(actual);
  const e = await plainTerms(expected);
  expect(a.client).to.equal(e.client);
  expect(a.vendor).to.equal(e.vendor);
  expect(a.token).to.equal(e.token);
  expect(a.arbitrator).to.equal(e.arbitrator);
  expect(a.disputeWindow).to.equal(e.disputeWindow);
  expect(a.attestGrace).to.equal(e.attestGrace);
  expect(a.arbitrationTimeout).to.equal(e.arbitrationTimeout);
  expect(a.silentCutBps).to.equal(e.silentCutBps);
  expect(a.threshold).to.equal(e.threshold);
  expect(a.startAt).to.equal(e.startAt);
  expect(a.oracles).to.deep.equal(e.oracles);
  expect(a.metrics).to.deep.equal(e.metrics);
  expect(a.milestones).to.deep.equal(e.milestones);
  expect(a).to.deep.equal(e);
}

/** The terms carried by the AgreementCreated event of agreement `id`. */
export async function createdEventTerms(escrow: SLAEscrow, id: bigint): Promise<ISLAEscrow.TermsStructOutput> {
  const events = await escrow.queryFilter(escrow.filters.AgreementCreated(id));
  expect(events.length).to.equal(1);
  return events[0].args.terms;
}

/** `n` random addresses, strictly ascending as Terms.oracles requires. */
export function sortedAddresses(n: number): string[] {
  return Array.from({ length: n }, () => ethers.Wallet.createRandom().address).sort((a, b) =>
    BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0,
  );
}

/** `count` metrics with `tiers` tiers each (cuts small enough that any sum stays meaningful). */
export function manyMetrics(count: number, tiers: number): ISLAEscrow.MetricStruct[] {
  return Array.from({ length: count }, (_, m) => ({
    higherIsBetter: m % 2 === 0,
    tiers: Array.from({ length: tiers }, (__, t) => ({ threshold: 1000 * (t + 1) + m, cutBps: 100 * (t + 1) })),
  }));
}

/** `count` milestones of `amount`, due every `step` seconds after `from`. */
export function manyMilestones(
  count: number,
  amount: bigint,
  from: bigint,
  step: bigint,
): ISLAEscrow.MilestoneStruct[] {
  return Array.from({ length: count }, (_, i) => ({ amount, dueAt: from + BigInt(i + 1) * step }));
}

/** An EIP-2612 permit signed by `owner` against the token's own domain (read through ERC-5267). */
export async function signPermit(
  token: MockERC20Permit,
  owner: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<{ v: number; r: string; s: string }> {
  const d = await token.eip712Domain();
  const domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
  const nonce = await token.nonces(owner.address);
  return signTokenPermit(owner, domain, { owner: owner.address, spender, value, nonce, deadline });
}

/** Decodes revert data recorded by a mock against the escrow's ABI and returns the error's name. */
export function revertName(escrow: SLAEscrow, data: BytesLike): string {
  const parsed = escrow.interface.parseError(data);
  expect(parsed, `undecodable revert data ${ethers.hexlify(data)}`).to.not.equal(null);
  return parsed!.name;
}

/**
 * Everything a rejected call must leave as it was: statuses of the first ids and, for the client, the vendor, the
 * escrow and `accounts`, their ETH balances, token balances (the test token and `tokens`) and escrow credits.
 */
export async function snapshot(
  ctx: Context,
  tokens: string[] = [],
  accounts: string[] = [],
): Promise<Map<string, bigint>> {
  const who = [ctx.client.address, ctx.vendor.address, ctx.escrowAddress, ...accounts].map((a) => ethers.getAddress(a));
  const tokenAddresses = [ctx.tokenAddress, ...tokens];
  const out = new Map<string, bigint>();
  for (const id of [1n, 2n, 3n]) out.set(`status ${id}`, await ctx.escrow.agreementStatus(id));
  for (const a of who) {
    out.set(`eth ${a}`, await ethers.provider.getBalance(a));
    out.set(`credit ${a} ETH`, await ctx.escrow.balanceOf(a, ETH));
    for (const t of tokenAddresses) {
      const erc20 = await ethers.getContractAt("IERC20", t);
      out.set(`token ${t} ${a}`, await erc20.balanceOf(a));
      out.set(`credit ${a} ${t}`, await ctx.escrow.balanceOf(a, t));
    }
  }
  return out;
}

/** Gas fees paid per sender in the blocks after `fromBlock` (a reverted transaction is mined and pays gas). */
async function feesSince(fromBlock: number): Promise<Map<string, bigint>> {
  const fees = new Map<string, bigint>();
  const latest = await ethers.provider.getBlockNumber();
  for (let n = fromBlock + 1; n <= latest; n++) {
    const block = await ethers.provider.getBlock(n);
    for (const hash of block?.transactions ?? []) {
      const receipt = await ethers.provider.getTransactionReceipt(hash);
      if (receipt === null) continue;
      const from = ethers.getAddress(receipt.from);
      fees.set(from, (fees.get(from) ?? 0n) + receipt.fee);
    }
  }
  return fees;
}

/**
 * Runs `assertion` (a rejected call) and checks that no status, balance or credit changed, except the gas the
 * rejected transaction's sender paid.
 */
export async function expectNothingChanged(
  ctx: Context,
  assertion: () => Promise<void>,
  tokens: string[] = [],
  accounts: string[] = [],
): Promise<void> {
  const before = await snapshot(ctx, tokens, accounts);
  const block = await ethers.provider.getBlockNumber();
  await assertion();
  const after = await snapshot(ctx, tokens, accounts);
  for (const [from, fee] of await feesSince(block)) {
    const key = `eth ${from}`;
    const balance = after.get(key);
    if (balance !== undefined) after.set(key, balance + fee);
  }
  expect(Object.fromEntries(after)).to.deep.equal(Object.fromEntries(before));
}

/** milestoneInfo as a plain array of bigints, for deep equality. */
export async function milestoneOf(escrow: SLAEscrow, id: bigint, milestone: number): Promise<bigint[]> {
  const [status, cutBps, attestedAt, disputedAt] = await escrow.milestoneInfo(id, milestone);
  return [status, cutBps, attestedAt, disputedAt];
}

/** A contract account (MockEthReceiver): in what it calls, msg.sender is the contract and tx.origin its driver. */
export interface ContractAccount {
  receiver: MockEthReceiver;
  address: string;
  /** Has the contract call `to` with `data` and `value` (sent along by the driver); a revert bubbles up as is. */
  call(to: string, data: string, value?: bigint): Promise<ContractTransactionResponse>;
}

/** Deploys a contract account that `driver` makes act. */
export async function contractAccount(driver: HardhatEthersSigner): Promise<ContractAccount> {
  const receiver = await ethers.deployContract("MockEthReceiver");
  return {
    receiver,
    address: await receiver.getAddress(),
    call: (to, data, value = 0n) => receiver.connect(driver).call(to, value, data, { value }),
  };
}

/** `client` proposes and funds an ETH agreement with the default terms and `overrides`; returns the new id. */
export async function proposeAs(
  ctx: Context,
  client: ContractAccount,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<{ terms: ISLAEscrow.TermsStruct; id: bigint; total: bigint }> {
  const terms = await makeTerms(ctx, { client: client.address, ...overrides });
  const total = totalOf(terms);
  await client.call(ctx.escrowAddress, ctx.escrow.interface.encodeFunctionData("createAgreement", [terms]), total);
  const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AgreementCreated());
  return { terms, id: events[events.length - 1].args.id, total };
}
