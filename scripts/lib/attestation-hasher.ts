/**
 * A fast path for many attestations under one domain: the same EIP-712 type (ATTESTATION_TYPES from
 * attestation.ts, not a copy), with the type encoder and the domain separator computed once instead of per
 * call. `attestationHasher(domain)(a)` equals `attestationDigest(domain, a)` (tests check it).
 */
import { type TypedDataDomain, TypedDataEncoder, concat, keccak256 } from "ethers";
import { ATTESTATION_TYPES, type Attestation } from "./attestation";

export function attestationHasher(domain: TypedDataDomain): (attestation: Attestation) => string {
  const encoder = TypedDataEncoder.from(ATTESTATION_TYPES);
  const separator = TypedDataEncoder.hashDomain(domain);
  return (attestation) =>
    keccak256(concat(["0x1901", separator, encoder.hash(attestation as unknown as Record<string, unknown>)]));
}
