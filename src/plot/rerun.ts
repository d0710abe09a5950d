/**
 * The report's Rerun recipe (issue 24): the commands that make the same results again in
 * a fresh clone. A preset as shipped, or with only `--seeds` overridden, is named; any other
 * config (a config file's, or one whose `name` is a preset's but whose contents are not)
 * is written out in full from manifest.json's `config` (`printf '%s' > "$cfg" …`, a new file
 * of `mktemp -d`'s folder) and run from that file, so the recipe needs nothing but the clone
 * and overwrites nothing. Before, a config file's sweep got
 * `sweep NAME`, refused in a fresh clone (no such preset) or, when NAME was a preset's,
 * silently running the preset instead (another config hash, another summary.csv).
 */
import { normalize } from "node:path";
import { parseSweepConfig } from "../sweep/config.js";
import { configHash } from "../sweep/plan.js";
import { readSweepConfig } from "../sweep/presets.js";
import type { ResultsTable, SweepConfig } from "../sweep/types.js";

/** The recipe's width: a mail's 72 columns. */
const WIDTH = 72;

/**
 * The flags that make the preset `m.name` into the config the results were run with: ""
 * when it is the preset as shipped, ` --seeds N` when only the seeds were overridden on
 * the command line (issue 24: the recipe dropped `--seeds 20`); null when no preset and
 * flags rebuild it (no such preset, or a config file that shares a preset's name).
 */
export function recipeConfigFlags(m: ResultsTable["manifest"]): string | null {
  let preset: SweepConfig;
  try {
    preset = parseSweepConfig(readSweepConfig(m.name));
  } catch {
    return null;
  }
  if (configHash(preset) === m.configHash) return "";
  const seeds = (m.config as { seeds?: unknown }).seeds;
  if (typeof seeds === "number" && configHash({ ...preset, seeds }) === m.configHash) return ` --seeds ${seeds}`;
  return null;
}

/** `text` single-quoted for the shell: its `'` written `'\''`. */
const quoted = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

/**
 * `text` (one line of JSON) cut into pieces whose shell-quoted form is at most `width`
 * columns: after commas outside strings where it can, else anywhere (each piece is its own
 * argument of `printf '%s'`, which joins them with nothing between).
 */
export function cutJson(text: string, width: number): string[] {
  const pieces: string[] = [];
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ",") {
      pieces.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  pieces.push(text.slice(start));
  const fits = (t: string) => quoted(t).length <= width;
  const lines: string[] = [];
  let line = "";
  for (const piece of pieces) {
    if (fits(line + piece)) {
      line += piece;
      continue;
    }
    if (line) lines.push(line);
    line = "";
    for (const ch of piece) {
      // A piece too long for a line of its own (a long string): cut after its last space
      // that fits, else anywhere.
      if (!fits(line + ch)) {
        const space = line.lastIndexOf(" ") + 1;
        lines.push(space > 0 ? line.slice(0, space) : line);
        line = space > 0 ? line.slice(space) : "";
      }
      line += ch;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The lines that write the manifest's config to a new file in the shell (`printf '%s' >
 * "$cfg"` of single-quoted pieces, one a line), then the sweep command on that file. The
 * file is NAME.sweep.json in a folder of its own (`mktemp -d`), never one of the current
 * directory: a recipe pasted where a NAME.sweep.json already was overwrote it.
 */
function configFileRecipe(m: ResultsTable["manifest"], flags: string): string[] {
  // At most 38 characters: the `cfg=…` line stays within 72 columns.
  const file = /^[A-Za-z0-9][A-Za-z0-9._-]{0,37}$/.test(m.name) ? `${m.name}.sweep.json` : "sweep.json";
  const pieces = cutJson(JSON.stringify(m.config), WIDTH - 8).map(quoted);
  const body = pieces.map((p, i) => `    ${p}${i === pieces.length - 1 ? "" : " \\"}`);
  return [
    "  # the config, as manifest.json recorded it, in a new folder:",
    `  cfg=$(mktemp -d)/${file} &&`,
    `  printf '%s' > "$cfg" \\`,
    ...body,
    ...commandLines(`  node bin/pinsim.js sweep "$cfg"`, flags),
  ];
}

/** `head` + `flags` on one line, or past 72 columns (a mail's width) the flags on a continuation line. */
function commandLines(head: string, flags: string): string[] {
  return `${head}${flags}`.length <= WIDTH || !flags ? [`${head}${flags}`] : [`${head} \\`, `      ${flags.trim()}`];
}

/** How to make the same results again, and where the figures are. */
export function rerunLines(table: ResultsTable, dir: string): string[] {
  const m = table.manifest;
  // The sweep's own flags: its shard, and --out unless the results are where sweep writes by default.
  const shard = m.shard ? `${m.shard.index + 1}/${m.shard.count}` : null;
  const defaultDir = `data/results/${m.name}${m.shard ? `-shard-${m.shard.index + 1}-of-${m.shard.count}` : ""}`;
  const preset = recipeConfigFlags(m);
  const flags =
    (shard ? ` --shard ${shard}` : "") + (normalize(dir).replace(/\/+$/, "") === defaultDir ? "" : ` --out ${dir}`);
  return [
    `Rerun (config ${String(m.configHash)
      .replace(/^sha256:/, "")
      .slice(0, 12)}):`,
    `  npm ci && npm run build`,
    ...(preset !== null
      ? commandLines(`  node bin/pinsim.js sweep ${m.name}`, preset + flags)
      : configFileRecipe(m, flags)),
    `  node bin/pinsim.js plot ${dir}`,
    `  node bin/pinsim.js report ${dir}`,
    `Figures (svg, png, txt): ${dir}/figures/`,
  ];
}
