// Module entry, the memory file, host time and the sentry's wait primitive.
#include "common.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <atomic>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace tsv {

int fillWaitResult(int tid, int status, int32_t* out);

void registerFn(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

// ---- memory file -------------------------------------------------------------

// memfdCreate(name, size) -> fd / -errno. The file is sparse: size costs nothing.
static napi_value MemfdCreate(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  char name[64];
  argPath(env, args[0], name, sizeof(name));
  int64_t size = argInt(env, args[1]);
  int fd = static_cast<int>(syscall(SYS_memfd_create, name, MFD_CLOEXEC));
  if (fd < 0) return num(env, -errno);
  if (ftruncate(fd, size) != 0) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  return num(env, fd);
}

static void unmapFinalizer(napi_env, void* data, void* hint) {
  munmap(data, reinterpret_cast<size_t>(hint));
}

// mapShared(fd, offset, length) -> ArrayBuffer over a MAP_SHARED mapping, or -errno.
static napi_value MapShared(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  int fd = static_cast<int>(argInt(env, args[0]));
  int64_t off = argInt(env, args[1]);
  size_t len = static_cast<size_t>(argInt(env, args[2]));
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
  if (p == MAP_FAILED) return num(env, -errno);
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, len, unmapFinalizer, reinterpret_cast<void*>(len), &ab) != napi_ok) {
    munmap(p, len);
    return num(env, -ENOMEM);
  }
  return ab;
}

// fallocate(fd, mode, offset, length) -> 0 / -errno (punching holes frees app pages)
static napi_value Fallocate(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  long r = fallocate(static_cast<int>(argInt(env, args[0])), static_cast<int>(argInt(env, args[1])),
                     argInt(env, args[2]), argInt(env, args[3]));
  return sysret(env, r);
}

// lseek(fd, offset, whence) -> new offset / -errno (SEEK_DATA/SEEK_HOLE for residency)
static napi_value Lseek(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  off_t r = lseek(static_cast<int>(argInt(env, args[0])), argInt(env, args[1]),
                  static_cast<int>(argInt(env, args[2])));
  return sysret(env, r);
}

// ---- time and randomness -----------------------------------------------------

// clockGettime(clockid, out Float64Array[2]) -> 0 / -errno; out = [sec, nsec]
static napi_value ClockGettime(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  Bytes out = argBytes(env, args[1]);
  if (out.len < 16) return num(env, -EINVAL);
  struct timespec ts;
  if (clock_gettime(static_cast<clockid_t>(argInt(env, args[0])), &ts) != 0) return num(env, -errno);
  double* d = reinterpret_cast<double*>(out.data);
  d[0] = static_cast<double>(ts.tv_sec);
  d[1] = static_cast<double>(ts.tv_nsec);
  return num(env, 0);
}

// monoNow() -> CLOCK_MONOTONIC in nanoseconds as a double (exact for ~104 days).
static napi_value MonoNow(napi_env env, napi_callback_info info) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return num(env, static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec));
}

// getrandom(buf, offset, len) -> n / -errno
static napi_value GetRandom(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  Bytes b = argBytes(env, args[0]);
  size_t off = static_cast<size_t>(argInt(env, args[1]));
  size_t len = static_cast<size_t>(argInt(env, args[2]));
  if (off > b.len || len > b.len - off) return num(env, -EINVAL);
  size_t done = 0;
  while (done < len) {
    ssize_t r = getrandom(b.data + off + done, len - done, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return num(env, -errno);
    }
    done += static_cast<size_t>(r);
  }
  return num(env, static_cast<double>(done));
}

// ---- placement -----------------------------------------------------------------

// pinToCpu(cpu) pins the calling (JS) thread; -1 = the CPU it is on now. Returns the CPU.
static napi_value PinToCpu(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  int cpu = static_cast<int>(argInt(env, args[0]));
  if (cpu < 0) cpu = sched_getcpu();
  if (cpu < 0) return num(env, -errno);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return num(env, -errno);
  return num(env, cpu);
}

// setAffinity(tid, cpu) -> 0 / -errno: one CPU, or all online CPUs when cpu < 0.
static napi_value SetAffinity(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int tid = static_cast<int>(argInt(env, args[0]));
  int cpu = static_cast<int>(argInt(env, args[1]));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu >= 0) {
    CPU_SET(cpu, &set);
  } else {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < n && i < CPU_SETSIZE; i++) CPU_SET(i, &set);
  }
  return sysret(env, sched_setaffinity(tid, sizeof(set), &set));
}

// ---- the wait primitive ----------------------------------------------------------
//
// Two modes. While only app threads can produce the next event, the sentry blocks in
// waitpid(): the cheapest wake-up there is. While it must also watch host fds or a
// deadline, SIGCHLD (sent to the tracer on every ptrace stop) is caught by a handler
// that writes an eventfd sitting in the same epoll set as the host fds. The handler is
// installed only in that mode: in the fast mode SIGCHLD stays at SIG_DFL, which the
// kernel discards without delivering.

