/**
 * Mutation testing of the escrow and its libraries: `npm run test:mutation`.
 *
 * Mutants come from SuMo's operators (see mutants.ts). Each is compiled in this process with the npm solc (the
 * legacy pipeline, no optimizer, no metadata hash: the build `SLA_FAST_COMPILE=1` selects), then:
 *  - stillborn   it does not compile (left out of the score);
 *  - equivalent  every contract's bytecode equals the original's: the compiler proves the mutant changes nothing
 *                (left out of the score; "trivial compiler equivalence");
 *  - duplicate   its bytecode equals an earlier mutant's: same behaviour, tested once (left out of the score);
 *  - killed      the contract tests fail (mocha --bail stops at the first failure), or time out;
 *  - live        every contract test passes.
 * Mutants reviewed by hand and found equivalent are listed, each with its reason, in mutation/equivalent.json and
 * left out of the score. Score = killed / (killed + live).
 *
 * Tests run in N scratch copies of the committed tree (.mutation/w<i>, git-ignored; N = MUTATION_WORKERS,
 * default 2), each by a long-lived Hardhat process (worker.ts) that runs mocha with --bail in-process on a fresh
 * chain per mutant; the working tree is never touched.
 *
 * Options (after `--`):
 *   --fresh         ignore earlier results (default: reuse a result when the mutated file is unchanged; a live or
 *                   timed-out mutant is tested again when the tests changed, unless equivalent.json lists it)
 *   --only <ids>    comma-separated mutant ids
 *   --file <name>   only mutants of files whose path contains <name>
 *   --list          print the mutants and stop
 *   --quick <n>     CI's quick variant: re-run n mutants that mutation/results.json records as killed (one per
 *                   operator in turn) in separate workspaces, write nothing, and fail unless every one is still
 *                   killed - the tool works and the tests have not lost their teeth
 * MUTATION_VERBOSE=1 prints each mutant's failing test and its error.
 * Writes mutation/results.json (every mutant) and mutation/report.md (the score and every live, equivalent and
 * reviewed mutant).
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Mutant, type OperatorFailure, applyMutant, describeMutant, generateMutants } from "./mutants";

const ROOT = path.resolve(__dirname, "..", "..");
const OUT_DIR = path.join(ROOT, "mutation");
const WORK_DIR = path.join(ROOT, ".mutation");
const RESULTS = path.join(OUT_DIR, "results.json");
const REPORT = path.join(OUT_DIR, "report.md");
const EQUIVALENT = path.join(OUT_DIR, "equivalent.json");

/** The code under mutation: the escrow and its libraries (not the interface, which holds no code, nor mocks). */
const TARGETS = ["contracts/SLAEscrow.sol", ...listSol("contracts/libraries")];
/** The contract tests, quickest killers first (mocha runs files in this order and stops at the first failure). */
const TEST_FILES = [
  "test/smoke.test.ts",
  "test/SLAEscrow.creation.test.ts",
  "test/SLAEscrow.attestation.test.ts",
  "test/SLAEscrow.settlement.test.ts",
  "test/SLAEscrow.lifecycle.test.ts",
  "test/SLAEscrow.withdraw.test.ts",
  "test/SLAEscrow.tokens.test.ts",
  "test/SLAEscrow.bounds.test.ts",
  "test/libraries.test.ts",
  "test/differential.test.ts",
  "test/invariant.test.ts",
];
/** Fixed seeds and sizes for the random tests, so a mutant's result can be reproduced. */
const TEST_ENV = {
  SLA_FAST_COMPILE: "1",
  INVARIANT_RUNS: "100",
  INVARIANT_SEED: "20261123",
  DIFF_RUNS: "200",
  DIFF_CASES: "2000",
  DIFF_SEED: "20261123",
  ORACLE_E2E: "0",
  FORCE_COLOR: "0",
};

type Status = "stillborn" | "equivalent" | "duplicate" | "killed" | "timedout" | "live";

interface Result {
  id: string;
  file: string;
  line: number;
  operator: string;
  original: string;
  replace: string;
  status: Status;
  /** killed: the first failing test; stillborn: the first compiler error; duplicate: the twin's id. */
  detail?: string;
  seconds: number;
  /** sha1 of the unmutated file and of the test files the result was obtained with (for reuse). */
  sourceHash: string;
  suiteHash: string;
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string; message: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}
interface SolcModule {
  compile(input: string): string;
}
interface StandardInput {
  language: string;
  sources: Record<string, { content: string }>;
  settings: Record<string, unknown>;
}

