/**
 * The EIP-712 attestation, in one place: the type, the domain (read from the escrow's ERC-5267
 * `eip712Domain()`), signing, and packing signatures into the escrow's signer mask. The oracle, the
 * tasks and the tests all use this module.
 */
import { type BigNumberish, type Signer, type TypedDataDomain, TypedDataEncoder, getAddress } from "ethers";
import type { SLAEscrow } from "../../typechain-types";

/** `Attestation(uint256 agreementId,uint256 milestone,uint32[] values,bytes32 evidence)`, as DESIGN.md fixes it. */
export const ATTESTATION_TYPES = {
  Attestation: [
    { name: "agreementId", type: "uint256" },
    { name: "milestone", type: "uint256" },
    { name: "values", type: "uint32[]" },
    { name: "evidence", type: "bytes32" },
  ],
};

export interface Attestation {
  agreementId: BigNumberish;
  milestone: BigNumberish;
  /** One value per metric, in the agreement's metric order (uint32 each). */
  values: BigNumberish[];
  /** keccak256 of the report file's bytes. */
  evidence: string;
}

/** The escrow's EIP-712 domain, read from the chain (never hard-coded). */
export async function readDomain(escrow: Pick<SLAEscrow, "eip712Domain">): Promise<TypedDataDomain> {
  const d = await escrow.eip712Domain();
  return { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
}

/** The digest an oracle signs; equals the escrow's `attestationDigest`. */
export function attestationDigest(domain: TypedDataDomain, attestation: Attestation): string {
  return TypedDataEncoder.hash(domain, ATTESTATION_TYPES, attestation);
}

/** Signs an attestation with EIP-712 (`eth_signTypedData_v4`). */
export async function signAttestation(
  signer: Signer,
  domain: TypedDataDomain,
  attestation: Attestation,
): Promise<string> {
  return signer.signTypedData(domain, ATTESTATION_TYPES, attestation);
}

/**
 * Packs signatures into the escrow's form: bit i of the mask set when `oracles[i]` signed, signatures in
 * ascending i. Throws when a signer is not one of the oracles.
 */
export function packSignatures(
  oracles: readonly string[],
  signatures: ReadonlyArray<{ signer: string; signature: string }>,
): { signerMask: bigint; signatures: string[] } {
  const index = new Map(oracles.map((o, i) => [getAddress(o), i]));
  const byIndex = new Map<number, string>();
  for (const { signer, signature } of signatures) {
    const i = index.get(getAddress(signer));
    if (i === undefined) throw new Error(`signer ${signer} is not one of the agreement's oracles`);
    byIndex.set(i, signature);
  }
  const order = [...byIndex.keys()].sort((a, b) => a - b);
  return {
    signerMask: order.reduce((mask, i) => mask | (1n << BigInt(i)), 0n),
    signatures: order.map((i) => byIndex.get(i) as string),
  };
}
