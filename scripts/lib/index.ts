/**
 * The client core: everything the tasks, the oracle, the demo and the web page share, browser-safe. It works on
 * an ethers `Provider`/`Signer` (a Hardhat node, an RPC URL, an EIP-1193 wallet through `BrowserProvider`) and
 * never imports Hardhat, Node built-ins, `process` or dotenv; `.ci/run` bundles this file for the browser and
 * fails on any such import (`npm run lint:core`). Node and Hardhat adapters live in scripts/adapters/.
 */
export * from "./attestation";
export * from "./attestation-hasher";
export * from "./errors";
export * from "./explain";
export * from "./history";
export * from "./decimal";
export * from "./lifecycle";
export * from "./limits";
export * from "./kpi";
export * from "./model";
export * from "./party-oracles";
export * from "./penalty";
export * from "./permit";
export * from "./reference";
export * from "./signer-mask";
export * from "./terms";
export * from "./time";
export * from "./token";
export * from "./units";
