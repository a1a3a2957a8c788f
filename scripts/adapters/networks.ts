/**
 * Networks, named accounts and explorer keys for hardhat.config.ts, read from the environment (`.env` through
 * dotenv), and the checks that go with them.
 *
 * Hardhat evaluates its config for every command, tests included, so nothing here may require `.env` unless a
 * public network is in use:
 * - `hardhat` (in-process) and `localhost` (`npx hardhat node`) need no variable at all;
 * - a public testnet is built from its variables only when it is the selected network (`--network NAME` on the
 *   command line, or HARDHAT_NETWORK); a missing or malformed RPC URL or DEPLOYER_PRIVATE_KEY then stops the
 *   command while the config loads, with a message naming the variable, before anything touches the network;
 * - `deploy` on a public testnet additionally needs a deployer key (DEPLOYER_PRIVATE_KEY, or DEPLOYER_KEYSTORE with
 *   DEPLOYER_KEYSTORE_PASSWORD, decrypted only then) and checks it before the first transaction; other commands on
 *   a testnet (the oracle, the tasks, `verify`) do not need the deployer's key;
 * - `verify` on a public testnet needs ETHERSCAN_API_KEY (one Etherscan API v2 key serves every chain here).
 *
 * Messages name the variable and never print its value (RPC URLs often carry an access token).
 */
import path from "node:path";
import { Wallet } from "ethers";
import { extendEnvironment, task } from "hardhat/config";
import { HardhatPluginError } from "hardhat/plugins";
import { decryptKeystore, parsePrivateKey } from "./keys";
import type { HardhatRuntimeEnvironment, HardhatUserConfig, NetworksUserConfig, TaskArguments } from "hardhat/types";

/** The public testnets: the name after `--network`, the chain id, the variable with the RPC URL, the explorer. */
export const PUBLIC_NETWORKS = {
  sepolia: { chainId: 11_155_111, rpcVar: "SEPOLIA_RPC_URL", explorer: "https://sepolia.etherscan.io" },
  baseSepolia: { chainId: 84_532, rpcVar: "BASE_SEPOLIA_RPC_URL", explorer: "https://sepolia.basescan.org" },
  opSepolia: { chainId: 11_155_420, rpcVar: "OP_SEPOLIA_RPC_URL", explorer: "https://sepolia-optimism.etherscan.io" },
  arbitrumSepolia: { chainId: 421_614, rpcVar: "ARBITRUM_SEPOLIA_RPC_URL", explorer: "https://sepolia.arbiscan.io" },
} as const;

export type PublicNetworkName = keyof typeof PUBLIC_NETWORKS;

/**
 * The oracle daemon's transaction settings per network (docs/oracle.md "Fees, replacements and finality"): how many
 * blocks (the one holding the transaction included) before a posting or a settlement counts as done, and the cap on
 * maxFeePerGas in gwei. `oracle run` takes them from, in this order: its flags (`--confirmations`,
 * `--max-fee-gwei`), the variables `<NETWORK>_ORACLE_CONFIRMATIONS` and `<NETWORK>_ORACLE_MAX_FEE_GWEI` (e.g.
 * SEPOLIA_ORACLE_MAX_FEE_GWEI, BASE_SEPOLIA_ORACLE_CONFIRMATIONS; .env.example), the network's `oracle` field in
 * the Hardhat config, this table, and ORACLE_FALLBACK for a network it does not list.
 */
export interface OracleNetworkConfig {
  confirmations?: number;
  maxFeeGwei?: string | number;
}

export const ORACLE_NETWORK_DEFAULTS: Record<string, Required<OracleNetworkConfig>> = {
  // Local chains do not reorganise: done once mined. Their base fee stays near 1 gwei.
  hardhat: { confirmations: 1, maxFeeGwei: "1000" },
  localhost: { confirmations: 1, maxFeeGwei: "1000" },
  // 12 s slots: 3 blocks (~36 s) outlast the one- and two-block reorgs seen on proof-of-stake chains.
  sepolia: { confirmations: 3, maxFeeGwei: "200" },
  // OP-stack L2s, 2 s blocks from one sequencer: 5 blocks (~10 s); their base fee is a small fraction of a gwei.
  baseSepolia: { confirmations: 5, maxFeeGwei: "10" },
  opSepolia: { confirmations: 5, maxFeeGwei: "10" },
  // Arbitrum, ~0.25 s blocks: 20 blocks (~5 s).
  arbitrumSepolia: { confirmations: 20, maxFeeGwei: "10" },
};

