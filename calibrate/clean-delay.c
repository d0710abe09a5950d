/*
 * Question V1/V16: when does the flusher first clean a page dirtied through a shared
 * mapping, in a clean inode (page 0) and in an already dirty inode (page 1, stored
 * `second` seconds later in the same file)?
 *
 * Method (calibration-notes.md, V1): each trial file is created with O_NOATIME, written
 * with 4 KiB pwrite()s, fsync()ed (the pages and the VFS inode clean), mmapped MAP_SHARED
 * and read-faulted; its PFNs come from /proc/self/pagemap and must read clean in
 * /proc/kpageflags. O_NOATIME keeps mmap()'s file_accessed() from re-dirtying the inode
 * with an old dirtied_when (relatime trap). t0 is taken just before a one-byte store
 * through the mapping (write fault, ->page_mkwrite, folio_mark_dirty, __mark_inode_dirty:
 * dirtied_when = now). Every `poll` ms the probe reads each waiting page's flags; a page
 * is done at the first poll where PG_dirty is clear (the flusher's
 * folio_clear_dirty_for_io) and again where PG_writeback is clear too.
 *
 * Usage: clean-delay DIR TRIALS STAGGER_S SECOND_S POLL_MS TIMEOUT_S [SETTLE_S]
 * SETTLE_S (default 0): seconds to wait after preparing the trials, before the first store.
 * A journalling filesystem (ext4 with a journal, xfs, btrfs) leaves the VFS inode dirty
 * across fsync() with dirtied_when = its creation (calibration-notes.md, "Metadata dirties
 * the inode too"); waiting E + W lets the flusher write that inode, so the store finds it
 * clean. The lab passes E + W + 5 s; the host run passes nothing (its ext4 had no journal).
 * Output (JSON lines): start, prepared (one per trial), clean (one per page), timeout,
 * end. Times are CLOCK_MONOTONIC seconds. Scratch files DIR/cd-*.dat are removed on exit,
 * SIGINT and SIGTERM.
 */
#include "common.h"
#include <sys/mman.h>
#include <sys/stat.h>

#define MAX_TRIALS 512
#define PAGES 2

struct page_state {
  int active;       /* waiting for its clean */
  double t0;        /* just before the store */
  double last_dirty;  /* last poll that saw PG_dirty set */
  double first_dirty_clear; /* first poll with PG_dirty clear (0 = not yet) */
  int writeback_seen;
  uint64_t pfn;
  int migrated;
  long polls;
  int dirty_after_store;
};

struct trial {
  char path[4096];
  int fd;
  char *map;
  double start; /* scheduled store time of page 0 */
  struct page_state pg[PAGES];
};

static struct trial trials[MAX_TRIALS];
static int ntrials;

static void cleanup(void) {
  for (int i = 0; i < ntrials; i++) {
    if (trials[i].map) munmap(trials[i].map, (size_t)PAGES * 4096);
    if (trials[i].fd > 0) close(trials[i].fd);
    if (trials[i].path[0]) unlink(trials[i].path);
  }
}

