/**
 * The one-command demo (`npx hardhat run scripts/demo/index.ts`, or `npm run demo`): six months of an SLA
 * agreement in well under a minute, through the project's real parts.
 *
 * 1. deploys the escrow and the test token TUSD with hardhat-deploy, mints TUSD to the client;
 * 2. writes the agreement as a human terms file and converts it with scripts/lib/terms-file.ts (exactly what
 *    `sla:create --terms FILE` does); the client funds it with an EIP-2612 permit; the vendor accepts;
 * 3. starts a local HTTP "vendor service" with a scripted timeline (outages, slow spells) and probes it for real
 *    with the oracle's prober, time compressed: one real probe per 20 virtual minutes (scripts/demo/probing.ts);
 * 4. per month: the oracle's report (metrics exactly per DESIGN.md) from the probe store, its keccak256 as
 *    evidence, two of the three oracles sign it (EIP-712), the chain's clock moves to the due time, and a relayer
 *    posts it in one multicall that also settles the previous month; after the dispute window the last month is
 *    settled and both parties withdraw;
 * 5. prints the ledger and checks that it adds up exactly (a failed check throws: non-zero exit);
 * 6. writes a self-contained HTML report with the charts.
 *
 * Runs on the in-process Hardhat network with nothing to configure, or against `npx hardhat node` with
 * `--network localhost`.
 */
import fs from "node:fs";
import path from "node:path";
import { type TypedDataDomain, getAddress, keccak256 } from "ethers";
import { signPermit } from "../lib/permit";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { MockERC20Permit, SLAEscrow } from "../../typechain-types";
import { type Attestation, attestationDigest, packSignatures, readDomain, signAttestation } from "../lib/attestation";
import { UserError } from "../lib/errors";
import { getEscrow } from "../adapters/escrow";
import { LOCALHOST_URL } from "../adapters/networks";
import { cutBps, split } from "../lib/penalty";
import { type ResolvedToken } from "../lib/token";
import { TermsFileError } from "../lib/errors";
import { checkTermsOnChain, tokenOnNetwork } from "../adapters/terms-file";
import { formatAmount, formatCut, formatMetricValue, formatTime } from "../lib/units";
import { checkAttestWindow, checkMetricNames } from "../oracle/chain";
import { type AgreementTerms, readTerms, periodOf } from "../lib/model";
import { FileSource } from "../oracle/file-source";
import type { MetricName } from "../oracle/metrics";
import type { Period } from "../oracle/report";
import { buildReport, writeReport } from "../oracle/report";
import { SIGNATURE_FORMAT, signatureFileName, writeSignatureFile } from "../oracle/signing";
import { ProbeStore, readStore } from "../oracle/store";
import { renderHtml } from "./html";
import { type LedgerRow, type LedgerTotals, breachesOf, formatLedger, totalsOf } from "./ledger";
import { probePeriod, warmUp } from "./probing";
import { startVendorService } from "./service";
import { DEMO_METRICS, demoTerms } from "./terms";
import { DEMO_TIMELINE, behaviourAt } from "./timeline";

/*//////////////////////////////////////////////////////////////
                              OPTIONS
//////////////////////////////////////////////////////////////*/

export interface DemoOptions {
  /** Where reports, signatures, the probe store, the ledger and the HTML go. Default `<project>/demo-output`. */
  outDir?: string;
  /** Progress and ledger lines. Default console.log. */
  log?: (line: string) => void;
  /** Virtual minutes one real probe stands for. Default 30 (1440 probes per 30-day month). */
  probeMinutes?: number;
  /** Real milliseconds between two probes: the compressed clock. Default 2 (a month in about 3 s). */
  realMsPerProbe?: number;
  /** The prober's timeout in real milliseconds. Default 2000. */
  probeTimeoutMs?: number;
  /** Each milestone's amount in TUSD. Default "1000". */
  amount?: string;
}

