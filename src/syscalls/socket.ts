// Sockets. AF_UNIX sockets are served inside the sentry by src/net/unix; this file holds
// their syscall surface: argument checks in Linux's order (net/socket.c), sockaddr_un and
// msghdr/cmsghdr encoding, SCM_RIGHTS/SCM_CREDENTIALS, socket options and the read/write
// entry points that fs_rw routes here for socket fds. AF_INET and AF_INET6 sockets, and
// NETLINK_ROUTE ones (read-only queries), are host sockets (src/net/host); their calls go
// on to socket_host.ts once the fd and the common arguments are checked here.
//
// Other families (AF_PACKET, AF_VSOCK, ...) are refused with EAFNOSUPPORT by socket(2);
// programs treat that as a missing feature.
import * as E from '../abi/errno';
import { CAP_NET_ADMIN, CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN } from '../auth/creds';
import type { Task } from '../kernel/task';
import {
  MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, NO_PEER_CRED, PeerCred, RecvOut, SOCK_DGRAM,
  SOCK_MAX_BUF, SOCK_SEQPACKET, SOCK_STREAM, SOMAXCONN, SendCtl, SockState, UnixSocket, newUnixPair, newUnixSocket,
} from '../net/unix/socket';
import { AF_UNIX, SOCKADDR_UN_SIZE, SUN_PATH_OFFSET, UnixAddr, abstractAddr, pathAddr } from '../net/unix/names';
import { AF_INET, AF_INET6, HostSocket, recvInfo } from '../net/host/socket';
import { POLICY_SUMMARY } from '../net/host/policy';
import { AF_NETLINK } from '../net/host/netlink';
import type { UserBuffers } from '../net/unix/queue';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR, S_IFMT, S_IFSOCK } from '../vfs/abi';
import type { FileDescription } from '../vfs/file';
import { vfsHooks } from '../vfs/hooks';
import { UIO_MAXIOV, iov, readIovecs } from './fs_util';
import { NR } from './names';
import { SyscallTable } from './table';
import { BLOCKED } from './types';
import { readI32, scratch } from './util';
import { putTimeval, readTimeo } from './sock_timeo';
import {
  hostAccept, hostBind, hostConnect, hostGetsockopt, hostListen, hostName, hostRecv,
  hostSend, hostSetsockopt, hostShutdown, createHostSocket,
} from './socket_host';

const SOCK_TYPE_MASK = 0xf;
const SOCK_RAW = 3, SOCK_MAX = 11;
const NPROTO = 46;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1, SCM_CREDENTIALS = 2;
const SCM_MAX_FD = 253;
/** sizeof(struct sockaddr_storage): longer addresses are EINVAL before the family sees them. */
const SOCKADDR_STORAGE = 128;
/** net.core.optmem_max: larger control buffers are ENOBUFS. */
const OPTMEM_MAX = 131072;
const TWO32 = 4294967296;

const SO_DEBUG = 1, SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_DONTROUTE = 5, SO_BROADCAST = 6, SO_SNDBUF = 7,
  SO_RCVBUF = 8, SO_KEEPALIVE = 9, SO_OOBINLINE = 10, SO_NO_CHECK = 11, SO_PRIORITY = 12, SO_LINGER = 13,
  SO_REUSEPORT = 15, SO_PASSCRED = 16, SO_PEERCRED = 17, SO_RCVLOWAT = 18, SO_SNDLOWAT = 19, SO_RCVTIMEO_OLD = 20,
  SO_SNDTIMEO_OLD = 21, SO_ACCEPTCONN = 30, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SO_PROTOCOL = 38,
  SO_DOMAIN = 39, SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67;
/** Options that are plain flags or integers with no effect on a unix socket: recorded for getsockopt. */
const RECORDED = new Set([SO_DEBUG, SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE, SO_OOBINLINE, SO_NO_CHECK,
  SO_REUSEPORT]);
/** Linux's SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF on x86-64. */
const SOCK_MIN_SNDBUF = 4608, SOCK_MIN_RCVBUF = 2304;
/** MSG_WAITFORONE (recvmmsg). */
const MSG_WAITFORONE = 0x10000;

// ---- app memory as UserBuffers -----------------------------------------------------------

/** The iovecs of the current call (fs_util's shared iovec table) or one plain buffer. */
class Iov implements UserBuffers {
  t!: Task;
  total = 0;
  private cnt = 0;
  private base = 0;
  private single = false;
  // A cursor: iovec index and the byte position at which it starts (calls are mostly sequential).
  private ci = 0;
  private cpos = 0;

  setSingle(t: Task, base: number, len: number): this {
    this.t = t;
    this.single = true;
    this.base = base;
    this.total = len;
    return this;
  }

  setIovecs(t: Task, cnt: number, total: number): this {
    this.t = t;
    this.single = false;
    this.cnt = cnt;
    this.total = total;
    this.ci = 0;
    this.cpos = 0;
    return this;
  }

  private walk(pos: number, buf: Uint8Array, off: number, n: number, out: boolean): number {
    const mm = this.t.mm;
    if (this.single) {
      return out ? (mm.copyOut(this.base + pos, buf, off, n) < 0 ? -E.EFAULT : 0)
        : (mm.copyIn(this.base + pos, buf, off, n) < 0 ? -E.EFAULT : 0);
    }
    if (pos < this.cpos) {
      this.ci = 0;
      this.cpos = 0;
    }
    while (n > 0) {
      while (this.ci < this.cnt && this.cpos + iov(this.ci).len <= pos) {
        this.cpos += iov(this.ci).len;
        this.ci++;
      }
      if (this.ci >= this.cnt) return -E.EFAULT;
      const v = iov(this.ci);
      const inner = pos - this.cpos;
      const k = Math.min(n, v.len - inner);
      const r = out ? mm.copyOut(v.base + inner, buf, off, k) : mm.copyIn(v.base + inner, buf, off, k);
      if (r < 0) return -E.EFAULT;
      pos += k;
      off += k;
      n -= k;
    }
    return 0;
  }

  gather(pos: number, dst: Uint8Array, off: number, n: number): number {
    return this.walk(pos, dst, off, n, false);
  }

