/**
 * Oracle keys and signatures: the key comes from ORACLE_PRIVATE_KEY (.env through dotenv) or an encrypted
 * JSON keystore (--keystore FILE, password in ORACLE_KEYSTORE_PASSWORD; neither is ever printed). Every
 * signature is checked against the escrow's own `attestationDigest` before it leaves the machine, and
 * signatures travel as files so that M-of-N oracles on different machines can co-sign.
 */
import fs from "node:fs";
import path from "node:path";
import { type Provider, type TypedDataDomain, Wallet, getAddress, isAddress, isHexString } from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import { type Attestation, attestationDigest, readDomain } from "../lib/attestation";
import { UserError } from "../lib/errors";
import { isValidSignatureFor, recoverSigner } from "../lib/signer-mask";
import { decryptKeystore, parsePrivateKey } from "../adapters/keys";
import { writeFileAtomic } from "./report";

export const SIGNATURE_FORMAT = "sla-escrow/oracle-signature@1";

export interface KeyOptions {
  /** Path of an encrypted JSON keystore; else ORACLE_PRIVATE_KEY. */
  keystore?: string;
  env?: NodeJS.ProcessEnv;
}

/** Loads the oracle's key (scripts/adapters/keys.ts rules). Messages name the variable or flag, never the secret. */
export async function loadOracleKey(opts: KeyOptions = {}): Promise<Wallet> {
  const env = opts.env ?? process.env;
  if (opts.keystore) {
    const password = env.ORACLE_KEYSTORE_PASSWORD;
    if (password === undefined || password === "") {
      throw new UserError("ORACLE_KEYSTORE_PASSWORD: not set (the password of the --keystore file)");
    }
    return decryptKeystore(opts.keystore, password, { keystore: "--keystore", password: "ORACLE_KEYSTORE_PASSWORD" });
  }
  const key = (env.ORACLE_PRIVATE_KEY ?? "").trim();
  if (key === "") {
    throw new UserError(
      "ORACLE_PRIVATE_KEY: not set (put it in .env, or pass --keystore FILE with ORACLE_KEYSTORE_PASSWORD)",
    );
  }
  return new Wallet(parsePrivateKey("ORACLE_PRIVATE_KEY", key));
}

/** The key that sends transactions: ORACLE_RELAYER_PRIVATE_KEY when set, else the oracle's own key. */
export function relayerKey(oracle: Wallet, env: NodeJS.ProcessEnv = process.env): Wallet {
  const key = (env.ORACLE_RELAYER_PRIVATE_KEY ?? "").trim();
  return key === "" ? oracle : new Wallet(parsePrivateKey("ORACLE_RELAYER_PRIVATE_KEY", key));
}

/** Reads the escrow's domain and checks it belongs to the chain we are connected to. */
export async function escrowDomain(escrow: SLAEscrow, chainId: bigint): Promise<TypedDataDomain> {
  const domain = await readDomain(escrow);
  if (BigInt(domain.chainId ?? 0) !== chainId) {
    throw new UserError(
      `wrong network: the escrow's EIP-712 domain is for chain ${domain.chainId}, the RPC is chain ${chainId}`,
    );
  }
  if (getAddress(String(domain.verifyingContract)) !== getAddress(await escrow.getAddress())) {
    throw new UserError(
      `the escrow's EIP-712 domain names ${domain.verifyingContract}, not ${await escrow.getAddress()}`,
    );
  }
  return domain;
}

/**
 * Signs an attestation after checking that our digest equals the escrow's `attestationDigest`, and checks the
 * signature recovers to the key's address before returning it. `beforeSign(digest)` runs after that check and
 * before the key signs: the one-signature-per-milestone record (sign-record.ts) is made there, and may refuse.
 */
export async function signChecked(
  escrow: SLAEscrow,
  wallet: Wallet,
  domain: TypedDataDomain,
  att: Attestation,
  oracle: string = wallet.address,
  beforeSign?: (digest: string) => void,
): Promise<{ signature: string; digest: string }> {
  const digest = attestationDigest(domain, att);
  const onChain = await escrow.attestationDigest(att.agreementId, att.milestone, att.values, att.evidence);
  if (onChain !== digest) {
    throw new Error(`digest mismatch: local ${digest}, escrow ${onChain} (EIP-712 type or domain differs)`);
  }
  beforeSign?.(digest);
  const signature = signDigestChecked(wallet, digest);
  if (getAddress(oracle) !== wallet.address) {
    // A contract-wallet oracle: its ERC-1271 isValidSignature must accept this key's signature of the digest.
    const runner = escrow.runner?.provider ?? undefined;
    if (!runner || !(await isValidSignatureFor(digest, oracle, signature, runner))) {
      throw new UserError(
        `--oracle-address: the wallet ${getAddress(oracle)} does not accept ${wallet.address}'s signature (ERC-1271 isValidSignature)`,
      );
    }
  }
  return { signature, digest };
}

/** The oracle's identity: `--oracle-address` (a contract wallet the key signs for, ERC-1271), else the key's address. */
export function oracleIdentity(wallet: Wallet, oracleAddress?: string): string {
  if (oracleAddress === undefined || oracleAddress === "") return wallet.address;
  if (!isAddress(oracleAddress)) throw new UserError(`--oracle-address: "${oracleAddress}" is not an address`);
  return getAddress(oracleAddress);
}

/**
 * Signs an attestation's EIP-712 digest (the same signature `signAttestation` gives: eth_signTypedData_v4 signs
 * exactly this digest) and checks that it recovers to the key. `digest` must be `attestationDigest(domain, att)`
 * (precomputed by the caller, e.g. checked against the escrow). `recover: false` skips the recovery
 * self-check (the benchmark measures both).
 */
