// solidity-coverage: measure the escrow and its libraries; mocks are test scaffolding.
module.exports = {
  skipFiles: ["mocks/"],
  istanbulReporter: ["text", "json-summary", "lcov"],
  mocha: { timeout: 600000 },
  configureYulOptimizer: true,
};