  scatter(pos: number, src: Uint8Array, off: number, n: number): number {
    return this.walk(pos, src, off, n, true);
  }

  writable(pos: number, n: number): number {
    const mm = this.t.mm;
    let ok = 0;
    if (this.single) {
      while (ok < n && mm.translate(this.base + pos + ok, n - ok, true) === 0) ok += mm.xLen;
      return Math.min(ok, n);
    }
    let at = 0;
    for (let i = 0; i < this.cnt && ok < n; i++) {
      const v = iov(i);
      const end = at + v.len;
      if (end > pos) {
        let p = Math.max(pos, at);
        while (p < end && ok < n) {
          if (mm.translate(v.base + (p - at), end - p, true) < 0) return ok;
          const k = Math.min(mm.xLen, n - ok);
          ok += k;
          p += k;
        }
      }
      at = end;
    }
    return ok;
  }
}

const io = new Iov();
const ctl = new SendCtl();
const rout = new RecvOut();
const ctlBuf = Buffer.alloc(OPTMEM_MAX);

// ---- helpers ------------------------------------------------------------------------------

/**
 * A socket inherited from the host as stdio (the harness's or a supervisor's socketpair):
 * the sentry reads and writes it as a host file, and answers the questions programs ask
 * to classify their stdio (libuv: getsockname, SO_TYPE) as for an unnamed AF_UNIX stream
 * socket, which is what such stdio sockets are in practice.
 */
function stdioSocket(t: Task, fd: number): FileDescription | null {
  const f = t.fdTable.get(fd | 0);
  if (f === null || f instanceof UnixSocket || f.hostFd < 0) return null;
  return (f.inode.mode & S_IFMT) === S_IFSOCK ? f : null;
}

/** The socket behind fd: -EBADF, -ENOTSOCK, or the socket. */
function sock(t: Task, fd: number): UnixSocket | number {
  const f = t.fdTable.get(fd | 0);
  if (f === null) return -E.EBADF;
  if (!(f instanceof UnixSocket)) return -E.ENOTSOCK;
  return f;
}

/** The socket behind fd, of either family (one lookup): -EBADF, -ENOTSOCK, or the socket. */
function anySock(t: Task, fd: number): UnixSocket | HostSocket | number {
  const f = t.fdTable.get(fd | 0);
  if (f === null) return -E.EBADF;
  return f instanceof UnixSocket || f instanceof HostSocket ? f : -E.ENOTSOCK;
}

/**
 * move_addr_to_kernel + unix_validate_addr: an address of a call that names a peer.
 * Returns the address, or -errno. len must be 2..110 and the family AF_UNIX; a path is
 * cut at its first NUL (or at len), an abstract name keeps all len-2 bytes.
 */
function readAddr(t: Task, addr: number, len: number): UnixAddr | number {
  const raw = readRawAddr(t, addr, len);
  if (typeof raw === 'number') return raw;
  return decodeAddr(raw);
}

function readRawAddr(t: Task, addr: number, len: number): Buffer | number {
  if (len < 0 || len > SOCKADDR_STORAGE) return -E.EINVAL;
  const b = Buffer.alloc(len);
  if (len > 0 && t.mm.copyIn(addr, b, 0, len) < 0) return -E.EFAULT;
  if (len < SUN_PATH_OFFSET || len > SOCKADDR_UN_SIZE) return -E.EINVAL;
  if (b.readUInt16LE(0) !== AF_UNIX) return -E.EINVAL;
  return b;
}

function decodeAddr(b: Buffer): UnixAddr {
  if (b.length > SUN_PATH_OFFSET && b[SUN_PATH_OFFSET] === 0) return abstractAddr(b.subarray(SUN_PATH_OFFSET));
  let end = b.indexOf(0, SUN_PATH_OFFSET);
  if (end < 0) end = b.length;
  return pathAddr(b.toString('latin1', SUN_PATH_OFFSET, end));
}

