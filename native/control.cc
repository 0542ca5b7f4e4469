// Unix-domain sockets for the runtime's control channel (the sandbox process's socket
// file in the state directory) with SCM_RIGHTS fd passing. Never used for app sockets:
// those live inside the sentry.
#include "common.h"

#include <fcntl.h>
#include <termios.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace tsv {

// Linux's SCM_MAX_FD: the most one message can carry (exec sends its stdio and every
// --preserve-fds fd in one request).
static const int kMaxFds = 253;

// ---- the sandbox process's control server --------------------------------------------
//
// The sentry's JS thread sits in waitEvent (waitpid or epoll) and must not pay for
// watching the control socket on every app syscall. So one small thread of our own
// accepts connections and reads each request line (with the fds sent along), queues
// it, sets gCtlPending and interrupts the JS thread with a signal whose handler does
// nothing (installed without SA_RESTART, so waitpid/epoll return EINTR). waitEvent then
// reports a control event; the JS side takes the queued requests and answers on the
// connections itself. The signal is repeated every 20 ms while requests wait, which
// covers one landing just before the JS thread blocks.

std::atomic<int> gCtlPending{0};
static std::mutex gCtlMu;
struct CtlItem {
  int conn;
  std::string req;
  std::vector<int> fds;
};
static std::deque<CtlItem> gCtlQueue;
static pthread_t gCtlMain;
static int gCtlListen = -1;
static const size_t kMaxRequest = 1 << 20;

static void onCtlSignal(int) {}

static int ctlSignal() { return SIGRTMIN + 6; }

// Reads one newline-terminated request (and its fds) from a fresh connection.
static bool readRequest(int c, CtlItem* it) {
  char buf[65536];
  char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  while (it->req.size() < kMaxRequest) {
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr m = {};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof(ctl);
    ssize_t r = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    for (struct cmsghdr* h = CMSG_FIRSTHDR(&m); h != nullptr; h = CMSG_NXTHDR(&m, h)) {
      if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
      int n = static_cast<int>((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < n; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
        it->fds.push_back(fd);
      }
    }
    it->req.append(buf, static_cast<size_t>(r));
    if (it->req.find('\n') != std::string::npos) return true;
  }
  return false;
}

static void* ctlThread(void*) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  for (;;) {
    int c = accept4(gCtlListen, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
      if (errno == EBADF || errno == EINVAL) return nullptr;
      usleep(10000);
      continue;
    }
    // A client that connects and says nothing must not hold the server.
    struct timeval tv = {5, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    CtlItem it;
    it.conn = c;
    if (!readRequest(c, &it)) {
      for (int fd : it.fds) close(fd);
      close(c);
      continue;
    }
    {
      std::lock_guard<std::mutex> g(gCtlMu);
      gCtlQueue.push_back(std::move(it));
      gCtlPending.store(1);
    }
    while (gCtlPending.load() != 0) {
      pthread_kill(gCtlMain, ctlSignal());
      usleep(20000);
    }
  }
}

// ctlServe(listenFd) -> 0 / -errno: starts the control thread on a listening socket
// (made blocking here); the calling thread is the one interrupted.
static napi_value CtlServe(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  if (gCtlListen >= 0) return num(env, -EBUSY);
  int fd = static_cast<int>(argInt(env, args[0]));
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) return num(env, -errno);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = onCtlSignal;
  sa.sa_flags = 0;  // no SA_RESTART: the wait must return EINTR
  if (sigaction(ctlSignal(), &sa, nullptr) < 0) return num(env, -errno);
  gCtlMain = pthread_self();
  gCtlListen = fd;
  pthread_t th;
  int r = pthread_create(&th, nullptr, ctlThread, nullptr);
  if (r != 0) {
    gCtlListen = -1;
    return num(env, -r);
  }
  pthread_detach(th);
  return num(env, 0);
}

// ctlTake(buf, meta: Int32Array(2 + kMaxFds)) -> request length, or -1 when the queue is
// empty (which also clears the pending flag); meta[0] = connection fd, meta[1] = fd
// count, fds from meta[2]. A request longer than buf is refused (-E2BIG, connection closed).
static napi_value CtlTake(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  Bytes b = argBytes(env, args[0]);
  Bytes m = argBytes(env, args[1]);
  if (m.len < sizeof(int) * (2 + kMaxFds)) return num(env, -EINVAL);
  CtlItem it;
  {
    std::lock_guard<std::mutex> g(gCtlMu);
    if (gCtlQueue.empty()) {
      gCtlPending.store(0);
      return num(env, -1);
    }
    it = std::move(gCtlQueue.front());
    gCtlQueue.pop_front();
  }
  if (it.req.size() > b.len || it.fds.size() > static_cast<size_t>(kMaxFds)) {
    for (int fd : it.fds) close(fd);
    close(it.conn);
    return num(env, -E2BIG);
  }
  int* meta = reinterpret_cast<int*>(m.data);
  meta[0] = it.conn;
  meta[1] = static_cast<int>(it.fds.size());
  for (size_t i = 0; i < it.fds.size(); i++) meta[2 + i] = it.fds[i];
  memcpy(b.data, it.req.data(), it.req.size());
  return num(env, static_cast<double>(it.req.size()));
}


