/**
 * The lab's logic without qemu: the initramfs layout (newc cpio), the module-dependency
 * walk, the guest's /init script, the parsing of recorded guest output
 * (test/fixtures/lab/, from `pinsim calibrate --kernel debian:6.1 --quick` on this
 * project's machine under TCG) and the bad-input lines of --kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpioNewc, entryMode, parseCpioNewc } from "../src/calibrate/lab/cpio.js";
import { initramfsEntries, initScript, type GuestPlan } from "../src/calibrate/lab/guest.js";
import { isStaticElf } from "../src/calibrate/lab/host.js";
import {
  modinfoDepends,
  moduleName,
  parseBuiltin,
  parseModulesDep,
  resolveModules,
  type ModuleEntry,
} from "../src/calibrate/lab/modules.js";
import { parseGuestOutput, sectionOf } from "../src/calibrate/lab/output.js";
import { labPlan, labConfig, LAB_MODULES } from "../src/calibrate/lab/plan.js";
import { parseReclaim, reclaimKernel, reclaimRow } from "../src/calibrate/lab/reclaim.js";
import { bzImageRelease, imageRelease, newestPackage, parseKernelSpec } from "../src/calibrate/lab/spec.js";
import { calibrationConfig } from "../src/calibrate/run.js";
import { CalibrateInputError } from "../src/calibrate/errors.js";
import { isPanicLine, qemuArgs } from "../src/calibrate/lab/qemu.js";

const fixture = (n: string) => readFileSync(join(import.meta.dirname, "fixtures", "lab", n), "utf8");

test("cpio newc: 110-byte headers, 4-byte alignment, trailer; read back the same entries", () => {
  const data = Buffer.from("hello");
  const buf = cpioNewc([
    { type: "dir", path: "bin" },
    { type: "file", path: "/bin/x", data, mode: 0o755 },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    { type: "chardev", path: "dev/console", major: 5, minor: 1 },
  ]);
  // Header "070701" + 13 fields of 8 hex digits = 6 + 104 = 110 bytes; the archive is a multiple of 4.
  assert.equal(buf.toString("latin1", 0, 6), "070701");
  assert.equal(buf.length % 4, 0);
  const back = parseCpioNewc(buf);
  assert.deepEqual(
    back.map((e) => e.path),
    ["bin", "bin/x", "bin/sh", "dev/console"],
  );
  assert.equal(back[1].data.toString(), "hello");
  assert.equal(back[1].mode, 0o100755); // S_IFREG | 0755
  assert.equal(back[2].data.toString(), "busybox");
  assert.equal(back[3].mode, 0o020600); // S_IFCHR | 0600
  // The last record is the trailer, named "TRAILER!!!".
  assert.ok(buf.includes(Buffer.from("TRAILER!!!\0")));
  // Same entries, same bytes (mtime 0, inodes in order).
  assert.deepEqual(cpioNewc([{ type: "file", path: "a", data }]), cpioNewc([{ type: "file", path: "a", data }]));
  assert.equal(entryMode({ type: "dir", path: "d" }), 0o040755);
});

test("initramfs layout: /init executable, busybox, /dev/console, probes and modules in their folders", () => {
  const entries = initramfsEntries({
    busybox: Buffer.from("BB"),
    probes: { longterm: Buffer.from("L"), "clean-delay": Buffer.from("C") },
    modules: { "virtio_blk.ko": Buffer.from("V"), "ext4.ko": Buffer.from("E") },
    init: "#!/bin/busybox sh\n",
  });
  const read = parseCpioNewc(cpioNewc(entries));
  const byPath = new Map(read.map((e) => [e.path, e]));
  for (const p of ["init", "bin/busybox", "bin/sh", "dev/console", "probes/clean-delay", "probes/longterm"])
    assert.ok(byPath.has(p), p);
  assert.equal(byPath.get("init")!.mode & 0o111, 0o111); // the kernel execs /init: it must be executable
  assert.equal(byPath.get("lib/modules/ext4.ko")!.data.toString(), "E");
  // Every file's folder comes before it (the kernel's unpacker creates nothing implicitly).
  const seen = new Set<string>();
  for (const e of read) {
    const dir = e.path.includes("/") ? e.path.slice(0, e.path.lastIndexOf("/")) : null;
    if (dir) assert.ok(seen.has(dir), `${e.path} before ${dir}`);
    seen.add(e.path);
  }
});

test("modules.dep parse and walk: dependencies first, each once, dashes and underscores alike", () => {
  const idx = parseModulesDep(
    [
      "kernel/fs/ext4/ext4.ko.xz: kernel/fs/jbd2/jbd2.ko.xz kernel/fs/mbcache.ko.xz kernel/lib/crc16.ko.xz",
      "kernel/fs/jbd2/jbd2.ko.xz:",
      "kernel/fs/mbcache.ko.xz:",
      "kernel/lib/crc16.ko.xz:",
      "kernel/drivers/md/dm-delay.ko.xz: kernel/drivers/md/dm-mod.ko.xz",
      "kernel/drivers/md/dm-mod.ko.xz:",
    ].join("\n"),
  );
  assert.equal(moduleName("kernel/drivers/md/dm-delay.ko.xz"), "dm_delay");
  const plan = resolveModules(
    ["ext4", "dm-delay", "virtio_blk"],
    { modules: idx, builtin: new Set(["virtio_blk"]) },
    () => {
      throw new Error("modules.dep has every entry's deps");
    },
  );
  assert.deepEqual(
    plan.load.map((e) => e.name),
    ["jbd2", "mbcache", "crc16", "ext4", "dm_mod", "dm_delay"],
  );
  assert.deepEqual(plan.builtin, ["virtio_blk"]);
  assert.deepEqual(plan.missing, []);
});

test("module walk without modules.dep: reads depends= lazily; a missing dependency makes its user missing", () => {
  const mods = new Map<string, ModuleEntry>(
    ["xfs", "btrfs", "libcrc32c", "xor"].map((n) => [n, { name: n, path: `k/${n}.ko`, deps: null }]),
  );
  const deps: Record<string, string[]> = {
    xfs: ["libcrc32c"],
    btrfs: ["xor", "raid6_pq", "libcrc32c"],
    libcrc32c: [],
    xor: [],
  };
  const read: string[] = [];
  const plan = resolveModules(["xfs", "btrfs"], { modules: mods, builtin: parseBuiltin("") }, (e) => {
    read.push(e.name);
    return deps[e.name];
  });
  assert.deepEqual(
    plan.load.map((e) => e.name),
    ["libcrc32c", "xfs", "xor"],
  );
  assert.deepEqual(plan.missing.sort(), ["btrfs", "raid6_pq"]);
  assert.ok(!read.includes("raid6_pq")); // never read a module the tree does not have
});

test("modinfoDepends: the NUL-separated .modinfo field, dashes to underscores", () => {
  const ko = Buffer.concat([Buffer.from("\x7fELF junk\0license=GPL\0depends=dm-mod,xor\0name=dm_delay\0")]);
  assert.deepEqual(modinfoDepends(ko), ["dm_mod", "xor"]);
  assert.deepEqual(modinfoDepends(Buffer.from("\0depends=\0")), []);
  assert.deepEqual(modinfoDepends(Buffer.from("no field")), []);
});

test("the guest's /init: modules in load order, port found by name, steps grouped, sysctls set and restored", () => {
  const cfg = calibrationConfig(true, ["clean-delay", "detector", "longterm"], 1, 30);
  const plan: GuestPlan = {
    ...labPlan({
      parts: ["clean-delay", "detector", "longterm", "reclaim-writes"],
      filesystems: ["ext4", "xfs"],
      modules: ["virtio.ko", "virtio_blk.ko", "ext4.ko"],
      cfg,
      lab: labConfig(true),
    }),
    sysctls: { "vm/dirty_expire_centisecs": "3000" },
  };
  const s = initScript(plan);
  assert.ok(s.startsWith("#!/bin/busybox sh\n"));
  assert.ok(s.indexOf("insmod /lib/modules/virtio.ko") < s.indexOf("insmod /lib/modules/ext4.ko"));
  assert.ok(s.includes("= pinsim ]")); // the virtio port named pinsim
  assert.ok(s.includes("mount -t xfs -o noatime /dev/vdb /mnt/xfs"));
  // clean-delay runs on both filesystems at once: two background runs, then wait.
  assert.equal((s.match(/\/probes\/'clean-delay'[^\n]*\) &/g) ?? []).length, 2);
  assert.ok(s.includes("echo 0 > /proc/sys/vm/dirty_writeback_centisecs"));
  assert.ok(s.trimEnd().endsWith("reboot -f"));
  assert.equal(plan.steps.filter((st) => st.id === "detector").length, 1); // anonymous memory: once
  assert.deepEqual([...LAB_MODULES.base], ["virtio_pci", "virtio_blk", "virtio_console"]);
});

test("recorded guest output (6.1 under TCG): boot record, mounts, one section per step with its exit code", () => {
  const g = parseGuestOutput(fixture("guest-6.1.jsonl"));
  assert.ok(g.done);
  assert.equal(g.boot?.release, "6.1.0-57-amd64");
  assert.equal(g.boot?.expire, 3000);
  assert.deepEqual(
    g.mounted.map((m) => m.fs),
    ["ext4", "xfs", "btrfs"],
  );
  const ids = g.sections.map((s) => s.id);
  assert.ok(ids.includes("clean-delay:ext4") && ids.includes("detector") && ids.includes("reclaim-kswapd:btrfs"));
  for (const s of g.sections) assert.equal(s.rc, 0, s.id);
  const lt = sectionOf(g, "longterm:ext4")!;
  assert.ok(lt.text.startsWith('{"type":"start","probe":"longterm"'));
  assert.ok(!lt.text.includes('"lab"'));
});

test("guest output cut short: the open section has rc null and done is false", () => {
  const text =
    '{"lab":"boot","release":"6.12.1"}\n{"lab":"begin","id":"longterm:ext4","uptime":3}\n{"type":"start"}\n#stderr oops\n';
  const g = parseGuestOutput(text);
  assert.equal(g.done, false);
  assert.equal(g.sections[0].rc, null);
  assert.deepEqual(g.sections[0].stderr, ["oops"]);
});

test("reclaim record: deltas, and the row against reclaimWritesFile(preset, backing)", () => {
  const g = parseGuestOutput(fixture("guest-6.1.jsonl"));
  const k = reclaimKernel(parseReclaim(sectionOf(g, "reclaim-memcg:ext4")!.text));
  assert.equal(k.mode, "memcg");
  assert.ok(k.scanned > 0);
  // 6.1 keeps ext4's ->writepage (removed in 6.2, dae999602eeb): the model says reclaim writes.
  const row = reclaimRow("ext4", "memcg", k, "6.1", null);
  assert.match(row.model, /^writes/);
  assert.equal(row.agree, k.written > 0);
  // From 6.2 ext4 has no ->writepage: the model says it does not write.
  assert.match(reclaimRow("ext4", "memcg", k, "6.12", null).model, /^does not write/);
  assert.equal(reclaimRow("ext4", "kswapd", null, "6.12", "no record").agree, null);
});

test("--kernel: host, debian series, a path; bad values are one line naming what is allowed", () => {
  assert.deepEqual(parseKernelSpec("host"), { kind: "host" });
  assert.deepEqual(parseKernelSpec("debian:6.12"), { kind: "debian", series: "6.12" });
  assert.throws(
    () => parseKernelSpec("debian:5.10"),
    (e: Error) => e instanceof CalibrateInputError && /allowed: host, debian:6\.1, debian:6\.12/.test(e.message),
  );
  assert.throws(() => parseKernelSpec("/no/such/bzImage"), /names no known package or file/);
  assert.throws(() => parseKernelSpec("host", "/tmp"), /--modules: only with --kernel PATH/);
  assert.equal(
    newestPackage(
      ["linux-image-6.1.0-9-amd64", "linux-image-6.1.0-57-amd64", "linux-image-6.1.0-57-cloud-amd64"],
      "6.1",
    ),
    "linux-image-6.1.0-57-amd64",
  );
  assert.equal(
    newestPackage(["linux-image-6.12.9+deb12-amd64", "linux-image-6.12.118+deb12-amd64"], "6.12"),
    "linux-image-6.12.118+deb12-amd64",
  );
});

test("bzImage header: HdrS at 0x202, the version string through the pointer at 0x20E", () => {
  const buf = Buffer.alloc(0x1000);
  buf.write("HdrS", 0x202, "latin1");
  buf.writeUInt16LE(0x300, 0x20e); // string at 0x300 + 0x200
  buf.write("6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP\0", 0x500, "latin1");
  assert.equal(bzImageRelease(buf), "6.1.0-57-amd64");
  assert.equal(bzImageRelease(Buffer.from("#!/bin/sh\necho not a kernel\n")), null);
  const dir = mkdtempSync(join(tmpdir(), "pinsim-lab-"));
  writeFileSync(join(dir, "notakernel"), "plain text");
  assert.equal(parseKernelSpec(join(dir, "notakernel")).kind, "path"); // exists: the header decides
  assert.throws(
    () => imageRelease(join(dir, "notakernel")),
    (e: Error) => e instanceof CalibrateInputError && /is not a kernel image/.test(e.message),
  );
});

test("qemu: arguments per disk and the results port; panic lines", () => {
  const a = qemuArgs(
    { kernel: "k", initrd: "i", disks: ["a.img", "b.img"], consoleLog: "c", results: "r", timeout: 1 },
    "tcg",
  );
  assert.deepEqual(a.slice(0, 2), ["-accel", "tcg"]);
  assert.equal(a.filter((x) => x.startsWith("virtio-blk-pci")).length, 2);
  assert.ok(a.includes("virtserialport,chardev=res,name=pinsim"));
  assert.ok(isPanicLine("[    2.1] Kernel panic - not syncing: VFS: Unable to mount root fs"));
  assert.ok(!isPanicLine("[    2.1] EXT4-fs (vda): mounted filesystem"));
});

test("isStaticElf: an ELF64 with a PT_INTERP program header needs a loader; without one it is static", () => {
  // ELF64 header: magic, class 2 at byte 4, e_phoff at 0x20, e_phentsize at 0x36, e_phnum at 0x38.
  const elf = (ptype: number) => {
    const b = Buffer.alloc(0x40 + 0x38);
    b.writeUInt32BE(0x7f454c46, 0);
    b[4] = 2;
    b.writeBigUInt64LE(0x40n, 0x20);
    b.writeUInt16LE(0x38, 0x36);
    b.writeUInt16LE(1, 0x38);
    b.writeUInt32LE(ptype, 0x40);
    return b;
  };
  assert.equal(isStaticElf(elf(3)), false); // PT_INTERP = 3
  assert.equal(isStaticElf(elf(1)), true); // PT_LOAD only
  assert.equal(isStaticElf(Buffer.from("#!/bin/sh")), false);
});
