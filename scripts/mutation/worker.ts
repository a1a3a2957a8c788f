/**
 * A long-lived test process of the mutation runner (run.ts forks one per workspace, with the workspace as its
 * working directory). Starting Hardhat costs seconds; this process starts it once and then, for each message
 * { files }, runs those mocha files in-process on a fresh chain:
 *  - the chain is reset to genesis, and hardhat-deploy's remembered fixture snapshots made to name nothing, so
 *    its fixtures deploy the mutant's code again (checked: block 0, every account's genesis balance);
 *  - every module of the workspace (tests, helpers, deploy scripts, scripts/lib) is dropped from the require cache,
 *    so nothing a test module kept survives into the next mutant's run;
 *  - artifacts are read from disk by Hardhat on each deployment, where run.ts has written the mutant's bytecode.
 * Replies { failures, output } with mocha's spec output (run.ts reads the first failure from it).
 */
import path from "node:path";

interface Request {
  files: string[];
}

async function main(): Promise<void> {
  const hre = require("hardhat") as typeof import("hardhat");
  const { TASK_TEST_RUN_MOCHA_TESTS } = await import("hardhat/builtin-tasks/task-names");
  const provider = hre.network.provider;
  const send = (method: string, params: unknown[] = []): Promise<unknown> => provider.request({ method, params });
  const accounts = (await send("eth_accounts")) as string[];
  const genesisBalances = await Promise.all(accounts.map((a) => send("eth_getBalance", [a, "latest"])));
  const workspace = process.cwd() + path.sep;
  const nodeModules = path.join(process.cwd(), "node_modules") + path.sep;

  /**
   * A new chain. hardhat_reset restarts the snapshot ids at 1, while hardhat-deploy remembers the ids of its
   * fixture snapshots from the last run and reverts to them when they exist: so first push the id counter past
   * every id used so far, then revert those fillers away. Old ids then name no snapshot, and hardhat-deploy deploys
   * the mutant's code afresh.
   */
  const freshChain = async (): Promise<void> => {
    const highest = BigInt((await send("evm_snapshot")) as string);
    await send("hardhat_reset");
    let first: string | undefined;
    for (;;) {
      const id = (await send("evm_snapshot")) as string;
      first ??= id;
      if (BigInt(id) > highest) break;
    }
    await send("evm_revert", [first]);
    const balances = await Promise.all(accounts.map((a) => send("eth_getBalance", [a, "latest"])));
    const block = BigInt((await send("eth_blockNumber")) as string);
    if (block !== 0n || balances.some((b, i) => b !== genesisBalances[i])) {
      throw new Error(`the chain did not reset (block ${block}); results would be wrong`);
    }
  };

  const run = async ({ files }: Request): Promise<{ failures: number; output: string; rss: number }> => {
    await freshChain();
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(workspace) && !key.startsWith(nodeModules) && !key.endsWith("hardhat.config.ts")) {
        delete require.cache[key];
      }
    }
    // capture mocha's output for the reply
    let output = "";
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array): boolean => {
      output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
    let failures: number;
    try {
      failures = (await hre.run(TASK_TEST_RUN_MOCHA_TESTS, {
        testFiles: files.map((f) => path.resolve(f)),
        bail: true,
      })) as number;
    } catch (error) {
      failures = 1;
      output += `\n  1 failing\n\n  1) test process\n       ${(error as Error).message}\n`;
    } finally {
      process.stdout.write = write;
    }
    // The in-process EVM keeps each call's trace outside the JavaScript heap until its wrapper is collected:
    // collect now (node runs with --expose-gc), and report the resident size so run.ts can start a new process.
    (globalThis as { gc?: () => void }).gc?.();
    return { failures, output, rss: process.memoryUsage().rss };
  };

  process.on("message", (message: Request) => {
    run(message).then(
      (reply) => process.send?.(reply),
      (error: unknown) => process.send?.({ failures: -1, output: String(error) }),
    );
  });
  process.send?.({ ready: true });
}

main().catch((error: unknown) => {
  console.error(`[mutation worker] ${(error as Error).message}`);
  process.exit(1);
});
