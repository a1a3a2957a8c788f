/**
 * Mutant generation with SuMo's mutation operators (@morenabarboni/sumo). SuMo's own runner is not used: it
 * compiles and tests one mutant at a time with the project's full build, and one of its operators (SCEC) throws
 * on SLAEscrow.sol, aborting the whole run. This module loads each operator on its own, so a broken operator is
 * reported and skipped instead.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

/** One mutant as SuMo describes it: `replace` takes the place of source[start, end). */
export interface Mutant {
  /** SuMo's id: "m" + sha1(file name, start, end, replacement), first 8 hex digits. */
  id: string;
  /** Repository-relative path of the mutated file. */
  file: string;
  operator: string;
  start: number;
  end: number;
  startLine: number;
  original: string;
  replace: string;
  /** The function (or modifier) the mutated code is in: "Contract.name"; "Contract" outside any function. */
  scope: string;
}

interface SumoMutation {
  id: string;
  start: number;
  end: number;
  startLine: number;
  original: string;
  replace: string;
  operator: string;
}
interface SumoOperator {
  ID: string;
  name: string;
  getMutations(file: string, source: string, visit: (visitor: object) => void): SumoMutation[];
}
type SumoOperatorClass = new () => SumoOperator;
interface SolidityParser {
  parse(source: string, options: { range: boolean; loc: boolean }): object;
  visit(ast: object, visitor: object): void;
}

/**
 * The operators applied: SuMo's standard cluster (every operator but the gas-only "optimization" cluster DLR, FVR
 * and VVR, whose mutants change cost, not behaviour), with SuMo's "minimal" rules where it has them (they leave
 * out mutants another mutant of the same spot subsumes). Operator file names in SuMo's package.
 */
export const OPERATOR_FILES = [
  "address-value-replacement", // AVR
  "argument-change-overloaded-call", // ACM
  "assignment-replacement", // AOR (minimal)
  "binary-replacement", // BOR (minimal)
  "boolean-literal-replacement", // BLR
  "break-continue-replacement", // BCRD
  "catch-block-deletion", // CBD
  "conditional-statement-change", // CSC
  "constructor-deletion", // CCD
  "delete-operator-deletion", // DOD
  "enum-replacement", // ER (minimal)
  "ether-transfer-function-replacement", // ETR
  "event-emission-deletion", // EED
  "exception-handling-change", // EHC
  "explicit-conversion-smaller", // ECS
  "global-variable-replacement", // GVR (minimal)
  "hex-literal-replacement", // HLR
  "increments-mirror", // ICM
  "integer-literal-replacement", // ILR
  "loop-statement-change", // LSC
  "math-crypto-function-replacement", // MCR
  "modifier-deletion", // MOD (minimal)
  "modifier-insertion", // MOI (minimal)
  "modifier-order-change", // MOC
  "modifier-replacement", // MOR (minimal)
  "overloaded-function-deletion", // OLFD
  "overridden-function-deletion", // ORFD
  "overridden-modifier-deletion", // OMD
  "payable-deletion", // PKD
  "return-statement-deletion", // RSD
  "return-values-swap", // RVS (minimal)
  "safemath-function-replacement", // SFR (minimal)
  "selfdestruct-deletion", // SFD
  "selfdestruct-insertion", // SFI
  "string-literal-replacement", // SLR
  "super-keyword-deletion", // SKD
  "super-keyword-insertion", // SKI
  "switch-call-expression-casting", // SCEC
  "transaction-origin-replacement", // TOR
  "unary-replacement", // UORD
  "variable-unit-replacement", // VUR (minimal)
] as const;

const MINIMAL = new Set([
  "assignment-replacement",
  "binary-replacement",
  "enum-replacement",
  "global-variable-replacement",
  "modifier-deletion",
  "modifier-insertion",
  "modifier-replacement",
  "return-values-swap",
  "safemath-function-replacement",
  "variable-unit-replacement",
]);

