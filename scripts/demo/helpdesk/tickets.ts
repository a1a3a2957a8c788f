/**
 * A service desk's tickets for the helpdesk scenario, generated from a seed (deterministic: the same seed and a
 * start on a Monday give the same tickets, to the second). The model, roughly as a real desk runs:
 *
 * - arrivals: about 2,000 P2-P4 tickets a month, most in business hours (08:00-18:00 UTC on weekdays, busiest on
 *   Monday mornings, few at night and on weekends), shares P2 13%, P3 50%, P4 37%; about 50 P1 incidents a month,
 *   flatter over the day; channels portal / email / phone;
 * - P1: three on-call engineers, round the clock; an engineer notices a P1 within minutes (log-normal), answers
 *   it and is busy triaging it for a while, so a burst of P1s queues up;
 * - P2-P4: the desk's agents work a rota (weekdays 07:00-22:00, weekends 09:00-17:00) and pick tickets up from
 *   one queue, P2s first; a P2 that comes in while the desk is closed goes to the on-call engineers. The work
 *   after the first answer is log-normal (P3 and P4 in the desk's hours, P2 round the clock) and slows down when
 *   the queue is long (agents juggle more tickets);
 * - some tickets wait for the customer ("pending"): the SLA tool stops their resolution clock meanwhile;
 * - the SLA tool fills `response_due_at` and `resolution_due_at` for the tickets it opens (the portal's) from the
 *   desk's policy; email and phone tickets have none (the metric's `targetSeconds` applies);
 * - about a quarter of the resolved tickets get a CSAT answer (1..5), hours to days after the resolution; late or
 *   storm tickets are rated worse.
 * The month script (./script.ts) adds an incident storm, a staff shortage and overtime.
 */
import { DAY, HELPDESK_SCRIPT, HISTORY_DAYS, HOUR, type MonthScript } from "./script";

export type Priority = "P1" | "P2" | "P3" | "P4";
export type Channel = "portal" | "email" | "phone";

export interface Ticket {
  id: string;
  priority: Priority;
  channel: Channel;
  createdAt: number;
  /** NaN: not answered within the simulation. */
  firstResponseAt: number;
  /** NaN: not resolved within the simulation. */
  resolvedAt: number;
  /** A wait for the customer: the SLA tool stops the resolution clock from `from` to `until`. */
  pending?: { from: number; until: number };
  /** The ticket was opened through the portal, whose SLA tool fills the due times. */
  slaTool: boolean;
  csat?: { score: number; at: number };
  /** Caused by an incident storm. */
  storm: boolean;
}

/** The desk's SLA policy, as its ticketing tool applies it to the due columns (seconds after creation). */
export const RESPONSE_TARGET: Record<Priority, number> = { P1: HOUR, P2: 4 * HOUR, P3: 8 * HOUR, P4: DAY };
export const RESOLUTION_TARGET: Record<Priority, number> = { P1: 4 * HOUR, P2: 8 * HOUR, P3: 3 * DAY, P4: 5 * DAY };

export const DEFAULT_SEED = 20260601;

/*//////////////////////////////////////////////////////////////
                       RANDOM NUMBERS (SEEDED)
//////////////////////////////////////////////////////////////*/

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export class Rng {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with this median and shape: skewed to the right, as service times are. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  poisson(lambda: number): number {
    if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** One of `options` by weight. */
  pick<T>(options: readonly (readonly [T, number])[]): T {
    const total = options.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of options) {
      r -= w;
      if (r < 0) return v;
    }
    return options[options.length - 1][0];
  }
}

/*//////////////////////////////////////////////////////////////
                        CALENDAR AND ARRIVALS
//////////////////////////////////////////////////////////////*/

/** 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
export function weekday(t: number): number {
  return (Math.floor(t / DAY) + 3) % 7;
}

function hourOfDay(t: number): number {
  return Math.floor((t % DAY) / HOUR);
}

/** The next Monday 00:00 UTC after `t`: the agreement's start, so that every run has the same week pattern. */
export function nextMonday(t: number): number {
  let day = Math.floor(t / DAY) + 1;
  while ((day + 3) % 7 !== 0) day++;
  return day * DAY;
}

/** Relative arrival rate by hour of a weekday (UTC) and of a weekend day. */
const WEEKDAY_HOURS = [
  0.06, 0.05, 0.04, 0.04, 0.05, 0.08, 0.2, 0.55, 1.3, 1.95, 2.1, 1.9, 1.35, 1.65, 1.8, 1.7, 1.45, 0.95, 0.55, 0.35,
  0.25, 0.18, 0.12, 0.08,
];
const WEEKEND_HOURS = [
  0.04, 0.03, 0.03, 0.03, 0.03, 0.04, 0.06, 0.1, 0.18, 0.26, 0.3, 0.3, 0.28, 0.28, 0.27, 0.25, 0.22, 0.18, 0.15, 0.13,
  0.11, 0.09, 0.07, 0.05,
];
/** Monday is the busiest day, Friday the quietest working day. */
const DAY_FACTOR = [1.2, 1.05, 1.0, 1.0, 0.85, 1, 1];

