#!/usr/bin/env node
// Every shell block of README.md and docs/*.md runs, as a new user would type it (issue 24).
//
// A shell block is a fenced block whose language is sh, bash, shell or console. Each document
// runs in a fresh clone of this repository in a temporary directory (git clone, plus the
// working tree's uncommitted changes so a local run sees them), its blocks in order, each from
// the clone's root in a new `bash -e -o pipefail`, so what one block writes the next one sees,
// as in one terminal that reads the document from the top:
//
//   - README.md starts from the bare clone: its Quick start's `npm ci` installs and builds.
//   - A guide (docs/*.md) starts where the Quick start leaves a user: node_modules/ (hard links
//     to this checkout's) and dist/ in place.
//
// `pinsim` is on PATH as `npm link` would put it (node CLONE/bin/pinsim.js); as root, `sudo X`
// runs X (CI runs as root, where sudo may not be installed).
//
// A block whose lines start with `$ ` is a transcript: each `$ ` command runs and its stdout
// and stderr, together, must read as the lines under it (scripts/transcript-match.mjs: `…`
// for any text, versions and timings normalised); `# exit N` under them asserts the exit code,
// else it must be 0. Any other block must exit 0.
//
// An HTML comment right before a block changes how it runs:
//   <!-- ci: skip: REASON -->   not run; the reason is required and printed (a cluster, conda)
//   <!-- ci: timeout=SECONDS --> a longer limit than the default 600 s
// Long-running blocks take small parameters in the document itself rather than a skip.
//
//   node scripts/doc-blocks.mjs [--list] [--keep] [FILE...]   # default: README.md docs/*.md
//
// Prints one line per block and closes with "N passed, N failed, N skipped"; exit 0 when none
// failed, 1 when one did, 2 on a bad marker or argument.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromMarkdown } from "mdast-util-from-markdown";
import { linesMatch, outputLines } from "./transcript-match.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SHELLS = new Set(["sh", "bash", "shell", "console"]);
const DEFAULT_TIMEOUT_S = 600;

/**
 * The shell blocks of one markdown text: `{ line, lang, text, skip, timeout }` in document
 * order (line: 1-based line of the opening fence). Throws on a `<!-- ci: … -->` marker it
 * does not know or a skip without a reason.
 */
export function shellBlocks(markdown, file = "<markdown>") {
  const blocks = [];
  const visit = (node) => {
    const kids = node.children ?? [];
    kids.forEach((child, i) => {
      if (child.type === "code" && SHELLS.has(child.lang ?? "")) {
        const prev = kids[i - 1];
        const marker = prev?.type === "html" ? parseMarker(prev.value, `${file}:${prev.position.start.line}`) : {};
        blocks.push({ line: child.position.start.line, lang: child.lang, text: child.value, ...marker });
      }
      visit(child);
    });
  };
  visit(fromMarkdown(markdown));
  return blocks;
}

/** `<!-- ci: skip: REASON -->` or `<!-- ci: timeout=S -->`; {} for any other comment. */
export function parseMarker(html, where) {
  const m = /^<!--\s*ci:\s*([\s\S]*?)\s*-->$/.exec(html.trim());
  if (!m) return {};
  const body = m[1];
  const skip = /^skip(?::\s*([\s\S]*))?$/.exec(body);
  if (skip) {
    const reason = (skip[1] ?? "").replace(/\s+/g, " ").trim();
    if (reason.length < 10)
      throw new Error(
        `${where}: a skipped block must say why (<!-- ci: skip: REASON -->), got ${JSON.stringify(body)}`,
      );
    return { skip: reason };
  }
  const t = /^timeout=(\d+)$/.exec(body);
  if (t && Number(t[1]) > 0) return { timeout: Number(t[1]) };
  throw new Error(`${where}: unknown marker ${JSON.stringify(body)} (allowed: skip: REASON, timeout=SECONDS)`);
}

/**
 * A `$ ` transcript's commands, `{ cmd, expected, exit }` each; null when the block is not
 * one (its first non-blank line does not start with `$ `). A trailing backslash continues
 * a command on the next line.
 */
export function transcriptSteps(text) {
  const lines = text.split("\n");
  const first = lines.find((l) => l.trim() !== "");
  if (!first?.startsWith("$ ")) return null;
  const steps = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("$ ")) {
      let cmd = l.slice(2);
      while (cmd.endsWith("\\") && i + 1 < lines.length) cmd = `${cmd.slice(0, -1)}\n${lines[++i]}`;
      steps.push({ cmd, expected: [], exit: 0 });
      continue;
    }
    const step = steps[steps.length - 1];
    const exit = /^# exit (\d+)\s*$/.exec(l);
    if (exit) step.exit = Number(exit[1]);
    else step.expected.push(l);
  }
  for (const s of steps) while (s.expected.length && s.expected[s.expected.length - 1] === "") s.expected.pop();
  return steps;
}

