/**
 * Gas benchmark: runs the reference scenario of issue #3 on the in-process Hardhat network and writes
 * gas/snapshot.json and gas/README.md. With `GAS_CHECK=1` it compares instead, and exits 1 when any figure
 * rises more than 1% above the committed snapshot (gas is deterministic: fixed keys, fixed timestamps).
 *
 *   npm run bench:gas            # measure and write the snapshot
 *   GAS_CHECK=1 npm run bench:gas  # measure and compare (CI)
 */
import { compareAddresses } from "../lib/model";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { ISLAEscrow, MockERC1271Wallet, MockERC20Permit, SLAEscrow } from "../../typechain-types";
import { packSignatures, readDomain, signAttestation } from "../lib/attestation";
import { signPermit as signTokenPermit } from "../lib/permit";
import { REFERENCE_METRICS } from "../lib/reference";

const { ethers, network } = hre;
const DAY = 86_400n;
const UNIT = 10n ** 18n;
const START = 1_893_456_000n; // 2030-01-01T00:00:00Z: fixed, so calldata and gas are the same on every run
const TOLERANCE = 0.01;
const OUT_DIR = path.join(__dirname, "..", "..", "gas");

/** Reference metrics: availability_ppm (higher is better), latency_p95_ms (lower is better). */
const METRICS: ISLAEscrow.MetricStruct[] = REFERENCE_METRICS;

/** The twelve months' measurements: mostly met, three breached (as a real SLA year might look). */
const MONTHS: number[][] = [
  [999_900, 180],
  [999_500, 240],
  [998_000, 260], // availability below 99.9%: 1000 bps
  [999_700, 210],
  [999_950, 190],
  [999_600, 620], // p95 above 500 ms: 1500 bps
  [999_800, 230],
  [999_900, 250],
  [999_300, 280],
  [994_000, 1200], // both: 5000 + 3000 bps
  [999_990, 170],
  [999_850, 200],
];

interface Figure {
  name: string;
  gas: number;
  budget?: number;
  note?: string;
}

const figures: Figure[] = [];
function record(name: string, gas: bigint | number, budget?: number, note?: string): void {
  figures.push({ name, gas: Number(gas), budget, note });
  console.log(`  ${name.padEnd(62)} ${String(gas).padStart(10)}${budget ? `   (budget ${budget})` : ""}`);
}

/** Calldata of the steps a milestone takes (on rollups the L1 data fee, paid per byte, dominates). */
const calldata: { name: string; bytes: number; zero: number }[] = [];
let lastData = "0x";
function recordCalldata(name: string, data = lastData): void {
  const bytes = ethers.getBytes(data);
  calldata.push({ name, bytes: bytes.length, zero: bytes.filter((b) => b === 0).length });
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const sent = await tx;
  lastData = sent.data;
  const receipt = await sent.wait();
  if (!receipt) throw new Error("transaction was not mined");
  return receipt.gasUsed;
}

function median(xs: bigint[]): bigint {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2n;
}

let clock = START; // the timestamp of the latest block we scheduled or saw
async function at(timestamp: bigint): Promise<void> {
  const latest = BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  if (timestamp <= latest) throw new Error(`clock would go back: ${timestamp} <= ${latest}`);
  clock = timestamp;
  await network.provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
}
async function tick(): Promise<void> {
  await at(BigInt((await ethers.provider.getBlock("latest"))?.timestamp ?? 0) + 1n);
}

