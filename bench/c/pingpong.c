/*
 * C reference for pingpong: 1-byte round trips over a Unix stream socketpair, both ends in one
 * epoll (EPOLLIN, level-triggered, data 0 for A and 1 for B), in one thread. One round trip:
 * write 1 byte on A, wait, read on B, write on B, wait, read on A. Every wait must report
 * exactly the end that was written to.
 *
 *   pingpong mode=st|mt clock=cpu|wall count=200000 warmup=20000 maxevents=1024
 *
 * Prints the rate over the whole timed run (by `clock`) and the p50/p99 of the per-round-trip
 * latencies (always wall-clock: a CPU-time read would cost more than a tenth of a round trip).
 */
#include "bench.h"

#include <sys/epoll.h>
#include <sys/socket.h>

/* Waits (no timeout) and checks that the only event is readability of end `expect`. */
static void wait_for(int epfd, struct epoll_event *events, int max, uint64_t expect) {
  int got;
  do got = epoll_wait(epfd, events, max, -1);
  while (got < 0 && errno == EINTR);
  if (got < 0) die_errno("epoll_wait");
  if (got != 1 || events[0].data.u64 != expect || !(events[0].events & EPOLLIN)) die("unexpected event");
}

static void put(int fd, char *byte) {
  if (write(fd, byte, 1) != 1) die_errno("write");
}

static void take(int fd, char *byte) {
  if (read(fd, byte, 1) != 1) die_errno("read");
}

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  long count = arg_long(argc, argv, "count", 200000);
  long warmup = arg_long(argc, argv, "warmup", 20000);
  long max = arg_long(argc, argv, "maxevents", 1024);
  if (count < 1 || warmup < 0 || max < 1) die("need count >= 1, warmup >= 0, maxevents >= 1");

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) die_errno("socketpair");
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die_errno("epoll_create1");
  for (int end = 0; end < 2; end++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)end};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, pair[end], &ev) != 0) die_errno("epoll_ctl");
  }
  struct epoll_event *events = malloc((size_t)max * sizeof *events);
  double *latency = malloc((size_t)count * sizeof *latency);
  if (events == NULL || latency == NULL) die_errno("malloc");

  char byte = 'x';
  uint64_t start = 0;
  for (long i = -warmup; i < count; i++) {
    if (i == 0) start = now_ns();
    uint64_t t0 = wall_ns();
    put(pair[0], &byte);
    wait_for(epfd, events, (int)max, 1);
    take(pair[1], &byte);
    put(pair[1], &byte);
    wait_for(epfd, events, (int)max, 0);
    take(pair[0], &byte);
    if (i >= 0) latency[i] = (double)(wall_ns() - t0);
  }
  double elapsed = (double)(now_ns() - start);

  double p50 = quantile(latency, count, 0.50);
  double p99 = quantile(latency, count, 0.99);
  printf("result name=pingpong mode=%s clock=%s cpus=%d count=%ld rt_per_s=%.0f ns_per_rt=%.1f p50_ns=%.0f p99_ns=%.0f\n", mode,
         timing_clock_name, allowed_cpus(), count, (double)count * 1e9 / elapsed, elapsed / (double)count, p50, p99);
  close(pair[0]);
  close(pair[1]);
  close(epfd);
  free(events);
  free(latency);
  return 0;
}