function arrivalWeight(t: number): number {
  const d = weekday(t);
  const h = hourOfDay(t);
  return d >= 5 ? WEEKEND_HOURS[h] : WEEKDAY_HOURS[h] * DAY_FACTOR[d];
}

/** The mean of arrivalWeight over a week, so that a month's volume comes out as the script says. */
const MEAN_WEIGHT = (() => {
  let sum = 0;
  for (let h = 0; h < 168; h++) sum += arrivalWeight(4 * DAY + h * HOUR); // 1970-01-05 was a Monday
  return sum / 168;
})();

/** Agents on the desk's rota in the hour of `t` (before the script's staffing changes). */
function rota(t: number): number {
  const h = hourOfDay(t);
  if (weekday(t) >= 5) return h >= 9 && h < 17 ? 2 : 0;
  if (h >= 9 && h < 17) return 9;
  if (h >= 7 && h < 9) return 3;
  if (h >= 17 && h < 20) return 4;
  if (h >= 20 && h < 22) return 2;
  return 0;
}

/** `seconds` of the desk's working time after `t` (P3 and P4 work happens when agents are on the rota). */
function afterDeskTime(t: number, seconds: number): number {
  let now = t;
  let left = seconds;
  while (left > 0) {
    const hourEnd = (Math.floor(now / HOUR) + 1) * HOUR;
    if (rota(now) > 0) {
      const step = Math.min(left, hourEnd - now);
      left -= step;
      now += step;
    } else {
      now = hourEnd;
    }
  }
  return now;
}

/*//////////////////////////////////////////////////////////////
                              THE DESK
//////////////////////////////////////////////////////////////*/

/** Tickets a desk agent picks up and answers per hour. */
const PICKUPS_PER_AGENT_HOUR = 1.3;
/** P2s the on-call engineers pick up per hour while the desk is closed. */
const NIGHT_P2_PER_HOUR = 1.0;
const ON_CALL_ENGINEERS = 3;
const STORM_ENGINEERS = 3;

interface Draft {
  priority: Priority;
  channel: Channel;
  createdAt: number;
  storm: boolean;
  /** Set for storm tickets: when the outage is over (they are resolved then). */
  outageEnd?: number;
  firstResponseAt: number;
  resolvedAt: number;
  pending?: { from: number; until: number };
}

/** Every ticket from HISTORY_DAYS before `start` to the end of the six months, with its whole life, by creation. */
export function generateTickets(start: number, periodSeconds: number, seed = DEFAULT_SEED): Ticket[] {
  const months = HELPDESK_SCRIPT.length;
  const end = start + months * periodSeconds;
  const from = start - HISTORY_DAYS * DAY;
  // Before the start (the history) the desk runs as in month 1, after the end as in the last month.
  const monthOf = (t: number): MonthScript =>
    HELPDESK_SCRIPT[Math.min(months - 1, Math.max(0, Math.floor((t - start) / periodSeconds)))];

  const drafts = arrivals(new Rng(seed), start, from, end, periodSeconds, monthOf);
  const service = new Rng(seed ^ 0x5bd1e995);
  onCall(service, drafts);
  desk(service, drafts, { start, from, periodSeconds, monthOf });

  drafts.sort((a, b) => a.createdAt - b.createdAt);
  const rating = new Rng(seed ^ 0x27d4eb2f);
  const tickets = drafts.map((d, k): Ticket => {
    const t: Ticket = {
      id: `HD-${100001 + k}`,
      priority: d.priority,
      channel: d.channel,
      createdAt: d.createdAt,
      firstResponseAt: d.firstResponseAt,
      resolvedAt: d.resolvedAt,
      slaTool: d.channel === "portal",
      storm: d.storm,
    };
    if (d.pending) t.pending = d.pending;
    const csat = rate(rating, d);
    if (csat) t.csat = csat;
    return t;
  });
  return tickets;
}

