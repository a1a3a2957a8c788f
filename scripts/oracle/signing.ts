/**
 * Oracle keys and signatures: the key comes from ORACLE_PRIVATE_KEY (.env through dotenv) or an encrypted
 * JSON keystore (--keystore FILE, password in ORACLE_KEYSTORE_PASSWORD; neither is ever printed). Every
 * signature is checked against the escrow's own `attestationDigest` before it leaves the machine, and
 * signatures travel as files so that M-of-N oracles on different machines can co-sign.
 *
 * The self-check of every signature (`signDigestChecked`) verifies it against the key's KNOWN public key instead of
 * recovering a public key from it (what it did before: pure-JS recovery, the slowest step of signing many
 * milestones). It is as strict as the recovery check, `recoverSigner(digest, signature) === wallet.address` with
 * OpenZeppelin's rules, because it checks the same bytes under the same rules:
 *  - 65 bytes `r || s || v`, `0 < r < n`, `0 < s <= n/2` (a high-s twin is rejected, as OpenZeppelin does),
 *    `v` 27 or 28 (not 0 or 1);
 *  - with `z` the digest and `P` the public key, `R = (z/s)·G + (r/s)·P` is not the point at infinity, its x is
 *    exactly `r` and its y's parity is `v - 27`.
 * `ecrecover(z, v, r, s)` rebuilds the point `R*` with x = r and y's parity v - 27, and returns the address of
 * `Q = (s·R* - z·G)/r`. `Q = P` exactly when `s·R* = z·G + r·P`, i.e. when `R* = R`, i.e. when R's x is r and its
 * parity is v - 27: the conditions above. So a signature passes exactly when it recovers to P, whose address is the
 * key's (checked too); recovering to the address with another public key would need a 160-bit keccak collision.
 * Verifying is cheaper than recovering (no square root for R*, no keccak of Q, and the multiples of G and of `P` are
 * precomputed once per key), which is what lifts reports+signatures past 500/s on one core (scripts/oracle/bench.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1";
import { invert } from "@noble/curves/abstract/modular";
import type { ProjPointType } from "@noble/curves/abstract/weierstrass";
import {
  type Provider,
  type TypedDataDomain,
  Wallet,
  computeAddress,
  getAddress,
  isAddress,
  isHexString,
} from "ethers";
import type { SLAEscrow } from "../../typechain-types";
import { type Attestation, readDomain } from "../lib/attestation";
import { attestationHasher } from "../lib/attestation-hasher";
import { UserError } from "../lib/errors";
import { SECP256K1_HALF_N, isValidSignatureFor } from "../lib/signer-mask";
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
 * Checks that `digest` (computed locally) is the escrow's `attestationDigest` of `att`; throws otherwise. The
 * default asks the escrow (one eth_call); the daemon batches these checks (run/reads.ts, `DigestChecks`).
 */
export type DigestCheck = (att: Attestation, digest: string) => Promise<void>;

/** The error of a digest that is not the escrow's. */
export function digestMismatch(local: string, onChain: string): Error {
  return new Error(`digest mismatch: local ${local}, escrow ${onChain} (EIP-712 type or domain differs)`);
}

/** The default {@link DigestCheck}: the escrow's `attestationDigest`, one eth_call. */
export function escrowDigestCheck(escrow: SLAEscrow): DigestCheck {
  return async (att, digest) => {
    const onChain = await escrow.attestationDigest(att.agreementId, att.milestone, att.values, att.evidence);
    if (onChain !== digest) throw digestMismatch(digest, onChain);
  };
}

/**
 * Signs an attestation after checking that our digest equals the escrow's `attestationDigest` (`checkDigest`,
 * by default one eth_call), and checks the signature against the key (see the module comment) before returning it.
 * `beforeSign(digest)` runs after that check and before the key signs: the one-signature-per-milestone record
 * (sign-record.ts) is made there, and may refuse.
 */
