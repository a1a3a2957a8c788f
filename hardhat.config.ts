import "dotenv/config";
import "@nomicfoundation/hardhat-toolbox";
import "hardhat-deploy";
import "hardhat-deploy-ethers";
import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/types";
import { deploymentConfig } from "./scripts/adapters/networks";

/** The compiler version; it must equal the version of the `solc` npm package in package.json. */
const SOLC_VERSION = "0.8.28";

// The compiler's download host is unreachable on our machines: compile with the solc-js build that
// npm installed instead, and say clearly when the two versions drift apart.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  const installed: string = require("solc/package.json").version;
  if (args.solcVersion !== installed) {
    throw new Error(
      `hardhat.config.ts asks for solc ${args.solcVersion} but the npm package solc is ${installed}: ` +
        `pin "solc": "${args.solcVersion}" in package.json (or change SOLC_VERSION) and run npm ci`,
    );
  }
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  return { compilerPath, isSolcJs: true, version: installed, longVersion: installed };
});

// Networks (hardhat, localhost, public testnets from .env), named accounts and explorer keys. A testnet's
// variables are read and checked only when it is the selected network; deploy/verify checks are registered too.
const deployment = deploymentConfig();

/**
 * SLA_FAST_COMPILE=1 (mutation testing, scripts/mutation): the legacy pipeline without the optimizer and without
 * the metadata hash. Same source semantics, compiled several times faster, and byte-identical output for
 * equivalent sources (the runner compares bytecode to find mutants the compiler proves equivalent). Never for
 * deployment: the code is larger (the in-process network lifts the size limit) and dearer in gas.
 */
const FAST_COMPILE = process.env.SLA_FAST_COMPILE === "1";
if (FAST_COMPILE) {
  deployment.networks.hardhat = { ...deployment.networks.hardhat, allowUnlimitedContractSize: true };
} else {
  // The sla:* and oracle tasks. The mutation build leaves them out: its contract tests do not use them, and it
  // starts Hardhat once per mutant.
  require("./scripts/tasks");
  require("./scripts/oracle/tasks");
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: FAST_COMPILE
      ? {
          evmVersion: "cancun",
          optimizer: { enabled: false },
          viaIR: false,
          metadata: { bytecodeHash: "none", appendCBOR: false },
        }
      : {
          // Cancun: transient storage for the reentrancy lock and mcopy (used by OpenZeppelin 5.7).
          evmVersion: "cancun",
          optimizer: { enabled: true, runs: 1_000 },
          // The IR pipeline: about 4k gas less per attestation and 30k less per creation than the legacy one.
          viaIR: true,
        },
  },
  namedAccounts: deployment.namedAccounts,
  networks: deployment.networks,
  etherscan: deployment.etherscan,
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
  mocha: { timeout: 600_000 },
};

export default config;
