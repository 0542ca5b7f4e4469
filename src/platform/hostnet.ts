// Host sockets behind the app's inet sockets (src/net/host): thin typed wrappers over
// native/hostnet.cc. Every call returns >= 0 or -errno and never throws or blocks; the
// sentry decides what may reach here (src/net/host/policy.ts).
import { native } from './native';

/** An address buffer: sockaddr_storage (128 bytes), then its length as an int32 at 128. */
export const ADDR_BUF = 132;
export const ADDR_MAX = 128;
/** The largest option value passed to the host. */
export const OPT_MAX = 512;

/** socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol). */
export function netSocket(domain: number, type: number, protocol: number): number {
  return native.netSocket(domain, type, protocol);
}

export function netBind(fd: number, addr: Uint8Array, len: number): number {
  return native.netAddrCall(0, fd, addr, len);
}

/** A non-blocking connect: EINPROGRESS while a stream connection is under way. */
export function netConnect(fd: number, addr: Uint8Array, len: number): number {
  return native.netAddrCall(1, fd, addr, len);
}

export function netListen(fd: number, backlog: number): number {
  return native.netListen(fd, backlog);
}

export function netShutdown(fd: number, how: number): number {
  return native.netShutdown(fd, how);
}

/** accept4 (non-blocking, close-on-exec): the new fd; the peer's address in addrOut. */
export function netAccept(fd: number, addrOut: Uint8Array): number {
  return native.netAccept(fd, addrOut);
}

/** getsockname (peer false) or getpeername (peer true) into addrOut. */
export function netName(fd: number, peer: boolean, addrOut: Uint8Array): number {
  return native.netName(fd, peer ? 1 : 0, addrOut);
}

/** sendmsg of buf[off, off+len) with MSG_DONTWAIT | MSG_NOSIGNAL; addrLen/ctlLen 0 for none. */
export function netSendmsg(fd: number, buf: Uint8Array, off: number, len: number, flags: number, addr: Uint8Array,
  addrLen: number, ctl: Uint8Array, ctlLen: number): number {
  return native.netSendmsg(fd, buf, off, len, flags, addr, addrLen, ctl, ctlLen);
}

/** recvmsg with MSG_DONTWAIT; out[0] msg_flags, out[1] control length; the source in addrOut. */
export function netRecvmsg(fd: number, buf: Uint8Array, off: number, len: number, flags: number, addrOut: Uint8Array,
  ctl: Uint8Array, ctlLen: number, out: Int32Array): number {
  return native.netRecvmsg(fd, buf, off, len, flags, addrOut, ctl, ctlLen, out);
}

export function netSetsockopt(fd: number, level: number, name: number, buf: Uint8Array, len: number): number {
  return native.netSockopt(1, fd, level, name, buf, len);
}

/** getsockopt: the value's length, or -errno. */
export function netGetsockopt(fd: number, level: number, name: number, buf: Uint8Array, len: number): number {
  return native.netSockopt(0, fd, level, name, buf, len);
}

/** The socket ioctls native/hostnet.cc lists (queue sizes, interface queries). */
export function netIoctl(fd: number, req: number, buf: Uint8Array): number {
  return native.netIoctl(fd, req, buf);
}

/** SIOCGIFCONF into buf[0, len): bytes filled (len 0: bytes needed). */
export function netIfconf(fd: number, buf: Uint8Array, len: number): number {
  return native.netIfconf(fd, buf, len);
}
