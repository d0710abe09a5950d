/*
 * Issue 20, probes 3 and 4: a shared file page held by an O_DIRECT read that a dm-delay
 * device keeps in flight. Runs only inside a lab guest (`pinsim calibrate --kernel …`),
 * which is the probe's own machine: it creates a device-mapper device and a memory cgroup.
 *
 * The read: pread(O_DIRECT) of 4 KiB from a dm-delay device (made here with the DM ioctls,
 * include/uapi/linux/dm-ioctl.h; table "delay RAW 0 DELAY_MS RAW 0 0": reads held DELAY_MS,
 * drivers/md/dm-delay.c) into the page of a MAP_SHARED mapping of a file on DIR. GUP takes
 * the page for write (block/bio.c bio_iov_iter_get_pages: FOLL_PIN where it goes through
 * iov_iter_extract_pages, FOLL_GET before) and the block layer's direct read marks it dirty
 * at completion (block/fops.c __blkdev_direct_IO_simple -> bio_release_pages(bio, true)).
 * The raw disk holds 0xA5 bytes (the read's data); the file starts as 0x11.
 *
 * guard (probe 3): in a fresh memory cgroup (the page is charged to it), the page is
 * read-faulted, the read started, the file fsync()ed (the page is clean again, its buffers
 * clean) and unmapped; then the cgroup's reclaim is asked for RECLAIM_MIB, ROUNDS times
 * (memory.reclaim), while the read is in flight. The page is nearly all the cgroup holds, so
 * reclaim deactivates it (mm/vmscan.c: an inactive list too small forces shrink_active_list)
 * and meets it in shrink_folio_list. Does the page keep PG_private (KPF_PRIVATE, bit 35)
 * and stay in the page cache (mm/vmscan.c shrink_folio_list: 'if (folio_maybe_dma_pinned
 * (folio)) goto activate_locked', d824ec2a1546, v6.4)?
 *
 * race (probe 4): the page is stored to (0x22) after the file was synced, the read started
 * at once, and the page's flags polled every POLL_MS until the read is done and
 * EXPIRE_S + 2 * WB_S + 1.5 s more have passed: each PG_dirty 1->0 (the flusher's
 * clear_page_dirty_for_io) with its time from the store and whether the read was still in
 * flight, PG_writeback rising edges, PG_dirty after the read's completion, the disk's write
 * counters (/sys/block/FSDEV/stat), then sync() and the file's block as read back with
 * O_DIRECT (the disk's content).
 *
 * Both: the pins held while the read is in flight (/proc/vmstat nr_foll_pin_acquired -
 * nr_foll_pin_released, the most seen over 100 ms polls while the read is in flight: the
 * counters are folded from per-CPU deltas about once a second, later on a loaded guest),
 * the pins the read took in all (Δ nr_foll_pin_acquired, read at least 1.5 s after it
 * completed, so folded: with pinsHeld 0 it tells a read that took no pin from counters
 * that had not folded while it was in flight) and the kernel's messages at warning level
 * or above logged meanwhile (/dev/kmsg).
 *
 * Usage: pinned DIR guard RAWDEV DELAY_MS RECLAIM_MIB ROUNDS
 *        pinned DIR race  RAWDEV DELAY_MS FSDEV EXPIRE_S WB_S
 * Output: one JSON line of type "guard" or "race" (or "error"). Scratch files, the cgroup
 * and the dm device are removed on exit.
 */
#include "common.h"
#include <linux/dm-ioctl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#define POLL_MS 5
#define PAGE 4096

static char victim[4096], cg[256], dmname[64], dmnode[128];
static int kpf = -1, pagemap = -1, settle_errno = 0;

static void dm_remove(void);
static void cleanup(void) {
  if (victim[0]) unlink(victim);
  if (dmnode[0]) unlink(dmnode);
  if (dmname[0]) dm_remove();
  if (cg[0]) {
    char v[32];
    int fd = open("/sys/fs/cgroup/cgroup.procs", O_WRONLY);
    snprintf(v, sizeof v, "%d", (int)getpid());
    if (fd >= 0) {
      if (write(fd, v, strlen(v)) < 0) {}
      close(fd);
    }
    rmdir(cg);
  }
}

static void put(const char *file, const char *text) {
  int fd = open(file, O_WRONLY);
  if (fd < 0) fatal(file, errno);
  if (write(fd, text, strlen(text)) < 0) fatal(file, errno);
  close(fd);
}

