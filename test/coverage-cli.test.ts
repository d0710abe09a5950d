/**
 * `pinsim kernels` as a user meets it: a line per preset, one preset in full, bad input as
 * one line on stderr with exit code 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { KERNEL_IDS } from "../src/model/kernels.js";

const BIN = new URL("../bin/pinsim.js", import.meta.url).pathname;
const pinsim = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

test("pinsim kernels lists every preset with its generic policy, a line each", () => {
  const r = pinsim("kernels");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.deepEqual(
    lines.map((l) => l.split(/\s+/)[0]),
    [...KERNEL_IDS],
  );
  // 6.6 has the 6.5 refusal (8ac268436e6d) and the 6.4 reclaim guard; 5.15 has neither.
  assert.match(lines[KERNEL_IDS.indexOf("6.6")], /longterm-refused .*refused; reclaim guard;/);
  assert.match(lines[KERNEL_IDS.indexOf("5.15")], /foll-pin .*no long-term refusal; no reclaim guard;/);
});

test("pinsim kernels --kernel 5.10 --json: io_uring refuses file buffers on its own, O_DIRECT still FOLL_GET", () => {
  const r = pinsim("kernels", "--kernel", "5.10", "--json");
  assert.equal(r.code, 0, r.stderr);
  const k = JSON.parse(r.stdout);
  assert.equal(k.ioUring, "file-except-hugetlb"); // shmem allowed only from 5.14
  assert.equal(k.callers.odirect.reference, "FOLL_GET"); // iov_iter_extract_pages: ≈6.3
  assert.equal(k.callers.io_uring.reference, "FOLL_PIN"); // pin_user_pages: 5.6
});

test("pinsim kernels --kernel 6.7: one line naming the field and the allowed values, exit 2", () => {
  const r = pinsim("kernels", "--kernel", "6.7");
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `pinsim: invalid kernel: "6.7" (allowed: ${KERNEL_IDS.join(", ")})\n`);
});

test("pinsim run: bad coverage input is one line naming the field and the allowed values, exit 2", () => {
  const cases: [string[], string][] = [
    [["--kernel", "6.7"], `pinsim: invalid kernel: "6.7" (allowed: null or one of ${KERNEL_IDS.join(", ")})`],
    [
      ["--caller", "nvme"],
      `pinsim: invalid caller: "nvme" (allowed: generic, odirect, rdma, vfio, io_uring, gpu-userptr, vmsplice)`,
    ],
    [["--backing", "zfs"], `pinsim: invalid backing: "zfs" (allowed: ext4, xfs, btrfs, tmpfs, hugetlbfs, anon)`],
    // hugetlbfs folios are 2 MiB: order 9 with 4 KiB pages, nothing else.
    [
      ["--backing", "hugetlbfs", "--folio-order", "4"],
      `pinsim: invalid folioOrder: 4 (allowed: 9 for hugetlbfs (2 MiB huge pages))`,
    ],
    // ext4 large folios came with ≈6.16: on 6.12 ext4 folios are order 0.
    [["--kernel", "6.12", "--folio-order", "2"], `pinsim: invalid folioOrder: 2 (allowed: 0 for ext4 on 6.12)`],
    [
      ["--pinner-groups", '[{"caller":"rdma","pinners":0}]'],
      `pinsim: invalid pinnerGroups[0].pinners: 0 (allowed: an integer in 1..16777216 (a group with no pinners pins nothing: leave it out))`,
    ],
    [
      ["--pinner-groups", '[{"caller":"dpdk","pinners":1}]'],
      `pinsim: invalid pinnerGroups[0].caller: "dpdk" (allowed: generic, odirect, rdma, vfio, io_uring, gpu-userptr, vmsplice)`,
    ],
  ];
  for (const [args, line] of cases) {
    const r = pinsim("run", "--duration", "1", ...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, line + "\n");
  }
});
