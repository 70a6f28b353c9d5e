/*
 * wake-latency-async, C reference: how long the kernel takes to carry "an eventfd became ready in
 * another thread" to a waiting thread, through the same hops as bunix's waitAsync.
 *
 *   hops=2 (the floor waitAsync is held to): a producer thread sleeps a random 300-800 us, takes
 *     CLOCK_MONOTONIC and writes an eventfd registered in an inner epoll; a helper thread blocked
 *     in epoll_wait on an outer epoll (inner registered EPOLLIN|EPOLLONESHOT, as readiness-thread
 *     does) wakes and wakes the consumer through a futex; the consumer takes the clock, polls the
 *     inner epoll with epoll_wait(0), reads the eventfd, re-arms the outer registration
 *     (EPOLL_CTL_MOD) and lets the producer go on.
 *   hops=1: the consumer itself blocks in epoll_wait on the inner epoll (one wake-up).
 *   hops=1 nested=1 (the floor of waitAsync's default design, Bun's event loop watching the
 *     instance): the consumer blocks in epoll_wait on the outer epoll, then polls the inner one
 *     with epoll_wait(0), reads the eventfd and re-arms the outer registration. One wake-up.
 *
 * Arguments: hops=1|2 [nested=0|1] count=N warmup=N seed=N. Prints
 *   result hops=.. samples=.. p50_ns=.. p90_ns=.. p99_ns=.. cpus=..
 */
#include "bench.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

static int efd, inner, outer;
static long total;
static _Atomic uint64_t stamp;       /* the producer's CLOCK_MONOTONIC at the write */
static _Atomic uint32_t acked;       /* samples the consumer has finished */
static _Atomic uint32_t ready_seq;   /* bumped by the helper for each report (futex word) */
static unsigned int seed;

static void futex_wait(_Atomic uint32_t *word, uint32_t value) {
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word) {
  syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *producer(void *unused) {
  (void)unused;
  for (long i = 0; i < total; i++) {
    long us = 300 + (long)(rand_r(&seed) % 501);
    struct timespec pause = {0, us * 1000};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
    atomic_store(&stamp, wall_ns());
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) != sizeof one) die_errno("write");
    /* One sample in flight: wait until the consumer has taken this one. */
    uint32_t done;
    while ((done = atomic_load(&acked)) != (uint32_t)(i + 1)) futex_wait(&acked, done);
  }
  return NULL;
}

static void *helper(void *unused) {
  (void)unused;
  struct epoll_event ev;
  for (;;) {
    int n = epoll_wait(outer, &ev, 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1) die_errno("epoll_wait outer");
    atomic_fetch_add(&ready_seq, 1);
    futex_wake(&ready_seq);
  }
  return NULL;
}

int main(int argc, char **argv) {
  const long hops = arg_long(argc, argv, "hops", 2);
  const long nested = arg_long(argc, argv, "nested", 0);
  const long count = arg_long(argc, argv, "count", 1500);
  const long warmup = arg_long(argc, argv, "warmup", 100);
  seed = (unsigned int)arg_long(argc, argv, "seed", 1);
  if (hops != 1 && hops != 2) die("hops must be 1 or 2");
  if (nested != 0 && (nested != 1 || hops != 1)) die("nested=1 goes with hops=1");
  /* Where the consumer takes its wake-up from, and whether it polls the inner epoll after it. */
  const int rearm = hops == 2 || nested;
  total = warmup + count;

  efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inner = epoll_create1(EPOLL_CLOEXEC);
  outer = epoll_create1(EPOLL_CLOEXEC);
  if (efd < 0 || inner < 0 || outer < 0) die_errno("setup");
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
  if (epoll_ctl(inner, EPOLL_CTL_ADD, efd, &ev) != 0) die_errno("epoll_ctl inner");
  struct epoll_event nesting = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 7};
  if (epoll_ctl(outer, EPOLL_CTL_ADD, inner, &nesting) != 0) die_errno("epoll_ctl outer");

  pthread_t threads[2];
  if (hops == 2 && pthread_create(&threads[1], NULL, helper, NULL) != 0) die("pthread_create");
  if (pthread_create(&threads[0], NULL, producer, NULL) != 0) die("pthread_create");

  double *latencies = malloc((size_t)count * sizeof *latencies);
  if (latencies == NULL) die_errno("malloc");
  struct epoll_event got[8];
  uint32_t seen = 0;
  for (long i = 0; i < total; i++) {
    int n;
    if (hops == 2) {
      uint32_t now_seq;
      while ((now_seq = atomic_load(&ready_seq)) == seen) futex_wait(&ready_seq, seen);
      seen = now_seq;
      n = epoll_wait(inner, got, 8, 0);
    } else if (nested) {
      do n = epoll_wait(outer, got, 8, -1);
      while (n < 0 && errno == EINTR);
      if (n != 1) die_errno("epoll_wait outer");
      n = epoll_wait(inner, got, 8, 0);
    } else {
      do n = epoll_wait(inner, got, 8, -1);
      while (n < 0 && errno == EINTR);
    }
    uint64_t arrived = wall_ns();
    if (n != 1 || got[0].data.u64 != 1) die("expected the eventfd");
    uint64_t value;
    if (read(efd, &value, sizeof value) != sizeof value) die_errno("read");
    if (rearm && epoll_ctl(outer, EPOLL_CTL_MOD, inner, &nesting) != 0) die_errno("epoll_ctl mod");
    if (i >= warmup) latencies[i - warmup] = (double)(arrived - atomic_load(&stamp));
    atomic_store(&acked, (uint32_t)(i + 1));
    futex_wake(&acked);
  }
  pthread_join(threads[0], NULL);
  double p50 = quantile(latencies, count, 0.5);
  double p90 = quantile(latencies, count, 0.9);
  double p99 = quantile(latencies, count, 0.99);
  printf("result hops=%ld nested=%ld samples=%ld p50_ns=%.0f p90_ns=%.0f p99_ns=%.0f cpus=%d\n", hops, nested, count, p50, p90, p99, allowed_cpus());
  return 0;
}