/** For a network ORACLE_NETWORK_DEFAULTS does not list (give it an `oracle` field or the variables). */
export const ORACLE_FALLBACK: Required<OracleNetworkConfig> = { confirmations: 1, maxFeeGwei: "200" };

/** A setting's value and where it came from (a variable, the config or the defaults), for messages. */
export interface Setting {
  value: string;
  source: string;
}

/** A network name as the prefix of its variables: baseSepolia -> BASE_SEPOLIA, e2e -> E2E. */
export function varPrefix(network: string): string {
  return network.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The oracle's settings for `network` (the variables, then the config's `oracle` field, then the defaults). */
export function oracleNetworkSettings(
  network: string,
  networkConfig: unknown,
  env: Env,
): { confirmations: Setting; maxFeeGwei: Setting } {
  const fromConfig = (networkConfig as { oracle?: OracleNetworkConfig } | undefined)?.oracle ?? {};
  const listed = Object.prototype.hasOwnProperty.call(ORACLE_NETWORK_DEFAULTS, network);
  const defaults = listed ? ORACLE_NETWORK_DEFAULTS[network] : ORACLE_FALLBACK;
  const defaultSource = listed
    ? `the default for ${network} (scripts/adapters/networks.ts)`
    : `the default for a network without settings (scripts/adapters/networks.ts)`;
  const pick = (key: keyof OracleNetworkConfig, suffix: string): Setting => {
    const name = `${varPrefix(network)}_ORACLE_${suffix}`;
    const fromEnv = readVar(env, name);
    if (fromEnv !== undefined) return { value: fromEnv, source: name };
    const configured = fromConfig[key];
    if (configured !== undefined)
      return { value: String(configured), source: `the Hardhat config (networks.${network}.oracle.${key})` };
    return { value: String(defaults[key]), source: defaultSource };
  };
  return { confirmations: pick("confirmations", "CONFIRMATIONS"), maxFeeGwei: pick("maxFeeGwei", "MAX_FEE_GWEI") };
}

declare module "hardhat/types/config" {
  interface HttpNetworkUserConfig {
    /** The oracle daemon's confirmations and fee cap on this network (scripts/adapters/networks.ts). */
    oracle?: OracleNetworkConfig;
  }
  interface HardhatNetworkUserConfig {
    oracle?: OracleNetworkConfig;
  }
  interface HttpNetworkConfig {
    oracle?: OracleNetworkConfig;
  }
  interface HardhatNetworkConfig {
    oracle?: OracleNetworkConfig;
  }
}

/** The deployer's and the explorer's variables. */
export const VARS = {
  privateKey: "DEPLOYER_PRIVATE_KEY",
  keystore: "DEPLOYER_KEYSTORE",
  keystorePassword: "DEPLOYER_KEYSTORE_PASSWORD",
  etherscan: "ETHERSCAN_API_KEY",
} as const;

/** The `npx hardhat node` endpoint (Hardhat's default). */
export const LOCALHOST_URL = "http://127.0.0.1:8545";

/** hardhat-deploy's named accounts: the deployer is account 0 (the key from .env on a testnet). */
export const NAMED_ACCOUNTS = { deployer: { default: 0 } };

type Env = Record<string, string | undefined>;

/** A configuration mistake: Hardhat prints "Error in plugin sla-escrow: <message>" and exits 1. */
export class ConfigError extends HardhatPluginError {
  constructor(message: string) {
    super("sla-escrow", message);
  }
}

export function isPublicNetwork(name: string): name is PublicNetworkName {
  return Object.prototype.hasOwnProperty.call(PUBLIC_NETWORKS, name);
}

/** The network Hardhat is about to use: `--network NAME` on the command line, else HARDHAT_NETWORK, else hardhat. */
export function selectedNetwork(argv: readonly string[], env: Env): string {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--network" && i + 1 < argv.length) return argv[i + 1];
    if (argv[i].startsWith("--network=")) return argv[i].slice("--network=".length);
  }
  return readVar(env, "HARDHAT_NETWORK") ?? "hardhat";
}

