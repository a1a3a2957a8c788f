/**
 * `tickets.resolution_minutes` with `priorities`, `percentile` (DESIGN.md "Business KPIs", tickets): the
 * first-response rule with `resolved_at`: durations `ceil((resolved_at - created_at) / 60)` of the tickets of F
 * resolved in the period, plus `ceil((end - created_at) / 60)` for every ticket of F still unresolved at `end`;
 * the nearest rank; 0 when there is none.
 */
import { ticketMinutesKind } from "./shared-tickets";

export const ticketsResolutionMinutes = ticketMinutesKind({
  kind: "tickets.resolution_minutes",
  summary: "nearest-rank percentile of the tickets' resolution times (open ones up to the end), in minutes",
  event: "resolved_at",
  what: "resolution",
  open: "unresolved",
  eventOf: (t) => t.resolvedAt,
});
