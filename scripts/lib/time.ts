/**
 * Time: the chain's clock and one way to write a time for people.
 */
import type { Provider } from "ethers";

/** Unix seconds -> "2030-01-01T00:00:00Z" (UTC, whole seconds); out-of-range values as "N (unix time)". */
export function formatTime(seconds: bigint | number): string {
  const s = BigInt(seconds);
  if (s < 0n || s > 8_640_000_000_000n) return `${s} (unix time)`;
  return new Date(Number(s) * 1000).toISOString().replace(".000Z", "Z");
}

/** The latest block's timestamp: what `block.timestamp` was when the chain last moved. */
export async function latestBlockTime(provider: Provider): Promise<number> {
  const block = await provider.getBlock("latest");
  return block ? block.timestamp : Math.floor(Date.now() / 1000);
}

/**
 * The earliest `block.timestamp` the next transaction can see: the latest block's timestamp, or the wall clock
 * when that is later (an idle chain mines its next block at the wall clock). Acting on it only ever waits longer
 * than needed, and every send is simulated first.
 */
export async function nextBlockTime(provider: Provider): Promise<number> {
  return Math.max(await latestBlockTime(provider), Math.floor(Date.now() / 1000));
}
