/**
 * The fast-check arbitraries of the invariant test (test/invariant.test.ts): operation records (ops.ts) weighted
 * towards the edges - amounts of 1-3 wei, cuts 0/1/9999/10000/10001, values at the tier thresholds, windows of 0
 * and 1 second, times one second around every deadline - and sequences of them.
 */
import fc from "fast-check";
import { DAY } from "../fixture";
import { type At, type Op, type Ref, type Role, type Then, type TokenKind, type WarpTarget, readable } from "./ops";

const MAX_U32 = 4_294_967_295;
const HOUR = 3600;

const refArb: fc.Arbitrary<Ref> = fc.record({
  pick: fc.nat({ max: 31 }),
  smart: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
});
function atArb(...targets: WarpTarget[]): fc.Arbitrary<At> {
  return fc.record({ target: fc.constantFrom(...targets), delta: fc.integer({ min: -1, max: 1 }) });
}
/** `at` is null (act at the current time) one time in `freq`. */
function maybeAt(freq: number, ...targets: WarpTarget[]): fc.Arbitrary<At | null> {
  return fc.option(atArb(...targets), { freq });
}
function roleArb(preferred: Role): fc.Arbitrary<Role> {
  return fc.oneof(
    { arbitrary: fc.constant(preferred), weight: 8 },
    { arbitrary: fc.constantFrom<Role>("client", "vendor", "arbitrator", "stranger"), weight: 2 },
  );
}
const partyArb = fc.oneof(
  { arbitrary: fc.constantFrom<Role>("client", "vendor"), weight: 9 },
  { arbitrary: fc.constant<Role>("stranger"), weight: 1 },
);
const cutArb = fc.oneof(fc.constantFrom(0, 1, 9999, 10_000, 10_001), fc.integer({ min: 0, max: 10_000 }));
const windowArb = fc.oneof(fc.constantFrom(0, 1, HOUR, DAY, 2 * DAY, 5 * DAY), fc.integer({ min: 0, max: 5 * DAY }));
const amountArb = fc.oneof(
  { arbitrary: fc.constantFrom(1n, 2n, 3n), weight: 3 },
  { arbitrary: fc.bigInt({ min: 1n, max: 20_001n }), weight: 2 },
  { arbitrary: fc.bigInt({ min: 0n, max: 10n ** 15n }).map((x) => x * 2n + 1n), weight: 2 }, // odd
  { arbitrary: fc.bigInt({ min: 1n, max: 5n * 10n ** 18n }), weight: 2 },
);
/** Values around the reference tiers (availability: 999000/995000/990000, latency: 300/500/1000). */
const availabilityArb = fc.oneof(
  fc.constantFrom(1_000_000, 999_000, 998_999, 995_000, 994_999, 990_000, 989_999, 0, MAX_U32),
  fc.integer({ min: 980_000, max: 1_000_000 }),
  fc.integer({ min: 0, max: MAX_U32 }),
);
const latencyArb = fc.oneof(
  fc.constantFrom(0, 250, 300, 301, 500, 501, 1000, 1001, MAX_U32),
  fc.integer({ min: 0, max: 2000 }),
  fc.integer({ min: 0, max: MAX_U32 }),
);

