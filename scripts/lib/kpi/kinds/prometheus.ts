/** The kinds that evaluate Prometheus instant queries (DESIGN.md "Business KPIs", Prometheus). */
import type { AnyKind } from "../types";

export const PROMETHEUS_KINDS: readonly AnyKind[] = [];
