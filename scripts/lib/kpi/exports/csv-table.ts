/**
 * The CSV reader the three export formats share (DESIGN.md "Business KPIs"): a header row naming the columns, in
 * any order; the format's required columns must be there (a missing one is named), its optional ones may be, and
 * any other column is ignored. CRLF line ends and a UTF-8 byte-order mark are accepted, trailing empty lines are
 * allowed, and fields may be quoted as RFC 4180 says (`"a,b"`, `""` for a quote inside), as ticketing exports do.
 * Every malformed row rejects the whole file with a UserError
 * `<name> line <N>, column <col>: <why> in "<row text>"` (N is the 1-based line of the file, the header is line 1).
 *
 * Interpretations (where DESIGN.md is open):
 * - Fields are taken exactly as written: no whitespace is trimmed (`"P1 "` is not `P1`, `" 1740000000"` is not a
 *   time), so what the kinds match is what the export says.
 * - A quoted field may hold line breaks (ticket subjects and descriptions do); the record's line number is the one
 *   it starts on, and its row text spans the lines it covers.
 * - A quote inside an unquoted field, text after a closing quote, an unterminated quote and a carriage return not
 *   followed by a line feed are errors (a lenient reading could differ between tools reading the same export).
 * - An empty line before the last row is an error (only trailing empty lines are allowed).
 * - A column the format knows (required or optional) named twice in the header is an error; unknown columns may
 *   repeat, since they are ignored.
 * - `<col>` is the column's name; a field beyond the header's columns (or under an unnamed header column) is
 *   named by its 1-based position.
 */
import { UserError } from "../../errors";
import { timeAt, timeError } from "./timestamp";

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;

/** The columns a format reads: the header must name every required one and may name the optional ones. */
export interface CsvSchema {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

/** An upper bound of the number of data rows in `text` (its line feeds plus one): to size the column arrays. */
export function maxRows(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Scans one record (one or more physical lines when quoted fields hold line breaks) into field offsets. */
class Scanner {
  count = 0;
  /** Field k is text[fs[k], fe[k]); fq[k]: 0 unquoted, 1 quoted, 2 quoted with `""` escapes. */
  fs = new Int32Array(16);
  fe = new Int32Array(16);
  fq = new Uint8Array(16);
  /** End of the record's text (before its line end), the next record's start, and the line feeds consumed. */
  end = 0;
  next = 0;
  lines = 0;
  /** On a structural error: the field it is in, the offset it is at, and why. */
  errField = -1;
  errAt = 0;
  errWhy = "";

  private store(k: number, s: number, e: number, q: number): void {
    if (k >= this.fs.length) {
      const grow = <A extends Int32Array | Uint8Array>(a: A, make: (n: number) => A): A => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.fs = grow(this.fs, (n) => new Int32Array(n));
      this.fe = grow(this.fe, (n) => new Int32Array(n));
      this.fq = grow(this.fq, (n) => new Uint8Array(n));
    }
    this.fs[k] = s;
    this.fe[k] = e;
    this.fq[k] = q;
  }

  private fail(k: number, at: number, why: string): false {
    this.errField = k;
    this.errAt = at;
    this.errWhy = why;
    return false;
  }

  /** Scans the record at `pos`; false on a structural error (see errField, errAt, errWhy). */
  scan(t: string, pos: number): boolean {
    const n = t.length;
    let p = pos;
    let lines = 0;
    let k = 0;
    for (;;) {
      let c = p < n ? t.charCodeAt(p) : -1;
      let s: number;
      let e: number;
      let q = 0;
      if (c === QUOTE) {
        s = p + 1;
        q = 1;
        let i = s;
        for (;;) {
          const j = t.indexOf('"', i);
          if (j < 0) return this.fail(k, p, "a quote that is never closed");
          if (t.charCodeAt(j + 1) === QUOTE) {
            q = 2;
            i = j + 2;
            continue;
          }
          e = j;
          break;
        }
        for (let b = t.indexOf("\n", s); b >= 0 && b < e; b = t.indexOf("\n", b + 1)) lines++;
        p = e + 1;
        c = p < n ? t.charCodeAt(p) : -1;
        if (c !== COMMA && c !== LF && c !== -1 && !(c === CR && (p + 1 >= n || t.charCodeAt(p + 1) === LF))) {
          return this.fail(k, p, "text after the closing quote (quote the whole field)");
        }
      } else {
        s = p;
        while (p < n) {
          c = t.charCodeAt(p);
          if (c === COMMA || c === LF) break;
          if (c === QUOTE) return this.fail(k, p, "a quote inside an unquoted field (quote the whole field)");
          if (c === CR) {
            if (p + 1 >= n || t.charCodeAt(p + 1) === LF) break;
            return this.fail(k, p, "a carriage return inside an unquoted field");
          }
          p++;
        }
        e = p;
        c = p < n ? c : -1;
      }
      this.store(k, s, e, q);
      k++;
      if (c === COMMA) {
        p++;
        continue;
      }
      this.end = p;
      if (c === CR) p++;
      if (p < n) {
        p++; // the line feed
        lines++;
      }
      this.next = p;
      this.lines = lines;
      this.count = k;
      return true;
    }
  }
}

function onlyLineBreaks(t: string, pos: number): boolean {
  for (let i = pos; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c !== LF && c !== CR) return false;
  }
  return true;
}

/** The end of the physical line holding offset `at` (before its CR LF). */
function lineEnd(t: string, at: number): number {
  let e = t.indexOf("\n", at);
  if (e < 0) e = t.length;
  if (e > 0 && t.charCodeAt(e - 1) === CR) e--;
  return e;
}

function unescape(t: string, s: number, e: number, q: number): string {
  const raw = t.slice(s, e);
  return q === 2 ? raw.replace(/""/g, '"') : raw;
}

/**
 * The current row, handed to the format's row callback (one object, reused for every row). Columns are addressed
 * by their index `k` in the schema's `[...required, ...optional]`.
 */
export class CsvRow {
  /** The 1-based line of the file the row starts on. */
  line = 0;
  /** @internal offsets of the row's text */
  start = 0;
  end = 0;

