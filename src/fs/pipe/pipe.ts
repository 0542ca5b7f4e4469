// Pipes: a ring buffer with Linux's default capacity (65536 bytes), PIPE_BUF (4096)
// atomicity, EOF when the last writer is gone, EPIPE when the last reader is gone
// (the write syscalls then raise SIGPIPE through vfsHooks.brokenPipe), EAGAIN for
// O_NONBLOCK, and blocking through the pipe's wait queue.
//
// Writes larger than PIPE_BUF may be split: write() here stores what fits and returns
// the short count; the write syscall calls again for the rest, which parks the task
// (the syscall keeps its progress in t.ioProgress across the re-run).
import * as E from '../../abi/errno';
import {
  EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT, EVENT_RDNORM, EVENT_WRNORM, WaitQueue,
} from '../../waiter/waiter';
import { O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY, PIPE_BUF, S_IFDIR, S_IFIFO } from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import { FileSystem, Inode } from '../../vfs/inode';
import { Mount, anonMount } from '../../vfs/mount';
import { DateTimeSource, Stat, TimeSource } from '../../vfs/stat';
import { PseudoFs } from '../../vfs/pseudofs';
import type { VfsTask } from '../../vfs/task';

export const PIPE_DEFAULT_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size */
export const PIPE_MAX_SIZE = 1048576;
const PAGE = 4096;

export class Pipe {
  private ring: Uint8Array | null = null;
  private head = 0;
  /** Bytes buffered. */
  len = 0;
  capacity = PIPE_DEFAULT_SIZE;
  readers = 0;
  writers = 0;
  readonly queue = new WaitQueue();

  get free(): number {
    return this.capacity - this.len;
  }

  /** Reads up to n bytes into dst; count, 0 at EOF, -EAGAIN, -ERESTARTSYS or BLOCKED. */
  read(t: VfsTask, dst: Uint8Array, off: number, n: number, nonblock: boolean): number {
    if (n === 0) return 0;
    if (this.len === 0) {
      if (this.writers === 0) return 0;
      if (nonblock) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_IN | EVENT_HUP, -1);
    }
    const ring = this.ring as Uint8Array;
    const cap = this.capacity;
    const count = Math.min(n, this.len);
    const first = Math.min(count, cap - this.head);
    dst.set(ring.subarray(this.head, this.head + first), off);
    if (first < count) dst.set(ring.subarray(0, count - first), off + first);
    this.head = (this.head + count) % cap;
    this.len -= count;
    if (this.len === 0) this.head = 0;
    this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    return count;
  }

  /** Copies up to n buffered bytes into dst without consuming them (tee, splice); the count. */
  peek(dst: Uint8Array, off: number, n: number): number {
    const count = Math.min(n, this.len);
    if (count === 0) return 0;
    const ring = this.ring as Uint8Array;
    const cap = this.capacity;
    const first = Math.min(count, cap - this.head);
    dst.set(ring.subarray(this.head, this.head + first), off);
    if (first < count) dst.set(ring.subarray(0, count - first), off + first);
    return count;
  }

  /** Writes n bytes of src (all of them if n <= PIPE_BUF); count or -errno or BLOCKED. */
  write(t: VfsTask, src: Uint8Array, off: number, n: number, nonblock: boolean): number {
    if (n === 0) return 0;
    if (this.readers === 0) return -E.EPIPE;
    const free = this.free;
    if (free === 0 || (n <= PIPE_BUF && free < n)) {
      if (nonblock) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_OUT | EVENT_ERR, -1);
    }
    let ring = this.ring;
    if (ring === null) ring = this.ring = new Uint8Array(this.capacity);
    const cap = this.capacity;
    const count = Math.min(n, free);
    const tail = (this.head + this.len) % cap;
    const first = Math.min(count, cap - tail);
    ring.set(src.subarray(off, off + first), tail);
    if (first < count) ring.set(src.subarray(off + first, off + count), 0);
    this.len += count;
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
    return count;
  }

  /** F_SETPIPE_SZ: rounds up to a power-of-two number of pages; EBUSY if data would not fit. */
  setCapacity(size: number): number {
    if (size < 0 || size > PIPE_MAX_SIZE) return -E.EPERM;
    let pages = Math.max(1, Math.ceil(size / PAGE));
    let p = 1;
    while (p < pages) p *= 2;
    pages = p;
    const cap = pages * PAGE;
    if (cap < this.len) return -E.EBUSY;
    if (cap !== this.capacity) {
      if (this.ring !== null) {
        const nr = new Uint8Array(cap);
        const old = this.ring;
        for (let i = 0; i < this.len; i++) nr[i] = old[(this.head + i) % this.capacity];
        this.ring = nr;
      }
      this.head = 0;
      this.capacity = cap;
      this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    }
    return cap;
  }

  readiness(mask: number, readEnd: boolean, writeEnd: boolean): number {
    let ev = 0;
    if (readEnd) {
      if (this.len > 0) ev |= EVENT_IN | EVENT_RDNORM;
      if (this.writers === 0) ev |= EVENT_HUP;
    }
    if (writeEnd) {
      if (this.free >= PIPE_BUF || (this.free > 0 && this.capacity < PIPE_BUF)) ev |= EVENT_OUT | EVENT_WRNORM;
      if (this.readers === 0) ev |= EVENT_ERR;
    }
    return ev & (mask | EVENT_HUP | EVENT_ERR);
  }

  addEnd(read: boolean, write: boolean): void {
    if (read) this.readers++;
    if (write) this.writers++;
  }

  dropEnd(read: boolean, write: boolean): void {
    if (read && --this.readers === 0) this.queue.notify(EVENT_ERR | EVENT_OUT);
    if (write && --this.writers === 0) this.queue.notify(EVENT_HUP | EVENT_IN);
    if (this.readers === 0 && this.writers === 0) {
      this.ring = null;
      this.len = 0;
      this.head = 0;
    }
  }
}

