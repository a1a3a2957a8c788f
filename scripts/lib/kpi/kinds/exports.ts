/** The kinds that read export files: tickets, calls and work items (DESIGN.md "Business KPIs"). */
import type { AnyKind } from "../types";
import { callsAbandonRate } from "./calls-abandon-rate";
import { callsAverageHandle } from "./calls-average-handle";
import { callsServiceLevel } from "./calls-service-level";
import { itemsAccuracy } from "./items-accuracy";
import { itemsCompletedCount } from "./items-completed-count";
import { itemsOnTime } from "./items-on-time";
import { ticketsCsat } from "./tickets-csat";
import { ticketsFirstResponseMinutes } from "./tickets-first-response-minutes";
import { ticketsResolutionMinutes } from "./tickets-resolution-minutes";
import { ticketsResolutionWithinTarget } from "./tickets-resolution-within-target";
import { ticketsResponseWithinTarget } from "./tickets-response-within-target";

export const EXPORT_KINDS: readonly AnyKind[] = [
  ticketsResponseWithinTarget,
  ticketsResolutionWithinTarget,
  ticketsFirstResponseMinutes,
  ticketsResolutionMinutes,
  ticketsCsat,
  callsServiceLevel,
  callsAbandonRate,
  callsAverageHandle,
  itemsOnTime,
  itemsAccuracy,
  itemsCompletedCount,
];
