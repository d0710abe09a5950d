/*
 * Question V5: the pin detector's threshold. From how many plain (FOLL_GET) references
 * does fork() copy an order-0 anonymous page, i.e. folio_maybe_dma_pinned() say yes?
 *
 * Method (calibration-notes.md, V5): an anonymous order-0 page (MADV_NOHUGEPAGE) gets k
 * references from vmsplice() of k one-byte iovecs into pipes enlarged to 1 MiB (256
 * buffers each); vmsplice takes references (iov_iter_get_pages2), never pins. Then fork():
 * copy_present_pte takes the child's reference (folio_get) and asks
 * folio_try_dup_anon_rmap_pte -> folio_needs_cow_for_dma = MMF_HAS_PINNED &&
 * folio_maybe_dma_pinned (mm/memory.c, include/linux/mm.h; 5.9+/5.12+). The child reads
 * its own pagemap without touching the page: another PFN than the parent's means fork
 * copied it. The process is bound to one CPU; "drained" touches 64 fresh pages first so
 * the per-CPU lru_add batch (which holds one reference) puts the page on the LRU; the
 * LRU bit read from kpageflags just before fork says which case each trial really was.
 *
 * Order: trials without MMF_HAS_PINNED first (this process has never pinned), then one
 * O_DIRECT pread (FOLL_PIN) sets MMF_HAS_PINNED, then the scan, a PMD THP, and a real
 * io_uring pin at k = 0.
 *
 * Usage: detector DIR KLO KHI REPS NOPIN_K THP_K
 * Output: JSON lines start, fork (one per trial), pinned (MMF_HAS_PINNED set), skip, end.
 * Scratch: DIR/det-odirect.dat, removed on exit, SIGINT and SIGTERM.
 */
#include "common.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#define PIPE_BUFS 256
#define MAX_PIPES 64

static char scratch[4096];
static int pagemap, kpf;

static void cleanup(void) { if (scratch[0]) unlink(scratch); }

struct refs { int n; int fds[MAX_PIPES][2]; };

/* Pipes for k references (256 one-byte buffers each), made before the page is faulted. */
static void refs_open(struct refs *r, int k) {
  r->n = (k + PIPE_BUFS - 1) / PIPE_BUFS;
  if (r->n > MAX_PIPES) fatal("too many references asked", E2BIG);
  for (int i = 0; i < r->n; i++) {
    if (pipe2(r->fds[i], O_NONBLOCK) != 0) fatal("pipe2", errno);
    if (fcntl(r->fds[i][1], F_SETPIPE_SZ, PIPE_BUFS * 4096) < 0) fatal("F_SETPIPE_SZ", errno);
  }
}

/* vmsplice k one-byte iovecs of [addr, addr+span) into the pipes: k page references. */
static void refs_take(struct refs *r, char *addr, size_t span, int k) {
  static struct iovec iov[PIPE_BUFS];
  int done = 0;
  for (int i = 0; i < r->n && done < k; i++) {
    int want = k - done < PIPE_BUFS ? k - done : PIPE_BUFS;
    for (int j = 0; j < want; j++) { iov[j].iov_base = addr + ((size_t)(done + j) * 64) % span; iov[j].iov_len = 1; }
    int got = 0;
    while (got < want) {
      ssize_t n = vmsplice(r->fds[i][1], iov + got, (unsigned long)(want - got), SPLICE_F_NONBLOCK);
      if (n <= 0) fatal("vmsplice", n < 0 ? errno : EAGAIN);
      got += (int)n; /* one byte per iovec */
    }
    done += want;
  }
}

static void refs_close(struct refs *r) {
  for (int i = 0; i < r->n; i++) { close(r->fds[i][0]); close(r->fds[i][1]); }
  r->n = 0;
}

/* fork(); the child reports the PFN behind addr in its own pagemap, without touching it. */
static uint64_t child_pfn(const void *addr) {
  int p[2];
  if (pipe(p) != 0) fatal("pipe", errno);
  pid_t pid = fork();
  if (pid < 0) fatal("fork", errno);
  if (pid == 0) {
    /* Open pagemap afresh: the inherited descriptor is the parent's /proc/PID/pagemap. */
    int own = open("/proc/self/pagemap", O_RDONLY);
    uint64_t v = own < 0 ? 0 : pfn_of(own, addr);
    if (write(p[1], &v, 8) != 8) _exit(1);
    _exit(0);
  }
  close(p[1]);
  uint64_t v = 0;
  if (read(p[0], &v, 8) != 8) v = 0;
  close(p[0]);
  waitpid(pid, NULL, 0);
  return v;
}

static int io_uring_setup(unsigned entries, struct io_uring_params *p) { return (int)syscall(__NR_io_uring_setup, entries, p); }
static int io_uring_register(int fd, unsigned op, void *arg, unsigned n) { return (int)syscall(__NR_io_uring_register, fd, op, arg, n); }

