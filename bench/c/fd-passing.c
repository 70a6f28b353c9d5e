/*
 * C reference for fd-passing: descriptors passed per second over a Unix seqpacket socketpair in
 * one thread. Each message is 1 byte carrying 1 descriptor (SCM_RIGHTS, a copy of /dev/null);
 * the receiver takes it close-on-exec (MSG_CMSG_CLOEXEC), checks it, and closes it.
 *
 *   fd-passing mode=st|mt clock=cpu|wall count=100000 warmup=10000
 *
 * Prints the time per descriptor over the whole timed run and the rate.
 */
#include "bench.h"

#include <fcntl.h>
#include <sys/socket.h>

static void send_fd(int sock, int fd) {
  char byte = 'f';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) die_errno("sendmsg");
}

static int receive_fd(int sock) {
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) die_errno("recvmsg");
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS || (msg.msg_flags & MSG_CTRUNC)) {
    die("no descriptor in the message");
  }
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  long count = arg_long(argc, argv, "count", 100000);
  long warmup = arg_long(argc, argv, "warmup", 10000);
  if (count < 1 || warmup < 0) die("need count >= 1, warmup >= 0");

  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) die_errno("socketpair");
  int passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (passed < 0) die_errno("open");

  uint64_t start = 0;
  for (long i = -warmup; i < count; i++) {
    if (i == 0) start = now_ns();
    send_fd(pair[0], passed);
    int got = receive_fd(pair[1]);
    if (got < 0 || got == passed) die("bad descriptor received");
    if (close(got) != 0) die_errno("close");
  }
  double elapsed = (double)(now_ns() - start);

  printf("result name=fd-passing mode=%s clock=%s cpus=%d count=%ld fds_per_s=%.0f ns_per_fd=%.1f\n", mode, timing_clock_name,
         allowed_cpus(), count, (double)count * 1e9 / elapsed, elapsed / (double)count);
  close(passed);
  close(pair[0]);
  close(pair[1]);
  return 0;
}
