/**
 * The oracle's checks that turn a user's mistake into one clear UserError: flags, milestones, metric names,
 * the oracle's place in the terms, the attestation window. The model and the lifecycle rules are the core's
 * (scripts/lib/model.ts, scripts/lib/lifecycle.ts).
 */
import { getAddress } from "ethers";
import { UserError } from "../lib/errors";
import { attestWindow } from "../lib/lifecycle";
import type { AgreementTerms } from "../lib/model";
import { formatTime } from "../lib/time";
import { type MetricSpec, checkSpecsAgainstTerms } from "../lib/kpi/spec";

/** Parses a `--agreement`/`--milestone` style flag: a non-negative decimal integer. */
export function parseUintFlag(value: string | undefined, flag: string): bigint {
  if (value === undefined || value === "") throw new UserError(`${flag}: missing`);
  if (!/^[0-9]+$/.test(value.trim())) throw new UserError(`${flag}: "${value}" is not a non-negative integer`);
  return BigInt(value.trim());
}

export function checkMilestone(terms: AgreementTerms, milestone: bigint): number {
  if (milestone >= BigInt(terms.milestones.length)) {
    throw new UserError(
      `--milestone: agreement ${terms.id} has milestones 0..${terms.milestones.length - 1}, not ${milestone}`,
    );
  }
  return Number(milestone);
}

/** The specs must be one per metric of the agreement, each in the right direction (`flag` names their origin). */
export function checkMetricNames(terms: AgreementTerms, specs: readonly MetricSpec[], flag = "--metrics"): void {
  checkSpecsAgainstTerms(specs, terms.metrics, terms.id, flag);
}

/** Index of `address` among the agreement's oracles, or a UserError. */
export function oracleIndexOf(terms: AgreementTerms, address: string): number {
  const i = terms.oracles.indexOf(getAddress(address));
  if (i < 0) {
    throw new UserError(
      `key: ${getAddress(address)} is not an oracle of agreement ${terms.id} (oracles: ${terms.oracles.join(", ")})`,
    );
  }
  return i;
}

/** A milestone may be attested while `dueAt <= now <= dueAt + attestGrace`; explains why not otherwise. */
export function checkAttestWindow(terms: AgreementTerms, milestone: number, now: number): void {
  const w = attestWindow(terms, milestone);
  if (now < w.from) {
    throw new UserError(
      `--milestone: milestone ${milestone} of agreement ${terms.id} is not due until ${formatTime(w.from)} (dueAt ${w.from}, now ${now})`,
    );
  }
  if (now > w.until) {
    throw new UserError(
      `--milestone: the attestation window of milestone ${milestone} of agreement ${terms.id} closed at ${formatTime(w.until)}`,
    );
  }
}
