/**
 * Oracles that are parties. Creation lets the client, the vendor or the arbitrator be one of the oracles (the
 * vendor's own monitoring beside the client's and a third party's is a supported case); what matters is whether
 * the oracles that are parties can meet the threshold on their own, with no independent oracle signing. Every tool
 * that shows or previews terms (`sla:create`, `sla:accept`, later the web page) warns when they can.
 *
 * Pure and import-free, so that the tasks and the web page share it.
 */

export type PartyRole = "client" | "vendor" | "arbitrator";

/** The fields of the terms the check reads (addresses in any case; `arbitrator` address(0) = none). */
export interface PartyOracleTerms {
  client: string;
  vendor: string;
  arbitrator: string;
  oracles: readonly string[];
  threshold: bigint | number;
}

/** An oracle that is a party: its index in `oracles`, its address as given there, and the party it is. */
export interface PartyOracle {
  index: number;
  address: string;
  role: PartyRole;
}

/** One way the parties' own oracles meet the threshold without an independent oracle. */
export interface PartyQuorum {
  /** The oracles that meet it (one party when the threshold is 1, else every oracle that is a party). */
  oracles: PartyOracle[];
  threshold: number;
  oracleCount: number;
  /** `warning: oracles 0x.. (vendor) alone meet the threshold 1 of 3: the vendor can attest its own service`. */
  message: string;
}

const ZERO = "0x0000000000000000000000000000000000000000";

/** The oracles that are the client, the vendor or the arbitrator, in oracle order. */
export function partyOracles(terms: PartyOracleTerms): PartyOracle[] {
  const roles: [PartyRole, string][] = [
    ["client", terms.client],
    ["vendor", terms.vendor],
    ["arbitrator", terms.arbitrator],
  ];
  const out: PartyOracle[] = [];
  terms.oracles.forEach((address, index) => {
    const role = roles.find(
      ([, party]) => party.toLowerCase() !== ZERO && party.toLowerCase() === address.toLowerCase(),
    );
    if (role !== undefined) out.push({ index, address, role: role[0] });
  });
  return out;
}

const CONSEQUENCE: Record<PartyRole, string> = {
  vendor: "the vendor can attest its own service",
  client: "the client can attest the vendor's service on its own and so set the cut it gets back",
  arbitrator: "the arbitrator can attest on its own, and then rule on a dispute of its own attestation",
};

/**
 * Every way the oracles that are parties meet the threshold alone, each with its warning; empty when an
 * independent oracle must always sign. Threshold 1: each party oracle alone; above 1: all party oracles together
 * (each party is at most one oracle, since oracles are distinct and the parties are distinct).
 */
export function partyQuorums(terms: PartyOracleTerms): PartyQuorum[] {
  const threshold = Number(terms.threshold);
  const oracleCount = terms.oracles.length;
  const parties = partyOracles(terms);
  if (threshold < 1 || parties.length < threshold) return [];
  const meets = `the threshold ${threshold} of ${oracleCount}`;
  if (threshold === 1) {
    return parties.map((p) => ({
      oracles: [p],
      threshold,
      oracleCount,
      message: `warning: oracles ${p.address} (${p.role}) alone meet ${meets}: ${CONSEQUENCE[p.role]}`,
    }));
  }
  const names = parties.map((p) => `${p.address} (${p.role})`).join(", ");
  const who = parties.map((p) => `the ${p.role}`);
  const together = who.length === 2 ? who.join(" and ") : `${who.slice(0, -1).join(", ")} and ${who[who.length - 1]}`;
  return [
    {
      oracles: parties,
      threshold,
      oracleCount,
      message:
        `warning: oracles ${names} alone meet ${meets}: ${together} can attest between themselves, ` +
        "without an independent oracle",
    },
  ];
}

/** The warnings of {@link partyQuorums}, one line each. */
export function partyOracleWarnings(terms: PartyOracleTerms): string[] {
  return partyQuorums(terms).map((q) => q.message);
}
