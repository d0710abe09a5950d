// Scenario choices: the parser's choice and range forms, its refusals (FILE:LINE: expected …),
// keys that name Object.prototype members, linear time on huge files, and the semantics:
// a choice's verdict is the union of the verdicts of its expansions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  ScenarioError,
  applyVariant,
  checkConfig,
  expandActor,
  expandKnobs,
  loadScenario,
  loadScenarioDir,
  parseScenario,
  runScenario,
  INCIDENTS,
  type ActorSpec,
  type CheckResult,
  type IncidentName,
  type Judgement,
  type PageSpec,
} from "../src/checker/index.js";
import type { PolicyId } from "../src/policies/ids.js";
import { InputError } from "../src/errors.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const head = "Scenario: bad\nPolicies: foll-pin\n";

function refuses(text: string, line: number, what: RegExp): void {
  assert.throws(
    () => parseScenario(text, "bad.scenario"),
    (e: unknown) =>
      e instanceof ScenarioError &&
      e.line === line &&
      e.message.startsWith(`bad.scenario:${line}: expected `) &&
      what.test(e.message),
    text,
  );
}

test("choice and range forms expand to their alternatives", () => {
  const s = parseScenario(
    head +
      [
        "Page: clean | buffers | pte-writable",
        "Guard: on | off",
        "Actor P0: gup dma=0..2 path=slow|fast",
        "Actor P1: flusher passes=2 sync=none|all",
        "Actor P2: cpu stores=0..1",
      ].join("\n"),
  );
  assert.deepEqual(
    s.pages.map((p) => [p.buffers, p.dirty, p.pteWritable]),
    [
      [false, false, false],
      [true, false, false],
      [true, true, true],
    ],
  );
  assert.deepEqual(
    expandKnobs(s.knobs).map((k) => k.guard),
    [true, false],
  );
  // dma 0,1,2 × path slow,fast = 6 GUP users.
  assert.equal(expandActor(s.actors[0]).length, 6);
  // Each of the 2 passes either mode: 2^2 = 4 sequences.
  assert.deepEqual(
    expandActor(s.actors[1]).map((a) => (a as { syncAll: boolean[] }).syncAll),
    [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ],
  );
  assert.deepEqual(
    expandActor(s.actors[2]).map((a) => (a as { stores: number }).stores),
    [0, 1],
  );
  // A range of passes with a per-pass choice: 2 (one pass) + 4 (two passes).
  const f = parseScenario(head + "Actor P0: flusher passes=1..2 sync=none|all");
  assert.equal(expandActor(f.actors[0]).length, 6);
  // Spaces around | in an option list are allowed; duplicates are dropped.
  const g = parseScenario(head + "Actor P0: cpu stores=1 | 1 | 2");
  assert.deepEqual(g.actors[0].options.get("stores"), [1, 2]);
});

test("variants take choices too, applied per variant", () => {
  const s = parseScenario(head + "Actor P0: gup\nVariant many: P0.dma=0..3 guard=on|off\n");
  const base = applyVariant(s, s.variants[0]),
    many = applyVariant(s, s.variants[1]);
  assert.equal(expandActor(base.actors[0]).length, 1);
  assert.equal(expandActor(many.actors[0]).length, 4);
  assert.deepEqual(many.knobs.guard, [true, false]);
});

