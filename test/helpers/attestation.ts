/**
 * Helpers for the attestation and settlement tests: signing an attestation for any oracle list (EOAs or
 * ERC-1271 wallets) with the shared client module, malformed signatures, and reading milestone state and
 * block times. Everything EIP-712 goes through scripts/lib/attestation.ts, every cut through
 * scripts/lib/penalty.ts.
 */
import { sortAddresses } from "../../scripts/lib/model";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse, Signer, TypedDataDomain } from "ethers";
import type { ISLAEscrow, MockERC1271Wallet, SLAEscrow } from "../../typechain-types";
import { type Attestation, packSignatures, signAttestation } from "../../scripts/lib/attestation";
import type { MetricLike } from "../../scripts/lib/penalty";
import type { Context } from "./fixture";

/** Order of the secp256k1 group. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The arguments of `postAttestation`: id, milestone, values, evidence, signerMask, signatures. */
export type PostArgs = [bigint, bigint, number[], string, bigint, string[]];

/** An oracle as the terms name it (an EOA, or a contract wallet) and the key that signs on its behalf. */
export interface OracleKey {
  address: string;
  signer: Signer;
}

/** An EOA oracle: it signs for itself. */
export function eoa(signer: HardhatEthersSigner): OracleKey {
  return { address: signer.address, signer };
}

/** The evidence the tests use by default (the same as the fixture's `signed`). */
export function evidenceOf(id: bigint, milestone: number | bigint): string {
  return ethers.id(`report ${id}/${milestone}`);
}

/** The oracle addresses of terms built by the tests (always plain strings). */
export function oraclesOf(terms: ISLAEscrow.TermsStruct): string[] {
  return terms.oracles.map((o) => o as string);
}

/** The terms' metrics in the shape scripts/lib/penalty.ts takes. */
export function metricsOf(terms: ISLAEscrow.TermsStruct): MetricLike[] {
  return terms.metrics.map((m) => ({
    higherIsBetter: m.higherIsBetter,
    tiers: m.tiers.map((t) => ({ threshold: BigInt(t.threshold), cutBps: BigInt(t.cutBps) })),
  }));
}

/** A milestone's due time. */
export function dueOf(terms: ISLAEscrow.TermsStruct, milestone: number): bigint {
  return BigInt(terms.milestones[milestone].dueAt);
}

/** A milestone's amount. */
export function amountOf(terms: ISLAEscrow.TermsStruct, milestone: number): bigint {
  return BigInt(terms.milestones[milestone].amount);
}

/** Addresses sorted ascending (as Terms.oracles must be). */
export function ascending(addresses: string[]): string[] {
  return sortAddresses(addresses);
}

/** Each key's EIP-712 signature of `attestation` under `domain`, tagged with the oracle it signs for. */
export async function signBy(
  domain: TypedDataDomain,
  keys: OracleKey[],
  attestation: Attestation,
): Promise<{ signer: string; signature: string }[]> {
  return Promise.all(
    keys.map(async (k) => ({ signer: k.address, signature: await signAttestation(k.signer, domain, attestation) })),
  );
}

/**
 * The postAttestation arguments for `values`, signed by `keys` and packed against the terms' oracle list.
 * `domain` defaults to the escrow's own.
 */
export async function signedBy(
  ctx: Context,
  terms: ISLAEscrow.TermsStruct,
  id: bigint,
  milestone: number | bigint,
  values: number[],
  keys: OracleKey[],
  evidence: string = evidenceOf(id, milestone),
  domain: TypedDataDomain = ctx.domain,
): Promise<PostArgs> {
  const sigs = await signBy(domain, keys, { agreementId: id, milestone, values, evidence });
  const packed = packSignatures(oraclesOf(terms), sigs);
  return [id, BigInt(milestone), values, evidence, packed.signerMask, packed.signatures];
}

/** One signature of `key` (a single oracle) over the given attestation fields. */
export async function signatureOf(
  key: OracleKey,
  domain: TypedDataDomain,
  id: bigint,
  milestone: number | bigint,
  values: number[],
  evidence: string = evidenceOf(id, milestone),
): Promise<string> {
  return signAttestation(key.signer, domain, { agreementId: id, milestone, values, evidence });
}

/** The malleable twin of a 65-byte signature: s' = n - s and v flipped between 27 and 28. */
export function highS(signature: string): string {
  const bytes = ethers.getBytes(signature);
  if (bytes.length !== 65) throw new Error(`expected a 65-byte signature, got ${bytes.length} bytes`);
  const r = ethers.hexlify(bytes.slice(0, 32));
  const s = BigInt(ethers.hexlify(bytes.slice(32, 64)));
  const v = bytes[64];
  return ethers.concat([r, ethers.toBeHex(SECP256K1_N - s, 32), ethers.toBeHex(v === 27 ? 28 : 27, 1)]);
}

/** What the raw ecrecover precompile (which accepts high s) recovers from `digest` and a 65-byte signature. */
export async function ecrecoverPrecompile(digest: string, signature: string): Promise<string> {
  const bytes = ethers.getBytes(signature);
  const data = ethers.concat([
    digest,
    ethers.toBeHex(bytes[64], 32),
    ethers.hexlify(bytes.slice(0, 32)),
    ethers.hexlify(bytes.slice(32, 64)),
  ]);
  const out = await ethers.provider.call({ to: "0x0000000000000000000000000000000000000001", data });
  return ethers.getAddress(ethers.dataSlice(out, 12, 32));
}

/** Deploys a MockERC1271Wallet owned by `owner` (whose EOA signatures the wallet accepts). */
export async function deployWallet(owner: HardhatEthersSigner): Promise<MockERC1271Wallet> {
  const factory = await ethers.getContractFactory("MockERC1271Wallet");
  const wallet = await factory.deploy(owner.address);
  await wallet.waitForDeployment();
  return wallet;
}

/** milestoneInfo as a plain array: [status, cutBps, attestedAt, disputedAt]. */
export async function infoOf(escrow: SLAEscrow, id: bigint, milestone: number | bigint): Promise<bigint[]> {
  const [status, cut, attestedAt, disputedAt] = await escrow.milestoneInfo(id, milestone);
  return [status, cut, attestedAt, disputedAt];
}

/** The timestamp of the block that mined `tx`. */
export async function blockTimeOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction not mined");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error(`block ${receipt.blockNumber} not found`);
  return BigInt(block.timestamp);
}
