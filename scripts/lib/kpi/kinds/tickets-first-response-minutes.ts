/**
 * `tickets.first_response_minutes` with `priorities`, `percentile` (DESIGN.md "Business KPIs", tickets): durations
 * `ceil((first_response_at - created_at) / 60)` of the tickets of F first answered in the period, plus
 * `ceil((end - created_at) / 60)` for every ticket of F still unanswered at `end` (`created_at < end` and
 * `first_response_at` empty or `>= end`); the nearest rank; 0 when there is none.
 */
import { ticketMinutesKind } from "./shared-tickets";

export const ticketsFirstResponseMinutes = ticketMinutesKind({
  kind: "tickets.first_response_minutes",
  summary: "nearest-rank percentile of the tickets' first-response times (open ones up to the end), in minutes",
  event: "first_response_at",
  what: "first-response",
  open: "unanswered",
  eventOf: (t) => t.firstResponseAt,
});