function arrivals(
  rng: Rng,
  start: number,
  from: number,
  end: number,
  periodSeconds: number,
  monthOf: (t: number) => MonthScript,
): Draft[] {
  const drafts: Draft[] = [];
  const base = { firstResponseAt: NaN, resolvedAt: NaN, storm: false };
  const perHour = (volume: number): number => volume / (periodSeconds / HOUR);
  for (let h = from; h < end; h += HOUR) {
    const m = monthOf(h);
    const w = arrivalWeight(h) / MEAN_WEIGHT;
    for (let n = rng.poisson(perHour(m.deskVolume) * w); n > 0; n--) {
      drafts.push({
        ...base,
        priority: rng.pick<Priority>([
          ["P2", 13],
          ["P3", 50],
          ["P4", 37],
        ]),
        channel: rng.pick<Channel>([
          ["portal", 55],
          ["email", 33],
          ["phone", 12],
        ]),
        createdAt: Math.floor(h + rng.next() * HOUR),
      });
    }
    // P1 incidents are flatter over the day: systems fail at night too, but users notice in the daytime.
    for (let n = rng.poisson(perHour(m.p1Volume) * (0.5 + 0.5 * w)); n > 0; n--) {
      drafts.push({ ...base, priority: "P1", channel: p1Channel(rng), createdAt: Math.floor(h + rng.next() * HOUR) });
    }
  }
  HELPDESK_SCRIPT.forEach((m, i) => {
    if (!m.storm) return;
    const at = start + i * periodSeconds + m.storm.atDay * DAY + Math.round(m.storm.atHour * HOUR);
    const outageEnd = at + m.storm.hours * HOUR;
    for (let n = 0; n < m.storm.p1; n++) {
      // Most reports come in the outage's first hours.
      const t = at + Math.min(rng.exponential(1.3 * HOUR), m.storm.hours * HOUR - 60);
      drafts.push({
        ...base,
        storm: true,
        outageEnd,
        priority: "P1",
        channel: p1Channel(rng),
        createdAt: Math.floor(t),
      });
    }
    for (let n = 0; n < m.storm.meToo; n++) {
      const t = at + Math.min(rng.exponential(5 * HOUR), 36 * HOUR);
      drafts.push({
        ...base,
        storm: true,
        outageEnd,
        priority: "P3",
        channel: rng.pick<Channel>([
          ["portal", 60],
          ["email", 40],
        ]),
        createdAt: Math.floor(t),
      });
    }
  });
  return drafts;
}

function p1Channel(rng: Rng): Channel {
  return rng.pick<Channel>([
    ["phone", 50],
    ["portal", 35],
    ["email", 15],
  ]);
}

/**
 * P1s: the on-call engineers, in arrival order; each is busy triaging a P1 for a while after answering it. In an
 * incident storm the major-incident process calls in STORM_ENGINEERS more, an hour after the outage starts; its
 * "me too" P3s are linked to the incident and answered by it, without the desk's queue.
 */
function onCall(rng: Rng, drafts: Draft[]): void {
  const byTime = drafts.slice().sort((a, b) => a.createdAt - b.createdAt);
  const free = new Array<number>(ON_CALL_ENGINEERS).fill(-Infinity);
  let calledIn: number[] = [];
  let declaredAt = Infinity;
  let outage = -1;
  for (const d of byTime) {
    if (d.storm && d.outageEnd !== outage) {
      outage = d.outageEnd as number;
      const started = byTime.filter((x) => x.outageEnd === outage).reduce((m, x) => Math.min(m, x.createdAt), Infinity);
      declaredAt = started + HOUR;
      calledIn = new Array<number>(STORM_ENGINEERS).fill(declaredAt);
    }
    if (d.priority !== "P1") {
      if (d.storm) {
        d.firstResponseAt = Math.round(d.createdAt + rng.logNormal(20 * 60, 0.6));
        d.resolvedAt = Math.round(Math.max(d.firstResponseAt, outage) + rng.logNormal(HOUR, 0.7));
      }
      continue;
    }
    const noticed = d.createdAt + rng.logNormal(8 * 60, 0.9);
    const pool = d.storm ? [free, calledIn] : [free];
    let best: [number[], number] = [free, 0];
    for (const engineers of pool)
      for (let k = 0; k < engineers.length; k++) if (engineers[k] < best[0][best[1]]) best = [engineers, k];
    const [engineers, e] = best;
    const begin = Math.max(noticed, engineers[e]);
    d.firstResponseAt = Math.round(begin + 60 + rng.next() * 120);
    // Once the major incident is declared, a storm P1's answer links it: a few minutes' work, not a triage.
    const declared = d.storm && begin >= declaredAt;
    engineers[e] = begin + (declared ? rng.logNormal(6 * 60, 0.4) : rng.logNormal(24 * 60, 0.45));
    d.resolvedAt =
      d.outageEnd !== undefined
        ? Math.round(Math.max(d.firstResponseAt, d.outageEnd) + rng.logNormal(25 * 60, 0.6))
        : Math.round(d.firstResponseAt + rng.logNormal(2.2 * HOUR, 0.7));
  }
}

