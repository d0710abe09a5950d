// `pinsim check`: exit codes (0 clean, 1 mismatch, 2 bad input) and the --json shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCheck } from "../src/cli/commands/check.js";
import { UsageError } from "../src/cli/errors.js";
import { InputError } from "../src/errors.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pinsim-check-"));

/** Run with stdout captured. */
function capture(fn: () => number): { code: number; out: string } {
  const write = process.stdout.write.bind(process.stdout);
  let out = "";
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    return { code: fn(), out };
  } finally {
    process.stdout.write = write;
  }
}

const wrong = join(dir, "GUP-slow+WB+wrong.scenario");
writeFileSync(
  wrong,
  [
    "Scenario: GUP-slow+WB+wrong",
    "Purpose: a deliberately wrong expectation: dirty-at-gup does lose data here.",
    "Policies: dirty-at-gup",
    "Actor P0: gup path=slow dma=1",
    "Actor P1: flusher",
    "Result: lostData Never",
    "",
  ].join("\n"),
);
const malformed = join(dir, "GUP-slow+bad.scenario");
writeFileSync(malformed, "Scenario: GUP-slow+bad\nPolicies: foll-pin\nActor P0: gup path=sideways\n");

test("a wrong expectation is a mismatch: exit 1, with the witness", () => {
  const { code, out } = capture(() => runCheck([wrong], {}));
  assert.equal(code, 1);
  assert.match(out, /MISMATCH +GUP-slow\+WB\+wrong dirty-at-gup\/base/);
  assert.match(out, /lostData Sometimes \(expected Never\)/);
  assert.match(out, /witness of lostData \(F3\)/);
});

test("--json prints {results: [{scenario, policy, variant, states, verdicts, witnesses}]}", () => {
  const { out } = capture(() => runCheck([wrong], { json: true }));
  const { results } = JSON.parse(out);
  assert.equal(results.length, 1);
  const r = results[0];
  assert.equal(r.scenario, "GUP-slow+WB+wrong");
  assert.equal(r.policy, "dirty-at-gup");
  assert.equal(r.variant, "base");
  assert.ok(r.states > 10);
  assert.equal(r.verdicts.lostData, "Sometimes");
  assert.ok(
    r.witnesses.lostData.every((s: { n: number; actor: string; step: string }, i: number) => s.n === i + 1 && s.step),
  );
});

test("bad input is an InputError naming file and line", () => {
  assert.throws(
    () => runCheck([malformed], {}),
    (e: unknown) =>
      e instanceof InputError &&
      /GUP-slow\+bad\.scenario:3: expected P0\.path: one of slow, fast, fast-no-recheck, got 'sideways'/.test(
        e.message,
      ),
  );
  assert.throws(() => runCheck([wrong], { policy: ["nope"] }), /^InputError: invalid --policy: "nope" \(allowed: /);
  assert.throws(
    () => runCheck([wrong], { maxStates: "0" }),
    (e: unknown) =>
      e instanceof InputError &&
      /^invalid --max-states: "0" \(allowed: a decimal integer in 1\.\.9007199254740991\)$/.test(e.message),
  );
  assert.throws(() => runCheck([wrong], { variant: ["nope"] }), UsageError);
});

test("the command line: exit 2 and one line on stderr for a malformed scenario", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", malformed], { encoding: "utf8" });
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /GUP-slow\+bad\.scenario:3: expected/);
});

// A tester's reproducers: an empty --policy or --variant ('' or ',') judged nothing and exited
// 0 ("0 judged"), so a CI job would pass silently; a name given twice was searched twice.
test("--policy and --variant: an empty name is one line and exit 2; a repeated name is searched once", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", "GUP-slow+WB+reclaim+release", ...args], {
      encoding: "utf8",
    });
  for (const [args, message] of [
    [["--policy", ""], /^pinsim: invalid --policy: "" \(allowed: legacy-put-page, .*foll-pin.*\)$/],
    [["--policy", ","], /^pinsim: invalid --policy: "" \(allowed: legacy-put-page, .*\)$/],
    [["--policy", "foll-pin,"], /^pinsim: invalid --policy: "" \(allowed: /],
    [["--variant", ""], /^pinsim: --variant: no scenario has a variant '' \(known: base, guard, noguard\)$/],
    [["--variant", ","], /^pinsim: --variant: no scenario has a variant '' \(known: /],
  ] as const) {
    const r = cli(...args);
    assert.equal(r.status, 2, args.join(" "));
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], message);
  }
  // The scenario has 3 variants (base, guard, noguard): foll-pin once is 3 runs, not 6.
  const twice = cli("--policy", "foll-pin", "--policy", "foll-pin,foll-pin");
  assert.equal(twice.status, 0, twice.stderr);
  assert.match(twice.stdout, /^3 judged, 3 ok, 0 mismatched$/m);
  const variants = cli("--policy", "foll-pin", "--variant", "base,base", "--variant", "base");
  assert.match(variants.stdout, /^1 judged, 1 ok, 0 mismatched$/m);
});