test("bad choices and ranges: FILE:LINE: expected …", () => {
  refuses(head + "Actor P0: flusher sync=none|\n", 3, /a value for P0\.sync on each side of '\|'/);
  refuses(head + "Actor P0: flusher sync=\n", 3, /a value for P0\.sync on each side/);
  refuses(head + "Page: clean |\n", 3, /page flags on each side of '\|'/);
  refuses(head + "Actor P0: cpu stores=2..1\n", 3, /LOW <= HIGH, got '2\.\.1'/);
  refuses(head + "Actor P0: cpu stores=0..9\n", 3, /an integer in 0\.\.3, got '9'/);
  refuses(head + "Actor P0: gup path=slow..fast\n", 3, /one of the values of P0\.path, no range/);
  refuses(head + "Actor P0: gup|cpu\n", 3, /one actor kind .*no choice/);
  refuses("Scenario: bad\nPolicies: foll-pin|keep-dirty\n", 2, /no choice/);
  refuses(head + "Actor P0: gup\nResult: lostData Never|Sometimes\n", 4, /one verdict per incident .*no choice/);
  refuses(head + "Actor P0: reclaim x=1|2\n", 3, /an option of reclaim \(none\), got 'x'/);
  refuses(head + "Actor P0: gup dma=1 dma=2\n", 3, /each option once/);
  // The same on a Variant line: one of two values silently won (a tester's P0.dma=0 P0.dma=1).
  refuses(head + "Actor P0: gup\nVariant w: P0.dma=0 P0.dma=1\n", 4, /each key once, 'P0\.dma' is set twice/);
  refuses(head + "Actor P0: gup\nVariant w: guard=on guard=off\n", 4, /each key once, 'guard' is set twice/);
  // A variant named like a policy: `Result foll-pin:` reads the policy (parseResult), so that
  // variant's own Result line could never be written; the tester's file judged it against
  // the general verdict without a word.
  refuses(
    head + "Actor P0: gup\nVariant foll-pin: P0.dma=2\n",
    4,
    /a variant name that is no policy id, got 'foll-pin'/,
  );
  refuses(head + "Guard: on | sometimes\n", 3, /one of on, off, got 'sometimes'/);
  refuses(head + "Actor P0: gup\nVariant v: P0.dma=3..0\n", 4, /LOW <= HIGH/);
  // More than 8 actors: the ninth line is refused.
  const nine = Array.from({ length: 9 }, (_, i) => `Actor P${i}: cpu`).join("\n");
  refuses(head + nine, 11, /at most 8 actors, got a 9th \('P8'\)/);
});

test("a trailing # comment ends a line as a whole-line comment does; Purpose's text keeps its #", () => {
  const plain =
    "Scenario: c\nPurpose: liburing#358, see issue #21\n  and #22\nPolicies: foll-pin\nPage: dirty | clean\nActor P0: gup access=read\nActor P1: flusher passes=1\nVariant v: P0.dma=0\nResult: lostData Never\n";
  const commented = plain
    .split("\n")
    .map((l) => (l === "" || l.startsWith("Purpose") || l.startsWith(" ") ? l : `${l}  # note: ${l}`))
    .join("\n")
    .replace("Actor P1: flusher passes=1", "Actor P1: flusher passes=1\t#tab");
  assert.notEqual(commented, plain);
  assert.deepEqual(parseScenario(commented, "c.scenario"), parseScenario(plain, "c.scenario"));
  assert.equal(parseScenario(plain).purpose, "liburing#358, see issue #21 and #22");
  // A # glued to a value is part of it (and refused there), not a comment.
  refuses(`${head}Actor P0: gup access=read#x\n`, 3, /P0\.access: one of write, read, got 'read#x'/);
});

