// scripts/kernel-map.mjs, which generates docs/architecture.md's table of where each kernel
// function's model lives: a declaration counts when its name is the kernel name in
// camelCase AND its doc comment names the kernel function; a name alone, or a doc naming
// another function, does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: a plain .mjs script without types
import { camel, kernelMap } from "../scripts/kernel-map.mjs";

test("kernel names in camelCase: snake_case, leading underscores, page-flag macros", () => {
  assert.equal(camel("clear_page_dirty_for_io"), "clearPageDirtyForIo");
  assert.equal(camel("__remove_mapping"), "removeMapping");
  assert.equal(camel("folio_maybe_dma_pinned"), "folioMaybeDmaPinned");
  assert.equal(camel("TestClearPageDirty"), "testClearPageDirty");
});

test("a declaration is listed only when its doc names the kernel function it is named after", () => {
  const dir = mkdtempSync(join(tmpdir(), "pinsim-kmap-"));
  try {
    mkdirSync(join(dir, "model"));
    writeFileSync(
      join(dir, "model", "cache.ts"),
      [
        "export class C {",
        "  /** clear_page_dirty_for_io: page_mkclean, then TestClearPageDirty. */",
        "  clearPageDirtyForIo(p: number): boolean {",
        "    return p > 0;",
        "  }",
        "  /** No kernel name here. */",
        "  pageMkwrite(p: number): void {}",
        "  /** try_to_unmap, but the name drifts. */",
        "  unmapPage(p: number): void {}",
        "}",
        "/** __remove_mapping (mm/vmscan.c). */",
        "export function removeMapping(p: number): boolean { return true; }",
      ].join("\n"),
    );
    const rows = kernelMap(dir) as { kernel: string; name: string; where: string }[];
    assert.deepEqual(
      rows.map((r) => [r.kernel, r.name]),
      [
        ["clear_page_dirty_for_io", "clearPageDirtyForIo"],
        ["__remove_mapping", "removeMapping"],
      ],
    );
    assert.match(rows[0]!.where, /model\/cache\.ts:3$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the model of page_mkclean is found in src/ (the table is generated from real code)", () => {
  const rows = kernelMap() as { kernel: string; name: string; where: string }[];
  assert.ok(
    rows.some((r) => r.kernel === "page_mkclean" && r.name === "pageMkclean" && r.where.startsWith("src/model/")),
  );
});
