/**
 * The kernel modules a lab guest needs, with their dependencies: from `modules.dep` where
 * the tree has one (kmod's depmod writes it; a Debian package unpacked with `dpkg-deb -x`
 * has none), else from each module's own `.modinfo` `depends=` field. Compressed modules
 * (.ko.xz, .ko.zst, .ko.gz) are decompressed on the host: busybox insmod passes the file to
 * init_module(2), which takes an uncompressed ELF image.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { gunzipSync } from "node:zlib";
import { CalibrateUnavailableError } from "../errors.js";

/** One module of a tree: its canonical name (dashes as underscores), its file relative to the tree, its direct dependencies. */
export interface ModuleEntry {
  /** Name with `-` written `_` (the kernel treats them alike: kernel/module/main.c). */
  name: string;
  /** Path relative to the `lib/modules/RELEASE` folder, e.g. "kernel/fs/ext4/ext4.ko.xz". */
  path: string;
  /** Direct dependencies' names; null until read (lazy index). */
  deps: string[] | null;
}

/** The modules a tree offers, by name, and the names built into the image (modules.builtin). */
export interface ModuleIndex {
  /** The `lib/modules/RELEASE` folder. */
  dir: string;
  /** Loadable modules by canonical name. */
  modules: Map<string, ModuleEntry>;
  /** Names built into the kernel image: nothing to load. */
  builtin: Set<string>;
  /** Whether `deps` came from modules.dep (true) or are read from each file on demand. */
  fromModulesDep: boolean;
}

/** "kernel/drivers/md/dm-delay.ko.xz" -> "dm_delay". */
export function moduleName(path: string): string {
  return basename(path)
    .replace(/\.ko(\.(xz|zst|gz))?$/, "")
    .replace(/-/g, "_");
}

/**
 * Parse modules.dep text: `path: dep-path dep-path …` per line (depmod's format, every
 * transitive dependency listed, nearest first). Lines without a colon are skipped.
 */
export function parseModulesDep(text: string): Map<string, ModuleEntry> {
  const out = new Map<string, ModuleEntry>();
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const path = line.slice(0, i).trim();
    const deps = line
      .slice(i + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(moduleName);
    out.set(moduleName(path), { name: moduleName(path), path, deps });
  }
  return out;
}

/** Names from modules.builtin text (one module path per line). */
export function parseBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map(moduleName),
  );
}

/** Every .ko* under `dir`, relative paths. */
function listModules(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ko(\.(xz|zst|gz))?$/.test(e.name)) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Index a `lib/modules/RELEASE` tree (modules.dep if present, else a file listing with lazy dependencies). */
export function indexModules(dir: string): ModuleIndex {
  const read = (n: string) => (existsSync(join(dir, n)) ? readFileSync(join(dir, n), "utf8") : null);
  const builtin = parseBuiltin(read("modules.builtin") ?? "");
  const dep = read("modules.dep");
  if (dep) return { dir, modules: parseModulesDep(dep), builtin, fromModulesDep: true };
  const modules = new Map<string, ModuleEntry>();
  for (const path of listModules(dir)) modules.set(moduleName(path), { name: moduleName(path), path, deps: null });
  return { dir, modules, builtin, fromModulesDep: false };
}

/**
 * A module file's bytes, decompressed: .gz with zlib, .xz and .zst with the `xz` and `zstd`
 * commands. Throws CalibrateUnavailableError naming the package when the command is missing.
 */
export function readModule(file: string): Buffer {
  if (file.endsWith(".gz")) return gunzipSync(readFileSync(file));
  const tool = file.endsWith(".xz") ? ["xz", "xz-utils"] : file.endsWith(".zst") ? ["zstd", "zstd"] : null;
  if (!tool) return readFileSync(file);
  const r = spawnSync(tool[0], ["-dc", file], { maxBuffer: 256 * 1024 * 1024 });
  if (r.error || r.status !== 0)
    throw new CalibrateUnavailableError(
      `cannot decompress ${basename(file)}: ${tool[0]} ${r.error ? "not found" : "failed"} (install ${tool[1]})`,
    );
  return r.stdout;
}

/** The `depends=` field of a module's .modinfo strings (NUL-separated key=value), as names. */
export function modinfoDepends(ko: Buffer): string[] {
  const key = Buffer.from("\0depends=");
  const i = ko.indexOf(key);
  if (i < 0) return [];
  const start = i + key.length;
  const end = ko.indexOf(0, start);
  return ko
    .toString("latin1", start, end)
    .split(",")
    .filter(Boolean)
    .map((n) => n.replace(/-/g, "_"));
}

/** The result of resolveModules: what to load, in order, and what the tree lacks. */
export interface ModulePlan {
  /** Entries to insmod, every dependency before its user. */
  load: ModuleEntry[];
  /** Asked names found neither as a module nor built in. */
  missing: string[];
  /** Asked names built into the image. */
  builtin: string[];
}

/**
 * Resolve `wanted` names to a load order (depth-first: dependencies first, each once). A
 * name built in needs nothing; a name the tree lacks goes to `missing`, and so does every
 * module that needs it. `depsOf` reads an entry's dependencies when the index has none yet.
 */
export function resolveModules(
  wanted: string[],
  index: Pick<ModuleIndex, "modules" | "builtin">,
  depsOf: (e: ModuleEntry) => string[],
): ModulePlan {
  const load: ModuleEntry[] = [];
  const done = new Set<string>();
  const missing = new Set<string>();
  const builtin = new Set<string>();
  const visit = (raw: string, stack: string[]): boolean => {
    const name = raw.replace(/-/g, "_");
    if (done.has(name)) return true;
    if (index.builtin.has(name)) {
      builtin.add(name);
      return true;
    }
    if (missing.has(name)) return false;
    const e = index.modules.get(name);
    if (!e) {
      missing.add(name);
      return false;
    }
    if (stack.includes(name)) return true; // a cycle: depmod refuses them; treat as met
    e.deps ??= depsOf(e);
    for (const d of e.deps)
      if (!visit(d, [...stack, name])) {
        missing.add(name);
        return false;
      }
    done.add(name);
    load.push(e);
    return true;
  };
  for (const w of wanted) visit(w, []);
  return { load, missing: [...missing], builtin: [...builtin].filter((b) => wanted.includes(b)) };
}

/** resolveModules over a tree on disk, reading `depends=` from the files where there is no modules.dep. */
export function planModules(wanted: string[], index: ModuleIndex): ModulePlan {
  return resolveModules(wanted, index, (e) => modinfoDepends(readModule(join(index.dir, e.path))));
}