/* One trial on an order-0 anonymous page; kind names the case in the output. */
static void order0_trial(const char *kind, int k, int drain, int pin) {
  struct refs r;
  refs_open(&r, k);
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) fatal("mmap anon", errno);
  madvise(page, 4096, MADV_NOHUGEPAGE);
  page[0] = 1; /* write fault: a fresh exclusive anon page, put in this CPU's lru_add batch */
  if (drain) {
    char *fresh = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED) fatal("mmap drain", errno);
    madvise(fresh, 64 * 4096, MADV_NOHUGEPAGE);
    for (int i = 0; i < 64; i++) fresh[(size_t)i * 4096] = 1; /* fills the batch (31): drained */
    munmap(fresh, 64 * 4096);
  }
  int ring = -1, pinret = 0;
  if (pin) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    ring = io_uring_setup(4, &p);
    if (ring < 0) pinret = -errno;
    else {
      struct iovec v = {page, 4096};
      pinret = io_uring_register(ring, IORING_REGISTER_BUFFERS, &v, 1) < 0 ? -errno : 0;
    }
  }
  refs_take(&r, page, 4096, k);
  uint64_t pfn = pfn_of(pagemap, page);
  uint64_t fl = kflags_of(kpf, pfn);
  uint64_t cpfn = child_pfn(page);
  emit("{\"type\":\"fork\",\"kind\":\"%s\",\"k\":%d,\"drain\":%d,\"lru\":%d,\"thp\":%d,\"ioUringPin\":%d,"
       "\"pinErrno\":%d,\"pfn\":%llu,\"childPfn\":%llu,\"copied\":%s}",
       kind, k, drain, bit(fl, KPF_LRU), bit(fl, KPF_THP), pin, pinret < 0 ? -pinret : 0,
       (unsigned long long)pfn, (unsigned long long)cpfn, cpfn && cpfn != pfn ? "true" : "false");
  if (ring >= 0) close(ring);
  refs_close(&r);
  munmap(page, 4096);
}

/* A PMD THP where one can be had (THP "madvise" or "always"). */
static void thp_trial(int k) {
  size_t huge = 2u << 20;
  char *raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) fatal("mmap thp", errno);
  char *a = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
  madvise(a, huge, MADV_HUGEPAGE);
  struct refs r;
  refs_open(&r, k);
  a[0] = 1;
  uint64_t pfn = pfn_of(pagemap, a);
  uint64_t fl = kflags_of(kpf, pfn);
  if (!bit(fl, KPF_THP)) {
    emit("{\"type\":\"skip\",\"kind\":\"thp\",\"reason\":\"no THP given (transparent_hugepage setting or memory)\"}");
  } else {
    refs_take(&r, a, huge, k);
    uint64_t cpfn = child_pfn(a);
    emit("{\"type\":\"fork\",\"kind\":\"thp\",\"k\":%d,\"drain\":1,\"lru\":%d,\"thp\":1,\"ioUringPin\":0,\"pinErrno\":0,"
         "\"pfn\":%llu,\"childPfn\":%llu,\"copied\":%s}", k, bit(fl, KPF_LRU),
         (unsigned long long)pfn, (unsigned long long)cpfn, cpfn && cpfn != pfn ? "true" : "false");
  }
  refs_close(&r);
  munmap(raw, 2 * huge);
}

/* One FOLL_PIN (O_DIRECT read into an anonymous buffer): sets MMF_HAS_PINNED for good. */
static void set_has_pinned(const char *dir) {
  snprintf(scratch, sizeof scratch, "%s/det-odirect.dat", dir);
  int fd = open(scratch, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (fd < 0) { scratch[0] = 0; fatal("create O_DIRECT file", errno); }
  char b[4096];
  memset(b, 'p', sizeof b);
  if (pwrite(fd, b, 4096, 0) != 4096 || fsync(fd) != 0) fatal("write O_DIRECT file", errno);
  close(fd);
  fd = open(scratch, O_RDONLY | O_DIRECT);
  if (fd < 0) fatal("open O_DIRECT", errno);
  char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) fatal("mmap", errno);
  ssize_t n = pread(fd, buf, 4096, 0);
  if (n != 4096) fatal("pread O_DIRECT", n < 0 ? errno : EIO);
  close(fd);
  munmap(buf, 4096);
  emit("{\"type\":\"pinned\",\"how\":\"O_DIRECT pread\",\"bytes\":%zd}", n);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: detector DIR KLO KHI REPS NOPIN_K THP_K\n");
    return 2;
  }
  const char *dir = argv[1];
  int klo = atoi(argv[2]), khi = atoi(argv[3]), reps = atoi(argv[4]), nopin = atoi(argv[5]), thpk = atoi(argv[6]);
  if (klo < 0 || khi < klo || reps < 1 || khi > MAX_PIPES * PIPE_BUFS || nopin > MAX_PIPES * PIPE_BUFS || thpk > MAX_PIPES * PIPE_BUFS) {
    fprintf(stderr, "detector: need 0 <= KLO <= KHI <= %d, REPS >= 1\n", MAX_PIPES * PIPE_BUFS);
    return 2;
  }
  install_stop_handlers();
  atexit(cleanup);
  pagemap = open_or_die("/proc/self/pagemap", O_RDONLY);
  kpf = open_or_die("/proc/kpageflags", O_RDONLY);
  int cpu = sched_getcpu();
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) fatal("sched_setaffinity", errno);
  emit("{\"type\":\"start\",\"probe\":\"detector\",\"cpu\":%d,\"klo\":%d,\"khi\":%d,\"reps\":%d,\"nopinK\":%d,\"thpK\":%d}",
       cpu, klo, khi, reps, nopin, thpk);
  /* Without MMF_HAS_PINNED: fork never asks the detector. */
  for (int rep = 0; rep < reps && !stop_requested; rep++) order0_trial("no-pinned-flag", nopin, 1, 0);
  set_has_pinned(dir);
  for (int k = klo; k <= khi && !stop_requested; k++)
    for (int rep = 0; rep < reps && !stop_requested; rep++) {
      order0_trial("order0", k, 1, 0);
      order0_trial("order0", k, 0, 0);
    }
  if (!stop_requested) thp_trial(thpk);
  if (!stop_requested) order0_trial("io-uring-pin", 0, 1, 1);
  emit("{\"type\":\"end\",\"probe\":\"detector\",\"interrupted\":%s}", stop_requested ? "true" : "false");
  return stop_requested ? 130 : 0;
}
