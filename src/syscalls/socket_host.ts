// The socket syscalls on host sockets (src/net/host: inet, and read-only NETLINK_ROUTE):
// socket.ts checks the fd and the common arguments, then hands the call here. This file
// moves bytes between app memory and the host socket: addresses (copied, length-checked,
// passed as they are: the host and the app share the x86-64 Linux ABI), data through the
// sentry's staging buffer (netlink requests checked there, in the sentry's copy), control
// messages (IP-level ones; SCM_RIGHTS and SCM_CREDENTIALS are dropped, as Linux ignores
// them on these sockets), and options through policy.ts's list.
import * as E from '../abi/errno';
import { CAP_NET_ADMIN, CAP_NET_BIND_SERVICE } from '../auth/creds';
import type { Task } from '../kernel/task';
import {
  AF_INET, AF_INET6, CONNECTING, HostSocket, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL,
  SOCK_DGRAM, SOCK_STREAM, STAGE, fromBuf, newHostSocket, recvInfo, stage, startDeadline,
} from '../net/host/socket';
import {
  SOL_SOCKET, SO_LINGER, SO_RCVBUF,
  SO_RCVBUFFORCE, SO_RCVTIMEO_NEW, SO_RCVTIMEO_OLD, SO_SNDBUF, SO_SNDBUFFORCE, SO_SNDTIMEO_NEW, SO_SNDTIMEO_OLD,
  optRule,
} from '../net/host/policy';
import { AF_NETLINK, NETLINK_ROUTE, kernelDestination, readOnlyRequests } from '../net/host/netlink';
import type { UserBuffers } from '../net/unix/queue';
import { hostPollOne } from '../platform/hostfile';
import {
  ADDR_BUF, ADDR_MAX, netAccept, netBind, netConnect, netGetsockopt, netListen, netName,
  netSetsockopt, netShutdown, netSocket,
} from '../platform/hostnet';
import { O_CLOEXEC, O_NONBLOCK } from '../vfs/abi';
import { vfsHooks } from '../vfs/hooks';
import { EVENT_ERR, EVENT_HUP, EVENT_OUT } from '../waiter/waiter';
import { putTimeval, readTimeo } from './sock_timeo';
import { BLOCKED } from './types';
import { readI32, scratch } from './util';

const SOCK_RAW = 3;
const AF_UNSPEC = 0;
const IPPROTO_ICMP = 1, IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_ICMPV6 = 58;
const TWO32 = 4294967296;
/** The largest control buffer passed either way (Linux's optmem_max is 128 KiB; IP-level messages are small). */
const CTL_MAX = 65536;

const addrBuf = Buffer.alloc(ADDR_BUF);
const nameBuf = Buffer.alloc(ADDR_BUF);
const ctlBuf = Buffer.alloc(CTL_MAX);
const ctlIn = Buffer.alloc(CTL_MAX);
const SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const SO_PEERCRED = 17;
const optBuf = Buffer.alloc(512);