test("keys naming Object.prototype members are plain unknown keys", () => {
  for (const k of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    refuses(
      head + `Actor P0: gup ${k}=1\n`,
      3,
      new RegExp(
        `an option of gup \\(path, dma, longterm, access, caller, hook, notifier, release, end, busy, force, dest\\), got '${k}'`,
      ),
    );
    refuses(head + `Actor P0: gup\nVariant v: ${k}=1\n`, 4, /guard, fs, stable or <actor>\.<option>/);
    refuses(head + `Actor P0: gup\nVariant v: P0.${k}=1\n`, 4, /an option of gup/);
    refuses(head + `Actor P0: gup\nResult ${k}: lostData Never\n`, 4, /a policy id or a variant declared above/);
    refuses(head + `Actor P0: gup\nResult: ${k} Never\n`, 4, /one of dirtyWithoutBuffers/);
  }
  refuses(
    head + "Actor P0: constructor\n",
    3,
    /one of gup, flusher, reclaim, cpu, truncate, munmap, invalidate, io, fork, madvise, got 'constructor'/,
  );
  refuses(head + "constructor: x\n", 3, /a directive \(Scenario,.*got 'constructor'/);
  refuses(head + "Actor P0: gup\nActor constructor: cpu\nActor constructor: cpu\n", 5, /'constructor' is taken/);
});

test("huge files are parsed or refused in linear time", () => {
  // 10^5 actor lines: refused at the ninth (line 2 + 9 = 11), without reading on.
  const actors = Array.from({ length: 100_000 }, (_, i) => `Actor A${i}: cpu`).join("\n");
  refuses(head + actors, 11, /at most 8 actors/);
  // 10^5 variants and as many Result lines naming them: every lookup is a Map's.
  const variants = Array.from({ length: 100_000 }, (_, i) => `Variant v${i}: P0.dma=${i % 4}`);
  const results = Array.from({ length: 100_000 }, (_, i) => `Result v${i}: lostData Never`);
  const s = parseScenario([head + "Actor P0: gup", ...variants, ...results].join("\n"));
  assert.equal(s.variants.length, 100_001);
  assert.equal(s.expectations.length, 100_000);
  // And a duplicate at the end of a long list is found.
  refuses(
    [head + "Actor P0: gup", ...variants.slice(0, 10_000), "Variant v7: P0.dma=1"].join("\n"),
    10_004,
    /'v7' is taken/,
  );
});

/** The union of verdicts over alternatives: Never if none reaches it, Always if all do always. */
function union(vs: Judgement[]): Judgement {
  if (vs.every((v) => v === "Never")) return "Never";
  if (vs.every((v) => v === "Always")) return "Always";
  return "Sometimes";
}

/** The initial pages the property draws from: clean, buffers, pte-writable, dirty and unmapped. */
const PAGES: PageSpec[] = [
  { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
  { dirty: false, buffers: true, pteWritable: false, unmapped: false, shares: 1 },
  { dirty: true, buffers: true, pteWritable: true, unmapped: false, shares: 1 },
  { dirty: true, buffers: true, pteWritable: false, unmapped: true, shares: 1 },
];
const actorLine = fc.oneof(
  fc
    .record({
      path: fc.subarray(["slow", "fast"], { minLength: 1 }),
      dma: fc.subarray(["0", "1", "2"], { minLength: 1 }),
    })
    .map((o) => `gup path=${o.path.join("|")} dma=${o.dma.join("|")}`),
  fc.subarray(["none", "all"], { minLength: 1 }).map((s) => `flusher passes=1 sync=${s.join("|")}`),
  fc.constantFrom("cpu stores=0..1", "cpu stores=1", "reclaim", "truncate"),
);

test("a choice gives the union of the verdicts of its expansions (property)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom<PolicyId>("legacy-put-page", "dirty-at-gup", "foll-pin", "keep-dirty", "block-bounce"),
      fc.subarray([0, 1, 2, 3], { minLength: 1, maxLength: 2 }),
      fc.array(actorLine, { minLength: 1, maxLength: 3 }),
      fc.subarray(["on", "off"], { minLength: 1 }),
      (policy, pageIdx, lines, guard) => {
        const pages = pageIdx.map((i) => PAGES[i]);
        const text =
          `Scenario: t\nPolicies: ${policy}\nGuard: ${guard.join("|")}\n` +
          lines.map((l, i) => `Actor P${i}: ${l}`).join("\n");
        const s = parseScenario(text);
        const { actors, knobs } = applyVariant(s, s.variants[0]);
        const whole = checkConfig({ policy, page: pages, knobs, actors });
        // Every expansion on its own: pages × knobs × each actor's concrete alternatives.
        const parts: CheckResult[] = [];
        const each = (i: number, chosen: ActorSpec[]): void => {
          if (i === actors.length) {
            for (const p of pages)
              for (const k of expandKnobs(knobs))
                parts.push(checkConfig({ policy, page: p, knobs: k, actors: chosen }));
            return;
          }
          for (const a of expandActor(actors[i])) each(i + 1, [...chosen, a]);
        };
        each(0, []);
        for (const k of INCIDENTS as readonly IncidentName[]) {
          assert.equal(whole.verdicts[k], union(parts.map((r) => r.verdicts[k])), `${k} in\n${text}\npages ${pageIdx}`);
        }
        assert.equal(whole.deadlocks, 0);
      },
    ),
    { numRuns: 25, seed: 11 },
  );
});

test("the command line: exit 2 and one line for each kind of bad choice", {
  skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "pinsim-choice-"));
  const cases: [string, RegExp][] = [
    ["Actor P0: flusher sync=none|", /:3: expected a value for P0\.sync on each side of '\|'/],
    ["Actor P0: cpu stores=1..0", /:3: expected a range LOW\.\.HIGH for P0\.stores with LOW <= HIGH, got '1\.\.0'/],
    [Array.from({ length: 9 }, (_, i) => `Actor P${i}: cpu`).join("\n"), /:11: expected at most 8 actors/],
    ["Actor P0: gup|cpu", /:3: expected one actor kind/],
  ];
  for (const [body, what] of cases) {
    const f = join(dir, "t.scenario");
    writeFileSync(f, `Scenario: t\nPolicies: foll-pin\n${body}\n`);
    const r = spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", f], { encoding: "utf8" });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], what);
  }
});

