module.exports = {
  buildDir: "artifacts",
  contractsDir: "contracts",
  testDir: "test",
  skipContracts: ["mocks", "interfaces"],
  skipTests: ["oracle", "demo", "deploy", "tasks", "helpers"],
  testingTimeOutInSec: 600,
  network: "none",
  testingFramework: "hardhat",
  minimal: false,
  tce: false,
};
