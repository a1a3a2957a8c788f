/**
 * The daemon's fee arithmetic (scripts/oracle/run/fees.ts), pure: the first fees, replacements raised by at least
 * 12.5% rounded up, the cap, what a balance covers; and the per-network settings and flag parsing of `oracle run`
 * (scripts/adapters/networks.ts, scripts/oracle/run/tx-options.ts). The same rules against a real node are in
 * node-fees.test.ts.
 */
import { expect } from "chai";
import fc from "fast-check";
import { parseUnits } from "ethers";
import {
  DEFAULT_TIP_WEI,
  bumped,
  ceilDiv,
  formatEth,
  formatGwei,
  initialFees,
  isReplacement,
  parseGwei,
  postingsCovered,
  replacementFees,
} from "../../scripts/oracle/run/fees";
import { txOptionsFromArgs } from "../../scripts/oracle/run/tx-options";
import {
  ORACLE_FALLBACK,
  ORACLE_NETWORK_DEFAULTS,
  oracleNetworkSettings,
  varPrefix,
} from "../../scripts/adapters/networks";

const gwei = (s: string) => parseUnits(s, "gwei");
const wei = fc.bigInt({ min: 0n, max: 10n ** 15n });

describe("oracle fees (pure)", function () {
  describe("bumped", function () {
    it("is ceil(fee * 9 / 8), and at least fee + 1", function () {
      expect(bumped(8n)).to.equal(9n);
      expect(bumped(9n)).to.equal(11n); // 10.125 rounds up
      expect(bumped(1n)).to.equal(2n); // ceil(1.125) = 2
      expect(bumped(0n)).to.equal(1n); // a zero tip rises too
      expect(bumped(gwei("1"))).to.equal(gwei("1.125"));
      expect(bumped(1_000_000_001n)).to.equal(1_125_000_002n); // 1125000001.125 rounds up
    });

    it("is the least integer >= 1.125 * fee (property)", function () {
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), (x) => {
          const b = bumped(x);
          expect(b * 8n >= x * 9n, "at least +12.5%").to.equal(true);
          expect((b - 1n) * 8n < x * 9n || b === x + 1n, "the least such").to.equal(true);
        }),
      );
    });

    it("ceilDiv rounds up and refuses what it cannot do", function () {
      expect(ceilDiv(10n, 5n)).to.equal(2n);
      expect(ceilDiv(11n, 5n)).to.equal(3n);
      expect(ceilDiv(0n, 5n)).to.equal(0n);
      expect(() => ceilDiv(1n, 0n)).to.throw(RangeError);
    });
  });

  describe("initialFees", function () {
    it("is base fee x 2 + tip, the tip unchanged", function () {
      expect(initialFees(gwei("10"), gwei("1.5"), gwei("100"))).to.deep.equal({
        maxFeePerGas: gwei("21.5"),
        maxPriorityFeePerGas: gwei("1.5"),
        capped: false,
      });
    });

    it("stops at the cap, and the tip never exceeds maxFeePerGas", function () {
      expect(initialFees(gwei("60"), gwei("2"), gwei("100"))).to.deep.equal({
        maxFeePerGas: gwei("100"),
        maxPriorityFeePerGas: gwei("2"),
        capped: true,
      });
      expect(initialFees(0n, gwei("5"), gwei("3"))).to.deep.equal({
        maxFeePerGas: gwei("3"),
        maxPriorityFeePerGas: gwei("3"),
        capped: true,
      });
      expect(() => initialFees(1n, 1n, 0n)).to.throw(RangeError);
    });
  });

  describe("replacementFees", function () {
    const prev = { maxFeePerGas: gwei("20"), maxPriorityFeePerGas: gwei("1") };

    it("raises both fees by 12.5% when the chain asks for no more", function () {
      expect(
        replacementFees(prev, { maxFeePerGas: gwei("5"), maxPriorityFeePerGas: gwei("1") }, gwei("100")),
      ).to.deep.equal({ maxFeePerGas: gwei("22.5"), maxPriorityFeePerGas: gwei("1.125") });
    });

    it("follows the chain when its fees rose more than that", function () {
      expect(
        replacementFees(prev, { maxFeePerGas: gwei("61"), maxPriorityFeePerGas: gwei("3") }, gwei("100")),
      ).to.deep.equal({ maxFeePerGas: gwei("61"), maxPriorityFeePerGas: gwei("3") });
    });

    it("clamps to the cap while 12.5% still fits under it, then gives up", function () {
      expect(
        replacementFees(prev, { maxFeePerGas: gwei("200"), maxPriorityFeePerGas: gwei("2") }, gwei("23")),
      ).to.deep.equal({ maxFeePerGas: gwei("23"), maxPriorityFeePerGas: gwei("2") });
      expect(replacementFees({ maxFeePerGas: gwei("23"), maxPriorityFeePerGas: gwei("2") }, prev, gwei("23"))).to.equal(
        undefined,
      );
      // bumped(20) = 22.5 > 22.4: at the cap already.
      expect(replacementFees(prev, prev, gwei("22.4"))).to.equal(undefined);
    });

    it("keeps the tip under maxFeePerGas and still 12.5% above the last one", function () {
      const tipAtMax = { maxFeePerGas: gwei("8"), maxPriorityFeePerGas: gwei("8") };
      expect(
        replacementFees(tipAtMax, { maxFeePerGas: 0n, maxPriorityFeePerGas: gwei("50") }, gwei("100")),
      ).to.deep.equal({ maxFeePerGas: gwei("9"), maxPriorityFeePerGas: gwei("9") });
    });

    it("every replacement is a valid replacement under the cap, or none is possible (property)", function () {
      fc.assert(
        fc.property(wei, wei, wei, wei, fc.bigInt({ min: 1n, max: 10n ** 15n }), (m, t, fm, ft, cap) => {
          const p = { maxFeePerGas: m, maxPriorityFeePerGas: t <= m ? t : m };
          const fresh = { maxFeePerGas: fm, maxPriorityFeePerGas: ft <= fm ? ft : fm };
          const next = replacementFees(p, fresh, cap);
          if (bumped(p.maxFeePerGas) > cap) {
            expect(next).to.equal(undefined);
            return;
          }
          expect(next).to.not.equal(undefined);
          expect(isReplacement(p, next!), "both fees +12.5%").to.equal(true);
          expect(next!.maxFeePerGas <= cap).to.equal(true);
          expect(next!.maxPriorityFeePerGas <= next!.maxFeePerGas).to.equal(true);
          expect(next!.maxFeePerGas >= (fresh.maxFeePerGas < cap ? fresh.maxFeePerGas : cap)).to.equal(true);
        }),
      );
    });

    it("replacing again and again reaches the cap in finitely many steps, each +12.5%", function () {
      let fees = initialFees(gwei("1"), DEFAULT_TIP_WEI, gwei("50"));
      const cap = gwei("50");
      let steps = 0;
      for (;;) {
        const next = replacementFees(fees, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, cap);
        if (!next) break;
        expect(isReplacement(fees, next)).to.equal(true);
        fees = { ...next, capped: false };
        steps++;
      }
      // 3 gwei * 1.125^23 = 44.6 gwei; one more +12.5% would pass the cap of 50.
      expect(steps).to.equal(23);
      expect(fees.maxFeePerGas <= cap && bumped(fees.maxFeePerGas) > cap).to.equal(true);
    });
  });

  describe("postingsCovered", function () {
    it("counts the calls like those of the batch that the balance pays for", function () {
      // 100k gas at 10 gwei = 0.001 ETH per transaction of 1 call.
      expect(postingsCovered(parseUnits("0.0105", "ether"), 100_000n, gwei("10"), 1)).to.equal(10);
      // a batch of 4 calls in 200k gas: 50k gas per call.
      expect(postingsCovered(parseUnits("0.001", "ether"), 200_000n, gwei("10"), 4)).to.equal(2);
      expect(postingsCovered(0n, 100_000n, gwei("10"), 1)).to.equal(0);
      expect(postingsCovered(1n, 0n, 0n, 1)).to.equal(Number.MAX_SAFE_INTEGER);
    });
  });

  describe("units", function () {
    it("parses gwei, refusing what is not a positive amount and naming the flag", function () {
      expect(parseGwei("50", "--max-fee-gwei")).to.equal(gwei("50"));
      expect(parseGwei(" 0.05 ", "--max-fee-gwei")).to.equal(gwei("0.05"));
      expect(parseGwei("0.000000001", "X")).to.equal(1n);
      for (const bad of ["0", "-1", "abc", "1e3", "0.0000000001", ""]) {
        expect(() => parseGwei(bad, "--max-fee-gwei"), bad).to.throw(
          `--max-fee-gwei: "${bad}" is not a positive amount of gwei`,
        );
      }
    });

    it("formats gwei and ETH without trailing zeros", function () {
      expect(formatGwei(gwei("1.5"))).to.equal("1.5");
      expect(formatGwei(gwei("200"))).to.equal("200");
      expect(formatGwei(7n)).to.equal("0.000000007");
      expect(formatEth(parseUnits("0.0012", "ether"))).to.equal("0.0012");
      expect(formatEth(0n)).to.equal("0");
    });
  });
});

