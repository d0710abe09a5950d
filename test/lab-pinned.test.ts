/**
 * Probes 3 and 4 of the lab (calibrate/pinned.c) without qemu: the guest steps and the raw
 * disk under dm-delay, the module set, the parsing of recorded guard and race records
 * (test/fixtures/lab/pinned-*.jsonl, from `pinsim calibrate --kernel debian:6.1|6.12 --quick`
 * on this project's machine under TCG) and their rows against the model on each preset.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { initScript } from "../src/calibrate/lab/guest.js";
import { guardRows, modelGuardKeeps, parseGuard, parseRace, raceModel, raceRows } from "../src/calibrate/lab/pinned.js";
import { DM_PARTS, LAB_MODULES, labConfig, labPlan } from "../src/calibrate/lab/plan.js";
import { calibrationConfig } from "../src/calibrate/run.js";
import { ProbeError } from "../src/calibrate/errors.js";
import { kupdatePeriod } from "../src/engine/flusher.js";

const fixture = (n: string) => readFileSync(join(import.meta.dirname, "fixtures", "lab", n), "utf8");
const lab = labConfig(true);
const cfg = calibrationConfig(true, ["longterm"], 1, 30);

test("plan: the guard and the race per filesystem, on a raw disk after the filesystems' disks", () => {
  const plan = labPlan({ parts: ["longterm", ...DM_PARTS], filesystems: ["ext4", "xfs"], modules: [], cfg, lab });
  assert.deepEqual(
    plan.disks.map((d) => [d.fs, d.device, d.mount]),
    [
      ["ext4", "/dev/vda", "/mnt/ext4"],
      ["xfs", "/dev/vdb", "/mnt/xfs"],
      ["raw", "/dev/vdc", null],
    ],
  );
  const race = plan.steps.find((s) => s.id === "race:xfs")!;
  // argv: DIR race RAWDEV DELAY_MS FSDEV EXPIRE_S WB_S; the step's E and W as sysctls (centiseconds).
  assert.deepEqual(race.argv, ["pinned", "/mnt/xfs", "race", "/dev/vdc", "5000", "vdb", "2", "1"]);
  assert.deepEqual(race.sysctls, { "vm/dirty_expire_centisecs": "200", "vm/dirty_writeback_centisecs": "100" });
  const guard = plan.steps.find((s) => s.id === "reclaim-guard:ext4")!;
  assert.deepEqual(guard.argv, ["pinned", "/mnt/ext4", "guard", "/dev/vdc", "5000", "64", "4"]);
  // The raw disk is never mounted.
  assert.ok(!initScript(plan).includes("/dev/vdc /mnt"));
  // Without dm-delay in the image: no raw disk, no guard or race step.
  const none = labPlan({ parts: ["longterm", ...DM_PARTS], filesystems: ["ext4"], modules: [], cfg, lab, dm: false });
  assert.deepEqual(
    none.disks.map((d) => d.fs),
    ["ext4"],
  );
  assert.deepEqual(
    none.steps.map((s) => s.id),
    ["longterm:ext4"],
  );
  assert.deepEqual([...LAB_MODULES.dm], ["dm_mod", "dm_delay"]);
  // The race's delay outlasts the flusher's first pass: D > E + P (P = kupdatePeriod(1 s, HZ 250) = 1.024 s).
  assert.ok(lab.race.delayMs / 1000 > lab.race.expire + kupdatePeriod(lab.race.interval, 250));
});

test("guard record on 6.1 (ext4): FOLL_GET, no guard, buffers stripped; the model says so", () => {
  const g = parseGuard(fixture("pinned-guard-6.1-ext4.jsonl"));
  assert.equal(g.pinsHeld, 0); // FOLL_GET before 6.3 (block/bio.c): no pin counted
  assert.equal(g.fsynced?.private, 1);
  assert.equal(g.pressured?.private, 0);
  // No guard in 6.1 (d824ec2a1546 is 6.4) and the read takes FOLL_GET: the model loses the buffers too.
  assert.equal(modelGuardKeeps("6.1", "ext4"), false);
  const rows = guardRows("ext4", g, "6.1", "");
  assert.deepEqual(
    rows.map((r) => r.agree),
    [true, true, true],
  );
  assert.match(rows[1].kernel, /^loses its private data: KPF_PRIVATE 1 -> 0/);
});

test("guard record on 6.12 (ext4): FOLL_PIN and the guard keep the buffers", () => {
  const g = parseGuard(fixture("pinned-guard-6.12-ext4.jsonl"));
  assert.equal(g.pinsHeld, 1); // one page pinned by one read
  assert.equal(g.pressured?.private, 1);
  // 6.12: guard (6.4) and FOLL_PIN (6.3): folio_maybe_dma_pinned sees the 1024 bias -> activate_locked.
  assert.equal(modelGuardKeeps("6.12", "ext4"), true);
  assert.deepEqual(
    guardRows("ext4", g, "6.12", "").map((r) => r.agree),
    [true, true, true],
  );
  // Guard without FOLL_PIN cannot keep (the guard looks at the pin bias only): 6.4's guard with a FOLL_GET read is not a preset,
  // but xfs has nothing to keep on any preset.
  assert.equal(modelGuardKeeps("6.12", "xfs"), null);
});

test("guard rows: a run whose reclaim scanned nothing, or whose page was dirty, measured nothing", () => {
  const g = parseGuard(fixture("pinned-guard-6.1-ext4.jsonl"));
  assert.equal(guardRows("ext4", { ...g, memcgPgscan: 0 }, "6.1", "")[1].agree, null);
  assert.equal(guardRows("ext4", { ...g, pressureInFlight: false }, "6.1", "")[1].agree, null);
  const rows = guardRows("ext4", null, "6.1", "module dm_delay not in the image");
  assert.equal(rows.length, 2);
  assert.ok(rows.every((r) => r.agree === null && r.kernel === "not measured here: module dm_delay not in the image"));
});

test("race model: cleaned once while held (E..E+P after the pin), redirtied at release, written twice, disk holds the read", () => {
  const E = 2;
  const W = 1;
  const P = kupdatePeriod(W, 250); // 1.024 s
  for (const preset of ["6.1", "6.12"] as const) {
    const m = raceModel(preset, "ext4", { expire: E, interval: W, hz: 250, hold: 5, seed: 1 });
    // kupdate writes an inode dirtied at the pin E..E+P later; device writes do not dirty the page, so it stays
    // clean until the release: one clear while held.
    assert.equal(m.clearsWhileHeld.length, 1, preset);
    assert.ok(m.clearsWhileHeld[0] >= E && m.clearsWhileHeld[0] < E + P, `${m.clearsWhileHeld[0]}`);
    assert.equal(m.dirtyAfterRelease, 1); // bio-redirty (bio_check_pages_dirty / bio_release_pages(mark_dirty))
    assert.equal(m.writebacks, 2); // once while held, once after the release redirtied it
    assert.equal(m.diskHoldsRead, true);
  }
});

test("race records on 6.1 and 6.12 (ext4): the rows against the model", () => {
  for (const [k, pins] of [
    ["6.1", 0],
    ["6.12", 1],
  ] as const) {
    const r = parseRace(fixture(`pinned-race-${k}-ext4.jsonl`));
    assert.equal(r.pinsHeld, pins, k);
    const rows = raceRows("ext4", r, k, { hz: 250, lab, seed: 1 }, "");
    assert.equal(rows.length, 5);
    assert.ok(
      rows.every((x) => x.agree === true),
      rows.map((x) => `${x.quantity}: ${x.kernel} / ${x.model}`).join("\n"),
    );
  }
});

test("pinned records: an error line or a bad field is one ProbeError line naming it", () => {
  assert.throws(
    () => parseRace('{"type":"error","step":"DM_DEV_CREATE","errno":2,"message":"No such file or directory"}\n'),
    (e: Error) => e instanceof ProbeError && /no race record: .*DM_DEV_CREATE/.test(e.message),
  );
  const bad = fixture("pinned-race-6.12-ext4.jsonl").replace('"pinsHeld":1', '"pinsHeld":"one"');
  assert.throws(
    () => parseRace(bad),
    (e: Error) => e instanceof ProbeError && /field pinsHeld/.test(e.message),
  );
});

test("race record on 6.12 (btrfs): the redirtied folio is refused, the disk keeps the store's data", () => {
  const r = parseRace(fixture("pinned-race-6.12-btrfs.jsonl"));
  // The read's completion dirtied the folio outside btrfs (no delalloc range): writeback refused it with
  // -EUCLEAN ("marked dirty without notifying the fs"), so the block holds the store's 0x22, memory the read's
  // 0xA5, and the first O_DIRECT read back returned EIO (the mapping's error, filemap_check_errors).
  assert.equal(r.memByte, 0xa5);
  assert.equal(r.diskByte, 0x22);
  assert.equal(r.diskErrno, 5);
  assert.match(r.firstWarning, /marked dirty without notifying the fs/);
  const rows = raceRows("btrfs", r, "6.12", { hz: 250, lab, seed: 1 }, "");
  const disk = rows.find((x) => x.quantity.includes("on disk after sync"))!;
  assert.equal(disk.agree, false); // the model's 6.12 preset sends the folio to the COW fixup worker, which writes it
  assert.match(disk.kernel, /^the store's data; in memory the read's data; the first read back failed with errno 5/);
  // The rest of the race agrees: cleaned once in flight, dirty after, written twice.
  assert.deepEqual(
    rows.filter((x) => x !== disk).map((x) => x.agree),
    [true, true, true, true],
  );
});
