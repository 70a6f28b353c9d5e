/*
 * The C reference server of echo-load: a framed echo server (a 4-byte big-endian length, then the
 * payload) on a Unix stream socket, one thread, epoll, level-triggered. Whole frames are written
 * straight back from the read buffer; what the socket does not take waits, and reading from that
 * client stops until it is written. A client announcing more than max bytes is dropped.
 *
 *   echo-server path=SOCK max=16777216
 *
 * Serves until SIGTERM or SIGINT, then removes SOCK.
 */
#include "bench.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef struct {
  int fd;
  uint8_t *in;
  size_t in_len, in_cap;
  uint8_t *out;
  size_t out_off, out_len, out_cap;
} client_t;

static volatile sig_atomic_t stopping = 0;
static void on_signal(int signal) {
  (void)signal;
  stopping = 1;
}

static void drop(int ep, client_t *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

static void set_interest(int ep, client_t *c) {
  struct epoll_event ev = {.events = c->out_len > c->out_off ? EPOLLOUT : EPOLLIN, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what is queued; returns -1 on an error. */
static int flush_out(client_t *c) {
  while (c->out_off < c->out_len) {
    ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    c->out_off += (size_t)w;
  }
  c->out_off = c->out_len = 0;
  return 0;
}

/* Reads once and echoes the whole frames; returns -1 to drop the client. */
static int serve(client_t *c, uint32_t max) {
  size_t need = 65536;
  if (c->in_len >= 4) {
    uint32_t length = (uint32_t)c->in[0] << 24 | (uint32_t)c->in[1] << 16 | (uint32_t)c->in[2] << 8 | c->in[3];
    if (length > max) return -1;
    if (4 + (size_t)length > need) need = 4 + (size_t)length;
  }
  if (c->in_cap < need) {
    c->in = realloc(c->in, need);
    if (c->in == NULL) die("out of memory");
    c->in_cap = need;
  }
  ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
  if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  if (r == 0) return -1;
  c->in_len += (size_t)r;
  size_t at = 0;
  while (c->in_len - at >= 4) {
    uint32_t length = (uint32_t)c->in[at] << 24 | (uint32_t)c->in[at + 1] << 16 | (uint32_t)c->in[at + 2] << 8 | c->in[at + 3];
    if (length > max) return -1;
    if (c->in_len - at - 4 < length) break;
    at += 4 + (size_t)length;
  }
  if (at > 0) {
    ssize_t w = send(c->fd, c->in, at, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      w = 0;
    }
    if ((size_t)w < at) {
      size_t rest = at - (size_t)w;
      if (c->out_cap < rest) {
        c->out = realloc(c->out, rest);
        if (c->out == NULL) die("out of memory");
        c->out_cap = rest;
      }
      memcpy(c->out, c->in + w, rest);
      c->out_off = 0;
      c->out_len = rest;
    }
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *path = arg_str(argc, argv, "path", NULL);
  if (path == NULL) die("path=SOCK is required");
  uint32_t max = (uint32_t)arg_long(argc, argv, "max", 16 * 1024 * 1024);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) die_errno("socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0) die_errno("bind");
  if (listen(listener, 4096) != 0) die_errno("listen");
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev);
  struct epoll_event events[256];
  while (!stopping) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die_errno("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      client_t *c = events[k].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;
          client_t *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      if (events[k].events & EPOLLOUT) {
        if (flush_out(c) != 0) {
          drop(ep, c);
          continue;
        }
        if (c->out_len == 0) set_interest(ep, c);
        continue;
      }
      if (serve(c, max) != 0) {
        drop(ep, c);
        continue;
      }
      if (c->out_len > 0) set_interest(ep, c);
    }
  }
  unlink(path);
  return 0;
}
