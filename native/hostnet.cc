// Host sockets for the app's inet sockets (src/net/inet): the sentry owns one host
// socket per app socket, always non-blocking and close-on-exec, in the sandbox
// process's network namespace. Addresses, options and ioctl arguments arrive here as
// bytes the sentry has already copied out of app memory and checked against its
// allow-lists; these functions add no policy of their own beyond buffer sizes and the
// flags the sentry always sets. Plus netnsEnter/netnsLeave, which let a runtime command
// start the sandbox process in a network namespace it names (linux.namespaces' path).
#include "common.h"

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tsv {

// Address buffers: sockaddr_storage (128 bytes) then its length as an int32 at 128.
static const size_t kAddrBuf = 132;
static const size_t kAddrMax = 128;
// The largest option value the sentry passes (TCP_INFO is about 240 bytes).
static const size_t kOptMax = 512;

static void putAddrLen(uint8_t* buf, socklen_t len) {
  int32_t l = static_cast<int32_t>(len);
  memcpy(buf + kAddrMax, &l, sizeof(l));
}

// netSocket(domain, type, protocol) -> fd / -errno. Non-blocking and close-on-exec always.
static napi_value NetSocket(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  int type = static_cast<int>(argInt(env, args[1])) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  return sysret(env, socket(static_cast<int>(argInt(env, args[0])), type, static_cast<int>(argInt(env, args[2]))));
}

// netAddrCall(op, fd, addr, len) -> 0 / -errno. op 0: bind, 1: connect.
static napi_value NetAddrCall(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  Bytes a = argBytes(env, args[2]);
  size_t len = static_cast<size_t>(argInt(env, args[3]));
  if (len > kAddrMax || len > a.len) return num(env, -EINVAL);
  int fd = static_cast<int>(argInt(env, args[1]));
  const struct sockaddr* sa = reinterpret_cast<const struct sockaddr*>(a.data);
  long r = argInt(env, args[0]) == 0 ? bind(fd, sa, static_cast<socklen_t>(len))
                                     : connect(fd, sa, static_cast<socklen_t>(len));
  return sysret(env, r);
}

// netListen(fd, backlog), netShutdown(fd, how) -> 0 / -errno
static napi_value NetListen(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  return sysret(env, listen(static_cast<int>(argInt(env, args[0])), static_cast<int>(argInt(env, args[1]))));
}

static napi_value NetShutdown(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  return sysret(env, shutdown(static_cast<int>(argInt(env, args[0])), static_cast<int>(argInt(env, args[1]))));
}

// netAccept(fd, addrOut(132)) -> new fd / -errno; the peer's address and its length in addrOut.
static napi_value NetAccept(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  Bytes a = argBytes(env, args[1]);
  if (a.len < kAddrBuf) return num(env, -EINVAL);
  socklen_t len = kAddrMax;
  int r = accept4(static_cast<int>(argInt(env, args[0])), reinterpret_cast<struct sockaddr*>(a.data), &len,
                  SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (r < 0) return num(env, -errno);
  putAddrLen(a.data, len);
  return num(env, r);
}

// netName(fd, peer, addrOut(132)) -> 0 / -errno: getpeername (peer) or getsockname.
static napi_value NetName(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  Bytes a = argBytes(env, args[2]);
  if (a.len < kAddrBuf) return num(env, -EINVAL);
  socklen_t len = kAddrMax;
  int fd = static_cast<int>(argInt(env, args[0]));
  struct sockaddr* sa = reinterpret_cast<struct sockaddr*>(a.data);
  int r = argInt(env, args[1]) != 0 ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len);
  if (r < 0) return num(env, -errno);
  putAddrLen(a.data, len);
  return num(env, 0);
}

// netSendmsg(fd, buf, off, len, flags, addr, addrLen, ctl, ctlLen) -> bytes / -errno.
// Never blocks and never raises SIGPIPE on the sentry (the sentry signals the app).
static napi_value NetSendmsg(napi_env env, napi_callback_info info) {
  TSV_ARGS(9);
  Bytes b = argBytes(env, args[1]);
  size_t off = static_cast<size_t>(argInt(env, args[2])), len = static_cast<size_t>(argInt(env, args[3]));
  if (off > b.len || len > b.len - off) return num(env, -EFAULT);
  Bytes a = argBytes(env, args[5]);
  size_t alen = static_cast<size_t>(argInt(env, args[6]));
  Bytes c = argBytes(env, args[7]);
  size_t clen = static_cast<size_t>(argInt(env, args[8]));
  if (alen > kAddrMax || alen > a.len || clen > c.len) return num(env, -EINVAL);
  struct iovec v = {b.data + off, len};
  struct msghdr m = {};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  if (alen > 0) {
    m.msg_name = a.data;
    m.msg_namelen = static_cast<socklen_t>(alen);
  }
  if (clen > 0) {
    m.msg_control = c.data;
    m.msg_controllen = clen;
  }
  int flags = static_cast<int>(argInt(env, args[4])) | MSG_DONTWAIT | MSG_NOSIGNAL;
  return sysret(env, sendmsg(static_cast<int>(argInt(env, args[0])), &m, flags));
}

// netRecvmsg(fd, buf, off, len, flags, addrOut(132), ctl, ctlLen, out Int32Array[2]) -> bytes / -errno.
// out[0]: msg_flags, out[1]: control bytes written. Never blocks.
static napi_value NetRecvmsg(napi_env env, napi_callback_info info) {
  TSV_ARGS(9);
  Bytes b = argBytes(env, args[1]);
  size_t off = static_cast<size_t>(argInt(env, args[2])), len = static_cast<size_t>(argInt(env, args[3]));
  if (off > b.len || len > b.len - off) return num(env, -EFAULT);
  Bytes a = argBytes(env, args[5]);
  Bytes c = argBytes(env, args[6]);
  size_t clen = static_cast<size_t>(argInt(env, args[7]));
  Bytes o = argBytes(env, args[8]);
  if (a.len < kAddrBuf || clen > c.len || o.len < 8) return num(env, -EINVAL);
  struct iovec v = {b.data + off, len};
  struct msghdr m = {};
  m.msg_iov = &v;
  m.msg_iovlen = 1;
  m.msg_name = a.data;
  m.msg_namelen = kAddrMax;
  if (clen > 0) {
    m.msg_control = c.data;
    m.msg_controllen = clen;
  }
  // No MSG_CMSG_CLOEXEC needed: inet sockets never carry SCM_RIGHTS.
  int flags = static_cast<int>(argInt(env, args[4])) | MSG_DONTWAIT;
  ssize_t r = recvmsg(static_cast<int>(argInt(env, args[0])), &m, flags);
  if (r < 0) return num(env, -errno);
  putAddrLen(a.data, m.msg_namelen);
  int32_t out[2] = {m.msg_flags, static_cast<int32_t>(m.msg_controllen)};
  memcpy(o.data, out, sizeof(out));
  return num(env, static_cast<double>(r));
}

// netSockopt(set, fd, level, name, buf, len) -> set: 0 / -errno; get: value length / -errno.
static napi_value NetSockopt(napi_env env, napi_callback_info info) {
  TSV_ARGS(6);
  Bytes b = argBytes(env, args[4]);
  size_t len = static_cast<size_t>(argInt(env, args[5]));
  if (len > kOptMax || len > b.len) return num(env, -EINVAL);
  int fd = static_cast<int>(argInt(env, args[1]));
  int level = static_cast<int>(argInt(env, args[2])), name = static_cast<int>(argInt(env, args[3]));
  if (argInt(env, args[0]) != 0) return sysret(env, setsockopt(fd, level, name, b.data, static_cast<socklen_t>(len)));
  socklen_t l = static_cast<socklen_t>(len);
  if (getsockopt(fd, level, name, b.data, &l) < 0) return num(env, -errno);
  return num(env, l);
}

// netIoctl(fd, req, buf) -> result / -errno: the socket ioctls the sentry passes on.
static napi_value NetIoctl(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  unsigned long req = static_cast<unsigned long>(argInt(env, args[1]));
  Bytes b = argBytes(env, args[2]);
  size_t need = 0;
  switch (req) {
    case FIONREAD: case TIOCOUTQ: case SIOCATMARK: need = sizeof(int); break;
    case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCGIFADDR: case SIOCGIFBRDADDR: case SIOCGIFNETMASK:
    case SIOCGIFMTU: case SIOCGIFHWADDR: case SIOCGIFINDEX: case SIOCGIFDSTADDR: case SIOCGIFTXQLEN:
      need = sizeof(struct ifreq);
      break;
    default: return num(env, -ENOTTY);
  }
  if (b.len < need) return num(env, -EFAULT);
  return sysret(env, ioctl(static_cast<int>(argInt(env, args[0])), req, b.data));
}

// netIfconf(fd, buf, len) -> bytes the host filled in (or, with len 0, would fill) / -errno.
static napi_value NetIfconf(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  Bytes b = argBytes(env, args[1]);
  size_t len = static_cast<size_t>(argInt(env, args[2]));
  if (len > b.len) return num(env, -EINVAL);
  struct ifconf ic = {};
  ic.ifc_len = static_cast<int>(len);
  ic.ifc_buf = len > 0 ? reinterpret_cast<char*>(b.data) : nullptr;
  if (ioctl(static_cast<int>(argInt(env, args[0])), SIOCGIFCONF, &ic) < 0) return num(env, -errno);
  return num(env, ic.ifc_len);
}

// netnsEnter(fd) -> an fd of the calling thread's previous network namespace / -errno.
// Network namespaces are per thread: only this thread moves, and a clone made from it
// starts in the new one.
static napi_value NetnsEnter(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  int old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (old < 0) return num(env, -errno);
  if (setns(static_cast<int>(argInt(env, args[0])), CLONE_NEWNET) != 0) {
    int e = errno;
    close(old);
    return num(env, -e);
  }
  return num(env, old);
}

// netnsLeave(oldFd) -> 0 / -errno: back to the namespace netnsEnter saved (and closes it).
static napi_value NetnsLeave(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  int fd = static_cast<int>(argInt(env, args[0]));
  long r = setns(fd, CLONE_NEWNET);
  int e = errno;
  close(fd);
  return num(env, r == 0 ? 0 : -e);
}

void initHostnet(napi_env env, napi_value exports) {
  registerFn(env, exports, "netSocket", NetSocket);
  registerFn(env, exports, "netAddrCall", NetAddrCall);
  registerFn(env, exports, "netListen", NetListen);
  registerFn(env, exports, "netShutdown", NetShutdown);
  registerFn(env, exports, "netAccept", NetAccept);
  registerFn(env, exports, "netName", NetName);
  registerFn(env, exports, "netSendmsg", NetSendmsg);
  registerFn(env, exports, "netRecvmsg", NetRecvmsg);
  registerFn(env, exports, "netSockopt", NetSockopt);
  registerFn(env, exports, "netIoctl", NetIoctl);
  registerFn(env, exports, "netIfconf", NetIfconf);
  registerFn(env, exports, "netnsEnter", NetnsEnter);
  registerFn(env, exports, "netnsLeave", NetnsLeave);
}

}  // namespace tsv
