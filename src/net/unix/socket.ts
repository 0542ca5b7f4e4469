// Unix domain sockets (AF_UNIX), served entirely inside the sentry: SOCK_STREAM,
// SOCK_DGRAM and SOCK_SEQPACKET, named in the file system or the abstract namespace,
// with listen/accept, ancillary data (SCM_RIGHTS, SCM_CREDENTIALS) and Linux's
// af_unix.c semantics for the error paths and readiness.
//
// Model (as Linux's): every socket owns a receive queue filled by its senders and a wait
// queue (sk_wq) woken when its own readiness changes; `peerWait` is woken when its receive
// queue drains (connectors waiting for backlog room, datagram senders waiting for queue
// room). Stream data lives in a byte ring; the few places where Linux's per-send buffers
// (skbs) matter to a reader — passed file descriptors and, with SO_PASSCRED, a change of
// writer credentials — are kept as segment marks over the ring, so plain traffic needs no
// allocation per call. Datagram and seqpacket messages are queued whole.
//
// Buffer accounting: a sender may have sndbuf bytes sent and not yet read (Linux's
// sk_wmem_alloc against sk_sndbuf); datagrams are charged their length plus a fixed
// per-message overhead as Linux charges skb truesize. Datagram receivers that are not
// connected back to the sender also hold at most max_dgram_qlen+1 messages.
import * as E from '../../abi/errno';
import type { Task } from '../../kernel/task';
import { MAY_WRITE, O_NONBLOCK, O_RDWR, S_IFMT, S_IFSOCK } from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import type { Mount } from '../../vfs/mount';
import { mknodDentryAt, unlinkAt } from '../../vfs/ops';
import { permission } from '../../vfs/perm';
import { Stat } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';
import { Walk, walkPath } from '../../vfs/walk';
import {
  EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT, EVENT_RDHUP, EVENT_RDNORM, EVENT_WRBAND, EVENT_WRNORM, Waiter,
  WaitQueue,
} from '../../waiter/waiter';
import { AF_UNIX, SUN_PATH_OFFSET, UnixAddr, UnixNames, abstractAddr, pathAddr } from './names';
import { Ring, UserBuffers } from './queue';
import { sockMount, socketDentry } from '../sockfs';
import { interfaceIoctl, interfaceQuerySocket, isInterfaceIoctl } from '../host/ifreq';

export { AF_UNIX } from './names';
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
/** Linux's default net.core.{r,w}mem_default and _max. */
export const SOCK_DEFAULT_BUF = 212992;
export const SOCK_MAX_BUF = 212992;
/** net.core.somaxconn, net.unix.max_dgram_qlen (Linux defaults). */
export const SOMAXCONN = 4096;
export const MAX_DGRAM_QLEN = 10;
export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3;
export const MSG_OOB = 0x1, MSG_PEEK = 0x2, MSG_CTRUNC = 0x8, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40,
  MSG_EOR = 0x80, MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
/** What one datagram costs its sender beyond its bytes (Linux: sk_buff + shared info). */
const DGRAM_OVERHEAD = 768;

/** Socket states (Linux reuses TCP's names). */
export const enum SockState {
  Close = 0,
  Listen = 1,
  Established = 2,
}

const SIOCOUTQ = 0x5411;
const outqBuf = Buffer.alloc(4);

/** Credentials as SO_PEERCRED and SCM_CREDENTIALS carry them. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** SO_PEERCRED of a socket without a peer: pid 0, uid and gid -1. */
export const NO_PEER_CRED: PeerCred = { pid: 0, uid: -1, gid: -1 };
/** SCM_CREDENTIALS of data sent with no credentials attached (overflow ids). */
export const NO_SKB_CRED: PeerCred = { pid: 0, uid: 65534, gid: 65534 };
/** SCM_CREDENTIALS of a stream read that found no data (Linux reports a zeroed cookie). */
export const EOF_CRED: PeerCred = { pid: 0, uid: 0, gid: 0 };

const sameCred = (a: PeerCred | null, b: PeerCred | null): boolean =>
  a === b || (a !== null && b !== null && a.pid === b.pid && a.uid === b.uid && a.gid === b.gid);

/** Ancillary data of one send, parsed by the syscall layer. fds carry one reference each. */
export class SendCtl {
  fds: FileDescription[] | null = null;
  cred: PeerCred | null = null;

  reset(): this {
    this.fds = null;
    this.cred = null;
    return this;
  }
}

/** What a receive hands back besides the bytes. fds carry one reference each. */
export class RecvOut {
  /** Set when the receiver has SO_PASSCRED: the credentials to report. */
  cred: PeerCred | null = null;
  fds: FileDescription[] | null = null;
  /** The sender's address (null: unnamed or none). */
  from: UnixAddr | null = null;
  /** MSG_TRUNC / MSG_EOR for msg_flags. */
  flags = 0;

  reset(): this {
    this.cred = null;
    this.fds = null;
    this.from = null;
    this.flags = 0;
    return this;
  }
}

/** A mark over a stream ring: bytes up to `end` (absolute) came with these attachments. */
class Seg {
  constructor(public end: number, public cred: PeerCred | null, public fds: FileDescription[] | null) {}
}

/** A queued datagram / seqpacket record. */
class Msg {
  constructor(
    readonly data: Buffer,
    readonly cred: PeerCred | null,
    public fds: FileDescription[] | null,
    readonly from: UnixAddr | null,
    readonly sender: UnixSocket,
    readonly charge: number,
  ) {}
}

export const names = new UnixNames<UnixSocket>();