test("the options of issue 21: each bad value is one line naming file, line and what is allowed, exit 2", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  const head = "Scenario: X\nPolicies: foll-pin\n";
  // [the actor line (line 3), what the message must say]; the allowed values are the option tables'.
  const cases: [string, RegExp][] = [
    ["Actor P0: gup notifier=maybe", /X\.scenario:3: expected P0\.notifier: one of yes, no, got 'maybe'$/],
    ["Actor P0: gup busy=1", /X\.scenario:3: expected P0\.busy: one of yes, no, got '1'$/],
    ["Actor P0: gup end=exit", /X\.scenario:3: expected P0\.end: one of release, munmap, got 'exit'$/],
    [
      "Actor P0: gup release=lock",
      /X\.scenario:3: expected P0\.release: one of default, set_page_dirty_lock, set_page_dirty, trylock-set_page_dirty, dirty-if-clean, SetPageDirty, bio-redirty, none, got 'lock'$/,
    ],
    ["Actor P0: invalidate mode=drop", /X\.scenario:3: expected P0\.mode: one of mapping, pages2, got 'drop'$/],
    ["Actor P0: invalidate range=1", /X\.scenario:3: expected an option of invalidate \(mode\), got 'range'$/],
    ["Actor P0: munmap len=1", /X\.scenario:3: expected an option of munmap \(none\), got 'len'$/],
    // An integer option out of its range names the option (gup's dma: 0..3 device writes, src/checker/options.ts).
    [
      "Actor P0: gup path=slow dma=99999999999999999999",
      /X\.scenario:3: expected P0\.dma: an integer in 0\.\.3, got '99999999999999999999'$/,
    ],
    // A range's end out of bounds names it too; so does a variant's coverage key (folio: order 0..9).
    ["Actor P0: gup dma=0..7", /X\.scenario:3: expected P0\.dma: an integer in 0\.\.3, got '7'$/],
    ["Actor P0: gup\nVariant v: folio=99", /X\.scenario:4: expected folio: an integer in 0\.\.9, got '99'$/],
    // Two verdicts of one incident for the same policy/variant contradict each other: a parse error
    // (before: the last one kept, then a MISMATCH and exit 1).
    [
      "Actor P0: gup\nResult: lostData Never, lostData Sometimes",
      /X\.scenario:4: expected each incident once per Result qualifier, got 'lostData'$/,
    ],
    [
      "Actor P0: gup\nResult: lostData Never\nResult: doubleWritebacks Never, lostData Never",
      /X\.scenario:5: expected each incident once per Result qualifier, got 'lostData' \(also on line 4\)$/,
    ],
    // Two userptr objects over the one page: refused at the end of the file.
    [
      "Actor P0: gup notifier=yes\nActor P1: gup notifier=yes",
      /X\.scenario:5: expected at most one 'gup' actor with notifier=yes/,
    ],
  ];
  for (const [actor, message] of cases) {
    const file = join(dir, "X.scenario");
    writeFileSync(file, head + actor + "\n");
    const r = spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", file], { encoding: "utf8" });
    assert.equal(r.status, 2, actor);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], message);
  }
});

test("--witness INCIDENT --format svg,png,txt writes the chart of each run that reaches it", () => {
  const out = join(dir, "witnesses");
  const { code, out: text } = capture(() =>
    runCheck(["GUP-slow+WB+reclaim+release"], {
      policy: ["legacy-put-page"],
      variant: ["base"],
      witness: "lostData",
      format: "svg,png,txt",
      out,
    }),
  );
  assert.equal(code, 0);
  const stem = join(out, "GUP-slow+WB+reclaim+release.legacy-put-page.base.lostData");
  for (const ext of ["svg", "png", "txt"]) assert.ok(existsSync(`${stem}.${ext}`), ext);
  assert.match(text, /lostData \(F3\) under legacy-put-page/);
  // foll-pin with its guard never loses data there: no chart, exit 1.
  const none = capture(() =>
    runCheck(["GUP-slow+WB+reclaim+release"], { policy: ["foll-pin"], variant: ["base"], witness: "lostData", out }),
  );
  assert.equal(none.code, 1);
  assert.match(none.out, /lostData is Never, no witness/);
  assert.throws(
    () => runCheck([wrong], { witness: "nope" }),
    (e: unknown) => e instanceof UsageError && /--witness: unknown incident 'nope'/.test(e.message),
  );
  assert.throws(
    () => runCheck([wrong], { witness: "lostData", format: "svg,gif" }),
    (e: unknown) => e instanceof UsageError && /--format: expected/.test(e.message),
  );
});

test("--no-reduce: the same verdicts from at least as many states", () => {
  const a = JSON.parse(capture(() => runCheck(["DEV-mirror+WB+CPU"], { json: true })).out).results;
  const b = JSON.parse(capture(() => runCheck(["DEV-mirror+WB+CPU"], { json: true, reduce: false })).out).results;
  assert.equal(a.length, b.length);
  a.forEach((r: { verdicts: unknown; states: number }, i: number) => {
    assert.deepEqual(r.verdicts, b[i].verdicts);
    assert.ok(r.states <= b[i].states);
  });
});