async function main(): Promise<void> {
  if (network.name !== "hardhat") throw new Error("run the benchmark on the in-process network (--network hardhat)");
  const [deployer, client, vendor, arbitrator, relayer, o1, o2, o3, walletOwner] = await ethers.getSigners();
  await network.provider.send("evm_setNextBlockTimestamp", [Number(START)]);
  await network.provider.send("evm_mine", []);

  const escrow = (await ethers.deployContract("SLAEscrow", [], deployer)) as unknown as SLAEscrow;
  const token = (await ethers.deployContract(
    "MockERC20Permit",
    ["Test USD", "TUSD", 18],
    deployer,
  )) as unknown as MockERC20Permit;
  const wallet = (await ethers.deployContract(
    "MockERC1271Wallet",
    [walletOwner.address],
    deployer,
  )) as unknown as MockERC1271Wallet;
  const escrowAddress = await escrow.getAddress();
  const tokenAddress = await token.getAddress();
  const domain = await readDomain(escrow);
  const eoaOracles = [o1, o2, o3].sort((a, b) => compareAddresses(a.address, b.address));

  // Client and vendor already hold tokens; the client pre-approves generously where the approve path is used.
  await token.mint(client.address, 10_000_000n * UNIT);
  await token.mint(vendor.address, 1n * UNIT);
  await token.connect(client).approve(escrowAddress, ethers.MaxUint256);

  let nextId = 1n;
  const terms = (over: Partial<ISLAEscrow.TermsStruct> & { months?: number }): ISLAEscrow.TermsStruct => {
    const months = over.months ?? 12;
    const base: ISLAEscrow.TermsStruct = {
      client: client.address,
      vendor: vendor.address,
      token: tokenAddress,
      arbitrator: arbitrator.address,
      disputeWindow: 2n * DAY,
      attestGrace: 3n * DAY,
      arbitrationTimeout: 14n * DAY,
      silentCutBps: 10_000,
      threshold: 2,
      startAt: clock,
      oracles: eoaOracles.map((o) => o.address),
      metrics: METRICS,
      milestones: Array.from({ length: months }, (_, i) => ({
        amount: 1000n * UNIT,
        dueAt: clock + BigInt(i + 1) * 30n * DAY,
      })),
    };
    const { months: _months, ...rest } = over;
    void _months;
    return { ...base, ...rest };
  };
  const create = async (t: ISLAEscrow.TermsStruct, value = 0n): Promise<{ id: bigint; gas: bigint }> => {
    await tick();
    const gas = await gasOf(escrow.connect(client).createAgreement(t, { value }));
    return { id: nextId++, gas };
  };
  const attestArgs = async (
    t: ISLAEscrow.TermsStruct,
    id: bigint,
    milestone: number,
    values: number[],
    signers: HardhatEthersSigner[],
    signAs: (s: HardhatEthersSigner) => string = (s) => s.address,
  ): Promise<[bigint, bigint, number[], string, bigint, string[]]> => {
    const evidence = ethers.keccak256(ethers.toUtf8Bytes(`report ${id}/${milestone}`));
    const a = { agreementId: id, milestone, values, evidence };
    const sigs = await Promise.all(
      signers.map(async (s) => ({ signer: signAs(s), signature: await signAttestation(s, domain, a) })),
    );
    const packed = packSignatures(t.oracles as string[], sigs);
    return [id, BigInt(milestone), values, evidence, packed.signerMask, packed.signatures];
  };
  const dueOf = (t: ISLAEscrow.TermsStruct, i: number): bigint => BigInt(t.milestones[i].dueAt);

  // A first agreement, fully run, so that ids, token balances and both parties' escrow balances already exist.
  console.log("warming up: an earlier agreement on the singleton");
  const warm = terms({ months: 1 });
  const w = await create(warm);
  await escrow.connect(vendor).accept(w.id);
  await at(dueOf(warm, 0));
  await escrow
    .connect(relayer)
    .postAttestation(...(await attestArgs(warm, w.id, 0, MONTHS[2], eoaOracles.slice(0, 2))));
  await at(clock + 2n * DAY);
  const firstSettle = await gasOf(escrow.connect(relayer).settle(w.id, 0));

  console.log("\nreference scenario: 12 months, 1000 TUSD each, 2-of-3 EOA oracles, arbitrator");
  const ref = terms({});
  const r = await create(ref);
  record("createAgreement, 12 milestones (approve path)", r.gas, 250_000);
  recordCalldata("createAgreement, 12 milestones");
  await tick();
  const acceptGas = await gasOf(escrow.connect(vendor).accept(r.id));
  record("accept", acceptGas, 50_000);
  recordCalldata("accept");
  const attests: bigint[] = [];
  const settles: bigint[] = [];
  for (let m = 0; m < 12; m++) {
    await at(dueOf(ref, m));
    attests.push(
      await gasOf(
        escrow.connect(relayer).postAttestation(...(await attestArgs(ref, r.id, m, MONTHS[m], eoaOracles.slice(0, 2)))),
      ),
    );
    if (m === 0) recordCalldata("postAttestation, 2-of-3, 2 metrics");
    await at(clock + 2n * DAY);
    settles.push(await gasOf(escrow.connect(relayer).settle(r.id, m)));
    if (m === 0) recordCalldata("settle");
  }
  record("postAttestation, 2-of-3 EOA (median of 12)", median(attests), 56_000);
  record("settle, first credit to both parties (warm-up agreement)", firstSettle);
  record("settle (median of 12)", median(settles), 40_500);
  await tick();
  const withdrawVendor = await gasOf(escrow.connect(vendor).withdraw(tokenAddress, vendor.address));
  recordCalldata("withdraw");
  await tick();
  const withdrawClient = await gasOf(escrow.connect(client).withdraw(tokenAddress, client.address));
  record("withdraw ERC-20 (vendor)", withdrawVendor, 41_000);
  const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
  const allIn = (r.gas + acceptGas + sum(attests) + sum(settles) + withdrawVendor + withdrawClient) / 12n;
  record("all-in per milestone, one transaction per step", allIn, 136_000);

  console.log("\nreference scenario with a monthly multicall (settle the previous milestone + attest this one)");
  const mref = terms({});
  const mr = await create(mref);
  await tick();
  const mAccept = await gasOf(escrow.connect(vendor).accept(mr.id));
  const monthly: bigint[] = [];
  for (let m = 0; m < 12; m++) {
    await at(dueOf(mref, m));
    const attest = escrow.interface.encodeFunctionData(
      "postAttestation",
      await attestArgs(mref, mr.id, m, MONTHS[m], eoaOracles.slice(0, 2)),
    );
    const calls = m === 0 ? [attest] : [escrow.interface.encodeFunctionData("settle", [mr.id, m - 1]), attest];
    monthly.push(await gasOf(escrow.connect(relayer).multicall(calls)));
    if (m === 1) recordCalldata("multicall settle(previous) + postAttestation");
  }
  await at(clock + 2n * DAY);
  const lastSettle = await gasOf(escrow.connect(relayer).settle(mr.id, 11));
  await tick();
  const mwv = await gasOf(escrow.connect(vendor).withdraw(tokenAddress, vendor.address));
  await tick();
  const mwc = await gasOf(escrow.connect(client).withdraw(tokenAddress, client.address));
  record("multicall settle(previous) + postAttestation (median of 11)", median(monthly.slice(1)));
  record(
    "all-in per milestone, monthly multicall",
    (mr.gas + mAccept + sum(monthly) + lastSettle + mwv + mwc) / 12n,
    116_000,
  );

  console.log("\nother operations");
  // Permit path.
  const pt = terms({});
  const total = 12_000n * UNIT;
  const permitDeadline = clock + 3600n;
  const nonce = await token.nonces(client.address);
  const tokenDomain = { name: "Test USD", version: "1", chainId: domain.chainId, verifyingContract: tokenAddress };
  const permitSig = await signTokenPermit(client, tokenDomain, {
    owner: client.address,
    spender: escrowAddress,
    value: total,
    nonce,
    deadline: permitDeadline,
  });
  await token.connect(client).approve(escrowAddress, 0);
  await tick();
  record(
    "createAgreementWithPermit, 12 milestones",
    await gasOf(
      escrow.connect(client).createAgreementWithPermit(pt, permitDeadline, permitSig.v, permitSig.r, permitSig.s),
    ),
  );
  nextId++;
  await token.connect(client).approve(escrowAddress, ethers.MaxUint256);

  // createAgreement sizes.
  for (const months of [1, 12, 128]) {
    const c = await create(terms({ months }));
    record(
      `createAgreement, ${months} milestone${months > 1 ? "s" : ""}`,
      c.gas,
      months === 128 ? 1_000_000 : undefined,
    );
    if (months === 128) recordCalldata("createAgreement, 128 milestones");
  }

  // 1-of-1 and ERC-1271 attestations.
  const single = terms({ months: 1, oracles: [eoaOracles[0].address], threshold: 1 });
  const s1 = await create(single);
  await escrow.connect(vendor).accept(s1.id);
  await at(dueOf(single, 0));
  record(
    "postAttestation, 1-of-1 EOA",
    await gasOf(
      escrow.connect(relayer).postAttestation(...(await attestArgs(single, s1.id, 0, MONTHS[0], [eoaOracles[0]]))),
    ),
  );
  const walletAddress = await wallet.getAddress();
  const mixedOracles = [eoaOracles[0].address, eoaOracles[1].address, walletAddress].sort((a, b) =>
    BigInt(a) < BigInt(b) ? -1 : 1,
  );
  const mixed = terms({ months: 1, oracles: mixedOracles });
  const mx = await create(mixed);
  await escrow.connect(vendor).accept(mx.id);
  await at(dueOf(mixed, 0));
  record(
    "postAttestation, 2-of-3 with one ERC-1271 signer",
    await gasOf(
      escrow
        .connect(relayer)
        .postAttestation(
          ...(await attestArgs(mixed, mx.id, 0, MONTHS[0], [eoaOracles[0], walletOwner], (s) =>
            s === walletOwner ? walletAddress : s.address,
          )),
        ),
    ),
  );

  // Dispute and resolution.
  const dt = terms({ months: 1 });
  const d = await create(dt);
  await escrow.connect(vendor).accept(d.id);
  await at(dueOf(dt, 0));
  await escrow.connect(relayer).postAttestation(...(await attestArgs(dt, d.id, 0, MONTHS[9], eoaOracles.slice(0, 2))));
  await tick();
  record("dispute", await gasOf(escrow.connect(vendor).dispute(d.id, 0)));
  await tick();
  record("resolveDispute", await gasOf(escrow.connect(arbitrator).resolveDispute(d.id, 0, 2500)));

  // Cancel and terminate (12 milestones).
  const ct = terms({});
  const c = await create(ct);
  await tick();
  record("cancel, 12 milestones", await gasOf(escrow.connect(client).cancel(c.id)));
  const tt = terms({});
  const t = await create(tt);
  await escrow.connect(vendor).accept(t.id);
  await tick();
  record("terminate, first party", await gasOf(escrow.connect(client).terminate(t.id)));
  await tick();
  record("terminate, second party (refunds 12 milestones)", await gasOf(escrow.connect(vendor).terminate(t.id)));

  // Withdraw ETH: an ETH agreement settled for the vendor.
  const et = terms({ months: 1, token: ethers.ZeroAddress, arbitrator: ethers.ZeroAddress });
  const e = await create(et, 1000n * UNIT);
  await escrow.connect(vendor).accept(e.id);
  await at(dueOf(et, 0));
  await escrow.connect(relayer).postAttestation(...(await attestArgs(et, e.id, 0, MONTHS[0], eoaOracles.slice(0, 2))));
  await escrow.connect(relayer).settle(e.id, 0);
  await tick();
  record("withdraw ETH", await gasOf(escrow.connect(vendor).withdraw(ethers.ZeroAddress, vendor.address)));

  // One multicall that attests and settles 10 milestones of 10 agreements without an arbitrator.
  const batch: { t: ISLAEscrow.TermsStruct; id: bigint }[] = [];
  for (let i = 0; i < 10; i++) {
    const bt = terms({ months: 1, arbitrator: ethers.ZeroAddress });
    const b = await create(bt);
    await escrow.connect(vendor).accept(b.id);
    batch.push({ t: bt, id: b.id });
  }
  await at(dueOf(batch[9].t, 0));
  const calls: string[] = [];
  for (const { t: bt, id } of batch) {
    calls.push(
      escrow.interface.encodeFunctionData(
        "postAttestation",
        await attestArgs(bt, id, 0, MONTHS[1], eoaOracles.slice(0, 2)),
      ),
    );
    calls.push(escrow.interface.encodeFunctionData("settle", [id, 0]));
  }
  const batchGas = await gasOf(escrow.connect(relayer).multicall(calls));
  record("multicall attest + settle, 10 agreements (total)", batchGas);
  record("  per milestone", batchGas / 10n, 70_000);

  writeOrCheck();
}

