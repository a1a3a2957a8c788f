/**
 * Helpers for the task tests: running a task while capturing what it prints and the exit code it sets, terms
 * files written to a temporary directory, and terms relative to the chain's time.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import type { Context } from "../helpers/fixture";
import { formatTime } from "../../scripts/lib/time";

export interface Captured<T> {
  result: T;
  out: string;
  err: string;
  /** process.exitCode as the task left it (reset afterwards, so that mocha's own exit code is not affected). */
  exitCode: number | string | undefined;
}

/** Runs `fn` with stdout and stderr captured. */
export async function capture<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  let out = "";
  let err = "";
  const saved = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  let result: T;
  let exitCode: number | string | undefined;
  try {
    result = await fn();
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    exitCode = process.exitCode;
    process.exitCode = saved;
  }
  return { result, out, err, exitCode };
}

/** `hre.run(task, args)` with its output captured. */
export function runTask<T = unknown>(task: string, args: Record<string, unknown>): Promise<Captured<T>> {
  return capture(() => hre.run(task, args) as Promise<T>);
}

let dir: string | undefined;
let counter = 0;

/** Writes `content` (an object, or raw text) to a fresh file and returns its path. */
export function writeTerms(content: unknown): string {
  dir ??= mkdtempSync(path.join(tmpdir(), "sla-terms-"));
  const file = path.join(dir, `terms-${++counter}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return file;
}

export const DAY = 86_400n;

/**
 * A valid terms file for the fixture's parties: TUSD, `count` milestones of `amount` every 30 days from the
 * chain's time, 2 of the 3 oracles, the reference metrics (the same tiers as the fixture's METRICS).
 */
export async function termsFile(
  ctx: Context,
  overrides: Record<string, unknown> = {},
  count = 3,
  amount = "1000",
): Promise<Record<string, unknown>> {
  const now = BigInt(await time.latest());
  return {
    token: "TUSD",
    client: ctx.client.address,
    vendor: ctx.vendor.address,
    arbitrator: ctx.arbitrator.address,
    start: formatTime(now),
    attestGrace: "3d",
    disputeWindow: "2d",
    arbitrationTimeout: "14d",
    silentCut: "100%",
    // Deliberately not sorted: the file's oracles are sorted on conversion.
    oracles: [...ctx.oracles].reverse().map((o) => o.address),
    threshold: 2,
    metrics: [
      {
        name: "availability_ppm",
        tiers: [
          { threshold: "99.9%", cut: "10%" },
          { threshold: "99.5%", cut: "25%" },
          { threshold: "99%", cut: "50%" },
        ],
      },
      {
        name: "latency_p95_ms",
        tiers: [
          { threshold: "300ms", cut: "5%" },
          { threshold: "500ms", cut: "15%" },
          { threshold: "1s", cut: "30%" },
        ],
      },
    ],
    milestones: Array.from({ length: count }, (_, i) => ({
      due: formatTime(now + BigInt(i + 1) * 30n * DAY),
      amount,
    })),
    ...overrides,
  };
}
