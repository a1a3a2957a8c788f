/**
 * How the demo works the product: it runs the project's own commands in process, exactly as a person runs them
 * from a shell, `npx hardhat sla:<task> ...` and `npx hardhat oracle <command> ...` through `hre.run`. Each call:
 * - gets its environment for the call only (the oracle's ORACLE_PRIVATE_KEY and ORACLE_RELAYER_PRIVATE_KEY),
 *   restored afterwards;
 * - has its output captured instead of printed, into the demo's transcript (demo-output/commands.log: every
 *   command as its command line, keys replaced by the address they belong to, then what it printed);
 * - leaves process.exitCode as it was; a command that failed (it printed `error: ...` and set exit code 1)
 *   throws a UserError with that line, so the demo stops with one line and exit code 1 (./errors.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { computeAddress, isHexString } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { UserError } from "../lib/errors";
import type { TaskResult } from "../oracle/cli";
import type { OracleArgs } from "../oracle/commands";

/** Environment variables for one call; undefined removes a variable for the call. */
export type CallEnv = Record<string, string | undefined>;

/** The oracle command line's arguments (strings, as on the command line). */
export type OracleCall = Partial<OracleArgs> & { command: string };

interface Captured {
  result: unknown;
  stderr: string[];
  exitCode: typeof process.exitCode;
}

export class Commands {
  private readonly transcript: string[] = [];

  constructor(
    private readonly hre: HardhatRuntimeEnvironment,
    /** Where the transcript is written (after every call). */
    readonly file: string,
  ) {}

  /** `npx hardhat <task> --flag value ...`: the task's return value; throws when the task failed. */
  async task<T>(task: string, args: Record<string, unknown>): Promise<T> {
    const { result, stderr, exitCode } = await this.call(task, args, {});
    if (result === undefined || (exitCode !== undefined && exitCode !== 0)) {
      throw new UserError(`${task}: ${failureLine(stderr) ?? `exit code ${exitCode}`}`);
    }
    return result as T;
  }

  /**
   * `npx hardhat oracle <command> ...` with `env` set for the call: the command's result. Throws when the command
   * failed with an error; a result that only reports a negative answer (`verify`: exit code 1, no error) is
   * returned for the caller to judge.
   */
  async oracle<T extends object>(args: OracleCall, env: CallEnv = {}): Promise<T & TaskResult> {
    const { result, stderr } = await this.call("oracle", args, env);
    const r = result as (T & TaskResult) | undefined;
    if (r === undefined || r.error !== undefined) {
      throw new UserError(`oracle ${args.command}: ${r?.error ?? failureLine(stderr) ?? "failed"}`);
    }
    return r;
  }

  private async call(task: string, args: Record<string, unknown>, env: CallEnv): Promise<Captured> {
    this.transcript.push(`$ ${commandLine(this.hre.network.name, task, args, env)}`);
    const out = (line: string): void => void this.transcript.push(`  ${line}`);
    const stderr: string[] = [];
    const saved = { log: console.log, error: console.error, exitCode: process.exitCode, env: setEnv(env) };
    process.exitCode = undefined;
    console.log = (...a: unknown[]) => out(a.map(String).join(" "));
    console.error = (...a: unknown[]) => {
      const line = a.map(String).join(" ");
      stderr.push(line);
      out(line);
    };
    try {
      const result: unknown = await this.hre.run(task, args);
      return { result, stderr, exitCode: process.exitCode };
    } finally {
      console.log = saved.log;
      console.error = saved.error;
      process.exitCode = saved.exitCode;
      setEnv(saved.env);
      this.transcript.push("");
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(this.file, this.transcript.join("\n"));
    }
  }
}

/** Sets `env` in process.env and returns what it replaced (to set back). */
function setEnv(env: CallEnv): CallEnv {
  const before: CallEnv = {};
  for (const [k, v] of Object.entries(env)) {
    before[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return before;
}

/** The `error: ...` line a failed command printed, without the prefix. */
function failureLine(stderr: readonly string[]): string | undefined {
  const line = [...stderr].reverse().find((l) => l.startsWith("error: "));
  return line?.slice("error: ".length);
}

/** The command as a person would type it; a key is shown as the address it belongs to, never as itself. */
export function commandLine(network: string, task: string, args: Record<string, unknown>, env: CallEnv = {}): string {
  const vars = Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${isHexString(v, 32) ? `<key of ${computeAddress(v as string)}>` : "<set>"}`);
  const words: string[] = [...vars, "npx", "hardhat", task];
  for (const [k, v] of Object.entries(args)) {
    if (k === "command") {
      words.push(String(v));
      continue;
    }
    const flag = `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (v === true) words.push(flag);
    else if (v !== undefined && v !== false) words.push(flag, shellWord(String(v)));
  }
  if (network !== "hardhat") words.push("--network", network);
  return words.join(" ");
}

function shellWord(s: string): string {
  const relative = path.isAbsolute(s) ? path.relative(process.cwd(), s) : s;
  const shown = path.isAbsolute(s) && !relative.startsWith("..") ? relative : s;
  return /^[\w@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`;
}
