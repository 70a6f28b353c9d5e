/*
 * Shared helpers for the C reference programs of bench/: key=value arguments, a monotonic clock,
 * the batch sampler (the same method mitata uses on the Bun side), the idle thread that makes the
 * process multi-threaded, and the machine-readable result line the harness parses.
 *
 * Every program takes `mode=st` (one thread) or `mode=mt` (one extra thread blocked in pause()),
 * and `clock=cpu` or `clock=wall` (see timing_clock).
 * The second is the fair floor for Bun: Bun always runs several threads, and a multi-threaded
 * process pays more per system call (the kernel takes a reference on every fd lookup once the fd
 * table is shared, and glibc's cancellable wrappers switch on cancellation around every call).
 */
#ifndef BUNIX_BENCH_H
#define BUNIX_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Prints `what: strerror(errno)` and exits: every failing call in a reference program is fatal. */
static inline void die_errno(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(1);
}

static inline void die(const char *message) {
  fprintf(stderr, "%s\n", message);
  exit(1);
}

static inline uint64_t clock_ns(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) die_errno("clock_gettime");
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The clock that times batches: `clock=cpu` (the default) is this process's CPU time, which
 * leaves out the time other processes held the CPU (other users of a shared VM); `clock=wall` is
 * CLOCK_MONOTONIC. The Bun side reads the same clock for the same flag.
 */
static clockid_t timing_clock = CLOCK_PROCESS_CPUTIME_ID;
static const char *timing_clock_name = "cpu";

static inline uint64_t now_ns(void) {
  return clock_ns(timing_clock);
}

/* Wall-clock time, for latencies: a CPU-time read is a system call, too slow to bracket one round trip. */
static inline uint64_t wall_ns(void) {
  return clock_ns(CLOCK_MONOTONIC);
}

/* The value of argument `key=value`, or `fallback`. */
static inline const char *arg_str(int argc, char **argv, const char *key, const char *fallback) {
  size_t len = strlen(key);
  for (int i = 1; i < argc; i++)
    if (strncmp(argv[i], key, len) == 0 && argv[i][len] == '=') return argv[i] + len + 1;
  return fallback;
}

static inline long arg_long(int argc, char **argv, const char *key, long fallback) {
  const char *text = arg_str(argc, argv, key, NULL);
  if (text == NULL) return fallback;
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0') {
    fprintf(stderr, "bad value for %s: %s\n", key, text);
    exit(2);
  }
  return value;
}

static inline void *idle_thread(void *unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

/* Applies `mode`: "mt" starts the idle thread, "st" stays single-threaded. */
static inline void start_mode(const char *mode) {
  if (strcmp(mode, "st") == 0) return;
  if (strcmp(mode, "mt") != 0) die("mode must be st or mt");
  pthread_t thread;
  int rc = pthread_create(&thread, NULL, idle_thread, NULL);
  if (rc != 0) {
    errno = rc;
    die_errno("pthread_create");
  }
  pthread_detach(thread);
}

/* Applies the arguments every program takes, `mode=st|mt` and `clock=cpu|wall`; returns the mode. */
static inline const char *bench_setup(int argc, char **argv) {
  const char *clock = arg_str(argc, argv, "clock", "cpu");
  if (strcmp(clock, "wall") == 0) timing_clock = CLOCK_MONOTONIC;
  else if (strcmp(clock, "cpu") != 0) die("clock must be cpu or wall");
  timing_clock_name = clock;
  const char *mode = arg_str(argc, argv, "mode", "st");
  start_mode(mode);
  return mode;
}

/* How many CPUs this process may run on: 1 when the harness pinned it. */
static inline int allowed_cpus(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) die_errno("sched_getaffinity");
  return CPU_COUNT(&set);
}

/* Raises the soft descriptor limit to at least `needed` (wait-scaling opens 10 000 eventfds). */
static inline void raise_fd_limit(long needed) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) die_errno("getrlimit");
  if ((long)limit.rlim_cur >= needed) return;
  if (limit.rlim_max != RLIM_INFINITY && (long)limit.rlim_max < needed) die("RLIMIT_NOFILE hard limit too low");
  limit.rlim_cur = (rlim_t)needed;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) die_errno("setrlimit");
}

/*
 * Batch sampler, mirroring mitata's `measure`: each sample times `batch` iterations and records
 * the mean per iteration; sampling runs until at least `min_samples` samples and `min_ns` of
 * measured time; one warm-up batch is discarded; the result is the median sample.
 *
 *   struct sampler s = sampler_new(batch, min_ms);
 *   while (sampler_more(&s)) {
 *     uint64_t t0 = now_ns();
 *     for (long i = 0; i < s.batch; i++) { work }
 *     sampler_add(&s, now_ns() - t0);
 *   }
 *   double ns_per_iteration = sampler_median(&s);
 */
struct sampler {
  long batch;
  uint64_t min_ns;
  long min_samples;
  uint64_t spent;
  long warmups_left;
  long count;
  long capacity;
  double *samples;
};

static inline struct sampler sampler_new(long batch, long min_ms) {
  if (batch < 1) die("batch must be at least 1");
  struct sampler s = {
      .batch = batch, .min_ns = (uint64_t)min_ms * 1000000u, .min_samples = 12, .warmups_left = 1, .capacity = 1024};
  s.samples = malloc((size_t)s.capacity * sizeof *s.samples);
  if (s.samples == NULL) die_errno("malloc");
  return s;
}

static inline int sampler_more(const struct sampler *s) {
  return s->warmups_left > 0 || s->count < s->min_samples || s->spent < s->min_ns;
}

/* Records one sample's per-iteration value, and `spent_ns` towards the minimum measured time. */
static inline void sampler_record(struct sampler *s, double per_iteration, uint64_t spent_ns) {
  if (s->warmups_left > 0) {
    s->warmups_left--;
    return;
  }
  if (s->count == s->capacity) {
    s->capacity *= 2;
    s->samples = realloc(s->samples, (size_t)s->capacity * sizeof *s->samples);
    if (s->samples == NULL) die_errno("realloc");
  }
  s->samples[s->count++] = per_iteration;
  s->spent += spent_ns;
}

/* Records a batch that took `elapsed_ns`. */
static inline void sampler_add(struct sampler *s, uint64_t elapsed_ns) {
  sampler_record(s, (double)elapsed_ns / (double)s->batch, elapsed_ns);
}

static inline int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The `q` quantile (0..1) of `values`, nearest rank; sorts them in place. */
static inline double quantile(double *values, long count, double q) {
  qsort(values, (size_t)count, sizeof *values, compare_doubles);
  long index = (long)(q * (double)(count - 1) + 0.5);
  return values[index];
}

/* The median sample; frees the samples. */
static inline double sampler_median(struct sampler *s) {
  double median = quantile(s->samples, s->count, 0.5);
  free(s->samples);
  s->samples = NULL;
  return median;
}

#endif