export const createArb: fc.Arbitrary<Op> = fc
  .record({
    client: fc.nat({ max: 3 }),
    vendorOffset: fc.integer({ min: 1, max: 3 }),
    token: fc.constantFrom<TokenKind>("ETH", "TOKEN"),
    milestones: fc.array(
      fc.tuple(amountArb, fc.oneof(fc.integer({ min: HOUR, max: 12 * DAY }), fc.constantFrom(1, DAY, 7 * DAY))),
      { minLength: 1, maxLength: 4 },
    ),
    arbitrator: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    silentCutBps: fc.oneof(
      { arbitrary: fc.constantFrom(0, 5000, 10_000), weight: 10 },
      { arbitrary: fc.integer({ min: 0, max: 10_000 }), weight: 10 },
      { arbitrary: fc.constant(10_001), weight: 1 }, // rejected
    ),
    disputeWindow: windowArb,
    attestGrace: windowArb,
    arbitrationTimeout: windowArb,
    oracleMask: fc.oneof(
      { arbitrary: fc.constant(7), weight: 3 },
      { arbitrary: fc.integer({ min: 1, max: 7 }), weight: 1 },
    ),
    threshold: fc.constantFrom(1, 2),
    accept: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
  })
  .map(({ milestones, ...rest }) =>
    readable({ kind: "create", ...rest, amounts: milestones.map(([a]) => a), gaps: milestones.map(([, g]) => g) }),
  );

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: createArb, weight: 2 },
  {
    arbitrary: fc.record({ ref: refArb, by: roleArb("vendor") }).map((r) => readable({ kind: "accept", ...r })),
    weight: 3,
  },
  {
    arbitrary: fc.record({ ref: refArb, by: roleArb("client") }).map((r) => readable({ kind: "cancel", ...r })),
    weight: 2,
  },
  {
    arbitrary: fc
      .record({ ref: refArb, by: partyArb, both: fc.boolean() })
      .map((r) => readable({ kind: "terminate", ...r })),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({
        ref: refArb,
        at: maybeAt(5, "due", "graceEnd"),
        values: fc.tuple(availabilityArb, latencyArb),
        signers: fc.oneof(
          { arbitrary: fc.constant(7), weight: 3 },
          { arbitrary: fc.integer({ min: 0, max: 7 }), weight: 4 },
        ),
        forge: fc.oneof({ arbitrary: fc.constant(false), weight: 15 }, { arbitrary: fc.constant(true), weight: 1 }),
        then: fc.oneof(
          { arbitrary: fc.constant(null), weight: 2 },
          { arbitrary: partyArb.map((by): Then => ({ then: "dispute", by })), weight: 2 },
          { arbitrary: maybeAt(4, "disputeEnd").map((at): Then => ({ then: "settle", at })), weight: 1 },
        ),
      })
      .map((r) => readable({ kind: "attest", ...r })),
    weight: 16,
  },
  {
    arbitrary: fc
      .record({
        ref: refArb,
        at: maybeAt(3, "disputeEnd"),
        by: partyArb,
        then: fc.oneof(
          { arbitrary: fc.constant(null), weight: 1 },
          { arbitrary: cutArb.map((cutBps): Then => ({ then: "resolve", cutBps })), weight: 1 },
          { arbitrary: maybeAt(4, "timeoutEnd").map((at): Then => ({ then: "settle", at })), weight: 1 },
        ),
      })
      .map((r) => readable({ kind: "dispute", ...r })),
    weight: 10,
  },
  {
    arbitrary: fc
      .record({
        ref: refArb,
        at: maybeAt(3, "timeoutEnd"),
        cutBps: cutArb,
        by: roleArb("arbitrator"),
      })
      .map((r) => readable({ kind: "resolve", ...r })),
    weight: 8,
  },
  {
    arbitrary: fc
      .record({ ref: refArb, at: maybeAt(3, "graceEnd", "disputeEnd", "timeoutEnd") })
      .map((r) => readable({ kind: "settle", ...r })),
    weight: 10,
  },
  {
    arbitrary: fc
      .record({
        party: fc.nat({ max: 7 }),
        smart: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
        token: fc.constantFrom<TokenKind>("ETH", "TOKEN"),
        to: fc.constantFrom<"self" | "other" | "zero">("self", "self", "self", "self", "other", "zero"),
      })
      .map((r) => readable({ kind: "withdraw", ...r, party: r.smart ? r.party : r.party % 5 })),
    weight: 7,
  },
  {
    arbitrary: fc
      .oneof(
        { arbitrary: fc.integer({ min: 0, max: 40 * DAY }), weight: 2 },
        { arbitrary: fc.integer({ min: 0, max: 2 * DAY }), weight: 4 },
        { arbitrary: fc.constantFrom(0, 1, DAY, 30 * DAY, 40 * DAY), weight: 1 },
      )
      .map((seconds) => readable({ kind: "jump", seconds })),
    weight: 4,
  },
  {
    arbitrary: fc
      .record({ ref: refArb, at: atArb("due", "graceEnd", "disputeEnd", "timeoutEnd") })
      .map((r) => readable({ kind: "warp", ...r })),
    weight: 4,
  },
  {
    arbitrary: fc
      .oneof(fc.constantFrom(1n, 7n), fc.bigInt({ min: 1n, max: 10n ** 18n }))
      .map((wei) => readable({ kind: "forceSend", wei })),
    weight: 1,
  },
);

/** 1..3 agreements created up front (so that most operations have something to act on), then up to 22 more
 * operations: sequences of up to 25. */
export const sequenceArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(createArb, { minLength: 1, maxLength: 3 }),
    fc.array(opArb, { minLength: 0, maxLength: 22, size: "max" }),
  )
  .map(([creates, ops]) => [...creates, ...ops]);
