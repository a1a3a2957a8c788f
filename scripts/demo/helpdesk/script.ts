/**
 * The helpdesk scenario's script: what happens at the service desk month by month. The ticket generator
 * (./tickets.ts) reads it; the ledger and the report print its summaries. Times are relative to the agreement's
 * start, a Monday 00:00 UTC, so every run of the same seed produces the same tickets and the same cuts.
 */

export const DAY = 86_400;
export const HOUR = 3_600;

export interface MonthScript {
  /** In words, for the log, the ledger and the report. */
  summary: string;
  /** Tickets of priorities P2 to P4 created in the month (the P1 incidents come on top). */
  deskVolume: number;
  /** P1 tickets in an ordinary month. */
  p1Volume: number;
  /** The desk's staffing relative to its rota, from `fromDay` of the month on (1: the full rota). */
  staffing?: { factor: number; fromDay: number };
  /** Overtime while a backlog is left: the rota times this factor as long as more than 40 tickets wait. */
  catchUp?: number;
  /** A P1 incident storm: an outage at the vendor's hosting provider that many users report at once. */
  storm?: {
    /** When the outage starts, from the month's start. */
    atDay: number;
    atHour: number;
    /** How long the outage lasts, in hours (its tickets are resolved when it is over). */
    hours: number;
    /** P1 tickets it causes (most in its first hours) and the P3 "me too" tickets that follow. */
    p1: number;
    meToo: number;
  };
}

/** Month 1 to 6. */
export const HELPDESK_SCRIPT: readonly MonthScript[] = [
  { summary: "a good month", deskVolume: 1950, p1Volume: 48 },
  {
    summary: "a P1 incident storm: a 9-hour outage at the hosting provider, 70 P1 tickets in a morning",
    deskVolume: 2050,
    p1Volume: 48,
    storm: { atDay: 10, atHour: 8.5, hours: 9, p1: 70, meToo: 260 },
  },
  { summary: "a good month", deskVolume: 1900, p1Volume: 46 },
  {
    summary: "a backlog: 40% of the agents gone from day 8 while a Windows roll-out adds 20% tickets",
    deskVolume: 2350,
    p1Volume: 50,
    staffing: { factor: 0.6, fromDay: 7 },
  },
  {
    summary: "recovery: the rota restored, overtime until the backlog is worked off",
    deskVolume: 2000,
    p1Volume: 47,
    catchUp: 1.8,
  },
  { summary: "a good month", deskVolume: 1900, p1Volume: 45 },
];

/** The ticket history before the agreement (the desk existed before it), in days. */
export const HISTORY_DAYS = 14;
