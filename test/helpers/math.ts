/** Bounds and shapes shared by the library and differential tests. */

export const MAX_U32 = 4_294_967_295;
export const MAX_U128 = (1n << 128n) - 1n;
export const MAX_U256 = (1n << 256n) - 1n;
/** secp256k1 group order. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A penalty tier and metric as plain numbers (what the tests generate and compare). */
export type Tier = { threshold: number; cutBps: number };
export type Metric = { higherIsBetter: boolean; tiers: Tier[] };
