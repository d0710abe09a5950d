/**
 * Building blocks the policies share: the defaults, the release that dirties nothing and
 * the plain writeback decision (the release values themselves
 * are in src/model/release.ts). Each policy file composes them and says which era it stands for.
 */
import { METRIC } from "../model/metrics.js";
import { WritebackDecision, type Policy } from "../model/policy.js";
import { DIRTY_IF_CLEAN, NO_DIRTYING } from "../model/release.js";

/**
 * A policy value with its id kept as a literal type, so the registry (src/policies/index.ts)
 * derives POLICY_IDS and the PolicyId type from its list alone. Returns `p` itself.
 */
export function definePolicy<const Id extends string>(p: Policy & PolicyWithId<Id>): Policy & PolicyWithId<Id> {
  return p;
}

/** A policy's id as a literal type (definePolicy, keepDirtyPolicy). */
export interface PolicyWithId<Id extends string> {
  /** The policy's id, kept as its literal (e.g. "foll-pin"), so PolicyId is a union of them. */
  readonly id: Id;
}

/** A page is cleaned as any page: TestClearPageDirty, then the I/O. */
export const cleanAndWrite = (): number => WritebackDecision.CLEAR | WritebackDecision.WRITE;

/**
 * Defaults every policy starts from (spread it, then override): FOLL_PIN, the reclaim
 * guard on, no hooks beyond the seed's release (`if (!PageDirty) set_page_dirty_lock`,
 * unpin_user_pages_dirty_lock in mm/gup.c, v5.6 on).
 */
export const FOLL_PIN_BASE = {
  /** pin_user_pages: FOLL_PIN adds GUP_PIN_COUNTING_BIAS. */
  reference: "FOLL_PIN",
  /** GUP takes a reference; no device mirror. */
  deviceMirror: null,
  /** The reclaim guard of mm/vmscan.c (v6.4) is on. */
  reclaimGuardDefault: true,
  /** Writeback does not ask folio_maybe_dma_pinned. */
  writebackConsultsDetector: false,
  /** No bounce copies. */
  bounces: false,
  /** Pinned pages are cleaned like any other. */
  keepsDirty: false,
  /** No check_vma_flags refusal. */
  refuseGup: () => false,
  /** Nothing after the grab (FOLL_TOUCH is GUP's own). */
  afterGrab: () => {},
  /** `if (!PageDirty) set_page_dirty_lock`: only a clean page is locked and dirtied. */
  release: DIRTY_IF_CLEAN,
  /** cleanAndWrite: TestClearPageDirty, then the I/O. */
  writebackDecision: cleanAndWrite,
} as const satisfies Omit<Policy, "id" | "era" | "summary">;

/** A release that dirties nothing takes no lock (spread it over FOLL_PIN_BASE). */
export const noRelease = {
  /** Nothing is dirtied and no page lock is taken: the reference is just dropped. */
  release: NO_DIRTYING,
} as const;

/**
 * Keep pinned pages dirty (Jérôme Glisse's steps [3..N]; Jan Kara, LSF/MM 2018 and the
 * 2023 RFC "Writeback handling of pinned pages"): a page folio_maybe_dma_pinned calls
 * pinned is never cleaned. WB_SYNC_NONE skips it; WB_SYNC_ALL writes it and leaves it
 * dirty, from the page itself or (`bounce`) from a copy taken under the page lock.
 */
export function keepDirtyPolicy<const Id extends string>(o: {
  /** The policy's id. */
  id: Id;
  /** Kernel era or proposal. */
  era: string;
  /** One line for `pinsim policies`. */
  summary: string;
  /** WB_SYNC_ALL writes a bounce copy of a pinned page (keep-dirty-bounce). */
  bounce: boolean;
}): Policy & PolicyWithId<Id> {
  const syncWrite = o.bounce ? WritebackDecision.WRITE | WritebackDecision.BOUNCE : WritebackDecision.WRITE;
  return {
    ...FOLL_PIN_BASE,
    ...o,
    writebackConsultsDetector: true,
    keepsDirty: true,
    bounces: o.bounce,
    writebackDecision: (pc, p, sync) => {
      if (!pc.folioMaybeDmaPinned(p)) return WritebackDecision.CLEAR | WritebackDecision.WRITE;
      pc.count(METRIC.keptDirty);
      return sync ? syncWrite : 0;
    },
  };
}
