/**
 * `pinsim calibrate --kernel PATH --modules DIR` as a developer runs it on the bzImage they
 * just built: here Debian's 6.1 image as unpacked in the cache folder by an earlier
 * `--kernel debian:6.1` (boot/vmlinuz-RELEASE and lib/modules/RELEASE, no modules.dep:
 * the module walk reads each .ko's depends=), passed as a path. Boots it under QEMU (TCG
 * without KVM) with one part, the long-term matrix, and checks the folder. Skipped without
 * qemu-system-x86_64, a static busybox, a C compiler with a static libc, or the unpacked image.
 * Also the bad-input lines of a path that is no kernel and of --modules that is no folder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheRoot } from "../src/calibrate/build.js";

const BIN = new URL("../bin/pinsim.js", import.meta.url).pathname;
const TMP = mkdtempSync(join(tmpdir(), "pinsim-lab-path-"));
const pinsim = (timeout: number, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Debian's unpacked 6.1 in the cache: the image and its modules tree, or null. */
function unpacked61(): { vmlinuz: string; modules: string; release: string } | null {
  const root = join(cacheRoot(), "lab", "debian");
  if (!existsSync(root)) return null;
  const pkg = readdirSync(root).find((n) => /^linux-image-6\.1\.0-\d+-amd64$/.test(n));
  if (!pkg) return null;
  const release = pkg.replace(/^linux-image-/, "");
  const vmlinuz = join(root, pkg, "boot", `vmlinuz-${release}`);
  const modules = join(root, pkg, "lib", "modules", release);
  return existsSync(vmlinuz) && existsSync(modules) ? { vmlinuz, modules, release } : null;
}

function skipWhy(): string | false {
  if (spawnSync("qemu-system-x86_64", ["--version"]).status !== 0) return "no qemu-system-x86_64 (qemu-system-x86)";
  if (!existsSync("/bin/busybox") && !existsSync("/usr/bin/busybox")) return "no busybox (busybox-static)";
  if (spawnSync("cc", ["--version"]).status !== 0) return "no C compiler";
  if (!unpacked61()) return "Debian's 6.1 not unpacked in the cache (run pinsim calibrate --kernel debian:6.1 once)";
  return false;
}

test("--kernel PATH: a file that is no kernel, and --modules that is no folder: one line, exit 2", () => {
  const notKernel = join(TMP, "bzImage");
  writeFileSync(notKernel, "not a kernel\n");
  const a = pinsim(60000, "calibrate", "--kernel", notKernel, "--quick", "--out", join(TMP, "a"));
  assert.equal(a.code, 2, a.stderr);
  assert.equal(a.stderr.trim().split("\n").length, 1, a.stderr);
  // validateThenCreate (src/calibrate/lab/run.ts) asks for qemu before it reads the image:
  // on a machine without qemu (npm test runs before .ci/run installs it) that line comes first
  const hasQemu = spawnSync("qemu-system-x86_64", ["--version"]).status === 0;
  assert.match(a.stderr, hasQemu ? /is not a kernel image/ : /qemu-system-x86_64 not found/);
  const b = pinsim(60000, "calibrate", "--kernel", notKernel, "--modules", join(TMP, "none"), "--out", join(TMP, "b"));
  assert.equal(b.code, 2, b.stderr);
  assert.match(b.stderr, /--modules/);
});

// .ci/run sets PINSIM_LAB_REQUIRED=1 when it runs this file again after the lab steps have
// fetched and unpacked 6.1: there a missing prerequisite is a failure, not a skip.
const required = process.env.PINSIM_LAB_REQUIRED === "1";

test("--kernel PATH --modules DIR: Debian's unpacked 6.1 boots and answers the long-term matrix", {
  skip: required ? false : skipWhy(),
}, () => {
  const why = skipWhy();
  if (why) assert.fail(`PINSIM_LAB_REQUIRED=1 but ${why}`);
  const k = unpacked61();
  assert.ok(k);
  const out = join(TMP, "path-6.1");
  const r = pinsim(
    420000,
    "calibrate",
    "--kernel",
    k.vmlinuz,
    "--modules",
    k.modules,
    "--quick",
    "--only",
    "longterm",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(readFileSync(join(out, "calibration.json"), "utf8"));
  // The release comes from the image's setup header (not from a package name), the preset is 6.1's own.
  assert.equal(c.lab.release, k.release);
  assert.equal(c.lab.source, "path");
  assert.deepEqual(c.lab.preset, { id: "6.1", exact: true });
  // ext4, xfs and btrfs mounted: their modules (and crc32c, libcrc32c…) were found by depends=, not modules.dep.
  assert.deepEqual(
    c.lab.mounted.map((m: { fs: string }) => m.fs),
    ["ext4", "xfs", "btrfs"],
  );
  // io_uring registering a shared ext4 mapping on 6.1: EOPNOTSUPP (95), io_uring's own file-backed check
  // (io_uring/rsrc.c io_sqe_buffer_register before the 6.5 conversion to GUP's rule).
  const row = c.comparison.find(
    (x: { quantity: string }) =>
      x.quantity.startsWith("ext4: io_uring REGISTER_BUFFERS") && x.quantity.endsWith("over file-shared"),
  );
  assert.ok(row, "the ext4 shared-mapping row");
  assert.match(row.kernel, /EOPNOTSUPP/);
  assert.equal(row.agree, true);
  assert.deepEqual(
    readdirSync(out).filter((n) => n.startsWith(".lab-scratch")),
    [],
  );
});
