/**
 * The null rules of the metrics table (src/model/metric-table.ts): the facts of a run that
 * decide which metrics mean something, and the conditions under which a metric is null.
 */

/** What about a run decides which metrics mean something: the inputs of the null rules. */
export interface RunFacts {
  /** Something consults folio_maybe_dma_pinned: the policy's writeback hook, or the reclaim guard. */
  detector: boolean;
  /** The reclaim guard is on (v6.4's folio_maybe_dma_pinned check in shrink_folio_list). */
  guard: boolean;
  /** The policy keeps pinned pages dirty at writeback (Policy.keepsDirty). */
  keepsDirty: boolean;
  /** The policy makes bounce copies (Policy.bounces). */
  bounces: boolean;
  /** The device mirrors the mapping (mmu-notifier) instead of holding GUP references. */
  mirror: boolean;
  /** The backing writes pages back at all (BACKING_PROFILES: not tmpfs, not hugetlbfs). */
  writesBack: boolean;
  /** Folios carry private data (buffer heads, btrfs's extent marker); not xfs's order-0 iomap folios. */
  privateData: boolean;
  /** The run stopped before its end-of-run sync: ext4's BUG (ext4-bug), or a task hung on a page lock it holds. */
  crashed: boolean;
  /** The filesystem warns when a clean page is dirtied without PG_locked (ext4: RunEnv.lockWarning). */
  lockWarning: boolean;
  /** The backing sends a dirty folio without the Ordered flag to the COW fixup worker (btrfs). */
  cowFixup: boolean;
  /** The backing is private anonymous memory (`anon`): fork, COW and swap happen to its pages. */
  anonymous: boolean;
  /** Some pinner group is an O_DIRECT write (caller odirect without FOLL_WRITE: its pages are bio sources). */
  dioWrites: boolean;
}

/** A condition under which a metric is null (a key of {@link NULL_CONDITIONS}). */
export type NullCondition =
  | "noDetector"
  | "noGuard"
  | "notKeepDirty"
  | "notBouncing"
  | "noMirror"
  | "mirror"
  | "noWriteback"
  | "noPrivateData"
  | "noLockWarning"
  | "noCowFixup"
  | "crashed"
  | "notCrashed"
  | "notAnonymous"
  | "noDioWrite";

/** One null condition: when it holds, and how the docs say it. */
export interface NullRule {
  /** Whether the condition holds for a run with these facts. */
  holds: (f: RunFacts) => boolean;
  /** Markdown for docs/model.md's table of null rules (scripts/metrics-doc.mjs). */
  text: string;
}

/** The conditions under which a metric is null: when each holds, and how the docs say it. */
export const NULL_CONDITIONS: Readonly<Record<NullCondition, NullRule>> = {
  noDetector: {
    holds: (f: RunFacts) => !f.detector,
    text: "nothing consults the detector (no detector-consulting writeback hook, and the reclaim guard off)",
  },
  noGuard: { holds: (f: RunFacts) => !f.guard, text: "the reclaim guard is off" },
  notKeepDirty: {
    holds: (f: RunFacts) => !f.keepsDirty,
    text: "the policy does not keep pinned pages dirty (all but `keep-dirty`, `keep-dirty-bounce`)",
  },
  notBouncing: { holds: (f: RunFacts) => !f.bounces, text: "the policy makes no bounce copy" },
  noMirror: {
    holds: (f: RunFacts) => !f.mirror,
    text: "the device holds GUP references (every policy but `mmu-notifier`)",
  },
  mirror: {
    holds: (f: RunFacts) => f.mirror,
    text: "the device mirrors the mapping (`mmu-notifier`; its caller may still refuse the registration, so `refusedPins` is counted there too)",
  },
  noWriteback: {
    holds: (f: RunFacts) => !f.writesBack,
    text: "the backing never writes back (tmpfs, hugetlbfs: nothing is cleaned or written, so none of these can happen)",
  },
  noPrivateData: {
    holds: (f: RunFacts) => !f.privateData,
    text: "the folios carry no private data to lose or to need (xfs's iomap folios of order 0)",
  },
  noLockWarning: {
    holds: (f: RunFacts) => !f.lockWarning,
    text: "the filesystem does not check the page lock when a page is dirtied (every backing but ext4)",
  },
  noCowFixup: {
    holds: (f: RunFacts) => !f.cowFixup,
    text: "the backing has no COW fixup (every backing but btrfs)",
  },
  crashed: {
    holds: (f: RunFacts) => f.crashed,
    text: "the run crashed (`ext4-bug`): there was no end-of-run sync",
  },
  notCrashed: {
    holds: (f: RunFacts) => !f.crashed,
    text: "the run reached its end: no BUG() to time (the one null that is an absence, not a meaningless metric: a summary's `_any` counts such runs as runs without a crash)",
  },
  notAnonymous: {
    holds: (f: RunFacts) => !f.anonymous,
    text: "the backing is a file, not anonymous memory (`anon`): no fork copies, no COW of a pinned page, no swap",
  },
  noDioWrite: {
    holds: (f: RunFacts) => !f.dioWrites,
    text: "no pinner group is an O_DIRECT write (caller `odirect` with `pinAccess` `read`)",
  },
};