function markdown(): string {
  const rows = figures.map(
    (f) =>
      `| ${f.name.trim()} | ${f.gas.toLocaleString("en-US")} | ${
        f.budget ? `${f.budget.toLocaleString("en-US")} ${f.gas <= f.budget ? "met" : "**over**"}` : ""
      } |`,
  );
  return [
    "# Gas snapshot",
    "",
    "Written by `npm run bench:gas` (scripts/bench/gas.ts) on the in-process Hardhat network; CI reruns it with",
    "`GAS_CHECK=1` and fails when a figure rises more than 1% above this snapshot. The scenario: an ERC-20 with",
    "permit, 12 milestones 30 days apart of 1,000 tokens, availability and p95 latency with three tiers each,",
    "three EOA oracles with threshold 2, an arbitrator, disputeWindow 2 days, attestGrace 3 days, measured on a",
    "singleton that already holds another agreement. Medians are over the 12 months. The budgets are those of",
    'the gas redesign (issue 16); README.md, section "Storage layout", explains the layout that meets them.',
    "",
    "| operation | gas | budget |",
    "|---|---:|---|",
    ...rows,
    "",
    "## Calldata per step",
    "",
    "On a rollup the L1 data fee, paid per byte of calldata, dominates the cost of a transaction. Zero bytes",
    "are cheaper on L1 (4 gas against 16) and compress well.",
    "",
    "| step | bytes | of which zero |",
    "|---|---:|---:|",
    ...calldata.map((c) => `| ${c.name} | ${c.bytes.toLocaleString("en-US")} | ${c.zero.toLocaleString("en-US")} |`),
    "",
  ].join("\n");
}

