/*
 * C reference for wake-latency: one thread blocked in epoll_wait(-1) on an epoll holding an
 * eventfd; another thread writes the eventfd. Latency is from just before the write(2) to just
 * after epoll_wait returns, both read with CLOCK_MONOTONIC, as the Bun side measures a Waker.wake()
 * from a Worker to a blocked Poller.wait().
 *
 *   wake-latency samples=1000 warmup=100 delay_us=1000
 *
 * Per sample: the waiting thread arms the waker (a futex word, as Atomics.notify does) and blocks;
 * the waker sleeps delay_us (so the waiter is surely blocked in the kernel), stamps the time and
 * writes 1; the waiter returns from epoll_wait, drains the eventfd (as Poller.wait does before it
 * returns) and reads the clock. Prints the p50 and p99 of the latencies in ns. Pinning comes from
 * the harness: both threads then share one CPU, as the Bun main thread and its Worker do.
 */
#include "bench.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

static _Atomic int armed = 0;   /* incremented by the waiter for each sample */
static _Atomic int quit = 0;
static _Atomic uint64_t stamp = 0; /* CLOCK_MONOTONIC ns just before the write */
static int efd = -1;
static long delay_us = 1000;

static void futex_wait(_Atomic int *word, int value) {
  syscall(SYS_futex, (int *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *word) {
  syscall(SYS_futex, (int *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *waker(void *unused) {
  (void)unused;
  int seen = 0;
  for (;;) {
    while (atomic_load(&armed) == seen) futex_wait(&armed, seen);
    seen = atomic_load(&armed);
    if (atomic_load(&quit)) return NULL;
    struct timespec pause = {.tv_sec = delay_us / 1000000, .tv_nsec = (delay_us % 1000000) * 1000};
    nanosleep(&pause, NULL);
    uint64_t one = 1;
    atomic_store(&stamp, wall_ns());
    if (write(efd, &one, sizeof one) != sizeof one) die_errno("write");
  }
}

int main(int argc, char **argv) {
  long samples = arg_long(argc, argv, "samples", 1000);
  long warmup = arg_long(argc, argv, "warmup", 100);
  delay_us = arg_long(argc, argv, "delay_us", 1000);
  if (samples < 1 || warmup < 0 || delay_us < 0) die("need samples >= 1, warmup >= 0, delay_us >= 0");

  efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) die_errno("eventfd");
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die_errno("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) != 0) die_errno("epoll_ctl");
  pthread_t thread;
  int rc = pthread_create(&thread, NULL, waker, NULL);
  if (rc != 0) {
    errno = rc;
    die_errno("pthread_create");
  }

  double *latency = malloc((size_t)samples * sizeof *latency);
  if (latency == NULL) die_errno("malloc");
  struct epoll_event out[8];
  for (long i = -warmup; i < samples; i++) {
    atomic_fetch_add(&armed, 1);
    futex_wake(&armed);
    int got;
    do got = epoll_wait(epfd, out, 8, -1);
    while (got < 0 && errno == EINTR);
    if (got != 1) die("expected the eventfd");
    /* Drained before the clock is read, as Poller.wait drains its waker before it returns. */
    uint64_t count;
    if (read(efd, &count, sizeof count) != sizeof count) die_errno("read");
    uint64_t now = wall_ns();
    if (i >= 0) latency[i] = (double)(now - atomic_load(&stamp));
  }
  atomic_store(&quit, 1);
  atomic_fetch_add(&armed, 1);
  futex_wake(&armed);
  pthread_join(thread, NULL);

  double p50 = quantile(latency, samples, 0.50);
  double p99 = quantile(latency, samples, 0.99);
  printf("result name=wake-latency cpus=%d samples=%ld p50_ns=%.0f p99_ns=%.0f\n", allowed_cpus(), samples, p50, p99);
  close(efd);
  close(epfd);
  free(latency);
  return 0;
}
