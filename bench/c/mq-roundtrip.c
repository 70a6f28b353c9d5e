/*
 * C reference for mq-roundtrip: one POSIX message queue, one process, one thread doing the work.
 * Each iteration sends one `size`-byte message (priority 0) and receives it back:
 * mq_send + mq_receive on a blocking queue that never has to block (it holds at most one message).
 * This is exactly what the Bun side does with `queue.send(bytes)` and `queue.receiveInto(buffer)`.
 *
 *   mq-roundtrip mode=st|mt clock=cpu|wall size=64 batch=1024 min_ms=300
 *
 * Prints the median time per round trip (send + receive) over the batch samples.
 * Links without -lrt on glibc >= 2.34, where mq_* moved into libc.
 */
#include "bench.h"

#include <fcntl.h>
#include <mqueue.h>

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  long size = arg_long(argc, argv, "size", 64);
  long batch = arg_long(argc, argv, "batch", 1024);
  long min_ms = arg_long(argc, argv, "min_ms", 300);
  if (size < 1 || size > 8192) die("need 1 <= size <= 8192");

  char name[64];
  snprintf(name, sizeof name, "/bunix-bench-c-%ld", (long)getpid());
  struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = size};
  mqd_t queue = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &attr);
  if (queue == (mqd_t)-1) die_errno("mq_open");
  // Unlinked at once: the queue lives as long as the descriptor, even if this program dies.
  if (mq_unlink(name) != 0) die_errno("mq_unlink");

  char *message = malloc((size_t)size);
  char *buffer = malloc((size_t)size);
  if (message == NULL || buffer == NULL) die_errno("malloc");
  memset(message, 'm', (size_t)size);

  struct sampler s = sampler_new(batch, min_ms);
  while (sampler_more(&s)) {
    uint64_t t0 = now_ns();
    for (long i = 0; i < s.batch; i++) {
      unsigned priority;
      if (mq_send(queue, message, (size_t)size, 0) != 0) die_errno("mq_send");
      if (mq_receive(queue, buffer, (size_t)size, &priority) != size) die_errno("mq_receive");
    }
    sampler_add(&s, now_ns() - t0);
  }
  long samples = s.count;
  double per_roundtrip = sampler_median(&s);

  printf("result name=mq-roundtrip mode=%s clock=%s size=%ld cpus=%d ns_per_roundtrip=%.1f samples=%ld\n", mode,
         timing_clock_name, size, allowed_cpus(), per_roundtrip, samples);

  mq_close(queue);
  free(message);
  free(buffer);
  return 0;
}
