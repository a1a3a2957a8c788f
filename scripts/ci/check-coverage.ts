/**
 * Fails unless `hardhat coverage` measured 100% of lines and at least 95% of branches on the escrow and each of
 * its libraries (mocks and interfaces excluded). Reads coverage/coverage-summary.json.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const MIN_LINES = 100;
const MIN_BRANCHES = 95;

interface Totals {
  pct: number | string;
  covered: number;
  total: number;
}
type Summary = Record<string, { lines: Totals; branches: Totals }>;

const file = path.join(__dirname, "..", "..", "coverage", "coverage-summary.json");
let summary: Summary;
try {
  summary = JSON.parse(readFileSync(file, "utf8")) as Summary;
} catch (e) {
  console.error(`coverage: cannot read ${file} (${(e as Error).message}); run "npx hardhat coverage" first`);
  process.exit(1);
}

const pct = (t: Totals): number => (t.total === 0 ? 100 : (100 * t.covered) / t.total);
let failed = false;
let checked = 0;
for (const [name, entry] of Object.entries(summary)) {
  if (name === "total" || !/contracts[\\/](SLAEscrow\.sol|libraries[\\/])/.test(name)) continue;
  checked++;
  const lines = pct(entry.lines);
  const branches = pct(entry.branches);
  const ok = lines >= MIN_LINES && branches >= MIN_BRANCHES;
  if (!ok) failed = true;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${path.relative(process.cwd(), name)}: lines ${lines.toFixed(1)}% ` +
      `(${entry.lines.covered}/${entry.lines.total}), branches ${branches.toFixed(1)}% ` +
      `(${entry.branches.covered}/${entry.branches.total})`,
  );
}
if (checked === 0) {
  console.error("coverage: no escrow or library files in the summary");
  process.exit(1);
}
if (failed) {
  console.error(`coverage: below the gate (lines ${MIN_LINES}%, branches ${MIN_BRANCHES}%)`);
  process.exit(1);
}
console.log(`coverage: gate passed (lines ${MIN_LINES}%, branches >= ${MIN_BRANCHES}%)`);