function listSol(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(".sol"))
    .sort()
    .map((f) => `${dir}/${f}`);
}

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

interface Args {
  fresh: boolean;
  only?: Set<string>;
  file?: string;
  list: boolean;
  quick?: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { fresh: false, list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--fresh") out.fresh = true;
    else if (a === "--list") out.list = true;
    else if (a === "--only" && argv[i + 1] !== undefined) out.only = new Set(argv[++i].split(","));
    else if (a === "--file" && argv[i + 1] !== undefined) out.file = argv[++i];
    else if (a === "--quick" && /^[1-9][0-9]*$/.test(argv[i + 1] ?? "")) out.quick = Number(argv[++i]);
    else {
      console.error(
        `mutation: unknown option "${a}" (expected --fresh, --only <ids>, --file <name>, --quick <count> or --list)`,
      );
      process.exit(2);
    }
  }
  return out;
}

/** A scratch copy of the committed tree with the fast build's artifacts. */
function prepareWorkspace(dir: string, from?: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync("bash", ["-c", `git -C "${ROOT}" archive HEAD | tar -x -C "${dir}"`]);
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  if (from === undefined) {
    execFileSync(path.join(ROOT, "node_modules", ".bin", "hardhat"), ["compile", "--quiet"], {
      cwd: dir,
      env: { ...process.env, ...TEST_ENV },
      stdio: "inherit",
    });
  } else {
    for (const sub of ["artifacts", "cache", "typechain-types"])
      cpSync(path.join(from, sub), path.join(dir, sub), { recursive: true });
  }
}

/** The fast build's standard-JSON input, from the workspace's build-info (all sources of every build merged). */
function standardInput(dir: string): StandardInput {
  const infoDir = path.join(dir, "artifacts", "build-info");
  const infos = readdirSync(infoDir).map(
    (f) => JSON.parse(readFileSync(path.join(infoDir, f), "utf8")) as { input: StandardInput },
  );
  const input: StandardInput = JSON.parse(JSON.stringify(infos[0].input)) as StandardInput;
  for (const info of infos) Object.assign(input.sources, info.input.sources);
  const selection: Record<string, Record<string, string[]>> = {};
  for (const source of Object.keys(input.sources)) {
    if (source.startsWith("contracts/"))
      selection[source] = { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] };
  }
  input.settings = { ...input.settings, outputSelection: selection };
  return input;
}

type Build = Map<string, { abi: unknown[]; bytecode: string; deployed: string }>;

function compile(solc: SolcModule, input: StandardInput): { build?: Build; error?: string } {
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const error = output.errors?.find((e) => e.severity === "error");
  if (error !== undefined) return { error: error.message };
  const build: Build = new Map();
  for (const [source, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(contracts)) {
      build.set(`${source}:${name}`, {
        abi: c.abi,
        bytecode: c.evm.bytecode.object,
        deployed: c.evm.deployedBytecode.object,
      });
    }
  }
  return { build };
}

/** Contracts whose code differs from the original build. */
function changedContracts(original: Build, mutant: Build): string[] {
  return [...mutant.keys()].filter((k) => {
    const o = original.get(k);
    const m = mutant.get(k);
    return o === undefined || m === undefined || o.bytecode !== m.bytecode || o.deployed !== m.deployed;
  });
}

function artifactPath(dir: string, key: string): string {
  const [source, name] = key.split(":");
  return path.join(dir, "artifacts", source, `${name}.json`);
}

/** Writes the mutant's code into the workspace's artifacts; puts back the original of anything changed before. */
function installArtifacts(
  dir: string,
  original: Build,
  mutant: Build | undefined,
  changed: string[],
  dirty: Set<string>,
): void {
  for (const key of new Set([...dirty, ...changed])) {
    const file = artifactPath(dir, key);
    if (!existsSync(file)) continue; // a contract without an artifact (an interface or library): nothing to write
    const artifact = JSON.parse(readFileSync(file, "utf8")) as {
      abi: unknown[];
      bytecode: string;
      deployedBytecode: string;
    };
    const code = (changed.includes(key) ? mutant?.get(key) : undefined) ?? original.get(key);
    if (code === undefined) continue;
    artifact.abi = code.abi;
    artifact.bytecode = `0x${code.bytecode}`;
    artifact.deployedBytecode = `0x${code.deployed}`;
    writeFileSync(file, JSON.stringify(artifact, null, 2));
  }
  dirty.clear();
  for (const key of changed) dirty.add(key);
}