/** A variable's value, trimmed; undefined when it is unset or empty. */
export function readVar(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function notSet(name: string, alternative = ""): ConfigError {
  return new ConfigError(`${name} is not set: add it${alternative} to .env (see .env.example)`);
}

/**
 * The RPC URLs of a public network: its variable holds one URL or several, comma separated, in the order the oracle
 * daemon fails over through (docs/oracle.md, "RPC failover"). Throws, naming the variable (and the entry when there
 * are several, never its value), when it is missing or an entry is not an http(s) URL.
 */
export function rpcUrls(env: Env, network: PublicNetworkName): string[] {
  const name = PUBLIC_NETWORKS[network].rpcVar;
  const value = readVar(env, name);
  if (value === undefined) throw notSet(name);
  const entries = value.split(",").map((v) => v.trim());
  return entries.map((entry, i) => {
    const which = entries.length > 1 ? `${name} (entry ${i + 1} of ${entries.length})` : name;
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError(`${which}: expected an http:// or https:// URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigError(`${which}: expected an http:// or https:// URL, not ${url.protocol}//`);
    }
    return entry;
  });
}

/** The RPC URL Hardhat uses for a public network: the first of its variable's URLs (see rpcUrls). */
export function rpcUrl(env: Env, network: PublicNetworkName): string {
  return rpcUrls(env, network)[0];
}

/** secp256k1's group order: a private key is in [1, N). */
/** Checks a private key's form (64 hex digits, 0x optional, in range); throws naming `name`, never showing the value. */
export function checkPrivateKey(name: string, value: string): string {
  return parsePrivateKey(name, value, (m) => new ConfigError(m));
}

/** DEPLOYER_PRIVATE_KEY when set (checked), else undefined. */
export function deployerPrivateKey(env: Env): string | undefined {
  const value = readVar(env, VARS.privateKey);
  return value === undefined ? undefined : checkPrivateKey(VARS.privateKey, value);
}

/**
 * The networks. `selected` is the network in use: only a selected public network is built from its variables
 * (and throws when they are missing or malformed); the others are placeholders without a URL or keys, which the
 * `extendEnvironment` check below refuses should one be used anyway.
 */
export function buildNetworks(env: Env, selected: string): NetworksUserConfig {
  const networks: NetworksUserConfig = {
    // Cancun: the escrow uses transient storage and mcopy.
    hardhat: { hardfork: "cancun" },
    // chainId pinned: the oracle refuses to sign through an RPC that answers another chain id.
    localhost: { url: LOCALHOST_URL, chainId: 31_337 },
  };
  for (const name of Object.keys(PUBLIC_NETWORKS) as PublicNetworkName[]) {
    const { chainId } = PUBLIC_NETWORKS[name];
    if (name === selected) {
      const url = rpcUrl(env, name);
      const key = deployerPrivateKey(env);
      // chainId: Hardhat refuses to talk to the RPC URL when it points at another chain.
      networks[name] = { url, chainId, accounts: key === undefined ? [] : [key] };
    } else {
      networks[name] = { url: "", chainId, accounts: [] };
    }
  }
  return networks;
}

/**
 * hardhat-verify: one Etherscan API v2 key for every chain (a single string key selects API v2, which serves
 * Sepolia, Base Sepolia, OP Sepolia and Arbitrum Sepolia alike). OP Sepolia is not among hardhat-verify's built-in
 * chains, hence the custom chain (its apiURL is only used by the retired v1 API).
 */
export function buildEtherscan(env: Env): NonNullable<HardhatUserConfig["etherscan"]> {
  return {
    apiKey: readVar(env, VARS.etherscan) ?? "",
    customChains: [
      {
        network: "opSepolia",
        chainId: PUBLIC_NETWORKS.opSepolia.chainId,
        urls: {
          apiURL: "https://api-sepolia-optimistic.etherscan.io/api",
          browserURL: PUBLIC_NETWORKS.opSepolia.explorer,
        },
      },
    ],
  };
}

/** The deployer's key on a public network, from DEPLOYER_PRIVATE_KEY or the encrypted keystore. */
export interface DeployerKey {
  source: typeof VARS.privateKey | typeof VARS.keystore;
  privateKey: string;
  address: string;
}

/**
 * Finds and checks the deployer's key; decrypts DEPLOYER_KEYSTORE (a relative path is taken from `root`).
 * Throws a ConfigError naming the variable that is missing, malformed or wrong. Touches no network.
 */
export async function resolveDeployerKey(env: Env, root: string): Promise<DeployerKey> {
  const privateKey = deployerPrivateKey(env);
  const keystore = readVar(env, VARS.keystore);
  if (privateKey !== undefined && keystore !== undefined) {
    throw new ConfigError(`${VARS.privateKey} and ${VARS.keystore} are both set: keep only one of them in .env`);
  }
  if (privateKey !== undefined) {
    return { source: VARS.privateKey, privateKey, address: new Wallet(privateKey).address };
  }
  if (keystore === undefined) {
    throw notSet(VARS.privateKey, ` (or ${VARS.keystore} and ${VARS.keystorePassword})`);
  }
  const password = env[VARS.keystorePassword];
  if (password === undefined || password === "") throw notSet(VARS.keystorePassword);
  const file = path.resolve(root, keystore);
  const wallet = await decryptKeystore(
    file,
    password,
    { keystore: VARS.keystore, password: VARS.keystorePassword },
    (m) => new ConfigError(m),
  );
  return { source: VARS.keystore, privateKey: wallet.privateKey, address: wallet.address };
}

/**
 * The error to report when the first request to a testnet's RPC fails. Hardhat's own errors say nothing secret
 * and pass through (HH101: the URL serves another chain), except HH108 (cannot connect), which is reworded to name
 * the variable; of a connection error only the code is kept (its details show the host, which may hold a token).
 */
function unreachable(e: unknown, rpcVar: string): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  if (/^HH\d+:/.test(error.message) && !error.message.startsWith("HH108:")) return error;
  const cause = error.message.startsWith("HH108:") ? (error as { parent?: unknown }).parent : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const reason =
    typeof code === "string" ? code : typeof code === "number" && cause instanceof Error ? cause.message : "no answer";
  return new ConfigError(`cannot reach ${rpcVar} (${reason}): check it in .env`);
}

