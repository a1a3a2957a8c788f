/**
 * Hardhat tasks for clients, vendors and arbitrators (`npx hardhat sla:*`). Registered by hardhat.config.ts,
 * which loads this file before anything is compiled: the task modules import TypeChain types with
 * `import type` only and do no work at import time (docs/operators.md describes every task).
 */
import "./create";
import "./lifecycle";
import "./settle";
import "./withdraw";
import "./status";