static int gEpfd = -1;
static int gChildEvfd = -1;
static bool gHandlerInstalled = false;
static const uint64_t kChildToken = 0xffffffffull;

static void onSigchld(int) {
  int saved = errno;
  uint64_t one = 1;
  ssize_t ignored = write(gChildEvfd, &one, sizeof(one));
  (void)ignored;
  errno = saved;
}

static void setChildHandler(bool on) {
  if (on == gHandlerInstalled) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on ? onSigchld : SIG_DFL;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGCHLD, &sa, nullptr);
  gHandlerInstalled = on;
}

static bool ensureEpoll() {
  if (gEpfd >= 0) return true;
  gEpfd = epoll_create1(EPOLL_CLOEXEC);
  gChildEvfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (gEpfd < 0 || gChildEvfd < 0) return false;
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.u64 = kChildToken;
  return epoll_ctl(gEpfd, EPOLL_CTL_ADD, gChildEvfd, &ev) == 0;
}

// ---- host signals forwarded to the sandbox -------------------------------------------
//
// When the sandbox's console is the caller's terminal, the host terminal's ^C, ^\, ^Z and
// resizes signal the sentry (the host's foreground group); the sentry forwards them to the
// container's foreground group. A handler (installed process-wide, so whichever thread the
// host picks only records it) sets a bit and writes an eventfd that sits in the epoll set
// under the token 0xfffffffe: waitEvent reports it as a host fd event with token -2.

static int gSigEvfd = -1;
static std::atomic<uint64_t> gSigPending{0};
static const uint64_t kSigToken = 0xfffffffeull;
static pid_t gMainTid = 0;

// Runs on whichever thread the host picked. The sentry's thread must leave a blocking
// waitpid (the fast wait mode), so the handler is installed without SA_RESTART and a
// signal that landed elsewhere is passed on to that thread.
static void onHostSignal(int sig) {
  int saved = errno;
  gSigPending.fetch_or(1ull << (sig - 1));
  uint64_t one = 1;
  ssize_t ignored = write(gSigEvfd, &one, sizeof(one));
  (void)ignored;
  if (static_cast<pid_t>(syscall(SYS_gettid)) != gMainTid) syscall(SYS_tgkill, getpid(), gMainTid, sig);
  errno = saved;
}

// Reports the caught host signals as a host fd event with token -2.
static napi_value hostSignalEvent(napi_env env, int32_t* out) {
  out[4] = 1;
  out[5] = static_cast<int32_t>(kSigToken);
  out[6] = EPOLLIN;
  return num(env, 2);
}

// hostSignals(mask) -> 0 / -errno: catch the signals of mask (bit sig-1) from now on.
static napi_value HostSignals(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  uint64_t mask = static_cast<uint64_t>(argDouble(env, args[0]));
  if (!ensureEpoll()) return num(env, -errno);
  gMainTid = static_cast<pid_t>(syscall(SYS_gettid));
  if (gSigEvfd < 0) {
    gSigEvfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (gSigEvfd < 0) return num(env, -errno);
    struct epoll_event ev;
    ev.events = EPOLLIN;
    ev.data.u64 = kSigToken;
    if (epoll_ctl(gEpfd, EPOLL_CTL_ADD, gSigEvfd, &ev) != 0) return num(env, -errno);
  }
  for (int sig = 1; sig <= 31; sig++) {
    if ((mask & (1ull << (sig - 1))) == 0) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = onHostSignal;
    sa.sa_flags = 0;
    if (sigaction(sig, &sa, nullptr) != 0) return num(env, -errno);
  }
  return num(env, 0);
}

// defaultSignals(mask) -> 0 / -errno: the signals of mask back to their default action
// (node catches SIGINT and SIGTERM itself, to restore the terminal before dying).
static napi_value DefaultSignals(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  uint64_t mask = static_cast<uint64_t>(argDouble(env, args[0]));
  for (int sig = 1; sig <= 31; sig++) {
    if ((mask & (1ull << (sig - 1))) == 0) continue;
    if (signal(sig, SIG_DFL) == SIG_ERR) return num(env, -errno);
  }
  return num(env, 0);
}

// takeHostSignals() -> the mask of signals caught since the last call.
static napi_value TakeHostSignals(napi_env env, napi_callback_info info) {
  (void)info;
  if (gSigEvfd >= 0) {
    uint64_t v;
    ssize_t ignored = read(gSigEvfd, &v, sizeof(v));
    (void)ignored;
  }
  return num(env, static_cast<double>(gSigPending.exchange(0)));
}

// epollCtl(op, fd, events, token) -> 0 / -errno
static napi_value EpollCtl(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  if (!ensureEpoll()) return num(env, -errno);
  struct epoll_event ev;
  ev.events = static_cast<uint32_t>(argInt(env, args[2]));
  ev.data.u64 = static_cast<uint32_t>(argInt(env, args[3]));
  int r = epoll_ctl(gEpfd, static_cast<int>(argInt(env, args[0])), static_cast<int>(argInt(env, args[1])), &ev);
  return sysret(env, r);
}

