/**
 * Discovery: the agreements naming this oracle, from the escrow's indexed `AgreementCreated` events paged through
 * block ranges, resuming where the last round stopped; an agreement whose metrics do not fit `--metrics` or
 * `--metric-spec` (count and directions) is recorded as skipped (logged once).
 *
 * The event carries the agreement's terms, which never change: they are decoded from it (no `getTerms` call)
 * and kept in the state folder's `terms.jsonl` (one line per followed agreement, appended once per page), so that
 * a restarted daemon needs no request for them either. Terms missing there (a state folder from before the file, a
 * torn last line) are read in batches (run/reads.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import type { SLAEscrow } from "../../../typechain-types";
import { type AgreementTerms, type RawTerms, toTerms } from "../../lib/model";
import { checkMetricNames } from "../chain";
import type { Connection } from "../commands";
import type { Logger } from "../log";
import type { MetricSpec } from "../../lib/kpi/spec";
import { readTermsBatch } from "./reads";
import type { StateStore } from "./state";

/** The terms of the agreements the daemon follows: in memory, and in `<state>/terms.jsonl`. */
export class TermsCache {
  private readonly terms = new Map<string, AgreementTerms>();
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, "terms.jsonl");
  }

  /** Reads the file; a torn last line (a crash mid-append) is cut off, a line that does not parse is skipped. */
  load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) fs.truncateSync(this.file, Buffer.byteLength(text.slice(0, end)));
    for (const line of text.slice(0, end).split("\n")) {
      if (line === "") continue;
      try {
        const t = termsFromJson(JSON.parse(line));
        this.terms.set(t.id.toString(), t);
      } catch {
        // read again from the chain
      }
    }
  }

  get(id: string): AgreementTerms | undefined {
    return this.terms.get(id);
  }

  /** Keeps `list` in memory and appends it to the file (one write). */
  add(list: readonly AgreementTerms[]): void {
    if (list.length === 0) return;
    for (const t of list) this.terms.set(t.id.toString(), t);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, list.map((t) => termsToJson(t) + "\n").join(""));
  }

  /** The terms of `ids`, reading those not cached from the chain (batched `getTerms`) and caching them. */
  async ensure(escrow: SLAEscrow, ids: readonly string[]): Promise<void> {
    const missing = ids.filter((id) => !this.terms.has(id));
    if (missing.length > 0) this.add(await readTermsBatch(escrow, missing));
  }
}

function termsToJson(t: AgreementTerms): string {
  return JSON.stringify(t, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function termsFromJson(o: AgreementTerms & { id: string }): AgreementTerms {
  if (typeof o.id !== "string" || !Array.isArray(o.milestones) || !Array.isArray(o.oracles))
    throw new Error("not terms");
  return {
    ...o,
    id: BigInt(o.id),
    milestones: o.milestones.map((m) => ({ amount: BigInt(m.amount), dueAt: Number(m.dueAt) })),
  };
}

export async function discover(
  c: Connection,
  store: StateStore,
  opts: { identity: string; specs: readonly MetricSpec[]; specsFlag: string; blockRange: number },
  cache: TermsCache,
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
    const found: AgreementTerms[] = [];
    for (const e of events) {
      const id = e.args.id.toString();
      const oracles = (e.args.terms.oracles as string[]).map((o) => getAddress(o));
      if (!oracles.includes(opts.identity) || state.agreements[id]) continue;
      const terms = toTerms(e.args.id, e.args.terms as unknown as RawTerms);
      let skipped: string | undefined;
      try {
        checkMetricNames(terms, opts.specs, opts.specsFlag);
      } catch (err) {
        skipped = (err as Error).message;
      }
      state.agreements[id] = skipped ? { skipped } : {};
      if (skipped) {
        log.warn({ agreement: id, action: "skip-agreement", reason: skipped });
        continue;
      }
      found.push(terms);
      log.info({
        agreement: id,
        action: "discovered",
        milestones: terms.milestones.length,
        threshold: terms.threshold,
        block: e.blockNumber,
      });
    }
    cache.add(found); // before the state records the page as scanned
    state.scannedTo = to;
    store.save();
    log.debug({ action: "scanned", fromBlock: from, toBlock: to, events: events.length });
  }
}
