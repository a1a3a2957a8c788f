/**
 * The daemon's EIP-1559 fee arithmetic, pure and in integers (wei, bigint): the first fees from the chain's base
 * fee and tip, the replacement of a transaction that is not mined (both fees raised by at least 12.5%, rounded up,
 * above the 10% that nodes require to accept a replacement at the same nonce), the cap, and what the relayer's
 * balance covers. docs/oracle.md "Fees, replacements and finality".
 */
import { formatUnits, parseUnits } from "ethers";
import { UserError } from "../../lib/errors";

export interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** maxFeePerGas = base fee x HEADROOM + tip: room for the base fee to rise by 12.5% per block for 5 full blocks. */
export const HEADROOM = 2n;
/** The tip when the RPC does not answer `eth_maxPriorityFeePerGas`. */
export const DEFAULT_TIP_WEI = 1_000_000_000n; // 1 gwei
/** A replacement raises each fee to at least ceil(fee * 9 / 8): +12.5%. */
export const BUMP_NUMERATOR = 9n;
export const BUMP_DENOMINATOR = 8n;

export function ceilDiv(a: bigint, b: bigint): bigint {
  if (a < 0n || b <= 0n) throw new RangeError("ceilDiv: a >= 0 and b > 0");
  return (a + b - 1n) / b;
}

/** The least fee a replacement may carry: ceil(fee * 1.125), and at least fee + 1 wei (so that 0 rises too). */
export function bumped(fee: bigint): bigint {
  const up = ceilDiv(fee * BUMP_NUMERATOR, BUMP_DENOMINATOR);
  return up > fee ? up : fee + 1n;
}

/** True when `next` may replace `prev` at the same nonce by our rule: both fees at least bumped(prev). */
export function isReplacement(prev: Fees, next: Fees): boolean {
  return (
    next.maxFeePerGas >= bumped(prev.maxFeePerGas) && next.maxPriorityFeePerGas >= bumped(prev.maxPriorityFeePerGas)
  );
}

/**
 * The fees of a new transaction: maxFeePerGas = baseFee * HEADROOM + tip, at most `cap`; the tip never above
 * maxFeePerGas (a node refuses that). `capped` says the cap cut the estimate.
 */
export function initialFees(baseFee: bigint, tip: bigint, cap: bigint): Fees & { capped: boolean } {
  if (baseFee < 0n || tip < 0n || cap <= 0n) throw new RangeError("initialFees: baseFee, tip >= 0 and cap > 0");
  const wanted = baseFee * HEADROOM + tip;
  const maxFeePerGas = wanted > cap ? cap : wanted;
  return {
    maxFeePerGas,
    maxPriorityFeePerGas: tip > maxFeePerGas ? maxFeePerGas : tip,
    capped: wanted > cap,
  };
}

/**
 * The fees of the replacement of a transaction with fees `prev` (whose maxPriorityFeePerGas <= maxFeePerGas),
 * given the fees a new transaction would get now (`fresh`, from initialFees): each fee the larger of bumped(prev)
 * and fresh, maxFeePerGas at most `cap`. Undefined when bumped(prev.maxFeePerGas) exceeds the cap: the transaction
 * is at the cap and no replacement is possible.
 *
 * The tip stays at least bumped(prev tip) after it is clamped to maxFeePerGas: maxFeePerGas >= bumped(prev max
 * fee) >= bumped(prev tip), since bumped is monotone and prev tip <= prev max fee.
 */
export function replacementFees(prev: Fees, fresh: Fees, cap: bigint): Fees | undefined {
  const floorMax = bumped(prev.maxFeePerGas);
  if (floorMax > cap) return undefined;
  const wantedMax = fresh.maxFeePerGas > floorMax ? fresh.maxFeePerGas : floorMax;
  const maxFeePerGas = wantedMax > cap ? cap : wantedMax;
  const floorTip = bumped(prev.maxPriorityFeePerGas);
  const wantedTip = fresh.maxPriorityFeePerGas > floorTip ? fresh.maxPriorityFeePerGas : floorTip;
  return { maxFeePerGas, maxPriorityFeePerGas: wantedTip > maxFeePerGas ? maxFeePerGas : wantedTip };
}

/**
 * How many calls like those of a batch of `calls` calls using `gas` in all the balance pays for at `maxFeePerGas`:
 * floor(balance / (gas * maxFeePerGas / calls)).
 */
export function postingsCovered(balance: bigint, gas: bigint, maxFeePerGas: bigint, calls: number): number {
  const cost = gas * maxFeePerGas;
  if (cost === 0n) return Number.MAX_SAFE_INTEGER;
  const n = (balance * BigInt(Math.max(1, calls))) / cost;
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** A positive amount of gwei ("30", "0.05") as wei; a UserError naming `what` otherwise. */
export function parseGwei(value: string, what: string): bigint {
  const v = value.trim();
  let wei: bigint | undefined;
  if (/^[0-9]+(\.[0-9]+)?$/.test(v)) {
    try {
      wei = parseUnits(v, "gwei");
    } catch {
      wei = undefined;
    }
  }
  if (wei === undefined || wei <= 0n)
    throw new UserError(`${what}: "${value}" is not a positive amount of gwei (e.g. 50 or 0.5, at most 9 decimals)`);
  return wei;
}

/** Wei as gwei without trailing zeros: 1500000000n -> "1.5". */
export function formatGwei(wei: bigint): string {
  return trimZeros(formatUnits(wei, "gwei"));
}

/** Wei as ETH without trailing zeros. */
export function formatEth(wei: bigint): string {
  return trimZeros(formatUnits(wei, "ether"));
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