/**
 * Before `deploy` on a public network sends anything: the deployer's key must be there and valid, and the
 * deployer must hold some ETH. A keystore's key is handed to hardhat-deploy as a `privatekey://` named account
 * for this network only (hardhat-deploy signs with it locally).
 */
async function prepareDeployer(hre: HardhatRuntimeEnvironment, network: PublicNetworkName): Promise<void> {
  const key = await resolveDeployerKey(process.env, hre.config.paths.root);
  if (key.source === VARS.keystore) {
    // The user config is frozen: replace the resolved namedAccounts (hardhat-deploy reads it when it first
    // resolves the accounts, after this) instead of changing it.
    hre.config.namedAccounts = {
      ...hre.config.namedAccounts,
      deployer: { [network]: `privatekey://${key.privateKey}` },
    };
  }
  let balance: bigint;
  try {
    balance = BigInt(
      (await hre.network.provider.request({ method: "eth_getBalance", params: [key.address, "latest"] })) as string,
    );
  } catch (e) {
    throw unreachable(e, PUBLIC_NETWORKS[network].rpcVar);
  }
  if (balance === 0n) {
    throw new ConfigError(`the deployer ${key.address} (${key.source}) has no ETH on ${network}: fund it first`);
  }
  console.log(`deployer ${key.address} (${key.source}) on ${network}, balance ${balance} wei`);
}

let checksInstalled = false;

/** Registers the checks that need the Hardhat runtime: on `deploy`, on `verify`, and on a mis-selected network. */
function installChecks(): void {
  if (checksInstalled) return;
  checksInstalled = true;

  extendEnvironment((hre) => {
    const name = hre.network.name;
    if (!isPublicNetwork(name) || ("url" in hre.network.config && hre.network.config.url !== "")) return;
    // A public network in use that the config did not build (selected some other way than --network or
    // HARDHAT_NETWORK): report its variables if they are wrong, else how to select it.
    rpcUrl(process.env, name);
    deployerPrivateKey(process.env);
    throw new ConfigError(`network ${name} was not selected with --network or HARDHAT_NETWORK, so it has no URL`);
  });

  task("deploy").setAction(async (args: TaskArguments, hre, runSuper) => {
    const network = hre.network.name;
    if (isPublicNetwork(network)) await prepareDeployer(hre, network);
    return runSuper(args);
  });

  task("verify").setAction(async (args: TaskArguments, hre, runSuper) => {
    if (isPublicNetwork(hre.network.name) && readVar(process.env, VARS.etherscan) === undefined) {
      throw notSet(VARS.etherscan);
    }
    return runSuper(args);
  });
}

/**
 * What hardhat.config.ts takes: networks (hardhat, localhost, and the selected testnet built from .env), named
 * accounts, and hardhat-verify's settings. Also registers the checks above (once).
 */
export function deploymentConfig(
  env: Env = process.env,
  argv: readonly string[] = process.argv.slice(2),
): Required<Pick<HardhatUserConfig, "networks" | "namedAccounts" | "etherscan">> {
  installChecks();
  return {
    networks: buildNetworks(env, selectedNetwork(argv, env)),
    namedAccounts: NAMED_ACCOUNTS,
    etherscan: buildEtherscan(env),
  };
}
