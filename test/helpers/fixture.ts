/**
 * The shared fixture: the hardhat-deploy scripts (escrow + test token) reused as the test fixture, the actors,
 * default terms, and helpers to create, accept and attest. Every test file starts from `setup()`.
 */
import { compareAddresses } from "../../scripts/lib/model";
import { deployments, ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { ContractTransactionResponse, TypedDataDomain } from "ethers";
import type { ISLAEscrow, MockERC20Permit, SLAEscrow } from "../../typechain-types";
import { type Attestation, packSignatures, readDomain, signAttestation } from "../../scripts/lib/attestation";
import { REFERENCE_METRICS } from "../../scripts/lib/reference";

export const DAY = 86_400;
export const ETH = ethers.ZeroAddress;
export const UNIT = 10n ** 18n;

/** Agreement and milestone statuses as the views return them. */
export const Agreement = { None: 0n, Proposed: 1n, Active: 2n, Closed: 3n } as const;
export const Milestone = { Pending: 0n, Attested: 1n, Disputed: 2n, Settled: 3n } as const;
export const Settlement = { Attested: 0n, Arbitrated: 1n, ArbitrationTimedOut: 2n, Silent: 3n } as const;

/** Reference metrics: availability_ppm (higher is better) and latency_p95_ms (lower is better). */
export const METRICS: ISLAEscrow.MetricStruct[] = REFERENCE_METRICS;

/** Values that meet every tier, and values that breach some. */
export const MET = [999_500, 250];
export const BREACHED = [994_000, 600]; // availability tier 2500, latency tier 1500 -> cut 4000

export function byAddress(a: { address: string }, b: { address: string }): number {
  return compareAddresses(a.address, b.address);
}

export interface Context {
  escrow: SLAEscrow;
  escrowAddress: string;
  token: MockERC20Permit;
  tokenAddress: string;
  deployer: HardhatEthersSigner;
  client: HardhatEthersSigner;
  vendor: HardhatEthersSigner;
  arbitrator: HardhatEthersSigner;
  relayer: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** Three oracles, ascending by address (as Terms requires). */
  oracles: HardhatEthersSigner[];
  domain: TypedDataDomain;
}

/** Deploys through the hardhat-deploy scripts (snapshotted by hardhat-deploy) and funds the client. */
export const setup = deployments.createFixture(async (): Promise<Context> => {
  await deployments.fixture(["SLAEscrow", "TestToken"]);
  const escrowAddress = (await deployments.get("SLAEscrow")).address;
  const tokenAddress = (await deployments.get("TestToken")).address;
  const escrow = (await ethers.getContractAt("SLAEscrow", escrowAddress)) as unknown as SLAEscrow;
  const token = (await ethers.getContractAt("MockERC20Permit", tokenAddress)) as unknown as MockERC20Permit;
  const [deployer, client, vendor, arbitrator, relayer, stranger, o1, o2, o3] = await ethers.getSigners();
  await token.mint(client.address, 1_000_000n * UNIT);
  return {
    escrow,
    escrowAddress,
    token,
    tokenAddress,
    deployer,
    client,
    vendor,
    arbitrator,
    relayer,
    stranger,
    oracles: [o1, o2, o3].sort(byAddress),
    domain: await readDomain(escrow),
  };
});

/** Default terms: 3 monthly milestones of 1000 units, 2-of-3 oracles, an arbitrator, reference metrics. */
export async function makeTerms(
  ctx: Context,
  overrides: Partial<ISLAEscrow.TermsStruct> = {},
): Promise<ISLAEscrow.TermsStruct> {
  const now = BigInt(await time.latest());
  return {
    client: ctx.client.address,
    vendor: ctx.vendor.address,
    token: ETH,
    arbitrator: ctx.arbitrator.address,
    disputeWindow: 2 * DAY,
    attestGrace: 3 * DAY,
    arbitrationTimeout: 14 * DAY,
    silentCutBps: 10_000,
    threshold: 2,
    startAt: now,
    oracles: ctx.oracles.map((o) => o.address),
    metrics: METRICS,
    milestones: [1n, 2n, 3n].map((i) => ({ amount: 1000n * UNIT, dueAt: now + i * 30n * BigInt(DAY) })),
    ...overrides,
  };
}

export function totalOf(terms: ISLAEscrow.TermsStruct): bigint {
  return terms.milestones.reduce((sum, m) => sum + BigInt(m.amount), 0n);
}

/** Creates (funding with ETH, or approving the token first) and returns the new id. */
export async function create(ctx: Context, terms: ISLAEscrow.TermsStruct): Promise<bigint> {
  const total = totalOf(terms);
  const client = await ethers.getSigner(terms.client as string);
  if (terms.token === ETH) {
    await ctx.escrow.connect(client).createAgreement(terms, { value: total });
  } else {
    const token = await ethers.getContractAt("MockERC20Permit", terms.token as string);
    await token.connect(client).approve(ctx.escrowAddress, total);
    await ctx.escrow.connect(client).createAgreement(terms);
  }
  return lastId(ctx);
}

async function lastId(ctx: Context): Promise<bigint> {
  const events = await ctx.escrow.queryFilter(ctx.escrow.filters.AgreementCreated());
  return events[events.length - 1].args.id;
}

/** Creates and accepts; returns the id. */
export async function createActive(ctx: Context, terms?: ISLAEscrow.TermsStruct): Promise<bigint> {
  const t = terms ?? (await makeTerms(ctx));
  const id = await create(ctx, t);
  await ctx.escrow.connect(ctx.vendor).accept(id);
  return id;
}

/** Signs `values` for a milestone with `signers` and returns the postAttestation arguments. */
export async function signed(
  ctx: Context,
  id: bigint,
  milestone: number | bigint,
  values: number[],
  signers: HardhatEthersSigner[] = ctx.oracles.slice(0, 2),
  evidence: string = ethers.id(`report ${id}/${milestone}`),
): Promise<[bigint, bigint, number[], string, bigint, string[]]> {
  const attestation: Attestation = { agreementId: id, milestone, values, evidence };
  const sigs = await Promise.all(
    signers.map(async (s) => ({ signer: s.address, signature: await signAttestation(s, ctx.domain, attestation) })),
  );
  const packed = packSignatures(
    ctx.oracles.map((o) => o.address),
    sigs,
  );
  return [id, BigInt(milestone), values, evidence, packed.signerMask, packed.signatures];
}

/** Moves time to a milestone's due time (plus `offset` seconds) and attests `values` with the first two oracles. */
export async function attestAt(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  id: bigint,
  milestone: number,
  values: number[],
  offset = 0,
): Promise<ContractTransactionResponse> {
  await time.setNextBlockTimestamp(BigInt(terms.milestones[milestone].dueAt) + BigInt(offset));
  return ctx.escrow.connect(ctx.relayer).postAttestation(...(await signed(ctx, id, milestone, values)));
}
