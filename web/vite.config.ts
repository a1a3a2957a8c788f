/**
 * The page's build. Everything the page knows about the chains it takes from the repository at build time, through
 * one virtual module (`virtual:sla-escrow`): the escrow's ABI from Hardhat's artifact (`npx hardhat compile`), and
 * per chain the escrow's address and deployment block from hardhat-deploy's deployments (`deployments/<network>/`,
 * or WEB_DEPLOYMENTS=<folder>), a test token when one is deployed, and a read-only RPC URL (chain 31337:
 * http://127.0.0.1:8545; others: WEB_RPC_<chainId>=<url>). Static output with relative paths (`base: "./"`), so it
 * works from any static host at any path; nothing is loaded from outside the host.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { type Plugin, defineConfig } from "vite";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const VIRTUAL = "virtual:sla-escrow";

export interface ChainDeployment {
  chainId: number;
  network: string;
  escrow: string;
  deployBlock: number;
  rpcUrl?: string;
  testToken?: string;
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Every network folder of hardhat-deploy's deployments that holds an SLAEscrow. */
function deployments(dir: string): ChainDeployment[] {
  if (!fs.existsSync(dir)) return [];
  const out: ChainDeployment[] = [];
  for (const network of fs.readdirSync(dir).sort()) {
    const folder = path.join(dir, network);
    const escrowFile = path.join(folder, "SLAEscrow.json");
    const chainFile = path.join(folder, ".chainId");
    if (!fs.existsSync(escrowFile) || !fs.existsSync(chainFile)) continue;
    const chainId = Number(fs.readFileSync(chainFile, "utf8").trim());
    const escrow = readJson(escrowFile);
    const receipt = escrow.receipt as { blockNumber?: number } | undefined;
    const tokenFile = path.join(folder, "TestToken.json");
    const rpcUrl = process.env[`WEB_RPC_${chainId}`] ?? (chainId === 31337 ? "http://127.0.0.1:8545" : undefined);
    out.push({
      chainId,
      network,
      escrow: String(escrow.address),
      deployBlock: receipt?.blockNumber ?? 0,
      ...(rpcUrl === undefined ? {} : { rpcUrl }),
      ...(fs.existsSync(tokenFile) ? { testToken: String(readJson(tokenFile).address) } : {}),
    });
  }
  return out;
}

function slaEscrow(): Plugin {
  const artifact = path.join(ROOT, "artifacts/contracts/SLAEscrow.sol/SLAEscrow.json");
  const dir = process.env.WEB_DEPLOYMENTS ?? path.join(ROOT, "deployments");
  return {
    name: "sla-escrow",
    resolveId: (id) => (id === VIRTUAL ? `\0${VIRTUAL}` : undefined),
    load(id) {
      if (id !== `\0${VIRTUAL}`) return undefined;
      if (!fs.existsSync(artifact)) {
        throw new Error(`${path.relative(ROOT, artifact)} is missing: run \`npx hardhat compile\` at the root first`);
      }
      this.addWatchFile(artifact);
      const found = deployments(dir);
      for (const d of found) this.addWatchFile(path.join(dir, d.network, "SLAEscrow.json"));
      return [
        `export const ESCROW_ABI = ${JSON.stringify(readJson(artifact).abi)};`,
        `export const DEPLOYMENTS = ${JSON.stringify(found)};`,
      ].join("\n");
    },
  };
}

export default defineConfig({
  base: "./",
  plugins: [react(), slaEscrow()],
  server: { fs: { allow: [ROOT] } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
