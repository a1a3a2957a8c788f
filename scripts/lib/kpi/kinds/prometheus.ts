/** The kinds that evaluate Prometheus instant queries (DESIGN.md "Business KPIs", Prometheus). */
import type { AnyKind } from "../types";
import { prometheusRatio } from "./prometheus-ratio";
import { prometheusValue } from "./prometheus-value";

export const PROMETHEUS_KINDS: readonly AnyKind[] = [prometheusRatio, prometheusValue];
