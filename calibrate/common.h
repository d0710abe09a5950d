/*
 * Helpers shared by the calibration probes (one probe per question, one .c file each).
 * Every probe prints JSON lines on stdout; the driver (src/calibrate/) parses them.
 * Raw syscalls only; no liburing. Built at run time by `pinsim calibrate` with the system's cc.
 */
#ifndef PINSIM_CALIBRATE_COMMON_H
#define PINSIM_CALIBRATE_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_DIRTY 4
#define KPF_LRU 5
#define KPF_WRITEBACK 8
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22
#define KPF_PRIVATE 35 /* "kernel hacking" range (include/linux/kernel-page-flags.h): PG_private, buffer heads */

#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)

static volatile sig_atomic_t stop_requested;

static inline void on_stop(int sig) { (void)sig; stop_requested = 1; }

/*
 * SIGINT/SIGTERM set a flag; the probe's loop then cleans up its scratch files and exits.
 * And the probe dies with its parent: a `kill -9` of pinsim sends it SIGKILL
 * (prctl(2) PR_SET_PDEATHSIG) instead of leaving it re-parented to init, still running;
 * the next run removes the scratch folder it leaves. A parent gone before the prctl took
 * effect shows as a changed getppid(): exit at once.
 */
static inline void install_stop_handlers(void) {
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(3);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
}

/* CLOCK_MONOTONIC seconds (the flusher's jiffies tick on the same clock, modulo NTP slew). */
static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline void sleep_s(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !stop_requested) {}
}

/* One JSON line, flushed at once (the driver reads progress from it). */
static inline void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* A fatal error: one JSON line naming the step and errno, exit 3. */
static inline void fatal(const char *step, int err) {
  emit("{\"type\":\"error\",\"step\":\"%s\",\"errno\":%d,\"message\":\"%s\"}", step, err, strerror(err));
  exit(3);
}

static inline int open_or_die(const char *path, int flags) {
  int fd = open(path, flags);
  if (fd < 0) fatal(path, errno);
  return fd;
}

/* The PFN behind a virtual address of this process (0 if not present), from /proc/self/pagemap. */
static inline uint64_t pfn_of(int pagemap_fd, const void *addr) {
  uint64_t e = 0;
  off_t off = (off_t)((uintptr_t)addr / (uintptr_t)sysconf(_SC_PAGESIZE)) * 8;
  if (pread(pagemap_fd, &e, 8, off) != 8) return 0;
  if (!(e & PM_PRESENT)) return 0;
  return e & PM_PFN_MASK;
}

/* The kpageflags word of a PFN; all ones on error (so no flag test passes silently). */
static inline uint64_t kflags_of(int kpageflags_fd, uint64_t pfn) {
  uint64_t f = 0;
  if (pread(kpageflags_fd, &f, 8, (off_t)(pfn * 8)) != 8) return ~0ULL;
  return f;
}

static inline int bit(uint64_t w, int b) { return (int)((w >> b) & 1); }

/* A /proc/vmstat counter, or -1. */
static inline long long vmstat(const char *name) {
  FILE *f = fopen("/proc/vmstat", "r");
  if (!f) return -1;
  char key[128];
  long long v;
  long long out = -1;
  while (fscanf(f, "%127s %lld", key, &v) == 2)
    if (strcmp(key, name) == 0) { out = v; break; }
  fclose(f);
  return out;
}

#endif
