/**
 * The deployment, end to end: a real `hardhat node` on port 8545 (the `localhost` network) in a child process,
 * `hardhat deploy --network localhost` run twice as child processes (the second run must reuse everything the
 * first deployed), the escrow at its CREATE2 address, calls against it, the compact export; and the .env checks
 * of a public network, run as child processes with an empty environment (no network access needed).
 *
 * Children run Hardhat's CLI with this Node.js (`node node_modules/hardhat/internal/cli/bootstrap.js`, which is
 * what `npx hardhat` starts, without npm's own start-up time). The test process has compiled already, so the
 * deploy runs take `--no-compile`: both runs and the expected address then use the same artifacts even if
 * someone edits a contract meanwhile.
 */
import { sortAddresses } from "../../scripts/lib/model";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { JsonRpcProvider, Wallet, encryptKeystoreJson, getCreate2Address, id, keccak256 } from "ethers";
import { SLAEscrow__factory } from "../../typechain-types";
import { CREATE2_FACTORY, SLA_ESCROW_SALT } from "../../deploy/00_escrow";
import { type DeploymentExport, exportPath } from "../../deploy/99_export";
import {
  PUBLIC_NETWORKS,
  VARS,
  buildNetworks,
  resolveDeployerKey,
  selectedNetwork,
} from "../../scripts/adapters/networks";

const ROOT = hre.config.paths.root;
const CLI = require.resolve("hardhat/internal/cli/bootstrap.js");
const PORT = 8545;
const RPC = `http://127.0.0.1:${PORT}`;
/** Hardhat's account 0 (the `deployer` named account on localhost). */
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
/** The variables a public network reads: blanked in the children, so a developer's .env cannot leak in. */
const ALL_VARS = [...Object.values(PUBLIC_NETWORKS).map((n) => n.rpcVar), ...Object.values(VARS)];

interface Run {
  code: number | null;
  out: string;
}

/** The environment of a child: PATH and HOME only, every deployment variable blank, plus `vars`. */
function bareEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir() };
  for (const name of ALL_VARS) env[name] = "";
  return { ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", ...vars };
}

/** The environment of a localhost child: this process's, without a network selection. */
function localEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" };
  delete env.HARDHAT_NETWORK;
  return env;
}

