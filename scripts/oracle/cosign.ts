/**
 * The co-signing rules of DESIGN.md ("Co-signing"), in one place for `oracle sign` and the daemon:
 *  - a proposal is compared with what this oracle itself would attest: chain, escrow, agreement, milestone,
 *    period, then the metrics (names, order, kinds and parameters from this oracle's own `--metrics` or
 *    `--metric-spec`, never from the proposal),
 *    then its `cutBps` against the penalty rule applied to its values, then every value against this oracle's
 *    own within its tolerance; the first difference is named;
 *  - proposals in a shared folder carry their author's proposal signature (EIP-191 over the attestation digest,
 *    so it can never pass as an attestation signature): what a file says about its author is not trusted, and
 *    a proposal ranks in oracle order only under an author who signed it.
 */
import fs from "node:fs";
import path from "node:path";
import { type Provider, type Wallet, getAddress, hashMessage, isHexString } from "ethers";
import { cutBps } from "../lib/penalty";
import { type AgreementTerms, periodOf } from "../lib/model";
import { type MetricSpec, firstSpecDifference } from "../lib/kpi/spec";
import { type Tolerances, formatDifferences, outOfTolerance } from "../lib/kpi/tolerance";
import { type Report, writeFileAtomic } from "./report";
import { isValidSignatureFor } from "../lib/signer-mask";

/** What this oracle would attest for one milestone: the reference a proposal is checked against. */
export interface OwnView {
  chainId: bigint;
  escrow: string;
  terms: AgreementTerms;
  milestone: number;
  /** This oracle's own metric specs, in the agreement's order (`--metrics` or `--metric-spec`). */
  specs: readonly MetricSpec[];
  /** This oracle's own values for them, from its own sources. */
  values: readonly number[];
  tolerances: Tolerances;
}

/** The first way `r` differs from what this oracle would sign, in words; undefined when it may be signed. */
export function firstDifference(r: Report, own: OwnView): string | undefined {
  if (BigInt(r.chainId) !== own.chainId) return `it is for chain ${r.chainId}, not chain ${own.chainId}`;
  if (getAddress(r.escrow) !== getAddress(own.escrow))
    return `it is for escrow ${r.escrow}, not ${getAddress(own.escrow)}`;
  if (r.agreementId !== own.terms.id.toString()) return `it is for agreement ${r.agreementId}, not ${own.terms.id}`;
  if (r.milestone !== own.milestone) return `it is for milestone ${r.milestone}, not ${own.milestone}`;
  const period = periodOf(own.terms, own.milestone);
  if (r.period.start !== period.start || r.period.end !== period.end) {
    return `its period [${r.period.start}, ${r.period.end}) is not milestone ${own.milestone}'s period [${period.start}, ${period.end})`;
  }
  const specDiff = firstSpecDifference(
    r.metrics.map((x) => x.spec),
    own.specs,
  );
  if (specDiff !== undefined) return `${specDiff} (ours: ${own.specs.map((x) => x.name).join(", ")})`;
  const cut = cutBps(own.terms.metrics, r.values);
  if (r.cutBps !== cut)
    return `its cutBps is ${r.cutBps}, but the agreement's tiers give ${cut} for its values [${r.values.join(", ")}]`;
  const diffs = outOfTolerance(own.specs, r.values, own.values, own.tolerances);
  return diffs.length > 0 ? formatDifferences(diffs) : undefined;
}

export const PROPOSAL_FORMAT = "sla-escrow/oracle-proposal@1";

/** The proposal file beside a report in a shared folder: its author's signature over `proposalHash(digest)`. */
export interface ProposalFile {
  format: typeof PROPOSAL_FORMAT;
  oracle: string;
  /** The attestation digest of the proposed report (its values and evidence, for this escrow and milestone). */
  digest: string;
  signature: string;
}

/** EIP-191 hash of "sla-escrow/oracle-proposal@1 <digest>": what an author signs to claim a proposal. */
export function proposalHash(digest: string): string {
  return hashMessage(`${PROPOSAL_FORMAT} ${digest.toLowerCase()}`);
}

export function proposalFileName(base: string, oracle: string): string {
  return `${base}.proposal.${getAddress(oracle)}.json`;
}

/** Writes this oracle's proposal file for `digest` (the key signs; `oracle` may be a contract wallet). */
export function writeProposal(folder: string, base: string, wallet: Wallet, oracle: string, digest: string): string {
  const file = path.join(folder, proposalFileName(base, oracle));
  const p: ProposalFile = {
    format: PROPOSAL_FORMAT,
    oracle: getAddress(oracle),
    digest,
    signature: wallet.signingKey.sign(proposalHash(digest)).serialized,
  };
  const text = JSON.stringify(p, null, 2) + "\n";
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) writeFileAtomic(file, text);
  return file;
}

/**
 * Whether `oracle` signed a proposal of `digest` in `folder` (its proposal file, checked by ECDSA and then
 * ERC-1271 like any signature). A missing, malformed or foreign file is simply not a claim.
 */
export async function hasProposal(
  folder: string,
  base: string,
  oracle: string,
  digest: string,
  provider?: Provider,
): Promise<boolean> {
  let p: Partial<ProposalFile>;
  try {
    p = JSON.parse(fs.readFileSync(path.join(folder, proposalFileName(base, oracle)), "utf8")) as Partial<ProposalFile>;
  } catch {
    return false;
  }
  if (
    p.format !== PROPOSAL_FORMAT ||
    typeof p.digest !== "string" ||
    typeof p.signature !== "string" ||
    !isHexString(p.signature)
  )
    return false;
  if (typeof p.oracle !== "string" || p.oracle.toLowerCase() !== oracle.toLowerCase()) return false;
  if (p.digest.toLowerCase() !== digest.toLowerCase()) return false;
  return isValidSignatureFor(proposalHash(digest), oracle, p.signature, provider);
}