test("flags the command would ignore are refused: --table with --policy/--variant/--witness/--verbose, --format/--out without --witness", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", ...args], { encoding: "utf8" });
  for (const [args, message] of [
    // --table judges all policies over all variants: a narrowing flag would be silently dropped.
    [["--table", "--policy", "foll-pin"], /^pinsim: --policy: not with --table /],
    [["--table", "--variant", "base"], /^pinsim: --variant: not with --table /],
    [["--table", "--witness", "lostData"], /^pinsim: --witness: not with --table /],
    [["--table", "--verbose"], /^pinsim: --verbose: not with --table /],
    // --format and --out shape only --witness's files.
    [["GUP-slow+WB", "--format", "svg"], /^pinsim: --format: only with --witness /],
    [["GUP-slow+WB", "--out", join(dir, "w")], /^pinsim: --out: only with --witness /],
  ] as const) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  assert.equal(existsSync(join(dir, "w")), false, "--out without --witness created its folder");
});

test("a check of more than BUDGET.searchesPerCheck searches is refused before searching; --variant narrows it", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  // 10,000 Variant lines and the scenario's own base variant: 10,001 searches with one
  // policy, one over the budget of 10,000 (src/model/budget.ts BUDGET.searchesPerCheck).
  const many = join(dir, "many-variants.scenario");
  const lines = ["Scenario: many-variants", "Policies: foll-pin", "Actor P0: gup path=slow dma=1", "Actor P1: flusher"];
  for (let i = 0; i < 10_000; i++) lines.push(`Variant v${i}: P0.dma=1`);
  writeFileSync(many, lines.join("\n") + "\n");
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", many, ...args], { encoding: "utf8" });
  const refused = cli();
  assert.equal(refused.status, 2, refused.stderr);
  assert.equal(refused.stdout, "");
  assert.match(
    refused.stderr.trim(),
    /^pinsim: invalid scenarios: "10001 searches \(policies × variants\)" \(allowed: at most 10000 searches per check; .*--no-budget\)$/,
  );
  // The verdict table multiplies by the 9 built-in policies: 9 × 10,001.
  assert.match(cli("--table").stderr, /"90009 searches/);
  const narrowed = cli("--variant", "v7");
  assert.equal(narrowed.status, 0, narrowed.stderr);
  // One search (the scenario has no Result line, so nothing to judge).
  assert.match(narrowed.stdout, /many-variants foll-pin\/v7 \(\d+ states\)/);
  assert.match(narrowed.stdout, /^0 judged, 0 ok, 0 mismatched, 1 without expectation$/m);
});

test("--format given twice writes both formats (a tester's --format svg --format png wrote png alone)", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  const out = join(dir, "two-formats");
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, "bin/pinsim.js"),
      "check",
      "GUP-slow+WB+reclaim+release",
      "--policy",
      "legacy-put-page",
      "--variant",
      "base",
      "--witness",
      "lostData",
      "--format",
      "svg",
      "--format",
      "png",
      "--out",
      out,
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const stem = join(out, "GUP-slow+WB+reclaim+release.legacy-put-page.base.lostData");
  assert.ok(existsSync(`${stem}.svg`), "svg missing");
  assert.ok(existsSync(`${stem}.png`), "png missing");
  assert.equal(existsSync(`${stem}.txt`), false, "txt was not asked for");
});

test("--witness: a directory or a symbolic link where a witness file goes is one line, exit 2, nothing written through", () => {
  // A directory there crashed write-file-atomic's rename (EISDIR, a stack trace, exit 1);
  // a symbolic link was written through (write-file-atomic follows it): out-dir.ts checkOutputFile.
  const out = mkdtempSync(join(tmpdir(), "pinsim-witness-"));
  const stem = join(out, "GUP-slow+WB+reclaim+release.legacy-put-page.base.lostData");
  const args = ["check", "GUP-slow+WB+reclaim+release", "--policy", "legacy-put-page", "--variant", "base"];
  const cli = (...more: string[]) =>
    spawnSync(
      process.execPath,
      [join(ROOT, "bin/pinsim.js"), ...args, "--witness", "lostData", "--out", out, ...more],
      {
        encoding: "utf8",
      },
    );
  mkdirSync(`${stem}.txt`);
  const d = cli();
  assert.equal(d.status, 2, d.stderr);
  assert.equal(d.stderr.trim().split("\n").length, 1);
  assert.match(d.stderr, /^pinsim: invalid --out: .*lostData\.txt is a directory, not a file\)$/m);
  const target = join(out, "target");
  writeFileSync(target, "keep");
  symlinkSync(target, `${stem}.svg`);
  const l = cli("--format", "svg");
  assert.equal(l.status, 2, l.stderr);
  assert.match(l.stderr, /lostData\.svg is a symbolic link \(to .*target\)\)$/m);
  assert.equal(readFileSync(target, "utf8"), "keep");
});
