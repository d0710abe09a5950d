/**
 * The kernel table as text: the lines of `pinsim kernels`, one preset in full, and the
 * kernel tables of docs/simulation.md and docs/model.md (scripts/kernel-table.mjs). Every function takes the table as a
 * parameter (the real one by default) and iterates its presets and its features, so a new
 * preset or a new FEATURES entry shows up in all of them with no edit here.
 */
import type { CallerProfile } from "./callers.js";
import { HZ_CITE, KERNEL_TABLE, type Feature, type KernelPreset, type KernelTable } from "./kernels.js";

/** A column of the preset table: its header and what one preset shows in it. */
export interface PresetColumn {
  /** The header (markdown) and the label (`pinsim kernels --kernel`). */
  readonly header: string;
  /** The preset's value, as text. */
  readonly value: (p: KernelPreset<string, string>) => string;
}

/** The preset fields that are not one feature's yes or no, in the order they are shown. */
export const PRESET_COLUMNS: readonly PresetColumn[] = [
  { header: "released", value: (p) => p.released },
  { header: "plain FOLL_PIN caller's policy", value: (p) => p.pinPolicy },
  { header: "reclaim guard", value: (p) => (p.reclaimGuard ? "yes" : "no") },
  { header: "ext4", value: (p) => p.fsBehavior },
  { header: "long-term refusal", value: (p) => (p.longtermRefusal ? "yes" : "no") },
  { header: "io_uring's own refusal", value: (p) => p.ioUring },
  {
    header: "exact pin count from folio order",
    value: (p) => (p.pincountMinOrder === null ? "—" : `${p.pincountMinOrder}`),
  },
  { header: "HZ", value: (p) => `${p.hz}` },
];

/** "5.6" for [5, 6]. */
const release = (v: readonly [number, number]): string => `${v[0]}.${v[1]}`;

/** The features of a table as [name, entry] pairs, in its order. */
const featureList = (t: KernelTable<string, string>): [string, Feature][] => Object.entries(t.features);

/**
 * `pinsim kernels`: one line per preset, oldest first: id, release month, the plain
 * FOLL_PIN caller's policy, the summary (every feature's `on` or `off` words), HZ.
 *
 * @example kernelLines()[0].slice(0, 32); // => "4.14  2017-11  legacy-put-page  "
 */
export function kernelLines(table: KernelTable<string, string> = KERNEL_TABLE): string[] {
  const idWidth = Math.max(5, ...table.presets.map((p) => p.id.length + 1));
  const policyWidth = Math.max(...table.presets.map((p) => p.pinPolicy.length));
  return table.presets.map(
    (p) => `${p.id.padEnd(idWidth)} ${p.released}  ${p.pinPolicy.padEnd(policyWidth)} ${p.summary}; HZ ${p.hz}`,
  );
}

/**
 * `pinsim kernels --kernel ID`: one preset in full: the preset's fields, each feature with
 * its release and whether this preset has it, the callers (`callers`, e.g. every
 * callerProfile of the release; none for a preset outside the real table), the sources.
 */
export function kernelDetail(
  preset: KernelPreset<string, string>,
  callers: readonly CallerProfile[] = [],
  table: KernelTable<string, string> = KERNEL_TABLE,
): string[] {
  const features = featureList(table);
  const width = Math.max(...features.map(([name, f]) => name.length + release(f.since).length + 3));
  return [
    `Linux ${preset.id} (${preset.released})`,
    `  ${PRESET_COLUMNS.map((c) => `${c.header} ${c.value(preset)}`).join("; ")}`,
    "  features:",
    ...features.map(([name, f]) => {
      const has = preset.features.includes(name);
      return `    ${`${name} (${release(f.since)})`.padEnd(width)} ${has ? "yes" : "no "}  ${has ? f.on : f.off}`;
    }),
    "  callers:",
    ...callers.map((p) => {
      if (!p.exists) return `    ${p.id.padEnd(11)} (absent)`;
      const lt = p.longTerm === null ? "longTerm per parameter" : p.longTerm ? "FOLL_LONGTERM" : "short";
      return `    ${p.id.padEnd(11)} ${p.reference}, write ${p.write}, ${lt}, release ${p.release}, policy ${p.policy}`;
    }),
    "  sources:",
    ...features.map(([name, f]) => `    ${name}: ${f.cite}`),
    `    hz: ${HZ_CITE}`,
  ];
}

/** A markdown table row. */
const row = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;

/**
 * The kernel tables of docs/simulation.md and docs/model.md (markdown): the presets with PRESET_COLUMNS, then every feature
 * against every preset (✓ where the release has it) with its `on` and `off` words, then each
 * feature's source.
 */
export function kernelsMarkdown(table: KernelTable<string, string> = KERNEL_TABLE): string {
  const presets = table.presets;
  const features = featureList(table);
  return [
    row(["preset", ...PRESET_COLUMNS.map((c) => c.header)]),
    row(["---", ...PRESET_COLUMNS.map(() => "---")]),
    ...presets.map((p) => row([p.id, ...PRESET_COLUMNS.map((c) => c.value(p))])),
    "",
    row(["feature", "since", ...presets.map((p) => p.id), "with it", "without it"]),
    row(["---", "---", ...presets.map(() => "---"), "---", "---"]),
    ...features.map(([name, f]) =>
      row([
        `\`${name}\``,
        release(f.since),
        ...presets.map((p) => (p.features.includes(name) ? "✓" : "")),
        f.on,
        f.off,
      ]),
    ),
    "",
    "Sources:",
    "",
    ...features.map(([name, f]) => `- \`${name}\` (${release(f.since)}): ${f.cite}`),
    `- HZ: ${HZ_CITE}`,
  ].join("\n");
}
