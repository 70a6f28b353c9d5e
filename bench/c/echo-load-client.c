/*
 * The load client of echo-load: N connections to a framed echo server (a 4-byte big-endian length,
 * then the payload), each with one message in flight, of random sizes from min to max bytes; every
 * echoed byte is compared with what was sent. One thread, epoll, nonblocking sockets.
 *
 *   echo-load-client path=SOCK conns=50 msgs=1000 min=1 max=65536 seed=1
 *
 * Prints: result msgs=… bytes=… secs=… p50_us=… p99_us=… errors=…
 * (bytes counts payload bytes one way; secs is wall time from the first send to the last echo).
 * Exits 1 on a mismatch, a refused or reset connection, or a server that stops answering.
 */
#include "bench.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef struct {
  int fd;
  int sent_msgs;      /* messages whose echo has been checked */
  uint32_t length;    /* payload length of the message in flight */
  size_t pool_offset; /* where its payload starts in the pool */
  size_t out_done;    /* bytes of header + payload written */
  size_t in_done;     /* bytes of the echo read and checked */
  uint8_t header[4];
  uint8_t in_header[4];
  uint64_t started;
  int want_write;
} conn_t;

static uint64_t rng_state;
static uint64_t next_random(void) {
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint8_t *pool;
static size_t pool_size;
static long min_size, max_size;

static void next_message(conn_t *c) {
  c->length = (uint32_t)(min_size + (long)(next_random() % (uint64_t)(max_size - min_size + 1)));
  c->pool_offset = (size_t)(next_random() % (pool_size - c->length + 1));
  c->header[0] = c->length >> 24;
  c->header[1] = c->length >> 16;
  c->header[2] = c->length >> 8;
  c->header[3] = c->length;
  c->out_done = 0;
  c->in_done = 0;
  c->started = wall_ns();
}

/* Writes what the socket takes; returns 0, or -1 on an error. */
static int pump_out(conn_t *c) {
  size_t total = 4 + (size_t)c->length;
  while (c->out_done < total) {
    struct iovec iov[2];
    int n = 0;
    if (c->out_done < 4) {
      iov[n].iov_base = c->header + c->out_done;
      iov[n++].iov_len = 4 - c->out_done;
      iov[n].iov_base = pool + c->pool_offset;
      iov[n++].iov_len = c->length;
    } else {
      iov[n].iov_base = pool + c->pool_offset + (c->out_done - 4);
      iov[n++].iov_len = total - c->out_done;
    }
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      return -1;
    }
    c->out_done += (size_t)w;
  }
  return 0;
}

static uint8_t scratch[1 << 20];

/* Reads and checks what is there; returns 1 when the echo is complete, 0 when not yet, -1 on an error. */
static int pump_in(conn_t *c) {
  size_t total = 4 + (size_t)c->length;
  while (c->in_done < total) {
    size_t want = total - c->in_done;
    if (want > sizeof scratch) want = sizeof scratch;
    ssize_t r = recv(c->fd, scratch, want, 0);
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) {
      fprintf(stderr, "echo-load-client: the server closed a connection\n");
      return -1;
    }
    size_t i = 0;
    for (; i < (size_t)r && c->in_done + i < 4; i++) {
      if (scratch[i] != c->header[c->in_done + i]) {
        fprintf(stderr, "echo-load-client: the header of a %u-byte echo differs\n", c->length);
        return -1;
      }
    }
    if (i < (size_t)r && memcmp(scratch + i, pool + c->pool_offset + (c->in_done + i - 4), (size_t)r - i) != 0) {
      fprintf(stderr, "echo-load-client: the payload of a %u-byte echo differs\n", c->length);
      return -1;
    }
    c->in_done += (size_t)r;
    if ((size_t)r < want) break; /* a short read: nothing more for now */
  }
  return c->in_done == total ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *path = arg_str(argc, argv, "path", NULL);
  if (path == NULL) die("path=SOCK is required");
  long conns = arg_long(argc, argv, "conns", 50);
  long msgs = arg_long(argc, argv, "msgs", 1000);
  min_size = arg_long(argc, argv, "min", 1);
  max_size = arg_long(argc, argv, "max", 65536);
  rng_state = (uint64_t)arg_long(argc, argv, "seed", 1);
  if (conns < 1 || msgs < 1 || min_size < 0 || max_size < min_size) die("bad arguments");

  pool_size = (size_t)max_size * 2 + 4096;
  pool = malloc(pool_size);
  if (pool == NULL) die("out of memory");
  for (size_t i = 0; i < pool_size; i++) pool[i] = (uint8_t)next_random();

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die_errno("epoll_create1");
  conn_t *cs = calloc((size_t)conns, sizeof *cs);
  uint64_t *latencies = malloc(sizeof(uint64_t) * (size_t)(conns * msgs));
  if (cs == NULL || latencies == NULL) die("out of memory");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);

  for (long i = 0; i < conns; i++) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die_errno("socket");
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die_errno("connect");
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) die_errno("fcntl");
    cs[i].fd = fd;
  }
  uint64_t started = wall_ns();
  for (long i = 0; i < conns; i++) {
    conn_t *c = &cs[i];
    next_message(c);
    if (pump_out(c) != 0) die_errno("send");
    c->want_write = c->out_done < 4 + (size_t)c->length;
    struct epoll_event ev = {.events = EPOLLIN | (c->want_write ? EPOLLOUT : 0), .data.u64 = (uint64_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die_errno("epoll_ctl");
  }

  long done_conns = 0, count = 0;
  uint64_t bytes = 0;
  struct epoll_event events[256];
  while (done_conns < conns) {
    int n = epoll_wait(ep, events, 256, 10000);
    if (n < 0) {
      if (errno == EINTR) continue;
      die_errno("epoll_wait");
    }
    if (n == 0) die("the server stopped answering for 10 s");
    for (int k = 0; k < n; k++) {
      conn_t *c = &cs[events[k].data.u64];
      if (c->fd < 0) continue;
      if (events[k].events & EPOLLOUT) {
        if (pump_out(c) != 0) die_errno("send");
      }
      if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        int got = pump_in(c);
        if (got < 0) {
          fprintf(stderr, "echo-load-client: connection %ld failed after %d echoes\n", (long)events[k].data.u64, c->sent_msgs);
          return 1;
        }
        if (got == 1) {
          latencies[count++] = wall_ns() - c->started;
          bytes += c->length;
          if (++c->sent_msgs == msgs) {
            close(c->fd);
            c->fd = -1;
            done_conns++;
            continue;
          }
          next_message(c);
          if (pump_out(c) != 0) die_errno("send");
        }
      }
      int want_write = c->out_done < 4 + (size_t)c->length;
      if (want_write != c->want_write) {
        struct epoll_event ev = {.events = EPOLLIN | (want_write ? EPOLLOUT : 0), .data.u64 = events[k].data.u64};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) die_errno("epoll_ctl");
        c->want_write = want_write;
      }
    }
  }
  double secs = (double)(wall_ns() - started) / 1e9;
  qsort(latencies, (size_t)count, sizeof *latencies, compare_u64);
  printf("result msgs=%ld bytes=%llu secs=%.6f p50_us=%.1f p99_us=%.1f errors=0\n", count, (unsigned long long)bytes, secs,
         latencies[count / 2] / 1e3, latencies[(size_t)((double)count * 0.99)] / 1e3);
  return 0;
}
