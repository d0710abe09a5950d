/*
 * Does reclaim write dirty file pages on this kernel and filesystem? (The model's
 * reclaimWritesFile(kernel, backing), src/model/backings.ts; run by `pinsim calibrate
 * --kernel …` inside a lab guest, which is the probe's own machine: it creates cgroups and
 * the guest's script sets the sysctls around it.)
 *
 * Reclaim counts each folio it hands to ->writepage in /proc/vmstat nr_vmscan_write
 * (mm/vmscan.c pageout: NR_VMSCAN_WRITE). Two pressures, one per MODE:
 * - memcg: this process moves into a fresh memory cgroup whose memory.high is LIMIT_MIB and
 *   writes MIB of file data (dirty, never fsynced) with periodic writeback off: the
 *   cgroup's own (direct) reclaim meets the dirty pages. memory.high, not memory.max:
 *   Documentation/admin-guide/cgroup-v2.rst says a cgroup over memory.high is "throttled
 *   and put under heavy reclaim pressure" and that going over it "never invokes the OOM
 *   killer", while at memory.max reclaim that cannot free enough invokes the cgroup's OOM
 *   killer. With every page dirty or under writeback and the disk slow (a loaded TCG
 *   guest), cgroup v2 reclaim skips writeback folios without waiting for them, gives up
 *   after its retries and the OOM killer took the probe itself (6.12, ext4 and xfs). The
 *   reclaim is the same (mm/memcontrol.c reclaim_high -> try_to_free_mem_cgroup_pages);
 *   memory.max stays as a backstop at LIMIT_MIB + MIB + 64 MiB (the data, the limit's
 *   overshoot and the probe's own few pages), which the data never reaches. The cgroup's
 *   memory.events (high, max, oom, oom_kill) are reported, so a run shows that reclaim
 *   ran at the high limit and that no OOM kill happened.
 * - kswapd: the dirty file data is written outside any limit, then a child fills the
 *   machine's memory with anonymous pages (no swap in the guest) until kswapd must free
 *   file pages; the child holds them HOLD_S seconds, then exits.
 * Before and after: nr_vmscan_write, nr_vmscan_immediate_reclaim, pgsteal_kswapd,
 * pgsteal_direct, pgscan_kswapd, pgscan_direct, nr_dirty; in memcg mode also the cgroup's
 * memory.stat pgscan and pgsteal (mm/vmscan.c counts cgroup reclaim there only).
 *
 * Usage: reclaim DIR MODE MIB LIMIT_MIB HOLD_S
 * Output: start, reclaim (the deltas), end. Scratch DIR/rc-*.dat and the cgroup, removed.
 */
#include "common.h"
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char path[4096];
static char cg[256];

static const char *COUNTERS[] = {"nr_vmscan_write", "nr_vmscan_immediate_reclaim", "pgsteal_kswapd", "pgsteal_direct",
                                 "pgscan_kswapd",   "pgscan_direct",               "nr_dirty",       "nr_writeback"};
#define NC (int)(sizeof COUNTERS / sizeof COUNTERS[0])

static void cleanup(void) {
  if (path[0]) unlink(path);
  if (cg[0]) rmdir(cg);
}

static void put(const char *file, const char *text) {
  int fd = open(file, O_WRONLY);
  if (fd < 0) fatal(file, errno);
  if (write(fd, text, strlen(text)) < 0) fatal(file, errno);
  close(fd);
}

/* A fresh memory cgroup with memory.high = limit MiB (memory.max a backstop above the data); this process moves into it. */
static void enter_memcg(long limit_mib, long data_mib) {
  put("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
  snprintf(cg, sizeof cg, "/sys/fs/cgroup/pinsim-reclaim-%d", (int)getpid());
  if (mkdir(cg, 0755) != 0) { cg[0] = 0; fatal("mkdir cgroup", errno); }
  char f[320], v[64];
  snprintf(f, sizeof f, "%s/memory.max", cg);
  snprintf(v, sizeof v, "%ld", (limit_mib + data_mib + 64) << 20);
  put(f, v);
  snprintf(f, sizeof f, "%s/memory.high", cg);
  snprintf(v, sizeof v, "%ld", limit_mib << 20);
  put(f, v);
  snprintf(f, sizeof f, "%s/cgroup.procs", cg);
  snprintf(v, sizeof v, "%d", (int)getpid());
  put(f, v);
}

/* One key of the cgroup's FILE (memory.stat, memory.events), or -1 (memcg reclaim counts there, not in /proc/vmstat's pgscan/pgsteal). */
static long long memcg_key(const char *file, const char *name) {
  char f[320], k[128];
  long long v, out = -1;
  snprintf(f, sizeof f, "%s/%s", cg, file);
  FILE *fp = fopen(f, "r");
  while (fp && fscanf(fp, "%127s %lld", k, &v) == 2)
    if (strcmp(k, name) == 0) { out = v; break; }
  if (fp) fclose(fp);
  return out;
}

/* Leave the cgroup (back to the root) so it can be removed. */
static void leave_memcg(void) {
  char v[32];
  snprintf(v, sizeof v, "%d", (int)getpid());
  put("/sys/fs/cgroup/cgroup.procs", v);
}

static void write_dirty(const char *dir, long mib) {
  snprintf(path, sizeof path, "%s/rc-%d.dat", dir, (int)getpid());
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_NOATIME, 0600);
  if (fd < 0) { path[0] = 0; fatal("create scratch file", errno); }
  static char b[1 << 16];
  memset(b, 'r', sizeof b);
  for (long off = 0; off < (mib << 20) && !stop_requested; off += sizeof b)
    if (pwrite(fd, b, sizeof b, off) != (ssize_t)sizeof b) fatal("pwrite", errno);
  close(fd);
}

