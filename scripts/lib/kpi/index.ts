/** Metric kinds, specs, units and tolerances (DESIGN.md "Business KPIs"): the one extension point for metrics. */
export * from "./math";
export * from "./params";
export * from "./registry";
export * from "./spec";
export * from "./tolerance";
export type {
  AnyKind,
  CallTable,
  Computed,
  Derivation,
  ItemTable,
  KindDefinition,
  PromResults,
  Sample,
  SourceData,
  SourceName,
  TicketTable,
  Tolerance,
  Unit,
} from "./types";
export * from "./units";
