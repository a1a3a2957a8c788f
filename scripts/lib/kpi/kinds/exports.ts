/** The kinds that read export files: tickets, calls and work items (DESIGN.md "Business KPIs"). */
import type { AnyKind } from "../types";

export const EXPORT_KINDS: readonly AnyKind[] = [];