/** socket(AF_INET/AF_INET6, type, protocol): type and flags already checked by socket.ts. */
export function createHostSocket(t: Task, domain: number, type: number, protocol: number): number {
  const kind = type & 0xf;
  if (domain === AF_NETLINK) {
    if (kind !== SOCK_RAW && kind !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
    if (protocol !== NETLINK_ROUTE) return -E.EPROTONOSUPPORT;
  } else {
    // Raw and packet access would need CAP_NET_RAW on the host, which the sandbox never has.
    if (kind === SOCK_RAW) return -E.EPERM;
    if (kind !== SOCK_STREAM && kind !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
    // TCP, UDP and ICMP echo only: another protocol (SCTP, MPTCP, UDP-Lite, ...) would
    // reach more of the host kernel, or make it load a module.
    const icmp = domain === AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    const ok = kind === SOCK_STREAM ? protocol === 0 || protocol === IPPROTO_TCP
      : protocol === 0 || protocol === IPPROTO_UDP || protocol === icmp;
    if (!ok) return -E.EPROTONOSUPPORT;
  }
  if (t.kernel.hostSockets >= t.kernel.maxHostSockets) return -E.ENFILE;
  if (!t.fdTable.hasFree(0)) return -E.EMFILE;
  const fd = netSocket(domain, kind, protocol);
  if (fd < 0) return fd;
  const s = newHostSocket(t, fd, domain, kind, protocol, type & O_NONBLOCK);
  const n = t.fdTable.install(s, 0, (type & O_CLOEXEC) !== 0);
  if (n < 0) s.decRef();
  return n;
}

/** Copies an address the app passes (move_addr_to_kernel): its length, or -errno. */
function readAddr(t: Task, addr: number, len: number): number {
  if (len < 0 || len > ADDR_MAX) return -E.EINVAL;
  if (len > 0 && t.mm.copyIn(addr, addrBuf, 0, len) < 0) return -E.EFAULT;
  return len;
}

/** move_addr_to_user: min(*lenp, host length) bytes of nameBuf, then the host length in *lenp. */
function putAddr(t: Task, src: Buffer, addr: number, lenp: number): number {
  const klen = src.readInt32LE(ADDR_MAX);
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  if (l < 0) return -E.EINVAL;
  const n = Math.min(l, klen);
  if (n > 0 && t.mm.copyOut(addr, src, 0, n) < 0) return -E.EFAULT;
  scratch.writeInt32LE(klen, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

export function hostBind(t: Task, s: HostSocket, addr: number, len: number): number {
  const n = readAddr(t, addr, len);
  if (n < 0) return n;
  // Only a task with CAP_NET_BIND_SERVICE (in the sandbox) takes a port below the
  // namespace's ip_unprivileged_port_start, whatever the sandbox process may do itself.
  // An AF_INET socket takes AF_UNSPEC with INADDR_ANY as AF_INET (Linux's inet_bind).
  const fam = n >= 2 ? addrBuf.readUInt16LE(0) : -1;
  const asFamily = fam === AF_UNSPEC && s.family === AF_INET ? AF_INET : fam;
  if (asFamily === s.family && ((asFamily === AF_INET && n >= 16) || (asFamily === AF_INET6 && n >= 24))) {
    const port = addrBuf.readUInt16BE(2);
    if (port !== 0 && port < t.kernel.unprivPortStart && !t.creds.hasCap(CAP_NET_BIND_SERVICE)) return -E.EACCES;
  }
  return netBind(s.fd, addrBuf, n);
}

export function hostListen(s: HostSocket, backlog: number): number {
  return netListen(s.fd, backlog);
}

/** connect(2): a stream connection waits for the handshake unless the socket is non-blocking. */
export function hostConnect(t: Task, s: HostSocket, addr: number, len: number): number {
  if (t.restarting && t.ioProgress === CONNECTING) {
    // Woken: the handshake ended (or the wait did). Connecting again ends it on the host
    // as Linux's own blocking connect does: 0 (now connected) or the error.
    const ev = hostPollOne(s.fd, EVENT_OUT);
    if (ev < 0 || (ev & (EVENT_OUT | EVENT_ERR | EVENT_HUP)) !== 0) {
      t.ioProgress = 0;
      const r = netConnect(s.fd, s.connectingTo, s.connectingTo.length);
      return r === -E.EISCONN ? 0 : r;
    }
    if (t.timedOut) {
      t.ioProgress = 0;
      return -E.EINPROGRESS;
    }
    if (t.interrupted()) {
      t.ioProgress = 0;
      // Restarted (SA_RESTART), the call finds the handshake under way (EALREADY) and
      // waits again, as Linux's does.
      return s.sndtimeo > 0 ? -E.EINTR : -E.ERESTARTSYS;
    }
    return t.blockOnHostFd(s.fd, EVENT_OUT | EVENT_ERR | EVENT_HUP, t.sysDeadline);
  }
  const n = readAddr(t, addr, len);
  if (n < 0) return n;
  if (s.family === AF_NETLINK && !kernelDestination(addrBuf, n)) return -E.EPERM;
  const r = netConnect(s.fd, addrBuf, n);
  // EALREADY on a blocking socket: a connect interrupted by a handler and restarted;
  // Linux's goes on waiting for the same handshake.
  if ((r !== -E.EINPROGRESS && r !== -E.EALREADY) || s.nonblocking) return r;
  if (s.sndtimeo < 0) return r;
  startDeadline(t, s.sndtimeo);
  if (t.interrupted()) return s.sndtimeo > 0 ? -E.EINTR : -E.ERESTARTSYS;
  s.connectingTo = Buffer.from(addrBuf.subarray(0, n)); // kept across the wait (addrBuf is shared)
  t.ioProgress = CONNECTING;
  return t.blockOnHostFd(s.fd, EVENT_OUT | EVENT_ERR | EVENT_HUP, t.sysDeadline);
}

export function hostAccept(t: Task, s: HostSocket, addr: number, lenp: number, flags: number): number {
  if (!t.fdTable.hasFree(0)) return -E.EMFILE;
  if (t.kernel.hostSockets >= t.kernel.maxHostSockets) return -E.ENFILE;
  startDeadline(t, s.rcvtimeo);
  const fd = netAccept(s.fd, nameBuf);
  if (fd === -E.EAGAIN) return s.wouldBlock(t, 0x1 /* EVENT_IN */, false, s.rcvtimeo);
  if (fd < 0) return fd;
  const n = newHostSocket(t, fd, s.family, s.type, s.protocol, flags & O_NONBLOCK);
  if (addr !== 0) {
    const r = putAddr(t, nameBuf, addr, lenp);
    if (r < 0) {
      n.decRef();
      return r;
    }
  }
  const nfd = t.fdTable.install(n, 0, (flags & O_CLOEXEC) !== 0);
  if (nfd < 0) n.decRef();
  return nfd;
}

export function hostShutdown(s: HostSocket, how: number): number {
  return netShutdown(s.fd, how);
}

export function hostName(t: Task, s: HostSocket, peer: boolean, addr: number, lenp: number): number {
  const r = netName(s.fd, peer, nameBuf);
  if (r < 0) return r;
  return putAddr(t, nameBuf, addr, lenp);
}

/**
 * Copies and checks the control messages of a send into ctlBuf. SCM_RIGHTS and
 * SCM_CREDENTIALS mean nothing to an inet socket and Linux ignores them: they are dropped
 * here, so no fd number of the app's ever reaches the host. Other SOL_SOCKET messages
 * are refused (EINVAL, Linux's answer for unknown ones); IP-level ones pass (the host
 * checks them). The length kept, or -errno.
 */
function readControl(t: Task, control: number, len: number): number {
  if (len === 0) return 0;
  if (len > CTL_MAX) return -E.ENOBUFS;
  if (t.mm.copyIn(control, ctlIn, 0, len) < 0) return -E.EFAULT;
  let off = 0, out = 0;
  while (len - off >= 16) {
    const clen = ctlIn.readUInt32LE(off + 4) * TWO32 + ctlIn.readUInt32LE(off);
    if (clen < 16 || clen > len - off) return -E.EINVAL;
    const step = Math.min((clen + 7) & ~7, len - off);
    if (ctlIn.readInt32LE(off + 8) === SOL_SOCKET) {
      const type = ctlIn.readInt32LE(off + 12);
      if (type !== SCM_RIGHTS && type !== SCM_CREDENTIALS) return -E.EINVAL;
    } else {
      ctlIn.copy(ctlBuf, out, off, off + step);
      out += step;
    }
    off += step;
  }
  return out;
}

/**
 * sendto/sendmsg/write on an inet socket: the data in io (io.total bytes), to addr (an
 * app pointer, 0 for none), with control data. A blocking stream send goes on until all
 * is sent, keeping its progress in t.ioProgress across waits.
 */
export function hostSend(t: Task, s: HostSocket, io: UserBuffers, flags: number, addr: number, alen: number,
  control: number, clen: number): number {
  let an = 0;
  if (addr !== 0 && alen !== 0) {
    an = readAddr(t, addr, alen);
    if (an < 0) return an;
    if (s.family === AF_NETLINK && !kernelDestination(addrBuf, an)) return -E.EPERM;
  }
  const cn = readControl(t, control, clen);
  if (cn < 0) return cn;
  const total = io.total;
  if (!t.restarting) t.ioProgress = 0;
  let done = t.ioProgress;
  const stream = s.type === SOCK_STREAM;
  if (!stream && total > STAGE) return -E.EMSGSIZE;
  for (;;) {
    const n = Math.min(total - done, STAGE);
    if (n > 0 && io.gather(done, stage, 0, n) < 0) {
      t.ioProgress = 0;
      return done > 0 ? done : -E.EFAULT;
    }
    // Checked in the sentry's copy: the app's memory may change under the check.
    if (s.family === AF_NETLINK && !readOnlyRequests(stage, n)) return -E.EPERM;
    const r = s.sendChunk(t, stage, 0, n, flags, addrBuf, an, ctlBuf, done === 0 ? cn : 0);
    if (r === BLOCKED) {
      t.ioProgress = done;
      return r;
    }
    if (r < 0) {
      t.ioProgress = 0;
      // EAGAIN, EINTR or a timeout after part of it went out: the count.
      if (done > 0) return done;
      if (r === -E.EPIPE && (flags & MSG_NOSIGNAL) === 0) vfsHooks.brokenPipe(t);
      return r;
    }
    done += r;
    if (!stream || done >= total) break;
    // Part went out: the rest waits for room, unless the caller will not wait.
    if ((flags & MSG_DONTWAIT) !== 0 || s.nonblocking) break;
  }
  t.ioProgress = 0;
  return done;
}

/**
 * recvfrom/recvmsg/read on an inet socket into io. name/namelenp: where the source goes
 * (0: nowhere); control/controllen: the app's control buffer, filled with the host's
 * control messages (recvInfo[1] bytes; recvInfo[0] holds the host's msg_flags).
 * MSG_WAITALL on a stream goes on until io is full, keeping its progress across waits.
 */
export function hostRecv(t: Task, s: HostSocket, io: UserBuffers, flags: number, name: number, namelenp: number,
  control: number, controllen: number): number {
  const cl = control !== 0 ? Math.min(controllen, CTL_MAX) : 0;
  const total = io.total;
  if (!t.restarting) t.ioProgress = 0;
  let done = t.ioProgress;
  const stream = s.type === SOCK_STREAM;
  const waitAll = stream && (flags & (MSG_WAITALL | MSG_PEEK | MSG_DONTWAIT)) === MSG_WAITALL && !s.nonblocking;
  // TCP's MSG_TRUNC discards the bytes and copies none: the host fills nothing, so nothing
  // of the staging buffer (another call's data) may reach the app.
  const discard = stream && (flags & MSG_TRUNC) !== 0;
  let r = 0;
  for (;;) {
    let n = Math.min(total - done, STAGE);
    // A stream's bytes stay queued when they could not be copied, as in Linux: take no
    // more from the host than the app's buffer can hold.
    if (stream && !discard && n > 0) {
      n = io.writable(done, n);
      if (n === 0) {
        t.ioProgress = 0;
        return done > 0 ? done : -E.EFAULT;
      }
    }
    r = s.recvChunk(t, stage, 0, n, flags, ctlBuf, cl);
    if (r === BLOCKED) {
      t.ioProgress = done;
      return r;
    }
    if (r < 0) {
      t.ioProgress = 0;
      return done > 0 ? done : r;
    }
    const got = Math.min(r, n);
    if (got > 0 && !discard && io.scatter(done, stage, 0, got) < 0) {
      t.ioProgress = 0;
      return done > 0 ? done : -E.EFAULT;
    }
    if (!stream) {
      done = r; // with MSG_TRUNC, the datagram's real length
      break;
    }
    done += got;
    if (!waitAll || got === 0 || done >= total) break;
  }
  t.ioProgress = 0;
  if (name !== 0) {
    const e = putAddr(t, fromBuf, name, namelenp);
    if (e < 0) return e;
  }
  const clen = recvInfo[1];
  if (cl > 0 && clen > 0 && t.mm.copyOut(control, ctlBuf, 0, Math.min(clen, cl)) < 0) return -E.EFAULT;
  return done;
}

/** Copies n bytes of optBuf out as an option value: min(*lenp, n) bytes and the length. */
function putOpt(t: Task, val: number, lenp: number, l: number, n: number): number {
  const k = Math.min(l, n);
  if (k > 0 && t.mm.copyOut(val, optBuf, 0, k) < 0) return -E.EFAULT;
  scratch.writeInt32LE(k, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

export function hostGetsockopt(t: Task, s: HostSocket, level: number, name: number, val: number, lenp: number): number {
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  if (l < 0) return -E.EINVAL;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO_RCVTIMEO_OLD: case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_OLD: case SO_SNDTIMEO_NEW: {
        const v = name === SO_RCVTIMEO_OLD || name === SO_RCVTIMEO_NEW ? s.rcvtimeo : s.sndtimeo;
        putTimeval(optBuf, v > 0 ? v : 0, 0);
        return putOpt(t, val, lenp, l, 16);
      }
      case SO_LINGER:
        optBuf.writeInt32LE(s.linger[0], 0);
        optBuf.writeInt32LE(s.linger[1], 4);
        return putOpt(t, val, lenp, l, 8);
      case SO_PEERCRED:
        // No credentials travel with inet or netlink peers: pid 0, uid and gid -1.
        optBuf.writeInt32LE(0, 0);
        optBuf.writeInt32LE(-1, 4);
        optBuf.writeInt32LE(-1, 8);
        return putOpt(t, val, lenp, l, 12);
      default:
        break;
    }
  }
  const rule = optRule(level, name);
  if (rule === undefined) return -E.ENOPROTOOPT;
  optBuf.fill(0, 0, rule.max);
  const n = netGetsockopt(s.fd, level, name, optBuf, Math.min(l, rule.max));
  if (n < 0) return n;
  return putOpt(t, val, lenp, l, n);
}

export function hostSetsockopt(t: Task, s: HostSocket, level: number, name: number, val: number, len: number): number {
  if (len < 0) return -E.EINVAL;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO_RCVTIMEO_OLD: case SO_RCVTIMEO_NEW: case SO_SNDTIMEO_OLD: case SO_SNDTIMEO_NEW: {
        if (len < 16) return -E.EINVAL;
        if (t.mm.copyIn(val, optBuf, 0, 16) < 0) return -E.EFAULT;
        const ns = readTimeo(optBuf);
        if (ns === null) return -E.EDOM;
        if (name === SO_RCVTIMEO_OLD || name === SO_RCVTIMEO_NEW) s.rcvtimeo = ns;
        else s.sndtimeo = ns;
        return 0;
      }
      case SO_LINGER: {
        if (len < 8) return -E.EINVAL;
        if (t.mm.copyIn(val, optBuf, 0, 8) < 0) return -E.EFAULT;
        const on = optBuf.readInt32LE(0) !== 0 ? 1 : 0, secs = Math.max(0, optBuf.readInt32LE(4));
        s.linger[0] = on;
        s.linger[1] = on !== 0 ? secs : s.linger[1];
        // Only an abortive close (linger 0: reset, no wait) reaches the host; a timed linger
        // would block the sentry in close(2), so the close is an ordinary one instead.
        optBuf.writeInt32LE(on !== 0 && secs === 0 ? 1 : 0, 0);
        optBuf.writeInt32LE(0, 4);
        return netSetsockopt(s.fd, SOL_SOCKET, SO_LINGER, optBuf, 8);
      }
      case SO_SNDBUFFORCE: case SO_RCVBUFFORCE:
        // The app's CAP_NET_ADMIN lets it pass the sysctl limits on its own sockets; the
        // host socket takes the ordinary, capped size.
        if (!t.creds.hasCap(CAP_NET_ADMIN)) return -E.EPERM;
        name = name === SO_SNDBUFFORCE ? SO_SNDBUF : SO_RCVBUF;
        break;
      default:
        break;
    }
  }
  const rule = optRule(level, name);
  if (rule === undefined || !rule.set) return -E.ENOPROTOOPT;
  const n = Math.min(len, rule.max);
  if (n > 0 && t.mm.copyIn(val, optBuf, 0, n) < 0) return -E.EFAULT;
  return netSetsockopt(s.fd, level, name, optBuf, n);
}
