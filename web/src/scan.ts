/**
 * Finding agreements: the escrow's AgreementCreated events scanned in block ranges from its deployment block,
 * remembered per chain and escrow in localStorage (with the hash of the last block scanned, so that a reset local
 * node is noticed and rescanned), so a reload scans only the new blocks. Every agreement's parties and oracles
 * are kept, so any account's agreements are found without a rescan.
 */
import type { Provider } from "ethers";
import { DEFAULT_BLOCK_RANGE, type RawTerms, toTerms } from "../../scripts/lib";
import type { SLAEscrow } from "../../typechain-types";

export interface IndexedAgreement {
  id: string;
  client: string;
  vendor: string;
  arbitrator: string;
  oracles: string[];
  token: string;
}

interface ScanCache {
  version: 2;
  scannedTo: number;
  scannedHash: string;
  agreements: IndexedAgreement[];
}

export interface ScanProgress {
  fromBlock: number;
  toBlock: number;
  scannedTo: number;
  found: number;
}

const keyOf = (chainId: number, escrow: string) => `sla-escrow:agreements:${chainId}:${escrow.toLowerCase()}`;

function load(key: string): ScanCache | undefined {
  try {
    const raw = localStorage.getItem(key);
    const c = raw === null ? undefined : (JSON.parse(raw) as ScanCache);
    return c?.version === 2 ? c : undefined;
  } catch {
    return undefined;
  }
}

function save(key: string, cache: ScanCache): void {
  try {
    localStorage.setItem(key, JSON.stringify(cache));
  } catch {
    // storage full or disabled: the next visit scans again
  }
}

export async function scanAgreements(
  escrow: SLAEscrow,
  provider: Provider,
  chainId: number,
  deployBlock: number,
  onProgress: (p: ScanProgress) => void,
  blockRange = DEFAULT_BLOCK_RANGE,
): Promise<IndexedAgreement[]> {
  const address = await escrow.getAddress();
  const key = keyOf(chainId, address);
  const latest = await provider.getBlockNumber();
  let cache = load(key);
  if (cache !== undefined) {
    const block = cache.scannedTo <= latest ? await provider.getBlock(cache.scannedTo) : null;
    if (block === null || block.hash !== cache.scannedHash) cache = undefined; // another chain under the same id
  }
  const agreements = cache?.agreements ?? [];
  const fromBlock = cache === undefined ? deployBlock : cache.scannedTo + 1;
  const event = escrow.interface.getEvent("AgreementCreated");
  if (event === null) throw new Error("the escrow's ABI has no AgreementCreated event");
  onProgress({ fromBlock, toBlock: latest, scannedTo: fromBlock - 1, found: agreements.length });
  for (let start = fromBlock; start <= latest; start += blockRange) {
    const end = Math.min(start + blockRange - 1, latest);
    const logs = await provider.getLogs({ address, topics: [event.topicHash], fromBlock: start, toBlock: end });
    for (const log of logs) {
      const parsed = escrow.interface.parseLog(log);
      if (parsed === null) continue;
      const id = BigInt(parsed.args[0] as bigint);
      const terms = toTerms(id, parsed.args[3] as unknown as RawTerms);
      agreements.push({
        id: id.toString(),
        client: terms.client,
        vendor: terms.vendor,
        arbitrator: terms.arbitrator,
        oracles: terms.oracles,
        token: terms.token,
      });
    }
    const hash = (await provider.getBlock(end))?.hash ?? "";
    save(key, { version: 2, scannedTo: end, scannedHash: hash, agreements });
    onProgress({ fromBlock, toBlock: latest, scannedTo: end, found: agreements.length });
  }
  return agreements;
}
