/*
 * C reference for ctl-churn: epoll_ctl on one idle eventfd (value 0, so it never becomes ready and
 * the ready list stays empty: the cost measured is epoll_ctl itself).
 *
 *   ctl_churn mode=st|mt clock=cpu|wall op=modify|pair batch=4096 min_ms=300
 *
 * op=modify: EPOLL_CTL_MOD alternating EPOLLIN and EPOLLIN|EPOLLPRI, same data; one operation.
 * op=pair:   EPOLL_CTL_ADD then EPOLL_CTL_DEL; two operations.
 * ns_per_op is the time of one iteration divided by its number of operations.
 */
#include "bench.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  const char *op = arg_str(argc, argv, "op", "modify");
  long batch = arg_long(argc, argv, "batch", 4096);
  long min_ms = arg_long(argc, argv, "min_ms", 300);
  int pair = strcmp(op, "pair") == 0;
  if (!pair && strcmp(op, "modify") != 0) die("op must be modify or pair");

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die_errno("epoll_create1");
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) die_errno("eventfd");
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
  if (!pair && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) die_errno("epoll_ctl ADD");

  uint64_t k = 0;
  struct sampler s = sampler_new(batch, min_ms);
  while (sampler_more(&s)) {
    uint64_t t0 = now_ns();
    if (pair) {
      for (long i = 0; i < s.batch; i++) {
        ev.events = EPOLLIN;
        ev.data.u64 = ++k;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) die_errno("epoll_ctl ADD");
        if (epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) != 0) die_errno("epoll_ctl DEL");
      }
    } else {
      for (long i = 0; i < s.batch; i++) {
        ev.events = (++k & 1) ? EPOLLIN | EPOLLPRI : EPOLLIN;
        if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0) die_errno("epoll_ctl MOD");
      }
    }
    sampler_add(&s, now_ns() - t0);
  }
  long samples = s.count;
  double per_iteration = sampler_median(&s);
  int ops = pair ? 2 : 1;

  printf("result name=ctl-churn mode=%s clock=%s op=%s cpus=%d ns_per_iteration=%.1f ns_per_op=%.1f samples=%ld\n", mode,
         timing_clock_name, op,
         allowed_cpus(), per_iteration, per_iteration / ops, samples);
  close(fd);
  close(epfd);
  return 0;
}