/** Hardhat's default accounts, by role (the same as examples/terms.example.json). */
export const ACCOUNTS = { deployer: 0, client: 1, vendor: 2, arbitrator: 3, relayer: 4, oracles: [6, 7, 8] } as const;

/** Which two oracles (indexes into the ascending oracle list) sign each month: every pair takes a turn. */
export const SIGNER_PAIRS: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 2],
  [0, 2],
];

const MONTHS = DEMO_TIMELINE.length;
const PERIOD_DAYS = 30;
/** The oracles attest this long after a period closes (virtual seconds). */
const ATTEST_LAG = 600;

/*//////////////////////////////////////////////////////////////
                              RESULT
//////////////////////////////////////////////////////////////*/

export interface DemoCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DemoResult {
  network: string;
  chainId: bigint;
  escrow: string;
  token: ResolvedToken;
  agreementId: bigint;
  client: string;
  vendor: string;
  arbitrator: string;
  relayer: string;
  oracles: string[];
  metricNames: MetricName[];
  /** The agreement as the escrow stores it, in plain numbers (the oracle's view). */
  terms: AgreementTerms;
  deposit: bigint;
  rows: LedgerRow[];
  totals: LedgerTotals;
  /** What each party took out of the escrow. */
  withdrawn: { vendor: bigint; client: bigint };
  /** Token balances of the parties before the demo (the client's before the mint) and after the withdrawals. */
  balances: { before: { vendor: bigint; client: bigint }; after: { vendor: bigint; client: bigint } };
  checks: DemoCheck[];
  outDir: string;
  termsFile: string;
  storeFile: string;
  htmlFile: string;
  ledgerFile: string;
  probes: number;
  seconds: number;
}

/** A check of the demo's own accounting failed (the script exits non-zero). */
export class DemoCheckError extends Error {
  constructor(readonly failed: DemoCheck[]) {
    super(`${failed.length} check(s) failed: ${failed.map((c) => `${c.name} (${c.detail})`).join("; ")}`);
    this.name = "DemoCheckError";
  }
}

/*//////////////////////////////////////////////////////////////
                              HELPERS
//////////////////////////////////////////////////////////////*/

const short = (hex: string): string => `${hex.slice(0, 6)}..${hex.slice(-4)}`;

