/**
 * `tickets.response_within_target_ppm` with `priorities`, `targetSeconds` (DESIGN.md "Business KPIs", tickets):
 * due(t) = `response_due_at` if present, else `created_at + targetSeconds`; D = tickets of F with
 * `start <= due(t) < end`; met = `first_response_at` present and `<= due(t)`; `floor(1e6 * met / #D)`, and 1000000
 * when D is empty. The rule is {@link withinTarget} (shared with resolution and work items).
 */
import { ticketWithinTargetKind } from "./shared-tickets";

export const ticketsResponseWithinTarget = ticketWithinTargetKind({
  kind: "tickets.response_within_target_ppm",
  summary: "share of tickets first answered by their response due time, of those falling due in the period, in ppm",
  event: "first_response_at",
  due: "response_due_at",
  verb: "first answered",
  eventOf: (t) => t.firstResponseAt,
  dueOf: (t) => t.responseDueAt,
});
