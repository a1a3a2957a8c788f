/**
 * A fast path for many attestations under one domain: the same EIP-712 type (ATTESTATION_TYPES from
 * attestation.ts, not a copy), with the type hash and the domain separator computed once, and the struct encoded
 * by hand into fixed buffers (`keccak256(abi.encode(TYPEHASH, id, milestone, keccak256(values), evidence))`, as
 * the escrow's `_attestationDigest` does) instead of through the generic encoder for every call.
 * `attestationHasher(domain)(a)` equals `attestationDigest(domain, a)` and rejects what it rejects: values that
 * are not uint32, ids and milestones that are not uint256, evidence that is not 32 bytes (tests check it).
 */
import { type TypedDataDomain, TypedDataEncoder, getBytes, id, keccak256, toBeArray, toBigInt } from "ethers";
import { ATTESTATION_TYPES, type Attestation } from "./attestation";

const UINT256_MAX = (1n << 256n) - 1n;

function writeUint256(buf: Uint8Array, offset: number, value: bigint, what: string): void {
  if (value < 0n || value > UINT256_MAX) throw new RangeError(`attestation ${what}: ${value} is not a uint256`);
  buf.fill(0, offset, offset + 32);
  const bytes = toBeArray(value);
  buf.set(bytes, offset + 32 - bytes.length);
}

export function attestationHasher(domain: TypedDataDomain): (attestation: Attestation) => string {
  const typeHash = getBytes(id(TypedDataEncoder.from(ATTESTATION_TYPES).encodeType("Attestation")));
  const separator = getBytes(TypedDataEncoder.hashDomain(domain));
  const struct = new Uint8Array(5 * 32); // typeHash, agreementId, milestone, keccak256(values), evidence
  struct.set(typeHash, 0);
  const outer = new Uint8Array(2 + 32 + 32); // 0x1901, domain separator, struct hash
  outer[0] = 0x19;
  outer[1] = 0x01;
  outer.set(separator, 2);
  return (attestation) => {
    writeUint256(struct, 32, toBigInt(attestation.agreementId), "agreementId");
    writeUint256(struct, 64, toBigInt(attestation.milestone), "milestone");
    const values = new Uint8Array(32 * attestation.values.length);
    attestation.values.forEach((v, i) => {
      const x = typeof v === "number" ? v : toBigInt(v);
      if (typeof x === "number" ? !Number.isInteger(x) || x < 0 || x > 0xffffffff : x < 0n || x > 0xffffffffn)
        throw new RangeError(`attestation values[${i}]: ${v} is not a uint32`);
      const n = Number(x);
      const o = 32 * i + 28;
      values[o] = n >>> 24;
      values[o + 1] = (n >>> 16) & 0xff;
      values[o + 2] = (n >>> 8) & 0xff;
      values[o + 3] = n & 0xff;
    });
    struct.set(getBytes(keccak256(values)), 96);
    const evidence = getBytes(attestation.evidence);
    if (evidence.length !== 32) throw new RangeError(`attestation evidence: ${attestation.evidence} is not 32 bytes`);
    struct.set(evidence, 128);
    outer.set(getBytes(keccak256(struct)), 34);
    return keccak256(outer);
  };
}
