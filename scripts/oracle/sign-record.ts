/**
 * At most one signature per milestone (DESIGN.md, "Co-signing"): before an oracle's attestation signature leaves
 * the machine, the digest it signs is recorded durably for (chain, escrow, agreement, milestone, oracle) in the
 * oracle's state folder, and a request to sign another digest for that milestone is refused, naming the digest
 * already signed. Re-signing the same digest is allowed (ECDSA signatures here are deterministic, RFC 6979).
 *
 * Layout: `<state>/signed/<chainId>-<escrow>-agreement-<id>-milestone-<m>-<oracle>.json`, one file per
 * milestone, created once and never rewritten. The daemon (`oracle run`) and the one-shot commands (`attest`,
 * `sign`) of one oracle share the folder: the record is created with a hard link from a fsync'd temp file, which
 * fails when the file exists, so two processes racing for the same milestone cannot both win.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import { UserError } from "../lib/errors";

export const SIGNED_FORMAT = "sla-escrow/oracle-signed@1";

export interface MilestoneKey {
  chainId: bigint;
  escrow: string;
  agreementId: bigint;
  milestone: number;
  /** The oracle's address in the terms (its key's, or a contract wallet's). */
  oracle: string;
}

export interface SignedRecord {
  format: typeof SIGNED_FORMAT;
  chainId: string;
  escrow: string;
  agreementId: string;
  milestone: number;
  oracle: string;
  /** The EIP-712 attestation digest signed. */
  digest: string;
  values: number[];
  evidence: string;
  /** Unix seconds (wall clock) when the record was made. */
  recordedAt: number;
}

export function signedRecordPath(stateDir: string, k: MilestoneKey): string {
  const name = `${k.chainId}-${getAddress(k.escrow)}-agreement-${k.agreementId}-milestone-${k.milestone}-${getAddress(k.oracle)}.json`;
  return path.join(stateDir, "signed", name);
}

/** The digest this oracle signed for the milestone, if any. */
export function readSignedRecord(stateDir: string, k: MilestoneKey): SignedRecord | undefined {
  const file = signedRecordPath(stateDir, k);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let rec: SignedRecord;
  try {
    rec = JSON.parse(text) as SignedRecord;
  } catch {
    // Never happens with the link protocol below; refusing keeps the rule (we cannot tell what was signed).
    throw new UserError(
      `--state: the signing record ${file} is not valid JSON; restore it (this oracle may have signed this milestone already)`,
    );
  }
  if (rec.format !== SIGNED_FORMAT || typeof rec.digest !== "string") {
    throw new UserError(`--state: the signing record ${file} is not a "${SIGNED_FORMAT}" record`);
  }
  return rec;
}

function refuse(k: MilestoneKey, digest: string, existing: SignedRecord, file: string): never {
  throw new UserError(
    `refusing to sign digest ${digest} for agreement ${k.agreementId} milestone ${k.milestone}: oracle ${getAddress(k.oracle)} ` +
      `already signed digest ${existing.digest} for it (values [${existing.values.join(", ")}], evidence ${existing.evidence}; record ${file})`,
  );
}

/**
 * Records that the oracle signs `digest` for the milestone (durably: fsync'd file and folder), or confirms that
 * it already did. Throws a UserError when another digest was recorded for the milestone.
 */
export function recordSigned(
  stateDir: string,
  k: MilestoneKey,
  att: { digest: string; values: readonly number[]; evidence: string },
): SignedRecord {
  const file = signedRecordPath(stateDir, k);
  const existing = readSignedRecord(stateDir, k);
  if (existing) {
    if (existing.digest.toLowerCase() !== att.digest.toLowerCase()) refuse(k, att.digest, existing, file);
    return existing;
  }
  const rec: SignedRecord = {
    format: SIGNED_FORMAT,
    chainId: k.chainId.toString(),
    escrow: getAddress(k.escrow),
    agreementId: k.agreementId.toString(),
    milestone: k.milestone,
    oracle: getAddress(k.oracle),
    digest: att.digest,
    values: [...att.values],
    evidence: att.evidence,
    recordedAt: Math.floor(Date.now() / 1000),
  };
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, "w", 0o644);
  try {
    fs.writeSync(fd, JSON.stringify(rec, null, 2) + "\n");
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file); // fails with EEXIST when another process recorded first
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const winner = readSignedRecord(stateDir, k);
    if (winner && winner.digest.toLowerCase() !== att.digest.toLowerCase()) refuse(k, att.digest, winner, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const dfd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
  return readSignedRecord(stateDir, k) ?? rec;
}