/** Runs the Hardhat CLI to completion; stdout and stderr together. */
function hardhat(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hardhat ${args.join(" ")} took over ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(RPC, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** The escrow's creation code from the project's artifacts (the ones the children deploy). */
function escrowInitCode(): string {
  const file = path.join(ROOT, "artifacts", "contracts", "SLAEscrow.sol", "SLAEscrow.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { bytecode: string }).bytecode;
}

function expectedEscrowAddress(): string {
  return getCreate2Address(CREATE2_FACTORY, SLA_ESCROW_SALT, keccak256(escrowInitCode()));
}

describe("deployment", function () {
  describe("the salt and the in-process fixture", function () {
    it("uses the documented salt", function () {
      expect(SLA_ESCROW_SALT).to.equal(id("sla-escrow/SLAEscrow/v1"));
    });

    it("puts the fixture's escrow at the CREATE2 address too", async function () {
      await hre.deployments.fixture(["SLAEscrow"]);
      const { address } = await hre.deployments.get("SLAEscrow");
      const initCode = (await hre.artifacts.readArtifact("SLAEscrow")).bytecode;
      expect(address).to.equal(getCreate2Address(CREATE2_FACTORY, SLA_ESCROW_SALT, keccak256(initCode)));
    });
  });

  describe("network selection (config only)", function () {
    const garbage = { SEPOLIA_RPC_URL: "not a url", DEPLOYER_PRIVATE_KEY: "0x1234" };

    it("finds the network on the command line, then in HARDHAT_NETWORK", function () {
      expect(selectedNetwork(["deploy", "--network", "sepolia"], {})).to.equal("sepolia");
      expect(selectedNetwork(["--network=opSepolia", "deploy"], {})).to.equal("opSepolia");
      expect(selectedNetwork(["test"], { HARDHAT_NETWORK: "baseSepolia" })).to.equal("baseSepolia");
      expect(selectedNetwork(["test"], {})).to.equal("hardhat");
    });

    it("ignores .env for hardhat and localhost, even when it is malformed", function () {
      for (const selected of ["hardhat", "localhost"]) {
        const networks = buildNetworks(garbage, selected);
        expect(networks.hardhat).to.deep.equal({ hardfork: "cancun" });
        expect(networks.sepolia).to.deep.include({ url: "", accounts: [], chainId: 11_155_111 });
      }
    });

    it("builds the selected testnet from its variables and names a bad one", function () {
      const key = Wallet.createRandom().privateKey;
      const networks = buildNetworks(
        { ARBITRUM_SEPOLIA_RPC_URL: "https://rpc.example/KEY", DEPLOYER_PRIVATE_KEY: key },
        "arbitrumSepolia",
      );
      expect(networks.arbitrumSepolia).to.deep.equal({
        url: "https://rpc.example/KEY",
        chainId: 421_614,
        accounts: [key],
      });
      expect(() => buildNetworks(garbage, "sepolia")).to.throw("SEPOLIA_RPC_URL: expected an http:// or https:// URL");
      expect(() => buildNetworks({ ...garbage, SEPOLIA_RPC_URL: "https://x" }, "sepolia")).to.throw(
        "DEPLOYER_PRIVATE_KEY: expected 64 hex digits (0x optional)",
      );
      expect(() =>
        buildNetworks({ SEPOLIA_RPC_URL: "https://x", DEPLOYER_PRIVATE_KEY: "0x" + "0".repeat(64) }, "sepolia"),
      ).to.throw("DEPLOYER_PRIVATE_KEY: not a valid secp256k1 private key");
    });
  });

  describe("on a hardhat node (localhost)", function () {
    let node: ChildProcess | undefined;
    let nodeOut = "";
    let address = "";

    before(async function () {
      if (await portTaken(PORT)) {
        throw new Error(
          `port ${PORT} is already in use (another "npx hardhat node"?): this test starts its own node there; stop the other one`,
        );
      }
      // --no-deploy: hardhat-deploy's node would otherwise run the deploy scripts itself (and deploy/ is what we test).
      const child = spawn(
        process.execPath,
        [CLI, "node", "--hostname", "127.0.0.1", "--port", String(PORT), "--no-deploy"],
        {
          cwd: ROOT,
          env: localEnv(),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      node = child;
      child.stdout?.on("data", (d: Buffer) => (nodeOut += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (nodeOut += d.toString()));
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`hardhat node exited with ${child.exitCode}:\n${nodeOut}`);
        try {
          expect(await rpc<string>("eth_chainId")).to.equal("0x7a69");
          break;
        } catch (e) {
          if (Date.now() > deadline)
            throw new Error(`hardhat node did not answer on ${RPC} within 60 s (${e}):\n${nodeOut}`, { cause: e });
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      fs.rmSync(exportPath(path.join(ROOT, "deployments"), "localhost"), { force: true });
    });

    after(async function () {
      const child = node;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    });

    it("deploys, and a second run reuses the first (same address, no transaction)", async function () {
      const first = await hardhat(["deploy", "--network", "localhost", "--no-compile"], localEnv());
      expect(first.code, first.out).to.equal(0);
      expect(first.out).to.include('deploying "SLAEscrow"');
      const deployed = /deploying "SLAEscrow" \(tx: 0x[0-9a-f]{64}\)\.\.\.: deployed at (0x[0-9a-fA-F]{40})/.exec(
        first.out,
      );
      expect(deployed, first.out).to.not.equal(null);
      address = deployed![1];
      const nonce = await rpc<string>("eth_getTransactionCount", [DEPLOYER, "latest"]);
      const block = await rpc<string>("eth_blockNumber");

      const second = await hardhat(["deploy", "--network", "localhost", "--no-compile"], localEnv());
      expect(second.code, second.out).to.equal(0);
      expect(second.out).to.include(`reusing "SLAEscrow" at ${address}`);
      expect(second.out).to.include('reusing "TestToken" at');
      expect(second.out).to.not.include("deploying");
      expect(await rpc<string>("eth_getTransactionCount", [DEPLOYER, "latest"])).to.equal(nonce);
      expect(await rpc<string>("eth_blockNumber")).to.equal(block);
    });

    it("puts the escrow at CREATE2(factory, salt, keccak256(init code))", async function () {
      expect(address).to.equal(expectedEscrowAddress());
      expect(await rpc<string>("eth_getCode", [CREATE2_FACTORY, "latest"])).to.not.equal("0x");
      expect(await rpc<string>("eth_getCode", [address, "latest"])).to.not.equal("0x");
    });

    it("writes deployments/localhost/*.json and the compact deployments/localhost.json", function () {
      const saved = JSON.parse(fs.readFileSync(path.join(ROOT, "deployments", "localhost", "SLAEscrow.json"), "utf8"));
      expect(saved.address).to.equal(address);
      const exported = JSON.parse(
        fs.readFileSync(exportPath(path.join(ROOT, "deployments"), "localhost"), "utf8"),
      ) as DeploymentExport;
      expect(exported.name).to.equal("localhost");
      expect(exported.chainId).to.equal("31337");
      expect(Object.keys(exported.contracts)).to.deep.equal(["SLAEscrow", "TestToken"]);
      expect(exported.contracts.SLAEscrow.address).to.equal(address);
      expect(exported.contracts.SLAEscrow.abi.length).to.be.greaterThan(10);
      expect(exported.contracts.SLAEscrow.blockNumber).to.be.a("number");
    });

    it("answers calls: creates an agreement and reads its terms back", async function () {
      const provider = new JsonRpcProvider(RPC, 31337, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const [client, vendor, o1, o2] = await Promise.all([1, 2, 3, 4].map((i) => provider.getSigner(i)));
        const escrow = SLAEscrow__factory.connect(address, client);
        const domain = await escrow.eip712Domain();
        expect(domain.name).to.equal("SLAEscrow");
        expect(domain.chainId).to.equal(31337n);
        expect(domain.verifyingContract).to.equal(address);

        const now = BigInt((await provider.getBlock("latest"))!.timestamp);
        const oracles = sortAddresses([o1.address, o2.address]);
        const amount = 10n ** 18n;
        const terms = {
          client: client.address,
          vendor: vendor.address,
          token: "0x0000000000000000000000000000000000000000",
          arbitrator: "0x0000000000000000000000000000000000000000",
          disputeWindow: 86_400,
          attestGrace: 86_400,
          arbitrationTimeout: 86_400,
          silentCutBps: 10_000,
          threshold: 1,
          startAt: now,
          oracles,
          metrics: [{ higherIsBetter: true, tiers: [{ threshold: 999_000, cutBps: 1000 }] }],
          milestones: [{ amount, dueAt: now + 3_600n }],
        };
        await (await escrow.createAgreement(terms, { value: amount })).wait();
        const stored = await escrow.getTerms(1);
        expect(stored.client).to.equal(client.address);
        expect(stored.vendor).to.equal(vendor.address);
        expect(stored.oracles).to.deep.equal(oracles);
        expect(stored.milestones[0].amount).to.equal(amount);
        expect(await escrow.agreementStatus(1)).to.equal(1n); // Proposed
        expect(await escrow.cutFor(1, [998_000])).to.equal(1000n);
      } finally {
        provider.destroy();
      }
    });
  });

  describe("the deployer's key (in process, no network)", function () {
    let dir = "";
    let keystore = "";
    const wallet = Wallet.createRandom();

    before(async function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "sla-escrow-keystore-"));
      keystore = path.join(dir, "deployer.json");
      // A cheap scrypt cost so that the test decrypts fast; a real keystore uses the default cost.
      const account = { address: wallet.address, privateKey: wallet.privateKey };
      const json = await encryptKeystoreJson(account, "right password", { scrypt: { N: 1 << 10 } });
      fs.writeFileSync(keystore, json);
    });

    after(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("takes DEPLOYER_PRIVATE_KEY, or decrypts DEPLOYER_KEYSTORE (relative to the project)", async function () {
      const direct = await resolveDeployerKey({ DEPLOYER_PRIVATE_KEY: wallet.privateKey }, ROOT);
      expect(direct).to.deep.equal({
        source: "DEPLOYER_PRIVATE_KEY",
        privateKey: wallet.privateKey,
        address: wallet.address,
      });
      const env = { DEPLOYER_KEYSTORE: path.basename(keystore), DEPLOYER_KEYSTORE_PASSWORD: "right password" };
      const decrypted = await resolveDeployerKey(env, dir);
      expect(decrypted).to.deep.equal({
        source: "DEPLOYER_KEYSTORE",
        privateKey: wallet.privateKey,
        address: wallet.address,
      });
    });

    it("names what is missing, malformed or wrong", async function () {
      const cases: [Record<string, string>, string][] = [
        [{}, "DEPLOYER_PRIVATE_KEY is not set: add it (or DEPLOYER_KEYSTORE and DEPLOYER_KEYSTORE_PASSWORD) to .env"],
        [{ DEPLOYER_PRIVATE_KEY: "0x12" }, "DEPLOYER_PRIVATE_KEY: expected 64 hex digits (0x optional)"],
        [
          { DEPLOYER_PRIVATE_KEY: wallet.privateKey, DEPLOYER_KEYSTORE: keystore },
          "DEPLOYER_PRIVATE_KEY and DEPLOYER_KEYSTORE are both set: keep only one of them in .env",
        ],
        [{ DEPLOYER_KEYSTORE: keystore }, "DEPLOYER_KEYSTORE_PASSWORD is not set: add it to .env (see .env.example)"],
        [
          { DEPLOYER_KEYSTORE: "missing.json", DEPLOYER_KEYSTORE_PASSWORD: "x" },
          `DEPLOYER_KEYSTORE: no such file: ${path.join(dir, "missing.json")}`,
        ],
        [
          { DEPLOYER_KEYSTORE: keystore, DEPLOYER_KEYSTORE_PASSWORD: "wrong password" },
          "DEPLOYER_KEYSTORE_PASSWORD does not decrypt DEPLOYER_KEYSTORE (wrong password?)",
        ],
      ];
      for (const [env, message] of cases) {
        let error: unknown;
        await resolveDeployerKey(env, dir).catch((e: unknown) => (error = e));
        expect(error, message).to.be.instanceOf(Error);
        expect((error as Error).message).to.include(message);
        expect((error as Error).message).to.not.include(wallet.privateKey.slice(2));
      }
    });
  });

  describe(".env checks of a public network (child processes, empty environment)", function () {
    const RPC_WITH_TOKEN = "https://rpc.invalid/v3/SECRET-TOKEN";
    const BAD_KEY = "0xdeadbeef";
    const cases: { title: string; args: string[]; vars: Record<string, string>; message: string }[] = [
      {
        title: "no RPC URL",
        args: ["deploy", "--network", "sepolia"],
        vars: {},
        message: "SEPOLIA_RPC_URL is not set: add it to .env (see .env.example)",
      },
      {
        title: "a malformed private key",
        args: ["deploy", "--network", "baseSepolia"],
        vars: { BASE_SEPOLIA_RPC_URL: RPC_WITH_TOKEN, DEPLOYER_PRIVATE_KEY: BAD_KEY },
        message: "DEPLOYER_PRIVATE_KEY: expected 64 hex digits (0x optional)",
      },
      {
        title: "no deployer key at all",
        args: ["deploy", "--network", "arbitrumSepolia"],
        vars: { ARBITRUM_SEPOLIA_RPC_URL: RPC_WITH_TOKEN },
        message:
          "DEPLOYER_PRIVATE_KEY is not set: add it (or DEPLOYER_KEYSTORE and DEPLOYER_KEYSTORE_PASSWORD) to .env",
      },
      {
        title: "a good key but an RPC URL that does not answer",
        args: ["deploy", "--network", "opSepolia"],
        vars: {
          OP_SEPOLIA_RPC_URL: "http://127.0.0.1:9/SECRET-TOKEN",
          DEPLOYER_PRIVATE_KEY: Wallet.createRandom().privateKey,
        },
        message: "cannot reach OP_SEPOLIA_RPC_URL (ECONNREFUSED): check it in .env",
      },
      {
        title: "verify without an explorer key",
        args: ["verify", "--network", "sepolia", "0x0000000000000000000000000000000000000001"],
        vars: { SEPOLIA_RPC_URL: RPC_WITH_TOKEN },
        message: "ETHERSCAN_API_KEY is not set: add it to .env (see .env.example)",
      },
    ];

    it("stops before any transaction with a message naming the variable, and never prints a secret", async function () {
      // Two at a time: each child costs a couple of CPU seconds, and CI machines have two cores.
      const runs: Run[] = [];
      for (let i = 0; i < cases.length; i += 2) {
        runs.push(...(await Promise.all(cases.slice(i, i + 2).map((c) => hardhat(c.args, bareEnv(c.vars), 90_000)))));
      }
      runs.forEach((run, i) => {
        const c = cases[i];
        expect(run.code, `${c.title}:\n${run.out}`).to.not.equal(0);
        expect(run.out, c.title).to.include(c.message);
        expect(run.out, c.title).to.not.include("SECRET-TOKEN");
        expect(run.out, c.title).to.not.include(BAD_KEY);
        expect(run.out, c.title).to.not.match(/deploying|Compiled|tx: 0x/);
      });
    });
  });
});
