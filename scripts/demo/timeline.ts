/**
 * The vendor service's script: what it does at every moment of the six months, in virtual time.
 *
 * Each month (one milestone period) has a list of incidents placed relative to the period's start; outside
 * them the service answers 200 after a short, deterministic jitter. Incidents:
 * - `503`:   an outage where the service answers HTTP 503 at once;
 * - `hang`:  an outage where the service accepts the request and never answers (the probe times out);
 * - `drop`:  an outage where the service closes the connection without answering;
 * - `slow`:  a slow spell: 200 after a delay drawn from [minMs, maxMs].
 *
 * The delays are real (the prober measures them with a real clock); only the calendar is compressed.
 */

export type IncidentKind = "503" | "hang" | "drop" | "slow";

export interface Incident {
  kind: IncidentKind;
  /** Start, in minutes after the period's start. */
  atMinutes: number;
  /** Length in minutes. */
  minutes: number;
  /** For `slow`: the range of the delay, in milliseconds. */
  delayMs?: readonly [number, number];
}

export interface MonthScript {
  /** One line for the progress output and the HTML report. */
  summary: string;
  incidents: readonly Incident[];
}

/** What the service does with one request. */
export type Behaviour =
  { kind: "ok"; delayMs: number; incident?: "slow" } | { kind: "503" } | { kind: "hang" } | { kind: "drop" };

const HOUR = 60;
const DAY = 24 * HOUR;

/**
 * The demo's six months. With 30-day periods and one probe every 30 virtual minutes (1440 probes a month):
 * month 2 loses 3 probes (availability 99.79%: below 99.9%), month 3's slow spell is 8.3% of the month (the
 * p95 falls in the slow band, above 500 ms), month 4 loses 12 probes (99.17%: below 99.5%) and is slow for
 * 6.7% of it (p95 above 1 s), month 6 loses 80 probes (94.44%: below 99%).
 */
export const DEMO_TIMELINE: readonly MonthScript[] = [
  { summary: "perfect", incidents: [] },
  {
    summary: "a 90-minute outage (HTTP 503) on day 12",
    incidents: [{ kind: "503", atMinutes: 11 * DAY + 3 * HOUR, minutes: 90 }],
  },
  {
    summary: "a 60-hour slow spell (600-800 ms) from day 9",
    incidents: [{ kind: "slow", atMinutes: 8 * DAY + 6 * HOUR, minutes: 60 * HOUR, delayMs: [600, 800] }],
  },
  {
    summary: "a 6-hour outage (requests hang, no answer) on day 5 and a 48-hour slow spell (1.1-1.4 s) from day 20",
    incidents: [
      { kind: "hang", atMinutes: 4 * DAY + 22 * HOUR, minutes: 6 * HOUR },
      { kind: "slow", atMinutes: 19 * DAY, minutes: 48 * HOUR, delayMs: [1100, 1400] },
    ],
  },
  { summary: "perfect", incidents: [] },
  {
    summary: "a 40-hour outage (connections dropped, no answer) from day 23",
    incidents: [{ kind: "drop", atMinutes: 22 * DAY + 8 * HOUR, minutes: 40 * HOUR }],
  },
];

/** A deterministic hash of an integer to [0, 1) (so the same virtual moment always behaves the same). */
export function unitHash(n: number, salt = 0): number {
  let x = (Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) + salt) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
}

/** The normal response delay: 3 to 45 ms, most of them short. */
export function normalDelayMs(virtualTime: number): number {
  return 3 + Math.floor(unitHash(virtualTime, 1) ** 3 * 42);
}

/** A period of the agreement, in unix seconds: [start, end). */
export interface ScriptPeriod {
  start: number;
  end: number;
}

/**
 * The service's behaviour at `virtualTime` (unix seconds), given the agreement's periods and one script per
 * period. Outside every period (and in periods without a script) the service is healthy.
 */
export function behaviourAt(
  virtualTime: number,
  periods: readonly ScriptPeriod[],
  script: readonly MonthScript[] = DEMO_TIMELINE,
): Behaviour {
  const p = periods.findIndex((x) => virtualTime >= x.start && virtualTime < x.end);
  const month = p >= 0 ? script[p] : undefined;
  if (month !== undefined) {
    const minute = (virtualTime - periods[p].start) / 60;
    for (const incident of month.incidents) {
      if (minute < incident.atMinutes || minute >= incident.atMinutes + incident.minutes) continue;
      if (incident.kind === "slow") {
        const [lo, hi] = incident.delayMs ?? [1000, 1000];
        return { kind: "ok", delayMs: lo + Math.floor(unitHash(virtualTime, 2) * (hi - lo + 1)), incident: "slow" };
      }
      return { kind: incident.kind };
    }
  }
  return { kind: "ok", delayMs: normalDelayMs(virtualTime) };
}