/* One DM ioctl on /dev/mapper/control with `extra` bytes after the header (a table). */
static int dm_ioctl(unsigned long cmd, const char *name, const void *extra, size_t n, struct dm_ioctl *out) {
  static char buf[16384];
  struct dm_ioctl *io = (struct dm_ioctl *)buf;
  memset(buf, 0, sizeof buf);
  io->version[0] = DM_VERSION_MAJOR;
  io->version[1] = 0;
  io->version[2] = 0;
  io->data_size = sizeof buf;
  io->data_start = sizeof *io;
  snprintf(io->name, sizeof io->name, "%s", name);
  if (extra) {
    memcpy(buf + sizeof *io, extra, n);
    io->target_count = 1;
  }
  int fd = open("/dev/mapper/control", O_RDWR);
  if (fd < 0) return -errno;
  int r = ioctl(fd, cmd, io);
  int e = errno;
  close(fd);
  if (r < 0) return -e;
  if (out) *out = *io;
  return 0;
}

static void dm_remove(void) { dm_ioctl(DM_DEV_REMOVE, dmname, NULL, 0, NULL); }

/* A dm-delay device over `raw` (2048 sectors), reads held delay_ms, writes not; its node under /tmp. */
static void dm_delay_create(const char *raw, long delay_ms) {
  struct dm_ioctl io;
  snprintf(dmname, sizeof dmname, "pinsim-%d", (int)getpid());
  int r = dm_ioctl(DM_DEV_CREATE, dmname, NULL, 0, &io);
  if (r < 0) {
    dmname[0] = 0;
    fatal("DM_DEV_CREATE", -r);
  }
  char spec[sizeof(struct dm_target_spec) + 256];
  memset(spec, 0, sizeof spec);
  struct dm_target_spec *t = (struct dm_target_spec *)spec;
  t->sector_start = 0;
  t->length = 2048;
  snprintf(t->target_type, sizeof t->target_type, "delay");
  char *params = spec + sizeof *t;
  snprintf(params, 200, "%s 0 %ld %s 0 0", raw, delay_ms, raw);
  t->next = 0;
  r = dm_ioctl(DM_TABLE_LOAD, dmname, spec, sizeof *t + strlen(params) + 1, NULL);
  if (r < 0) fatal("DM_TABLE_LOAD delay", -r);
  r = dm_ioctl(DM_DEV_SUSPEND, dmname, NULL, 0, &io); /* flags 0: resume, the table goes live */
  if (r < 0) fatal("DM_DEV_SUSPEND (resume)", -r);
  snprintf(dmnode, sizeof dmnode, "/tmp/%s", dmname);
  dev_t d = makedev((unsigned)((io.dev >> 8) & 0xfff), (unsigned)((io.dev & 0xff) | ((io.dev >> 12) & 0xfff00)));
  if (mknod(dmnode, S_IFBLK | 0600, d) != 0) fatal("mknod dm node", errno);
}

/* DIR/NAME.dat of 4 KiB of byte `c`, fsync()ed and the filesystem synced (its inode clean). */
static int make_victim(const char *dir, char c) {
  snprintf(victim, sizeof victim, "%s/pn-%d.dat", dir, (int)getpid());
  int fd = open(victim, O_CREAT | O_TRUNC | O_RDWR | O_NOATIME, 0600);
  if (fd < 0) {
    victim[0] = 0;
    fatal("create victim", errno);
  }
  static char b[PAGE];
  memset(b, c, sizeof b);
  if (pwrite(fd, b, sizeof b, 0) != PAGE) fatal("pwrite victim", errno);
  if (fsync(fd) != 0) fatal("fsync victim", errno);
  /* A writeback error of an earlier step (the sb's errseq) is reported once: record it, sync again. */
  if (syncfs(fd) != 0) {
    settle_errno = errno;
    if (syncfs(fd) != 0) fatal("syncfs (twice)", errno);
  }
  return fd;
}

struct reader {
  int fd;
  char *buf;
  volatile int done;
  ssize_t rc;
  int err;
  double t0, t1;
};

static void *read_thread(void *arg) {
  struct reader *r = arg;
  r->t0 = now_s();
  r->rc = pread(r->fd, r->buf, PAGE, 0);
  r->err = r->rc < 0 ? errno : 0;
  r->t1 = now_s();
  r->done = 1;
  return NULL;
}

static pthread_t start_read(struct reader *r, char *page) {
  r->fd = open(dmnode, O_RDONLY | O_DIRECT);
  if (r->fd < 0) fatal("open dm node O_DIRECT", errno);
  r->buf = page;
  r->done = 0;
  pthread_t th;
  if (pthread_create(&th, NULL, read_thread, r) != 0) fatal("pthread_create", errno);
  return th;
}

