/** The oracle program's Hardhat tasks (`npx hardhat oracle ...`). Registered by hardhat.config.ts. */
export {};
