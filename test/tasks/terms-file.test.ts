/**
 * The terms file: every validation rule once, with its exact message; the exact conversion of human units; and
 * (on chain) token resolution, file errors and the example file's round trip through getTerms.
 */
import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress } from "ethers";
import { type ResolvedToken } from "../../scripts/lib/token";
import { type TermsEnvironment, checkTerms } from "../../scripts/lib/terms";
import { checkTermsOnChain, loadTermsFile, resolveToken, termsSpecs } from "../../scripts/adapters/terms-file";
import {
  formatAmount,
  formatCut,
  formatDuration,
  formatMetricValue,
  parseAmount,
  parseCut,
  parseDate,
  parseDuration,
} from "../../scripts/lib/units";
import { parseThreshold } from "../../scripts/lib/kpi/units";
import { parseMetricSpecs, specJson } from "../../scripts/lib/kpi/spec";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatTime } from "../../scripts/lib/time";
import { setup } from "../helpers/fixture";
import { plainTerms } from "../helpers/lifecycle";
import { runTask, writeTerms } from "./helpers";

// Fixed parties (Hardhat's default accounts) and a fixed chain time: no chain needed for the rules.
const CLIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const VENDOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const ARBITRATOR = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const O1 = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
const O2 = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";
const O3 = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f";
const USDC: ResolvedToken = { address: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", symbol: "USDC", decimals: 6 };
const NOW = 1_893_456_000n; // 2030-01-01T00:00:00Z
const ENV: TermsEnvironment = { token: USDC, sender: CLIENT, now: NOW };

type Raw = Record<string, unknown> & {
  metrics: { name: unknown; tiers: Record<string, unknown>[] }[];
  milestones: Record<string, unknown>[];
};

/** A valid file: 3 monthly milestones in 2030, 2 of 3 oracles, two metrics. */
function base(): Raw {
  return {
    description: "test",
    token: "USDC",
    client: CLIENT,
    vendor: VENDOR,
    arbitrator: ARBITRATOR,
    start: "2030-01-01T00:00:00Z",
    attestGrace: "3d",
    disputeWindow: "2d",
    arbitrationTimeout: "14d",
    silentCut: "100%",
    oracles: [O1, O2, O3],
    threshold: 2,
    metrics: [
      {
        name: "availability_ppm",
        tiers: [
          { threshold: "99.9%", cut: "10%" },
          { threshold: "99%", cut: "50%" },
        ],
      },
      { name: "latency_p95_ms", tiers: [{ threshold: "300ms", cut: "5%" }] },
    ],
    milestones: [
      { due: "2030-02-01T00:00:00Z", amount: "1000" },
      { due: "2030-03-01T00:00:00Z", amount: "1500.25" },
      { due: "2030-04-01T00:00:00Z", amount: "0.000001" },
    ],
  };
}

/** The errors of `base()` changed by `change`. */
function errorsOf(change: (t: Raw) => void, env: TermsEnvironment = ENV): string[] {
  const t = base();
  change(t);
  return checkTerms(t, env).errors;
}

function converted(change: (t: Raw) => void = () => undefined) {
  const t = base();
  change(t);
  const r = checkTerms(t, ENV);
  expect(r.errors).to.deep.equal([]);
  return r.terms!;
}

describe("terms file", function () {
  describe("conversion", function () {
    it("converts every field exactly to ISLAEscrow.Terms", function () {
      const c = converted();
      expect(c.total).to.equal(2_500_250_001n);
      expect(c.metricNames).to.deep.equal(["availability_ppm", "latency_p95_ms"]);
      expect(c.terms).to.deep.equal({
        client: CLIENT,
        vendor: VENDOR,
        token: USDC.address,
        arbitrator: ARBITRATOR,
        disputeWindow: 172_800n,
        attestGrace: 259_200n,
        arbitrationTimeout: 1_209_600n,
        silentCutBps: 10_000n,
        threshold: 2n,
        startAt: NOW,
        oracles: [O2, O3, O1], // sorted ascending by address
        metrics: [
          {
            higherIsBetter: true,
            tiers: [
              { threshold: 999_000n, cutBps: 1000n },
              { threshold: 990_000n, cutBps: 5000n },
            ],
          },
          { higherIsBetter: false, tiers: [{ threshold: 300n, cutBps: 500n }] },
        ],
        milestones: [
          { amount: 1_000_000_000n, dueAt: 1_896_134_400n },
          { amount: 1_500_250_000n, dueAt: 1_898_553_600n },
          { amount: 1n, dueAt: 1_901_232_000n },
        ],
      });
    });

    it("defaults the client to the sender and, without an arbitrator, both dispute times to 0", function () {
      const c = converted((t) => {
        delete t.client;
        t.arbitrator = null;
        delete t.disputeWindow;
        delete t.arbitrationTimeout;
      });
      expect(c.terms.client).to.equal(CLIENT);
      expect(c.terms.arbitrator).to.equal(ZeroAddress);
      expect(c.terms.disputeWindow).to.equal(0n);
      expect(c.terms.arbitrationTimeout).to.equal(0n);
    });

    it("expands a schedule: count milestones of amount, every period from start (or from first)", function () {
      const c = converted((t) => {
        delete (t as Record<string, unknown>).milestones;
        t.schedule = { every: "30d", count: 12, amount: "1000" };
      });
      expect(c.terms.milestones).to.have.length(12);
      c.terms.milestones.forEach((m, i) => {
        expect(m).to.deep.equal({ amount: 1_000_000_000n, dueAt: NOW + BigInt(i + 1) * 2_592_000n });
      });
      const d = converted((t) => {
        delete (t as Record<string, unknown>).milestones;
        t.schedule = { every: "1w", count: 2, amount: "5", first: "2030-01-10T00:00:00Z" };
      });
      expect(d.terms.milestones.map((m) => m.dueAt)).to.deep.equal([NOW + 9n * 86_400n, NOW + 16n * 86_400n]);
    });

    it("parses durations, dates, cuts, amounts and metric thresholds exactly", function () {
      expect(parseDuration("3d")).to.equal(259_200n);
      expect(parseDuration("12h")).to.equal(43_200n);
      expect(parseDuration("90m")).to.equal(5_400n);
      expect(parseDuration("45s")).to.equal(45n);
      expect(parseDuration("1w1d12h30m5s")).to.equal(604_800n + 86_400n + 43_200n + 1_800n + 5n);
      expect(parseDate("2030-01-01T09:00:00+09:00")).to.equal(NOW);
      expect(parseDate("2029-12-31T19:30-04:30")).to.equal(NOW);
      expect(parseDate("2030-01-01T00:00:00.000Z")).to.equal(NOW);
      expect(parseCut("25%")).to.equal(2500n);
      expect(parseCut("2.5%")).to.equal(250n);
      expect(parseCut("0.01%")).to.equal(1n);
      expect(parseCut("12.340%")).to.equal(1234n);
      expect(parseAmount("1500.25", USDC)).to.equal(1_500_250_000n);
      expect(parseAmount("1500.250000", USDC)).to.equal(1_500_250_000n);
      expect(parseAmount("1", { symbol: "X", decimals: 0 })).to.equal(1n);
      expect(parseThreshold("ppm", "99.9%")).to.equal(999_000n);
      expect(parseThreshold("ppm", "99.9999%")).to.equal(999_999n);
      expect(parseThreshold("ppm", "999000ppm")).to.equal(999_000n);
      expect(parseThreshold("ms", "300ms")).to.equal(300n);
      expect(parseThreshold("ms", "1.5s")).to.equal(1_500n);
    });

    it("formats back to human units", function () {
      expect(formatAmount(1_500_250_000n, USDC)).to.equal("1500.25 USDC");
      expect(formatAmount(1n, USDC)).to.equal("0.000001 USDC");
      expect(formatCut(250n)).to.equal("2.5%");
      expect(formatCut(10_000n)).to.equal("100%");
      expect(formatTime(NOW)).to.equal("2030-01-01T00:00:00Z");
      expect(formatDuration(129_600n)).to.equal("1d 12h");
      expect(formatMetricValue("availability_ppm", 999_000n)).to.equal("99.9%");
      expect(formatMetricValue("latency_p95_ms", 300n)).to.equal("300ms");
    });

    it("gives each metric the direction its name implies", function () {
      const c = converted((t) => {
        t.metrics = ["availability_ppm", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"].map((name) => ({
          name,
          tiers: [{ threshold: name === "availability_ppm" ? "99%" : "1s", cut: "1%" }],
        }));
      });
      expect(c.terms.metrics.map((m) => m.higherIsBetter)).to.deep.equal([true, false, false, false]);
    });
  });

  describe("rules (one test each, exact message)", function () {
    it("collects every error at once", function () {
      expect(
        errorsOf((t) => {
          t.vendor = CLIENT;
          t.metrics[0].tiers[1].cut = "120%";
          t.milestones[2].due = "2030-02-15T00:00:00Z";
        }),
      ).to.deep.equal([
        "vendor: must differ from client",
        'metrics[0].tiers[1].cut: "120%" is above 100%',
        "milestones[2].due: must be after milestones[1].due",
      ]);
    });

    context("the file", function () {
      it("must be a JSON object", function () {
        expect(checkTerms([], ENV).errors).to.deep.equal(["(file): must be a JSON object with the terms' fields"]);
      });
      it("rejects unknown fields", function () {
        expect(errorsOf((t) => (t.arbitrater = ARBITRATOR))).to.deep.equal([
          "arbitrater: unknown field (known: description, token, client, vendor, arbitrator, start, attestGrace, " +
            "disputeWindow, arbitrationTimeout, silentCut, oracles, threshold, metricSpec, metrics, milestones, schedule)",
        ]);
      });
      it("requires every field without a default", function () {
        const errors = errorsOf((t) => {
          for (const key of [
            "token",
            "vendor",
            "start",
            "attestGrace",
            "silentCut",
            "oracles",
            "threshold",
            "metrics",
            "milestones",
          ]) {
            delete t[key];
          }
        });
        expect(errors).to.deep.equal([
          "token: is required",
          "vendor: is required",
          "start: is required",
          "attestGrace: is required",
          "silentCut: is required",
          "oracles: is required",
          "threshold: is required",
          "metrics: is required",
          "milestones: is required (or give a schedule)",
        ]);
      });
      it("checks the type of a field", function () {
        expect(errorsOf((t) => (t.attestGrace = 259200))).to.deep.equal([
          'attestGrace: must be a string like "3d", got 259200',
        ]);
      });
      it("wants description as text", function () {
        expect(errorsOf((t) => (t.description = 1))).to.deep.equal(["description: must be a string, got 1"]);
      });
    });

    context("token", function () {
      it("reports why the token could not be resolved", function () {
        expect(errorsOf(() => undefined, { ...ENV, token: { error: '"XYZ" is not deployed' } })).to.deep.equal([
          'token: "XYZ" is not deployed',
        ]);
      });
    });

    context("parties", function () {
      it("client: must be an address", function () {
        expect(errorsOf((t) => (t.client = "0x1234"))).to.deep.equal(['client: "0x1234" is not an address']);
      });
      it("client: rejects a wrong checksum", function () {
        const bad = CLIENT.replace("C51812dc", "c51812dc");
        expect(errorsOf((t) => (t.client = bad))).to.deep.equal([
          `client: "${bad}" has a wrong checksum (check its letter case)`,
        ]);
      });
      it("client: must be the sending account", function () {
        expect(errorsOf((t) => (t.client = O1))).to.deep.equal([
          `client: ${O1} is not the sending account ${CLIENT}; the client must send the proposal itself ` +
            "(choose the account with --from)",
        ]);
      });
      it("vendor: must not be the zero address", function () {
        expect(errorsOf((t) => (t.vendor = ZeroAddress))).to.deep.equal(["vendor: must not be the zero address"]);
      });
      it("vendor: must differ from client", function () {
        expect(errorsOf((t) => (t.vendor = CLIENT.toLowerCase()))).to.deep.equal(["vendor: must differ from client"]);
      });
      it("arbitrator: must differ from client", function () {
        expect(errorsOf((t) => (t.arbitrator = CLIENT))).to.deep.equal(["arbitrator: must differ from client"]);
      });
      it("arbitrator: must differ from vendor", function () {
        expect(errorsOf((t) => (t.arbitrator = VENDOR))).to.deep.equal(["arbitrator: must differ from vendor"]);
      });
      it("disputeWindow and arbitrationTimeout: required with an arbitrator", function () {
        expect(
          errorsOf((t) => {
            delete t.disputeWindow;
            delete t.arbitrationTimeout;
          }),
        ).to.deep.equal(["disputeWindow: is required", "arbitrationTimeout: is required"]);
      });
      it("disputeWindow: more than 0 with an arbitrator", function () {
        expect(errorsOf((t) => (t.disputeWindow = "0s"))).to.deep.equal([
          "disputeWindow: must be more than 0 when there is an arbitrator (else nobody could dispute)",
        ]);
      });
      it("arbitrationTimeout: more than 0 with an arbitrator", function () {
        expect(errorsOf((t) => (t.arbitrationTimeout = "0m"))).to.deep.equal([
          "arbitrationTimeout: must be more than 0 when there is an arbitrator (else the arbitrator has no time to decide)",
        ]);
      });
    });

    context("dates and durations", function () {
      it("start: ISO-8601 with a time and an offset", function () {
        expect(errorsOf((t) => (t.start = "2030-01-01T00:00:00"))).to.deep.equal([
          'start: "2030-01-01T00:00:00" is not an ISO-8601 date with a time and an offset, e.g. "2030-01-01T00:00:00Z"',
        ]);
      });
      it("start: a real calendar date", function () {
        expect(errorsOf((t) => (t.start = "2029-02-29T00:00:00Z"))).to.deep.equal([
          'start: "2029-02-29T00:00:00Z" is not a valid date',
        ]);
      });
      it("start: whole seconds", function () {
        expect(errorsOf((t) => (t.start = "2030-01-01T00:00:00.5Z"))).to.deep.equal([
          'start: "2030-01-01T00:00:00.5Z" is not a whole second',
        ]);
      });
      it("start: not before 1970", function () {
        expect(errorsOf((t) => (t.start = "1969-12-31T23:59:59Z"))).to.deep.equal([
          'start: "1969-12-31T23:59:59Z" is before 1970-01-01T00:00:00Z',
        ]);
      });
      it("start: before the first milestone's due time", function () {
        expect(errorsOf((t) => (t.start = "2030-02-01T00:00:00Z"))).to.deep.equal([
          "start: must be before the first milestone's due time (2030-02-01T00:00:00Z)",
        ]);
      });
      it("durations: a number and a unit (w, d, h, m, s)", function () {
        expect(errorsOf((t) => (t.attestGrace = "3 days"))).to.deep.equal([
          'attestGrace: "3 days" is not a duration like "3d", "12h", "90m" or "45s"',
        ]);
      });
      it("durations: at most 2^32 - 1 seconds", function () {
        expect(errorsOf((t) => (t.arbitrationTimeout = "49711d"))).to.deep.equal([
          'arbitrationTimeout: "49711d" is more than 4294967295 seconds (the escrow stores 32 bits)',
        ]);
      });
    });

    context("cuts", function () {
      it("a percentage", function () {
        expect(errorsOf((t) => (t.silentCut = "0.5"))).to.deep.equal([
          'silentCut: "0.5" is not a percentage like "25%" or "2.5%"',
        ]);
      });
      it("at most 100%", function () {
        expect(errorsOf((t) => (t.silentCut = "100.01%"))).to.deep.equal(['silentCut: "100.01%" is above 100%']);
      });
      it("exact to the basis point", function () {
        expect(errorsOf((t) => (t.metrics[1].tiers[0].cut = "2.555%"))).to.deep.equal([
          'metrics[1].tiers[0].cut: "2.555%" is finer than a basis point (0.01%)',
        ]);
      });
      it("tier cut at most 100%", function () {
        expect(errorsOf((t) => (t.metrics[0].tiers[1].cut = "120%"))).to.deep.equal([
          'metrics[0].tiers[1].cut: "120%" is above 100%',
        ]);
      });
    });

    context("oracles and threshold", function () {
      it("1 to 16 oracles", function () {
        expect(errorsOf((t) => (t.oracles = []))).to.deep.equal([
          "oracles: must list 1 to 16 addresses, got 0",
          "threshold: must be between 1 and the number of oracles (0), got 2",
        ]);
        const many = Array.from({ length: 17 }, (_, i) => "0x" + (i + 1).toString(16).padStart(40, "0"));
        expect(errorsOf((t) => (t.oracles = many))).to.deep.equal(["oracles: must list 1 to 16 addresses, got 17"]);
      });
      it("each an address", function () {
        expect(errorsOf((t) => (t.oracles = [O1, "oracle-2", O3]))).to.deep.equal([
          'oracles[1]: "oracle-2" is not an address',
        ]);
      });
      it("no zero address", function () {
        expect(errorsOf((t) => (t.oracles = [O1, ZeroAddress, O3]))).to.deep.equal([
          "oracles[1]: must not be the zero address",
        ]);
      });
      it("no duplicates (in any letter case)", function () {
        expect(errorsOf((t) => (t.oracles = [O1, O2, O1.toLowerCase()]))).to.deep.equal([
          `oracles[2]: duplicates oracles[0] (${O1})`,
        ]);
      });
      it("threshold: a whole number", function () {
        expect(errorsOf((t) => (t.threshold = "2"))).to.deep.equal([
          'threshold: must be a whole number of oracle signatures, got "2"',
        ]);
      });
      it("threshold: from 1 to the number of oracles", function () {
        expect(errorsOf((t) => (t.threshold = 0))).to.deep.equal([
          "threshold: must be between 1 and the number of oracles (3), got 0",
        ]);
        expect(errorsOf((t) => (t.threshold = 4))).to.deep.equal([
          "threshold: must be between 1 and the number of oracles (3), got 4",
        ]);
      });
    });

    context("metrics", function () {
      it("1 to 8 metrics", function () {
        expect(errorsOf((t) => (t.metrics = []))).to.deep.equal(["metrics: must list 1 to 8 metrics, got 0"]);
      });
      it("a known name", function () {
        expect(errorsOf((t) => (t.metrics[1].name = "error_rate"))).to.deep.equal([
          'metrics[1].name: "error_rate" is not a known metric (availability_ppm, latency_p50_ms, latency_p95_ms, latency_p99_ms; other metrics need a "metricSpec" file)',
        ]);
      });
      it("each name once", function () {
        expect(errorsOf((t) => (t.metrics[1].name = "availability_ppm"))).to.deep.equal([
          'metrics[1].name: "availability_ppm" is already metrics[0]',
          'metrics[1].tiers[0].threshold: "300ms" is not a ratio like "99.9%" or "999000ppm" (parts per million)',
        ]);
      });
      it("1 to 8 tiers", function () {
        expect(errorsOf((t) => (t.metrics[1].tiers = []))).to.deep.equal([
          "metrics[1].tiers: must list 1 to 8 tiers, got 0",
        ]);
        const nine = Array.from({ length: 9 }, (_, i) => ({ threshold: `${100 + i}ms`, cut: "1%" }));
        expect(errorsOf((t) => (t.metrics[1].tiers = nine))).to.deep.equal([
          "metrics[1].tiers: must list 1 to 8 tiers, got 9",
        ]);
      });
      it("tiers: objects with threshold and cut only", function () {
        expect(
          errorsOf((t) => {
            t.metrics[0].tiers[0].below = "99%";
            t.metrics[1].tiers = ["300ms" as unknown as Record<string, unknown>];
          }),
        ).to.deep.equal([
          "metrics[0].tiers[0].below: unknown field (known: threshold, cut)",
          'metrics[1].tiers[0]: must be an object, got "300ms"',
        ]);
      });
      it("availability: a percentage or ppm", function () {
        expect(errorsOf((t) => (t.metrics[0].tiers[0].threshold = "0.999"))).to.deep.equal([
          'metrics[0].tiers[0].threshold: "0.999" is not a ratio like "99.9%" or "999000ppm" (parts per million)',
        ]);
      });
      it("availability: at most 100%", function () {
        expect(errorsOf((t) => (t.metrics[0].tiers[0].threshold = "1000001ppm"))).to.deep.equal([
          'metrics[0].tiers[0].threshold: "1000001ppm" is above 100%',
        ]);
      });
      it("availability: exact to 1 ppm", function () {
        expect(errorsOf((t) => (t.metrics[0].tiers[0].threshold = "99.99995%"))).to.deep.equal([
          'metrics[0].tiers[0].threshold: "99.99995%" is finer than 1 ppm (0.0001%)',
        ]);
      });
      it("latency: milliseconds or seconds", function () {
        expect(errorsOf((t) => (t.metrics[1].tiers[0].threshold = "300"))).to.deep.equal([
          'metrics[1].tiers[0].threshold: "300" is not a duration like "300ms" (ms, s, min, h or d)',
        ]);
      });
      it("latency: exact to 1 ms", function () {
        expect(errorsOf((t) => (t.metrics[1].tiers[0].threshold = "0.0005s"))).to.deep.equal([
          'metrics[1].tiers[0].threshold: "0.0005s" is finer than 1 ms',
        ]);
      });
      it("latency: at most 2^32 - 1 ms", function () {
        expect(errorsOf((t) => (t.metrics[1].tiers[0].threshold = "4294968s"))).to.deep.equal([
          'metrics[1].tiers[0].threshold: "4294968s" is above 4294967295ms (the escrow stores 32 bits)',
        ]);
      });
    });

    context("milestones", function () {
      it("a list or a schedule, not both", function () {
        expect(errorsOf((t) => (t.schedule = { every: "30d", count: 1, amount: "1" }))).to.deep.equal([
          "milestones: give either milestones or schedule, not both",
        ]);
      });
      it("1 to 128 milestones", function () {
        expect(errorsOf((t) => (t.milestones = []))).to.deep.equal([
          "milestones: must list 1 to 128 milestones, got 0",
        ]);
        const many = Array.from({ length: 129 }, (_, i) => ({
          due: formatTime(NOW + BigInt(i + 1) * 3600n),
          amount: "1",
        }));
        expect(errorsOf((t) => (t.milestones = many))).to.deep.equal([
          "milestones: must list 1 to 128 milestones, got 129",
        ]);
      });
      it("amount: a string", function () {
        expect(errorsOf((t) => (t.milestones[0].amount = 1000))).to.deep.equal([
          'milestones[0].amount: must be a string like "1500.25" (JSON numbers can lose precision), got 1000',
        ]);
      });
      it("amount: a decimal number", function () {
        expect(errorsOf((t) => (t.milestones[0].amount = "1,000"))).to.deep.equal([
          'milestones[0].amount: "1,000" is not an amount like "1500.25"',
        ]);
      });
      it("amount: no more decimals than the token has", function () {
        expect(errorsOf((t) => (t.milestones[1].amount = "1500.2500001"))).to.deep.equal([
          'milestones[1].amount: "1500.2500001" has 7 decimals; USDC has 6',
        ]);
      });
      it("amount: more than 0", function () {
        expect(errorsOf((t) => (t.milestones[2].amount = "0.000"))).to.deep.equal([
          "milestones[2].amount: must be more than 0",
        ]);
      });
      it("amount: at most 2^128 - 1 units", function () {
        const huge = (2n ** 128n).toString();
        expect(errorsOf((t) => (t.milestones[0].amount = huge))).to.deep.equal([
          `milestones[0].amount: "${huge}" is above the largest amount the escrow stores (2^128 - 1 units)`,
        ]);
      });
      it("due: strictly ascending", function () {
        expect(
          errorsOf((t) => {
            t.milestones.push({ due: "2030-04-01T00:00:00Z", amount: "1" });
          }),
        ).to.deep.equal(["milestones[3].due: must be after milestones[2].due"]);
      });
      it("due: the first in the future", function () {
        expect(errorsOf((t) => (t.start = "2029-01-01T00:00:00Z"), { ...ENV, now: 1_896_134_400n })).to.deep.equal([
          "milestones[0].due: 2030-02-01T00:00:00Z is not in the future (the chain's time is 2030-02-01T00:00:00Z)",
        ]);
      });
      it("milestones: objects with due and amount only", function () {
        expect(errorsOf((t) => (t.milestones[0].dueAt = 1))).to.deep.equal([
          "milestones[0].dueAt: unknown field (known: due, amount)",
        ]);
      });
    });

    context("schedule", function () {
      const schedule = (s: Record<string, unknown>) => (t: Raw) => {
        delete (t as Record<string, unknown>).milestones;
        t.schedule = s;
      };
      it("every: a duration of more than 0", function () {
        expect(errorsOf(schedule({ every: "0d", count: 2, amount: "1" }))).to.deep.equal([
          "schedule.every: must be more than 0",
        ]);
      });
      it("count: 1 to 128", function () {
        expect(errorsOf(schedule({ every: "30d", count: 129, amount: "1" }))).to.deep.equal([
          "schedule.count: must be a whole number from 1 to 128, got 129",
        ]);
      });
      it("amount: as in a milestone", function () {
        expect(errorsOf(schedule({ every: "30d", count: 2, amount: "0.0000001" }))).to.deep.equal([
          'schedule.amount: "0.0000001" has 7 decimals; USDC has 6',
        ]);
      });
      it("only known fields", function () {
        expect(errorsOf(schedule({ every: "30d", count: 2, amount: "1", start: "x" }))).to.deep.equal([
          "schedule.start: unknown field (known: every, count, amount, first)",
        ]);
      });
      it("first: after start", function () {
        expect(
          errorsOf(schedule({ every: "30d", count: 2, amount: "1", first: "2030-01-01T00:00:00Z" })),
        ).to.deep.equal([
          "schedule.first: milestone 0's due time 2030-01-01T00:00:00Z is not in the future (the chain's time is 2030-01-01T00:00:00Z)",
          "start: must be before the first milestone's due time (2030-01-01T00:00:00Z)",
        ]);
      });
      it("due times: not after the latest the escrow stores (40 bits)", function () {
        expect(errorsOf(schedule({ every: "13000000d", count: 1, amount: "1" }))).to.deep.equal([
          "schedule: milestone 0's due time +037622-10-17T00:00:00Z is after +036812-02-20T00:36:15Z, the latest the " +
            "escrow stores",
        ]);
      });
    });
  });

  describe("metric specs (a metricSpec file: names in its order, thresholds in each kind's unit)", function () {
    const SPECS = parseMetricSpecs(
      {
        metrics: [
          { name: "P1 response", kind: "tickets.response_within_target_ppm", priorities: ["P1"], targetSeconds: 3600 },
          { name: "Resolution p90", kind: "tickets.resolution_minutes", percentile: 90 },
          { name: "Handle time", kind: "calls.average_handle_seconds" },
          { name: "Invoices done", kind: "items.completed_count" },
        ],
      },
      "m.json",
    );
    const WITH = { ...ENV, specs: SPECS };
    const kpis = (t: Raw): void => {
      t.metricSpec = "m.json";
      t.metrics = [
        { name: "P1 response", tiers: [{ threshold: "95%", cut: "5%" }] },
        {
          name: "Resolution p90",
          tiers: [
            { threshold: "4h", cut: "10%" },
            { threshold: "1.5d", cut: "20%" },
          ],
        },
        { name: "Handle time", tiers: [{ threshold: "5min", cut: "2%" }] },
        { name: "Invoices done", tiers: [{ threshold: 1200, cut: "3%" }] },
      ];
    };

    it("converts thresholds in the kinds' units and takes each direction from its kind", function () {
      const t = base();
      kpis(t);
      const r = checkTerms(t, WITH);
      expect(r.errors).to.deep.equal([]);
      expect(r.terms!.metricNames).to.deep.equal(["P1 response", "Resolution p90", "Handle time", "Invoices done"]);
      expect(r.terms!.specs).to.deep.equal(SPECS);
      expect(r.terms!.terms.metrics).to.deep.equal([
        { higherIsBetter: true, tiers: [{ threshold: 950_000n, cutBps: 500n }] },
        {
          higherIsBetter: false,
          tiers: [
            { threshold: 240n, cutBps: 1000n },
            { threshold: 2160n, cutBps: 2000n },
          ],
        },
        { higherIsBetter: false, tiers: [{ threshold: 300n, cutBps: 200n }] },
        { higherIsBetter: true, tiers: [{ threshold: 1200n, cutBps: 300n }] },
      ]);
    });

    it("names each metric of the spec, in its order, and each threshold in its unit", function () {
      expect(
        errorsOf((t) => {
          kpis(t);
          t.metrics[0].name = "Resolution p90";
          t.metrics[1].name = "P2 response";
          t.metrics[2].tiers[0].threshold = "90";
          t.metrics[3].tiers[0].threshold = "1200 items";
        }, WITH),
      ).to.deep.equal([
        'metrics[0].name: "Resolution p90" is metric 1 of the metric spec, not metric 0 (list them in the spec\'s order)',
        'metrics[1].name: "P2 response" is not in the metric spec (its metrics: "P1 response", "Resolution p90", "Handle time", "Invoices done")',
        'metrics[2].tiers[0].threshold: "90" is not a duration like "20s" (ms, s, min, h or d)',
        'metrics[3].tiers[0].threshold: "1200 items" is not a whole number like 100',
      ]);
      expect(errorsOf((t) => (kpis(t), t.metrics.pop()), WITH)).to.deep.equal([
        'metrics: lists 3 metric(s), the metric spec 4 ("P1 response", "Resolution p90", "Handle time", "Invoices done"): the terms give tiers to each of the spec\'s metrics, in its order',
      ]);
      expect(errorsOf((t) => (kpis(t), (t.metrics[1].tiers[0].threshold = "90s")), WITH)).to.deep.equal([
        'metrics[1].tiers[0].threshold: "90s" is not a whole number of minutes',
      ]);
    });

    it("a metricSpec the tool could not read, or did not read, is an error at metricSpec", function () {
      expect(errorsOf(kpis, { ...ENV, specs: { error: "m.json: cannot be read (ENOENT)" } })).to.include(
        "metricSpec: m.json: cannot be read (ENOENT)",
      );
      expect(errorsOf((t) => (t.metricSpec = "m.json"))).to.deep.equal([
        'metricSpec: "m.json" was not read (this tool takes the metric spec file itself)',
      ]);
      expect(errorsOf((t) => (t.metricSpec = 3), WITH)).to.include(
        "metricSpec: must be the path of a metric spec file, got 3",
      );
    });

    it("reads the file's metricSpec relative to the terms file; --metric-spec wins; a bad spec names its file", function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sla-spec-"));
      const spec = path.join(dir, "m.json");
      fs.writeFileSync(spec, JSON.stringify({ metrics: SPECS.map(specJson) }));
      const t = base();
      kpis(t);
      expect(termsSpecs(t, { file: path.join(dir, "terms.json") })).to.deep.equal(SPECS);
      expect(termsSpecs(t, { file: path.join(dir, "terms.json"), metricSpec: spec })).to.deep.equal(SPECS);
      expect(termsSpecs(base(), { file: path.join(dir, "terms.json") })).to.equal(undefined);
      fs.writeFileSync(spec, JSON.stringify({ metrics: [{ name: "x", kind: "tickets.nope" }] }));
      const err = termsSpecs(t, { file: path.join(dir, "terms.json") }) as { error: string };
      expect(err.error).to.match(/^metricSpec .*m\.json: metrics\[0\]\.kind: "tickets\.nope" is not a kind/);
    });
  });

  describe("on chain", function () {
    it("resolves the token by symbol, deployment name, address or ETH, reading its decimals", async function () {
      const ctx = await setup();
      const tusd = { address: ctx.tokenAddress, symbol: "TUSD", decimals: 18 };
      expect(await resolveToken(hre, "TUSD")).to.deep.equal(tusd);
      expect(await resolveToken(hre, "tusd")).to.deep.equal(tusd);
      expect(await resolveToken(hre, "TestToken")).to.deep.equal(tusd);
      expect(await resolveToken(hre, ctx.tokenAddress.toLowerCase())).to.deep.equal(tusd);
      expect(await resolveToken(hre, "ETH")).to.deep.equal({ address: ZeroAddress, symbol: "ETH", decimals: 18 });
    });

    it("reports tokens that cannot be resolved", async function () {
      const ctx = await setup();
      const sender = ctx.client.address;
      const errorsFor = async (token: string) =>
        (await checkTermsOnChain(hre, { ...base(), client: sender, token }, sender)).errors[0];
      expect(await errorsFor("XYZ")).to.equal(
        'token: "XYZ" is neither "ETH", an address, nor the symbol of a token deployed on network "hardhat" (deployed: TUSD)',
      );
      expect(await errorsFor(ctx.vendor.address)).to.equal(
        `token: no contract at ${ctx.vendor.address} on network "hardhat"`,
      );
      expect(await errorsFor(ctx.escrowAddress)).to.equal(
        `token: ${ctx.escrowAddress} does not answer decimals() (not an ERC-20?)`,
      );
      // Two deployments with the same symbol: ambiguous.
      const other = await (await hre.ethers.getContractFactory("MockERC20Permit")).deploy("Other USD", "TUSD", 6);
      const artifact = await hre.deployments.getArtifact("MockERC20Permit");
      await hre.deployments.save("OtherToken", { address: await other.getAddress(), abi: artifact.abi });
      try {
        expect(await errorsFor("TUSD")).to.equal(
          `token: "TUSD" names several deployments: OtherToken (${await other.getAddress()}), TestToken ` +
            `(${ctx.tokenAddress}); give the address instead`,
        );
      } finally {
        await hre.deployments.delete("OtherToken");
      }
    });

    it("reads amounts with the token's decimals from the chain", async function () {
      const ctx = await setup();
      const six = await (await hre.ethers.getContractFactory("MockERC20Permit")).deploy("Six", "SIX", 6);
      const sender = ctx.client.address;
      const raw: Raw = { ...base(), client: sender, token: await six.getAddress() };
      raw.milestones[0].amount = "1.0000001";
      const start = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
      raw.start = formatTime(start);
      raw.milestones.forEach((m, i) => (m.due = formatTime(start + BigInt(i + 1) * 86_400n)));
      expect((await checkTermsOnChain(hre, raw, sender)).errors).to.deep.equal([
        'milestones[0].amount: "1.0000001" has 7 decimals; SIX has 6',
      ]);
      raw.milestones[0].amount = "1.000001";
      expect((await checkTermsOnChain(hre, raw, sender)).terms!.terms.milestones[0].amount).to.equal(1_000_001n);
    });

    it("rejects a missing file and malformed JSON", async function () {
      await setup();
      const [sender] = await hre.ethers.getSigners();
      let message = "";
      try {
        await loadTermsFile(hre, "/nonexistent/terms.json", sender.address);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).to.equal(
        "/nonexistent/terms.json: 1 error, nothing was sent:\n  (file): cannot be read (ENOENT)",
      );
      const bad = writeTerms('{ "token": "TUSD", }');
      try {
        await loadTermsFile(hre, bad, sender.address);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).to.match(/: 1 error, nothing was sent:\n {2}\(file\): is not valid JSON \(.+\)$/);
    });

    it("round-trips examples/terms.example.json exactly through createAgreement and getTerms", async function () {
      const ctx = await setup();
      // The example's dates (2030) must stay in the future of the chain's clock for this test.
      const file = "examples/terms.example.json";
      const expected = await loadTermsFile(hre, file, ctx.client.address);
      expect(expected.total).to.equal(6000n * 10n ** 18n);
      expect(expected.terms.milestones).to.have.length(6);
      expect(expected.terms.metrics).to.have.length(2);
      expect(expected.terms.oracles).to.have.length(3);
      expect(expected.terms.threshold).to.equal(2n);
      expect(expected.terms.arbitrator).to.equal(ctx.arbitrator.address);
      const { result: id, exitCode } = await runTask<bigint>("sla:create", { terms: file, from: "1", yes: true });
      expect(exitCode).to.equal(undefined);
      expect(await plainTerms(await ctx.escrow.getTerms(id))).to.deep.equal(expected.terms);
    });
  });
});