/**
 * P2-P4: the desk's queue, hour by hour. In each hour the agents on duty (the rota, the script's staffing) have
 * a number of pick-up slots spread over the hour; a slot takes the oldest waiting P2, else the oldest waiting P3
 * or P4 (FIFO).
 */
function desk(
  rng: Rng,
  drafts: Draft[],
  o: { start: number; from: number; periodSeconds: number; monthOf: (t: number) => MonthScript },
): void {
  const waiting = drafts.filter((d) => d.priority !== "P1" && !d.storm).sort((a, b) => a.createdAt - b.createdAt);
  const p2: Draft[] = [];
  const rest: Draft[] = [];
  let p2Head = 0;
  let restHead = 0;
  let next = 0;
  let carry = 0;
  const staffing = (t: number): number => {
    const m = o.monthOf(t);
    const dayOfMonth = Math.floor(((t - o.start) % o.periodSeconds) / DAY); // t >= start where it matters
    let f = m.staffing && t >= o.start && dayOfMonth >= m.staffing.fromDay ? m.staffing.factor : 1;
    const queued = p2.length - p2Head + rest.length - restHead;
    if (m.catchUp && t >= o.start && queued > 40) f *= m.catchUp;
    return f;
  };
  for (let h = o.from; next < waiting.length || p2Head < p2.length || restHead < rest.length; h += HOUR) {
    while (next < waiting.length && waiting[next].createdAt < h + HOUR) {
      const d = waiting[next++];
      (d.priority === "P2" ? p2 : rest).push(d);
    }
    const queued = p2.length - p2Head + rest.length - restHead;
    const agents = rota(h);
    const nightOnly = agents === 0;
    const capacity = (nightOnly ? NIGHT_P2_PER_HOUR : agents * staffing(h) * PICKUPS_PER_AGENT_HOUR) + carry;
    const slots = Math.floor(capacity);
    carry = capacity - slots;
    const load = 1 + Math.min(2.5, Math.max(0, queued - 40) / 120);
    for (let k = 0; k < slots; k++) {
      const at = h + ((k + 0.5) * HOUR) / slots;
      let d: Draft | undefined;
      if (p2Head < p2.length && p2[p2Head].createdAt <= at) d = p2[p2Head++];
      else if (!nightOnly && restHead < rest.length && rest[restHead].createdAt <= at) d = rest[restHead++];
      if (d === undefined) continue;
      work(rng, d, Math.round(at + rng.logNormal(4 * 60, 0.5)), load);
    }
  }
}

/** The ticket's first answer at `answered`, then its work (maybe with a wait for the customer) until resolved. */
function work(rng: Rng, d: Draft, answered: number, load: number): void {
  d.firstResponseAt = answered;
  const roundTheClock = d.priority === "P2";
  const median = { P1: 0, P2: 110 * 60, P3: 100 * 60, P4: 160 * 60 }[d.priority];
  const total = Math.min(40 * HOUR, rng.logNormal(median, roundTheClock ? 0.75 : 1.0) * load);
  const after = (t: number, s: number): number => (roundTheClock ? t + s : afterDeskTime(t, s));
  if (rng.next() < 0.12) {
    const from = Math.round(after(answered, 0.4 * total));
    const until = Math.round(from + Math.min(4 * DAY, rng.logNormal(5 * HOUR, 1.0)));
    d.pending = { from, until };
    d.resolvedAt = Math.round(after(until, 0.6 * total));
  } else {
    d.resolvedAt = Math.round(after(answered, total));
  }
}

/** A CSAT answer for about a quarter of the resolved tickets (more for P1s); late and storm tickets rate worse. */
function rate(rng: Rng, d: Draft): { score: number; at: number } | undefined {
  const answered = rng.next() < (d.priority === "P1" ? 0.35 : 0.24);
  if (!answered || !(d.resolvedAt === d.resolvedAt)) return undefined;
  const paused = d.pending ? d.pending.until - d.pending.from : 0;
  const late = d.resolvedAt > d.createdAt + RESOLUTION_TARGET[d.priority] + paused;
  const slow = d.firstResponseAt > d.createdAt + RESPONSE_TARGET[d.priority];
  const satisfied = rng.next() < (d.storm ? 0.6 : late ? 0.5 : slow ? 0.75 : 0.93);
  const score = satisfied
    ? rng.next() < 0.62
      ? 5
      : 4
    : rng.pick<number>([
        [3, 50],
        [2, 30],
        [1, 20],
      ]);
  return { score, at: Math.round(d.resolvedAt + Math.min(7 * DAY, rng.logNormal(2.5 * HOUR, 1.4))) };
}
