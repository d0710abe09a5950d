/**
 * The records the probes print (calibrate/*.c), one interface per record type, and what
 * each probe's whole output parses to (parse.ts checks and groups them).
 */

/** clean-delay.c's `start` record: its settings as it read them. */
export interface CleanStart {
  /** Always `start`. */
  type: "start";
  /** Always `clean-delay`. */
  probe: "clean-delay";
  /** Trials (files), each with one page in a clean inode and, when `second` > 0, one more in it once dirty. */
  trials: number;
  /** Seconds between the first stores of consecutive trials. */
  stagger: number;
  /** Seconds from a trial's first store to its second (0: no second page). */
  second: number;
  /** Milliseconds between polls of /proc/kpageflags. */
  pollMs: number;
  /** Seconds after its store a page still dirty is given up (a `timeout` record). */
  timeout: number;
  /** The probe's process id. */
  pid: number;
}
/** clean-delay.c's `prepared` record: a trial's file written, fsync()ed and mapped, its pages checked clean. */
export interface CleanPrepared {
  /** Always `prepared`. */
  type: "prepared";
  /** Trial index from 0. */
  trial: number;
  /** The two pages' PFNs (/proc/self/pagemap; 0 without CAP_SYS_ADMIN). */
  pfn: number[];
  /** The two pages' /proc/kpageflags words. */
  flags: number[];
  /** Whether both read clean (neither PG_dirty nor PG_writeback); the probe stops if not. */
  clean: boolean;
}
/** clean-delay.c's `clean` record: one page's store and the polls that bracket its clean instant. */
export interface CleanSample {
  /** Always `clean`. */
  type: "clean";
  /** Trial index from 0. */
  trial: number;
  /** 0: the first page of the trial (stored into a clean inode); 1: the second. */
  page: number;
  /** Whether the store found the inode clean (page 0) or already dirty (page 1). */
  inode: "clean" | "dirty";
  /** CLOCK_MONOTONIC seconds just before the store. */
  t0: number;
  /** Last poll that saw PG_dirty set. */
  lastDirty: number;
  /** First poll that saw PG_dirty clear: the clean instant is in (lastDirty, firstDirtyClear]. */
  firstDirtyClear: number;
  /** First poll with PG_dirty and PG_writeback both clear. */
  firstClean: number;
  /** 1 if some poll saw PG_writeback set. */
  writebackSeen: 0 | 1;
  /** 1 if PG_dirty read set right after the store (it should). */
  dirtyAfterStore: 0 | 1;
  /** Polls of this page. */
  polls: number;
  /** Times the page's PFN changed between polls (migration, compaction). */
  migrated: number;
  /** PG_private at the clean poll: the page still has buffers. */
  private: 0 | 1;
}
/** clean-delay.c's `timeout` record: a page still dirty `timeout` seconds after its store. */
export interface CleanTimeout {
  /** Always `timeout`. */
  type: "timeout";
  /** Trial index from 0. */
  trial: number;
  /** 0: the first page of the trial; 1: the second. */
  page: number;
  /** Whether the store found the inode clean or dirty. */
  inode: "clean" | "dirty";
  /** CLOCK_MONOTONIC seconds just before the store. */
  t0: number;
  /** Last poll that saw PG_dirty set. */
  lastDirty: number;
  /** Polls of this page. */
  polls: number;
}
/** detector.c's `start` record: its settings as it read them. */
export interface DetectorStart {
  /** Always `start`. */
  type: "start";
  /** Always `detector`. */
  probe: "detector";
  /** The CPU the probe bound itself to (the lru_add batch is per CPU). */
  cpu: number;
  /** Smallest k of plain references tried. */
  klo: number;
  /** Largest k tried. */
  khi: number;
  /** Trials per k and LRU state. */
  reps: number;
  /** k for the trials without MMF_HAS_PINNED. */
  nopinK: number;
  /** k for the PMD THP trial. */
  thpK: number;
}
/** detector.c's `fork` record: one fork of a page holding k plain references, and whether the child got a copy. */
export interface ForkTrial {
  /** Always `fork`. */
  type: "fork";
  /** The trial: before MMF_HAS_PINNED was set, order-0 page, PMD THP, or a real io_uring pin at k = 0. */
  kind: "no-pinned-flag" | "order0" | "thp" | "io-uring-pin";
  /** Plain references taken (vmsplice of one-byte iovecs: iov_iter_get_pages2, no pin). */
  k: number;
  /** 1 if the probe tried to drain the lru_add batch first (the intent; `lru` is what happened). */
  drain: 0 | 1;
  /** KPF_LRU just before fork: 1 on the LRU, 0 still in the per-CPU lru_add batch. */
  lru: 0 | 1;
  /** KPF_THP: the page is part of a transparent huge page. */
  thp: 0 | 1;
  /** 1 if the trial registered the page as an io_uring fixed buffer (a FOLL_PIN). */
  ioUringPin: 0 | 1;
  /** errno of that registration, 0 if it succeeded or was not tried. */
  pinErrno: number;
  /** The parent's PFN. */
  pfn: number;
  /** The child's PFN for the same address, read without touching the page. */
  childPfn: number;
  /** Whether fork copied the page (the child's PFN differs). */
  copied: boolean;
}
/** detector.c's `pinned` record: MMF_HAS_PINNED set on the probe by one FOLL_PIN. */
export interface DetectorPinned {
  /** Always `pinned`. */
  type: "pinned";
  /** How the pin was taken ("O_DIRECT pread"). */
  how: string;
  /** Bytes the pread returned. */
  bytes: number;
}
/** detector.c's `skip` record: a trial that could not be run. */
export interface DetectorSkip {
  /** Always `skip`. */
  type: "skip";
  /** The trial kind skipped (`thp`). */
  kind: string;
  /** Why (e.g. no THP given). */
  reason: string;
}
/** longterm.c's `start` record. */
export interface LongtermStart {
  /** Always `start`. */
  type: "start";
  /** Always `longterm`. */
  probe: "longterm";
  /** statfs f_type of the folder it ran in, hex. */
  fsMagic: string;
}
/** longterm.c's `register` record: io_uring REGISTER_BUFFERS over one mapping kind, untouched or touched first. */
export interface RegisterResult {
  /** Always `register`. */
  type: "register";
  /** The mapping kind (MAPPING_KINDS). */
  mapping: string;
  /** Whether every page was touched (written, or read if read-only) before registering. */
  touched: boolean;
  /** io_uring_register's result: 0, or -errno. */
  ret: number;
  /** -ret when it failed, else 0. */
  errno: number;
  /** EFAULT, EPERM, ENOMEM, EOPNOTSUPP, "other", or "" on success. */
  errnoName: string;
  /** errno of io_uring_setup (io_uring disabled), else 0. */
  setupErrno: number;
}
/** longterm.c's `odirect` record: an O_DIRECT read of 4 KiB into one page of a clean shared file mapping. */
export interface OdirectResult {
  /** Always `odirect`. */
  type: "odirect";
  /** Page index in the mapping. */
  page: number;
  /** Whether the page was read-faulted (mapped clean) before the read; every other page is. */
  mappedBefore: boolean;
  /** Bytes pread returned (4096 on success, -1 on failure). */
  bytes: number;
  /** pread's errno, 0 on success. */
  errno: number;
  /** Whether the page holds the bytes read. */
  dataCorrect: boolean;
  /** PG_dirty before the read; -1 when the page was not mapped before. */
  dirtyBefore: -1 | 0 | 1;
  /** PG_dirty after the read. */
  dirtyAfter: 0 | 1;
  /** PG_private (buffers attached) after the read. */
  privateAfter: 0 | 1;
  /** PG_writeback after the read. */
  writebackAfter: 0 | 1;
}
/** longterm.c's `pins` record: /proc/vmstat's pin counters around its O_DIRECT reads. */
export interface PinsResult {
  /** Always `pins`. */
  type: "pins";
  /** O_DIRECT reads made. */
  preads: number;
  /** Change of nr_foll_pin_acquired (every process's pins, so at least `preads`). */
  acquiredDelta: number;
  /** Change of nr_foll_pin_released. */
  releasedDelta: number;
  /** Seconds waited before each reading (the counters fold per-CPU deltas lazily). */
  settle: number;
}