function writeOrCheck(): void {
  const snapshotFile = path.join(OUT_DIR, "snapshot.json");
  if (process.env.GAS_CHECK === "1") {
    if (!existsSync(snapshotFile)) throw new Error(`${snapshotFile} is missing: run npm run bench:gas and commit it`);
    const committed = JSON.parse(readFileSync(snapshotFile, "utf8")) as Record<string, number>;
    let failed = false;
    for (const f of figures) {
      const before = committed[f.name];
      if (before === undefined) {
        console.error(`gas: "${f.name}" is not in the snapshot: run npm run bench:gas and commit gas/`);
        failed = true;
      } else if (f.gas > before * (1 + TOLERANCE)) {
        console.error(
          `gas: "${f.name}" rose from ${before} to ${f.gas} (+${(((f.gas - before) / before) * 100).toFixed(2)}%)`,
        );
        failed = true;
      }
    }
    if (failed) process.exit(1);
    console.log(`\ngas: every figure within ${TOLERANCE * 100}% of gas/snapshot.json`);
    return;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(snapshotFile, JSON.stringify(Object.fromEntries(figures.map((f) => [f.name, f.gas])), null, 2) + "\n");
  writeFileSync(path.join(OUT_DIR, "README.md"), markdown());
  console.log(`\nwrote ${path.relative(process.cwd(), snapshotFile)} and gas/README.md`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