// ---- in-flight descriptors and their garbage collector --------------------------------

/** Sockets whose descriptions sit in some receive queue (passed with SCM_RIGHTS). */
const inflight = new Set<UnixSocket>();
let gcRunning = false;

function fdsInFlight(fds: FileDescription[]): void {
  for (const f of fds) {
    if (f instanceof UnixSocket) {
      f.inflight++;
      inflight.add(f);
    }
  }
}

function fdsLanded(fds: FileDescription[]): void {
  for (const f of fds) {
    if (f instanceof UnixSocket && --f.inflight === 0) inflight.delete(f);
  }
}

function dropFds(fds: FileDescription[] | null): void {
  if (fds === null) return;
  fdsLanded(fds);
  for (const f of fds) f.decRef();
}

/**
 * Linux's unix_gc: sockets referenced only from receive queues (every reference in
 * flight) and reachable only from other such sockets form unreachable cycles; their
 * queues are purged, which drops the last references.
 */
function collect(): void {
  if (gcRunning || inflight.size === 0) return;
  gcRunning = true;
  try {
    const cand = new Set<UnixSocket>();
    for (const s of inflight) if (s.refCount > 0 && s.refCount === s.inflight) cand.add(s);
    if (cand.size === 0) return;
    const internal = new Map<UnixSocket, number>();
    for (const s of cand) {
      s.forEachQueuedFd((f) => {
        if (f instanceof UnixSocket && cand.has(f)) internal.set(f, (internal.get(f) ?? 0) + 1);
      });
    }
    // A candidate with references from outside the candidates' queues is alive, and so is
    // everything reachable from it.
    const alive: UnixSocket[] = [];
    for (const s of cand) if ((internal.get(s) ?? 0) < s.inflight) alive.push(s);
    const live = new Set<UnixSocket>(alive);
    while (alive.length > 0) {
      const s = alive.pop() as UnixSocket;
      s.forEachQueuedFd((f) => {
        if (f instanceof UnixSocket && cand.has(f) && !live.has(f)) {
          live.add(f);
          alive.push(f);
        }
      });
    }
    const dead = [...cand].filter((s) => !live.has(s));
    for (const s of dead) s.purge();
  } finally {
    gcRunning = false;
  }
}

// ---- the socket ------------------------------------------------------------------------

const st = new Stat();
const walk = new Walk();

export class UnixSocket extends FileDescription {
  state = SockState.Close;
  /** Connected peer (stream/seqpacket: kept after the peer closes, as Linux keeps it). */
  peer: UnixSocket | null = null;
  addr: UnixAddr | null = null;
  /** Table key of the inode a path bind created. */
  private inodeKey = '';
  shut = 0;
  /** sk_err: reported once by the next receive or SO_ERROR. */
  err = 0;
  sndbuf = SOCK_DEFAULT_BUF;
  rcvbuf = SOCK_DEFAULT_BUF;
  /** Bytes (plus datagram overhead) this socket has sent that nobody has read yet. */
  wmem = 0;
  passcred = false;
  /** SO_PEERCRED. */
  peerCred: PeerCred = NO_PEER_CRED;
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns (0: none). */
  rcvtimeo = 0;
  sndtimeo = 0;
  rcvlowat = 1;
  /** Plain SOL_SOCKET flags recorded for getsockopt (SO_REUSEADDR, SO_KEEPALIVE, ...). */
  readonly boolOpts = new Map<number, number>();
  linger = [0, 0];
  /** listen(2) backlog (sk_max_ack_backlog); datagram sockets use max_dgram_qlen. */
  backlog = MAX_DGRAM_QLEN;
  /** Pending connections of a listening socket (their server-side sockets). */
  private pending: UnixSocket[] = [];
  /** Stream receive queue and its segment marks (absolute byte counts). */
  private readonly ring = new Ring();
  private segs: Seg[] = [];
  private rxIn = 0;
  private rxOut = 0;
  /** Datagram/seqpacket receive queue. */
  private msgs: Msg[] = [];
  private msgHead = 0;
  /** Bytes queued in msgs (SIOCINQ of a seqpacket socket). */
  private msgBytes = 0;
  /** Times this description sits in some receive queue (SCM_RIGHTS in flight). */
  inflight = 0;
  /** sk_wq: notified when this socket's readiness changes. */
  readonly queue = new WaitQueue();
  /** Notified when this socket's receive queue drains (senders/connectors wait here). */
  readonly peerWait = new WaitQueue();
  /** Wakes our pollers when a full receiver we send to drains (Linux's peer_wake). */
  private readonly peerWake: Waiter & { on: UnixSocket | null };
  /** Credentials a blocked MSG_WAITALL stream read saw first (SO_PASSCRED gluing rule). */
  private waitallCred: PeerCred | null = null;
  /** Cached credentials object of the last sender, so sends do not allocate one each. */
  private lastCred: PeerCred | null = null;
  private released = false;

  constructor(mnt: Mount, d: Dentry, readonly type: number, flags: number) {
    super(mnt, d, O_RDWR | flags);
    const self = this;
    this.peerWake = {
      on: null,
      notify(): void {
        const o = this.on;
        if (o !== null) o.peerWait.remove(this);
        this.on = null;
        self.queue.notify(EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND);
      },
    };
  }

  get isStream(): boolean {
    return this.type === SOCK_STREAM;
  }

  get connectionBased(): boolean {
    return this.type !== SOCK_DGRAM;
  }

  // ---- credentials ---------------------------------------------------------------------