/** Everything calibrate/clean-delay.c printed, by record type. */
export interface CleanDelayRaw {
  /** Its settings. */
  start: CleanStart;
  /** One per trial: the PFNs and page flags of its pages once prepared, and whether they were clean. */
  prepared: CleanPrepared[];
  /** One per page that was seen clean. */
  samples: CleanSample[];
  /** One per page still dirty at the probe's timeout. */
  timeouts: CleanTimeout[];
  /** true unless the probe printed its `end` record with `interrupted: false`. */
  interrupted: boolean;
}
/** Everything calibrate/detector.c printed, by record type. */
export interface DetectorRaw {
  /** Its settings (the CPU it ran on, the k range, repetitions). */
  start: DetectorStart;
  /** One per fork. */
  forks: ForkTrial[];
  /** How the probe set MMF_HAS_PINNED on itself (one O_DIRECT pread) and the bytes read; null when it stopped before. */
  pinned: DetectorPinned | null;
  /** Trials skipped (e.g. no PMD THP to be had), with the reason. */
  skips: DetectorSkip[];
  /** true unless the probe printed its `end` record with `interrupted: false`. */
  interrupted: boolean;
}
/** Everything calibrate/longterm.c printed, by record type. */
export interface LongtermRaw {
  /** Its settings: the statfs magic of the folder it ran in. */
  start: LongtermStart;
  /** One per (mapping kind, untouched/touched). */
  registers: RegisterResult[];
  /** One per O_DIRECT read. */
  odirect: OdirectResult[];
  /** The pin counters' deltas; null when the probe stopped before printing them. */
  pins: PinsResult | null;
  /** true unless the probe printed its `end` record with `interrupted: false`. */
  interrupted: boolean;
}
