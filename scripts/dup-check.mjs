#!/usr/bin/env node
// Duplicate-code scan of src/ (jscpd, pinned in package.json), run by CI: `npm run dup`.
//
// The rule that matters (issue 15): kernel logic lives once, in src/model (the page cache
// and its kernel operations) and src/policies (the hooks), and both the engine and the
// checker call it. So a clone between src/engine/ and src/checker/ fails, however it is
// spelled: exact copies, copies with identifiers renamed (--ignore-identifiers) and
// near-miss function pairs (AST similarity >= 0.85) all count, from 40 tokens up (about
// five lines of TypeScript: a kernel step such as clear_page_dirty_for_io is longer).
// Elsewhere, exact copies may not exceed MAX_EXACT_PERCENT of src/'s lines.
//
// Prints every clone it found (so the report shows what is duplicated where) and exits 1
// on a violation. Usage: node scripts/dup-check.mjs [--json] [--root DIR (a tree with src/; default: this checkout)]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HOME = join(dirname(fileURLToPath(import.meta.url)), "..");
const rootArg = process.argv.indexOf("--root");
const ROOT = rootArg > 0 ? process.argv[rootArg + 1] : HOME;
/** Folders that must not share code with each other (each pair is checked). */
const ISOLATED = [["src/engine/", "src/checker/"]];
/** Exact duplication allowed in src/, percent of lines (0.3 % measured when this was set). */
const MAX_EXACT_PERCENT = 1;
const MIN_TOKENS = 40;

const out = mkdtempSync(join(tmpdir(), "pinsim-jscpd-"));
try {
  const bin = join(HOME, "node_modules", ".bin", "jscpd");
  const args = [
    "src",
    "--min-tokens",
    String(MIN_TOKENS),
    "--ignore-identifiers",
    "--similarity",
    "0.85",
    "--reporters",
    "json",
    "--output",
    out,
    "--silent",
    "--no-colors",
  ];
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, JSCPD_NO_TIPS: "1" } });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    process.stderr.write(`dup-check: jscpd exited ${r.status}\n${r.stderr}`);
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(join(out, "jscpd-report.json"), "utf8"));
  const clones = report.duplicates.map((d) => ({
    kind: d.kind ?? "exact",
    a: `src/${d.firstFile.name}`,
    b: `src/${d.secondFile.name}`,
    where: `src/${d.firstFile.name}:${d.firstFile.start}-${d.firstFile.end} ~ src/${d.secondFile.name}:${d.secondFile.start}-${d.secondFile.end}`,
    lines: d.lines,
    tokens: d.tokens,
  }));
  if (process.argv.includes("--json")) {
    process.stdout.write(`${JSON.stringify({ clones, statistics: report.statistics }, null, 2)}\n`);
  }
  const crossing = clones.filter((c) =>
    ISOLATED.some(([x, y]) => (c.a.startsWith(x) && c.b.startsWith(y)) || (c.a.startsWith(y) && c.b.startsWith(x))),
  );
  const exactLines = clones.filter((c) => c.kind === "exact").reduce((s, c) => s + c.lines, 0);
  const total = report.statistics.total ?? report.statistics;
  const exactPercent = (100 * exactLines) / total.lines;
  const byKind = {};
  for (const c of clones) {
    byKind[c.kind] ??= [];
    byKind[c.kind].push(c);
  }
  console.log(
    `jscpd ${MIN_TOKENS}+ tokens over src/: ${total.sources} files, ${total.lines} lines; ` +
      `${clones.length} clones (${
        Object.entries(byKind)
          .map(([k, v]) => `${v.length} ${k}`)
          .join(", ") || "none"
      }); ` +
      `exact copies ${exactLines} lines = ${exactPercent.toFixed(2)} % (max ${MAX_EXACT_PERCENT} %)`,
  );
  for (const c of clones)
    console.log(
      `  ${c.kind.padEnd(8)} ${String(c.lines).padStart(3)} lines ${String(c.tokens).padStart(4)} tokens  ${c.where}`,
    );
  let failed = false;
  for (const c of crossing) {
    console.error(
      `dup-check: engine and checker share code (${c.kind}, ${c.lines} lines): ${c.where}; move it into src/model or src/policies and call it from both`,
    );
    failed = true;
  }
  if (exactPercent > MAX_EXACT_PERCENT) {
    console.error(`dup-check: ${exactPercent.toFixed(2)} % of src/ is exact copies (max ${MAX_EXACT_PERCENT} %)`);
    failed = true;
  }
  if (!failed) console.log(`dup-check: no clone between ${ISOLATED.map((p) => p.join(" and ")).join("; ")}`);
  process.exitCode = failed ? 1 : 0;
} finally {
  rmSync(out, { recursive: true, force: true });
}
