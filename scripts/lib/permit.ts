/**
 * EIP-2612 permits, in one place: the type and the signature that `createAgreementWithPermit` consumes. Used by
 * `sla:create --permit`, the demo, the gas benchmark and the tests.
 */
import { Contract, type ContractRunner, Signature, type Signer, type TypedDataDomain } from "ethers";

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

const DOMAIN_ABI = [
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
  "function name() view returns (string)",
];

/**
 * A token's EIP-712 domain for its permits: read from its ERC-5267 `eip712Domain()`, or, for a token without it,
 * the usual `{ name(), version "1", chainId, token }`.
 */
export async function permitDomain(
  token: string,
  runner: ContractRunner,
  chainId: bigint,
): Promise<{ name: string; version: string; chainId: bigint; verifyingContract: string }> {
  const erc = new Contract(token, DOMAIN_ABI, runner);
  try {
    const d = await erc.getFunction("eip712Domain").staticCall();
    return { name: String(d[1]), version: String(d[2]), chainId: BigInt(d[3]), verifyingContract: String(d[4]) };
  } catch {
    return {
      name: String(await erc.getFunction("name").staticCall()),
      version: "1",
      chainId,
      verifyingContract: token,
    };
  }
}
