/**
 * The escrow's M-of-N signer-mask check (`SignerMask.verify` in contracts/libraries/SignerMask.sol) as a pure
 * function, so that an oracle can tell before posting whether `postAttestation` would accept its signatures, and
 * which error it would revert with otherwise. test/differential.test.ts compares it with the contract.
 *
 * The checks, in the contract's order (the first one that fails decides the error):
 *  1. every set bit of the mask names an oracle: `mask >> oracleCount == 0`, else `SignerMaskOutOfRange`;
 *  2. one signature per set bit: `signatures.length == popcount(mask)`, else `SignatureCountMismatch`;
 *  3. enough signers: `popcount(mask) >= threshold`, else `ThresholdNotMet`;
 *  4. for each set bit i, in ascending i, the next signature is oracle i's, else `InvalidSignature(i, oracles[i])`.
 */
import {
  type BytesLike,
  ZeroAddress,
  dataLength,
  dataSlice,
  getBytes,
  recoverAddress,
  Contract,
  type Provider,
} from "ethers";

/** The largest mask the contract takes (`uint256`). */
export const MAX_MASK = (1n << 256n) - 1n;

/** The largest `s` OpenZeppelin's ECDSA accepts (half the secp256k1 group order): larger ones are malleable. */
export const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** The escrow's custom errors of the signer-mask check, with their arguments. */
export type SignerMaskError =
  /** A bit at or above `oracleCount` is set. */
  | { error: "SignerMaskOutOfRange"; mask: bigint; oracleCount: number }
  /** `signatures` signatures were sent for `signers` set bits. */
  | { error: "SignatureCountMismatch"; signatures: number; signers: number }
  /** `signers` set bits, fewer than `threshold`. */
  | { error: "ThresholdNotMet"; signers: number; threshold: number }
  /** The signature sent for oracle `index` (address `oracle`) is not that oracle's. */
  | { error: "InvalidSignature"; index: number; oracle: string };

/** What the check yields: `{ ok: true }` when the escrow accepts, else the error it reverts with. */
export type SignerMaskResult = { ok: true } | SignerMaskError;

/**
 * Whether signature number `signatureIndex` (0-based, in the order sent) is a valid signature of oracle number
 * `oracleIndex` (its index in the agreement's oracles). The escrow accepts ECDSA (see {@link recoverSigner}) and,
 * for contract wallets, ERC-1271; {@link ecdsaValidity} builds this predicate for oracles that are plain keys.
 */
export type SignatureValidity = (oracleIndex: number, signatureIndex: number) => boolean;

/** The number of set bits of a non-negative `mask`. */
export function popcount(mask: bigint): number {
  if (mask < 0n) throw new RangeError(`popcount: mask must be non-negative, got ${mask}`);
  let count = 0;
  for (let m = mask; m !== 0n; m &= m - 1n) count++; // clear the lowest set bit
  return count;
}

function assertUint(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`checkSignerMask: ${name} must be an integer in 0..${max}, got ${value}`);
  }
}

/**
 * The signer-mask check of `SignerMask.verify`, in its order; see the module comment.
 *
 * Only the signatures the contract looks at are passed to `isValid`: none when an earlier check fails, and for
 * the signature check the set bits in ascending order until the first invalid one.
 *
 * @param mask The signer mask (`uint256`): bit i set when `oracles[i]` signed.
 * @param oracleCount The agreement's number of oracles (equal to `oracles.length`).
 * @param threshold The agreement's threshold (`uint8`).
 * @param signatureCount The number of signatures sent.
 * @param isValid Whether a sent signature is a given oracle's (see {@link SignatureValidity}).
 * @param oracles The agreement's oracles, in their order (the escrow keeps them ascending by address).
 * @returns `{ ok: true }`, or the escrow's error with the arguments it would revert with.
 * @throws RangeError for arguments outside their Solidity types, or when `oracles.length !== oracleCount`.
 */
