/*
 * C reference for kevent-hot: `ready` user events (EVFILT_USER, ident i + 1, udata i + 1)
 * registered with EV_ADD and no EV_CLEAR, then triggered once, so each of them is reported by
 * every kevent() call. Each iteration is one kevent(kq, NULL, 0, events, maxevents, &{0, 0})
 * that sums the udata of the returned events and checks the sum, exactly what the Bun side does
 * with `list.udata(i)`.
 *
 *   kevent-hot mode=st|mt clock=cpu|wall ready=64 maxevents=64 batch=64 min_ms=300 library=PATH
 *
 * Linux has no kqueue: the program dlopen()s libkqueue from `library=` (else the environment
 * variable BUNIX_LIBKQUEUE) and declares libkqueue's 32-byte struct kevent and the few constants
 * it needs itself, so no libkqueue header is needed. macOS and FreeBSD use the kernel's kqueue
 * and <sys/event.h> (FreeBSD 12+'s struct kevent is 64 bytes) and ignore `library=`.
 *
 * libkqueue starts two threads of its own with the first kqueue() of a process, so on Linux
 * even mode=st runs three threads (the result's `threads=`).
 */
#ifdef __APPLE__
/*
 * macOS has no CPU affinity calls, which bench.h's allowed_cpus() uses: report one CPU there.
 * Defined before bench.h so that its body picks these up; <sched.h> on macOS declares none of them.
 */
typedef int bench_cpu_set;
#define cpu_set_t bench_cpu_set
#define sched_getaffinity(pid, size, set) ((void)(pid), (void)(size), *(set) = 1, 0)
#define CPU_COUNT(set) (*(set))
#endif

#include "bench.h"

#include <dirent.h>

#if defined(__APPLE__) || defined(__FreeBSD__)
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#define NATIVE_KQUEUE 1
#else
#include <dlfcn.h>

/* libkqueue's struct kevent on LP64 Linux (docs/design/libkqueue.md §2): macOS's layout. */
struct kevent {
  uintptr_t ident;
  int16_t filter;
  uint16_t flags;
  uint32_t fflags;
  intptr_t data;
  void *udata;
};
_Static_assert(sizeof(struct kevent) == 32, "libkqueue's struct kevent is 32 bytes");

#define EV_ADD 0x0001
#define EVFILT_USER (-11)
#define NOTE_TRIGGER 0x01000000u
#endif

typedef int (*kevent_fn)(int, const struct kevent *, int, struct kevent *, int, const struct timespec *);

/* The kevent() every call goes through: the C library's, or libkqueue's from dlsym. */
static kevent_fn kevent_call;

static int open_kqueue(const char *library) {
#ifdef NATIVE_KQUEUE
  (void)library;
  kevent_call = kevent;
  int kq = kqueue();
  if (kq < 0) die_errno("kqueue");
  return kq;
#else
  if (library == NULL || library[0] == '\0') die("need library=PATH or BUNIX_LIBKQUEUE naming libkqueue.so.0");
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL) {
    fprintf(stderr, "dlopen %s: %s\n", library, dlerror());
    exit(1);
  }
  int (*kqueue_call)(void) = (int (*)(void))dlsym(handle, "kqueue");
  kevent_call = (kevent_fn)dlsym(handle, "kevent");
  if (kqueue_call == NULL || kevent_call == NULL) die("the library lacks kqueue or kevent");
  int kq = kqueue_call();
  if (kq < 0) die_errno("kqueue");
  return kq;
#endif
}

/* Applies one change in its own call with no event list, so a failure is -1 and errno on every kqueue. */
static void change(int kq, uintptr_t ident, uint16_t flags, uint32_t fflags, uintptr_t udata) {
  struct kevent ev;
  memset(&ev, 0, sizeof ev);
  ev.ident = ident;
  ev.filter = EVFILT_USER;
  ev.flags = flags;
  ev.fflags = fflags;
  ev.udata = (void *)udata;
  static const struct timespec zero = {0, 0};
  if (kevent_call(kq, &ev, 1, NULL, 0, &zero) < 0) die_errno("kevent (change)");
}

/* One poll, summing and checking the udata of its events. */
static inline void wait_and_check(int kq, struct kevent *events, int max, uint64_t expected) {
  static const struct timespec zero = {0, 0};
  int got = kevent_call(kq, NULL, 0, events, max, &zero);
  if (got < 0) die_errno("kevent");
  uint64_t sum = 0;
  for (int k = 0; k < got; k++) sum += (uint64_t)(uintptr_t)events[k].udata;
  if (sum != expected) die("wrong sum of udata");
}

/* This process's thread count (Linux: the entries of /proc/self/task), or -1 where unknown. */
static int thread_count(void) {
  DIR *dir = opendir("/proc/self/task");
  if (dir == NULL) return -1;
  int count = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL)
    if (entry->d_name[0] != '.') count++;
  closedir(dir);
  return count;
}

int main(int argc, char **argv) {
  const char *mode = bench_setup(argc, argv);
  long ready = arg_long(argc, argv, "ready", 64);
  long max = arg_long(argc, argv, "maxevents", ready);
  long batch = arg_long(argc, argv, "batch", 64);
  long min_ms = arg_long(argc, argv, "min_ms", 300);
  const char *library = arg_str(argc, argv, "library", getenv("BUNIX_LIBKQUEUE"));
  if (ready < 1 || ready > max) die("need 1 <= ready <= maxevents");
  // libkqueue gives each user event an eventfd, and opens about ten descriptors of its own.
  raise_fd_limit(ready + 64);

  int kq = open_kqueue(library);
  struct kevent *events = calloc((size_t)max, sizeof *events);
  if (events == NULL) die_errno("calloc");

  // Register, then trigger in a separate change: libkqueue ignores NOTE_TRIGGER in an EV_ADD
  // change, and a bare trigger overwrites the udata, so it carries the same udata again.
  uint64_t expected = 0;
  for (long i = 0; i < ready; i++) {
    uintptr_t token = (uintptr_t)i + 1;
    change(kq, token, EV_ADD, 0, token);
    change(kq, token, 0, NOTE_TRIGGER, token);
    expected += token;
  }
  // Every registration must be reported by one call (libkqueue caps a call at 512 events).
  static const struct timespec zero = {0, 0};
  int first = kevent_call(kq, NULL, 0, events, (int)max, &zero);
  if (first != ready) {
    fprintf(stderr, "the first kevent() returned %d events, not %ld\n", first, ready);
    exit(1);
  }

  struct sampler s = sampler_new(batch, min_ms);
  while (sampler_more(&s)) {
    uint64_t t0 = now_ns();
    for (long i = 0; i < s.batch; i++) wait_and_check(kq, events, (int)max, expected);
    sampler_add(&s, now_ns() - t0);
  }
  long samples = s.count;
  double per_call = sampler_median(&s);
  printf("result name=kevent-hot mode=%s clock=%s ready=%ld maxevents=%ld cpus=%d threads=%d ns_per_call=%.1f "
         "ns_per_event=%.2f samples=%ld\n",
         mode, timing_clock_name, ready, max, allowed_cpus(), thread_count(), per_call, per_call / (double)ready, samples);

  close(kq);
  free(events);
  return 0;
}