test("the reduction gives the full search's verdicts on every scenario of data/scenarios/", () => {
  // A persistent set keeps every terminal state reachable (Godefroid 1996, thm 4.3), so
  // not only the verdicts but the number of distinct terminal states must agree.
  const dir = join(ROOT, "data/scenarios");
  for (const s of loadScenarioDir(dir)) {
    const full = runScenario(s, { reduce: false });
    const reduced = runScenario(s, { reduce: true });
    full.forEach((f, i) => {
      const r = reduced[i];
      const what = `${s.name} ${f.policy}/${f.variant}`;
      assert.deepEqual(r.result.verdicts, f.result.verdicts, what);
      assert.equal(r.result.terminals, f.result.terminals, what);
      assert.ok(r.result.states <= f.result.states, what);
    });
  }
});

const bigActorLine = fc.oneof(
  actorLine,
  fc.constantFrom("flusher passes=2 sync=none|all", "gup path=fast dma=1 hook=inside|after", "reclaim", "truncate"),
);

test("the reduction gives the full search's verdicts on random scenarios (property)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom<PolicyId>(
        "legacy-put-page",
        "dirty-at-gup",
        "foll-pin",
        "keep-dirty",
        "block-bounce",
        "mmu-notifier",
      ),
      fc.array(bigActorLine, { minLength: 2, maxLength: 4 }),
      fc.constantFrom("on", "off", "on|off"),
      fc.boolean(),
      (policy, lines, guard, stable) => {
        const text =
          `Scenario: t\nPolicies: ${policy}\nPage: clean | buffers\nGuard: ${guard}\nStable: ${stable ? "on" : "off"}\n` +
          lines.map((l, i) => `Actor P${i}: ${l}`).join("\n");
        const s = parseScenario(text);
        const { pages, actors, knobs } = applyVariant(s, s.variants[0]);
        const full = checkConfig({ policy, page: pages, knobs, actors }, { reduce: false });
        const reduced = checkConfig({ policy, page: pages, knobs, actors }, { reduce: true });
        assert.deepEqual(reduced.verdicts, full.verdicts, text);
        assert.equal(reduced.terminals, full.terminals, text);
        assert.equal(full.deadlocks, 0, text);
      },
    ),
    { numRuns: 15, seed: 12 },
  );
});

test("a bound still gives Unknown (bound hit) on a union scenario, never Never", () => {
  const s = loadScenario(join(ROOT, "data/scenarios/GUP+WB+CPU+any-page.scenario"));
  const [full] = runScenario(s, { policies: ["foll-pin"] });
  const [cut] = runScenario(s, { policies: ["foll-pin"], maxStates: 500 });
  assert.equal(full.result.boundHit, false);
  assert.equal(cut.result.boundHit, true);
  assert.ok(cut.result.states <= 500);
  for (const k of INCIDENTS) {
    // Never and Always need every terminal state; a cut search has not seen them all.
    assert.ok(cut.result.verdicts[k] === "Sometimes" || cut.result.verdicts[k] === "Unknown (bound hit)", k);
    if (full.result.verdicts[k] === "Never") assert.equal(cut.result.verdicts[k], "Unknown (bound hit)", k);
  }
});

test("the I/O completion as its own actor: submitters move on, no deadlock, one io actor at most", () => {
  // With `io`, the flusher ends its pass right after submit_bio and the completion is a
  // step of its own, so it interleaves with everything that follows, the flusher's second
  // pass included: strictly more states, no deadlock (a daemon waiting for a bio that
  // never comes does not keep an execution from ending), the same verdicts reduced or not.
  const check = (io: boolean) => {
    const s = parseScenario(
      "Scenario: t\nPolicies: foll-pin\nPage: pte-writable\nActor P0: gup dma=1\n" +
        "Actor P1: flusher passes=2 sync=none|all" +
        (io ? "\nActor P2: io" : ""),
    );
    const { pages, actors, knobs } = applyVariant(s, s.variants[0]);
    const full = checkConfig({ policy: "foll-pin", page: pages, knobs, actors }, { reduce: false });
    const reduced = checkConfig({ policy: "foll-pin", page: pages, knobs, actors });
    assert.equal(full.deadlocks, 0);
    assert.deepEqual(reduced.verdicts, full.verdicts);
    assert.equal(reduced.terminals, full.terminals);
    return full;
  };
  const sync = check(false),
    async = check(true);
  assert.ok(async.states > sync.states, `${async.states} > ${sync.states}`);
  refuses(head + "Actor P0: io\nActor P1: io\n", 5, /at most one 'io' actor/);
});

