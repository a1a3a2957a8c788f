// ESLint (flat config) with typescript-eslint. Besides the recommended rules it keeps the layers pointing one way
// (CONTRIBUTING.md): the core (scripts/lib) imports nothing of Node, Hardhat, dotenv or the layers above it; the
// adapters (scripts/adapters) import the core only; the drivers (tasks, oracle, demo, bench, ...) import downward.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const NODE_AND_HARDHAT = [
  { group: ["node:*"], message: "scripts/lib is the browser-safe core: Node built-ins belong in scripts/adapters." },
  {
    group: ["fs", "path", "os", "child_process", "crypto", "http", "https", "net", "url", "util"],
    message: "scripts/lib is the browser-safe core: Node built-ins belong in scripts/adapters.",
  },
  {
    group: ["hardhat", "hardhat/*", "@nomicfoundation/*", "hardhat-deploy", "hardhat-deploy/*"],
    message: "scripts/lib works on an ethers Provider, never on hre: Hardhat belongs in scripts/adapters.",
  },
  {
    group: ["dotenv", "dotenv/*"],
    message: "scripts/lib reads no environment: configuration belongs in scripts/adapters.",
  },
];
const ABOVE_CORE = [
  "../adapters",
  "../adapters/*",
  "../oracle",
  "../oracle/*",
  "../tasks",
  "../tasks/*",
  "../demo",
  "../demo/*",
  "../bench/*",
  "../mutation/*",
  "../ci/*",
];
const DRIVERS = [
  "../oracle",
  "../oracle/*",
  "../tasks",
  "../tasks/*",
  "../demo",
  "../demo/*",
  "../bench/*",
  "../mutation/*",
  "../ci/*",
];

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "coverage/",
      "typechain-types/",
      "deployments/",
      ".mutation/",
      ".sumo/",
      "web/dist/",
      "**/*.js",
      "**/*.cjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx", "**/*.mjs"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["scripts/lib/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...NODE_AND_HARDHAT,
            { group: ABOVE_CORE, message: "The core imports nothing above it (adapters, drivers)." },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "process", message: "scripts/lib runs in browsers: take what you need as a parameter." },
        { name: "Buffer", message: "scripts/lib runs in browsers: use Uint8Array and ethers' byte helpers." },
        { name: "require", message: "scripts/lib is ES modules only." },
      ],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    files: ["scripts/adapters/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: DRIVERS, message: "Adapters sit between the core and the drivers: they import the core only." },
          ],
        },
      ],
    },
  },
  {
    files: ["scripts/oracle/**/*.ts", "scripts/tasks/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["../demo", "../demo/*", "../bench/*"],
              message: "Drivers do not import the demo or the benchmarks.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-expressions": "off", // chai's expect(...).to.be.true
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
