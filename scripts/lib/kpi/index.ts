/** Metric kinds, specs, units and tolerances (DESIGN.md "Business KPIs"): the one extension point for metrics. */
export * from "./math";
export * from "./params";
export * from "./registry";
export * from "./spec";
export * from "./tolerance";
export * from "./types";
export * from "./units";
