// Unix domain stream sockets made by socketpair(2): two connected endpoints, each with a
// receive ring filled by its peer. Linux's unix_stream semantics for what is covered:
// EOF after the peer's shutdown(SHUT_WR) or close, EPIPE after our SHUT_WR or the peer's
// SHUT_RD/close, readiness as unix_poll reports it. No names, no listen/accept, no
// ancillary data (SCM_RIGHTS/SCM_CREDENTIALS) yet.
import * as E from '../../abi/errno';
import { O_RDWR, S_IFSOCK } from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import { Inode } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { PseudoFs } from '../../vfs/pseudofs';
import { Stat } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';
import {
  EVENT_HUP, EVENT_IN, EVENT_OUT, EVENT_RDHUP, EVENT_RDNORM, EVENT_WRBAND, EVENT_WRNORM, WaitQueue,
} from '../../waiter/waiter';

export const AF_UNIX = 1;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
/** Linux's default net.core.{r,w}mem_default. */
export const SOCK_DEFAULT_BUF = 212992;
export const RCV_SHUTDOWN = 1, SEND_SHUTDOWN = 2, SHUTDOWN_MASK = 3;
export const MSG_PEEK = 0x2, MSG_DONTWAIT = 0x40, MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000;

const sockFs = new PseudoFs('sockfs', 0x534f434b);

/** A byte ring (the receive queue of one endpoint). */
class Ring {
  private buf = new Uint8Array(0);
  private head = 0;
  len = 0;

  constructor(public capacity: number) {}

  get free(): number {
    return this.capacity > this.len ? this.capacity - this.len : 0;
  }

  /** Copies up to n bytes out; consumes them unless peek. */
  take(dst: Uint8Array, off: number, n: number, peek: boolean): number {
    const count = Math.min(n, this.len);
    const cap = this.buf.length;
    const first = Math.min(count, cap - this.head);
    dst.set(this.buf.subarray(this.head, this.head + first), off);
    if (first < count) dst.set(this.buf.subarray(0, count - first), off + first);
    if (!peek) {
      this.head = (this.head + count) % (cap === 0 ? 1 : cap);
      this.len -= count;
      if (this.len === 0) this.head = 0;
    }
    return count;
  }

  put(src: Uint8Array, off: number, n: number): number {
    const count = Math.min(n, this.free);
    if (count === 0) return 0;
    if (this.buf.length < this.len + count) {
      let size = Math.max(4096, this.buf.length);
      while (size < this.len + count) size *= 2;
      const nb = new Uint8Array(size);
      this.take(nb, 0, this.len, true);
      this.buf = nb;
      this.head = 0;
    }
    const cap = this.buf.length;
    const tail = (this.head + this.len) % cap;
    const first = Math.min(count, cap - tail);
    this.buf.set(src.subarray(off, off + first), tail);
    if (first < count) this.buf.set(src.subarray(off + first, off + count), 0);
    this.len += count;
    return count;
  }
}

export class SocketInode extends Inode {
  readonly fs = sockFs;
  readonly ino = sockFs.nextIno++;
  readonly mode = S_IFSOCK | 0o777;

  constructor(readonly uid: number, readonly gid: number) {
    super();
  }

  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.mode = this.mode;
    st.nlink = 1;
    st.uid = this.uid;
    st.gid = this.gid;
    st.blksize = 4096;
  }

  open(): number {
    return -E.ENXIO;
  }
}

/** Credentials recorded at creation (SO_PEERCRED of the other end). */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

export class UnixStreamSocket extends FileDescription {
  peer: UnixStreamSocket | null = null;
  readonly rx = new Ring(SOCK_DEFAULT_BUF);
  /** sk_shutdown: RCV_SHUTDOWN | SEND_SHUTDOWN. */
  shut = 0;
  sndbuf = SOCK_DEFAULT_BUF;
  rcvbuf = SOCK_DEFAULT_BUF;
  /** MSG_* flags of the send/recv call in progress (0 for read/write). */
  msgFlags = 0;
  private released = false;

  constructor(mnt: Mount, d: Dentry, flags: number, readonly queue: WaitQueue, readonly cred: PeerCred) {
    super(mnt, d, O_RDWR | flags);
  }

