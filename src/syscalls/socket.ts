// Sockets: socketpair(AF_UNIX, SOCK_STREAM) and the calls that work on such a pair
// (send/recv without ancillary data, shutdown, names, options). socket(2), bind, connect,
// listen and accept are not implemented yet (ENOSYS).
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import {
  AF_UNIX, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_WAITALL, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM,
  UnixStreamSocket, newStreamPair,
} from '../net/unix/stream';
import { O_CLOEXEC, O_NONBLOCK } from '../vfs/abi';
import { readIovecs, readToUser, readvToUser, writeFlags, writeFromUser, writevFromUser } from './fs_util';
import { NR } from './names';
import { SyscallTable } from './table';
import { readI32, scratch } from './util';

const SOCK_TYPE_MASK = 0xf;
const SOL_SOCKET = 1;
const SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_PEERCRED = 17, SO_PROTOCOL = 38, SO_DOMAIN = 39;
const RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK | MSG_WAITALL | 0x40000000; // + MSG_CMSG_CLOEXEC
const SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL | 0x8000 | 0x800; // + MSG_MORE, MSG_EOR

function socketpair(t: Task, domain: number, type: number, protocol: number, sv: number): number {
  domain |= 0;
  type |= 0;
  protocol |= 0;
  // Linux creates the socket first: inet families then refuse the pair.
  if (domain === 2 || domain === 10) return -E.EOPNOTSUPP;
  if (domain !== AF_UNIX) return -E.EAFNOSUPPORT;
  const flags = type & ~SOCK_TYPE_MASK;
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  const kind = type & SOCK_TYPE_MASK;
  if (kind === SOCK_DGRAM || kind === SOCK_SEQPACKET) return -E.EOPNOTSUPP;
  if (kind !== SOCK_STREAM) return -E.ESOCKTNOSUPPORT;
  if (protocol !== 0) return -E.EPROTONOSUPPORT;
  const [a, b] = newStreamPair(t, flags & O_NONBLOCK);
  const cloexec = (flags & O_CLOEXEC) !== 0;
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

/** The socket behind fd: -EBADF, -ENOTSOCK, or the socket. */
function sock(t: Task, fd: number): UnixStreamSocket | number {
  const f = t.fdTable.get(fd | 0);
  if (f === null) return -E.EBADF;
  if (!(f instanceof UnixStreamSocket)) return -E.ENOTSOCK;
  return f;
}

/** Runs fn with the socket's call flags set and SIGPIPE suppressed for MSG_NOSIGNAL. */
function withFlags(s: UnixStreamSocket, flags: number, fn: () => number): number {
  s.msgFlags = flags;
  writeFlags.noSigpipe = (flags & MSG_NOSIGNAL) !== 0;
  try {
    return fn();
  } finally {
    s.msgFlags = 0;
    writeFlags.noSigpipe = false;
  }
}

function sendto(t: Task, fd: number, buf: number, len: number, flags: number, addr: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  flags |= 0;
  if ((flags & ~SEND_FLAGS) !== 0) return -E.EOPNOTSUPP;
  if (addr !== 0) return -E.EISCONN;
  if (len < 0) return -E.EFAULT;
  return withFlags(s, flags, () => writeFromUser(t, s, buf, len, -1));
}

/** Unnamed AF_UNIX address: sun_family only, length 2. */
function putUnnamed(t: Task, addr: number, lenp: number): number {
  if (addr === 0) return 0;
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  if (l < 0) return -E.EINVAL;
  scratch.writeUInt16LE(AF_UNIX, 0);
  if (l > 0 && t.mm.copyOut(addr, scratch, 0, Math.min(l, 2)) < 0) return -E.EFAULT;
  scratch.writeInt32LE(2, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

function recvfrom(t: Task, fd: number, buf: number, len: number, flags: number, addr: number, lenp: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  flags |= 0;
  if ((flags & ~RECV_FLAGS) !== 0) return -E.EOPNOTSUPP;
  if (len < 0) return -E.EFAULT;
  const r = withFlags(s, flags, () => readToUser(t, s, buf, len, -1));
  if (r < 0) return r;
  if (addr !== 0) {
    // A stream socket's peer is connected: Linux reports no address (addrlen 0).
    scratch.writeInt32LE(0, 0);
    if (t.mm.copyOut(lenp, scratch, 0, 4) < 0) return -E.EFAULT;
  }
  return r;
}

/** Reads a msghdr; returns 0 and fills hdr, or -errno (EINVAL for control data). */
const hdr = { name: 0, namelen: 0, iov: 0, iovlen: 0, control: 0, controllen: 0 };
function readMsghdr(t: Task, addr: number): number {
  if (t.mm.copyIn(addr, scratch, 0, 56) < 0) return -E.EFAULT;
  const u64 = (o: number): number => scratch.readUInt32LE(o + 4) * 4294967296 + scratch.readUInt32LE(o);
  hdr.name = u64(0);
  hdr.namelen = scratch.readInt32LE(8);
  hdr.iov = u64(16);
  hdr.iovlen = u64(24);
  hdr.control = u64(32);
  hdr.controllen = u64(40);
  return 0;
}

function sendmsg(t: Task, fd: number, msg: number, flags: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  flags |= 0;
  if ((flags & ~SEND_FLAGS) !== 0) return -E.EOPNOTSUPP;
  const e = readMsghdr(t, msg);
  if (e < 0) return e;
  if (hdr.controllen !== 0) return -E.EINVAL;
  if (hdr.name !== 0 && hdr.namelen !== 0) return -E.EISCONN;
  const cnt = hdr.iovlen;
  const total = readIovecs(t, hdr.iov, cnt);
  if (total < 0) return total;
  return withFlags(s, flags, () => writevFromUser(t, s, cnt, total, -1));
}

function recvmsg(t: Task, fd: number, msg: number, flags: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  flags |= 0;
  if ((flags & ~RECV_FLAGS) !== 0) return -E.EOPNOTSUPP;
  const e = readMsghdr(t, msg);
  if (e < 0) return e;
  const cnt = hdr.iovlen;
  const total = readIovecs(t, hdr.iov, cnt);
  if (total < 0) return total;
  const r = withFlags(s, flags, () => readvToUser(t, s, cnt, total, -1));
  if (r < 0) return r;
  // No name, no control data, no flags.
  scratch.writeInt32LE(0, 0);
  if (t.mm.copyOut(msg + 8, scratch, 0, 4) < 0) return -E.EFAULT;
  scratch.fill(0, 0, 8);
  if (t.mm.copyOut(msg + 40, scratch, 0, 8) < 0) return -E.EFAULT;
  scratch.writeInt32LE(0, 0);
  if (t.mm.copyOut(msg + 48, scratch, 0, 4) < 0) return -E.EFAULT;
  return r;
}

function shutdown(t: Task, fd: number, how: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  return s.shutdown(how | 0);
}

function getsockname(t: Task, fd: number, addr: number, lenp: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  return putUnnamed(t, addr === 0 ? -1 : addr, lenp);
}

function getpeername(t: Task, fd: number, addr: number, lenp: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  return putUnnamed(t, addr === 0 ? -1 : addr, lenp);
}

function getsockopt(t: Task, fd: number, level: number, name: number, val: number, lenp: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  if ((level | 0) !== SOL_SOCKET) return -E.EOPNOTSUPP;
  const l = readI32(t, lenp);
  if (l === null) return -E.EFAULT;
  if (l < 0) return -E.EINVAL;
  let size = 4;
  switch (name | 0) {
    case SO_TYPE: scratch.writeInt32LE(s.type, 0); break;
    case SO_ERROR: scratch.writeInt32LE(0, 0); break;
    case SO_DOMAIN: scratch.writeInt32LE(AF_UNIX, 0); break;
    case SO_PROTOCOL: scratch.writeInt32LE(0, 0); break;
    case SO_SNDBUF: scratch.writeInt32LE(s.sndbuf, 0); break;
    case SO_RCVBUF: scratch.writeInt32LE(s.rcvbuf, 0); break;
    case SO_PEERCRED: {
      const c = s.cred;
      scratch.writeInt32LE(c.pid, 0);
      scratch.writeInt32LE(c.uid, 4);
      scratch.writeInt32LE(c.gid, 8);
      size = 12;
      break;
    }
    default: return -E.ENOPROTOOPT;
  }
  const n = Math.min(l, size);
  if (t.mm.copyOut(val, scratch, 0, n) < 0) return -E.EFAULT;
  scratch.writeInt32LE(n, 0);
  return t.mm.copyOut(lenp, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
}

function setsockopt(t: Task, fd: number, level: number, name: number, val: number, len: number): number {
  const s = sock(t, fd);
  if (typeof s === 'number') return s;
  if ((level | 0) !== SOL_SOCKET) return -E.EOPNOTSUPP;
  name |= 0;
  if (name !== SO_SNDBUF && name !== SO_RCVBUF) return -E.ENOPROTOOPT;
  if ((len | 0) < 4) return -E.EINVAL;
  const v = readI32(t, val);
  if (v === null) return -E.EFAULT;
  // Linux doubles the value (bookkeeping overhead) within its minimum and rmem/wmem_max.
  const capped = Math.min(Math.max(v, 0), SOCK_MAX);
  if (name === SO_SNDBUF) s.sndbuf = Math.max(capped * 2, 4608);
  else s.rcvbuf = Math.max(capped * 2, 2304);
  return 0;
}
const SOCK_MAX = 212992;

export function register(tbl: SyscallTable): void {
  const unix = 'AF_UNIX SOCK_STREAM socketpairs only';
  tbl.def(NR.socketpair, socketpair, 'partial',
    'AF_UNIX SOCK_STREAM only (SOCK_DGRAM/SOCK_SEQPACKET: EOPNOTSUPP; other domains: EAFNOSUPPORT)');
  tbl.def(NR.sendto, sendto, 'partial', `${unix}; no destination address`);
  tbl.def(NR.recvfrom, recvfrom, 'partial', unix);
  tbl.def(NR.sendmsg, sendmsg, 'partial', `${unix}; msg_control must be empty (EINVAL): no SCM_RIGHTS/SCM_CREDENTIALS`);
  tbl.def(NR.recvmsg, recvmsg, 'partial', `${unix}; never returns ancillary data`);
  tbl.def(NR.shutdown, shutdown, 'partial', unix);
  tbl.def(NR.getsockname, getsockname, 'partial', `${unix} (unnamed address)`);
  tbl.def(NR.getpeername, getpeername, 'partial', `${unix} (unnamed address)`);
  tbl.def(NR.getsockopt, getsockopt, 'partial',
    `${unix}; SOL_SOCKET SO_TYPE/SO_ERROR/SO_DOMAIN/SO_PROTOCOL/SO_SNDBUF/SO_RCVBUF/SO_PEERCRED`);
  tbl.def(NR.setsockopt, setsockopt, 'partial', `${unix}; SO_SNDBUF/SO_RCVBUF recorded only`);
  for (const nr of [NR.socket, NR.bind, NR.connect, NR.listen, NR.accept, NR.accept4]) {
    tbl.unsupported(nr, 'sockets other than socketpair(AF_UNIX, SOCK_STREAM) are not implemented yet (issue 4)');
  }
}
