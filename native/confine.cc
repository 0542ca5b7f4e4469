// Confinement of the sandbox process itself (defence in depth; see docs/SECURITY.md).
//
//  - spawnConfined: the caller (a tsvisor command) clones the sandbox process into new
//    user, pid, mount, ipc, uts, cgroup and (unless it shares one) net namespaces. The
//    child waits on a pipe until the parent has written its id maps (and put it in its
//    cgroup), then execs node. A clone, not fork+unshare: node is multithreaded, and
//    unshare(CLONE_NEWUSER) refuses a multithreaded caller; the clone's child has one
//    thread.
//  - stageDirFd, confineSelf: the sandbox process, once it holds every fd it needs,
//    moves each host directory it holds into a new tmpfs root as a bind mount of its
//    own, pivots into that root, detaches the host's tree and drops its capabilities.
//  - installFilter: its seccomp allow-list (compiled from src/sandbox/hostpolicy.ts),
//    for every thread; a refused call fails with ENOSYS and is reported on stderr.
//  - waitConfined: a foreground parent (`do`, `run`) waits for the sandbox process; `run`
//    passes on the signals it gets, `do` ends with the sandbox process on one.
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <net/if.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace tsv {

static std::vector<std::string> stringArray(napi_env env, napi_value arr) {
  std::vector<std::string> out;
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, arr, i, &v);
    size_t len = 0;
    napi_get_value_string_utf8(env, v, nullptr, 0, &len);
    std::string s(len, '\0');
    napi_get_value_string_utf8(env, v, &s[0], len + 1, &len);
    out.push_back(s);
  }
  return out;
}

static std::vector<int> intArray(napi_env env, napi_value arr) {
  std::vector<int> out;
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, arr, i, &v);
    out.push_back(static_cast<int>(argInt(env, v)));
  }
  return out;
}

// Runs in the clone's child: raw syscalls only (other threads of the parent may have
// held malloc's or stdio's locks at the moment of the clone).
// Brings the loopback interface of a fresh network namespace up (it starts down), so the
// app's inet sockets can talk to each other. Raw syscalls only, as in confinedChild.
static bool loopbackUp() {
  long s = syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return false;
  struct ifreq r;
  memset(&r, 0, sizeof(r));
  memcpy(r.ifr_name, "lo", 3);
  bool ok = syscall(SYS_ioctl, s, SIOCGIFFLAGS, &r) == 0;
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && syscall(SYS_ioctl, s, SIOCSIFFLAGS, &r) == 0;
  syscall(SYS_close, s);
  return ok;
}

[[noreturn]] static void confinedChild(int syncFd, const char* path, char* const* argv, char* const* envp,
                                       const int* fds, int nfds, bool detach, bool dieWithParent, bool newNet) {
  if (dieWithParent) syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char go = 0;
  // The parent writes one byte once the id maps are in place; EOF means it gave up.
  if (syscall(SYS_read, syncFd, &go, 1) != 1) syscall(SYS_exit_group, 125);
  if (syscall(SYS_setresgid, 0, 0, 0) != 0 || syscall(SYS_setresuid, 0, 0, 0) != 0) syscall(SYS_exit_group, 125);
  if (newNet && !loopbackUp()) syscall(SYS_exit_group, 125);
  if (detach) syscall(SYS_setsid);
  // fds[i] becomes fd i: first out of the way (above every target), then into place.
  int base = 1024;
  for (int i = 0; i < nfds; i++) {
    if (fds[i] < 0) continue;
    if (syscall(SYS_fcntl, fds[i], F_DUPFD_CLOEXEC, base + i) != base + i) syscall(SYS_exit_group, 125);
  }
  for (int i = 0; i < nfds; i++) {
    if (fds[i] < 0) continue;
    if (syscall(SYS_dup3, base + i, i, 0) != i) syscall(SYS_exit_group, 125);
  }
  for (int i = 0; i < nfds; i++) {
    if (fds[i] < 0) syscall(SYS_close, i);
  }
  syscall(SYS_close_range, nfds, ~0U, 0);
  syscall(SYS_execve, path, argv, envp);
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

// spawnConfined(path, argv[], envp[], fds[], detach, dieWithParent, newNet) -> [pid, syncFd] or -errno.
// newNet: a network namespace of its own (loopback only); otherwise the calling thread's.
// The caller writes the child's uid_map/gid_map, then one byte to syncFd and closes it.
static napi_value SpawnConfined(napi_env env, napi_callback_info info) {
  TSV_ARGS(7);
  size_t plen = 0;
  napi_get_value_string_utf8(env, args[0], nullptr, 0, &plen);
  std::string path(plen, '\0');
  napi_get_value_string_utf8(env, args[0], &path[0], plen + 1, &plen);
  std::vector<std::string> argvS = stringArray(env, args[1]);
  std::vector<std::string> envS = stringArray(env, args[2]);
  std::vector<int> fds = intArray(env, args[3]);
  bool detach = false, dieWithParent = false;
  napi_get_value_bool(env, args[4], &detach);
  napi_get_value_bool(env, args[5], &dieWithParent);
  bool newNet = true;
  napi_get_value_bool(env, args[6], &newNet);
  std::vector<char*> argv, envp;
  for (auto& s : argvS) argv.push_back(&s[0]);
  argv.push_back(nullptr);
  for (auto& s : envS) envp.push_back(&s[0]);
  envp.push_back(nullptr);
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return num(env, -errno);
  const long flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                     (newNet ? CLONE_NEWNET : 0) | CLONE_NEWCGROUP | SIGCHLD;
  long pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid == 0) {
    syscall(SYS_close, sync[1]);
    confinedChild(sync[0], path.c_str(), argv.data(), envp.data(), fds.data(), static_cast<int>(fds.size()),
                  detach, dieWithParent, newNet);
  }
  int err = errno;
  close(sync[0]);
  if (pid < 0) {
    close(sync[1]);
    return num(env, -err);
  }
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, static_cast<double>(pid)));
  napi_set_element(env, arr, 1, num(env, sync[1]));
  return arr;
}

