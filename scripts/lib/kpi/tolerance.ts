/**
 * Co-signing tolerance: how far a proposed value may be from this oracle's own before it refuses to sign.
 * `--tolerance` lists `NAME=N` (absolute, in the metric's unit) or `NAME=N%` (relative to this oracle's own value),
 * comma separated, where NAME is a metric's name or its index in the agreement (`0=500`, for names with commas);
 * metrics not named keep their kind's default (0 for export kinds: oracles reading the same export agree exactly).
 */
import { UserError } from "../errors";
import { type MetricSpec, defaultToleranceOf } from "./spec";
import type { Tolerance } from "./types";

/** One tolerance per metric, in the agreement's order. */
export type Tolerances = readonly Tolerance[];

export function parseTolerances(
  text: string | undefined,
  specs: readonly MetricSpec[],
  flag = "--tolerance",
): Tolerance[] {
  const out = specs.map(defaultToleranceOf);
  if (text === undefined || text.trim() === "") return out;
  for (const part of text.split(",")) {
    const m = /^\s*(.+?)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$/.exec(part);
    if (!m) throw new UserError(`${flag}: "${part}" is not NAME=N or NAME=N%`);
    const [, name, amount, pct] = m;
    let i = specs.findIndex((s) => s.name === name);
    if (i < 0 && /^[0-9]+$/.test(name) && Number(name) < specs.length) i = Number(name);
    if (i < 0) {
      throw new UserError(
        `${flag}: "${name}" is not one of the metrics (${specs.map((s) => s.name).join(", ")}) nor an index 0..${specs.length - 1}`,
      );
    }
    out[i] = pct ? { kind: "pct", percent: Number(amount) } : { kind: "abs", amount: Number(amount) };
  }
  return out;
}

/** The allowed absolute difference for a metric given this oracle's own value. */
export function allowedDifference(t: Tolerance, own: number): number {
  return t.kind === "abs" ? t.amount : Math.floor((own * t.percent) / 100);
}

export function describeTolerance(t: Tolerance): string {
  return t.kind === "abs" ? String(t.amount) : `${t.percent}%`;
}

export interface Difference {
  name: string;
  proposed: number;
  own: number;
  difference: number;
  allowed: number;
  tolerance: string;
}

/** Every metric whose proposed value differs from our own by more than its tolerance. */
export function outOfTolerance(
  specs: readonly MetricSpec[],
  proposed: readonly number[],
  own: readonly number[],
  tolerances: Tolerances,
): Difference[] {
  const out: Difference[] = [];
  specs.forEach((spec, i) => {
    const difference = Math.abs(proposed[i] - own[i]);
    const allowed = allowedDifference(tolerances[i], own[i]);
    if (difference > allowed) {
      out.push({
        name: spec.name,
        proposed: proposed[i],
        own: own[i],
        difference,
        allowed,
        tolerance: describeTolerance(tolerances[i]),
      });
    }
  });
  return out;
}

export function formatDifferences(diffs: readonly Difference[]): string {
  return diffs
    .map(
      (d) =>
        `${d.name} differs by ${d.difference} (report ${d.proposed}, ours ${d.own}; tolerance ${d.tolerance} = ${d.allowed})`,
    )
    .join("; ");
}