static long long pins_held(void) { return vmstat("nr_foll_pin_acquired") - vmstat("nr_foll_pin_released"); }

/* Kernel log records at warning level or above (KERN_WARNING and more urgent: "WARNING:", "BTRFS error"). */
static int kmsg_open(void) {
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
  if (fd >= 0) lseek(fd, 0, SEEK_END);
  return fd;
}
static int kmsg_warnings(int fd, char *first, size_t n) {
  if (fd < 0) return -1;
  char rec[2048];
  int count = 0;
  ssize_t k;
  while ((k = read(fd, rec, sizeof rec - 1)) > 0 || (k < 0 && errno == EPIPE)) {
    if (k <= 0) continue;
    rec[k] = 0;
    char *msg = strchr(rec, ';');
    int level = atoi(rec) & 7; /* "prio,seq,usec,flags;text": prio = facility * 8 + level */
    if (msg && level <= 4) {
      if (first && !first[0] && strncmp(msg + 1, "----", 4) != 0) { /* the first that is not a "cut here" rule */
        snprintf(first, n, "%s", msg + 1);
        for (char *p = first; *p; p++)
          if (*p == '"' || *p == '\\' || *p == '\n' || (unsigned char)*p < 32) *p = ' ';
      }
      count++;
    }
  }
  close(fd);
  return count;
}

static const char *flags_json(uint64_t f, char *out, size_t n) {
  if (f == ~0ULL) snprintf(out, n, "null");
  else
    snprintf(out, n, "{\"dirty\":%d,\"writeback\":%d,\"lru\":%d,\"active\":%d,\"private\":%d}", bit(f, KPF_DIRTY),
             bit(f, KPF_WRITEBACK), bit(f, KPF_LRU), bit(f, 6), bit(f, KPF_PRIVATE));
  return out;
}

static long long memcg_stat(const char *name) {
  char f[320], k[128];
  long long v, out = -1;
  snprintf(f, sizeof f, "%s/memory.stat", cg);
  FILE *fp = fopen(f, "r");
  while (fp && fscanf(fp, "%127s %lld", k, &v) == 2)
    if (strcmp(k, name) == 0) {
      out = v;
      break;
    }
  if (fp) fclose(fp);
  return out;
}

