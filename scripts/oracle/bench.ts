/**
 * The oracle's throughput benchmark: `npx hardhat run scripts/oracle/bench.ts`.
 *
 * 1. Reports + signatures per second for 1,000 milestones on one core (Node runs this on one thread): per
 *    milestone, the period's samples -> metrics -> report -> exact bytes -> keccak256 evidence -> EIP-712
 *    digest -> signature -> self-check (what `attest`/`sign`/the daemon do, minus disk and RPC), three ways:
 *    sign only, with the self-check the oracle makes (verification against the key's public key, as strict as
 *    recovery: scripts/oracle/signing.ts), and with the recovery check it made before, for comparison.
 *    BENCH_MILESTONES (default 1000), BENCH_SAMPLES samples per milestone (default 1440: one a minute for
 *    a day); goal >= 500/s with the self-check.
 * 2. Business KPIs: one million tickets parsed and two ticket kinds computed (./bench-kpi.ts; goal < 5 s on one
 *    core). BENCH_TICKETS sets the row count.
 * 3. Gas per milestone of the daemon's batched posting: BENCH_AGREEMENTS agreements (default 10) x 12
 *    milestones on the in-process network, one oracle, `oracle run --once` at each due time; the gas of the
 *    daemon's multicall transactions divided by the milestones they carried (posting, and settling).
 * 4. Scale, only when asked (it spawns a `hardhat node` process): BENCH_SCALE=1 adds it to the above,
 *    BENCH_SCALE=only (`npm run bench:oracle:scale`) runs it alone. One daemon round over BENCH_SCALE_AGREEMENTS
 *    agreements (default 1000) with a milestone due in each, on a local `hardhat node`, behind a proxy that counts
 *    JSON-RPC requests: wall time, requests (total and per milestone), transactions and gas per milestone, then
 *    the settling round (./bench-scale.ts; goal < 60 s and <= 3 requests per milestone).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { Wallet } from "ethers";
import { attestationHasher } from "../lib/attestation-hasher";
import { cutBps } from "../lib/penalty";
import { formatSamplesCsv } from "./csv";
import { parseMetricNames } from "./metrics";
import { measureSpecs } from "./measure";
import { buildReport, evidenceOf, serializeReport } from "./report";
import type { Sample } from "./samples";
import { inPeriod } from "./samples";
import { REFERENCE_METRICS } from "../lib/reference";
import { signDigestChecked } from "./signing";
import { recoverSigner } from "../lib/signer-mask";
import { benchTickets, describeTicketsBench } from "./bench-kpi";
import { describeScale, scaleRound } from "./bench-scale";

const METRICS = REFERENCE_METRICS;

function samplesOf(start: number, n: number, seed: number): Sample[] {
  let x = seed;
  const rnd = (): number => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  return Array.from({ length: n }, (_, k) =>
    rnd() < 0.003
      ? { timestamp: start + k * 60, ok: false, latencyMs: null }
      : { timestamp: start + k * 60, ok: true, latencyMs: 40 + Math.floor(rnd() * 400) },
  );
}

type Check = "sign only" | "self-check" | "recovery";

const CHECK_LABEL: Record<Check, string> = {
  "sign only": "sign only",
  "self-check": "with the self-check: verified against the public key",
  recovery: "with the recovery self-check of before, for comparison",
};

async function throughput(check: Check): Promise<void> {
  const milestones = Number(process.env.BENCH_MILESTONES ?? 1000);
  const perMilestone = Number(process.env.BENCH_SAMPLES ?? 1440);
  const names = parseMetricNames("availability_ppm,latency_p50_ms,latency_p95_ms,latency_p99_ms");
  const metrics = [METRICS[0], METRICS[1], METRICS[1], METRICS[1]];
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  const domain = {
    name: "SLAEscrow",
    version: "1",
    chainId: 31337n,
    verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  };
  const period = perMilestone * 60;
  const digestOf = attestationHasher(domain);
  // The samples of all milestones, generated up front (a source's work is I/O, not measured here).
  const all = Array.from({ length: milestones }, (_, i) => samplesOf(1_700_000_000 + i * period, perMilestone, i + 1));
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < milestones; i++) {
    const start = 1_700_000_000 + i * period;
    const report = buildReport(
      {
        chainId: 31337n,
        escrow: domain.verifyingContract,
        agreementId: 1n + BigInt(i >> 7),
        milestone: i & 127,
        period: { start, end: start + period },
        oracle: wallet.address,
      },
      await measureSpecs(
        names,
        {
          probes: {
            kind: "csv",
            samplesFor: async () => ({
              samples: inPeriod(all[i], start, start + period),
              info: { kind: "csv", file: "bench.csv" },
            }),
          },
        },
        { start, end: start + period },
        { lagSeconds: 0, what: "bench" },
      ),
      (values) => cutBps(metrics, values),
    );
    const file = serializeReport(report);
    bytes += file.length;
    const att = {
      agreementId: report.agreementId,
      milestone: report.milestone,
      values: report.values,
      evidence: evidenceOf(file),
    };
    const digest = digestOf(att);
    const signature = signDigestChecked(wallet, digest, check === "self-check");
    if (check === "recovery" && recoverSigner(digest, signature) !== wallet.address) throw new Error("recovery");
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const used = process.cpuUsage(cpu0);
  const cpuSeconds = (used.user + used.system) / 1e6;
  // The rate on one core is by CPU time (the process's, GC threads included: conservative), which a loaded machine
  // does not inflate; the wall-clock rate is printed beside it.
  const rate = milestones / cpuSeconds;
  console.log(
    `reports+signatures (${CHECK_LABEL[check]}): ${milestones} milestones x ${perMilestone} samples in ${cpuSeconds.toFixed(2)} s of CPU = ${rate.toFixed(0)}/s on one core ` +
      `(${(milestones / seconds).toFixed(0)}/s by wall time, ${seconds.toFixed(2)} s; ${check === "self-check" ? `goal 500/s: ${rate >= 500 ? "met" : "NOT met"}; ` : ""}${os.cpus()[0]?.model ?? "cpu"}, one thread; avg report ${Math.round(bytes / milestones)} bytes)`,
  );
}

async function gas(): Promise<void> {
  if (hre.network.name !== "hardhat") throw new Error("run the gas part on the in-process hardhat network");
  const agreements = Number(process.env.BENCH_AGREEMENTS ?? 10);
  await hre.deployments.fixture(["SLAEscrow"]);
  const address = (await hre.deployments.get("SLAEscrow")).address;
  const signers = await hre.ethers.getSigners();
  const [client, vendor, oracle] = [signers[1], signers[2], signers[6]];
  const escrow = await hre.ethers.getContractAt("SLAEscrow", address);
  const now = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
  const month = 30 * 86_400;
  const dues = Array.from({ length: 12 }, (_, i) => now + (i + 1) * month);
  for (let a = 0; a < agreements; a++) {
    const terms = {
      client: client.address,
      vendor: vendor.address,
      token: hre.ethers.ZeroAddress,
      arbitrator: hre.ethers.ZeroAddress,
      disputeWindow: 0,
      attestGrace: 3 * 86_400,
      arbitrationTimeout: 0,
      silentCutBps: 10_000,
      threshold: 1,
      startAt: now,
      oracles: [oracle.address],
      metrics: METRICS,
      milestones: dues.map((dueAt) => ({ amount: 10n ** 15n, dueAt })),
    };
    await escrow.connect(client).createAgreement(terms, { value: 12n * 10n ** 15n });
    await escrow.connect(vendor).accept(a + 1);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oracle-bench-"));
  const csv = path.join(dir, "samples.csv");
  const rows: Sample[] = [];
  for (let k = 0; now + k * 600 < dues[11]; k++)
    rows.push(
      k % 97 === 0
        ? { timestamp: now + k * 600, ok: false, latencyMs: null }
        : { timestamp: now + k * 600, ok: true, latencyMs: 100 + (k % 300) },
    );
  fs.writeFileSync(csv, formatSamplesCsv(rows));
  // The HD key of signer 6 (Hardhat's default mnemonic).
  const key = hre.ethers.HDNodeWallet.fromPhrase(
    "test test test test test test test test test test test junk",
    undefined,
    "m/44'/60'/0'/0/6",
  ).privateKey;
  process.env.ORACLE_PRIVATE_KEY = key;
  const lines: string[] = [];
  const log = console.log;
  let postGas = 0n;
  let posts = 0;
  let settleGas = 0n;
  let settles = 0;
  const round = async (settle: boolean): Promise<void> => {
    console.log = (line: string) => void lines.push(line);
    try {
      await hre.run("oracle", {
        command: "run",
        once: true,
        noSettle: !settle,
        samples: csv,
        metrics: "availability_ppm,latency_p95_ms",
        escrow: address,
        state: path.join(dir, "state"),
      });
    } finally {
      console.log = log;
    }
    const refused = lines
      .map((l) => JSON.parse(l) as { action: string; reason?: string })
      .find((l) => l.action === "refused");
    if (refused) throw new Error(`the daemon refused: ${refused.reason}`);
  };
  // Post every milestone as it falls due (no settling), then settle them all in one pass.
  for (const due of dues) {
    await hre.network.provider.send("evm_setNextBlockTimestamp", [due]);
    await hre.network.provider.send("evm_mine", []);
    await round(false);
  }
  await round(true);
  const byTx = new Map<string, { action: string; items: number }>();
  for (const l of lines) {
    const e = JSON.parse(l) as { action: string; txHash?: string };
    if ((e.action === "posted" || e.action === "settled") && e.txHash) {
      const t = byTx.get(e.txHash) ?? { action: e.action, items: 0 };
      t.items++;
      byTx.set(e.txHash, t);
    }
  }
  for (const [hash, t] of byTx) {
    const receipt = await hre.ethers.provider.getTransactionReceipt(hash);
    if (t.action === "posted") {
      postGas += receipt!.gasUsed;
      posts += t.items;
    } else {
      settleGas += receipt!.gasUsed;
      settles += t.items;
    }
  }
  const postTxs = [...byTx.values()].filter((t) => t.action === "posted").length;
  console.log(
    `daemon batched posting: ${posts} attestations (1-of-1 oracle, 2 metrics) in ${postTxs} multicall transactions of ${agreements}: ` +
      `${posts ? (postGas / BigInt(posts)).toString() : "-"} gas per milestone, transaction base cost included; ` +
      `settling: ${settles} milestones in ${byTx.size - postTxs} transactions: ${settles ? (settleGas / BigInt(settles)).toString() : "-"} gas per milestone`,
  );
}

async function scale(): Promise<void> {
  const result = await scaleRound({
    agreements: Number(process.env.BENCH_SCALE_AGREEMENTS ?? 1000),
    say: (line) => console.log(line),
  });
  for (const line of describeScale(result)) console.log(line);
}

async function main(): Promise<void> {
  const scaleMode = process.env.BENCH_SCALE ?? "";
  if (scaleMode !== "only") {
    await throughput("sign only");
    await throughput("self-check");
    await throughput("recovery");
    console.log(describeTicketsBench(await benchTickets(Number(process.env.BENCH_TICKETS ?? 1_000_000))));
    if (process.env.BENCH_SKIP_GAS !== "1") await gas();
  }
  if (scaleMode === "1" || scaleMode === "only") await scale();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