  constructor(
    private readonly t: string,
    private readonly name: string,
    private readonly sc: Scanner,
    /** The schema's columns, required then optional. */
    readonly columns: readonly string[],
    /** The field index of each schema column, -1 when the header does not have it. */
    private readonly fieldOf: Int32Array,
  ) {}

  /** The row as written in the file (its lines, when a quoted field holds line breaks). */
  text(): string {
    return this.t.slice(this.start, this.end);
  }

  /** Rejects the file: `<name> line <N>, column <col>: <why> in "<row text>"`. */
  fail(k: number, why: string): never {
    throw new UserError(`${this.name} line ${this.line}, column ${this.columns[k]}: ${why} in "${this.text()}"`);
  }

  /** Whether the header has column k. */
  has(k: number): boolean {
    return this.fieldOf[k] >= 0;
  }

  /** Column k is absent from the header or its field is empty (an empty optional field counts as absent). */
  empty(k: number): boolean {
    const f = this.fieldOf[k];
    return f < 0 || this.sc.fe[f] === this.sc.fs[f];
  }

  /** Column k's field ("" when absent), unquoted. */
  str(k: number): string {
    const f = this.fieldOf[k];
    if (f < 0) return "";
    return unescape(this.t, this.sc.fs[f], this.sc.fe[f], this.sc.fq[f]);
  }

  /** A required field: its text, or the file is rejected when it is empty. */
  requiredStr(k: number): string {
    if (this.empty(k)) this.fail(k, "empty, but required");
    return this.str(k);
  }

  /** Column k's field as written, quoted for messages: `"2026-03-01T09:30:00"`. */
  quoted(k: number): string {
    return `"${this.str(k)}"`;
  }

  /** A timestamp (unix seconds or ISO-8601 with a zone): NaN when empty or absent, else the time or a rejection. */
  time(k: number): number {
    const f = this.fieldOf[k];
    if (f < 0) return NaN;
    const s = this.sc.fs[f];
    const e = this.sc.fe[f];
    if (s === e) return NaN;
    let v: number;
    if (this.sc.fq[f] === 2) {
      const x = this.str(k);
      v = timeAt(x, 0, x.length);
    } else {
      v = timeAt(this.t, s, e);
    }
    if (v < 0) this.fail(k, `${this.quoted(k)} ${timeError(v)}`);
    return v;
  }

  /** A required timestamp. */
  requiredTime(k: number): number {
    if (this.empty(k)) this.fail(k, "empty, but required");
    return this.time(k);
  }

