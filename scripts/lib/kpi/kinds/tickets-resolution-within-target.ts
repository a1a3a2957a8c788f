/**
 * `tickets.resolution_within_target_ppm` with `priorities`, `targetSeconds` (DESIGN.md "Business KPIs", tickets):
 * the response rule with `resolution_due_at` and `resolved_at`: due(t) = `resolution_due_at` if present, else
 * `created_at + targetSeconds`; D = tickets of F with `start <= due(t) < end`; met = `resolved_at` present and
 * `<= due(t)`; `floor(1e6 * met / #D)`, and 1000000 when D is empty.
 */
import { ticketWithinTargetKind } from "./shared-tickets";

export const ticketsResolutionWithinTarget = ticketWithinTargetKind({
  kind: "tickets.resolution_within_target_ppm",
  summary: "share of tickets resolved by their resolution due time, of those falling due in the period, in ppm",
  event: "resolved_at",
  due: "resolution_due_at",
  verb: "resolved",
  eventOf: (t) => t.resolvedAt,
  dueOf: (t) => t.resolutionDueAt,
});