function git(args, cwd) {
  const r = spawnSync("git", args, { cwd, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A fresh clone of ROOT in `dir`, with the working tree's changes on top. */
function freshClone(dir, guide) {
  git(["clone", "--quiet", ROOT, dir], tmpdir());
  for (const f of git(["ls-files", "-z", "-m", "-o", "--exclude-standard"], ROOT).split("\0").filter(Boolean))
    if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  for (const f of git(["ls-files", "-z", "-d"], ROOT).split("\0").filter(Boolean))
    rmSync(join(dir, f), { force: true });
  if (guide) {
    // Where the Quick start leaves a user: installed and built (hard links: fast, and npm ci
    // in the clone unlinks them without touching this checkout's; a plain copy where the
    // temporary directory is on another file system).
    const modules = [join(ROOT, "node_modules", "."), join(dir, "node_modules")];
    if (spawnSync("cp", ["-al", ...modules], { stdio: "ignore" }).status !== 0) {
      rmSync(modules[1], { recursive: true, force: true });
      const copy = spawnSync("cp", ["-a", ...modules], { stdio: "inherit" });
      if (copy.status !== 0) throw new Error(`cannot copy node_modules into ${dir}`);
    }
    cpSync(join(ROOT, "dist"), join(dir, "dist"), { recursive: true });
  }
}

/** A bin directory with `pinsim` (as npm link makes it) and, as root, `sudo`. */
function shims(dir, clone) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "pinsim"), `#!/bin/sh\nexec node "${clone}/bin/pinsim.js" "$@"\n`, { mode: 0o755 });
  if (process.getuid?.() === 0) writeFileSync(join(dir, "sudo"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
}

function bash(script, cwd, env, timeoutS) {
  const t0 = Date.now();
  const r = spawnSync("bash", ["-e", "-o", "pipefail", "-c", script], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 1 << 28,
    timeout: timeoutS * 1000,
    killSignal: "SIGTERM",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

/** Run one block in the clone; { ok, seconds, detail }. */
function runBlock(block, clone, env) {
  const timeoutS = block.timeout ?? DEFAULT_TIMEOUT_S;
  const steps = transcriptSteps(block.text);
  if (steps === null) {
    const r = bash(block.text, clone, env, timeoutS);
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    const ok = r.status === 0;
    const why = r.error?.code === "ETIMEDOUT" ? `timed out after ${timeoutS} s` : `exit ${r.status ?? r.signal}`;
    return { ok, seconds: r.seconds, detail: ok ? "" : `${why}; last lines:\n${tail(out)}` };
  }
  let seconds = 0;
  for (const s of steps) {
    // 2>&1 inside the shell keeps stdout and stderr in the order the command wrote them.
    const r = bash(`{ ${s.cmd}\n} 2>&1`, clone, env, timeoutS);
    seconds += r.seconds;
    const act = outputLines(`${r.stdout ?? ""}`);
    if (!linesMatch(act, s.expected))
      return {
        ok: false,
        seconds,
        detail: `$ ${s.cmd}\nprinted:\n${act.join("\n")}\nthe document shows:\n${s.expected.join("\n")}`,
      };
    if (r.status !== s.exit)
      return { ok: false, seconds, detail: `$ ${s.cmd}\nexit ${r.status ?? r.signal}, the document says ${s.exit}` };
  }
  return { ok: true, seconds, detail: "" };
}

function tail(text, n = 40) {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

function main(argv) {
  const list = argv.includes("--list");
  const keep = argv.includes("--keep");
  const bad = argv.find((a) => a.startsWith("-") && a !== "--list" && a !== "--keep");
  if (bad) {
    console.error(`doc-blocks: unknown option ${bad} (allowed: --list, --keep, markdown files)`);
    return 2;
  }
  const named = argv.filter((a) => !a.startsWith("-"));
  const files = named.length
    ? named.map((f) => relative(ROOT, resolve(f)))
    : [
        "README.md",
        ...readdirSync(join(ROOT, "docs"))
          .filter((f) => f.endsWith(".md"))
          .sort()
          .map((f) => `docs/${f}`),
      ];
  const docs = [];
  for (const f of files) {
    try {
      docs.push({ file: f, blocks: shellBlocks(readFileSync(join(ROOT, f), "utf8"), f) });
    } catch (e) {
      console.error(`doc-blocks: ${e.message}`);
      return 2;
    }
  }
  if (list) {
    for (const d of docs)
      for (const b of d.blocks)
        console.log(
          `${d.file}:${b.line} ${b.lang}${b.skip ? ` SKIP (${b.skip})` : ""}${b.timeout ? ` timeout=${b.timeout}` : ""}`,
        );
    return 0;
  }
  const work = mkdtempSync(join(tmpdir(), "pinsim-doc-blocks-"));
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    for (const d of docs) {
      if (d.blocks.every((b) => b.skip)) {
        for (const b of d.blocks) skipped++, console.log(`skip ${d.file}:${b.line} (${b.skip})`);
        continue;
      }
      const clone = join(work, d.file.replace(/[/.]/g, "_"));
      freshClone(clone, d.file !== "README.md");
      const bin = join(work, `${d.file.replace(/[/.]/g, "_")}-bin`);
      shims(bin, clone);
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1", FORCE_COLOR: "0" };
      for (const b of d.blocks) {
        if (b.skip) {
          skipped++;
          console.log(`skip ${d.file}:${b.line} (${b.skip})`);
          continue;
        }
        const r = runBlock(b, clone, env);
        if (r.ok) passed++, console.log(`ok   ${d.file}:${b.line} ${b.lang} (${r.seconds.toFixed(1)} s)`);
        else
          failed++,
            console.log(
              `FAIL ${d.file}:${b.line} ${b.lang} (${r.seconds.toFixed(1)} s)\n${r.detail.replace(/^/gm, "     ")}`,
            );
      }
      if (!keep) rmSync(clone, { recursive: true, force: true });
    }
  } finally {
    if (keep) console.log(`doc-blocks: clones kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed > 0 ? 1 : 0;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) process.exitCode = main(process.argv.slice(2));
