/*
 * Questions V9/V10: which long-term pins does this kernel refuse, and what does a short
 * FOLL_PIN (O_DIRECT) do to a clean shared file page?
 *
 * V9 (calibration-notes.md): for each mapping kind, a fresh 16 KiB mapping and a fresh
 * io_uring_setup(4), then IORING_REGISTER_BUFFERS of one iovec over it: io_uring pins
 * with FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM (io_uring/rsrc.c io_pin_pages ->
 * pin_user_pages_fast), which since 6.5 fails with -EFAULT on a VMA that needs dirty
 * tracking (mm/gup.c writable_file_mapping_allowed / check_vma_flags, commit 8ac268436e6d;
 * GUP-fast folio_fast_pin_allowed, a6e79df92e4a). Untouched, then again with every page
 * touched first (written, or read for a read-only mapping).
 *
 * V10: pread(O_DIRECT) of 4 KiB into a clean page of a MAP_SHARED file mapping (FOLL_PIN,
 * not LONGTERM: iov_iter_extract_pages), mapped (read-faulted) before or not: the bytes
 * read, whether the data arrived, the page's PG_dirty and PG_private afterwards; the
 * pins are counted by /proc/vmstat nr_foll_pin_acquired over a few seconds (the counters
 * are folded lazily from per-CPU deltas, so a delta read at once is 0).
 *
 * Usage: longterm DIR SETTLE_S
 * Output: JSON lines start (with the filesystem magic), register (one per mapping kind
 * and touch), odirect (one per page), pins, end. Scratch DIR/lt-*.dat, removed on exit.
 */
#include "common.h"
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/io_uring.h>

#define LEN (4 * 4096)
#define ODIRECT_PAGES 8

static char paths[4][4096];

static void cleanup(void) {
  for (int i = 0; i < 4; i++) if (paths[i][0]) unlink(paths[i]);
}

static int io_uring_setup(unsigned entries, struct io_uring_params *p) { return (int)syscall(__NR_io_uring_setup, entries, p); }
static int io_uring_register(int fd, unsigned op, void *arg, unsigned n) { return (int)syscall(__NR_io_uring_register, fd, op, arg, n); }

/* A file of n pages of byte c, written and fsynced (its pages clean). */
static int make_file(int slot, const char *dir, const char *name, int pages, char c) {
  snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
  int fd = open(paths[slot], O_CREAT | O_EXCL | O_RDWR | O_NOATIME, 0600);
  if (fd < 0) { paths[slot][0] = 0; fatal("create scratch file", errno); }
  char b[4096];
  memset(b, c, sizeof b);
  for (int i = 0; i < pages; i++)
    if (pwrite(fd, b, 4096, (off_t)i * 4096) != 4096) fatal("pwrite", errno);
  if (fsync(fd) != 0) fatal("fsync", errno);
  return fd;
}

/* Register one iovec over [a, a+LEN) on a fresh ring: 0 or -errno (setup failure: errno of setup, ring -1). */
static int try_register(void *a, int *setup_errno) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int ring = io_uring_setup(4, &p);
  if (ring < 0) { *setup_errno = errno; return -errno; }
  *setup_errno = 0;
  struct iovec v = {a, LEN};
  int r = io_uring_register(ring, IORING_REGISTER_BUFFERS, &v, 1) < 0 ? -errno : 0;
  close(ring); /* unregisters and unpins */
  return r;
}

