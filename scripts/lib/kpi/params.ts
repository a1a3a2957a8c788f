/**
 * Reading a metric spec's parameters with messages that name the field (`metrics[1].targetSeconds: ...`). A kind's
 * `parse` asks for each parameter once; the spec parser rejects keys no kind asked for.
 */
import { RuleError } from "../errors";
import { MAX_UINT32 } from "../limits";

const q = (v: unknown): string => JSON.stringify(v);

export class ParamReader {
  constructor(
    /** The spec object (name and kind included; they are not parameters). */
    private readonly raw: Readonly<Record<string, unknown>>,
    /** The field path of the spec, e.g. `metrics[1]`. */
    readonly path: string,
  ) {}

  /** `path.key`. */
  at(key: string): string {
    return `${this.path}.${key}`;
  }

  fail(key: string, why: string): never {
    throw new RuleError(`${this.at(key)}: ${why}`);
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /** A whole number in [min, max]; `def` when absent (required when `def` is undefined). */
  int(key: string, opts: { min: number; max?: number; def?: number; unit?: string }): number {
    const v = this.raw[key];
    const max = opts.max ?? MAX_UINT32;
    const range = `${opts.min}..${max}${opts.unit ? ` ${opts.unit}` : ""}`;
    if (v === undefined) {
      if (opts.def !== undefined) return opts.def;
      this.fail(key, `is required (a whole number, ${range})`);
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v))
      this.fail(key, `must be a whole number (${range}), got ${q(v)}`);
    if (v < opts.min || v > max) this.fail(key, `must be ${range}, got ${v}`);
    return v;
  }

  /** A finite number; `def` when absent. */
  number(key: string, opts: { def?: number; positive?: boolean }): number {
    const v = this.raw[key];
    if (v === undefined) {
      if (opts.def !== undefined) return opts.def;
      this.fail(key, "is required (a number)");
    }
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(key, `must be a number, got ${q(v)}`);
    if (opts.positive && v <= 0) this.fail(key, `must be above 0, got ${v}`);
    return v;
  }

  bool(key: string, def?: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined) {
      if (def !== undefined) return def;
      this.fail(key, "is required (true or false)");
    }
    if (typeof v !== "boolean") this.fail(key, `must be true or false, got ${q(v)}`);
    return v;
  }

  /** A non-empty string; undefined when absent and not required. */
  string(key: string, required: true): string;
  string(key: string, required?: false): string | undefined;
  string(key: string, required = false): string | undefined {
    const v = this.raw[key];
    if (v === undefined) {
      if (required) this.fail(key, "is required (a string)");
      return undefined;
    }
    if (typeof v !== "string" || v.trim() === "") this.fail(key, `must be a non-empty string, got ${q(v)}`);
    return v;
  }

  /** A non-empty list of distinct non-empty strings; undefined when absent. */
  stringList(key: string): string[] | undefined {
    const v = this.raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0) this.fail(key, `must be a non-empty list of strings, got ${q(v)}`);
    const out: string[] = [];
    v.forEach((s, i) => {
      if (typeof s !== "string" || s === "") this.fail(`${key}[${i}]`, `must be a non-empty string, got ${q(s)}`);
      if (out.includes(s)) this.fail(`${key}[${i}]`, `${q(s)} is already ${key}[${out.indexOf(s)}]`);
      out.push(s);
    });
    return out;
  }
}