/* MemAvailable-style size: MemFree + the file LRU, MiB, from /proc/meminfo's MemAvailable. */
static long mem_available_mib(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  char k[64];
  long v = 0, out = 0;
  char unit[16];
  while (f && fscanf(f, "%63s %ld %15s", k, &v, unit) >= 2)
    if (strcmp(k, "MemAvailable:") == 0) out = v / 1024;
  if (f) fclose(f);
  return out;
}

/* A child touches anonymous memory up to what is available minus a margin, holds it, exits. */
static void anon_pressure(double hold) {
  pid_t c = fork();
  if (c < 0) fatal("fork", errno);
  if (c == 0) {
    put("/proc/self/oom_score_adj", "1000");
    long want = mem_available_mib() - 48;
    for (long i = 0; i < want; i += 4) {
      char *p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) break;
      for (long o = 0; o < (4 << 20); o += 4096) p[o] = 1;
    }
    sleep_s(hold);
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: reclaim DIR MODE MIB LIMIT_MIB HOLD_S\n");
    return 2;
  }
  install_stop_handlers();
  atexit(cleanup);
  const char *dir = argv[1], *mode = argv[2];
  long mib = atol(argv[3]), limit = atol(argv[4]);
  double hold = atof(argv[5]);
  int memcg = strcmp(mode, "memcg") == 0;
  emit("{\"type\":\"start\",\"probe\":\"reclaim\",\"mode\":\"%s\",\"mib\":%ld,\"limitMib\":%ld,\"hold\":%g,\"pid\":%d}", mode,
       mib, limit, hold, (int)getpid());
  long long before[NC], after[NC];
  for (int i = 0; i < NC; i++) before[i] = vmstat(COUNTERS[i]);
  if (memcg) enter_memcg(limit, mib);
  write_dirty(dir, mib);
  long long dirty_peak = vmstat("nr_dirty");
  long long cg_scan = -1, cg_steal = -1, ev_high = -1, ev_max = -1, ev_oom = -1, ev_kill = -1;
  if (memcg) {
    cg_scan = memcg_key("memory.stat", "pgscan");
    cg_steal = memcg_key("memory.stat", "pgsteal");
    ev_high = memcg_key("memory.events", "high");
    ev_max = memcg_key("memory.events", "max");
    ev_oom = memcg_key("memory.events", "oom");
    ev_kill = memcg_key("memory.events", "oom_kill");
    leave_memcg();
  } else
    anon_pressure(hold);
  sleep_s(1.5); /* vmstat's per-CPU deltas fold about once a second (vmstat_update) */
  for (int i = 0; i < NC; i++) after[i] = vmstat(COUNTERS[i]);
  printf("{\"type\":\"reclaim\",\"mode\":\"%s\",\"dirtyAfterWrite\":%lld,\"memcgPgscan\":%lld,\"memcgPgsteal\":%lld", mode,
         dirty_peak, cg_scan, cg_steal);
  printf(",\"memcgEvents\":{\"high\":%lld,\"max\":%lld,\"oom\":%lld,\"oom_kill\":%lld}", ev_high, ev_max, ev_oom, ev_kill);
  for (int i = 0; i < NC; i++) printf(",\"%s\":[%lld,%lld]", COUNTERS[i], before[i], after[i]);
  emit("}");
  emit("{\"type\":\"end\",\"probe\":\"reclaim\",\"interrupted\":%s}", stop_requested ? "true" : "false");
  return 0;
}