const pipeFs = new PseudoFs('pipefs', 0x50495045);
let pipeClock: TimeSource = new DateTimeSource();

/** Sets where pipe timestamps come from (the kernel's clock). */
export function setPipeClock(c: TimeSource): void {
  pipeClock = c;
}
const pipeMount: Mount = pipeFs.mount;

/** The inode of an anonymous pipe: what fstat and /proc/pid/fd/N see. */
export class PipeInode extends Inode {
  readonly fs = pipeFs;
  readonly ino = pipeFs.nextIno++;
  readonly mode = S_IFIFO | 0o600;
  private readonly t = new Float64Array(2);

  constructor(readonly pipe: Pipe, readonly uid: number, readonly gid: number) {
    super();
    pipeClock.read(0);
    this.t[0] = pipeClock.ts[0];
    this.t[1] = pipeClock.ts[1];
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
    st.atimeSec = st.mtimeSec = st.ctimeSec = this.t[0];
    st.atimeNsec = st.mtimeNsec = st.ctimeNsec = this.t[1];
  }

  /** Reopening through /proc/pid/fd/N gives a new end of the same pipe. */
  open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return new PipeFD(mnt, d, flags, this.pipe);
  }
}

export class PipeFD extends FileDescription {
  private readonly canRead: boolean;
  private readonly canWrite: boolean;
  private closed = false;

  constructor(mnt: Mount, d: Dentry, flags: number, readonly pipe: Pipe) {
    super(mnt, d, flags);
    const a = flags & O_ACCMODE;
    this.canRead = a === O_RDONLY || a === O_RDWR;
    this.canWrite = a === O_WRONLY || a === O_RDWR;
    pipe.addEnd(this.canRead, this.canWrite);
  }

  override read(t: VfsTask, dst: Uint8Array, dstOff: number, len: number, _pos: number): number {
    return this.pipe.read(t, dst, dstOff, len, this.nonblocking);
  }

  override write(t: VfsTask, src: Uint8Array, srcOff: number, len: number, _pos: number): number {
    return this.pipe.write(t, src, srcOff, len, this.nonblocking);
  }

  override readiness(mask: number): number {
    return this.pipe.readiness(mask, this.canRead, this.canWrite);
  }

  override get waitQueue(): WaitQueue {
    return this.pipe.queue;
  }

  override available(): number {
    return this.pipe.len;
  }

  override get anonName(): string {
    return `pipe:[${this.dentry.inode.ino}]`;
  }

  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.pipe.dropEnd(this.canRead, this.canWrite);
  }
}

/**
 * pipe2(): a new pipe's read and write ends (each with one reference). flags may hold
 * O_NONBLOCK (and O_DIRECT, accepted as on Linux but without packet mode).
 */
export function newPipe(t: VfsTask, flags: number): [PipeFD, PipeFD] {
  const pipe = new Pipe();
  const inode = new PipeInode(pipe, t.creds.fsuid, t.creds.fsgid);
  const d = new Dentry(`pipe:[${inode.ino}]`, null, inode);
  const status = flags & ~O_ACCMODE;
  const r = new PipeFD(pipeMount, d, O_RDONLY | status, pipe);
  const w = new PipeFD(pipeMount, d, O_WRONLY | status, pipe);
  return [r, w];
}