static void enter_memcg(void) {
  put("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
  snprintf(cg, sizeof cg, "/sys/fs/cgroup/pinsim-guard-%d", (int)getpid());
  if (mkdir(cg, 0755) != 0) {
    cg[0] = 0;
    fatal("mkdir cgroup", errno);
  }
  char f[320], v[64];
  snprintf(f, sizeof f, "%s/cgroup.procs", cg);
  snprintf(v, sizeof v, "%d", (int)getpid());
  put(f, v);
}

/* Ask the cgroup's reclaim for `mib` MiB `rounds` times (memory.reclaim, cgroup v2, 5.19: the cgroup's
 * own reclaim, as at its limit, without growing it); each write fails with EAGAIN when less was freed. */
static int reclaim_rounds(long mib, int rounds) {
  char f[320], v[32];
  snprintf(f, sizeof f, "%s/memory.reclaim", cg);
  snprintf(v, sizeof v, "%ldM", mib);
  int done = 0;
  for (int i = 0; i < rounds && !stop_requested; i++) {
    int fd = open(f, O_WRONLY);
    if (fd < 0) fatal("open memory.reclaim", errno);
    if (write(fd, v, strlen(v)) > 0) done++;
    close(fd);
  }
  return done;
}

/* Whether the victim's page is in the page cache (mincore over a fresh mapping, no fault). */
static int resident(int fd) {
  unsigned char v = 0;
  void *m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return -1;
  int r = mincore(m, PAGE, &v) == 0 ? (v & 1) : -1;
  munmap(m, PAGE);
  return r;
}

static int guard(const char *dir, long mib, int rounds) {
  enter_memcg(); /* the victim is charged to it: the cgroup's reclaim meets it */
  int fd = make_victim(dir, 0x11);
  char *pg = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (pg == MAP_FAILED) fatal("mmap victim", errno);
  volatile char c = pg[0]; /* read fault: mapped, clean */
  (void)c;
  uint64_t pfn = pfn_of(pagemap, pg);
  uint64_t f0 = kflags_of(kpf, pfn);
  int km = kmsg_open();
  long long p0 = pins_held(), a0 = vmstat("nr_foll_pin_acquired");
  struct reader r;
  pthread_t th = start_read(&r, pg);
  sleep_s(0.3);
  uint64_t f1 = kflags_of(kpf, pfn);
  if (fsync(fd) != 0) fatal("fsync victim (pinned)", errno);
  uint64_t f2 = kflags_of(kpf, pfn);
  munmap(pg, PAGE);
  /* The pin counters are folded from per-CPU deltas by vmstat_update (about once a second): the most seen in 2 s. */
  long long held = 0;
  for (int i = 0; i < 20 && !r.done; i++) {
    sleep_s(0.1);
    long long h = pins_held() - p0;
    if (h > held) held = h;
  }
  long long scan0 = memcg_stat("pgscan"), steal0 = memcg_stat("pgsteal");
  double tp = now_s();
  int ok = reclaim_rounds(mib, rounds);
  double tpe = now_s();
  int inflight = !r.done;
  uint64_t f3 = kflags_of(kpf, pfn);
  int res3 = resident(fd);
  long long scan = memcg_stat("pgscan") - scan0, steal = memcg_stat("pgsteal") - steal0;
  while (!r.done && !stop_requested) { /* the pin stays counted until the read completes: keep looking */
    long long h = pins_held() - p0;
    if (h > held) held = h;
    sleep_s(0.1);
  }
  pthread_join(th, NULL);
  sleep_s(0.2);
  uint64_t f4 = kflags_of(kpf, pfn);
  int res4 = resident(fd);
  sleep_s(1.3); /* 1.5 s after the read: its pin's acquire is folded into /proc/vmstat */
  long long acquired = vmstat("nr_foll_pin_acquired") - a0;
  char first[256] = "";
  int warns = kmsg_warnings(km, first, sizeof first);
  char a[160], b[160], cc[160], d[160], e[160];
  emit("{\"type\":\"guard\",\"pfn\":%llu,\"mapped\":%s,\"reading\":%s,\"fsynced\":%s,\"pressured\":%s,\"completed\":%s,"
       "\"pinsHeld\":%lld,\"pinsAcquired\":%lld,\"pressureInFlight\":%s,\"pressureSeconds\":%.3f,\"memcgPgscan\":%lld,\"memcgPgsteal\":%lld,"
       "\"residentPressured\":%d,\"residentCompleted\":%d,\"readRc\":%zd,\"readErrno\":%d,\"readSeconds\":%.3f,"
       "\"warnings\":%d,\"firstWarning\":\"%s\",\"reclaimMib\":%ld,\"rounds\":%d,\"roundsMet\":%d,\"settleErrno\":%d}",
       (unsigned long long)pfn, flags_json(f0, a, sizeof a), flags_json(f1, b, sizeof b), flags_json(f2, cc, sizeof cc),
       flags_json(f3, d, sizeof d), flags_json(f4, e, sizeof e), held, acquired, inflight ? "true" : "false", tpe - tp, scan,
       steal, res3, res4, r.rc, r.err, r.t1 - r.t0, warns, first, mib, rounds, ok, settle_errno);
  close(r.fd);
  close(fd);
  return 0;
}

/* Field `i` (0-based) of /sys/block/DEV/stat: 4 write I/Os, 6 sectors written. */
static long long disk_stat(const char *dev, int i) {
  char f[128];
  snprintf(f, sizeof f, "/sys/block/%s/stat", dev);
  FILE *fp = fopen(f, "r");
  long long v = -1;
  for (int k = 0; fp && k <= i; k++)
    if (fscanf(fp, "%lld", &v) != 1) v = -1;
  if (fp) fclose(fp);
  return v;
}

static int race(const char *dir, const char *fsdev, double E, double W) {
  int fd = make_victim(dir, 0x11);
  char *pg = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (pg == MAP_FAILED) fatal("mmap victim", errno);
  sleep_s(1.0);
  long long w0 = disk_stat(fsdev, 4), s0 = disk_stat(fsdev, 6);
  int km = kmsg_open();
  long long p0 = pins_held(), a0 = vmstat("nr_foll_pin_acquired");
  double ts = now_s();
  memset(pg, 0x22, PAGE); /* the store: a write fault, PG_dirty, the inode dirtied now */
  uint64_t pfn = pfn_of(pagemap, pg);
  struct reader r;
  pthread_t th = start_read(&r, pg);
  double clears[16];
  int inflight[16], nclear = 0, wbs = 0, prev_d = 1, prev_wb = 0;
  long long held = 0;
  double tdone = -1, tend = 1e30, tpin = ts + 1.0, tlast = 0;
  uint64_t fdone = ~0ULL;
  while (!stop_requested) {
    double t = now_s();
    uint64_t f = kflags_of(kpf, pfn);
    int dd = bit(f, KPF_DIRTY), wb = bit(f, KPF_WRITEBACK);
    if (prev_d && !dd && nclear < 16) {
      clears[nclear] = t - ts;
      inflight[nclear++] = !r.done;
    }
    if (wb && !prev_wb) wbs++;
    prev_d = dd;
    prev_wb = wb;
    if (t >= tpin && !r.done && t - tlast >= 0.1) { /* the most pins seen held while in flight, after 1 s */
      long long h = pins_held() - p0;
      if (h > held) held = h;
      tlast = t;
    }
    if (r.done && tdone < 0) {
      tdone = t;
      tend = t + E + 2 * W + 1.5;
    }
    if (tdone > 0 && fdone == ~0ULL && t >= tdone + 0.2) fdone = f;
    if (t >= tend) break;
    sleep_s(POLL_MS / 1000.0);
  }
  pthread_join(th, NULL);
  long long acquired = vmstat("nr_foll_pin_acquired") - a0; /* E + 2W + 1.5 s after the read: folded */
  unsigned char mem = (unsigned char)pg[0];
  long long w1 = disk_stat(fsdev, 4), s1 = disk_stat(fsdev, 6);
  munmap(pg, PAGE);
  sync();
  long long w2 = disk_stat(fsdev, 4), s2 = disk_stat(fsdev, 6);
  /* The disk's content: an O_DIRECT read. A writeback error is reported once (the mapping's
   * errseq, filemap_check_errors) by the flush before it; the second read then reads the disk. */
  int dfd = open(victim, O_RDONLY | O_DIRECT);
  if (dfd < 0) fatal("open victim O_DIRECT", errno);
  unsigned char *b = aligned_alloc(PAGE, PAGE);
  int derr = 0;
  if (pread(dfd, b, PAGE, 0) != PAGE) {
    derr = errno;
    if (pread(dfd, b, PAGE, 0) != PAGE) fatal("pread victim O_DIRECT (twice)", errno);
  }
  int uniform = 1;
  for (int i = 1; i < PAGE; i++) uniform &= b[i] == b[0];
  close(dfd);
  char first[256] = "";
  int warns = kmsg_warnings(km, first, sizeof first);
  char cl[512] = "[", fd_[160];
  for (int i = 0; i < nclear; i++)
    snprintf(cl + strlen(cl), sizeof cl - strlen(cl), "%s{\"t\":%.3f,\"inFlight\":%s}", i ? "," : "", clears[i],
             inflight[i] ? "true" : "false");
  strcat(cl, "]");
  emit("{\"type\":\"race\",\"readSeconds\":%.3f,\"readRc\":%zd,\"readErrno\":%d,\"pinsHeld\":%lld,\"pinsAcquired\":%lld,\"clears\":%s,"
       "\"writebackStarts\":%d,\"afterCompletion\":%s,\"memByte\":%u,\"diskByte\":%u,\"diskUniform\":%s,\"diskErrno\":%d,"
       "\"deviceWrites\":[%lld,%lld,%lld],\"sectorsWritten\":[%lld,%lld,%lld],\"warnings\":%d,\"firstWarning\":\"%s\","
       "\"expire\":%.2f,\"interval\":%.2f,\"pollMs\":%d,\"settleErrno\":%d}",
       r.t1 - r.t0, r.rc, r.err, held, acquired, cl, wbs, flags_json(fdone, fd_, sizeof fd_), mem, b[0],
       uniform ? "true" : "false", derr, w0, w1, w2, s0, s1, s2, warns, first, E, W, POLL_MS, settle_errno);
  close(r.fd);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5 || (strcmp(argv[2], "guard") == 0 && argc != 7) || (strcmp(argv[2], "race") == 0 && argc != 8)) {
    fprintf(stderr, "usage: pinned DIR guard RAWDEV DELAY_MS RECLAIM_MIB ROUNDS | pinned DIR race RAWDEV DELAY_MS FSDEV EXPIRE_S WB_S\n");
    return 2;
  }
  install_stop_handlers();
  atexit(cleanup);
  kpf = open_or_die("/proc/kpageflags", O_RDONLY);
  pagemap = open_or_die("/proc/self/pagemap", O_RDONLY);
  dm_delay_create(argv[3], atol(argv[4]));
  if (strcmp(argv[2], "guard") == 0) return guard(argv[1], atol(argv[5]), atol(argv[6]));
  if (strcmp(argv[2], "race") == 0) return race(argv[1], argv[5], atof(argv[6]), atof(argv[7]));
  fprintf(stderr, "unknown mode %s\n", argv[2]);
  return 2;
}