static void one_kind(const char *kind, int fd, int prot, int flags, int touch) {
  char *a = mmap(NULL, LEN, prot, flags, fd, 0);
  if (a == MAP_FAILED) fatal("mmap", errno);
  volatile char sink = 0;
  if (touch)
    for (int i = 0; i < LEN; i += 4096) {
      if (prot & PROT_WRITE) a[i] = 'w';
      else sink += a[i];
    }
  (void)sink;
  int se = 0;
  int r = try_register(a, &se);
  emit("{\"type\":\"register\",\"mapping\":\"%s\",\"touched\":%s,\"ret\":%d,\"errno\":%d,\"errnoName\":\"%s\",\"setupErrno\":%d}",
       kind, touch ? "true" : "false", r, r < 0 ? -r : 0, r == 0 ? "" : r == -EFAULT ? "EFAULT" : r == -EPERM ? "EPERM" : r == -ENOMEM ? "ENOMEM" : r == -EOPNOTSUPP ? "EOPNOTSUPP" : "other", se);
  munmap(a, LEN);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: longterm DIR SETTLE_S\n");
    return 2;
  }
  const char *dir = argv[1];
  double settle = atof(argv[2]);
  install_stop_handlers();
  atexit(cleanup);
  int pagemap = open_or_die("/proc/self/pagemap", O_RDONLY);
  int kpf = open_or_die("/proc/kpageflags", O_RDONLY);
  struct statfs sf;
  if (statfs(dir, &sf) != 0) fatal("statfs", errno);
  emit("{\"type\":\"start\",\"probe\":\"longterm\",\"fsMagic\":\"0x%lx\"}", (unsigned long)sf.f_type);

  /* V9: io_uring fixed buffers over each mapping kind. */
  int ffd = make_file(0, dir, "lt-map.dat", LEN / 4096, 'f');
  int rofd = open(paths[0], O_RDONLY | O_NOATIME);
  if (rofd < 0) fatal("open read-only", errno);
  int mfd = (int)syscall(__NR_memfd_create, "pinsim-calibrate", 0);
  if (mfd < 0) fatal("memfd_create", errno);
  if (ftruncate(mfd, LEN) != 0) fatal("ftruncate memfd", errno);
  for (int touch = 0; touch <= 1 && !stop_requested; touch++) {
    one_kind("anon", -1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, touch);
    one_kind("file-shared", ffd, PROT_READ | PROT_WRITE, MAP_SHARED, touch);
    one_kind("file-private", ffd, PROT_READ | PROT_WRITE, MAP_PRIVATE, touch);
    one_kind("memfd-shared", mfd, PROT_READ | PROT_WRITE, MAP_SHARED, touch);
    one_kind("file-shared-ro", rofd, PROT_READ, MAP_SHARED, touch);
  }
  close(rofd);
  close(mfd);
  close(ffd);
  if (stop_requested) return 130;

  /* V10: O_DIRECT pread into clean pages of a shared file mapping. */
  int tfd = make_file(1, dir, "lt-target.dat", ODIRECT_PAGES, 't');
  int sfd = make_file(2, dir, "lt-source.dat", 1, 'D');
  close(sfd);
  int dfd = open(paths[2], O_RDONLY | O_DIRECT);
  if (dfd < 0) fatal("open O_DIRECT", errno);
  char *t = mmap(NULL, (size_t)ODIRECT_PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
  if (t == MAP_FAILED) fatal("mmap target", errno);
  sleep_s(settle);
  long long acq0 = vmstat("nr_foll_pin_acquired"), rel0 = vmstat("nr_foll_pin_released");
  for (int i = 0; i < ODIRECT_PAGES && !stop_requested; i++) {
    char *pg = t + (size_t)i * 4096;
    int mapped = i % 2 == 0;
    uint64_t before = ~0ULL;
    if (mapped) {
      volatile char c = pg[0]; /* read fault: mapped read-only, clean */
      (void)c;
      before = kflags_of(kpf, pfn_of(pagemap, pg));
    }
    ssize_t n = pread(dfd, pg, 4096, 0);
    int err = n < 0 ? errno : 0;
    int ok = n == 4096;
    for (int j = 0; ok && j < 4096; j++) if (pg[j] != 'D') ok = 0;
    uint64_t after = kflags_of(kpf, pfn_of(pagemap, pg));
    emit("{\"type\":\"odirect\",\"page\":%d,\"mappedBefore\":%s,\"bytes\":%zd,\"errno\":%d,\"dataCorrect\":%s,"
         "\"dirtyBefore\":%d,\"dirtyAfter\":%d,\"privateAfter\":%d,\"writebackAfter\":%d}",
         i, mapped ? "true" : "false", n, err, ok ? "true" : "false",
         mapped ? bit(before, KPF_DIRTY) : -1, bit(after, KPF_DIRTY), bit(after, KPF_PRIVATE), bit(after, KPF_WRITEBACK));
  }
  sleep_s(settle);
  long long acq1 = vmstat("nr_foll_pin_acquired"), rel1 = vmstat("nr_foll_pin_released");
  emit("{\"type\":\"pins\",\"preads\":%d,\"acquiredDelta\":%lld,\"releasedDelta\":%lld,\"settle\":%.1f}",
       ODIRECT_PAGES, acq1 - acq0, rel1 - rel0, settle);
  munmap(t, (size_t)ODIRECT_PAGES * 4096);
  close(dfd);
  close(tfd);
  emit("{\"type\":\"end\",\"probe\":\"longterm\",\"interrupted\":%s}", stop_requested ? "true" : "false");
  return stop_requested ? 130 : 0;
}
