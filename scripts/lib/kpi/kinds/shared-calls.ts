/**
 * What the call kinds share (DESIGN.md "Business KPIs", calls): V = calls with `start <= offered_at < end`, less
 * the short abandons (`abandoned_at - offered_at < shortAbandonSeconds`, default 5), and the counts over V the
 * three kinds need, computed in one pass.
 *
 * Interpretation: V looks only at `offered_at`, so a call offered in the period and answered or abandoned after its
 * end counts as answered or abandoned, and a call still queued (neither) counts in V as neither (it lowers the
 * service level, not the abandon rate).
 */
import type { ParamReader } from "../params";
import type { CallTable, Period } from "../types";

export const DEFAULT_SHORT_ABANDON_SECONDS = 5;

export function readShortAbandon(r: ParamReader): number {
  return r.int("shortAbandonSeconds", { min: 0, def: DEFAULT_SHORT_ABANDON_SECONDS, unit: "seconds" });
}

export interface CallCounts {
  /** Calls offered in the period. */
  offered: number;
  /** Of those, abandoned sooner than shortAbandonSeconds (left out of V). */
  shortAbandons: number;
  /** #V. */
  counted: number;
  answered: number;
  /** Answered within answerSeconds (when given). */
  answeredWithin: number;
  abandoned: number;
  /** The sum of handle_seconds of the answered calls of V (exact: a bigint when it leaves the safe integers). */
  handleSum: number | bigint;
}

export function countCalls(c: CallTable, period: Period, shortAbandonSeconds: number, answerSeconds = 0): CallCounts {
  const lo = period.start;
  const hi = period.end;
  let offered = 0;
  let shortAbandons = 0;
  let answered = 0;
  let answeredWithin = 0;
  let abandoned = 0;
  let handleSum = 0;
  let overflow = false;
  for (let i = 0; i < c.length; i++) {
    const o = c.offeredAt[i];
    if (!(o >= lo && o < hi)) continue;
    offered++;
    const ab = c.abandonedAt[i];
    if (ab === ab) {
      if (ab - o < shortAbandonSeconds) shortAbandons++;
      else abandoned++;
      continue;
    }
    const an = c.answeredAt[i];
    if (an === an) {
      answered++;
      if (an - o <= answerSeconds) answeredWithin++;
      handleSum += c.handleSeconds[i];
      if (handleSum > Number.MAX_SAFE_INTEGER) overflow = true;
    }
  }
  let sum: number | bigint = handleSum;
  if (overflow) {
    let big = 0n;
    for (let i = 0; i < c.length; i++) {
      const o = c.offeredAt[i];
      if (o >= lo && o < hi && c.answeredAt[i] === c.answeredAt[i]) big += BigInt(c.handleSeconds[i]);
    }
    sum = big;
  }
  return {
    offered,
    shortAbandons,
    counted: offered - shortAbandons,
    answered,
    answeredWithin,
    abandoned,
    handleSum: sum,
  };
}

/** "abandons under 5s left out" / "every abandon counted". */
export function shortAbandonWords(s: number): string {
  return s === 0 ? "every abandon counted" : `abandons under ${s}s left out`;
}
