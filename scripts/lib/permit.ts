/**
 * EIP-2612 permits, in one place: the type and the signature that `createAgreementWithPermit` consumes. Used by
 * `sla:create --permit`, the demo, the gas benchmark and the tests.
 */
import { Signature, type Signer, type TypedDataDomain } from "ethers";

/** `Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)` (EIP-2612). */
export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export interface PermitRequest {
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

/** Signs a permit against the token's own EIP-712 domain and splits it into the (v, r, s) the escrow takes. */
export async function signPermit(
  signer: Signer,
  tokenDomain: TypedDataDomain,
  request: PermitRequest,
): Promise<{ v: number; r: string; s: string }> {
  const sig = Signature.from(await signer.signTypedData(tokenDomain, PERMIT_TYPES, request));
  return { v: sig.v, r: sig.r, s: sig.s };
}
