/**
 * The documentation's own checks (issue 24): the CLI reference generated from the commander
 * definitions (scripts/cli-doc.mjs), the link check of README.md and docs/*.md
 * (remark-validate-links, `npm run docs:links`) and the shell-block runner
 * (scripts/doc-blocks.mjs). Each is shown to fail on the defect it exists for.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { cliMarkdown } from "../scripts/cli-doc.mjs";
import { parseMarker, shellBlocks, transcriptSteps } from "../scripts/doc-blocks.mjs";
import { BIN } from "./helpers/cli.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCRATCH = join(ROOT, "test", "output", "docs-tools");

test("docs/cli.md is what scripts/cli-doc.mjs generates (its --check passes)", () => {
  assert.equal(readFileSync(join(ROOT, "docs", "cli.md"), "utf8"), cliMarkdown());
  const r = spawnSync(process.execPath, [join(ROOT, "scripts", "cli-doc.mjs"), "--check"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
});

test("docs/cli.md names every command and every option `--help` lists", () => {
  const doc = readFileSync(join(ROOT, "docs", "cli.md"), "utf8");
  const help = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, "--help"], { encoding: "utf8" }).stdout;
  // Commands: the lines under "Commands:" of the top-level help and of `notebook --help`.
  const commands = (text: string) =>
    [...text.split("Commands:")[1]!.matchAll(/^ {2}(\w[\w-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  const top = commands(help([]));
  assert.ok(top.length >= 10, `only ${top.length} commands in pinsim --help`);
  const all = [...top.map((c) => [c]), ...commands(help(["notebook"])).map((c) => ["notebook", c])];
  for (const cmd of all) {
    assert.ok(doc.includes(`## \`pinsim ${cmd.join(" ")}\``), `no section for pinsim ${cmd.join(" ")}`);
    for (const m of help(cmd).matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm))
      if (m[1] !== "--help") assert.ok(doc.includes(m[1]!), `pinsim ${cmd.join(" ")} ${m[1]} missing from docs/cli.md`);
  }
});

function remark(files: string[]) {
  return spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "remark-cli", "cli.js"), "--frail", "--quiet", "--no-stdout", "--no-color", ...files],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
}

test("the link check passes on README.md and docs/*.md, and fails on a missing file or anchor", () => {
  const ok = remark(["README.md", "docs/*.md"]);
  assert.equal(ok.status, 0, ok.stderr);
  mkdirSync(SCRATCH, { recursive: true });
  try {
    const bad = join(SCRATCH, "bad.md");
    // ../../../docs/model.md exists, #policies is one of its headings; #no-such-heading is not.
    writeFileSync(
      bad,
      "# t\n\n[ok](../../../docs/model.md#policies) [a](../../../docs/model.md#no-such-heading) [b](nope.md)\n",
    );
    const r = remark([bad]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Cannot find heading for `#no-such-heading`/);
    assert.match(r.stderr, /Cannot find file `nope.md`/);
    assert.doesNotMatch(r.stderr, /#policies/);
  } finally {
    rmSync(SCRATCH, { recursive: true, force: true });
  }
});

test("doc-blocks finds sh, bash, console and shell blocks, with their markers", () => {
  const md = [
    "# t",
    "```sh\necho a\n```",
    "<!-- ci: skip: needs a Slurm cluster (sbatch) -->\n\n```bash\nsbatch x\n```",
    "<!-- ci: timeout=900 -->\n```console\n$ echo b\nb\n```",
    "```text\nnot a shell block\n```",
    "- in a list:\n\n  ```shell\n  echo c\n  ```",
  ].join("\n\n");
  const blocks = shellBlocks(md);
  assert.deepEqual(
    blocks.map((b: { lang: string; skip?: string; timeout?: number }) => [b.lang, b.skip ?? null, b.timeout ?? null]),
    [
      ["sh", null, null],
      ["bash", "needs a Slurm cluster (sbatch)", null],
      ["console", null, 900],
      ["shell", null, null],
    ],
  );
});

test("a skip marker must say why; an unknown marker is refused", () => {
  assert.throws(() => parseMarker("<!-- ci: skip -->", "x.md:3"), /x\.md:3: a skipped block must say why/);
  assert.throws(() => parseMarker("<!-- ci: skip: slow -->", "x.md:3"), /must say why/);
  assert.throws(() => parseMarker("<!-- ci: sometimes -->", "x.md:3"), /unknown marker "sometimes"/);
  assert.deepEqual(parseMarker("<!-- a plain comment -->", "x.md:3"), {});
});

test("a `$ ` block is a transcript: commands, their output, `# exit N`", () => {
  assert.equal(transcriptSteps("echo a\n$ not first"), null);
  assert.deepEqual(transcriptSteps("$ pinsim run --bad\npinsim: invalid …\n# exit 2\n$ echo a \\\n  b\na b\n"), [
    { cmd: "pinsim run --bad", expected: ["pinsim: invalid …"], exit: 2 },
    { cmd: "echo a \n  b", expected: ["a b"], exit: 0 },
  ]);
});

test("doc-blocks runs a document's blocks in one fresh clone: a failing block, a wrong transcript and a wrong exit code fail", {
  timeout: 120_000,
}, () => {
  mkdirSync(SCRATCH, { recursive: true });
  try {
    const doc = join(SCRATCH, "guide.md");
    writeFileSync(
      doc,
      [
        "# A guide",
        // Runs in the clone (package.json there), with pinsim on PATH; writes a file the next block reads.
        "```sh\ntest -f package.json && pinsim --version > v.txt\n```",
        "```sh\ngrep -q . v.txt\n```",
        "```sh\nfalse\necho never\n```",
        "```console\n$ echo hello\nhello\n$ echo other\nwhat the doc says\n```",
        "```console\n$ pinsim run --duration -1\npinsim: invalid duration: …\n```",
        "<!-- ci: skip: needs a Slurm cluster to submit to -->\n```sh\nsbatch nothing\n```",
      ].join("\n\n"),
    );
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "doc-blocks.mjs"), doc], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stdout.split("\n");
    const verdict = (n: number) => lines.find((l) => l.includes(`guide.md:${n} `))?.slice(0, 4);
    // Fences at lines 3, 7, 11, 16, 23 and 29 (blank lines between the parts; the last after its marker).
    assert.deepEqual([3, 7, 11, 16, 23, 29].map(verdict), ["ok  ", "ok  ", "FAIL", "FAIL", "FAIL", "skip"]);
    assert.match(r.stdout, /the document shows:\n\s+what the doc says/);
    assert.match(r.stdout, /exit 2, the document says 0/);
    assert.match(r.stdout, /^2 passed, 3 failed, 1 skipped$/m);
  } finally {
    rmSync(SCRATCH, { recursive: true, force: true });
  }
});

test("doc-blocks refuses a skip without a reason before running anything (exit 2)", () => {
  mkdirSync(SCRATCH, { recursive: true });
  try {
    const doc = join(SCRATCH, "bad.md");
    writeFileSync(doc, "# t\n\n<!-- ci: skip -->\n```sh\ntouch ran\n```\n");
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "doc-blocks.mjs"), doc], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bad\.md:3: a skipped block must say why/);
  } finally {
    rmSync(SCRATCH, { recursive: true, force: true });
  }
});