export function signDigestChecked(wallet: Wallet, digest: string, recover = true): string {
  const signature = wallet.signingKey.sign(digest).serialized;
  if (recover && recoverSigner(digest, signature) !== wallet.address) {
    throw new Error(`signature check failed: it does not recover to ${wallet.address}`);
  }
  return signature;
}

export interface SignatureFile {
  format: typeof SIGNATURE_FORMAT;
  chainId: string;
  escrow: string;
  agreementId: string;
  milestone: number;
  values: number[];
  evidence: string;
  digest: string;
  /** The oracle address the signature is for (an EOA, or a contract wallet for ERC-1271). */
  signer: string;
  signature: string;
}

export function signatureFileName(agreementId: string | bigint, milestone: number, signer: string): string {
  return `agreement-${agreementId}-milestone-${milestone}.${getAddress(signer)}.sig.json`;
}

/** The signature file of `signer`'s signature of an attestation on `c` (chain and escrow). */
export function signatureRecord(
  c: { chainId: bigint; address: string },
  att: { agreementId: bigint | string; milestone: number; values: readonly number[]; evidence: string },
  digest: string,
  signer: string,
  signature: string,
): SignatureFile {
  return {
    format: SIGNATURE_FORMAT,
    chainId: c.chainId.toString(),
    escrow: getAddress(c.address),
    agreementId: att.agreementId.toString(),
    milestone: att.milestone,
    values: [...att.values],
    evidence: att.evidence,
    digest,
    signer: getAddress(signer),
    signature,
  };
}

export function writeSignatureFile(file: string, sig: SignatureFile): void {
  writeFileAtomic(file, JSON.stringify(sig, null, 2) + "\n");
}

function parseSignatureFile(file: string): SignatureFile {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`signature file ${file}: ${(e as Error).message}`);
  }
  const o = v as Record<string, unknown>;
  const bad = (field: string): never => {
    throw new UserError(`signature file ${path.basename(file)}: field "${field}" is missing or malformed`);
  };
  if (o === null || typeof o !== "object") bad("(root)");
  if (o.format !== SIGNATURE_FORMAT) bad("format");
  for (const f of ["chainId", "agreementId"]) if (typeof o[f] !== "string") bad(f);
  if (typeof o.milestone !== "number") bad("milestone");
  if (!Array.isArray(o.values)) bad("values");
  for (const f of ["escrow", "signer"]) if (typeof o[f] !== "string" || !isAddress(o[f])) bad(f);
  for (const f of ["evidence", "digest"]) if (typeof o[f] !== "string" || !isHexString(o[f], 32)) bad(f);
  if (typeof o.signature !== "string" || !isHexString(o.signature)) bad("signature");
  return o as unknown as SignatureFile;
}

/** The expected attestation that signature files are matched against. */
export interface Expected {
  chainId: bigint;
  escrow: string;
  agreementId: bigint;
  milestone: number;
  values: readonly number[];
  evidence: string;
  digest: string;
}

export interface Collected {
  valid: { signer: string; signature: string; file: string }[];
  /** Files that were read but not used, and why. */
  rejected: { file: string; reason: string }[];
}

/** Lists `*.sig.json` files: each argument is a file or a folder. */
export function listSignatureFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new UserError(`--signatures: ${p} does not exist`);
    }
    if (stat.isDirectory()) {
      for (const f of fs.readdirSync(p).sort()) if (f.endsWith(".sig.json")) out.push(path.join(p, f));
    } else out.push(p);
  }
  return out;
}

/**
 * Reads signature files and keeps the valid ones for `expected` signed by one of `oracles` (one per oracle).
 * Files for another attestation are rejected with the reason (a shared folder holds many).
 */
export async function collectSignatures(
  files: readonly string[],
  expected: Expected,
  oracles: readonly string[],
  provider?: Provider,
): Promise<Collected> {
  const result: Collected = { valid: [], rejected: [] };
  const seen = new Set<string>();
  for (const file of files) {
    let s: SignatureFile;
    try {
      s = parseSignatureFile(file);
    } catch (e) {
      result.rejected.push({ file, reason: (e as Error).message });
      continue;
    }
    const reject = (reason: string): void => {
      result.rejected.push({ file, reason });
    };
    if (BigInt(s.chainId) !== expected.chainId) reject(`for chain ${s.chainId}, not ${expected.chainId}`);
    else if (getAddress(s.escrow) !== getAddress(expected.escrow)) reject(`for escrow ${s.escrow}`);
    else if (BigInt(s.agreementId) !== expected.agreementId || s.milestone !== expected.milestone) {
      reject(`for agreement ${s.agreementId} milestone ${s.milestone}`);
    } else if (s.evidence.toLowerCase() !== expected.evidence.toLowerCase())
      reject(`signs evidence ${s.evidence}, the report's is ${expected.evidence}`);
    else if (s.values.join(",") !== expected.values.join(","))
      reject(`signs values [${s.values.join(",")}], the report has [${expected.values.join(",")}]`);
    else if (!oracles.includes(getAddress(s.signer))) reject(`signer ${s.signer} is not an oracle of the agreement`);
    else if (seen.has(getAddress(s.signer))) reject(`a second signature of ${s.signer}`);
    else if (!(await isValidSignatureFor(expected.digest, s.signer, s.signature, provider)))
      reject(`the signature is not ${s.signer}'s over digest ${expected.digest}`);
    else {
      seen.add(getAddress(s.signer));
      result.valid.push({ signer: getAddress(s.signer), signature: s.signature, file });
    }
  }
  return result;
}