  /** The sender's credentials as attached to data: pid and real uid/gid (Linux's current_uid_gid). */
  private credOf(t: Task): PeerCred {
    const c = this.lastCred;
    const pid = t.tgid, uid = t.creds.uid, gid = t.creds.gid;
    if (c !== null && c.pid === pid && c.uid === uid && c.gid === gid) return c;
    return (this.lastCred = { pid, uid, gid });
  }

  /** Credentials to attach to a send: explicit ones, or the sender's when either side passes them. */
  private sendCred(t: Task, ctl: SendCtl | null, other: UnixSocket): PeerCred | null {
    if (ctl !== null && ctl.cred !== null) return ctl.cred;
    if (this.passcred || other.passcred) return this.credOf(t);
    return null;
  }

  // ---- names -------------------------------------------------------------------------------

  /** bind(2) to a path: creates the socket inode (EADDRINUSE if the name exists). */
  bindPath(t: Task, path: string): number {
    if (path.length === 0) return -E.ENOENT;
    const d = mknodDentryAt(walk.init(t, t.fs), path, S_IFSOCK | 0o777, 0, t.fs.umask);
    if (typeof d === 'number') return d === -E.EEXIST ? -E.EADDRINUSE : d;
    if (this.addr !== null) {
      // Linux creates the node first and removes it again when the socket is bound.
      unlinkAt(walk.init(t, t.fs), path);
      return -E.EINVAL;
    }
    this.addr = pathAddr(path);
    this.inodeKey = UnixNames.inodeKey(d.inode);
    names.addInode(this.inodeKey, this);
    return 0;
  }

  /** bind(2) to an abstract name (raw sun_path bytes, leading NUL included). */
  bindAbstract(path: Buffer): number {
    if (this.addr !== null) return -E.EINVAL;
    const a = abstractAddr(path);
    if (names.findAbstract(this.type, a.name) !== undefined) return -E.EADDRINUSE;
    this.addr = a;
    names.addAbstract(this, a.name);
    return 0;
  }

  /** Autobind: an abstract name of five hex digits (bind with only sun_family, SO_PASSCRED sends). */
  autobind(t: Task): number {
    if (this.addr !== null) return 0;
    const b = Buffer.alloc(6);
    t.kernel.random(b, 0, 4);
    const start = b.readUInt32LE(0) & 0xfffff;
    let n = start;
    for (;;) {
      n = (n + 1) & 0xfffff;
      b[0] = 0;
      b.write(n.toString(16).padStart(5, '0'), 1, 'latin1');
      if (names.findAbstract(this.type, b.toString('latin1')) === undefined) return this.bindAbstract(b);
      if (n === start) return -E.ENOSPC;
    }
  }

  /**
   * Finds the socket an address names, with Linux's unix_find_other errors: path walk
   * errors, EACCES without write permission on the socket file, ECONNREFUSED when it is
   * not a socket or nothing is bound to it, EPROTOTYPE for a socket of another type.
   */
  static find(t: Task, a: UnixAddr, type: number): UnixSocket | number {
    if (a.abstract) {
      const s = names.findAbstract(type, a.name);
      return s === undefined ? -E.ECONNREFUSED : s;
    }
    if (a.name.length === 0) return -E.ENOENT;
    const w = walk.init(t, t.fs);
    const r = walkPath(w, a.name, true);
    if (r < 0) return r;
    const inode = w.d.inode;
    const p = permission(t.creds, inode, MAY_WRITE);
    if (p < 0) return p;
    if ((inode.mode & S_IFMT) !== S_IFSOCK) return -E.ECONNREFUSED;
    const s = names.findInode(UnixNames.inodeKey(inode));
    if (s === undefined) return -E.ECONNREFUSED;
    if (s.type !== type) return -E.EPROTOTYPE;
    return s;
  }

  // ---- connections ------------------------------------------------------------------------

  listen(t: Task, backlog: number): number {
    if (this.type === SOCK_DGRAM) return -E.EOPNOTSUPP;
    if (this.addr === null) return -E.EINVAL;
    if (this.state !== SockState.Close && this.state !== SockState.Listen) return -E.EINVAL;
    if (backlog > this.backlog) this.peerWait.notify(EVENT_OUT);
    this.backlog = backlog;
    this.state = SockState.Listen;
    this.peerCred = peerCredOf(t);
    return 0;
  }

  /** Sets the call's deadline from a timeout on the first run of a blocking call. */
  private static startDeadline(t: Task, timeo: number): void {
    if (!t.restarting) t.sysDeadline = timeo > 0 ? t.kernel.clock.monoNow() + timeo : -1;
  }

  /** The would-block outcome: EAGAIN, EINTR/ERESTARTSYS, or park on q. */
  private static wait(t: Task, q: WaitQueue, mask: number, nonblock: boolean, timeo: number): number {
    // A negative timeout (set as a negative timeval) means "do not wait", as Linux's zero jiffies.
    if (nonblock || timeo < 0) return -E.EAGAIN;
    if (t.restarting && t.timedOut) return -E.EAGAIN;
    if (t.interrupted()) return timeo > 0 ? -E.EINTR : -E.ERESTARTSYS;
    return t.block(q, mask, t.sysDeadline);
  }

