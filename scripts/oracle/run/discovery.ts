/**
 * Discovery: the agreements naming this oracle, from the escrow's indexed `AgreementCreated` events paged through
 * block ranges, resuming where the last round stopped; an agreement whose metrics do not fit `--metrics` or
 * `--metric-spec` (count and directions) is
 * recorded as skipped (logged once).
 */
import { getAddress } from "ethers";
import type { AgreementTerms } from "../../lib/model";
import { checkMetricNames } from "../chain";
import type { Connection } from "../commands";
import type { Logger } from "../log";
import type { MetricSpec } from "../../lib/kpi/spec";
import type { StateStore } from "./state";

export async function discover(
  c: Connection,
  store: StateStore,
  opts: { identity: string; specs: readonly MetricSpec[]; specsFlag: string; blockRange: number },
  termsOf: (id: string) => Promise<AgreementTerms>,
  log: Logger,
  stop: { stopped: boolean },
): Promise<void> {
  const state = store.state;
  const latest = await c.provider.getBlockNumber();
  const filter = c.escrow.filters.AgreementCreated();
  while (state.scannedTo < latest && !stop.stopped) {
    const from = state.scannedTo + 1;
    const to = Math.min(latest, from + opts.blockRange - 1);
    const events = await c.escrow.queryFilter(filter, from, to);
    for (const e of events) {
      const id = e.args.id.toString();
      const oracles = (e.args.terms.oracles as string[]).map((o) => getAddress(o));
      if (!oracles.includes(opts.identity) || state.agreements[id]) continue;
      const terms = await termsOf(id);
      let skipped: string | undefined;
      try {
        checkMetricNames(terms, opts.specs, opts.specsFlag);
      } catch (err) {
        skipped = (err as Error).message;
      }
      state.agreements[id] = skipped ? { skipped } : {};
      if (skipped) log.warn({ agreement: id, action: "skip-agreement", reason: skipped });
      else
        log.info({
          agreement: id,
          action: "discovered",
          milestones: terms.milestones.length,
          threshold: terms.threshold,
          block: e.blockNumber,
        });
    }
    state.scannedTo = to;
    store.save();
    log.debug({ action: "scanned", fromBlock: from, toBlock: to, events: events.length });
  }
}