// waitEvent(out Int32Array(>= 4 + 2*maxFdEvents), timeoutNs, mixed) ->
//   1: a ptrace/child event in out[0..3]; 2: host fd events, count in out[4],
//   then (token, events) pairs from out[5]; 3: control requests wait (ctlTake);
//   0: the deadline passed; -errno.
// timeoutNs < 0 waits without a deadline.
static napi_value WaitEvent(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  Bytes outB = argBytes(env, args[0]);
  int32_t* out = reinterpret_cast<int32_t*>(outB.data);
  double timeoutNs = argDouble(env, args[1]);
  bool mixed = argInt(env, args[2]) != 0;
  if (outB.len < 4 * 8) return num(env, -EINVAL);
  int status = 0;
  if (gCtlPending.load(std::memory_order_relaxed) != 0) return num(env, 3);
  if (!mixed) {
    setChildHandler(false);
    int r;
    if (gSigPending.load(std::memory_order_relaxed) != 0) return hostSignalEvent(env, out);
    do {
      r = waitpid(-1, &status, __WALL);
      if (r < 0 && errno == EINTR && gCtlPending.load() != 0) return num(env, 3);
      if (r < 0 && errno == EINTR && gSigPending.load() != 0) return hostSignalEvent(env, out);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return num(env, -errno);
    fillWaitResult(r, status, out);
    return num(env, 1);
  }
  if (!ensureEpoll()) return num(env, -errno);
  setChildHandler(true);
  int maxEv = static_cast<int>((outB.len / 4 - 5) / 2);
  if (maxEv > 64) maxEv = 64;
  struct epoll_event evs[64];
  struct timespec deadline = {0, 0};
  if (timeoutNs >= 0) {
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    double d = static_cast<double>(deadline.tv_sec) * 1e9 + static_cast<double>(deadline.tv_nsec) + timeoutNs;
    deadline.tv_sec = static_cast<time_t>(d / 1e9);
    deadline.tv_nsec = static_cast<long>(d - static_cast<double>(deadline.tv_sec) * 1e9);
  }
  for (;;) {
    int r = waitpid(-1, &status, __WALL | WNOHANG);
    if (r > 0) {
      fillWaitResult(r, status, out);
      return num(env, 1);
    }
    struct timespec ts, *tsp = nullptr;
    if (timeoutNs >= 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long long left = (static_cast<long long>(deadline.tv_sec) - now.tv_sec) * 1000000000LL +
                       (deadline.tv_nsec - now.tv_nsec);
      if (left < 0) left = 0;
      ts.tv_sec = static_cast<time_t>(left / 1000000000LL);
      ts.tv_nsec = static_cast<long>(left % 1000000000LL);
      tsp = &ts;
    }
    int n = static_cast<int>(syscall(SYS_epoll_pwait2, gEpfd, evs, maxEv, tsp, nullptr, 0));
    if (n < 0) {
      if (errno == EINTR && gCtlPending.load() != 0) return num(env, 3);
      if (errno == EINTR) continue;
      return num(env, -errno);
    }
    if (n == 0) return num(env, 0);
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (evs[i].data.u64 == kChildToken) {
        uint64_t v;
        ssize_t ignored = read(gChildEvfd, &v, sizeof(v));
        (void)ignored;
        continue;
      }
      out[5 + 2 * k] = static_cast<int32_t>(evs[i].data.u64);
      out[6 + 2 * k] = static_cast<int32_t>(evs[i].events);
      k++;
    }
    if (k > 0) {
      out[4] = k;
      return num(env, 2);
    }
    // Only the child eventfd fired: loop to collect the stop with waitpid.
  }
}

static napi_value Init(napi_env env, napi_value exports) {
  registerFn(env, exports, "memfdCreate", MemfdCreate);
  registerFn(env, exports, "mapShared", MapShared);
  registerFn(env, exports, "fallocate", Fallocate);
  registerFn(env, exports, "lseek", Lseek);
  registerFn(env, exports, "clockGettime", ClockGettime);
  registerFn(env, exports, "monoNow", MonoNow);
  registerFn(env, exports, "getRandom", GetRandom);
  registerFn(env, exports, "pinToCpu", PinToCpu);
  registerFn(env, exports, "setAffinity", SetAffinity);
  registerFn(env, exports, "epollCtl", EpollCtl);
  registerFn(env, exports, "waitEvent", WaitEvent);
  registerFn(env, exports, "hostSignals", HostSignals);
  registerFn(env, exports, "takeHostSignals", TakeHostSignals);
  registerFn(env, exports, "defaultSignals", DefaultSignals);
  initPtrace(env, exports);
  initStub(env, exports);
  initHostfs(env, exports);
  initControl(env, exports);
  initConfine(env, exports);
  initHostnet(env, exports);
  return exports;
}

}  // namespace tsv

NAPI_MODULE(NODE_GYP_MODULE_NAME, tsv::Init)