test("dest= only on an O_DIRECT write: refused where no variant makes one, at the line that set it", () => {
  // The destination filesystem decides the O_DIRECT write's fallback (btrfs buffers
  // checksummed files' direct writes from 6.15); an O_DIRECT write is caller odirect with
  // access read (the page is the bio's source: gup-anon.ts extraDecision). A generic pin, or
  // an odirect read (access write: the device writes the page), never reads dest: the
  // engine refuses `dioDest` there (idle-params.ts), and so does the scenario.
  const anon = "Scenario: bad\nKernel: 6.6\nBacking: anon\nPage: clean\n";
  refuses(`${anon}Actor P0: gup dest=btrfs\n`, 5, /P0\.dest only on an O_DIRECT write.*caller=generic access=write/);
  refuses(`${anon}Actor P0: gup caller=odirect access=write dest=xfs\n`, 5, /caller=odirect access=write/);
  // set by a variant: the variant's line
  refuses(`${anon}Actor P0: gup caller=odirect access=write\nVariant v: P0.dest=btrfs\n`, 6, /P0\.dest/);
  // used: an O_DIRECT write, or an alternative of one in some variant
  for (const actor of ["gup caller=odirect access=read dest=btrfs", "gup caller=odirect access=write|read dest=btrfs"])
    assert.doesNotThrow(() => parseScenario(`${anon}Actor P0: ${actor}\nActor P1: cpu stores=1\n`));
  assert.doesNotThrow(() =>
    parseScenario(`${anon}Actor P0: gup caller=odirect access=read dest=btrfs\nVariant w: P0.access=write\n`),
  );
  // the default (ext4) written out is what the actor does anyway
  assert.doesNotThrow(() => parseScenario(`${anon}Actor P0: gup dest=ext4\n`));
});

test("checkConfig refuses dest= on a gup actor that makes no O_DIRECT write, by the parser's check", () => {
  const config = {
    policy: "foll-pin" as const,
    page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
    knobs: { guard: null, fs: "ext4-warn", stable: false } as const,
    coverage: { kernel: "6.6", mapping: "private", backing: "anon", folio: 0 } as const,
  };
  const gup = { kind: "gup", name: "P0", path: "slow", dma: 0, longterm: true } as const;
  const flusher = { kind: "flusher", name: "P1", passes: 1, syncAll: [false] } as const;
  const run = (p0: object) => () =>
    checkConfig({ ...config, actors: [p0 as ActorSpec, flusher] }, { maxStates: 10_000 });
  for (const [p0, pin] of [
    [{ ...gup, dest: "btrfs" }, "caller=generic access=write"],
    [{ ...gup, caller: "odirect", access: "write", dest: "xfs" }, "caller=odirect access=write"],
  ] as const)
    assert.throws(run(p0), (e: unknown) => {
      assert.ok(e instanceof InputError && !(e instanceof ScenarioError), String(e));
      assert.equal(
        e.message,
        `invalid P0.dest: "${p0.dest}" (allowed: only on an O_DIRECT write (caller=odirect access=read: the page is the bio's source); P0 has ${pin})`,
      );
      return true;
    });
  // an O_DIRECT write reads it; ext4 is the default
  assert.doesNotThrow(run({ ...gup, caller: "odirect", access: "read", dest: "btrfs" }));
  assert.doesNotThrow(run({ ...gup, dest: "ext4" }));
  // runScenario checks a scenario's variants together: dest used by one variant, idle in another
  const used = parseScenario(
    "Scenario: ok\nPolicies: foll-pin\nKernel: 6.6\nBacking: anon\nPage: clean\nActor P0: gup caller=odirect access=read dest=btrfs\nVariant w: P0.access=write\n",
  );
  assert.equal(runScenario(used, { maxStates: 10_000 }).length, 2);
});