// The new root: an empty tmpfs over /proc (a directory every host has; covering it in
// this private namespace hides the host's /proc from us, which is the point). Made once,
// by the first stageDirFd or by confineSelf. Only ever in a sandbox process made by
// spawnConfined (the init of a fresh pid namespace): run anywhere else, this would
// rearrange the caller's own mounts.
static bool gNewRoot = false;
static int gStaged = 0;
static int newRoot() {
  if (gNewRoot) return 0;
  if (getpid() != 1) return -EPERM;
  // Nothing we do to mounts from here on may reach the host's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return -errno;
  if (mount("tsvisor", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755") != 0) return -errno;
  gNewRoot = true;
  return 0;
}

// stageDirFd(fd, readOnly, file) -> 0 or -errno. fd (a directory the sentry holds) is
// replaced, at the same number, by the same directory seen through a bind mount of its
// own in the new root (a clone of its mount tree, open_tree + move_mount: no host path
// is walked). With file (a name in that directory: a bind mount of one file), the new fd
// is instead a directory of the new root holding only that file, bind-mounted. Once the
// old root is detached, ".." from it stops at the new root, which holds nothing but
// these mounts.
static napi_value StageDirFd(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  int fd = static_cast<int>(argInt(env, args[0]));
  bool ro = false;
  napi_get_value_bool(env, args[1], &ro);
  char file[256] = "";
  napi_valuetype t;
  napi_typeof(env, args[2], &t);
  if (t == napi_string) {
    size_t n = 0;
    napi_get_value_string_latin1(env, args[2], file, sizeof(file), &n);
    if (n == 0 || n >= sizeof(file) - 1 || strchr(file, '/') != nullptr || strcmp(file, ".") == 0 ||
        strcmp(file, "..") == 0)
      return num(env, -EINVAL);
  }
  int r = newRoot();
  if (r < 0) return num(env, r);
  const unsigned kOpenTreeClone = 1, kAtRecursive = 0x8000, kMoveMountFEmptyPath = 0x4;
  long tree = file[0] != 0
      ? syscall(SYS_open_tree, fd, file, kOpenTreeClone | O_CLOEXEC | AT_SYMLINK_NOFOLLOW)
      : syscall(SYS_open_tree, fd, "", kOpenTreeClone | O_CLOEXEC | kAtRecursive | AT_EMPTY_PATH);
  if (tree < 0) return num(env, -errno);
  // The whole clone (mounts below the directory too, such as a host root's /sys):
  // nosuid, nodev (no host device node opens through it), noexec (the sentry executes
  // nothing of the host's), and read-only unless the sandbox writes there.
  struct {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
  } attr = {0x2 | 0x4 | 0x8 | (ro ? 0x1ULL : 0ULL), 0, 0, 0};
  char dir[32], target[300];
  snprintf(dir, sizeof(dir), "/proc/%d", gStaged++);
  snprintf(target, sizeof(target), "%s/%s", dir, file);
  int e = 0;
  if (syscall(SYS_mount_setattr, static_cast<int>(tree), "", AT_EMPTY_PATH | kAtRecursive, &attr, sizeof(attr)) != 0 ||
      mkdir(dir, 0755) != 0) {
    e = errno;
  } else if (file[0] != 0) {
    // A file to mount the file on.
    int f = open(target, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (f < 0) e = errno;
    else close(f);
  }
  if (e == 0 && syscall(SYS_move_mount, static_cast<int>(tree), "", AT_FDCWD, file[0] != 0 ? target : dir,
                        kMoveMountFEmptyPath) != 0)
    e = errno;
  close(static_cast<int>(tree));
  if (e != 0) return num(env, -e);
  int nfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (nfd < 0) return num(env, -errno);
  int d = dup3(nfd, fd, O_CLOEXEC);
  e = errno;
  close(nfd);
  return num(env, d == fd ? 0 : -e);
}

// confineSelf(keepCaps: number (bit mask of capabilities 0..63)) -> 0 or -errno.
// Pivots into the new root (read-only from then on) and drops every capability outside
// keepCaps. The caller is the sandbox process, pid 1 of its namespaces, uid 0 of its
// user namespace; afterwards it reaches files only through the fds it holds.
static napi_value ConfineSelf(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  uint64_t keep = static_cast<uint64_t>(argDouble(env, args[0]));
  int r = newRoot();
  if (r < 0) return num(env, r);
  if (chdir("/proc") != 0) return num(env, -errno);
  // pivot_root(".", "."): the old root ends up mounted on top of the new one, at "/".
  if (syscall(SYS_pivot_root, ".", ".") != 0) return num(env, -errno);
  if (umount2(".", MNT_DETACH) != 0) return num(env, -errno);
  if (chdir("/") != 0) return num(env, -errno);
  if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    return num(env, -errno);
  // Capabilities: the bounding set first (dropping needs CAP_SETPCAP, which goes last).
  int last = CAP_LAST_CAP;
  for (int c = 0; c <= last; c++) {
    if ((keep >> c) & 1) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) return num(env, -errno);
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(keep);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(keep >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0) return num(env, -errno);
  return num(env, 0);
}

// The SIGSYS handler for calls the allow-list refuses: say which (once per number),
// and make the call fail with ENOSYS instead of ending the sandbox.
static std::atomic<uint64_t> gReported[8];
static void onSigsys(int, siginfo_t* si, void* uctx) {
  int nr = si->si_syscall;
  auto* uc = static_cast<ucontext_t*>(uctx);
  uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
  if (nr < 0 || nr >= 512) return;
  uint64_t bit = 1ULL << (nr % 64);
  if (gReported[nr / 64].fetch_or(bit) & bit) return;
  char msg[96] = "tsvisor: sentry: host syscall ";
  size_t n = strlen(msg);
  char digits[8];
  int d = 0;
  do {
    digits[d++] = static_cast<char>('0' + nr % 10);
    nr /= 10;
  } while (nr > 0 && d < 7);
  while (d > 0) msg[n++] = digits[--d];
  const char tail[] = " refused by the sandbox's seccomp filter (ENOSYS)\n";
  memcpy(msg + n, tail, sizeof(tail) - 1);
  n += sizeof(tail) - 1;
  syscall(SYS_write, 2, msg, n);
}

// installFilter(program: Uint8Array of struct sock_filter) -> 0 or -errno. All threads.
static napi_value InstallFilter(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  Bytes b = argBytes(env, args[0]);
  struct sigaction sa = {};
  sa.sa_sigaction = onSigsys;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSYS, &sa, nullptr) != 0) return num(env, -errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return num(env, -errno);
  struct sock_fprog prog = {static_cast<unsigned short>(b.len / sizeof(struct sock_filter)),
                            reinterpret_cast<struct sock_filter*>(b.data)};
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
  if (r != 0) return num(env, r > 0 ? -EBUSY : -errno);
  return num(env, 0);
}

// ---- the foreground parent -------------------------------------------------------------

static std::atomic<uint64_t> gPendingSigs{0};
static std::atomic<uint64_t> gTtySigs{0};
// The thread blocked in waitpid. A process-directed signal may be handled by any of
// node's threads; only an interrupted waitpid notices it, so another thread hands it on.
static std::atomic<long> gWaitTid{0};
static void onParentSignal(int sig, siginfo_t* si, void*) {
  gPendingSigs.fetch_or(1ULL << (sig - 1));
  // A terminal's signal (^C, ^\, ^Z, a resize) reaches the whole foreground group, the
  // sandbox process too: it must not be passed on a second time.
  if (si->si_code == SI_KERNEL) gTtySigs.fetch_or(1ULL << (sig - 1));
  long waiter = gWaitTid.load();
  if (waiter != 0 && waiter != syscall(SYS_gettid)) syscall(SYS_tgkill, getpid(), waiter, sig);
}

// Whether pid has a handler for sig (its SigCgt in /proc/PID/status).
static bool catches(int pid, int sig) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  const char* p = strstr(buf, "SigCgt:");
  if (p == nullptr) return false;
  uint64_t mask = strtoull(p + 7, nullptr, 16);
  return (mask >> (sig - 1)) & 1;
}

// waitConfined(pid) -> the child's wait status. Blocks. Signals this process gets are
// passed on: to the child when it handles them (it is the init of its pid namespace,
// so the kernel drops signals it does not handle); otherwise, as the sandbox process
// would have died of a signal it does not handle, the child is killed and this process
// dies of the same signal.
static napi_value WaitConfined(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int pid = static_cast<int>(argInt(env, args[0]));
  bool forward = false;
  napi_get_value_bool(env, args[1], &forward);
  struct sigaction sa = {};
  sa.sa_sigaction = onParentSignal;
  sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: the wait returns EINTR
  sigemptyset(&sa.sa_mask);
  sigset_t handled;
  sigemptyset(&handled);
  for (int s = 1; s < 32; s++) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGSEGV || s == SIGBUS || s == SIGFPE || s == SIGILL ||
        s == SIGSYS || s == SIGTRAP)
      continue;
    sigaction(s, &sa, nullptr);
    sigaddset(&handled, s);
  }
  // This thread takes the signals only inside ppoll (which unblocks them atomically), so
  // one that comes between two waits is not lost: it stays pending until the next.
  pthread_sigmask(SIG_SETMASK, &handled, nullptr);
  sigset_t none;
  sigemptyset(&none);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  // Without pidfds (Linux < 5.3) a blocking waitpid with the signals open is the wait.
  if (pidfd < 0) pthread_sigmask(SIG_SETMASK, &none, nullptr);
  gWaitTid.store(syscall(SYS_gettid));
  int status = 0;
  for (;;) {
    int r = waitpid(pid, &status, pidfd >= 0 ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      int e = errno;
      gWaitTid.store(0);
      if (pidfd >= 0) close(pidfd);
      pthread_sigmask(SIG_SETMASK, &none, nullptr);
      return num(env, -e);
    }
    if (r == 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      ppoll(&p, 1, nullptr, &none);
    }
    uint64_t pend = gPendingSigs.exchange(0);
    uint64_t tty = gTtySigs.exchange(0);
    for (int s = 1; s < 32; s++) {
      if (!((pend >> (s - 1)) & 1)) continue;
      bool fromTty = (tty >> (s - 1)) & 1;
      // A terminal's signal reached the sandbox process too, which handles it (its
      // console). Any other is passed on only for `run` (the sentry hands it to the
      // container's init); `do` ends as below, as a plain command would.
      if (catches(pid, s)) {
        if (fromTty) continue;
        if (forward) {
          kill(pid, s);
          continue;
        }
      }
      // Signals whose default is to be ignored or to stop: nothing to do.
      if (s == SIGCONT || s == SIGWINCH || s == SIGURG || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU) continue;
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      signal(s, SIG_DFL);
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, s);
      pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
      kill(getpid(), s);
      _exit(128 + s);
    }
  }
  if (pidfd >= 0) close(pidfd);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  gWaitTid.store(0);
  return num(env, status);
}

// pipePair() -> [read end, write end] (both close-on-exec) or -errno.
static napi_value PipePair(napi_env env, napi_callback_info info) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return num(env, -errno);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, p[0]));
  napi_set_element(env, arr, 1, num(env, p[1]));
  return arr;
}

// waitPid(pid) -> its wait status (blocking), or -errno.
static napi_value WaitPid(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  int status = 0;
  int r;
  do {
    r = waitpid(static_cast<int>(argInt(env, args[0])), &status, 0);
  } while (r < 0 && errno == EINTR);
  return num(env, r < 0 ? -errno : status);
}

void initConfine(napi_env env, napi_value exports) {
  registerFn(env, exports, "pipePair", PipePair);
  registerFn(env, exports, "waitPid", WaitPid);
  registerFn(env, exports, "spawnConfined", SpawnConfined);
  registerFn(env, exports, "stageDirFd", StageDirFd);
  registerFn(env, exports, "confineSelf", ConfineSelf);
  registerFn(env, exports, "installFilter", InstallFilter);
  registerFn(env, exports, "waitConfined", WaitConfined);
}

}  // namespace tsv