/** move_addr_to_user: copies min(*lenp, klen) bytes and stores klen in *lenp. */
function putAddr(t: Task, a: UnixAddr | null, klen: number, addr: number, lenp: number): number {
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  let n = l > klen ? klen : l;
  if (n < 0) return -E.EINVAL;
  if (n > 0) {
    let src: Buffer;
    if (a !== null) src = a.bytes;
    else {
      src = scratch;
      scratch.fill(0, 0, 4);
      scratch.writeUInt16LE(AF_UNIX, 0);
    }
    n = Math.min(n, src.length);
    if (t.mm.copyOut(addr, src, 0, n) < 0) return -E.EFAULT;
  }
  scratch.writeInt32LE(klen, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

/** getname: a bound name, or the unnamed address (family only, length 2). */
function nameOf(a: UnixAddr | null): number {
  return a === null ? SUN_PATH_OFFSET : a.len;
}

function installNew(t: Task, s: UnixSocket, cloexec: boolean): number {
  const fd = t.fdTable.install(s, 0, cloexec);
  if (fd < 0) s.decRef();
  return fd;
}

// ---- socket, socketpair -----------------------------------------------------------------

/** __sys_socket's checks; returns the unix type or -errno. */
function checkCreate(domain: number, type: number, protocol: number): number {
  if ((type & ~SOCK_TYPE_MASK & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  if (domain < 0 || domain >= NPROTO) return -E.EAFNOSUPPORT;
  const kind = type & SOCK_TYPE_MASK;
  if (kind >= SOCK_MAX) return -E.EINVAL;
  if (domain !== AF_UNIX) return -E.EAFNOSUPPORT;
  if (protocol !== 0 && protocol !== AF_UNIX) return -E.EPROTONOSUPPORT;
  switch (kind) {
    case SOCK_STREAM:
    case SOCK_DGRAM:
    case SOCK_SEQPACKET:
      return kind;
    case SOCK_RAW:
      return SOCK_DGRAM; // Linux: SOCK_RAW behaves like SOCK_DGRAM for AF_UNIX
    default:
      return -E.ESOCKTNOSUPPORT;
  }
}

function socket(t: Task, domain: number, type: number, protocol: number): number {
  type |= 0;
  domain |= 0;
  if ((domain === AF_INET || domain === AF_INET6 || domain === AF_NETLINK) && t.kernel.inet &&
    (type & ~SOCK_TYPE_MASK & ~(O_CLOEXEC | O_NONBLOCK)) === 0 && (type & SOCK_TYPE_MASK) < SOCK_MAX) {
    return createHostSocket(t, domain, type, protocol | 0);
  }
  const kind = checkCreate(domain, type, protocol | 0);
  if (kind < 0) return kind;
  return installNew(t, newUnixSocket(t, kind, type & O_NONBLOCK), (type & O_CLOEXEC) !== 0);
}

function socketpair(t: Task, domain: number, type: number, protocol: number, sv: number): number {
  domain |= 0;
  type |= 0;
  // Linux creates the socket first: inet families exist there but refuse pairs.
  if ((domain === 2 || domain === 10) && (type & ~SOCK_TYPE_MASK & ~(O_CLOEXEC | O_NONBLOCK)) === 0) {
    return -E.EOPNOTSUPP;
  }
  const kind = checkCreate(domain, type, protocol | 0);
  if (kind < 0) return kind;
  const [a, b] = newUnixPair(t, kind, type & O_NONBLOCK);
  const cloexec = (type & O_CLOEXEC) !== 0;
  const fa = t.fdTable.install(a, 0, cloexec);
  if (fa < 0) {
    a.decRef();
    b.decRef();
    return fa;
  }
  const fb = t.fdTable.install(b, 0, cloexec);
  if (fb < 0) {
    t.fdTable.close(fa);
    b.decRef();
    return fb;
  }
  scratch.writeInt32LE(fa, 0);
  scratch.writeInt32LE(fb, 4);
  if (t.mm.copyOut(sv, scratch, 0, 8) < 0) {
    t.fdTable.close(fa);
    t.fdTable.close(fb);
    return -E.EFAULT;
  }
  return 0;
}

// ---- names and connections ----------------------------------------------------------------

function bind(t: Task, fd: number, addr: number, len: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostBind(t, s, addr, len | 0);
  if (typeof s === 'number') return s;
  len |= 0;
  if (len < 0 || len > SOCKADDR_STORAGE) return -E.EINVAL;
  const b = Buffer.alloc(len);
  if (len > 0 && t.mm.copyIn(addr, b, 0, len) < 0) return -E.EFAULT;
  if (len === SUN_PATH_OFFSET && b.readUInt16LE(0) === AF_UNIX) return s.autobind(t);
  if (len < SUN_PATH_OFFSET || len > SOCKADDR_UN_SIZE || b.readUInt16LE(0) !== AF_UNIX) return -E.EINVAL;
  const a = decodeAddr(b);
  if (a.abstract) return s.bindAbstract(b.subarray(SUN_PATH_OFFSET));
  return s.bindPath(t, a.name);
}

function listen(t: Task, fd: number, backlog: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostListen(s, backlog | 0);
  if (typeof s === 'number') return s;
  let b = backlog | 0;
  if (b < 0 || b > SOMAXCONN) b = SOMAXCONN; // unsigned comparison, as Linux
  return s.listen(t, b);
}

function connect(t: Task, fd: number, addr: number, len: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostConnect(t, s, addr, len | 0);
  if (typeof s === 'number') return s;
  len |= 0;
  if (s.type === SOCK_DGRAM) {
    if (len < 0 || len > SOCKADDR_STORAGE) return -E.EINVAL;
    const b = Buffer.alloc(len);
    if (len > 0 && t.mm.copyIn(addr, b, 0, len) < 0) return -E.EFAULT;
    if (len < SUN_PATH_OFFSET) return -E.EINVAL;
    if (b.readUInt16LE(0) === 0) return s.connectDgram(null); // AF_UNSPEC: disconnect
    if (len > SOCKADDR_UN_SIZE || b.readUInt16LE(0) !== AF_UNIX) return -E.EINVAL;
    if (s.passcred && s.addr === null) {
      const r = s.autobind(t);
      if (r < 0) return r;
    }
    const target = UnixSocket.find(t, decodeAddr(b), s.type);
    if (typeof target === 'number') return target;
    return s.connectDgram(target);
  }
  const a = readAddr(t, addr, len);
  if (typeof a === 'number') return a;
  if (s.passcred && s.addr === null) {
    const r = s.autobind(t);
    if (r < 0) return r;
  }
  const target = UnixSocket.find(t, a, s.type);
  if (typeof target === 'number') return target;
  return s.connectStream(t, target);
}

function doAccept(t: Task, fd: number, addr: number, lenp: number, flags: number): number {
  flags |= 0;
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostAccept(t, s, addr, lenp, flags);
  if (typeof s === 'number') return s;
  if (!t.fdTable.hasFree(0)) return -E.EMFILE;
  const n = s.accept(t);
  if (typeof n === 'number') return n;
  n.flags = O_RDWR | (flags & O_NONBLOCK);
  if (addr !== 0) {
    const p = n.peer;
    const a = p !== null ? p.addr : null;
    const r = putAddr(t, a, nameOf(a), addr, lenp);
    if (r < 0) {
      n.decRef();
      return r;
    }
  }
  return installNew(t, n, (flags & O_CLOEXEC) !== 0);
}

function accept(t: Task, fd: number, addr: number, lenp: number): number {
  return doAccept(t, fd, addr, lenp, 0);
}

function accept4(t: Task, fd: number, addr: number, lenp: number, flags: number): number {
  return doAccept(t, fd, addr, lenp, flags);
}

function shutdown(t: Task, fd: number, how: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostShutdown(s, how | 0);
  if (typeof s === 'number') return s;
  return s.shutdown(how | 0);
}

function getsockname(t: Task, fd: number, addr: number, lenp: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostName(t, s, false, addr, lenp);
  if (s === -E.ENOTSOCK && stdioSocket(t, fd) !== null) return putAddr(t, null, SUN_PATH_OFFSET, addr, lenp);
  if (typeof s === 'number') return s;
  return putAddr(t, s.addr, nameOf(s.addr), addr, lenp);
}

function getpeername(t: Task, fd: number, addr: number, lenp: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostName(t, s, true, addr, lenp);
  if (s === -E.ENOTSOCK && stdioSocket(t, fd) !== null) return putAddr(t, null, SUN_PATH_OFFSET, addr, lenp);
  if (typeof s === 'number') return s;
  const p = s.peer;
  if (p === null || (s.type !== SOCK_DGRAM && s.state !== SockState.Established)) return -E.ENOTCONN;
  return putAddr(t, p.addr, nameOf(p.addr), addr, lenp);
}

// ---- sending ------------------------------------------------------------------------------

/** Pid exists in the sandbox (a thread or process id), for SCM_CREDENTIALS. */
function pidExists(t: Task, pid: number): boolean {
  return pid > 0 && (t.kernel.tasks.has(pid) || t.kernel.threadGroups.has(pid));
}

/** __scm_send: parses the control buffer into ctl (fd references taken). 0 or -errno. */
function parseControl(t: Task, control: number, controllen: number): number {
  ctl.reset();
  if (controllen === 0) return 0;
  if (controllen > OPTMEM_MAX) return -E.ENOBUFS;
  const b = ctlBuf;
  if (t.mm.copyIn(control, b, 0, controllen) < 0) return -E.EFAULT;
  let off = 0;
  let err = 0;
  while (controllen - off >= 16) {
    const clen = b.readUInt32LE(off + 4) * TWO32 + b.readUInt32LE(off);
    if (clen < 16 || clen > controllen - off) {
      err = -E.EINVAL;
      break;
    }
    const level = b.readInt32LE(off + 8), type = b.readInt32LE(off + 12);
    if (level === SOL_SOCKET) {
      if (type === SCM_RIGHTS) {
        const num = Math.floor((clen - 16) / 4);
        if (num > SCM_MAX_FD) {
          err = -E.EINVAL;
          break;
        }
        if (num > 0) {
          let fds = ctl.fds;
          if (fds === null) fds = ctl.fds = [];
          if (fds.length + num > SCM_MAX_FD) {
            err = -E.EINVAL;
            break;
          }
          for (let i = 0; i < num; i++) {
            const f = t.fdTable.get(b.readInt32LE(off + 16 + i * 4));
            if (f === null) {
              err = -E.EBADF;
              break;
            }
            f.incRef();
            fds.push(f);
          }
          if (err < 0) break;
        }
      } else if (type === SCM_CREDENTIALS) {
        if (clen !== 28) {
          err = -E.EINVAL;
          break;
        }
        const pid = b.readInt32LE(off + 16), uid = b.readUInt32LE(off + 20), gid = b.readUInt32LE(off + 24);
        err = checkCreds(t, pid, uid, gid);
        if (err < 0) break;
        if (!pidExists(t, pid)) {
          err = -E.ESRCH;
          break;
        }
        ctl.cred = { pid, uid, gid };
      } else {
        err = -E.EINVAL;
        break;
      }
    }
    off += (clen + 7) & ~7;
  }
  if (err < 0) {
    if (ctl.fds !== null) for (const f of ctl.fds) f.decRef();
    ctl.reset();
  }
  return err;
}

/** scm_check_creds: a sender may claim its own pid and ids (or any, with the capabilities). */
function checkCreds(t: Task, pid: number, uid: number, gid: number): number {
  if (uid === 0xffffffff || gid === 0xffffffff) return -E.EINVAL;
  const c = t.creds;
  const pidOk = pid === t.tgid || c.hasCap(CAP_SYS_ADMIN);
  const uidOk = uid === c.uid || uid === c.euid || uid === c.suid || c.hasCap(CAP_SETUID);
  const gidOk = gid === c.gid || gid === c.egid || gid === c.sgid || c.hasCap(CAP_SETGID);
  return pidOk && uidOk && gidOk ? 0 : -E.EPERM;
}

/** One send on s: data in io, control data in ctl (or none), destination to. */
function sendOn(t: Task, s: UnixSocket, c: SendCtl | null, to: UnixAddr | number | null, nameLen: number,
  flags: number): number {
  if (s.type === SOCK_STREAM) {
    if ((flags & MSG_OOB) !== 0) {
      if (c !== null && c.fds !== null) for (const f of c.fds) f.decRef();
      return -E.EOPNOTSUPP;
    }
    const r = s.sendStream(t, io, c, nameLen, flags);
    if (r === -E.EPIPE && s.pipeErr && (flags & MSG_NOSIGNAL) === 0) vfsHooks.brokenPipe(t);
    return r;
  }
  if ((flags & MSG_OOB) !== 0) {
    if (c !== null && c.fds !== null) for (const f of c.fds) f.decRef();
    return -E.EOPNOTSUPP;
  }
  return s.sendDgram(t, io, c, to, flags);
}

function sendto(t: Task, fd: number, buf: number, len: number, flags: number, addr: number, alen: number): number {
  const s = anySock(t, fd);
  if (typeof s === 'number') return s;
  flags |= 0;
  if (len < 0) return -E.EFAULT;
  if (len > 0x7ffff000) len = 0x7ffff000;
  if (s instanceof HostSocket) return hostSend(t, s, io.setSingle(t, buf, len), flags, addr, alen | 0, 0, 0);
  let to: UnixAddr | number | null = null;
  let nameLen = 0;
  if (addr !== 0) {
    alen |= 0;
    nameLen = alen;
    if (alen !== 0) {
      const raw = readRawAddr(t, addr, alen);
      if (raw === -E.EFAULT || (raw === -E.EINVAL && (alen < 0 || alen > SOCKADDR_STORAGE))) return raw;
      to = typeof raw === 'number' ? raw : decodeAddr(raw);
    }
  }
  io.setSingle(t, buf, len);
  return sendOn(t, s, null, to, nameLen, flags);
}

const hdr = { name: 0, namelen: 0, iov: 0, iovlen: 0, control: 0, controllen: 0 };

/** Reads a msghdr (copy_msghdr_from_user). 0 or -errno. */
function readMsghdr(t: Task, addr: number): number {
  if (t.mm.copyIn(addr, scratch, 0, 56) < 0) return -E.EFAULT;
  const u64 = (o: number): number => scratch.readUInt32LE(o + 4) * TWO32 + scratch.readUInt32LE(o);
  hdr.name = u64(0);
  hdr.namelen = scratch.readInt32LE(8);
  hdr.iov = u64(16);
  hdr.iovlen = u64(24);
  hdr.control = u64(32);
  hdr.controllen = u64(40);
  if (hdr.name === 0) hdr.namelen = 0;
  if (hdr.namelen < 0) return -E.EINVAL;
  if (hdr.namelen > SOCKADDR_STORAGE) hdr.namelen = SOCKADDR_STORAGE;
  if (hdr.iovlen > UIO_MAXIOV) return -E.EMSGSIZE;
  return 0;
}

function sendmsgOne(t: Task, s: UnixSocket | HostSocket, msg: number, flags: number): number {
  let e = readMsghdr(t, msg);
  if (e < 0) return e;
  if (s instanceof HostSocket) {
    const total = readIovecs(t, hdr.iov, hdr.iovlen);
    if (total < 0) return total;
    if (hdr.controllen > 0x7fffffff) return -E.ENOBUFS;
    return hostSend(t, s, io.setIovecs(t, hdr.iovlen, total), flags, hdr.name, hdr.namelen, hdr.control, hdr.controllen);
  }
  let to: UnixAddr | number | null = null;
  const nameLen = hdr.namelen;
  if (nameLen !== 0) {
    const raw = readRawAddr(t, hdr.name, nameLen);
    if (raw === -E.EFAULT) return raw;
    to = typeof raw === 'number' ? raw : decodeAddr(raw);
  }
  const cnt = hdr.iovlen;
  const total = readIovecs(t, hdr.iov, cnt);
  if (total < 0) return total;
  if (hdr.controllen > 0x7fffffff) return -E.ENOBUFS;
  e = parseControl(t, hdr.control, hdr.controllen);
  if (e < 0) return e;
  io.setIovecs(t, cnt, total);
  return sendOn(t, s, ctl.fds !== null || ctl.cred !== null ? ctl : null, to, nameLen, flags);
}

function sendmsg(t: Task, fd: number, msg: number, flags: number): number {
  const s = anySock(t, fd);
  if (typeof s === 'number') return s;
  return sendmsgOne(t, s, msg, flags | 0);
}

/**
 * sendmmsg: messages after the first are sent without blocking (a would-block ends the
 * call with the count so far), so a blocked call never has to resend earlier messages.
 */
function sendmmsg(t: Task, fd: number, vec: number, vlen: number, flags: number): number {
  const s = anySock(t, fd);
  if (typeof s === 'number') return s;
  vlen >>>= 0;
  if (vlen > UIO_MAXIOV) vlen = UIO_MAXIOV;
  flags |= 0;
  let sent = 0;
  for (; sent < vlen; sent++) {
    const r = sendmsgOne(t, s, vec + sent * 64, sent === 0 ? flags : flags | MSG_DONTWAIT);
    if (r === BLOCKED) return r;
    if (r < 0) return sent > 0 ? sent : r;
    scratch.writeUInt32LE(r >>> 0, 0);
    if (t.mm.copyOut(vec + sent * 64 + 56, scratch, 0, 4) < 0) return sent > 0 ? sent : -E.EFAULT;
  }
  return sent;
}

// ---- receiving ----------------------------------------------------------------------------

function recvOn(t: Task, s: UnixSocket, flags: number): number {
  rout.reset();
  return s.type === SOCK_STREAM ? s.recvStream(t, io, flags, rout) : s.recvDgram(t, io, flags, rout);
}

/** Drops what a receive handed back but nobody takes (read(2), recvfrom). */
function dropOut(): void {
  const fds = rout.fds;
  rout.fds = null;
  if (fds !== null) for (const f of fds) f.decRef();
}

function recvfrom(t: Task, fd: number, buf: number, len: number, flags: number, addr: number, lenp: number): number {
  const s = anySock(t, fd);
  if (typeof s === 'number') return s;
  if (len < 0) return -E.EFAULT;
  if (len > 0x7ffff000) len = 0x7ffff000;
  io.setSingle(t, buf, len);
  if (s instanceof HostSocket) return hostRecv(t, s, io, flags | 0, addr, lenp, 0, 0);
  const r = recvOn(t, s, flags | 0);
  const from = rout.from;
  dropOut();
  if (r < 0 || addr === 0) return r;
  const e = putAddr(t, from, from === null ? 0 : from.len, addr, lenp);
  return e < 0 ? e : r;
}

/** put_cmsg at the cursor; returns the new cursor, setting MSG_CTRUNC in cflags when cut. */
let cursor = 0, room = 0, cflags = 0;
function putCmsg(t: Task, type: number, data: Buffer, len: number): number {
  if (hdr.control === 0 || room < 16) {
    cflags |= MSG_CTRUNC;
    return 0;
  }
  let cmlen = 16 + len;
  if (room < cmlen) {
    cflags |= MSG_CTRUNC;
    cmlen = room;
  }
  const b = scratch;
  b.writeUInt32LE(cmlen, 0);
  b.writeUInt32LE(0, 4);
  b.writeInt32LE(SOL_SOCKET, 8);
  b.writeInt32LE(type, 12);
  data.copy(b, 16, 0, cmlen - 16);
  if (t.mm.copyOut(cursor, b, 0, cmlen) < 0) return -E.EFAULT;
  const adv = Math.min((16 + len + 7) & ~7, room);
  cursor += adv;
  room -= adv;
  return 0;
}

const credBuf = Buffer.alloc(12);
const fdBuf = Buffer.alloc(4 * SCM_MAX_FD);

/** scm_recv: SCM_CREDENTIALS (with SO_PASSCRED), then SCM_RIGHTS, installing the fds. */
function deliverControl(t: Task, s: UnixSocket, flags: number): number {
  cursor = hdr.control;
  room = hdr.controllen;
  cflags = 0;
  const fds = rout.fds;
  rout.fds = null;
  if (hdr.control === 0) {
    if (s.passcred || fds !== null) cflags |= MSG_CTRUNC;
    if (fds !== null) for (const f of fds) f.decRef();
    return 0;
  }
  const c: PeerCred | null = rout.cred;
  if (c !== null) {
    credBuf.writeInt32LE(c.pid, 0);
    credBuf.writeInt32LE(c.uid | 0, 4);
    credBuf.writeInt32LE(c.gid | 0, 8);
    const r = putCmsg(t, SCM_CREDENTIALS, credBuf, 12);
    if (r < 0) {
      if (fds !== null) for (const f of fds) f.decRef();
      return r;
    }
  }
  if (fds === null) return 0;
  const max = room > 16 ? Math.floor((room - 16) / 4) : 0;
  const cloexec = (flags & MSG_CMSG_CLOEXEC) !== 0;
  let i = 0;
  for (; i < fds.length && i < max; i++) {
    const fd = t.fdTable.install(fds[i], 0, cloexec);
    if (fd < 0) break;
    fdBuf.writeInt32LE(fd, i * 4);
  }
  // Descriptors that did not fit are closed.
  for (let j = i; j < fds.length; j++) fds[j].decRef();
  if (i > 0) {
    const cmlen = 16 + i * 4;
    scratch.writeUInt32LE(cmlen, 0);
    scratch.writeUInt32LE(0, 4);
    scratch.writeInt32LE(SOL_SOCKET, 8);
    scratch.writeInt32LE(SCM_RIGHTS, 12);
    fdBuf.copy(scratch, 16, 0, i * 4);
    if (t.mm.copyOut(cursor, scratch, 0, cmlen) < 0) return -E.EFAULT;
    const adv = Math.min((cmlen + 7) & ~7, room);
    cursor += adv;
    room -= adv;
  }
  if (i < fds.length) cflags |= MSG_CTRUNC;
  return 0;
}

function recvmsgOne(t: Task, s: UnixSocket | HostSocket, msg: number, flags: number): number {
  const e = readMsghdr(t, msg);
  if (e < 0) return e;
  const name = hdr.name;
  const cnt = hdr.iovlen;
  const total = readIovecs(t, hdr.iov, cnt);
  if (total < 0) return total;
  io.setIovecs(t, cnt, total);
  if (s instanceof HostSocket) return hostRecvmsgDone(t, msg, hostRecv(t, s, io, flags, name, msg + 8, hdr.control,
    hdr.controllen));
  const r = recvOn(t, s, flags);
  if (r < 0) {
    dropOut();
    return r;
  }
  const from = rout.from;
  if (name !== 0) {
    const pe = putAddr(t, from, from === null ? 0 : from.len, name, msg + 8);
    if (pe < 0) {
      dropOut();
      return pe;
    }
  }
  const ce = deliverControl(t, s, flags);
  if (ce < 0) return ce;
  scratch.writeInt32LE((flags & MSG_CMSG_CLOEXEC) | rout.flags | cflags, 0);
  if (t.mm.copyOut(msg + 48, scratch, 0, 4) < 0) return -E.EFAULT;
  const used = cursor - hdr.control;
  scratch.writeUInt32LE(used >>> 0, 0);
  scratch.writeUInt32LE(0, 4);
  if (t.mm.copyOut(msg + 40, scratch, 0, 8) < 0) return -E.EFAULT;
  return r;
}

/** recvmsg's last step on an inet socket: msg_controllen and msg_flags from the host's. */
function hostRecvmsgDone(t: Task, msg: number, r: number): number {
  if (r < 0) return r;
  scratch.writeInt32LE(recvInfo[0], 0); // the host's msg_flags
  if (t.mm.copyOut(msg + 48, scratch, 0, 4) < 0) return -E.EFAULT;
  scratch.writeUInt32LE(recvInfo[1] >>> 0, 0); // and control length
  scratch.writeUInt32LE(0, 4);
  if (t.mm.copyOut(msg + 40, scratch, 0, 8) < 0) return -E.EFAULT;
  return r;
}

function recvmsg(t: Task, fd: number, msg: number, flags: number): number {
  const s = anySock(t, fd);
  if (typeof s === 'number') return s;
  return recvmsgOne(t, s, msg, flags | 0);
}

/** recvmmsg: like sendmmsg, messages after the first never block; the timeout is validated only. */
function recvmmsg(t: Task, fd: number, vec: number, vlen: number, flags: number, timeout: number): number {
  const s = anySock(t, fd);
  if (typeof s === 'number') return s;
  if (timeout !== 0) {
    if (t.mm.copyIn(timeout, scratch, 0, 16) < 0) return -E.EFAULT;
    const sec = scratch.readInt32LE(4) * TWO32 + scratch.readUInt32LE(0);
    const nsec = scratch.readInt32LE(12) * TWO32 + scratch.readUInt32LE(8);
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
  }
  vlen >>>= 0;
  if (vlen > UIO_MAXIOV) vlen = UIO_MAXIOV;
  flags |= 0;
  let got = 0;
  for (; got < vlen; got++) {
    const f = (got === 0 ? flags : flags | MSG_DONTWAIT) & ~MSG_WAITFORONE;
    const r = recvmsgOne(t, s, vec + got * 64, f);
    if (r === BLOCKED) return r;
    if (r < 0) return got > 0 ? got : r;
    scratch.writeUInt32LE(r >>> 0, 0);
    if (t.mm.copyOut(vec + got * 64 + 56, scratch, 0, 4) < 0) return got > 0 ? got : -E.EFAULT;
  }
  return got;
}

// ---- read(2)/write(2) family on sockets (routed here by fs_rw) ------------------------------

/** A socket of the sentry's own or a host socket: read(2) and write(2) go through recv/send. */
export function isSocketFile(f: FileDescription): f is UnixSocket | HostSocket {
  return f instanceof UnixSocket || f instanceof HostSocket;
}

/**
 * read/readv on a socket: recv with no flags (a datagram whole, into all the iovecs).
 * cnt < 0: one buffer (base, len).
 */
export function socketRead(t: Task, s: UnixSocket | HostSocket, base: number, len: number, cnt: number): number {
  if (cnt < 0) io.setSingle(t, base, len);
  else io.setIovecs(t, cnt, len);
  if (s instanceof HostSocket) return len === 0 ? 0 : hostRecv(t, s, io, 0, 0, 0, 0, 0); // sock_read_iter: 0 for 0
  const r = recvOn(t, s, 0);
  dropOut();
  return r;
}

/** write/writev on a socket: send with no flags (SIGPIPE on a broken stream; a datagram whole). */
export function socketWrite(t: Task, s: UnixSocket | HostSocket, base: number, len: number, cnt: number): number {
  if (cnt < 0) io.setSingle(t, base, len);
  else io.setIovecs(t, cnt, len);
  if (s instanceof HostSocket) return hostSend(t, s, io, 0, 0, 0, 0, 0);
  return sendOn(t, s, null, null, 0, 0);
}

export { UnixSocket };

// ---- options ------------------------------------------------------------------------------

function getsockopt(t: Task, fd: number, level: number, name: number, val: number, lenp: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostGetsockopt(t, s, level | 0, name | 0, val, lenp);
  if (s === -E.ENOTSOCK && stdioSocket(t, fd) !== null) return hostSockopt(t, level, name, val, lenp);
  if (typeof s === 'number') return s;
  if ((level | 0) !== SOL_SOCKET) return -E.EOPNOTSUPP;
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  if (l < 0) return -E.EINVAL;
  let size = 4;
  name |= 0;
  switch (name) {
    case SO_TYPE: scratch.writeInt32LE(s.type, 0); break;
    case SO_ERROR: scratch.writeInt32LE(s.takeErr(), 0); break;
    case SO_DOMAIN: scratch.writeInt32LE(AF_UNIX, 0); break;
    case SO_PROTOCOL: scratch.writeInt32LE(0, 0); break;
    case SO_SNDBUF: scratch.writeInt32LE(s.sndbuf, 0); break;
    case SO_RCVBUF: scratch.writeInt32LE(s.rcvbuf, 0); break;
    case SO_PASSCRED: scratch.writeInt32LE(s.passcred ? 1 : 0, 0); break;
    case SO_ACCEPTCONN: scratch.writeInt32LE(s.state === SockState.Listen ? 1 : 0, 0); break;
    case SO_RCVLOWAT: scratch.writeInt32LE(s.rcvlowat, 0); break;
    case SO_SNDLOWAT: scratch.writeInt32LE(1, 0); break;
    case SO_PRIORITY: scratch.writeInt32LE(s.boolOpts.get(SO_PRIORITY) ?? 0, 0); break;
    case SO_LINGER:
      scratch.writeInt32LE(s.linger[0], 0);
      scratch.writeInt32LE(s.linger[1], 4);
      size = 8;
      break;
    case SO_RCVTIMEO_OLD:
    case SO_RCVTIMEO_NEW:
    case SO_SNDTIMEO_OLD:
    case SO_SNDTIMEO_NEW: {
      const v = name === SO_RCVTIMEO_OLD || name === SO_RCVTIMEO_NEW ? s.rcvtimeo : s.sndtimeo;
      putTimeval(scratch, v > 0 ? v : 0, 0);
      size = 16;
      break;
    }
    case SO_PEERCRED: {
      const c = s.peerCred ?? NO_PEER_CRED;
      scratch.writeInt32LE(c.pid, 0);
      scratch.writeInt32LE(c.uid | 0, 4);
      scratch.writeInt32LE(c.gid | 0, 8);
      size = 12;
      break;
    }
    default:
      if (!RECORDED.has(name)) return -E.ENOPROTOOPT;
      scratch.writeInt32LE(s.boolOpts.get(name) ?? 0, 0);
  }
  const n = Math.min(l, size);
  if (n > 0 && t.mm.copyOut(val, scratch, 0, n) < 0) return -E.EFAULT;
  scratch.writeInt32LE(n, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

/** getsockopt on a host stdio socket: its type and family, as an AF_UNIX stream socket. */
function hostSockopt(t: Task, level: number, name: number, val: number, lenp: number): number {
  if ((level | 0) !== SOL_SOCKET) return -E.EOPNOTSUPP;
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  if (l < 0) return -E.EINVAL;
  switch (name | 0) {
    case SO_TYPE: scratch.writeInt32LE(SOCK_STREAM, 0); break;
    case SO_DOMAIN: scratch.writeInt32LE(AF_UNIX, 0); break;
    case SO_PROTOCOL:
    case SO_ERROR:
    case SO_ACCEPTCONN:
      scratch.writeInt32LE(0, 0);
      break;
    default: return -E.ENOPROTOOPT;
  }
  const n = Math.min(l, 4);
  if (n > 0 && t.mm.copyOut(val, scratch, 0, n) < 0) return -E.EFAULT;
  scratch.writeInt32LE(n, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

function setsockopt(t: Task, fd: number, level: number, name: number, val: number, len: number): number {
  const s = anySock(t, fd);
  if (s instanceof HostSocket) return hostSetsockopt(t, s, level | 0, name | 0, val, len | 0);
  if (typeof s === 'number') return s;
  if ((level | 0) !== SOL_SOCKET) return -E.EOPNOTSUPP;
  name |= 0;
  len |= 0;
  if (len < 4) return -E.EINVAL;
  const n = Math.min(len, 16);
  if (t.mm.copyIn(val, scratch, 0, n) < 0) return -E.EFAULT;
  const v = scratch.readInt32LE(0);
  switch (name) {
    case SO_SNDBUF:
    case SO_SNDBUFFORCE: {
      let x: number;
      if (name === SO_SNDBUFFORCE) {
        if (!t.creds.hasCap(CAP_NET_ADMIN)) return -E.EPERM;
        x = Math.max(v, 0);
      } else {
        x = Math.min(v >>> 0, SOCK_MAX_BUF);
      }
      s.sndbuf = Math.max((x * 2) | 0, SOCK_MIN_SNDBUF);
      s.queue.notify(0x4 | 0x100 | 0x200); // writers may now fit
      return 0;
    }
    case SO_RCVBUF:
    case SO_RCVBUFFORCE: {
      let x: number;
      if (name === SO_RCVBUFFORCE) {
        if (!t.creds.hasCap(CAP_NET_ADMIN)) return -E.EPERM;
        x = Math.max(v, 0);
      } else {
        x = Math.min(v >>> 0, SOCK_MAX_BUF);
      }
      x = Math.min(x, 0x3fffffff);
      s.rcvbuf = Math.max(x * 2, SOCK_MIN_RCVBUF);
      return 0;
    }
    case SO_PASSCRED:
      s.passcred = v !== 0;
      return 0;
    case SO_RCVLOWAT:
      s.rcvlowat = v < 0 ? 0x7fffffff : v === 0 ? 1 : v;
      return 0;
    case SO_PRIORITY:
      if ((v < 0 || v > 6) && !t.creds.hasCap(CAP_NET_ADMIN)) return -E.EPERM;
      s.boolOpts.set(SO_PRIORITY, v);
      return 0;
    case SO_LINGER:
      if (len < 8) return -E.EINVAL;
      if (scratch.readInt32LE(0) === 0) s.linger[0] = 0;
      else {
        s.linger[0] = 1;
        s.linger[1] = Math.max(0, scratch.readInt32LE(4));
      }
      return 0;
    case SO_RCVTIMEO_OLD:
    case SO_RCVTIMEO_NEW:
    case SO_SNDTIMEO_OLD:
    case SO_SNDTIMEO_NEW: {
      if (len < 16) return -E.EINVAL;
      const ns = readTimeo(scratch);
      if (ns === null) return -E.EDOM;
      if (name === SO_RCVTIMEO_OLD || name === SO_RCVTIMEO_NEW) s.rcvtimeo = ns;
      else s.sndtimeo = ns;
      return 0;
    }
    case SO_TYPE:
    case SO_PROTOCOL:
    case SO_DOMAIN:
    case SO_ERROR:
    case SO_PEERCRED:
    case SO_ACCEPTCONN:
    case SO_SNDLOWAT:
      return -E.ENOPROTOOPT;
    default:
      if (!RECORDED.has(name)) return -E.ENOPROTOOPT;
      s.boolOpts.set(name, v !== 0 ? 1 : 0);
      return 0;
  }
}

export function register(tbl: SyscallTable): void {
  const fam = 'AF_UNIX in the sentry; AF_INET/AF_INET6 on host sockets in the sandbox\'s network namespace';
  tbl.def(NR.socket, socket, 'partial',
    'AF_UNIX: SOCK_STREAM, SOCK_DGRAM (and SOCK_RAW as DGRAM), SOCK_SEQPACKET, served inside the sentry; ' +
    'AF_INET/AF_INET6: SOCK_STREAM and SOCK_DGRAM (TCP, UDP, and ICMP echo where net.ipv4.ping_group_range allows) ' +
    'on host sockets; SOCK_RAW is EPERM (no CAP_NET_RAW on the host); AF_NETLINK: NETLINK_ROUTE only, read-only ' +
    '(dumps and gets of links, addresses, routes, neighbours, rules; other requests EPERM); AF_PACKET and others: ' +
    'EAFNOSUPPORT');
  tbl.def(NR.socketpair, socketpair, 'partial', 'AF_UNIX only (AF_INET: EOPNOTSUPP, others: EAFNOSUPPORT)');
  tbl.def(NR.bind, bind, 'partial', `${fam}: path names (socket inodes), abstract names, autobind; inet ports below ` +
    '1024 need CAP_NET_BIND_SERVICE in the sandbox');
  tbl.def(NR.listen, listen, 'partial', fam);
  tbl.def(NR.accept, accept, 'partial', fam);
  tbl.def(NR.accept4, accept4, 'partial', fam);
  tbl.def(NR.connect, connect, 'partial', `${fam}; a blocking inet connect waits in the sentry (SO_SNDTIMEO honoured)`);
  tbl.def(NR.shutdown, shutdown, 'partial', fam);
  const hostStdio = 'sockets inherited from the host as stdio report an unnamed AF_UNIX address';
  tbl.def(NR.getsockname, getsockname, 'partial', `${fam}; ${hostStdio}`);
  tbl.def(NR.getpeername, getpeername, 'partial', `${fam}; ${hostStdio}`);
  const inetData = 'inet: data through a 256 KiB staging buffer per host call, IP-level control messages only ' +
    '(SOL_SOCKET ones are EINVAL), MSG_ZEROCOPY ignored';
  tbl.def(NR.sendto, sendto, 'partial', `${fam}; unix MSG_OOB is EOPNOTSUPP; ${inetData}`);
  tbl.def(NR.recvfrom, recvfrom, 'partial', `${fam}; unix MSG_OOB is EOPNOTSUPP; SO_PEEK_OFF unsupported`);
  tbl.def(NR.sendmsg, sendmsg, 'partial', `${fam}; unix: SCM_RIGHTS and SCM_CREDENTIALS (no SCM_PIDFD/SCM_SECURITY); ${inetData}`);
  tbl.def(NR.recvmsg, recvmsg, 'partial',
    `${fam}; unix: SCM_RIGHTS and SCM_CREDENTIALS (no SCM_PIDFD/SCM_SECURITY); inet: the host's control messages`);
  tbl.def(NR.sendmmsg, sendmmsg, 'partial',
    `${fam}; messages after the first never block (the call returns the count sent so far)`);
  tbl.def(NR.recvmmsg, recvmmsg, 'partial',
    `${fam}; messages after the first never block (as with MSG_WAITFORONE); the timeout is only validated`);
  tbl.def(NR.getsockopt, getsockopt, 'partial',
    'AF_UNIX: SOL_SOCKET only (TYPE, ERROR, DOMAIN, PROTOCOL, SNDBUF, RCVBUF, PASSCRED, PEERCRED, ACCEPTCONN, ' +
    'RCVLOWAT, SNDLOWAT, RCVTIMEO, SNDTIMEO, LINGER, PRIORITY and recorded flags; no SO_PEEK_OFF); host stdio ' +
    `sockets answer SO_TYPE/SO_DOMAIN as AF_UNIX SOCK_STREAM; inet: an allow-list, ${POLICY_SUMMARY}`);
  tbl.def(NR.setsockopt, setsockopt, 'partial',
    'AF_UNIX: SOL_SOCKET only; SO_SNDBUF limits unread bytes, SO_RCVBUF is recorded (Linux ignores it for ' +
    `AF_UNIX too); REUSEADDR/KEEPALIVE/... are recorded without effect; inet: ${POLICY_SUMMARY}; a timed SO_LINGER ` +
    'is recorded but the close does not wait (only linger 0, the abortive close, reaches the host)');
}