/** The first failing test's title in mocha's output ("  1) describe\n       it:"), shortened. */
function firstFailure(output: string): string | undefined {
  const summary = output.search(/\d+ failing/);
  const m = /1\) ([^\n]+)\n((?: {6,}\S[^\n]*\n)*)/.exec(summary < 0 ? output : output.slice(summary));
  if (m === null) return undefined;
  const title = [m[1], ...m[2].split("\n").map((l) => l.trim())]
    .filter((s) => s !== "")
    .join(" > ")
    .replace(/:$/, "");
  return title.length > 160 ? `${title.slice(0, 157)}...` : title;
}

interface RunResult {
  code: number | null;
  output: string;
  timedOut: boolean;
  /** the test process died (e.g. out of memory): no verdict on the mutant */
  crashed?: boolean;
}

/** A test process above this resident size is replaced after its run. */
const MAX_WORKER_RSS = 3 * 1024 ** 3;

/**
 * A test process for one workspace (worker.ts): Hardhat starts once, then each run() executes mocha files
 * in-process on a fresh chain. A run that times out kills the process; the next run starts a new one.
 */
class TestWorker {
  private child?: ChildProcess;
  private ready?: Promise<void>;

  constructor(private readonly dir: string) {}

  private start(): Promise<void> {
    const child = fork(path.join(this.dir, "scripts", "mutation", "worker.ts"), [], {
      cwd: this.dir,
      env: { ...process.env, ...TEST_ENV, TS_NODE_TRANSPILE_ONLY: "1" },
      execArgv: ["--expose-gc", "-r", "ts-node/register/transpile-only"],
      silent: true,
    });
    let log = "";
    child.stdout?.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    child.stderr?.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    this.child = child;
    return new Promise((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) =>
        reject(new Error(`the test worker in ${this.dir} exited (${code}) before it was ready:\n${log}`)),
      );
    });
  }

  async run(files: string[], timeoutMs: number): Promise<RunResult> {
    if (this.ready === undefined) this.ready = this.start();
    await this.ready;
    const child = this.child as ChildProcess;
    return new Promise((resolve) => {
      const done = (result: RunResult): void => {
        clearTimeout(timer);
        child.removeAllListeners("message");
        child.removeAllListeners("exit");
        if (result.timedOut || result.code === null) this.ready = undefined; // a new process for the next run
        resolve(result);
      };
      const timer = setTimeout(() => {
        child.removeAllListeners("exit");
        child.kill("SIGKILL");
        done({ code: null, output: "", timedOut: true });
      }, timeoutMs);
      child.once("message", (reply: { failures: number; output: string; rss: number }) => {
        if (reply.failures < 0) {
          // the worker could not give the mutant a clean chain: stop rather than record a wrong result
          console.error(`[mutation] test worker in ${this.dir} failed: ${reply.output}`);
          process.exit(1);
        }
        if (reply.rss > MAX_WORKER_RSS) {
          child.kill(); // memory grows run after run (see worker.ts): the next run starts a new process
          this.ready = undefined;
        }
        done({ code: reply.failures === 0 ? 0 : 1, output: reply.output, timedOut: false });
      });
      child.once("exit", (code, signal) =>
        done({ code: null, output: `the test process exited (${code ?? signal})`, timedOut: false, crashed: true }),
      );
      child.send({ files });
    });
  }

  stop(): void {
    this.child?.kill();
  }
}

function loadResults(): Map<string, Result> {
  if (!existsSync(RESULTS)) return new Map();
  const list = (JSON.parse(readFileSync(RESULTS, "utf8")) as { results: Result[] }).results;
  return new Map(list.map((r) => [r.id, r]));
}

function loadEquivalent(): Record<string, string> {
  if (!existsSync(EQUIVALENT)) return {};
  return JSON.parse(readFileSync(EQUIVALENT, "utf8")) as Record<string, string>;
}

