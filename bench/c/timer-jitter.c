/*
 * C reference for timer-jitter: a repeating timerfd (period_us, CLOCK_MONOTONIC) registered in an
 * epoll; one thread waits for duration_ms, reads the expiration count k so far at each wake-up,
 * and notes how late the wake-up is behind the timer's grid: now - origin - k × period. The origin
 * is read after timerfd_settime and the epoll_ctl that registers the timer, as the Bun side reads
 * it just after Poller.addTimer (which arms, then registers).
 *
 *   timer-jitter period_us=1000 duration_ms=2000 mode=st|mt
 *
 * Prints the p50, p99 and maximum lateness in ns, the number of wake-ups and of expirations.
 */
#include "bench.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  long period_us = arg_long(argc, argv, "period_us", 1000);
  long duration_ms = arg_long(argc, argv, "duration_ms", 2000);
  if (period_us < 1 || duration_ms < 1) die("need period_us >= 1, duration_ms >= 1");

  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (tfd < 0) die_errno("timerfd_create");
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die_errno("epoll_create1");

  long capacity = duration_ms * 1000 / period_us + 16;
  double *late = malloc((size_t)capacity * sizeof *late);
  if (late == NULL) die_errno("malloc");
  const uint64_t period = (uint64_t)period_us * 1000u;
  struct itimerspec spec = {
      .it_value = {.tv_sec = period_us / 1000000, .tv_nsec = (period_us % 1000000) * 1000},
      .it_interval = {.tv_sec = period_us / 1000000, .tv_nsec = (period_us % 1000000) * 1000},
  };
  /* Armed, then registered, then stamped: the order inside Poller.addTimer and after it. */
  if (timerfd_settime(tfd, 0, &spec, NULL) != 0) die_errno("timerfd_settime");
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) != 0) die_errno("epoll_ctl");
  const uint64_t start = wall_ns();
  const uint64_t end = start + (uint64_t)duration_ms * 1000000u;
  long wakeups = 0;
  uint64_t expirations = 0;
  struct epoll_event out[8];
  for (;;) {
    int got;
    do got = epoll_wait(epfd, out, 8, -1);
    while (got < 0 && errno == EINTR);
    uint64_t now = wall_ns();
    if (got != 1) die("expected the timer");
    uint64_t count;
    if (read(tfd, &count, sizeof count) != sizeof count) die_errno("read");
    expirations += count;
    if (wakeups < capacity) late[wakeups++] = (double)(now - start) - (double)(expirations * period);
    if (now >= end) break;
  }
  double p50 = quantile(late, wakeups, 0.50);
  double p99 = quantile(late, wakeups, 0.99);
  double max = quantile(late, wakeups, 1.0);
  printf("result name=timer-jitter mode=%s cpus=%d wakeups=%ld expirations=%llu p50_ns=%.0f p99_ns=%.0f max_ns=%.0f\n", mode,
         allowed_cpus(), wakeups, (unsigned long long)expirations, p50, p99, max);
  close(tfd);
  close(epfd);
  free(late);
  return 0;
}
