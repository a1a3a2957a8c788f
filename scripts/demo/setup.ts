/**
 * The demo's first act: the network (in-process, or a local node whose clock it may move), the deployments, the
 * parties and the oracles' keys, the output folder, and the agreement: written as a human terms file, funded by
 * `sla:create --permit` and accepted by `sla:accept`, exactly as docs/operators.md has a client and a vendor do.
 */
import fs from "node:fs";
import path from "node:path";
import { HDNodeWallet, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { MockERC20Permit, SLAEscrow } from "../../typechain-types";
import { getEscrow } from "../adapters/escrow";
import { LOCALHOST_URL } from "../adapters/networks";
import { loadTermsFile, tokenOnNetwork } from "../adapters/terms-file";
import { UserError } from "../lib/errors";
import { type AgreementTerms, readTerms, sortAddresses } from "../lib/model";
import { formatTime, latestBlockTime } from "../lib/time";
import type { ResolvedToken } from "../lib/token";
import { formatAmount } from "../lib/units";
import { Commands } from "./drive";
import { type DemoTermsInput, type HumanTerms, demoTerms } from "./terms";

/** Hardhat's default accounts, by role (the same as examples/terms.example.json). */
export const ACCOUNTS = { deployer: 0, client: 1, vendor: 2, arbitrator: 3, relayer: 4, oracles: [6, 7, 8] } as const;

/** One of the agreement's oracles: its address, its key (for ORACLE_PRIVATE_KEY) and its own state folder. */
export interface DemoOracle {
  /** Its index in the agreement's (ascending) oracle list. */
  index: number;
  address: string;
  key: string;
  stateDir: string;
}

/** Everything the later acts need. */
export interface DemoSetup {
  hre: HardhatRuntimeEnvironment;
  log: (line: string) => void;
  /** A path as the demo prints it: relative to the working directory when it is below it. */
  rel: (p: string) => string;
  outDir: string;
  commands: Commands;
  chainId: bigint;
  escrow: SLAEscrow;
  escrowAddress: string;
  token: MockERC20Permit;
  tokenInfo: ResolvedToken;
  client: HardhatEthersSigner;
  vendor: HardhatEthersSigner;
  arbitrator: HardhatEthersSigner;
  relayer: HardhatEthersSigner;
  /** The relayer's key, for the oracle program's ORACLE_RELAYER_PRIVATE_KEY (it posts the attestations). */
  relayerKey: string;
  /** In the agreement's order (ascending addresses). */
  oracles: DemoOracle[];
  termsFile: string;
  id: bigint;
  /** The agreement as the escrow stores it, read back (the oracle's view). */
  terms: AgreementTerms;
  deposit: bigint;
  /** The parties' token balances before the demo (the client's before the mint). */
  before: { vendor: bigint; client: bigint };
  /** Their escrow balances before the agreement (left over from an earlier run on a node: normally 0). */
  credit: { vendor: bigint; client: bigint };
}

export interface SetupOptions {
  outDir: string;
  log: (line: string) => void;
  amount: string;
  months: number;
  periodDays: number;
  /** The agreement as a human terms file. Default: the web-service scenario's (./terms.ts). */
  terms?: (input: DemoTermsInput) => HumanTerms;
  /** The agreement's start, from the chain's latest block time. Default: the next UTC midnight. */
  startAfter?: (chainTime: number) => number;
}

export const short = (hex: string): string => `${hex.slice(0, 6)}..${hex.slice(-4)}`;

/** The network must be in-process or a local node whose clock we may move; a local node must answer. */
export async function preflight(hre: HardhatRuntimeEnvironment): Promise<void> {
  const name = hre.network.name;
  if (name !== "hardhat" && name !== "localhost") {
    throw new UserError(
      `the demo moves the chain's clock: run it on the in-process network (no --network) or on a local node ` +
        `(--network localhost), not on "${name}"`,
    );
  }
  if (name === "localhost") {
    const url = "url" in hre.network.config ? hre.network.config.url : LOCALHOST_URL;
    try {
      await hre.network.provider.request({ method: "eth_chainId" });
    } catch {
      throw new UserError(`no node at ${url}: start one with npx hardhat node`);
    }
  }
}

async function deploy(hre: HardhatRuntimeEnvironment): Promise<void> {
  if (hre.network.name === "hardhat") {
    await hre.deployments.fixture(["SLAEscrow", "TestToken"]);
  } else {
    // Reuses the node's deployments (`npx hardhat node` deploys both at start), deploys what is missing.
    await hre.deployments.run(["SLAEscrow", "TestToken"], { resetMemory: false });
  }
}

/** Removes what an earlier run left in the output folder (only the demo's own files). */
function prepareOutDir(outDir: string): void {
  fs.mkdirSync(outDir, { recursive: true });
  for (const sub of ["reports", "signatures", "oracle-state"])
    fs.rmSync(path.join(outDir, sub), { recursive: true, force: true });
  for (const file of ["probes.jsonl", "report.html", "ledger.json", "terms.json", "commands.log"])
    fs.rmSync(path.join(outDir, file), { force: true });
}

/**
 * The private key of account `index`, for the oracle program (which takes its key from ORACLE_PRIVATE_KEY, never
 * from Hardhat's signers). The in-process network's accounts come from the config; a node started from this
 * project (`npx hardhat node`) has the same ones, which is checked against the node's own account list.
 */
function accountKey(hre: HardhatRuntimeEnvironment, index: number, expected: string): string {
  const accounts = hre.config.networks.hardhat.accounts;
  const key = Array.isArray(accounts)
    ? accounts[index]?.privateKey
    : HDNodeWallet.fromPhrase(
        accounts.mnemonic,
        accounts.passphrase,
        `${accounts.path}/${accounts.initialIndex + index}`,
      ).privateKey;
  if (key === undefined || new Wallet(key).address !== expected) {
    throw new UserError(
      `the demo runs the oracle program with the keys of accounts ${[ACCOUNTS.relayer, ...ACCOUNTS.oracles].join(", ")}, but account ${index} of network ` +
        `"${hre.network.name}" (${expected}) is not this project's: start the node from this project (npx hardhat node)`,
    );
  }
  return key;
}

async function parties(hre: HardhatRuntimeEnvironment, outDir: string) {
  const signers = await hre.ethers.getSigners();
  const need = Math.max(...ACCOUNTS.oracles) + 1;
  if (signers.length < need) {
    throw new UserError(`the demo needs ${need} accounts on network "${hre.network.name}", it has ${signers.length}`);
  }
  const keyed = ACCOUNTS.oracles.map((i) => ({
    address: signers[i].address,
    key: accountKey(hre, i, signers[i].address),
  }));
  const oracles: DemoOracle[] = sortAddresses(keyed.map((o) => o.address)).map((address, index) => ({
    index,
    address,
    key: (keyed.find((o) => o.address === address) as { key: string }).key,
    stateDir: path.join(outDir, "oracle-state", address),
  }));
  const relayer = signers[ACCOUNTS.relayer];
  return {
    deployer: signers[ACCOUNTS.deployer],
    client: signers[ACCOUNTS.client],
    vendor: signers[ACCOUNTS.vendor],
    arbitrator: signers[ACCOUNTS.arbitrator],
    relayer,
    relayerKey: accountKey(hre, ACCOUNTS.relayer, relayer.address),
    oracles,
  };
}

/** The escrow and the test token, deployed with hardhat-deploy (or the node's deployments). */
async function contracts(hre: HardhatRuntimeEnvironment) {
  await deploy(hre);
  const escrow = await getEscrow(hre);
  const tokenDeployment = await hre.deployments.getOrNull("TestToken");
  if (!tokenDeployment) throw new UserError(`no TestToken deployment on network "${hre.network.name}"`);
  const token: MockERC20Permit = await hre.ethers.getContractAt("MockERC20Permit", tokenDeployment.address);
  return {
    escrow,
    escrowAddress: await escrow.getAddress(),
    token,
    tokenInfo: await tokenOnNetwork(hre, tokenDeployment.address),
  };
}

type Parties = Awaited<ReturnType<typeof parties>>;
type Contracts = Awaited<ReturnType<typeof contracts>>;

/**
 * The agreement from the terms file: the deposit minted to the client (the total as `sla:create` reads the file,
 * scripts/adapters/terms-file.ts), `sla:create --permit --yes` from the client, `sla:accept` from the vendor.
 */
async function openAgreement(
  s: Pick<DemoSetup, "hre" | "log" | "rel" | "commands">,
  c: Contracts,
  p: Parties,
  termsFile: string,
  o: SetupOptions & { start: number },
): Promise<{ id: bigint; deposit: bigint }> {
  const { log, rel, commands } = s;
  const converted = await loadTermsFile(s.hre, termsFile, p.client.address);
  const deposit = converted.total;
  log(
    `  terms ${rel(termsFile)}: ${o.months} x ${formatAmount(converted.terms.milestones[0].amount, c.tokenInfo)} every ${o.periodDays}d ` +
      `from ${formatTime(o.start)}, ${converted.terms.threshold} of ${converted.terms.oracles.length} oracles, arbitrator ${short(p.arbitrator.address)}`,
  );
  await (await c.token.connect(p.deployer).mint(p.client.address, deposit)).wait();
  log(`  minted ${formatAmount(deposit, c.tokenInfo)} to the client ${p.client.address}`);
  const id = await commands.task<bigint>("sla:create", {
    terms: termsFile,
    permit: true,
    yes: true,
    from: String(ACCOUNTS.client),
  });
  log(
    `  sla:create --permit: agreement ${id} created and funded with a permit signature (${formatAmount(deposit, c.tokenInfo)} in escrow)`,
  );
  await commands.task<string>("sla:accept", { id: id.toString(), from: String(ACCOUNTS.vendor) });
  log(`  sla:accept: the vendor ${p.vendor.address} accepted`);
  return { id, deposit };
}

/** Deploys, names the parties, writes the terms file, funds and opens the agreement. */
export async function setUp(hre: HardhatRuntimeEnvironment, o: SetupOptions): Promise<DemoSetup> {
  const { log, outDir } = o;
  const rel = (p: string): string => {
    const r = path.relative(process.cwd(), p);
    return r.startsWith("..") ? p : r;
  };
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  log(`sla-escrow demo on network "${hre.network.name}" (chain ${chainId})`);
  const c = await contracts(hre);
  log(`  escrow ${c.escrowAddress}, token ${c.tokenInfo.symbol} ${c.tokenInfo.address} (hardhat-deploy)`);
  const p = await parties(hre, outDir);
  prepareOutDir(outDir);
  const commands = new Commands(hre, path.join(outDir, "commands.log"));

  const start = (o.startAfter ?? nextMidnight)(await latestBlockTime(hre.ethers.provider));
  const termsFile = writeTermsFile(outDir, o, p, c.tokenInfo, start);
  const balances = async (of: (address: string) => Promise<bigint>) => ({
    vendor: await of(p.vendor.address),
    client: await of(p.client.address),
  });
  const before = await balances((a) => c.token.balanceOf(a));
  const credit = await balances((a) => c.escrow.balanceOf(a, c.tokenInfo.address));
  const { id, deposit } = await openAgreement({ hre, log, rel, commands }, c, p, termsFile, { ...o, start });
  log(`  every command the demo runs, with its output: ${rel(commands.file)}`);

  const terms = await readTerms(c.escrow, id);
  return { hre, log, rel, outDir, commands, chainId, ...c, ...p, termsFile, id, terms, deposit, before, credit };
}

/** The next UTC midnight after the chain's time: the agreement's start. */
export function nextMidnight(chainTime: number): number {
  return (Math.floor(chainTime / 86_400) + 1) * 86_400;
}

function writeTermsFile(
  outDir: string,
  o: SetupOptions,
  p: {
    client: { address: string };
    vendor: { address: string };
    arbitrator: { address: string };
    oracles: DemoOracle[];
  },
  tokenInfo: ResolvedToken,
  start: number,
): string {
  const human = (o.terms ?? demoTerms)({
    client: p.client.address,
    vendor: p.vendor.address,
    arbitrator: p.arbitrator.address,
    oracles: p.oracles.map((x) => x.address),
    start,
    amount: o.amount,
    months: o.months,
    periodDays: o.periodDays,
    tokenSymbol: tokenInfo.symbol,
  });
  const file = path.join(outDir, "terms.json");
  fs.writeFileSync(file, JSON.stringify(human, null, 2) + "\n");
  return file;
}

/** Who and what the demo's agreement is, as both scenarios' results report it. */
export function agreementSummary(s: DemoSetup) {
  return {
    network: s.hre.network.name,
    chainId: s.chainId,
    escrow: s.escrowAddress,
    token: s.tokenInfo,
    agreementId: s.id,
    client: s.client.address,
    vendor: s.vendor.address,
    arbitrator: s.arbitrator.address,
    relayer: s.relayer.address,
    oracles: s.terms.oracles.slice(),
  };
}