function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { mutants: all, failures } = generateMutants(ROOT, TARGETS);
  let mutants = all;
  if (args.file !== undefined) mutants = mutants.filter((m) => m.file.includes(args.file as string));
  if (args.only !== undefined) mutants = mutants.filter((m) => args.only?.has(m.id));
  for (const f of failures)
    console.log(
      `[mutation] SuMo operator ${f.operator} failed on ${f.file} (${f.message}); its mutants there are left out`,
    );
  console.log(`[mutation] ${mutants.length} mutants of ${TARGETS.length} files (${all.length} in all)`);
  const quick = args.quick !== undefined;
  if (quick) {
    const recorded = loadResults();
    const killed = mutants
      .filter((m) => recorded.get(m.id)?.status === "killed")
      .sort((a, b) => a.id.localeCompare(b.id));
    const byOperator = new Map<string, Mutant[]>();
    for (const m of killed) byOperator.set(m.operator, [...(byOperator.get(m.operator) ?? []), m]);
    const picked: Mutant[] = [];
    for (let round = 0; picked.length < (args.quick as number) && picked.length < killed.length; round++) {
      for (const list of byOperator.values())
        if (list[round] !== undefined && picked.length < (args.quick as number)) picked.push(list[round]);
    }
    if (picked.length === 0)
      throw new Error(`${path.relative(ROOT, RESULTS)} records no killed mutant: run npm run test:mutation first`);
    mutants = picked;
    console.log(`[mutation] quick: ${picked.length} mutants recorded as killed, one operator after another`);
  }
  if (args.list) {
    for (const m of mutants) console.log(`${m.id} ${describeMutant(m)}`);
    return;
  }

  const previous = args.fresh || quick ? new Map<string, Result>() : loadResults();
  const results = new Map<string, Result>(quick ? [] : previous);

  const dirty = execFileSync("git", ["-C", ROOT, "status", "--porcelain", "--", "contracts", "test"]).toString().trim();
  if (dirty !== "") {
    console.log(
      `[mutation] note: uncommitted changes under contracts/ or test/ are NOT tested (the workspaces hold HEAD):\n${dirty}`,
    );
  }

  const workers = Math.max(1, Number(process.env.MUTATION_WORKERS ?? Math.min(2, os.cpus().length)));
  console.log(`[mutation] preparing ${workers} workspace(s) in ${path.relative(ROOT, WORK_DIR)}/ (fast build)`);
  const dirs = Array.from({ length: workers }, (_, i) => path.join(WORK_DIR, `${quick ? "quick-" : ""}w${i}`));
  prepareWorkspace(dirs[0]);
  for (const d of dirs.slice(1)) prepareWorkspace(d, dirs[0]);

  const testers = dirs.map((d) => new TestWorker(d));
  // Sources and tests as committed (the workspaces hold HEAD).
  const read = (f: string): string => readFileSync(path.join(dirs[0], f), "utf8");
  const sources = new Map(TARGETS.map((f) => [f, read(f)]));
  const testFiles = TEST_FILES.filter((f) => existsSync(path.join(dirs[0], f)));
  const helpers = readdirSync(path.join(dirs[0], "test", "helpers"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dirs[0], path.join(e.parentPath, e.name)))
    .sort()
    .map(read);
  const suiteHash = sha1([...testFiles.map(read), ...helpers].join("\0"));

  const solc = require(require.resolve("solc", { paths: [ROOT] })) as SolcModule;
  const input = standardInput(dirs[0]);
  const base = compile(solc, input);
  if (base.build === undefined) throw new Error(`the unmutated contracts do not compile: ${base.error}`);
  const original = base.build;

  // The unmutated tree must pass, and its time sets the time-out. (The quick variant runs after `npm test` in CI.)
  let timeoutMs = 300_000;
  if (!quick) {
    console.log(`[mutation] baseline: ${testFiles.length} test files on the unmutated contracts`);
    const t0 = Date.now();
    const baseline = await testers[0].run(testFiles, 30 * 60_000);
    const baselineSeconds = (Date.now() - t0) / 1000;
    if (baseline.code !== 0) {
      console.error(baseline.output.slice(-4000));
      throw new Error("the tests fail on the unmutated contracts: fix them before mutation testing");
    }
    timeoutMs = Math.round((3 * baselineSeconds + 60) * 1000);
    console.log(
      `[mutation] baseline passed in ${baselineSeconds.toFixed(0)}s; time-out per mutant ${(timeoutMs / 1000).toFixed(0)}s`,
    );
  }

  const fingerprints = new Map<string, string>(); // bytecode fingerprint -> id of the first mutant with it
  const reviewed = loadEquivalent();
  const queue = mutants.filter((m) => {
    const r = previous.get(m.id);
    if (r === undefined || r.sourceHash !== sha1(sources.get(m.file) as string)) return true;
    // A live mutant reviewed as equivalent is not run again for new tests (`--fresh` re-runs it).
    return (r.status === "live" || r.status === "timedout") && r.suiteHash !== suiteHash && !(m.id in reviewed);
  });
  const reused = mutants.length - queue.length;
  if (reused > 0)
    console.log(
      `[mutation] reusing ${reused} earlier results (unchanged source; killed stays killed when tests are added)`,
    );

  const started = Date.now();
  let done = 0;
  const counts: Record<Status, number> = { stillborn: 0, equivalent: 0, duplicate: 0, killed: 0, timedout: 0, live: 0 };
  const record = (r: Result): void => {
    results.set(r.id, r);
    counts[r.status]++;
    done++;
    const elapsed = (Date.now() - started) / 1000;
    const eta = (elapsed / done) * (queue.length - done);
    console.log(
      `[mutation] ${done}/${queue.length} ${r.id} ${r.status.padEnd(10)} ${r.seconds.toFixed(1).padStart(5)}s ` +
        `${describeMutant(all.find((m) => m.id === r.id) as Mutant)}${r.detail !== undefined && r.status !== "stillborn" ? ` | ${r.detail}` : ""}` +
        ` | killed ${counts.killed + counts.timedout} live ${counts.live} eta ${formatDuration(eta)}`,
    );
    if (!quick) writeResults(results, all, failures);
  };

  // Test order per mutant: mocha stops at the first failure, so the file that killed the last mutants of the same
  // function (then of the same file) runs first, then the files that call the function by name, then the rest.
  queue.sort((a, b) => a.file.localeCompare(b.file) || a.start - b.start);
  const killers = new Map<string, string[]>(); // scope or file -> test files that killed mutants there, latest first
  const calls = new Map(testFiles.map((f) => [f, read(f)]));
  const learn = (key: string, testFile: string): void => {
    killers.set(key, [testFile, ...(killers.get(key) ?? []).filter((f) => f !== testFile)].slice(0, 3));
  };
  const orderFor = (m: Mutant): string[] => {
    const fn = m.scope.split(".")[1] ?? "";
    const byName =
      fn === ""
        ? []
        : [...testFiles]
            .map((f) => ({ f, n: (calls.get(f)?.match(new RegExp(`\\.${fn}\\(`, "g")) ?? []).length }))
            .filter((x) => x.n > 0)
            .sort((a, b) => b.n - a.n)
            .map((x) => x.f);
    return [...new Set([...(killers.get(m.scope) ?? []), ...(killers.get(m.file) ?? []), ...byName, ...testFiles])];
  };
  const killerFile = (output: string, order: string[]): string | undefined => {
    // mocha prints each file's suites in order; the failing file is the last one whose top-level title appeared
    const failing = output.indexOf(" failing");
    const head = failing < 0 ? output : output.slice(0, failing);
    let best: string | undefined;
    let at = -1;
    for (const f of order) {
      for (const [, title] of (calls.get(f) ?? "").matchAll(/^describe\(\s*["'`]([^"'`]+)["'`]/gm)) {
        const i = head.lastIndexOf(`\n  ${title}\n`);
        if (i > at) [at, best] = [i, f];
      }
    }
    return best;
  };

  let next = 0;
  const worker = async (dir: string, tester: TestWorker): Promise<void> => {
    const dirtyArtifacts = new Set<string>();
    for (;;) {
      const m = queue[next++];
      if (m === undefined) break;
      const t = Date.now();
      const source = sources.get(m.file) as string;
      const base: Omit<Result, "status" | "seconds"> = {
        id: m.id,
        file: m.file,
        line: m.startLine,
        operator: m.operator,
        original: m.original,
        replace: m.replace,
        sourceHash: sha1(source),
        suiteHash,
      };
      const mutatedInput: StandardInput = {
        ...input,
        sources: { ...input.sources, [m.file]: { content: applyMutant(source, m) } },
      };
      const built = compile(solc, mutatedInput);
      if (built.build === undefined) {
        record({ ...base, status: "stillborn", detail: built.error?.split("\n")[0], seconds: (Date.now() - t) / 1000 });
        continue;
      }
      const changed = changedContracts(original, built.build);
      if (changed.length === 0) {
        record({
          ...base,
          status: "equivalent",
          detail: "same bytecode as the original",
          seconds: (Date.now() - t) / 1000,
        });
        continue;
      }
      const fingerprint = sha1(
        changed.map((k) => `${k}=${built.build?.get(k)?.deployed}/${built.build?.get(k)?.bytecode}`).join(";"),
      );
      const twin = fingerprints.get(fingerprint);
      if (twin !== undefined) {
        record({ ...base, status: "duplicate", detail: twin, seconds: (Date.now() - t) / 1000 });
        continue;
      }
      fingerprints.set(fingerprint, m.id);
      installArtifacts(dir, original, built.build, changed, dirtyArtifacts);
      const order = orderFor(m);
      let run = await tester.run(order, timeoutMs);
      if (run.crashed === true) {
        console.log(`[mutation] ${m.id}: ${run.output}; running it again in a new process`);
        run = await tester.run(order, timeoutMs);
        // Killed twice by the system, each time in a fresh process: the mutant makes the tests exhaust memory (a loop
        // that never ends runs a view to the gas limit, and Hardhat keeps the trace of every step). The tests did
        // not pass: it counts as timed out (killed). Any other crash stops the run.
        if (run.crashed === true && run.output.includes("SIGKILL")) {
          record({
            ...base,
            status: "timedout",
            detail: `${run.output} twice (out of memory: the tests never finish)`,
            seconds: (Date.now() - t) / 1000,
          });
          continue;
        }
        if (run.crashed === true) throw new Error(`${m.id}: ${run.output} twice; stopping (rerun resumes here)`);
      }
      if (process.env.MUTATION_VERBOSE === "1") {
        const failing = run.output.search(/\d+ failing/);
        console.log(
          `[mutation] ${m.id} test output:\n${failing < 0 ? run.output.slice(-3000) : run.output.slice(failing, failing + 3000)}`,
        );
      }
      const seconds = (Date.now() - t) / 1000;
      if (run.timedOut)
        record({ ...base, status: "timedout", detail: `no result within ${timeoutMs / 1000}s`, seconds });
      else if (run.code === 0) record({ ...base, status: "live", seconds });
      else {
        const killer = killerFile(run.output, order);
        if (killer !== undefined) {
          learn(m.scope, killer);
          learn(m.file, killer);
        }
        record({ ...base, status: "killed", detail: firstFailure(run.output) ?? `exit code ${run.code}`, seconds });
      }
    }
    installArtifacts(dir, original, undefined, [], dirtyArtifacts);
  };
  await Promise.all(dirs.map((d, i) => worker(d, testers[i])));
  for (const t of testers) t.stop();

  if (quick) {
    const survivors = queue.filter(
      (m) => !["killed", "timedout", "duplicate"].includes(results.get(m.id)?.status ?? ""),
    );
    if (survivors.length > 0) {
      throw new Error(
        `quick: ${survivors.length} mutant(s) recorded as killed now survive: ${survivors.map((m) => `${m.id} (${describeMutant(m)}) ${results.get(m.id)?.status}`).join("; ")}`,
      );
    }
    console.log(
      `[mutation] quick: all ${queue.length} still killed in ${formatDuration((Date.now() - started) / 1000)}`,
    );
    return;
  }
  const summary = writeResults(results, all, failures);
  console.log(`[mutation] done in ${formatDuration((Date.now() - started) / 1000)}: ${summary}`);
  console.log(`[mutation] report: ${path.relative(process.cwd(), REPORT)}`);
}

/** Writes results.json and report.md for the mutants generated now; returns the one-line summary. */
function writeResults(results: Map<string, Result>, all: Mutant[], failures: OperatorFailure[]): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const reviewed = loadEquivalent();
  const list = all.map((m) => results.get(m.id)).filter((r): r is Result => r !== undefined);
  writeFileSync(RESULTS, `${JSON.stringify({ generated: all.length, results: list }, null, 1)}\n`);

  const by = (s: Status): Result[] => list.filter((r) => r.status === s);
  const live = by("live").filter((r) => reviewed[r.id] === undefined);
  const reviewedLive = by("live").filter((r) => reviewed[r.id] !== undefined);
  const killed = by("killed").length + by("timedout").length;
  const score = killed + live.length === 0 ? 100 : (100 * killed) / (killed + live.length);
  const summary =
    `score ${score.toFixed(1)}% = killed ${killed} / (killed ${killed} + live ${live.length}); ` +
    `equivalent: ${by("equivalent").length} by the compiler, ${reviewedLive.length} by review; ` +
    `duplicates ${by("duplicate").length}; stillborn ${by("stillborn").length}; not yet run ${all.length - list.length}`;

  const line = (r: Result): string =>
    `| \`${r.id}\` | ${path.basename(r.file)}:${r.line} | ${r.operator} | \`${r.original.replace(/\s+/g, " ").trim().slice(0, 60).replace(/\|/g, "\\|")}\` → \`${r.replace.replace(/\s+/g, " ").trim().slice(0, 60).replace(/\|/g, "\\|")}\` |`;
  const perFile = TARGETS.map((f) => {
    const rs = list.filter((r) => r.file === f);
    const k = rs.filter((r) => r.status === "killed" || r.status === "timedout").length;
    const l = rs.filter((r) => r.status === "live" && reviewed[r.id] === undefined).length;
    return `| ${f} | ${rs.length} | ${k} | ${l} | ${rs.filter((r) => r.status === "equivalent" || (r.status === "live" && reviewed[r.id] !== undefined)).length} | ${rs.filter((r) => r.status === "duplicate").length} | ${rs.filter((r) => r.status === "stillborn").length} | ${k + l === 0 ? "-" : ((100 * k) / (k + l)).toFixed(1) + "%"} |`;
  });
  const report = [
    "# Mutation testing report",
    "",
    "Generated by `npm run test:mutation` (scripts/mutation/run.ts); do not edit by hand. Reviewed equivalent mutants",
    "and their reasons live in `mutation/equivalent.json`.",
    "",
    `**${summary}**`,
    "",
    "Mutants: SuMo's operators (standard cluster, minimal rules) on the escrow and its libraries. Compiled with the",
    "fast build (legacy pipeline, no optimizer); each is run against the contract tests (" +
      TEST_FILES.map((f) => `\`${path.basename(f)}\``).join(", ") +
      ") with mocha's --bail and fixed seeds.",
    ...(failures.length > 0
      ? [
          "",
          "SuMo operators that threw (their mutants of that file are missing): " +
            failures.map((f) => `${f.operator} on ${path.basename(f.file)} (${f.message})`).join("; ") +
            ".",
        ]
      : []),
    "",
    "| file | mutants | killed | live | equivalent | duplicates | stillborn | score |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...perFile,
    "",
    `## Live mutants (${live.length})`,
    "",
    ...(live.length === 0 ? ["None."] : ["| id | where | operator | change |", "|---|---|---|---|", ...live.map(line)]),
    "",
    `## Equivalent by review (${reviewedLive.length})`,
    "",
    ...(reviewedLive.length === 0
      ? ["None."]
      : [
          "| id | where | operator | change | why it is equivalent |",
          "|---|---|---|---|---|",
          ...reviewedLive.map((r) => `${line(r)} ${reviewed[r.id].replace(/\|/g, "\\|")} |`),
        ]),
    "",
    `## Equivalent by the compiler (${by("equivalent").length})`,
    "",
    "Same bytecode as the original: no test can tell them apart.",
    "",
    ...(by("equivalent").length === 0
      ? ["None."]
      : ["| id | where | operator | change |", "|---|---|---|---|", ...by("equivalent").map(line)]),
    "",
    "## Killed, by operator",
    "",
    "| operator | killed | first test that failed (most frequent) |",
    "|---|---:|---|",
    ...[...new Set(list.map((r) => r.operator))].sort().map((op) => {
      const ks = list.filter((r) => r.operator === op && (r.status === "killed" || r.status === "timedout"));
      const freq = new Map<string, number>();
      for (const r of ks) freq.set(r.detail ?? "", (freq.get(r.detail ?? "") ?? 0) + 1);
      const top = [...freq.entries()].sort((a, b) => b[1] - a[1])[0];
      return `| ${op} | ${ks.length} | ${top === undefined ? "-" : `${top[0].replace(/\|/g, "\\|")} (${top[1]})`} |`;
    }),
    "",
    "Every mutant with its status and the test that killed it: `mutation/results.json`.",
    "",
  ].join("\n");
  writeFileSync(REPORT, report);
  return summary;
}

main().catch((error: unknown) => {
  console.error(`[mutation] ${(error as Error).message}`);
  process.exit(1);
});
