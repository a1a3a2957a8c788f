/**
 * Helpers for the oracle tests: the private keys of Hardhat's default accounts, sample generators, running
 * `hre.run("oracle", ...)` with captured output and a restored exit code, and temp folders.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { HDNodeWallet, Mnemonic, type TypedDataDomain, Wallet, keccak256 } from "ethers";
import { attestationDigest } from "../../scripts/lib/attestation";
import { type MetricLike, cutBps } from "../../scripts/lib/penalty";
import { writeProposal } from "../../scripts/oracle/cosign";
import type { OracleArgs } from "../../scripts/oracle/commands";
import type { TaskResult } from "../../scripts/oracle/cli";
import { parseMetricNames } from "../../scripts/oracle/metrics";
import { measureSpecs } from "../../scripts/oracle/measure";
import { buildReport, serializeReport } from "../../scripts/oracle/report";
import type { Sample } from "../../scripts/oracle/samples";
import { SIGNATURE_FORMAT, writeSignatureFile } from "../../scripts/oracle/signing";

export const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

/** The private key of the Hardhat default account with this address (searches the first 20). */
export function privateKeyOf(address: string): string {
  const mnemonic = Mnemonic.fromPhrase(HARDHAT_MNEMONIC);
  for (let i = 0; i < 20; i++) {
    const w = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`);
    if (w.address.toLowerCase() === address.toLowerCase()) return w.privateKey;
  }
  throw new Error(`${address} is not one of the first 20 Hardhat accounts`);
}

export function tempDir(prefix = "oracle-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `n` samples spread over [start, end), `failed` of them failed, ok latencies `latency(j)` for the j-th ok
 * sample; rows shuffled (order must not matter).
 */
export function makeSamples(
  start: number,
  end: number,
  n: number,
  failed: number,
  latency: (j: number) => number,
  seed = 1,
): Sample[] {
  const out: Sample[] = [];
  const failedAt = new Set(Array.from({ length: failed }, (_, i) => Math.floor((i * n) / failed)));
  let j = 0;
  for (let k = 0; k < n; k++) {
    const timestamp = start + Math.floor(((end - start) * k) / n);
    if (failedAt.has(k)) {
      out.push({ timestamp, ok: false, latencyMs: null });
    } else {
      out.push({ timestamp, ok: true, latencyMs: latency(j++) });
    }
  }
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const k = Math.floor(r() * (i + 1));
    [out[i], out[k]] = [out[k], out[i]];
  }
  return out;
}

export interface Captured {
  result: TaskResult;
  stdout: string[];
  stderr: string[];
}

/**
 * Runs `npx hardhat oracle ...` in process with `env` set for the call; captures output; restores exitCode.
 * Without `state`, each call gets a fresh state folder: the in-process chain is reset between tests (same chain
 * id, escrow address and agreement ids), so the default oracle-state/ folder would hold the record of a
 * milestone signed on an earlier test's chain. Tests that need one oracle's record across calls pass `state`.
 */
export async function runOracle(
  args: Partial<OracleArgs> & { command: string },
  env: Record<string, string | undefined> = {},
): Promise<Captured> {
  if (args.state === undefined) args = { ...args, state: tempDir("oracle-state-") };
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = console.log;
  const error = console.error;
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const exitCode = process.exitCode;
  console.log = (...a: unknown[]) => void stdout.push(a.map(String).join(" "));
  console.error = (...a: unknown[]) => void stderr.push(a.map(String).join(" "));
  try {
    const result = (await hre.run("oracle", args)) as TaskResult;
    return { result, stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
    process.exitCode = exitCode;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as import("node:net").AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it is true, or fails after `timeoutMs` with `what()`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: () => string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The milestone a planted report is for. */
export interface PlantTarget {
  chainId: bigint;
  escrow: string;
  domain: TypedDataDomain;
  id: bigint;
  milestone: number;
  period: { start: number; end: number };
  metrics: MetricLike[];
}

/**
 * What an attacker who can write a shared folder (or a dishonest oracle) puts there: a report computed from
 * `samples` with `names`, naming `author`, written as `file`; `signers` (Hardhat accounts) add their attestation
 * signature files for it, `proposers` their proposal signature (only the real key can make one).
 */
export async function plantReport(
  folder: string,
  t: PlantTarget,
  opts: {
    file: string;
    author: string;
    samples: readonly Sample[];
    names: string[];
    signers?: string[];
    proposers?: string[];
  },
): Promise<{ evidence: string; values: number[]; digest: string }> {
  const ctx = {
    chainId: t.chainId,
    escrow: t.escrow,
    agreementId: t.id,
    milestone: t.milestone,
    period: t.period,
    oracle: opts.author,
  };
  const measured = await measureSpecs(
    parseMetricNames(opts.names.join(",")),
    {
      probes: {
        kind: "csv",
        samplesFor: async () => ({ samples: [...opts.samples], info: { kind: "csv", file: "planted.csv" } }),
      },
    },
    t.period,
    { lagSeconds: 0, what: "the planted report" },
  );
  const report = buildReport(ctx, measured, (v) => cutBps(t.metrics, v));
  const bytes = serializeReport(report);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, opts.file), bytes);
  const evidence = keccak256(bytes);
  const digest = attestationDigest(t.domain, {
    agreementId: t.id,
    milestone: t.milestone,
    values: report.values,
    evidence,
  });
  const base = `agreement-${t.id}-milestone-${t.milestone}`;
  for (const signer of opts.signers ?? []) {
    const signature = new Wallet(privateKeyOf(signer)).signingKey.sign(digest).serialized;
    const record = {
      format: SIGNATURE_FORMAT,
      chainId: t.chainId.toString(),
      escrow: t.escrow,
      agreementId: t.id.toString(),
      milestone: t.milestone,
      values: report.values,
      evidence,
      digest,
      signer,
      signature,
    } as const;
    writeSignatureFile(path.join(folder, `${base}.${evidence.slice(2, 12)}.${signer}.sig.json`), record);
  }
  for (const p of opts.proposers ?? []) writeProposal(folder, base, new Wallet(privateKeyOf(p)), p, digest);
  return { evidence, values: report.values, digest };
}

/**
 * A command that failed as a user's mistake: exit code 1 and exactly one `error: ...` line, the last one (post may
 * first list the signature files it skipped), equal to `error: <expected>` or matching `expected`.
 */
export function expectUserError(
  r: { result: { exitCode: number }; stderr: string[] },
  expected: string | RegExp,
): void {
  expect(r.result.exitCode, r.stderr.join("\n")).to.equal(1);
  expect(
    r.stderr.filter((l) => l.startsWith("error: ")),
    r.stderr.join("\n"),
  ).to.have.length(1);
  const last = r.stderr.at(-1) ?? "";
  if (typeof expected === "string") expect(last).to.equal(`error: ${expected}`);
  else {
    expect(last).to.match(/^error: /);
    expect(last).to.match(expected);
  }
}