describe("oracle run: fee and finality settings per network", function () {
  it("names each network's variables after it", function () {
    expect(varPrefix("sepolia")).to.equal("SEPOLIA");
    expect(varPrefix("baseSepolia")).to.equal("BASE_SEPOLIA");
    expect(varPrefix("arbitrumSepolia")).to.equal("ARBITRUM_SEPOLIA");
    expect(varPrefix("e2e")).to.equal("E2E");
  });

  it("takes the variable, then the Hardhat config's oracle field, then the table, then the fallback", function () {
    expect(oracleNetworkSettings("sepolia", {}, {})).to.deep.equal({
      confirmations: { value: "3", source: "the default for sepolia (scripts/adapters/networks.ts)" },
      maxFeeGwei: { value: "200", source: "the default for sepolia (scripts/adapters/networks.ts)" },
    });
    expect(
      oracleNetworkSettings(
        "baseSepolia",
        { oracle: { confirmations: 8 } },
        { BASE_SEPOLIA_ORACLE_MAX_FEE_GWEI: "0.5" },
      ),
    ).to.deep.equal({
      confirmations: { value: "8", source: "the Hardhat config (networks.baseSepolia.oracle.confirmations)" },
      maxFeeGwei: { value: "0.5", source: "BASE_SEPOLIA_ORACLE_MAX_FEE_GWEI" },
    });
    expect(oracleNetworkSettings("e2e", undefined, { E2E_ORACLE_CONFIRMATIONS: " " }).confirmations.value).to.equal(
      String(ORACLE_FALLBACK.confirmations),
    );
    for (const name of ["hardhat", "localhost", "sepolia", "baseSepolia", "opSepolia", "arbitrumSepolia"])
      expect(ORACLE_NETWORK_DEFAULTS[name], name).to.have.keys("confirmations", "maxFeeGwei");
  });

  it("parses the flags over the network's settings, naming the flag or variable of a bad value", function () {
    const o = txOptionsFromArgs("sepolia", {}, {}, {});
    expect(o).to.deep.include({
      maxFeePerGas: gwei("200"),
      confirmations: 3,
      bumpAfterBlocks: 3,
      bumpAfterSeconds: 60,
      minPostings: 10,
      waitMs: 60_000,
      failAfterWait: false,
    });
    const f = txOptionsFromArgs(
      "sepolia",
      {},
      {
        maxFeeGwei: "35.5",
        confirmations: "1",
        bumpAfterBlocks: "2",
        bumpAfterSeconds: "7.5",
        minPostings: "0",
        once: true,
      },
      { SEPOLIA_ORACLE_MAX_FEE_GWEI: "1" },
    );
    expect(f).to.deep.include({
      maxFeePerGas: gwei("35.5"),
      maxFeeSource: "--max-fee-gwei",
      confirmations: 1,
      bumpAfterBlocks: 2,
      bumpAfterSeconds: 7.5,
      minPostings: 0,
      waitMs: 120_000,
      failAfterWait: true,
    });
    const bad: [Record<string, string>, Record<string, string>, string][] = [
      [{ confirmations: "0" }, {}, `--confirmations: "0" is not a whole number >= 1`],
      [{ confirmations: "2.5" }, {}, `--confirmations: "2.5" is not a whole number >= 1`],
      [{ bumpAfterBlocks: "x" }, {}, `--bump-after-blocks: "x" is not a whole number >= 1`],
      [{ bumpAfterSeconds: "0" }, {}, `--bump-after-seconds: "0" is not a number of seconds > 0`],
      [{ minPostings: "-1" }, {}, `--min-postings: "-1" is not a whole number >= 0`],
      [{ maxFeeGwei: "free" }, {}, `--max-fee-gwei: "free" is not a positive amount of gwei`],
      [{}, { SEPOLIA_ORACLE_CONFIRMATIONS: "many" }, `SEPOLIA_ORACLE_CONFIRMATIONS: "many" is not a whole number >= 1`],
      [{}, { SEPOLIA_ORACLE_MAX_FEE_GWEI: "0" }, `SEPOLIA_ORACLE_MAX_FEE_GWEI: "0" is not a positive amount of gwei`],
    ];
    for (const [args, env, message] of bad) expect(() => txOptionsFromArgs("sepolia", {}, args, env)).to.throw(message);
  });
});
