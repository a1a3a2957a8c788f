/**
 * The ticket-export benchmark (DESIGN.md "Business KPIs"): one million tickets parsed and a ticket kind computed in
 * under 5 s on one core. Generates a realistic, deterministic export in memory (seeded; every column, ISO-8601
 * times in Z and offset forms mixed with unix seconds, empty optional fields, a quoted free-text column that the
 * parser skips), parses it, then computes `tickets.resolution_minutes` p90 and
 * `tickets.response_within_target_ppm` over a 30-day period.
 *
 * `npx ts-node scripts/oracle/bench-kpi.ts [rows]` prints the figures.
 */
import { parseTicketsCsv } from "../lib/kpi/exports/tickets";
import { ticketsResolutionMinutes } from "../lib/kpi/kinds/tickets-resolution-minutes";
import { ticketsResponseWithinTarget } from "../lib/kpi/kinds/tickets-response-within-target";

const START = 1_772_323_200; // 2026-03-01T00:00:00Z
const DAY = 86_400;
const PERIOD = { start: START, end: START + 30 * DAY };

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** ISO-8601 with the given zone offset in minutes (0 -> "Z"). */
function iso(unix: number, offsetMin: number): string {
  const d = new Date((unix + offsetMin * 60) * 1000);
  const base =
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (offsetMin === 0) return `${base}Z`;
  const a = Math.abs(offsetMin);
  return `${base}${offsetMin > 0 ? "+" : "-"}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** A ticket export of `rows` tickets over the period and the week before it (seeded, deterministic). */
export function ticketsCsv(rows: number, seed = 42): string {
  let x = seed >>> 0;
  const rnd = (): number => {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4_294_967_296;
  };
  const priorities = ["P1", "P2", "P2", "P3", "P3", "P3", "P4"];
  const offsets = [0, 0, 0, 120, -300, 330];
  const subjects = ['Printer on 3rd floor, "again"', "VPN drops every hour", "Password reset", "New laptop, please"];
  const time = (t: number): string => {
    const r = rnd();
    if (r < 0.4) return String(t);
    const s = iso(t, offsets[Math.floor(rnd() * offsets.length)]);
    return r < 0.5 ? s.replace(/(:\d\d)(Z|[+-])/, "$1.250$2") : s;
  };
  const out: string[] = [
    "ticket_id,priority,created_at,first_response_at,resolved_at,response_due_at,resolution_due_at,csat,subject",
  ];
  const span = 37 * DAY;
  for (let i = 0; i < rows; i++) {
    const created = START - 7 * DAY + Math.floor(rnd() * span);
    const pri = priorities[Math.floor(rnd() * priorities.length)];
    const responded = rnd() < 0.95 ? created + Math.floor(rnd() * rnd() * 8 * 3600) : NaN;
    const resolved = responded === responded && rnd() < 0.85 ? responded + Math.floor(rnd() * rnd() * 5 * DAY) : NaN;
    const responseDue = rnd() < 0.3 ? created + 3600 : NaN;
    const resolutionDue = rnd() < 0.3 ? created + 2 * DAY : NaN;
    const csat = resolved === resolved && rnd() < 0.25 ? String(1 + Math.floor(rnd() * 5)) : "";
    const subject = subjects[Math.floor(rnd() * subjects.length)];
    const quoted = subject.includes(",") || subject.includes('"') ? `"${subject.replace(/"/g, '""')}"` : subject;
    const t = (v: number): string => (v === v ? time(v) : "");
    out.push(
      `T-${i + 1},${pri},${time(created)},${t(responded)},${t(resolved)},${t(responseDue)},${t(resolutionDue)},${csat},${quoted}`,
    );
  }
  return out.join("\r\n") + "\r\n";
}

export async function benchTickets(
  rows = 1_000_000,
): Promise<{ rows: number; bytes: number; parseMs: number; computeMs: number; totalMs: number }> {
  const text = ticketsCsv(rows);
  const bytes = new TextEncoder().encode(text).length;
  const t0 = performance.now();
  const table = parseTicketsCsv(text, "bench tickets.csv");
  const t1 = performance.now();
  const p90 = ticketsResolutionMinutes.compute(table, { percentile: 90 }, PERIOD);
  const within = ticketsResponseWithinTarget.compute(table, { priorities: ["P1", "P2"], targetSeconds: 3600 }, PERIOD);
  const t2 = performance.now();
  if (table.length !== rows) throw new Error(`parsed ${table.length} rows, expected ${rows}`);
  if (!(p90.value > 0) || !(within.value > 0)) throw new Error("implausible values: the generator or a kind is broken");
  return { rows, bytes, parseMs: t1 - t0, computeMs: t2 - t1, totalMs: t2 - t0 };
}

/** The figures as one line (the `npm run bench:oracle` line, and this file's own CLI). */
export function describeTicketsBench(r: Awaited<ReturnType<typeof benchTickets>>): string {
  const ms = (v: number): string => `${Math.round(v)} ms`;
  return (
    `tickets: ${r.rows.toLocaleString("en")} rows, ${(r.bytes / 1e6).toFixed(1)} MB: parse ${ms(r.parseMs)}, ` +
    `compute (resolution_minutes p90 + response_within_target_ppm) ${ms(r.computeMs)}, total ${ms(r.totalMs)} ` +
    `(goal < 5000 ms on one core: ${r.totalMs < 5000 ? "met" : "NOT met"})`
  );
}

if (require.main === module) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  benchTickets(rows)
    .then((r) => console.log(describeTicketsBench(r)))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