export function checkSignerMask(
  mask: bigint,
  oracleCount: number,
  threshold: number,
  signatureCount: number,
  isValid: SignatureValidity,
  oracles: readonly string[],
): SignerMaskResult {
  if (mask < 0n || mask > MAX_MASK) throw new RangeError(`checkSignerMask: mask must be a uint256, got ${mask}`);
  assertUint("oracleCount", oracleCount, Number.MAX_SAFE_INTEGER);
  assertUint("threshold", threshold, 255);
  assertUint("signatureCount", signatureCount, Number.MAX_SAFE_INTEGER);
  if (oracles.length !== oracleCount) {
    throw new RangeError(`checkSignerMask: ${oracles.length} oracles given for oracleCount ${oracleCount}`);
  }

  if (mask >> BigInt(oracleCount) !== 0n) return { error: "SignerMaskOutOfRange", mask, oracleCount };
  const signers = popcount(mask);
  if (signatureCount !== signers) return { error: "SignatureCountMismatch", signatures: signatureCount, signers };
  if (signers < threshold) return { error: "ThresholdNotMet", signers, threshold };

  let next = 0;
  for (let i = 0, m = mask; m !== 0n; i++, m >>= 1n) {
    if ((m & 1n) !== 0n) {
      if (!isValid(i, next)) return { error: "InvalidSignature", index: i, oracle: oracles[i] };
      next++;
    }
  }
  return { ok: true };
}

/**
 * The address OpenZeppelin's `ECDSA.tryRecoverCalldata(digest, signature)` recovers without error, or null when
 * it reports an error: only 65-byte signatures `r || s || v`, with `s <= n/2` (no malleable twin), `v` 27 or 28
 * (ethers would also take 0 and 1; the contract does not), and `ecrecover` yielding a non-zero address.
 */
export function recoverSigner(digest: BytesLike, signature: BytesLike): string | null {
  if (dataLength(signature) !== 65) return null;
  const s = dataSlice(signature, 32, 64);
  const v = getBytes(signature)[64];
  if (BigInt(s) > SECP256K1_HALF_N || (v !== 27 && v !== 28)) return null;
  try {
    const recovered = recoverAddress(digest, { r: dataSlice(signature, 0, 32), s, v });
    return recovered === ZeroAddress ? null : recovered;
  } catch {
    return null; // r or s zero or not below n, r not on the curve: ecrecover yields address(0)
  }
}

/**
 * The {@link SignatureValidity} of `signatures` for oracles that are plain keys (EOAs): signature j is oracle i's
 * when it recovers to `oracles[i]`. Recovers each signature once. A contract-wallet oracle (ERC-1271) needs its
 * wallet asked instead: wrap this predicate for those indexes.
 */
export function ecdsaValidity(
  digest: BytesLike,
  oracles: readonly string[],
  signatures: readonly BytesLike[],
): SignatureValidity {
  const recovered = signatures.map((signature) => recoverSigner(digest, signature)?.toLowerCase() ?? null);
  return (oracleIndex, signatureIndex) =>
    recovered[signatureIndex] !== null && recovered[signatureIndex] === oracles[oracleIndex]?.toLowerCase();
}

const ERC1271_MAGIC = "0x1626ba7e";

/**
 * Whether `signature` is `signer`'s over `digest` as the escrow's `SignerMask` decides: ECDSA exactly as
 * {@link recoverSigner} (OpenZeppelin's rules, not ethers' looser ones), then, only when that does not yield the
 * signer and a `provider` is given, the signer's ERC-1271 `isValidSignature` (a contract wallet). The oracle checks
 * every signature it writes or collects with this.
 */
export async function isValidSignatureFor(
  digest: string,
  signer: string,
  signature: string,
  provider?: Provider,
): Promise<boolean> {
  if (recoverSigner(digest, signature)?.toLowerCase() === signer.toLowerCase()) return true;
  if (!provider) return false;
  if ((await provider.getCode(signer)) === "0x") return false;
  try {
    const wallet = new Contract(signer, ["function isValidSignature(bytes32,bytes) view returns (bytes4)"], provider);
    return (await wallet.isValidSignature(digest, signature)) === ERC1271_MAGIC;
  } catch {
    return false;
  }
}
