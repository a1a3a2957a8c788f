/**
 * Timestamps in export files (DESIGN.md "Business KPIs", timestamps): unix seconds (an integer) or an ISO-8601
 * date-time with a zone, `2026-03-01T09:30:00Z`, `2026-03-01T09:30:00+02:00`, `...-05:00`; fractional seconds are
 * dropped (floored). A time without a zone, an unparseable one, a date that is not in the calendar (Feb 30) or a
 * time before 1970 is an error.
 *
 * Interpretations (where DESIGN.md is open; each chosen so that a wrong reading refuses rather than pays):
 * - Unix seconds are plain decimal digits: no sign, no fraction, no spaces (`-5` is "before 1970").
 * - ISO-8601 date-times in the extended form `YYYY-MM-DDTHH:MM:SS`, optional `.` and one or more digits, then
 *   `Z` or an offset `+HH:MM`, `+HHMM` or `+HH` (and `-`): ISO-8601 allows each offset form, and ticketing
 *   exports use them (Jira writes `2026-03-01T09:30:00.000+0000`). `T` and `Z` may be lower case, as RFC 3339
 *   allows. No date-only form, no missing seconds, no space for `T` (a space-separated time without a zone, as
 *   ServiceNow's default export writes it, is no ISO-8601 date-time with a zone: it must be converted).
 * - Hours are 00..23, minutes and seconds 00..59 (no leap second 60, no 24:00), offsets at most 23:59 either way.
 * - Every time must be at most 9999-12-31T23:59:59Z (253402300799): this also rejects unix milliseconds given
 *   where seconds are expected (1740000000000), which would otherwise read as a date 55,000 years away.
 * - Whitespace is not trimmed: `" 1740000000"` is unparseable (the fields are taken exactly as the export wrote them).
 *
 * Fast: {@link timeAt} reads the characters of a field in place (no substring, no `Date`), computing the day number
 * from the civil date by hand, so a million rows parse in well under a second.
 */
import { RuleError } from "../../errors";

/** 9999-12-31T23:59:59Z, the latest time an export may hold. */
export const MAX_EXPORT_TIME = 253_402_300_799;

/** Error codes of {@link timeAt} (all negative, so any result >= 0 is a time). */
export const TIME_UNPARSEABLE = -1;
export const TIME_NO_ZONE = -2;
export const TIME_BAD_DATE = -3;
export const TIME_BAD_CLOCK = -4;
export const TIME_BAD_OFFSET = -5;
export const TIME_BEFORE_1970 = -6;
export const TIME_TOO_LATE = -7;

/** Why `timeAt` refused, in words (follows the quoted field in messages). */
export function timeError(code: number): string {
  switch (code) {
    case TIME_NO_ZONE:
      return "has no zone (end it with Z or an offset such as +02:00)";
    case TIME_BAD_DATE:
      return "is not a calendar date";
    case TIME_BAD_CLOCK:
      return "is not a time of day (hours 00-23, minutes and seconds 00-59)";
    case TIME_BAD_OFFSET:
      return "has a zone offset beyond 23:59";
    case TIME_BEFORE_1970:
      return "is before 1970";
    case TIME_TOO_LATE:
      return "is after 9999-12-31T23:59:59Z (unix milliseconds instead of seconds?)";
    default:
      return "is not a time (unix seconds, or ISO-8601 with a zone such as 2026-03-01T09:30:00Z)";
  }
}

/** Two decimal digits at `i`, or -1. */
function d2(t: string, i: number): number {
  const a = t.charCodeAt(i) - 48;
  const b = t.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * The time in `t[s, e)` as unix seconds (>= 0), or a negative TIME_* code. Does not allocate.
 */
export function timeAt(t: string, s: number, e: number): number {
  if (e <= s) return TIME_UNPARSEABLE;
  // Unix seconds: digits only.
  let v = 0;
  let i = s;
  for (; i < e; i++) {
    const c = t.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    if (v <= MAX_EXPORT_TIME) v = v * 10 + c;
  }
  if (i === e) return v > MAX_EXPORT_TIME ? TIME_TOO_LATE : v;
  if (i === s && t.charCodeAt(s) === 45 /* - */ && e - s > 1) {
    let j = s + 1;
    while (j < e && t.charCodeAt(j) >= 48 && t.charCodeAt(j) <= 57) j++;
    if (j === e) return TIME_BEFORE_1970;
  }
  // ISO-8601: YYYY-MM-DDTHH:MM:SS[.f+](Z|±HH:MM)
  if (e - s < 19 || i !== s + 4) return TIME_UNPARSEABLE;
  const y = v;
  const mo = d2(t, s + 5);
  const d = d2(t, s + 8);
  const h = d2(t, s + 11);
  const mi = d2(t, s + 14);
  const se = d2(t, s + 17);
  const sep = t.charCodeAt(s + 10);
  if (
    mo < 0 ||
    d < 0 ||
    h < 0 ||
    mi < 0 ||
    se < 0 ||
    t.charCodeAt(s + 4) !== 45 ||
    t.charCodeAt(s + 7) !== 45 ||
    (sep !== 84 /* T */ && sep !== 116) /* t */ ||
    t.charCodeAt(s + 13) !== 58 ||
    t.charCodeAt(s + 16) !== 58
  ) {
    return TIME_UNPARSEABLE;
  }
  let p = s + 19;
  if (p < e && t.charCodeAt(p) === 46 /* . */) {
    p++;
    const digits = p;
    while (p < e && t.charCodeAt(p) >= 48 && t.charCodeAt(p) <= 57) p++;
    if (p === digits) return TIME_UNPARSEABLE;
  }
  if (p === e) return TIME_NO_ZONE;
  const z = t.charCodeAt(p);
  let offset = 0;
  if (z === 90 /* Z */ || z === 122 /* z */) {
    if (p + 1 !== e) return TIME_UNPARSEABLE;
  } else if (z === 43 /* + */ || z === 45 /* - */) {
    // +HH:MM, +HHMM or +HH.
    const len = e - p;
    if (len !== 6 && len !== 5 && len !== 3) return TIME_UNPARSEABLE;
    if (len === 6 && t.charCodeAt(p + 3) !== 58) return TIME_UNPARSEABLE;
    const oh = d2(t, p + 1);
    const om = len === 3 ? 0 : d2(t, len === 6 ? p + 4 : p + 3);
    if (oh < 0 || om < 0) return TIME_UNPARSEABLE;
    if (oh > 23 || om > 59) return TIME_BAD_OFFSET;
    offset = (z === 43 ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return TIME_UNPARSEABLE;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return TIME_BAD_DATE;
  if (h > 23 || mi > 59 || se > 59) return TIME_BAD_CLOCK;
  // Local time minus the offset is UTC (+02:00 is two hours ahead of UTC).
  const unix = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
  if (unix < 0) return TIME_BEFORE_1970;
  if (unix > MAX_EXPORT_TIME) return TIME_TOO_LATE;
  return unix;
}

/** Parses one timestamp (unix seconds or ISO-8601 with a zone); throws RuleError `"<text>" <why>`. */
export function parseTimestamp(text: string): number {
  const v = timeAt(text, 0, text.length);
  if (v < 0) throw new RuleError(`"${text}" ${timeError(v)}`);
  return v;
}
