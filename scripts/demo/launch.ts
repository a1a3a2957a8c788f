/**
 * `npm run demo [-- --scenario NAME] [--network NAME]`: picks the demo's scenario and runs
 * `hardhat run scripts/demo/index.ts` (which takes no script arguments of its own) with the scenario in
 * DEMO_SCENARIO, as a child process with this one's terminal and exit code. Without `--scenario` it runs the
 * web-service scenario, as `npm run demo` always did. A bad scenario or argument is one line and exit code 1.
 */
import { spawn } from "node:child_process";
import path from "node:path";

export const SCENARIOS = ["web-service", "helpdesk"] as const;
export type Scenario = (typeof SCENARIOS)[number];
export const DEFAULT_SCENARIO: Scenario = "web-service";
/** The environment variable that carries the scenario to scripts/demo/index.ts. */
export const SCENARIO_ENV = "DEMO_SCENARIO";

export function isScenario(name: string): name is Scenario {
  return (SCENARIOS as readonly string[]).includes(name);
}

export function unknownScenario(name: string): string {
  return `error: unknown scenario "${name}" (valid: ${SCENARIOS.join(", ")})`;
}

const USAGE = `usage: npm run demo -- [--scenario ${SCENARIOS.join("|")}] [--network NAME]`;

export type LaunchArgs = { scenario: Scenario; network?: string } | { error: string };

/** `--scenario NAME` and `--network NAME` (or `--flag=NAME`), each at most once; nothing else. */
export function parseLaunchArgs(argv: readonly string[]): LaunchArgs {
  const given: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(scenario|network)(?:=(.*))?$/.exec(argv[i]);
    if (!m) return { error: `error: unknown argument "${argv[i]}" (${USAGE})` };
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === "" || (m[2] === undefined && value.startsWith("--")))
      return { error: `error: --${m[1]} needs a value (${USAGE})` };
    if (given[m[1]] !== undefined) return { error: `error: --${m[1]} given twice (${USAGE})` };
    given[m[1]] = value;
  }
  const scenario = given.scenario ?? DEFAULT_SCENARIO;
  if (!isScenario(scenario)) return { error: unknownScenario(scenario) };
  return given.network === undefined ? { scenario } : { scenario, network: given.network };
}

function main(): void {
  const args = parseLaunchArgs(process.argv.slice(2));
  if ("error" in args) {
    console.error(args.error);
    process.exitCode = 1;
    return;
  }
  const root = path.resolve(__dirname, "..", "..");
  const hardhat = require.resolve("hardhat/internal/cli/bootstrap", { paths: [root] });
  const network = args.network === undefined ? [] : ["--network", args.network];
  const child = spawn(process.execPath, [hardhat, "run", ...network, "scripts/demo/index.ts"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, [SCENARIO_ENV]: args.scenario },
  });
  child.on("error", (err) => {
    console.error(`error: cannot start hardhat: ${err.message}`);
    process.exitCode = 1;
  });
  child.on("exit", (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

if (require.main === module) main();