  /** connect(2) of a stream/seqpacket socket to target (already found). */
  connectStream(t: Task, target: UnixSocket): number {
    UnixSocket.startDeadline(t, this.sndtimeo);
    if (target.state !== SockState.Listen || (target.shut & RCV_SHUTDOWN) !== 0) return -E.ECONNREFUSED;
    if (target.pending.length > target.backlog) {
      return UnixSocket.wait(t, target.peerWait, EVENT_OUT, this.nonblocking, this.sndtimeo);
    }
    if (this.state === SockState.Established) return -E.EISCONN;
    if (this.state !== SockState.Close) return -E.EINVAL;
    const server = newUnixSocket(t, this.type, 0);
    server.peer = this;
    server.state = SockState.Established;
    server.peerCred = peerCredOf(t);
    server.addr = target.addr;
    this.peerCred = target.peerCred;
    this.peer = server;
    this.state = SockState.Established;
    target.pending.push(server);
    target.queue.notify(EVENT_IN | EVENT_RDNORM);
    this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    return 0;
  }

  /** connect(2) of a datagram socket: sets (or with null, clears) the default destination. */
  connectDgram(target: UnixSocket | null): number {
    if (target !== null) {
      if (target.peer !== null && target.peer !== this) return -E.EPERM;
      this.state = SockState.Established;
    }
    const old = this.peer;
    this.peer = target;
    if (target === null) this.state = SockState.Close;
    if (old !== null && old !== target) {
      this.unhookPeerWake();
      this.disconnected(old);
    }
    this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    return 0;
  }

  /** Linux's unix_dgram_disconnected: our queue is dropped; a peer connected back learns ECONNRESET. */
  private disconnected(old: UnixSocket): void {
    if (this.msgHead >= this.msgs.length) return;
    this.purgeMsgs();
    this.peerWait.notify(EVENT_OUT);
    if (!old.released && old.peer === this) {
      old.err = E.ECONNRESET;
      old.queue.notify(EVENT_ERR);
    }
  }

  /** accept(2): the next pending connection (one reference), or -errno / BLOCKED. */
  accept(t: Task): UnixSocket | number {
    if (this.type === SOCK_DGRAM) return -E.EOPNOTSUPP;
    if (this.state !== SockState.Listen) return -E.EINVAL;
    UnixSocket.startDeadline(t, this.rcvtimeo);
    if (this.pending.length === 0) {
      if (this.err !== 0) return -this.takeErr();
      if ((this.shut & RCV_SHUTDOWN) !== 0) return -E.EINVAL;
      return UnixSocket.wait(t, this.queue, EVENT_IN | EVENT_ERR | EVENT_HUP, this.nonblocking, this.rcvtimeo);
    }
    const s = this.pending.shift() as UnixSocket;
    this.peerWait.notify(EVENT_OUT);
    // accept inherits SO_PASSCRED from the listener (unix_sock_inherit_flags).
    s.passcred = this.passcred;
    return s;
  }

  takeErr(): number {
    const e = this.err;
    this.err = 0;
    return e;
  }