int main(int argc, char **argv) {
  if (argc != 7 && argc != 8) {
    fprintf(stderr, "usage: clean-delay DIR TRIALS STAGGER_S SECOND_S POLL_MS TIMEOUT_S [SETTLE_S]\n");
    return 2;
  }
  const char *dir = argv[1];
  ntrials = atoi(argv[2]);
  double stagger = atof(argv[3]), second = atof(argv[4]);
  double poll = atof(argv[5]) / 1000.0, timeout = atof(argv[6]);
  double settle = argc == 8 ? atof(argv[7]) : 0;
  if (ntrials < 1 || ntrials > MAX_TRIALS || poll <= 0) {
    fprintf(stderr, "clean-delay: TRIALS must be in 1..%d and POLL_MS > 0\n", MAX_TRIALS);
    return 2;
  }
  install_stop_handlers();
  atexit(cleanup);
  long psz = sysconf(_SC_PAGESIZE);
  if (psz != 4096) fatal("page size is not 4096", EINVAL);
  int pagemap = open_or_die("/proc/self/pagemap", O_RDONLY);
  int kpf = open_or_die("/proc/kpageflags", O_RDONLY);
  emit("{\"type\":\"start\",\"probe\":\"clean-delay\",\"trials\":%d,\"stagger\":%.3f,\"second\":%.3f,"
       "\"pollMs\":%.1f,\"timeout\":%.1f,\"pid\":%d}", ntrials, stagger, second, poll * 1000, timeout, (int)getpid());

  char buf[4096];
  memset(buf, 'a', sizeof buf);
  /* Prepare every trial first: create, write, fsync, map, read-fault, check clean. */
  for (int i = 0; i < ntrials && !stop_requested; i++) {
    struct trial *t = &trials[i];
    snprintf(t->path, sizeof t->path, "%s/cd-%d.dat", dir, i);
    t->fd = open(t->path, O_CREAT | O_EXCL | O_RDWR | O_NOATIME, 0600);
    if (t->fd < 0) { t->path[0] = 0; fatal("create trial file", errno); }
    for (int p = 0; p < PAGES; p++)
      if (pwrite(t->fd, buf, 4096, (off_t)p * 4096) != 4096) fatal("pwrite", errno);
    if (fsync(t->fd) != 0) fatal("fsync", errno);
    t->map = mmap(NULL, (size_t)PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
    if (t->map == MAP_FAILED) { t->map = NULL; fatal("mmap", errno); }
    volatile char sink = 0;
    int clean = 1;
    uint64_t fl[PAGES];
    for (int p = 0; p < PAGES; p++) {
      sink += t->map[(size_t)p * 4096]; /* read fault: maps the clean page read-only */
      t->pg[p].pfn = pfn_of(pagemap, t->map + (size_t)p * 4096);
      fl[p] = kflags_of(kpf, t->pg[p].pfn);
      if (!t->pg[p].pfn || bit(fl[p], KPF_DIRTY) || bit(fl[p], KPF_WRITEBACK)) clean = 0;
    }
    (void)sink;
    emit("{\"type\":\"prepared\",\"trial\":%d,\"pfn\":[%llu,%llu],\"flags\":[%llu,%llu],\"clean\":%s}", i,
         (unsigned long long)t->pg[0].pfn, (unsigned long long)t->pg[1].pfn,
         (unsigned long long)fl[0], (unsigned long long)fl[1], clean ? "true" : "false");
    if (!clean) fatal("trial page not clean after fsync (PFN 0 means no CAP_SYS_ADMIN)", EAGAIN);
  }
  if (settle > 0) {
    sleep_s(settle);
    emit("{\"type\":\"settled\",\"seconds\":%.3f}", settle);
  }
  double base = now_s() + 0.2;
  for (int i = 0; i < ntrials; i++) trials[i].start = base + i * stagger;

  int waiting = 0; /* pages stored and not yet clean */
  int pending = ntrials * (second > 0 ? PAGES : 1); /* pages not yet reported */
  long total_polls = 0;
  double next_poll = base;
  while (pending > 0 && !stop_requested) {
    double now = now_s();
    /* Stores due now. */
    for (int i = 0; i < ntrials; i++) {
      struct trial *t = &trials[i];
      for (int p = 0; p < (second > 0 ? PAGES : 1); p++) {
        struct page_state *s = &t->pg[p];
        double due = t->start + (p ? second : 0);
        if (s->t0 == 0 && now >= due) {
          s->t0 = now_s();
          t->map[(size_t)p * 4096] = 'b'; /* the store: write fault, page_mkwrite, dirty */
          uint64_t f = kflags_of(kpf, pfn_of(pagemap, t->map + (size_t)p * 4096));
          s->dirty_after_store = bit(f, KPF_DIRTY);
          s->last_dirty = s->t0;
          s->active = 1;
          waiting++;
        }
      }
    }
    /* One poll of every waiting page. */
    if (now >= next_poll) {
      total_polls++;
      double tp = now_s();
      for (int i = 0; i < ntrials; i++) {
        struct trial *t = &trials[i];
        for (int p = 0; p < PAGES; p++) {
          struct page_state *s = &t->pg[p];
          if (!s->active) continue;
          s->polls++;
          uint64_t pfn = pfn_of(pagemap, t->map + (size_t)p * 4096);
          if (pfn && pfn != s->pfn) { s->migrated++; s->pfn = pfn; }
          uint64_t f = kflags_of(kpf, s->pfn);
          int dirty = bit(f, KPF_DIRTY), wb = bit(f, KPF_WRITEBACK);
          if (wb) s->writeback_seen = 1;
          if (dirty) { s->last_dirty = tp; continue; }
          if (s->first_dirty_clear == 0) s->first_dirty_clear = tp;
          if (wb) continue;
          emit("{\"type\":\"clean\",\"trial\":%d,\"page\":%d,\"inode\":\"%s\",\"t0\":%.6f,\"lastDirty\":%.6f,"
               "\"firstDirtyClear\":%.6f,\"firstClean\":%.6f,\"writebackSeen\":%d,\"dirtyAfterStore\":%d,"
               "\"polls\":%ld,\"migrated\":%d,\"private\":%d}",
               i, p, p ? "dirty" : "clean", s->t0, s->last_dirty, s->first_dirty_clear, tp, s->writeback_seen,
               s->dirty_after_store, s->polls, s->migrated, bit(f, KPF_PRIVATE));
          s->active = 0;
          waiting--;
          pending--;
        }
      }
      for (int i = 0; i < ntrials; i++)
        for (int p = 0; p < PAGES; p++) {
          struct page_state *s = &trials[i].pg[p];
          if (s->active && tp - s->t0 > timeout) {
            emit("{\"type\":\"timeout\",\"trial\":%d,\"page\":%d,\"inode\":\"%s\",\"t0\":%.6f,\"lastDirty\":%.6f,\"polls\":%ld}",
                 i, p, p ? "dirty" : "clean", s->t0, s->last_dirty, s->polls);
            s->active = 0;
            waiting--;
            pending--;
          }
        }
      next_poll += poll;
      if (next_poll < now_s()) next_poll = now_s() + poll; /* fell behind (load): no burst of polls */
    }
    double sleep_to = next_poll;
    sleep_s(sleep_to - now_s());
  }
  emit("{\"type\":\"end\",\"probe\":\"clean-delay\",\"polls\":%ld,\"interrupted\":%s}", total_polls,
       stop_requested ? "true" : "false");
  return stop_requested ? 130 : 0;
}
