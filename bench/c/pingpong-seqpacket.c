/*
 * C reference for pingpong-seqpacket: 1-byte round trips over a blocking Unix seqpacket
 * socketpair in one thread, with sendmsg/recvmsg as bunix makes them (sendmsg with MSG_NOSIGNAL,
 * recvmsg with MSG_CMSG_CLOEXEC). One round trip: send on A, receive on B, send on B, receive on
 * A; the message is always there when the receive comes, so nothing ever waits.
 *
 *   pingpong-seqpacket mode=st|mt clock=cpu|wall count=200000 warmup=20000
 *
 * Prints the rate over the whole timed run and the p50/p99 of the per-round-trip latencies.
 */
#include "bench.h"

#include <sys/socket.h>

static void put(int fd, char *byte) {
  struct iovec iov = {.iov_base = byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (sendmsg(fd, &msg, MSG_NOSIGNAL) != 1) die_errno("sendmsg");
}

static void take(int fd, char *byte) {
  struct iovec iov = {.iov_base = byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) != 1) die_errno("recvmsg");
}

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  long count = arg_long(argc, argv, "count", 200000);
  long warmup = arg_long(argc, argv, "warmup", 20000);
  if (count < 1 || warmup < 0) die("need count >= 1, warmup >= 0");

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) die_errno("socketpair");
  double *latency = malloc((size_t)count * sizeof *latency);
  if (latency == NULL) die_errno("malloc");

  char byte = 'x';
  uint64_t start = 0;
  for (long i = -warmup; i < count; i++) {
    if (i == 0) start = now_ns();
    uint64_t t0 = wall_ns();
    put(pair[0], &byte);
    take(pair[1], &byte);
    put(pair[1], &byte);
    take(pair[0], &byte);
    if (i >= 0) latency[i] = (double)(wall_ns() - t0);
  }
  double elapsed = (double)(now_ns() - start);

  double p50 = quantile(latency, count, 0.50);
  double p99 = quantile(latency, count, 0.99);
  printf("result name=pingpong-seqpacket mode=%s clock=%s cpus=%d count=%ld rt_per_s=%.0f ns_per_rt=%.1f p50_ns=%.0f p99_ns=%.0f\n",
         mode, timing_clock_name, allowed_cpus(), count, (double)count * 1e9 / elapsed, elapsed / (double)count, p50, p99);
  close(pair[0]);
  close(pair[1]);
  free(latency);
  return 0;
}
