/**
 * The one hierarchy of errors that are the user's to fix, and the decoding of the escrow's reverts.
 *
 * `UserError` is every mistake of the user's (bad input, wrong network, a refused rule): the drivers print its
 * message on one line and exit 1, never a stack trace. Its subclasses carry more: `RuleError` is one value that
 * breaks one rule (the terms check adds the field path), `TermsFileError` every error of a terms file. Anything
 * else that reaches a driver is a bug or an outage and keeps its stack.
 */
import type { ErrorDescription, Interface } from "ethers";

/** A mistake of the user's (bad input, wrong network...): the drivers print its message and exit 1, no stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** A value that breaks a rule; the caller adds the field path. */
export class RuleError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "RuleError";
  }
}

/** A terms file that breaks rules: `errors` lists every one as `path: rule`. */
export class TermsFileError extends UserError {
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(
      `${file}: ${errors.length} error${errors.length === 1 ? "" : "s"}, nothing was sent:\n` +
        errors.map((e) => `  ${e}`).join("\n"),
    );
    this.name = "TermsFileError";
  }
}

/** A metric spec file that breaks rules: `errors` lists every one as `path: rule`. */
export class MetricSpecError extends UserError {
  constructor(
    readonly file: string,
    readonly errors: string[],
  ) {
    super(
      `${file}: ${errors.length} error${errors.length === 1 ? "" : "s"} in the metric spec:\n` +
        errors.map((e) => `  ${e}`).join("\n"),
    );
    this.name = "MetricSpecError";
  }
}

/** Finds revert data (0x...) in the nested shapes ethers, Hardhat and wallets give errors. */
export function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e)) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8}/.test(o.data)) return o.data;
    for (const key of ["error", "info", "cause", "data"]) {
      const found = visit(o[key]);
      if (found) return found;
    }
    return undefined;
  };
  return visit(err);
}

/** The escrow's custom error in `err`, decoded, or undefined. */
export function decodeEscrowError(iface: Interface, err: unknown): ErrorDescription | undefined {
  const data = revertData(err);
  if (!data) return undefined;
  try {
    return iface.parseError(data) ?? undefined;
  } catch {
    return undefined;
  }
}

/** `Name(arg=value, ...)` for a decoded error. */
export function formatEscrowError(e: ErrorDescription): string {
  const args = e.fragment.inputs.map((input, i) => `${input.name || `arg${i}`}=${String(e.args[i])}`);
  return `${e.name}(${args.join(", ")})`;
}