  /** A whole number 0..max: NaN when empty or absent, else the number or a rejection. */
  uint(k: number, max: number): number {
    const f = this.fieldOf[k];
    if (f < 0) return NaN;
    const s = this.sc.fs[f];
    const e = this.sc.fe[f];
    if (s === e) return NaN;
    let v = 0;
    let ok = this.sc.fq[f] !== 2;
    for (let i = s; ok && i < e; i++) {
      const c = this.t.charCodeAt(i) - 48;
      if (c < 0 || c > 9) ok = false;
      else if (v <= max) v = v * 10 + c;
    }
    if (!ok || v > max) this.fail(k, `${this.quoted(k)} is not a whole number 0..${max}`);
    return v;
  }
}

/**
 * Reads `text` (a CSV export named `name` in messages) against `schema`, calling `onRow` for every data row in
 * order with the row positioned on it. Throws UserError on a missing column or any malformed row.
 */
export function readCsv(text: string, name: string, schema: CsvSchema, onRow: (row: CsvRow) => void): void {
  const t = text;
  const n = t.length;
  let pos = n > 0 && t.charCodeAt(0) === 0xfeff ? 1 : 0;
  const columns = [...schema.required, ...schema.optional];
  if (onlyLineBreaks(t, pos)) {
    throw new UserError(`${name}: empty file (expected a header with the columns ${schema.required.join(",")})`);
  }
  const sc = new Scanner();
  const headerText = (): string => t.slice(pos, lineEnd(t, pos));
  if (!sc.scan(t, pos)) {
    throw new UserError(`${name} line 1, column ${sc.errField + 1}: ${sc.errWhy} in "${headerText()}"`);
  }
  const header: string[] = [];
  for (let f = 0; f < sc.count; f++) header.push(unescape(t, sc.fs[f], sc.fe[f], sc.fq[f]));
  const headerRow = t.slice(pos, sc.end);
  const fieldOf = new Int32Array(columns.length).fill(-1);
  columns.forEach((col, k) => {
    const f = header.indexOf(col);
    const again = f < 0 ? -1 : header.indexOf(col, f + 1);
    if (again >= 0) {
      throw new UserError(
        `${name} line 1, column ${col}: named twice in the header (columns ${f + 1} and ${again + 1}) in "${headerRow}"`,
      );
    }
    if (f < 0 && k < schema.required.length) {
      throw new UserError(
        `${name} line 1, column ${col}: missing from the header (required: ${schema.required.join(",")}) in "${headerRow}"`,
      );
    }
    fieldOf[k] = f;
  });
  const width = header.length;
  // Labels of the fields by position, for structural errors: the header's name, else the position.
  const label = (f: number): string => (f < width && header[f] !== "" ? header[f] : String(f + 1));
  let line = 1 + sc.lines;
  pos = sc.next;
  const row = new CsvRow(t, name, sc, columns, fieldOf);
  const bad = (at: number, f: number, why: string): never => {
    throw new UserError(`${name} line ${line}, column ${label(f)}: ${why} in "${t.slice(at, lineEnd(t, at))}"`);
  };
  while (pos < n) {
    const c = t.charCodeAt(pos);
    if (c === LF || c === CR) {
      if (onlyLineBreaks(t, pos)) break;
      bad(pos, 0, "an empty line (only trailing empty lines are allowed)");
    }
    if (!sc.scan(t, pos)) {
      // The row text runs from the row's start to the end of the line the error is on.
      throw new UserError(
        `${name} line ${line}, column ${label(sc.errField)}: ${sc.errWhy} in "${t.slice(pos, lineEnd(t, sc.errAt))}"`,
      );
    }
    if (sc.count !== width) {
      const f = Math.min(sc.count, width);
      const why =
        sc.count < width
          ? `missing: the row has ${sc.count} field${sc.count === 1 ? "" : "s"}, the header ${width}`
          : `more fields than the header: the row has ${sc.count}, the header ${width}`;
      throw new UserError(`${name} line ${line}, column ${label(f)}: ${why} in "${t.slice(pos, sc.end)}"`);
    }
    row.line = line;
    row.start = pos;
    row.end = sc.end;
    onRow(row);
    line += sc.lines;
    pos = sc.next;
  }
}