/** The network must be in-process or a local node whose clock we may move; a local node must answer. */
async function preflight(hre: HardhatRuntimeEnvironment): Promise<void> {
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

async function setNextTimestamp(hre: HardhatRuntimeEnvironment, timestamp: number): Promise<void> {
  await hre.network.provider.request({ method: "evm_setNextBlockTimestamp", params: [timestamp] });
}

/** Removes what an earlier run left in the output folder (only the demo's own files). */
function prepareOutDir(outDir: string): void {
  fs.mkdirSync(outDir, { recursive: true });
  for (const sub of ["reports", "signatures"]) fs.rmSync(path.join(outDir, sub), { recursive: true, force: true });
  for (const file of ["probes.jsonl", "report.html", "ledger.json", "terms.json"]) fs.rmSync(path.join(outDir, file), { force: true });
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/*//////////////////////////////////////////////////////////////
                               DEMO
//////////////////////////////////////////////////////////////*/

/** Runs the whole demo on `hre`'s network; returns the ledger, the checks and the files written. */
export async function runDemo(hre: HardhatRuntimeEnvironment, options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = Date.now();
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = path.resolve(options.outDir ?? path.join(hre.config.paths.root, "demo-output"));
  const rel = (p: string): string => {
    const r = path.relative(process.cwd(), p);
    return r.startsWith("..") ? p : r;
  };
  const stepSeconds = Math.round((options.probeMinutes ?? 30) * 60);
  const realMsPerProbe = options.realMsPerProbe ?? 2;
  const timeoutMs = options.probeTimeoutMs ?? 2000;
  const amountText = options.amount ?? "1000";
  if (!(stepSeconds > 0)) throw new UserError(`probeMinutes: must be more than 0, got ${options.probeMinutes}`);

  await preflight(hre);
  const { ethers } = hre;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  log(`sla-escrow demo on network "${hre.network.name}" (chain ${chainId})`);

  // ---- 1. deploy, accounts, mint ----
  await deploy(hre);
  const escrow: SLAEscrow = await getEscrow(hre);
  const escrowAddress = await escrow.getAddress();
  const tokenDeployment = await hre.deployments.getOrNull("TestToken");
  if (!tokenDeployment) throw new UserError(`no TestToken deployment on network "${hre.network.name}"`);
  const token: MockERC20Permit = await ethers.getContractAt("MockERC20Permit", tokenDeployment.address);
  const tokenInfo = await tokenOnNetwork(hre, tokenDeployment.address);
  log(`  escrow ${escrowAddress}, token ${tokenInfo.symbol} ${tokenInfo.address} (hardhat-deploy)`);

  const signers = await ethers.getSigners();
  const need = Math.max(...ACCOUNTS.oracles) + 1;
  if (signers.length < need) {
    throw new UserError(`the demo needs ${need} accounts on network "${hre.network.name}", it has ${signers.length}`);
  }
  const deployer = signers[ACCOUNTS.deployer];
  const client = signers[ACCOUNTS.client];
  const vendor = signers[ACCOUNTS.vendor];
  const arbitrator = signers[ACCOUNTS.arbitrator];
  const relayer = signers[ACCOUNTS.relayer];
  const oracleSigners: HardhatEthersSigner[] = ACCOUNTS.oracles
    .map((i) => signers[i])
    .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));

  prepareOutDir(outDir);

  // ---- 2. terms (human units -> Terms), funding with a permit, acceptance ----
  const latest = await ethers.provider.getBlock("latest");
  const now = latest?.timestamp ?? Math.floor(Date.now() / 1000);
  const start = (Math.floor(now / 86_400) + 1) * 86_400; // the next UTC midnight
  const human = demoTerms({
    client: client.address,
    vendor: vendor.address,
    arbitrator: arbitrator.address,
    oracles: oracleSigners.map((s) => s.address),
    start,
    amount: amountText,
    months: MONTHS,
    periodDays: PERIOD_DAYS,
    tokenSymbol: tokenInfo.symbol,
  });
  const termsFile = path.join(outDir, "terms.json");
  fs.writeFileSync(termsFile, JSON.stringify(human, null, 2) + "\n");
  const checked = await checkTermsOnChain(hre, human, client.address);
  if (checked.terms === undefined) throw new TermsFileError(rel(termsFile), checked.errors);
  const converted = checked.terms;
  const deposit = converted.total;
  log(`  terms ${rel(termsFile)}: ${MONTHS} x ${formatAmount(converted.terms.milestones[0].amount, tokenInfo)} every ${PERIOD_DAYS}d from ${formatTime(start)}, 2 of 3 oracles, arbitrator ${short(arbitrator.address)}`);

  const before = { vendor: await token.balanceOf(vendor.address), client: await token.balanceOf(client.address) };
  const credit = { vendor: await escrow.balanceOf(vendor.address, tokenInfo.address), client: await escrow.balanceOf(client.address, tokenInfo.address) };
  await (await token.connect(deployer).mint(client.address, deposit)).wait();
  log(`  minted ${formatAmount(deposit, tokenInfo)} to the client ${client.address}`);

  const deadline = BigInt(now + 3600);
  const permitDomain = await token.eip712Domain();
  const permit = await signPermit(
    client,
    { name: permitDomain.name, version: permitDomain.version, chainId: permitDomain.chainId, verifyingContract: permitDomain.verifyingContract },
    { owner: client.address, spender: escrowAddress, value: deposit, nonce: await token.nonces(client.address), deadline },
  );
  const createReceipt = await (
    await escrow.connect(client).createAgreementWithPermit(converted.terms, deadline, permit.v, permit.r, permit.s)
  ).wait();
  let agreementId: bigint | undefined;
  for (const l of createReceipt?.logs ?? []) {
    if (getAddress(l.address) !== getAddress(escrowAddress)) continue;
    const parsed = escrow.interface.parseLog(l);
    if (parsed?.name === "AgreementCreated") agreementId = parsed.args.id as bigint;
  }
  if (agreementId === undefined) throw new Error("createAgreementWithPermit: no AgreementCreated event");
  const id = agreementId;
  log(`  agreement ${id} created and funded with a permit signature (${formatAmount(deposit, tokenInfo)} in escrow, tx ${createReceipt?.hash})`);
  await (await escrow.connect(vendor).accept(id)).wait();
  log(`  vendor ${vendor.address} accepted`);

  // The oracle's view of the agreement, read back from the chain.
  const agreement = await readTerms(escrow, id);
  const names: MetricName[] = [...DEMO_METRICS];
  checkMetricNames(agreement, names);
  const domain: TypedDataDomain = await readDomain(escrow);
  if (BigInt(domain.chainId ?? 0) !== chainId) throw new Error(`the escrow's EIP-712 domain is for chain ${domain.chainId}, not ${chainId}`);
  const periods: Period[] = agreement.milestones.map((_, i) => periodOf(agreement, i));
  const higherIsBetter = (metric: string): boolean => agreement.metrics[names.indexOf(metric as MetricName)]?.higherIsBetter ?? true;

  // ---- 3. the vendor service and the prober's store ----
  const service = await startVendorService((vt) => behaviourAt(vt, periods));
  const storeFile = path.join(outDir, "probes.jsonl");
  const store = ProbeStore.open(storeFile);
  const source = new FileSource(storeFile);
  log(
    `  vendor service on ${service.url}; the oracle's prober probes it once per ${stepSeconds / 60} virtual minutes, ` +
      `one probe every ${realMsPerProbe} ms (time ${Math.round((stepSeconds * 1000) / realMsPerProbe).toLocaleString("en-US")}x compressed), timeout ${timeoutMs} ms`,
  );
  const rows: LedgerRow[] = [];
  let probes = 0;
  try {
    const warm = await warmUp(service.url, realMsPerProbe, timeoutMs);
    log(`  warmed the prober up with ${warm.probes} unrecorded probes (slowest answer of the last round ${warm.slowestMs} ms)`);
    log("");

    // ---- 4. month by month ----
    for (let i = 0; i < MONTHS; i++) {
      const period = periods[i];
      log(`month ${i + 1} (milestone ${i}) ${formatTime(period.start)} .. ${formatTime(period.end)}: ${DEMO_TIMELINE[i].summary}`);

      const probed = await probePeriod({ url: service.url, start: period.start, end: period.end, stepSeconds, timeoutMs, realMsPerProbe, store });
      probes += probed.probes;
      const errors = Object.entries(probed.errors).map(([e, n]) => `${n} x ${e}`).join(", ");
      log(`  probed ${probed.probes} times in ${(probed.realMs / 1000).toFixed(1)} s: ${probed.ok} ok, ${probed.failed} failed${errors ? ` (${errors})` : ""}`);

      // The oracle's report from its store: metrics exactly per DESIGN.md, the cut by the agreement's tiers.
      const proposer = oracleSigners[SIGNER_PAIRS[i % SIGNER_PAIRS.length][0]];
      const { samples, info } = await source.samplesFor(period.start, period.end);
      const report = buildReport(
        { chainId, escrow: escrowAddress, agreementId: id, milestone: i, period, oracle: proposer.address },
        samples,
        names,
        { ...info, prober: "http", url: service.url, intervalSeconds: stepSeconds, timeoutMs, expectStatus: 200, clock: "virtual (sla-escrow demo)" },
        (values) => cutBps(agreement.metrics, values),
      );
      const reportFile = path.join(outDir, "reports", `agreement-${id}-milestone-${i}.json`);
      const { evidence } = writeReport(reportFile, report);
      const [availabilityPpm, p95Ms] = report.values;
      log(
        `  report ${rel(reportFile)}: availability ${formatMetricValue("availability_ppm", availabilityPpm)}, ` +
          `p95 ${formatMetricValue("latency_p95_ms", p95Ms)} -> cut ${formatCut(report.cutBps)}; evidence ${short(evidence)}`,
      );

      // Two of the three oracles sign the same attestation (EIP-712); the signatures travel as files.
      const att: Attestation = { agreementId: id, milestone: i, values: report.values, evidence };
      const digest = attestationDigest(domain, att);
      const onChainDigest = await escrow.attestationDigest(id, i, report.values, evidence);
      if (onChainDigest !== digest) throw new Error(`digest mismatch: local ${digest}, escrow ${onChainDigest}`);
      const pair = SIGNER_PAIRS[i % SIGNER_PAIRS.length];
      const sigs: { signer: string; signature: string }[] = [];
      for (const k of pair) {
        const oracle = oracleSigners[k];
        const signature = await signAttestation(oracle, domain, att);
        writeSignatureFile(path.join(outDir, "signatures", signatureFileName(id, i, oracle.address)), {
          format: SIGNATURE_FORMAT,
          chainId: chainId.toString(),
          escrow: escrowAddress,
          agreementId: id.toString(),
          milestone: i,
          values: report.values,
          evidence,
          digest,
          signer: oracle.address,
          signature,
        });
        sigs.push({ signer: oracle.address, signature });
      }
      const packed = packSignatures(agreement.oracles, sigs);
      log(`  signed by oracles ${pair.join(" and ")} (${pair.map((k) => short(oracleSigners[k].address)).join(", ")}): mask 0b${packed.signerMask.toString(2)}`);

      // The chain's clock moves to the due time; the relayer posts (and settles the month before).
      const attestAt = period.end + ATTEST_LAG;
      checkAttestWindow(agreement, i, attestAt);
      await setNextTimestamp(hre, attestAt);
      const calls: string[] = [];
      if (i > 0) calls.push(escrow.interface.encodeFunctionData("settle", [id, i - 1]));
      calls.push(
        escrow.interface.encodeFunctionData("postAttestation", [id, i, report.values, evidence, packed.signerMask, packed.signatures]),
      );
      const receipt = await (await escrow.connect(relayer).multicall(calls)).wait();
      if (!receipt) throw new Error("multicall: no receipt");
      let attestedCut: number | undefined;
      for (const l of receipt.logs) {
        if (getAddress(l.address) !== getAddress(escrowAddress)) continue;
        const e = escrow.interface.parseLog(l);
        if (e?.name === "AttestationPosted" && e.args.id === id) attestedCut = Number(e.args.cutBps);
        if (e?.name === "MilestoneSettled" && e.args.id === id) {
          const row = rows[Number(e.args.milestone)];
          row.toVendor = e.args.toVendor as bigint;
          row.toClient = e.args.toClient as bigint;
          row.onChainCutBps = Number(e.args.cutBps);
          row.settleTx = receipt.hash;
        }
      }
      if (attestedCut === undefined) throw new Error(`multicall: no AttestationPosted event for milestone ${i}`);
      log(
        `  chain time ${formatTime(attestAt)}: relayer multicall ${i > 0 ? `settle milestone ${i - 1} + ` : ""}attest milestone ${i}` +
          ` (cut ${formatCut(attestedCut)} on chain; tx ${short(receipt.hash)}, ${receipt.gasUsed} gas)`,
      );

      const { breaches, metricCutsBps } = breachesOf(agreement.metrics, names, report.values);
      rows.push({
        milestone: i,
        script: DEMO_TIMELINE[i].summary,
        period: { start: period.start, end: period.end },
        samples: report.samples,
        values: report.values,
        availabilityPpm,
        p95Ms,
        breaches,
        metricCutsBps,
        cutBps: report.cutBps,
        onChainCutBps: attestedCut,
        amount: agreement.milestones[i].amount,
        toVendor: 0n,
        toClient: 0n,
        reportFile,
        evidence,
        signerIndexes: [...pair],
        signers: pair.map((k) => oracleSigners[k].address),
        attestTx: receipt.hash,
        settleTx: "",
      });
    }
    const st = service.stats;
    log(
      `the service answered ${st.requests} requests: ${st.ok} normally, ${st.slow} slowly, ${st.unavailable} with 503, ` +
        `${st.hung} never, and dropped ${st.dropped} connections`,
    );
  } finally {
    store.close();
    await service.close();
  }

  // ---- the last month: settle after the dispute window, then both parties withdraw ----
  const last = MONTHS - 1;
  const [, , attestedAt] = await escrow.milestoneInfo(id, last);
  const settleAt = Number(attestedAt) + agreement.disputeWindow;
  await setNextTimestamp(hre, settleAt);
  const settleReceipt = await (await escrow.connect(relayer).settle(id, last)).wait();
  for (const l of settleReceipt?.logs ?? []) {
    const e = getAddress(l.address) === getAddress(escrowAddress) ? escrow.interface.parseLog(l) : null;
    if (e?.name === "MilestoneSettled" && e.args.id === id) {
      const row = rows[Number(e.args.milestone)];
      row.toVendor = e.args.toVendor as bigint;
      row.toClient = e.args.toClient as bigint;
      row.onChainCutBps = Number(e.args.cutBps);
      row.settleTx = settleReceipt?.hash ?? "";
    }
  }
  log("");
  log(`chain time ${formatTime(settleAt)}: the dispute window of milestone ${last} closed; relayer settled it (tx ${short(settleReceipt?.hash ?? "")})`);

  const withdrawn = { vendor: 0n, client: 0n };
  for (const [who, signer] of [
    ["vendor", vendor],
    ["client", client],
  ] as const) {
    const r = await (await escrow.connect(signer).withdraw(tokenInfo.address, signer.address)).wait();
    for (const l of r?.logs ?? []) {
      const e = getAddress(l.address) === getAddress(escrowAddress) ? escrow.interface.parseLog(l) : null;
      if (e?.name === "Withdrawn") withdrawn[who] += e.args.amount as bigint;
    }
  }
  log(`withdrawn: vendor ${formatAmount(withdrawn.vendor, tokenInfo)}, client ${formatAmount(withdrawn.client, tokenInfo)}`);
  const after = { vendor: await token.balanceOf(vendor.address), client: await token.balanceOf(client.address) };

  // ---- 5. the ledger, and the checks ----
  const totals = totalsOf(rows, deposit);
  const checks: DemoCheck[] = [];
  const check = (name: string, ok: boolean, detail: string): void => void checks.push({ name, ok, detail });
  for (const r of rows) {
    const [status, cut] = await escrow.milestoneInfo(id, r.milestone);
    const expected = split(r.amount, cutBps(agreement.metrics, r.values));
    check(`milestone ${r.milestone} settled`, Number(status) === 3, `status ${status}`);
    check(
      `milestone ${r.milestone} cut`,
      Number(cut) === r.cutBps && r.onChainCutBps === r.cutBps && cutBps(agreement.metrics, r.values) === r.cutBps,
      `report ${r.cutBps}, event ${r.onChainCutBps}, milestoneInfo ${cut} bps`,
    );
    check(
      `milestone ${r.milestone} split`,
      r.toVendor === expected.toVendor && r.toClient === expected.toClient && r.toVendor + r.toClient === r.amount,
      `vendor ${r.toVendor}, client ${r.toClient}, amount ${r.amount}`,
    );
    check(`milestone ${r.milestone} evidence`, keccak256(fs.readFileSync(r.reportFile)) === r.evidence, r.evidence);
  }
  check("totals = deposit", totals.toVendor + totals.toClient === deposit, `${totals.toVendor} + ${totals.toClient} vs ${deposit}`);
  check("agreement closed", Number(await escrow.agreementStatus(id)) === 3, "status");
  check("vendor withdrew its payments", withdrawn.vendor === credit.vendor + totals.toVendor, `${withdrawn.vendor}`);
  check("client withdrew its refunds", withdrawn.client === credit.client + totals.toClient, `${withdrawn.client}`);
  check("vendor token balance", after.vendor === before.vendor + withdrawn.vendor, `${before.vendor} -> ${after.vendor}`);
  // The client was minted the deposit and paid it in: it ends with what it had plus the refunds.
  check("client token balance", after.client === before.client + withdrawn.client, `${before.client} -> ${after.client}`);
  check(
    "nothing left to withdraw",
    (await escrow.balanceOf(vendor.address, tokenInfo.address)) === 0n && (await escrow.balanceOf(client.address, tokenInfo.address)) === 0n,
    "escrow balances",
  );

  log("");
  log(`ledger of agreement ${id} (amounts in ${tokenInfo.symbol}; deposit ${formatAmount(deposit, tokenInfo)})`);
  for (const line of formatLedger(rows, totals, tokenInfo, higherIsBetter)) log(`  ${line}`);
  log("");
  log(
    `  deposit ${formatAmount(deposit, tokenInfo)} = vendor ${formatAmount(totals.toVendor, tokenInfo)} + client ${formatAmount(totals.toClient, tokenInfo)}` +
      `${totals.toVendor + totals.toClient === deposit ? "" : "  <-- DOES NOT ADD UP"}`,
  );
  const failed = checks.filter((c) => !c.ok);
  log(`  checks: ${checks.length - failed.length} of ${checks.length} passed (cuts on chain = ledger = penalty rule, totals = deposit, balances exact)`);

  // ---- 6. files ----
  const seconds = (Date.now() - t0) / 1000;
  const ledgerFile = path.join(outDir, "ledger.json");
  fs.writeFileSync(
    ledgerFile,
    JSON.stringify({ network: hre.network.name, chainId, escrow: escrowAddress, token: tokenInfo, agreementId: id, rows, totals, withdrawn, checks }, jsonReplacer, 2) + "\n",
  );
  const htmlFile = path.join(outDir, "report.html");
  fs.writeFileSync(
    htmlFile,
    renderHtml({
      generatedAt: Math.floor(Date.now() / 1000),
      network: hre.network.name,
      chainId: chainId.toString(),
      escrow: escrowAddress,
      token: tokenInfo,
      agreementId: id.toString(),
      client: client.address,
      vendor: vendor.address,
      arbitrator: arbitrator.address,
      relayer: relayer.address,
      oracles: agreement.oracles,
      threshold: agreement.threshold,
      metricNames: names,
      metrics: agreement.metrics,
      disputeWindow: agreement.disputeWindow,
      rows,
      totals,
      samples: readStore(storeFile).samples,
      probeStepSeconds: stepSeconds,
      probeTimeoutMs: timeoutMs,
      serviceUrl: service.url,
      reportLinks: rows.map((r) => path.relative(outDir, r.reportFile).split(path.sep).join("/")),
      seconds,
    }),
  );
  log("");
  log(`reports, signatures and probes: ${rel(outDir)}/`);
  log(`HTML report: ${htmlFile}`);
  log(`done in ${seconds.toFixed(1)} s (${probes} real probes)`);
  if (failed.length > 0) throw new DemoCheckError(failed);

  return {
    network: hre.network.name,
    chainId,
    escrow: escrowAddress,
    token: tokenInfo,
    agreementId: id,
    client: client.address,
    vendor: vendor.address,
    arbitrator: arbitrator.address,
    relayer: relayer.address,
    oracles: agreement.oracles,
    metricNames: names,
    terms: agreement,
    deposit,
    rows,
    totals,
    withdrawn,
    balances: { before, after },
    checks,
    outDir,
    termsFile,
    storeFile,
    htmlFile,
    ledgerFile,
    probes,
    seconds,
  };
}