/** An operator that threw on a file: SuMo's bug, reported, its mutants of that file left out. */
export interface OperatorFailure {
  operator: string;
  file: string;
  message: string;
}

/**
 * All mutants of `files` (repository-relative paths under `root`), in file order then operator order.
 * SuMo's modules read `sumo-config.js` at the project root when they load; it is committed.
 */
export function generateMutants(
  root: string,
  files: readonly string[],
): { mutants: Mutant[]; failures: OperatorFailure[] } {
  const sumo = path.dirname(require.resolve("@morenabarboni/sumo/package.json", { paths: [root] }));
  // SuMo parses with its own (older) copy of the parser; use the same one so ranges agree.
  const parser = require(require.resolve("@solidity-parser/parser", { paths: [sumo] })) as SolidityParser;
  const operators = OPERATOR_FILES.map((name) => {
    const file = path.join(sumo, "src", "operators", MINIMAL.has(name) ? "minimal" : "", `${name}.js`);
    const Operator = require(file) as SumoOperatorClass;
    return new Operator();
  });

  const mutants: Mutant[] = [];
  const failures: OperatorFailure[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const source = readFileSync(path.join(root, file), "utf8");
    const ast = parser.parse(source, { range: true, loc: true });
    const visit = (visitor: object): void => parser.visit(ast, visitor);
    const scopes = functionRanges(visit);
    for (const operator of operators) {
      let generated: SumoMutation[];
      try {
        generated = operator.getMutations(file, source, visit);
      } catch (error) {
        failures.push({ operator: operator.ID, file, message: (error as Error).message });
        continue;
      }
      for (const m of generated) {
        if (seen.has(m.id)) continue; // SuMo emits a few identical edits twice (e.g. GVR on one expression)
        seen.add(m.id);
        mutants.push({
          id: m.id,
          file,
          operator: operator.ID,
          start: m.start,
          end: m.end,
          startLine: m.startLine,
          original: m.original,
          replace: m.replace,
          scope: scopeOf(scopes, m.start),
        });
      }
    }
  }
  return { mutants, failures };
}

interface Scope {
  name: string;
  start: number;
  end: number;
}
interface RangedNode {
  name?: string | null;
  range?: [number, number];
  isConstructor?: boolean;
}

/** Every contract, library, function and modifier with its source range. */
function functionRanges(visit: (visitor: object) => void): { contracts: Scope[]; functions: Scope[] } {
  const contracts: Scope[] = [];
  const functions: Scope[] = [];
  const add = (list: Scope[], node: RangedNode, fallback: string): void => {
    if (node.range !== undefined) list.push({ name: node.name ?? fallback, start: node.range[0], end: node.range[1] });
  };
  visit({
    ContractDefinition: (node: RangedNode) => add(contracts, node, "?"),
    FunctionDefinition: (node: RangedNode) =>
      add(functions, node, node.isConstructor === true ? "constructor" : "fallback"),
    ModifierDefinition: (node: RangedNode) => add(functions, node, "?"),
  });
  return { contracts, functions };
}

function scopeOf(scopes: { contracts: Scope[]; functions: Scope[] }, offset: number): string {
  const inside = (s: Scope): boolean => s.start <= offset && offset <= s.end;
  const contract = scopes.contracts.find(inside)?.name ?? "?";
  const fn = scopes.functions.find(inside);
  return fn === undefined ? contract : `${contract}.${fn.name}`;
}

/** The mutated source. */
export function applyMutant(source: string, m: Mutant): string {
  return source.slice(0, m.start) + m.replace + source.slice(m.end);
}

/** A one-line description: file:line "original" -> "replacement", whitespace collapsed and shortened. */
export function describeMutant(m: Mutant): string {
  const short = (s: string): string => {
    const one = s.replace(/\s+/g, " ").trim();
    return one.length > 70 ? `${one.slice(0, 67)}...` : one;
  };
  return `${path.basename(m.file)}:${m.startLine} ${m.operator} "${short(m.original)}" -> "${short(m.replace)}"`;
}