  shutdown(how: number): number {
    if (how < 0 || how > 2) return -E.EINVAL;
    const mode = how + 1;
    this.shut |= mode;
    this.queue.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_RDHUP);
    const p = this.peer;
    if (p !== null && this.type !== SOCK_DGRAM) {
      let pm = 0;
      if ((mode & RCV_SHUTDOWN) !== 0) pm |= SEND_SHUTDOWN;
      if ((mode & SEND_SHUTDOWN) !== 0) pm |= RCV_SHUTDOWN;
      p.shut |= pm;
      p.queue.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_RDHUP);
    }
    return 0;
  }

  // ---- sending ------------------------------------------------------------------------------

  /** Stream bytes the sender may still queue. */
  private get sendRoom(): number {
    return this.wmem < this.sndbuf ? this.sndbuf - this.wmem : 0;
  }

  /**
   * sendmsg on a stream socket. nameLen: the msg_namelen given. Consumes ctl's fd
   * references. Returns the count, -errno or BLOCKED (progress kept in t.ioProgress).
   * pipeErr tells the caller whether an EPIPE is due a SIGPIPE.
   */
  sendStream(t: Task, io: UserBuffers, ctl: SendCtl | null, nameLen: number, flags: number): number {
    if (!t.restarting) t.ioProgress = 0;
    this.fdsTaken = false;
    this.pipeErr = false;
    const r = this.sendStreamInner(t, io, ctl, nameLen, flags);
    // fds not attached are dropped (a re-run after blocking parses the control data again).
    if (ctl !== null && ctl.fds !== null && !this.fdsTaken) dropFds0(ctl.fds);
    this.fdsTaken = false;
    if (r === BLOCKED_RESULT) return r;
    const done = t.ioProgress;
    t.ioProgress = 0;
    if (r < 0) {
      if (done > 0) return done;
      this.pipeErr = r === -E.EPIPE;
      return r;
    }
    return done;
  }

  /** Set when the last send failed with EPIPE having sent nothing (SIGPIPE is due). */
  pipeErr = false;
  private fdsTaken = false;

  private sendStreamInner(t: Task, io: UserBuffers, ctl: SendCtl | null, nameLen: number, flags: number): number {
    if (nameLen !== 0) return this.state === SockState.Established ? -E.EISCONN : -E.EOPNOTSUPP;
    const other = this.peer;
    if (other === null) return -E.ENOTCONN;
    if ((this.shut & SEND_SHUTDOWN) !== 0) return -E.EPIPE;
    const start = t.ioProgress;
    const len = io.total - start;
    if (len === 0) return 0;
    UnixSocket.startDeadline(t, this.sndtimeo);
    if (other.released || (other.shut & RCV_SHUTDOWN) !== 0) return -E.EPIPE;
    const room = this.sendRoom;
    if (room === 0) {
      if (this.err !== 0) return -this.takeErr();
      const r = UnixSocket.wait(t, this.queue, EVENT_OUT | EVENT_ERR | EVENT_HUP, this.nonblocking || (flags & MSG_DONTWAIT) !== 0,
        this.sndtimeo);
      // EAGAIN / EINTR after a partial send report the partial count (sendStream does that).
      return r;
    }
    const n = Math.min(len, room);
    const fds = start === 0 && ctl !== null ? ctl.fds : null;
    const cred = this.sendCred(t, ctl, other);
    if (other.ring.putFrom(io, start, n) < 0) return -E.EFAULT;
    other.markSegment(n, cred, fds);
    if (fds !== null) {
      fdsInFlight(fds);
      this.fdsTaken = true;
    }
    this.wmem += n;
    other.queue.notify(EVENT_IN | EVENT_RDNORM);
    if (n < len) {
      // The rest waits for room: keep the progress and block (or report the partial count).
      t.ioProgress = start + n;
      const nb = this.nonblocking || (flags & MSG_DONTWAIT) !== 0;
      if (nb) return 0;
      const r = UnixSocket.wait(t, this.queue, EVENT_OUT | EVENT_ERR | EVENT_HUP, false, this.sndtimeo);
      return r === BLOCKED_RESULT ? r : 0;
    }
    t.ioProgress = start + n;
    return 0;
  }

  /** Appends a segment mark for n bytes just added to the ring. */
  private markSegment(n: number, cred: PeerCred | null, fds: FileDescription[] | null): void {
    const end = this.rxIn + n;
    this.rxIn = end;
    const segs = this.segs;
    const last = segs.length > 0 ? segs[segs.length - 1] : null;
    if (last !== null && fds === null && last.fds === null && sameCred(last.cred, cred)) {
      last.end = end;
      return;
    }
    const spare = this.spareSeg;
    if (spare !== null) {
      this.spareSeg = null;
      spare.end = end;
      spare.cred = cred;
      spare.fds = fds;
      segs.push(spare);
    } else {
      segs.push(new Seg(end, cred, fds));
    }
  }

  private spareSeg: Seg | null = null;

  /**
   * sendmsg on a datagram or seqpacket socket. to: the parsed msg_name (null when
   * msg_namelen is 0, -errno when it is invalid). Consumes ctl's fd references.
   */
  sendDgram(t: Task, io: UserBuffers, ctl: SendCtl | null, to: UnixAddr | number | null, flags: number): number {
    this.fdsTaken = false;
    const r = this.sendDgramInner(t, io, ctl, to, flags);
    if (ctl !== null && ctl.fds !== null && !this.fdsTaken) dropFds0(ctl.fds);
    this.fdsTaken = false;
    return r;
  }

  private sendDgramInner(t: Task, io: UserBuffers, ctl: SendCtl | null, to: UnixAddr | number | null,
    flags: number): number {
    if (this.type === SOCK_SEQPACKET) {
      if (this.err !== 0) return -this.takeErr();
      if (this.state !== SockState.Established) return -E.ENOTCONN;
      to = null;
    }
    if (typeof to === 'number') return to;
    let other: UnixSocket | null = null;
    if (to === null) {
      other = this.peer;
      if (other === null) return -E.ENOTCONN;
    }
    if (this.passcred && this.addr === null) {
      const r = this.autobind(t);
      if (r < 0) return r;
    }
    const len = io.total;
    if (len > this.sndbuf - 32) return -E.EMSGSIZE;
    UnixSocket.startDeadline(t, this.sndtimeo);
    const nonblock = this.nonblocking || (flags & MSG_DONTWAIT) !== 0;
    if (this.err !== 0) return -this.takeErr();
    if ((this.shut & SEND_SHUTDOWN) !== 0) return -E.EPIPE;
    if (this.wmem >= this.sndbuf) {
      return UnixSocket.wait(t, this.queue, EVENT_OUT | EVENT_ERR, nonblock, this.sndtimeo);
    }
    const data = Buffer.allocUnsafe(len);
    if (len > 0 && io.gather(0, data, 0, len) < 0) return -E.EFAULT;
    for (;;) {
      if (other === null) {
        if (to === null) return -E.ECONNRESET;
        const f = UnixSocket.find(t, to, this.type);
        if (typeof f === 'number') return f;
        other = f;
      }
      if (other.peer !== null && other.peer !== this) return -E.EPERM;
      if (other.released) {
        if (this.type === SOCK_SEQPACKET) return -E.EPIPE;
        if (this.peer === other) {
          this.peer = null;
          this.state = SockState.Close;
          this.unhookPeerWake();
          this.disconnected(other);
          return -E.ECONNREFUSED;
        }
        other = null;
        continue;
      }
      break;
    }
    if ((other.shut & RCV_SHUTDOWN) !== 0) return -E.EPIPE;
    if (other !== this && other.peer !== this && other.queuedMsgs > other.backlog) {
      return UnixSocket.wait(t, other.peerWait, EVENT_OUT, nonblock, this.sndtimeo);
    }
    const cred = this.sendCred(t, ctl, other);
    const fds = ctl !== null ? ctl.fds : null;
    if (fds !== null) {
      fdsInFlight(fds);
      this.fdsTaken = true;
    }
    const charge = len + DGRAM_OVERHEAD;
    this.wmem += charge;
    other.msgs.push(new Msg(data, cred, fds, this.addr, this, charge));
    other.msgBytes += len;
    other.queue.notify(EVENT_IN | EVENT_RDNORM);
    return len;
  }

  private get queuedMsgs(): number {
    return this.msgs.length - this.msgHead;
  }

  // ---- receiving ----------------------------------------------------------------------------

  /** Gives back send-buffer room to the writer of consumed data, waking it if it becomes writable. */
  private giveBack(w: UnixSocket, n: number): void {
    const before = w.wmem;
    w.wmem = before - n;
    if (before * 4 > w.sndbuf && w.wmem * 4 <= w.sndbuf) w.queue.notify(EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND);
    else if (before >= w.sndbuf) w.queue.notify(EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND);
  }

  /**
   * recvmsg on a stream socket, following unix_stream_read_generic: data of several
   * sends is glued together, except that a read stops after data that carried file
   * descriptors and, with SO_PASSCRED, before data from other credentials. Returns the
   * count, -errno or BLOCKED (MSG_WAITALL progress kept in t.ioProgress).
   */
  recvStream(t: Task, io: UserBuffers, flags: number, out: RecvOut): number {
    if (!t.restarting) {
      t.ioProgress = 0;
      this.waitallCred = null;
    }
    // Out-of-band data is never sent here, so an MSG_OOB read finds none (Linux: EINVAL).
    if ((flags & MSG_OOB) !== 0) return -E.EINVAL;
    if (this.state !== SockState.Established) return -E.EINVAL;
    UnixSocket.startDeadline(t, this.rcvtimeo);
    const size = io.total;
    const peek = (flags & MSG_PEEK) !== 0;
    let target = (flags & MSG_WAITALL) !== 0 ? size : Math.min(this.rcvlowat, size);
    if (target === 0) target = 1;
    let copied = peek ? 0 : t.ioProgress;
    const ring = this.ring;
    // A zero-length read returns at once when data is queued, and waits like any read otherwise.
    if (size === 0 && ring.len > 0) return this.endRecv(t, 0);
    let skip = 0;
    let cred: PeerCred | null = this.waitallCred;
    let checkCred = cred !== null;
    let seen = checkCred;
    while (copied < size || size === 0) {
      if (ring.len - skip === 0) {
        if (copied >= target) break;
        if (this.err !== 0) {
          const e = this.takeErr();
          if (copied === 0) return this.endRecv(t, -e);
          break;
        }
        if ((this.shut & RCV_SHUTDOWN) !== 0) break;
        const nb = this.nonblocking || (flags & MSG_DONTWAIT) !== 0 || this.rcvtimeo < 0;
        const timedOut = t.restarting && t.timedOut;
        if (!nb && !timedOut && !t.interrupted()) {
          if (!peek) {
            t.ioProgress = copied;
            this.waitallCred = checkCred ? cred : null;
          }
          return t.block(this.queue, EVENT_IN | EVENT_HUP | EVENT_RDHUP | EVENT_ERR, t.sysDeadline);
        }
        if (copied > 0) break;
        if (nb || timedOut) return this.endRecv(t, -E.EAGAIN);
        return this.endRecv(t, this.rcvtimeo > 0 ? -E.EINTR : -E.ERESTARTSYS);
      }
      // The segment that holds the next byte.
      const pos = this.rxOut + skip;
      const segs = this.segs;
      let si = 0;
      while (segs[si].end <= pos) si++;
      const seg = segs[si];
      if (checkCred) {
        if (!sameCred(seg.cred, cred)) break;
      } else if (this.passcred) {
        cred = seg.cred;
        checkCred = true;
      }
      seen = true;
      if (out.from === null && this.peer !== null) out.from = this.peer.addr;
      const chunk = Math.min(seg.end - pos, size - copied);
      if (ring.copyTo(io, copied, skip, chunk) < 0) {
        if (copied === 0) return this.endRecv(t, -E.EFAULT);
        break;
      }
      copied += chunk;
      if (peek) {
        skip += chunk;
        if (seg.fds !== null) {
          for (const f of seg.fds) f.incRef();
          out.fds = seg.fds.slice();
          break;
        }
        continue;
      }
      ring.consume(chunk);
      this.rxOut += chunk;
      const w = this.peer;
      if (w !== null) this.giveBack(w, chunk);
      const fds = seg.fds;
      if (fds !== null) {
        fdsLanded(fds);
        out.fds = fds;
        seg.fds = null;
      }
      if (seg.end === this.rxOut) {
        segs.shift();
        if (segs.length === 0) this.spareSeg = seg;
      }
      if (fds !== null) break;
    }
    if (this.passcred) out.cred = seen ? (cred ?? NO_SKB_CRED) : EOF_CRED;
    return this.endRecv(t, copied);
  }

  private endRecv(t: Task, r: number): number {
    t.ioProgress = 0;
    this.waitallCred = null;
    return r;
  }

  /** recvmsg on a datagram or seqpacket socket (one message). */
  recvDgram(t: Task, io: UserBuffers, flags: number, out: RecvOut): number {
    if ((flags & MSG_OOB) !== 0) return -E.EOPNOTSUPP;
    if (this.type === SOCK_SEQPACKET && this.state !== SockState.Established) return -E.ENOTCONN;
    UnixSocket.startDeadline(t, this.rcvtimeo);
    const nb = this.nonblocking || (flags & MSG_DONTWAIT) !== 0;
    if (this.queuedMsgs === 0) {
      if (this.err !== 0) return -this.takeErr();
      if ((this.shut & RCV_SHUTDOWN) !== 0) {
        // Blocking receives see EOF; a non-blocking datagram one still says EAGAIN.
        if (!nb || this.type === SOCK_SEQPACKET) return 0;
        return -E.EAGAIN;
      }
      return UnixSocket.wait(t, this.queue, EVENT_IN | EVENT_HUP | EVENT_RDHUP | EVENT_ERR, nb, this.rcvtimeo);
    }
    const m = this.msgs[this.msgHead];
    const peek = (flags & MSG_PEEK) !== 0;
    if (!peek) this.dequeueMsg();
    out.from = m.from;
    const len = m.data.length;
    let size = io.total;
    if (size >= len) size = len;
    else out.flags |= MSG_TRUNC;
    if (size > 0 && io.scatter(0, m.data, 0, size) < 0) {
      if (!peek) this.dropMsg(m);
      return -E.EFAULT;
    }
    if (this.passcred) out.cred = m.cred ?? NO_SKB_CRED;
    if (m.fds !== null) {
      if (peek) {
        for (const f of m.fds) f.incRef();
        out.fds = m.fds.slice();
      } else {
        fdsLanded(m.fds);
        out.fds = m.fds;
        m.fds = null;
      }
    }
    if (!peek) this.dropMsg(m);
    return (flags & MSG_TRUNC) !== 0 ? len : size;
  }

  private dequeueMsg(): void {
    const m = this.msgs[this.msgHead];
    this.msgHead++;
    this.msgBytes -= m.data.length;
    if (this.msgHead === this.msgs.length) {
      this.msgs.length = 0;
      this.msgHead = 0;
    } else if (this.msgHead > 64 && this.msgHead * 2 > this.msgs.length) {
      this.msgs.splice(0, this.msgHead);
      this.msgHead = 0;
    }
    this.peerWait.notify(EVENT_OUT | EVENT_WRNORM);
  }

  /** A dequeued message is freed: its sender gets its buffer room back, leftover fds are closed. */
  private dropMsg(m: Msg): void {
    this.giveBack(m.sender, m.charge);
    if (m.fds !== null) {
      dropFds(m.fds);
      m.fds = null;
    }
  }

  private purgeMsgs(): void {
    while (this.queuedMsgs > 0) {
      const m = this.msgs[this.msgHead];
      this.dequeueMsg();
      this.dropMsg(m);
    }
  }

  /** Drops everything queued (release, and the garbage collector breaking a cycle). */
  purge(): void {
    this.purgeMsgs();
    const segs = this.segs;
    this.segs = [];
    for (const s of segs) dropFds(s.fds);
    const n = this.ring.len;
    this.ring.clear();
    this.rxOut += n;
    const w = this.peer;
    if (n > 0 && w !== null && this.isStream) this.giveBack(w, n);
    const pend = this.pending;
    this.pending = [];
    for (const s of pend) s.decRef();
  }

  /** Calls fn for every description queued to this socket (the collector's edges). */
  forEachQueuedFd(fn: (f: FileDescription) => void): void {
    for (const s of this.segs) if (s.fds !== null) for (const f of s.fds) fn(f);
    for (let i = this.msgHead; i < this.msgs.length; i++) {
      const fds = this.msgs[i].fds;
      if (fds !== null) for (const f of fds) fn(f);
    }
    for (const p of this.pending) p.forEachQueuedFd(fn);
  }

  // ---- readiness ----------------------------------------------------------------------------

  private canSend(): boolean {
    return this.state !== SockState.Listen && this.wmem * 4 <= this.sndbuf;
  }

  private unhookPeerWake(): void {
    const w = this.peerWake;
    if (w.on !== null) w.on.peerWait.remove(w);
    w.on = null;
  }

  override readiness(mask: number): number {
    let ev = 0;
    const shut = this.shut;
    if (this.err !== 0) ev |= EVENT_ERR;
    if (shut === SHUTDOWN_MASK) ev |= EVENT_HUP;
    if ((shut & RCV_SHUTDOWN) !== 0) ev |= EVENT_RDHUP | EVENT_IN | EVENT_RDNORM;
    if (this.ring.len > 0 || this.queuedMsgs > 0 || this.pending.length > 0) ev |= EVENT_IN | EVENT_RDNORM;
    if (this.type === SOCK_STREAM) {
      if (this.state === SockState.Close) ev |= EVENT_HUP;
      if (this.canSend()) ev |= EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND;
      return ev & (mask | EVENT_HUP | EVENT_ERR);
    }
    if (this.type === SOCK_SEQPACKET && this.state === SockState.Close) ev |= EVENT_HUP;
    if ((mask & (EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND)) !== 0) {
      let w = this.canSend();
      const o = this.peer;
      if (w && o !== null && o.peer !== this && o.queuedMsgs > o.backlog && !o.released) {
        // Full receiver: get woken when it drains (Linux's unix_dgram_peer_wake_me).
        const pw = this.peerWake;
        if (pw.on !== o) {
          this.unhookPeerWake();
          pw.on = o;
          o.peerWait.add(pw, EVENT_OUT);
        }
        w = false;
      }
      if (w) ev |= EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND;
    }
    return ev & (mask | EVENT_HUP | EVENT_ERR);
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
  }

  /** SIOCINQ/FIONREAD: stream and seqpacket: bytes queued; datagram: the next message's size. */
  override available(): number {
    if (this.state === SockState.Listen) return -E.EINVAL;
    if (this.type === SOCK_STREAM) return this.ring.len;
    if (this.type === SOCK_SEQPACKET) return this.msgBytes;
    return this.queuedMsgs > 0 ? this.msgs[this.msgHead].data.length : 0;
  }

  /**
   * SIOCOUTQ (TIOCOUTQ): what this socket has sent that nobody has read yet. Interface
   * queries are answered on any socket, as Linux does (glibc's if_nametoindex asks an
   * AF_UNIX one).
   */
  override ioctl(t: Task, req: number, arg: number): number {
    if (isInterfaceIoctl(req >>> 0)) return t.kernel.inet ? interfaceIoctl(t, req >>> 0, arg, interfaceQuerySocket()) : -E.ENOTTY;
    if ((req >>> 0) !== SIOCOUTQ) return -E.ENOTTY;
    outqBuf.writeInt32LE(this.wmem | 0, 0);
    return t.mm.copyOut(arg, outqBuf, 0, 4) < 0 ? -E.EFAULT : 0;
  }

  override get anonName(): string {
    return `socket:[${this.dentry.inode.ino}]`;
  }

  // ---- generic read/write (read(2), write(2) on the socket) ------------------------------

  // read(2)/write(2) and friends reach sockets through the syscall layer's recv/send; these
  // serve the other callers that move bytes between sentry buffers and a file (sendfile,
  // splice-like copies). The VfsTask is always the kernel's Task.
  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    const out = spareOut.reset();
    const r = this.type === SOCK_STREAM ? this.recvStream(t as Task, kbuf.set(dst, off, len), 0, out)
      : this.recvDgram(t as Task, kbuf.set(dst, off, len), 0, out);
    if (out.fds !== null) dropFds0(out.fds);
    out.reset();
    return r;
  }

  override write(t: VfsTask, src: Uint8Array, off: number, len: number): number {
    return this.type === SOCK_STREAM ? this.sendStream(t as Task, kbuf.set(src, off, len), null, 0, 0)
      : this.sendDgram(t as Task, kbuf.set(src, off, len), null, null, 0);
  }

  override decRef(): void {
    super.decRef();
    if (inflight.size > 0) collect();
  }

  protected override release(): void {
    if (this.released) return;
    this.released = true;
    this.unhookPeerWake();
    if (this.addr !== null) {
      if (this.addr.abstract) names.removeAbstract(this, this.addr.name);
      else if (this.inodeKey !== '') names.removeInode(this.inodeKey, this);
    }
    const wasListening = this.state === SockState.Listen;
    const hadData = this.ring.len > 0 || this.queuedMsgs > 0;
    this.shut = SHUTDOWN_MASK;
    this.state = SockState.Close;
    const p = this.peer;
    if (p !== null && this.type !== SOCK_DGRAM) {
      p.shut = SHUTDOWN_MASK;
      // Unread data (or a connection never accepted) resets the peer's connection.
      if (hadData || this.embryo) p.err = E.ECONNRESET;
      p.queue.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_RDHUP | EVENT_ERR);
    }
    if (p !== null) p.peerWait.notify(EVENT_OUT);
    if (wasListening) for (const s of this.pending) s.embryo = true;
    // Purge while the peer is known: the writer of unread stream data gets its room back.
    this.purge();
    this.peer = null;
    this.queue.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_RDHUP);
    this.peerWait.notify(EVENT_OUT);
  }

  /** A server-side socket released while still in its listener's backlog. */
  embryo = false;
}

