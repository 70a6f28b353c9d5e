/*
 * C reference for wait-hot, wait-scaling and the syscall experiment: `ready` level-triggered
 * eventfds that always read as ready (value 1, never read) plus `idle` ones that never do
 * (value 0), all registered EPOLLIN with data = a number per registration. Each iteration is one
 * epoll_wait(epfd, events, maxevents, 0) that sums the u64 data of the returned events and checks
 * the sum, exactly what the Bun side does with `events.data(i)`.
 *
 *   wait mode=st|mt clock=cpu|wall ready=64 idle=0 maxevents=1024 call=wrapper|syscall|paired batch=64 min_ms=300
 *
 * call=wrapper uses glibc's epoll_wait; call=syscall enters the kernel through syscall(2), which
 * skips the wrapper's cancellation bookkeeping (arm64 has no epoll_wait: epoll_pwait with a NULL
 * mask does the same work). call=paired alternates a batch of each and also reports the median of
 * the per-pair differences: a difference of a few percent drowns in run-to-run noise otherwise.
 */
#include "bench.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

static inline int wait_raw(int epfd, struct epoll_event *events, int max) {
#ifdef SYS_epoll_wait
  return (int)syscall(SYS_epoll_wait, epfd, events, max, 0);
#else
  return (int)syscall(SYS_epoll_pwait, epfd, events, max, 0, NULL, 0);
#endif
}

/* One wait through the wrapper or syscall(), summing and checking the data of its events. */
static inline void wait_and_check(int epfd, struct epoll_event *events, int max, int raw, uint64_t expected) {
  int got = raw ? wait_raw(epfd, events, max) : epoll_wait(epfd, events, max, 0);
  if (got < 0) die_errno("epoll_wait");
  uint64_t sum = 0;
  for (int k = 0; k < got; k++) sum += events[k].data.u64;
  if (sum != expected) die("wrong sum of event data");
}

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  const char *call = arg_str(argc, argv, "call", "wrapper");
  long ready = arg_long(argc, argv, "ready", 64);
  long idle = arg_long(argc, argv, "idle", 0);
  long max = arg_long(argc, argv, "maxevents", 1024);
  long batch = arg_long(argc, argv, "batch", 64);
  long min_ms = arg_long(argc, argv, "min_ms", 300);
  int raw = strcmp(call, "syscall") == 0;
  int paired = strcmp(call, "paired") == 0;
  if (!raw && !paired && strcmp(call, "wrapper") != 0) die("call must be wrapper, syscall or paired");
  if (ready < 1 || ready > max || idle < 0) die("need 1 <= ready <= maxevents and idle >= 0");

  long total = ready + idle;
  raise_fd_limit(total + 64);

  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die_errno("epoll_create1");
  int *fds = malloc((size_t)total * sizeof *fds);
  struct epoll_event *events = malloc((size_t)max * sizeof *events);
  if (fds == NULL || events == NULL) die_errno("malloc");

  // Spread the ready ones evenly among the idle ones, as wait-scaling's Bun side does.
  uint64_t expected = 0;
  long stride = total / ready;
  for (long i = 0; i < total; i++) {
    int is_ready = i % stride == 0 && i / stride < ready;
    fds[i] = eventfd(is_ready ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fds[i] < 0) die_errno("eventfd");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i + 1};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0) die_errno("epoll_ctl");
    if (is_ready) expected += (uint64_t)i + 1;
  }

  if (paired) {
    // Samples of the wrapper, of syscall(), and of their difference, one of each per pair.
    struct sampler wrapper = sampler_new(batch, min_ms), direct = sampler_new(batch, min_ms);
    struct sampler diff = sampler_new(batch, min_ms);
    while (sampler_more(&diff)) {
      uint64_t t0 = now_ns();
      for (long i = 0; i < batch; i++) wait_and_check(epfd, events, (int)max, 0, expected);
      uint64_t t1 = now_ns();
      for (long i = 0; i < batch; i++) wait_and_check(epfd, events, (int)max, 1, expected);
      uint64_t t2 = now_ns();
      sampler_add(&wrapper, t1 - t0);
      sampler_add(&direct, t2 - t1);
      sampler_record(&diff, ((double)(t1 - t0) - (double)(t2 - t1)) / (double)batch, t2 - t0);
    }
    long samples = wrapper.count;
    double per_wrapper = sampler_median(&wrapper), per_direct = sampler_median(&direct);
    double per_diff = sampler_median(&diff);
    printf("result name=wait mode=%s clock=%s call=paired ready=%ld registered=%ld cpus=%d ns_per_call_wrapper=%.1f "
           "ns_per_call_syscall=%.1f diff_ns=%.2f samples=%ld\n",
           mode, timing_clock_name, ready, total, allowed_cpus(), per_wrapper, per_direct, per_diff, samples);
  } else {
    struct sampler s = sampler_new(batch, min_ms);
    while (sampler_more(&s)) {
      uint64_t t0 = now_ns();
      for (long i = 0; i < s.batch; i++) wait_and_check(epfd, events, (int)max, raw, expected);
      sampler_add(&s, now_ns() - t0);
    }
    long samples = s.count;
    double per_call = sampler_median(&s);
    printf("result name=wait mode=%s clock=%s call=%s ready=%ld registered=%ld cpus=%d ns_per_call=%.1f ns_per_event=%.2f samples=%ld\n",
           mode, timing_clock_name, call, ready, total, allowed_cpus(), per_call, per_call / (double)ready, samples);
  }

  for (long i = 0; i < total; i++) close(fds[i]);
  close(epfd);
  free(fds);
  free(events);
  return 0;
}
