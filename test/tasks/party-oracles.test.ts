/**
 * Oracles that are parties (scripts/lib/party-oracles.ts): the warning every tool that shows terms prints when
 * the client's, the vendor's or the arbitrator's oracles can meet the threshold without an independent oracle.
 */
import { expect } from "chai";
import { partyOracleWarnings, partyOracles, partyQuorums } from "../../scripts/lib/party-oracles";

const CLIENT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const VENDOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const ARBITRATOR = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const O1 = "0x976EA74026E726554dB657fA54763abd0C3a0aa9";
const O2 = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955";
const ZERO = "0x0000000000000000000000000000000000000000";

const terms = (oracles: string[], threshold: number, arbitrator = ARBITRATOR) => ({
  client: CLIENT,
  vendor: VENDOR,
  arbitrator,
  oracles,
  threshold: BigInt(threshold),
});

describe("party oracles", function () {
  it("finds the oracles that are parties, by index and role, whatever the address case", function () {
    expect(partyOracles(terms([O2, VENDOR.toLowerCase(), O1, ARBITRATOR], 2))).to.deep.equal([
      { index: 1, address: VENDOR.toLowerCase(), role: "vendor" },
      { index: 3, address: ARBITRATOR, role: "arbitrator" },
    ]);
    expect(partyOracles(terms([O1, O2], 1))).to.deep.equal([]);
    // No arbitrator: address(0) is nobody, even if it were listed.
    expect(partyOracles(terms([ZERO, O1], 1, ZERO))).to.deep.equal([]);
  });

  it("warns for the vendor alone at threshold 1: the vendor can attest its own service", function () {
    expect(partyOracleWarnings(terms([O2, VENDOR, O1], 1))).to.deep.equal([
      `warning: oracles ${VENDOR} (vendor) alone meet the threshold 1 of 3: the vendor can attest its own service`,
    ]);
  });

  it("warns once per party oracle at threshold 1, each with what that party could do", function () {
    expect(partyOracleWarnings(terms([CLIENT, O1, ARBITRATOR], 1))).to.deep.equal([
      `warning: oracles ${CLIENT} (client) alone meet the threshold 1 of 3: the client can attest the vendor's ` +
        "service on its own and so set the cut it gets back",
      `warning: oracles ${ARBITRATOR} (arbitrator) alone meet the threshold 1 of 3: the arbitrator can attest on ` +
        "its own, and then rule on a dispute of its own attestation",
    ]);
  });

  it("warns once, naming them all, when the party oracles together meet a threshold above 1", function () {
    const q = partyQuorums(terms([CLIENT, VENDOR, ARBITRATOR, O1], 3));
    expect(q.map((x) => [x.oracles.map((o) => o.role), x.threshold, x.oracleCount])).to.deep.equal([
      [["client", "vendor", "arbitrator"], 3, 4],
    ]);
    expect(q[0].message).to.equal(
      `warning: oracles ${CLIENT} (client), ${VENDOR} (vendor), ${ARBITRATOR} (arbitrator) alone meet the ` +
        "threshold 3 of 4: the client, the vendor and the arbitrator can attest between themselves, without an " +
        "independent oracle",
    );
    expect(partyOracleWarnings(terms([VENDOR, ARBITRATOR, O1], 2))).to.deep.equal([
      `warning: oracles ${VENDOR} (vendor), ${ARBITRATOR} (arbitrator) alone meet the threshold 2 of 3: the ` +
        "vendor and the arbitrator can attest between themselves, without an independent oracle",
    ]);
  });

  it("does not warn when the party oracles cannot meet the threshold alone", function () {
    expect(partyOracleWarnings(terms([CLIENT, VENDOR, O1, O2], 3))).to.deep.equal([]);
    expect(partyOracleWarnings(terms([VENDOR, O1, O2], 2))).to.deep.equal([]);
    expect(partyOracleWarnings(terms([O1, O2], 1))).to.deep.equal([]);
  });
});