/** A sentry-side byte range as UserBuffers (read/write from other kernel paths). */
class KernelBuf implements UserBuffers {
  private buf: Uint8Array = new Uint8Array(0);
  private off = 0;
  total = 0;

  set(buf: Uint8Array, off: number, len: number): this {
    this.buf = buf;
    this.off = off;
    this.total = len;
    return this;
  }

  gather(pos: number, dst: Uint8Array, off: number, n: number): number {
    dst.set(this.buf.subarray(this.off + pos, this.off + pos + n), off);
    return 0;
  }

  scatter(pos: number, src: Uint8Array, off: number, n: number): number {
    this.buf.set(src.subarray(off, off + n), this.off + pos);
    return 0;
  }

  writable(_pos: number, n: number): number {
    return n;
  }
}
const kbuf = new KernelBuf();
const spareOut = new RecvOut();

/** A sentinel equal to waiter's BLOCKED (kept local: net must not depend on syscalls/). */
const BLOCKED_RESULT = -0x100001;

function dropFds0(fds: FileDescription[]): void {
  for (const f of fds) f.decRef();
}

/** A new socket description (one reference) owned by t's credentials. */
export function newUnixSocket(t: Task, type: number, flags: number): UnixSocket {
  return new UnixSocket(sockMount, socketDentry(t.creds.fsuid, t.creds.fsgid), type, flags & O_NONBLOCK);
}

/** socketpair(AF_UNIX, type): two connected sockets, each with the creator's SO_PEERCRED. */
export function newUnixPair(t: Task, type: number, flags: number): [UnixSocket, UnixSocket] {
  const a = newUnixSocket(t, type, flags);
  const b = newUnixSocket(t, type, flags);
  a.peer = b;
  b.peer = a;
  a.state = b.state = SockState.Established;
  a.peerCred = b.peerCred = peerCredOf(t);
  return [a, b];
}

/** SO_PEERCRED as listen/connect/socketpair record it: pid and effective ids. */
function peerCredOf(t: Task): PeerCred {
  return { pid: t.tgid, uid: t.creds.euid, gid: t.creds.egid };
}

/** The socket's address length for SUN_PATH_OFFSET consumers (unnamed: 2). */
export function nameLen(a: UnixAddr | null): number {
  return a === null ? SUN_PATH_OFFSET : a.len;
}