static bool makeAddr(napi_env env, napi_value v, struct sockaddr_un* a) {
  memset(a, 0, sizeof(*a));
  a->sun_family = AF_UNIX;
  size_t n = argPath(env, v, a->sun_path, sizeof(a->sun_path));
  return n > 0 && n < sizeof(a->sun_path) - 1;
}

// unixListen(path) -> listening fd (non-blocking, close-on-exec) / -errno
static napi_value UnixListen(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  struct sockaddr_un a;
  if (!makeAddr(env, args[0], &a)) return num(env, -ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return num(env, -errno);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&a), sizeof(a)) < 0 || listen(fd, 16) < 0) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  return num(env, fd);
}

// unixConnect(path) -> connected fd (blocking, close-on-exec) / -errno
static napi_value UnixConnect(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  struct sockaddr_un a;
  if (!makeAddr(env, args[0], &a)) return num(env, -ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  if (connect(fd, reinterpret_cast<struct sockaddr*>(&a), sizeof(a)) < 0) {
    int e = errno;
    close(fd);
    return num(env, -e);
  }
  return num(env, fd);
}

// unixAccept(fd) -> connection fd (non-blocking, close-on-exec) / -errno
static napi_value UnixAccept(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  return sysret(env, accept4(static_cast<int>(argInt(env, args[0])), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
}

// sendFds(fd, buf, len, fds: Int32Array, nfds) -> bytes / -errno
static napi_value SendFds(napi_env env, napi_callback_info info) {
  TSV_ARGS(5);
  Bytes b = argBytes(env, args[1]);
  size_t len = static_cast<size_t>(argInt(env, args[2]));
  if (len > b.len) return num(env, -EFAULT);
  Bytes f = argBytes(env, args[3]);
  int nfds = static_cast<int>(argInt(env, args[4]));
  if (nfds < 0 || nfds > kMaxFds || static_cast<size_t>(nfds) * sizeof(int) > f.len) return num(env, -EINVAL);
  struct iovec iov = {b.data, len};
  char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  memset(ctl, 0, sizeof(ctl));
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (nfds > 0) {
    m.msg_control = ctl;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), f.data, sizeof(int) * nfds);
  }
  return sysret(env, sendmsg(static_cast<int>(argInt(env, args[0])), &m, MSG_NOSIGNAL));
}

// recvFds(fd, buf, fdsOut: Int32Array) -> bytes / -errno; fdsOut[0] = count, fds from [1]
// (received fds are close-on-exec).
static napi_value RecvFds(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  Bytes b = argBytes(env, args[1]);
  Bytes f = argBytes(env, args[2]);
  if (f.len < sizeof(int) * (kMaxFds + 1)) return num(env, -EINVAL);
  int* out = reinterpret_cast<int*>(f.data);
  out[0] = 0;
  struct iovec iov = {b.data, b.len};
  char ctl[CMSG_SPACE(sizeof(int) * kMaxFds)];
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof(ctl);
  ssize_t r = recvmsg(static_cast<int>(argInt(env, args[0])), &m, MSG_CMSG_CLOEXEC);
  if (r < 0) return num(env, -errno);
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int n = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (out[0] < kMaxFds) out[1 + out[0]++] = fd;
      else close(fd);
    }
  }
  return num(env, static_cast<double>(r));
}

// openPty(rows, cols, out: Int32Array(2)) -> 0 / -errno: a host pseudo-terminal for a
// container with process.terminal (its master goes to the caller's console socket, its
// slave is the container's stdio). Both ends are close-on-exec; the slave has O_NOCTTY.
static napi_value OpenPty(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  Bytes out = argBytes(env, args[2]);
  if (out.len < 2 * sizeof(int)) return num(env, -EINVAL);
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return num(env, -errno);
  char name[128];
  if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name)) != 0) {
    int e = errno;
    close(m);
    return num(env, -e);
  }
  int sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (sl < 0) {
    int e = errno;
    close(m);
    return num(env, -e);
  }
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(argInt(env, args[0]));
  ws.ws_col = static_cast<unsigned short>(argInt(env, args[1]));
  if (ws.ws_row != 0 || ws.ws_col != 0) ioctl(m, TIOCSWINSZ, &ws);
  int* o = reinterpret_cast<int*>(out.data);
  o[0] = m;
  o[1] = sl;
  return num(env, 0);
}

void initControl(napi_env env, napi_value exports) {
  registerFn(env, exports, "openPty", OpenPty);
  registerFn(env, exports, "unixListen", UnixListen);
  registerFn(env, exports, "unixConnect", UnixConnect);
  registerFn(env, exports, "unixAccept", UnixAccept);
  registerFn(env, exports, "sendFds", SendFds);
  registerFn(env, exports, "recvFds", RecvFds);
  registerFn(env, exports, "ctlServe", CtlServe);
  registerFn(env, exports, "ctlTake", CtlTake);
}

}  // namespace tsv
