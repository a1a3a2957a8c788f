/**
 * `npx hardhat run scripts/demo/index.ts [--network localhost]` (`npm run demo [-- --scenario NAME]`, through
 * ./launch.ts): the one-command demo. The scenario comes from DEMO_SCENARIO (default the web-service one); the
 * work happens in ./run.ts (`runScenario`); this wrapper only turns an expected failure into one line on stderr
 * and a non-zero exit code. docs/demo.md describes what each scenario shows.
 */
import hre from "hardhat";
import { demoFailureMessage } from "./errors";
import { DEFAULT_SCENARIO, SCENARIO_ENV, isScenario, unknownScenario } from "./launch";
import { runScenario } from "./run";

async function main(): Promise<void> {
  const scenario = process.env[SCENARIO_ENV] || DEFAULT_SCENARIO;
  if (!isScenario(scenario)) {
    console.error(unknownScenario(scenario));
    process.exitCode = 1;
    return;
  }
  try {
    await runScenario(hre, scenario);
  } catch (err) {
    const message = await demoFailureMessage(err, hre);
    if (message === undefined) throw err;
    console.error(`error: ${message}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
