/**
 * Shared behaviours of the role checks, in OpenZeppelin's `*.behavior` style: who may call what. Each function
 * declares the `it`s of one check, one per caller, and the contract test files call it where the check belongs
 * (accept, cancel and terminate in SLAEscrow.lifecycle, dispute and resolveDispute in SLAEscrow.settlement, ...).
 *
 * - shouldRejectCallersOtherThan(reserved, check): the call is reserved to the client, the vendor, the parties
 *   (client or vendor) or the arbitrator; every other caller is refused with the role's error naming it
 *   (NotClient(caller), NotVendor(caller), NotParty(caller), NotArbitrator(caller)).
 * - shouldRejectContractCallers(cases, it): a party's EOA that sends the call through a contract that is not a
 *   party is refused, and the error names the contract (the escrow checks msg.sender, never tx.origin).
 * - shouldAcceptAnyCaller(check): a call open to anyone (e.g. relaying an attestation) succeeds from each caller.
 *
 * Titles: SECURITY.md cites tests by file, describe/context path and `it` title, and test/docs/security-map.test.ts
 * looks for the literal `it("...")` in the cited file. So a file whose role checks are cited passes its own `it`
 * (a `Declare`: `(caller, test) => it(\`... ${caller}\`, test)`), which keeps the title where SECURITY.md says it
 * is; the behaviour calls it once per caller with the test's body. Without one, the behaviour titles the tests
 * itself, the same way.
 */
import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import { type Context, setup } from "./fixture";
import { contractAccount, expectNothingChanged } from "./lifecycle";

/** The fixture's accounts by role; "oracle" is one of its three oracles (`RoleCheck.oracle`, default the first). */
export type Role = "client" | "vendor" | "arbitrator" | "oracle" | "relayer" | "stranger";

/** The roles a call can be reserved to, and the error that names any other caller. */
export const ROLE_ERRORS = {
  client: "NotClient",
  vendor: "NotVendor",
  /** the client or the vendor */
  parties: "NotParty",
  arbitrator: "NotArbitrator",
} as const;
export type Reserved = keyof typeof ROLE_ERRORS;

/** Who holds each reserved role: a check must not list them among the callers it expects refused. */
const HOLDERS: Record<Reserved, readonly Role[]> = {
  client: ["client"],
  vendor: ["vendor"],
  parties: ["client", "vendor"],
  arbitrator: ["arbitrator"],
};

/** The fixture's signer for `role` (`oracle`: which of the three oracles plays "oracle"). */
export function signerOf(ctx: Context, role: Role, oracle = 0): HardhatEthersSigner {
  return role === "oracle" ? ctx.oracles[oracle] : ctx[role];
}

/** Declares one test for `caller`: `(caller, test) => it(\`title with ${caller}\`, test)`. */
export type Declare<T> = (caller: T, test: () => Promise<void>) => void;

/** A call reserved to some role, and how each caller outside it is refused. */
export interface RoleCheck<S> {
  /** The callers that must be refused, in the order their tests are declared. */
  callers: readonly Role[];
  /** Prepares the state the call is made in (on a fresh fixture) and returns what the call needs. */
  given(ctx: Context): Promise<S>;
  /** Sends the call as `caller`. */
  send(ctx: Context, state: S, caller: HardhatEthersSigner): Promise<ContractTransactionResponse>;
  /** Which of the fixture's oracles plays "oracle" (default 0). */
  oracle?: number;
  /** Also check that the refused call changed no status, ETH or token balance, or credit (expectNothingChanged). */
  nothingChanged?: boolean;
  /** Checks after the refusal, e.g. that the agreement or the milestone kept its state. */
  after?(ctx: Context, state: S): Promise<void>;
  /** Declares each caller's test; by default ``it(`should revert with ${error}(caller) for the ${role}`)``. */
  it?: Declare<Role>;
}

/**
 * Declares one test per caller of `check.callers`: on a fresh fixture and the state `check.given` prepares, the
 * call sent by that caller reverts with the reserved role's error naming the caller (`withArgs(caller)`), then
 * `check.after` (and, with `nothingChanged`, nothing changed).
 */
export function shouldRejectCallersOtherThan<S>(reserved: Reserved, check: RoleCheck<S>): void {
  const error = ROLE_ERRORS[reserved];
  const holders = check.callers.filter((role) => HOLDERS[reserved].includes(role));
  if (holders.length > 0) throw new Error(`${error} check lists callers that hold the role: ${holders.join(", ")}`);
  const declare: Declare<Role> =
    check.it ?? ((role, test) => it(`should revert with ${error}(caller) for the ${role}`, test));
  for (const role of check.callers) {
    declare(role, async function () {
      const ctx = await setup();
      const state = await check.given(ctx);
      const caller = signerOf(ctx, role, check.oracle);
      const refused = async (): Promise<void> => {
        await expect(check.send(ctx, state, caller))
          .to.be.revertedWithCustomError(ctx.escrow, error)
          .withArgs(caller.address);
      };
      if (check.nothingChanged) await expectNothingChanged(ctx, refused);
      else await refused();
      await check.after?.(ctx, state);
    });
  }
}

/** A call that a party's EOA sends through a contract account (MockEthReceiver) that is not a party. */
export interface ContractCallerCheck {
  /** Whose EOA drives the contract. */
  driver: "client" | "vendor" | "arbitrator";
  /** Prepares the state; returns the escrow call, the error expected and its arguments (the contract's address). */
  prepare(ctx: Context, contract: string): Promise<{ data: string; error: string; args: unknown[] }>;
}

/**
 * Declares one test per case (`name` → check): the driver's contract sends the call and is refused with the
 * error naming the contract, and nothing changed (statuses, balances and credits, the contract's included).
 * `declare` gets the case's name and driver.
 */
export function shouldRejectContractCallers(
  cases: Record<string, ContractCallerCheck>,
  declare: (name: string, driver: ContractCallerCheck["driver"], test: () => Promise<void>) => void,
): void {
  for (const [name, { driver, prepare }] of Object.entries(cases)) {
    declare(name, driver, async function () {
      const ctx = await setup();
      const contract = await contractAccount(ctx[driver]);
      const { data, error, args } = await prepare(ctx, contract.address);
      await expectNothingChanged(
        ctx,
        async () => {
          await expect(contract.call(ctx.escrowAddress, data))
            .to.be.revertedWithCustomError(ctx.escrow, error)
            .withArgs(...args);
        },
        [],
        [contract.address],
      );
    });
  }
}

/** A call open to anyone, and what its success looks like. */
export interface OpenCall<S> {
  /** The callers to try, in the order their tests are declared. */
  callers: readonly Role[];
  /** Prepares the state the call is made in (on a fresh fixture) and returns what the call needs. */
  given(ctx: Context): Promise<S>;
  /** Sends the call as `caller` and checks that it succeeded. */
  expectAccepted(ctx: Context, state: S, caller: HardhatEthersSigner): Promise<void>;
  /** Which of the fixture's oracles plays "oracle" (default 0). */
  oracle?: number;
  /** Declares each caller's test; by default ``it(`should accept it from the ${role}`)``. */
  it?: Declare<Role>;
}

/** Declares one test per caller of `check.callers`: the call succeeds whoever sends it. */
export function shouldAcceptAnyCaller<S>(check: OpenCall<S>): void {
  const declare: Declare<Role> = check.it ?? ((role, test) => it(`should accept it from the ${role}`, test));
  for (const role of check.callers) {
    declare(role, async function () {
      const ctx = await setup();
      const state = await check.given(ctx);
      await check.expectAccepted(ctx, state, signerOf(ctx, role, check.oracle));
    });
  }
}
