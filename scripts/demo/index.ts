/**
 * `npx hardhat run scripts/demo/index.ts [--network localhost]` (`npm run demo`): the one-command demo.
 * Everything happens in ./run.ts (`runDemo`); this wrapper only turns an expected failure into one line on
 * stderr and a non-zero exit code. docs/demo.md describes what it shows.
 */
import hre from "hardhat";
import { demoFailureMessage } from "./errors";
import { runDemo } from "./run";

async function main(): Promise<void> {
  try {
    await runDemo(hre);
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
