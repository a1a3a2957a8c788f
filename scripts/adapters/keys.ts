/**
 * Keys, once: a private key from a variable, or an encrypted JSON keystore file with its password. The deployer
 * (scripts/adapters/networks.ts) and the oracle (scripts/oracle/signing.ts) both load theirs here, by the same
 * rules; messages name the variable or the flag, never the secret.
 */
import fs from "node:fs";
import { Wallet } from "ethers";
import { UserError } from "../lib/errors";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** How a loader reports a bad key: a UserError by default (the deployer's config uses Hardhat's plugin error). */
export type Fail = (message: string) => Error;
const userError: Fail = (message) => new UserError(message);

/** Checks a private key (64 hex digits, `0x` optional, in the curve's range) named `name`; returns it with `0x`. */
export function parsePrivateKey(name: string, value: string, fail: Fail = userError): string {
  const hex = value.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw fail(`${name}: expected 64 hex digits (0x optional)`);
  const k = BigInt(`0x${hex}`);
  if (k === 0n || k >= SECP256K1_N) throw fail(`${name}: not a valid secp256k1 private key`);
  return `0x${hex}`;
}

/** Decrypts the keystore `file` (named `names.keystore` in messages) with `password` (named `names.password`). */
export async function decryptKeystore(
  file: string,
  password: string,
  names: { keystore: string; password: string },
  fail: Fail = userError,
): Promise<Wallet> {
  let json: string;
  try {
    json = fs.readFileSync(file, "utf8");
    JSON.parse(json);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : "not a JSON keystore";
    throw fail(`${names.keystore}: ${reason}: ${file}`);
  }
  try {
    const w = await Wallet.fromEncryptedJson(json, password);
    return new Wallet(w.privateKey);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/password/i.test(message)) throw fail(`${names.password} does not decrypt ${names.keystore} (wrong password?)`);
    throw fail(`${names.keystore}: not an encrypted JSON keystore: ${file}`);
  }
}
