/**
 * The escrow's bounds (contracts/libraries/TermsValidation.sol and the storage layout), once for the TypeScript
 * side: the terms check, the penalty rule and the oracle read them here.
 */
export const MAX_ORACLES = 16;
export const MAX_METRICS = 8;
export const MAX_TIERS = 8;
export const MAX_MILESTONES = 128;
/** 100% in basis points. */
export const MAX_BPS = 10_000;
/** Due times are stored in 40 bits. */
export const MAX_DUE_AT = (1n << 40n) - 1n;
/** The largest metric value, duration or threshold a `uint32` holds (4294967295). */
export const MAX_UINT32 = 4_294_967_295;
/** Milestone amounts are stored in 128 bits. */
export const MAX_UINT128 = (1n << 128n) - 1n;
