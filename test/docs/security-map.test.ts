import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * SECURITY.md maps each threat to the test that proves its defence. This keeps the map true: every row of the
 * threat tables (section 2) names at least one test file, and every test it cites, by its `describe`/`context`
 * path and its `it(...)` title, exists in that file. A renamed or deleted test fails here, not silently in the docs.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const SECURITY = readFileSync(path.join(ROOT, "SECURITY.md"), "utf8");

interface Citation {
  /** The threat (first cell of the row). */
  threat: string;
  file: string;
  /** The `describe`/`context` titles before the test, in order. */
  contexts: string[];
  /** `"title"` for a literal title, `` `title` `` for a template literal. */
  tests: string[];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The rows of the threat tables: section 2, every table row but the header and the separator. */
function threatRows(): string[][] {
  const start = SECURITY.indexOf("## 2.");
  const end = SECURITY.indexOf("\n## 3.", start);
  expect(start, "SECURITY.md has no section 2").to.be.greaterThan(-1);
  return SECURITY.slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("| ") && !/^\| threat \|/.test(line))
    .map((line) =>
      line
        .slice(2, -2)
        .split(" | ")
        .map((cell) => cell.trim()),
    );
}

/** Splits a "test" cell into citations: `*file* › context › it("title")`, several per cell. */
function citations(threat: string, cell: string): Citation[] {
  const out: Citation[] = [];
  for (const part of cell.split(/(?=\*test\/)/)) {
    const file = /^\*(test\/[^*]+)\*/.exec(part)?.[1];
    if (file === undefined) continue;
    const contexts: string[] = [];
    const tests: string[] = [];
    // Segments between "›" separators: a test title (`it("...")` or ``it(`...`)``), or a context title.
    for (const segment of part.slice(file.length + 2).split("›")) {
      const titles = [...segment.matchAll(/`+it\((["`])(.*?)\1\)`+/g)].map((m) => `${m[1]}${m[2]}${m[1]}`);
      const text = segment.replace(/^[\s;]+|[\s;]+$/g, "");
      if (titles.length > 0) tests.push(...titles);
      else if (/^[A-Za-z]/.test(text)) contexts.push(text);
    }
    out.push({ threat, file, contexts, tests });
  }
  return out;
}

describe("SECURITY.md threat map", function () {
  const rows = threatRows();
  const cells = rows.map((row) => ({
    threat: row[0],
    cell: row[row.length - 1],
  }));

  it("has threat rows, each naming at least one test file", function () {
    expect(rows.length).to.be.greaterThan(50);
    for (const { threat, cell } of cells) {
      expect(cell, `threat "${threat}" cites no test`).to.match(/\*test\/[^*]+\*/);
    }
  });

  it("cites only tests that exist, under the contexts it names", function () {
    let cited = 0;
    for (const { threat, cell } of cells) {
      for (const c of citations(threat, cell)) {
        const where = `SECURITY.md, threat "${c.threat}": ${c.file}`;
        expect(existsSync(path.join(ROOT, c.file)), `${where} does not exist`).to.equal(true);
        const source = readFileSync(path.join(ROOT, c.file), "utf8");
        for (const context of c.contexts) {
          expect(source.includes(`"${context}"`), `${where} has no describe/context "${context}"`).to.equal(true);
        }
        for (const title of c.tests) {
          const found = new RegExp(`\\bit\\(\\s*${escape(title)}`).test(source);
          expect(found, `${where} has no test it(${title})`).to.equal(true);
          cited++;
        }
      }
    }
    expect(cited).to.be.greaterThan(80);
  });
});