  readonly type = SOCK_STREAM;

  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    if (len === 0) return 0;
    const rx = this.rx;
    const waitall = (this.msgFlags & MSG_WAITALL) !== 0 && (this.msgFlags & MSG_PEEK) === 0;
    const want = waitall ? Math.min(len, rx.capacity) : 1;
    if (rx.len < want && (this.shut & RCV_SHUTDOWN) === 0) {
      if (this.nonblocking || (this.msgFlags & MSG_DONTWAIT) !== 0) {
        if (rx.len === 0) return -E.EAGAIN;
      } else if (t.interrupted()) {
        if (rx.len === 0) return -E.ERESTARTSYS;
      } else {
        return t.block(this.queue, EVENT_IN | EVENT_HUP | EVENT_RDHUP, -1);
      }
    }
    if (rx.len === 0) return 0;
    return this.take(dst, off, len);
  }

  private take(dst: Uint8Array, off: number, len: number): number {
    const n = this.rx.take(dst, off, len, (this.msgFlags & MSG_PEEK) !== 0);
    if ((this.msgFlags & MSG_PEEK) === 0) this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    return n;
  }

  override write(t: VfsTask, src: Uint8Array, off: number, len: number): number {
    const p = this.peer;
    if ((this.shut & SEND_SHUTDOWN) !== 0 || p === null) return -E.EPIPE;
    if (len === 0) return 0;
    const free = Math.min(p.rx.free, Math.max(0, this.sndbuf - p.rx.len));
    if (free === 0) {
      if (this.nonblocking || (this.msgFlags & MSG_DONTWAIT) !== 0) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_OUT | EVENT_HUP, -1);
    }
    const n = p.rx.put(src, off, Math.min(len, free));
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
    return n;
  }

  override readiness(mask: number): number {
    let ev = 0;
    if (this.shut === SHUTDOWN_MASK) ev |= EVENT_HUP;
    if ((this.shut & RCV_SHUTDOWN) !== 0) ev |= EVENT_RDHUP | EVENT_IN | EVENT_RDNORM;
    if (this.rx.len > 0) ev |= EVENT_IN | EVENT_RDNORM;
    const p = this.peer;
    if (p === null || (p.rx.free > 0 && p.rx.len * 4 <= this.sndbuf)) {
      ev |= EVENT_OUT | EVENT_WRNORM | EVENT_WRBAND;
    }
    return ev & (mask | EVENT_HUP);
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
  }

  override available(): number {
    return this.rx.len;
  }

  override get anonName(): string {
    return `socket:[${this.dentry.inode.ino}]`;
  }

  /** shutdown(2): how is SHUT_RD(0), SHUT_WR(1) or SHUT_RDWR(2). */
  shutdown(how: number): number {
    if (how < 0 || how > 2) return -E.EINVAL;
    const mode = how + 1;
    this.shut |= mode;
    const p = this.peer;
    if (p !== null) {
      let pm = 0;
      if ((mode & RCV_SHUTDOWN) !== 0) pm |= SEND_SHUTDOWN;
      if ((mode & SEND_SHUTDOWN) !== 0) pm |= RCV_SHUTDOWN;
      p.shut |= pm;
    }
    this.queue.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_RDHUP);
    return 0;
  }

  protected override release(): void {
    if (this.released) return;
    this.released = true;
    this.shut = SHUTDOWN_MASK;
    const p = this.peer;
    if (p !== null) {
      p.shut = SHUTDOWN_MASK;
      p.peer = null;
      this.peer = null;
    }
    this.queue.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_RDHUP);
  }
}

/** socketpair(AF_UNIX, SOCK_STREAM): two connected endpoints, one reference each. */
export function newStreamPair(t: VfsTask, flags: number): [UnixStreamSocket, UnixStreamSocket] {
  const cred: PeerCred = { pid: t.tgid, uid: t.creds.euid, gid: t.creds.egid };
  const q = new WaitQueue();
  const mk = (): UnixStreamSocket => {
    const inode = new SocketInode(t.creds.fsuid, t.creds.fsgid);
    return new UnixStreamSocket(sockFs.mount, new Dentry(`socket:[${inode.ino}]`, null, inode), flags, q, cred);
  };
  const a = mk();
  const b = mk();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