export async function signChecked(
  escrow: SLAEscrow,
  wallet: Wallet,
  domain: TypedDataDomain,
  att: Attestation,
  oracle: string = wallet.address,
  beforeSign?: (digest: string) => void,
  checkDigest: DigestCheck = escrowDigestCheck(escrow),
): Promise<{ signature: string; digest: string }> {
  const digest = hasherOf(domain)(att);
  await checkDigest(att, digest);
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

/** `attestationHasher(domain)`, built once per domain object (the daemon signs many under one). */
const hashers = new WeakMap<TypedDataDomain, (att: Attestation) => string>();
function hasherOf(domain: TypedDataDomain): (att: Attestation) => string {
  let h = hashers.get(domain);
  if (!h) hashers.set(domain, (h = attestationHasher(domain)));
  return h;
}

/** The oracle's identity: `--oracle-address` (a contract wallet the key signs for, ERC-1271), else the key's address. */
export function oracleIdentity(wallet: Wallet, oracleAddress?: string): string {
  if (oracleAddress === undefined || oracleAddress === "") return wallet.address;
  if (!isAddress(oracleAddress)) throw new UserError(`--oracle-address: "${oracleAddress}" is not an address`);
  return getAddress(oracleAddress);
}

/**
 * Signs an attestation's EIP-712 digest (the same signature `signAttestation` gives: eth_signTypedData_v4 signs
 * exactly this digest) and checks it against the key's public key, as strictly as recovering it to the key's
 * address would (module comment). `digest` must be `attestationDigest(domain, att)` (precomputed by the caller,
 * e.g. checked against the escrow). `check: false` skips the self-check (the benchmark measures both).
 */
export function signDigestChecked(wallet: Wallet, digest: string, check = true): string {
  const signature = wallet.signingKey.sign(digest).serialized;
  if (check) {
    const key = keyOf(wallet);
    if (key.address !== wallet.address || !verifyWithKey(key, digest, signature)) {
      throw new Error(`signature check failed: it is not ${wallet.address}'s signature of digest ${digest}`);
    }
    rememberChecked(digest, wallet.address, signature);
  }
  return signature;
}

const N = secp256k1.CURVE.n;
type Point = ProjPointType<bigint>;
const Point = secp256k1.ProjectivePoint;

/**
 * Fixed-window tables for the self-check's two multiplications (`u1·G + u2·P`, both bases known in advance):
 * `table[255w + j - 1] = j · 2^(8w) · base` for the 32 windows w of 8 bits and j in 1..255, so that `k · base` is
 * at most 32 point additions and no doubling, with one normalisation for the sum (noble's `multiply` normalises
 * each product). 8,160 points, about 30 ms to build: once for G, once per key that signs a few times.
 */
function windowTable(base: Point): Point[] {
  const table = new Array<Point>(32 * 255);
  let b = base;
  for (let w = 0; w < 32; w++) {
    let acc = b;
    table[255 * w] = acc;
    for (let j = 2; j <= 255; j++) table[255 * w + j - 1] = acc = acc.add(b);
    b = acc.add(b); // 256 · b
  }
  return table;
}

/** `acc + k · base` for `0 <= k < 2^256` with `base`'s table (noble's additions are complete: any inputs). */
function addMultiple(acc: Point, table: readonly Point[], k: bigint): Point {
  for (let w = 0; k > 0n; w++, k >>= 8n) {
    const digit = Number(k & 0xffn);
    if (digit !== 0) acc = acc.add(table[255 * w + digit - 1]);
  }
  return acc;
}

let baseTable: Point[] | undefined;

interface KnownKey {
  point: Point;
  address: string;
  uses: number;
  table?: Point[];
}

/** Public keys seen by the self-check, with their address; a key used a few times gets its table. */
const knownKeys = new Map<string, KnownKey>();
/** By signing key: ethers computes `signingKey.publicKey` from the private key at every read (a multiplication). */
const walletKeys = new WeakMap<object, KnownKey>();

function keyOf(wallet: Wallet): KnownKey {
  let k = walletKeys.get(wallet.signingKey);
  if (!k) walletKeys.set(wallet.signingKey, (k = newKey(wallet.signingKey.publicKey)));
  return used(k);
}

function newKey(publicKey: string): KnownKey {
  return { point: Point.fromHex(publicKey.slice(2)), address: computeAddress(publicKey), uses: 0 };
}

function knownKey(publicKey: string): KnownKey {
  let k = knownKeys.get(publicKey);
  if (!k) {
    if (knownKeys.size >= 16) knownKeys.clear();
    knownKeys.set(publicKey, (k = newKey(publicKey)));
  }
  return used(k);
}

function used(k: KnownKey): KnownKey {
  // The tables pay off after a handful of signatures (the daemon's, the benchmark's); a one-shot command that
  // signs once or twice does without.
  if (++k.uses === 4) {
    baseTable ??= windowTable(Point.BASE);
    k.table = windowTable(k.point);
  }
  return k;
}

/**
 * Whether `signature` is, under OpenZeppelin's ECDSA rules, the signature of `digest` by the key `publicKey`
 * (uncompressed or compressed hex): exactly when `recoverSigner(digest, signature)` would yield its address (see
 * the module comment for why).
 */
export function verifyDigestSignature(publicKey: string, digest: string, signature: string): boolean {
  return verifyWithKey(knownKey(publicKey), digest, signature);
}

function verifyWithKey(key: KnownKey, digest: string, signature: string): boolean {
  if (!isHexString(digest, 32) || !isHexString(signature, 65)) return false;
  const r = BigInt("0x" + signature.slice(2, 66));
  const s = BigInt("0x" + signature.slice(66, 130));
  const v = parseInt(signature.slice(130, 132), 16);
  if (r === 0n || r >= N || s === 0n || s > SECP256K1_HALF_N || (v !== 27 && v !== 28)) return false;
  const w = invert(s, N);
  const u1 = (BigInt(digest) * w) % N;
  const u2 = (r * w) % N; // never 0: r and w are non-zero modulo the prime n
  let R: Point;
  if (key.table && baseTable) R = addMultiple(addMultiple(Point.ZERO, baseTable, u1), key.table, u2);
  else R = (u1 === 0n ? Point.ZERO : Point.BASE.multiply(u1)).add(key.point.multiplyUnsafe(u2));
  // The point at infinity has no affine form: noble gives (0, 0) for it, and r is never 0.
  const { x, y } = R.toAffine();
  return x === r && Number(y & 1n) === v - 27;
}

/**
 * Signatures this process checked (self-checks): `collectSignatures` accepts them without recovering them again.
 * Keyed by digest, signer and signature, so a hit is the very check `isValidSignatureFor` would make.
 */
const checkedSignatures = new Set<string>();

function checkedKey(digest: string, signer: string, signature: string): string {
  return `${digest.toLowerCase()}:${getAddress(signer)}:${signature.toLowerCase()}`;
}

function rememberChecked(digest: string, signer: string, signature: string): void {
  if (checkedSignatures.size >= 100_000) checkedSignatures.clear();
  checkedSignatures.add(checkedKey(digest, signer, signature));
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
    else if (
      !checkedSignatures.has(checkedKey(expected.digest, s.signer, s.signature)) &&
      !(await isValidSignatureFor(expected.digest, s.signer, s.signature, provider))
    )
      reject(`the signature is not ${s.signer}'s over digest ${expected.digest}`);
    else {
      seen.add(getAddress(s.signer));
      result.valid.push({ signer: getAddress(s.signer), signature: s.signature, file });
    }
  }
  return result;
}
