// Pipes, modelled as Linux's pipe_inode_info: a ring of page-sized buffers (slots), by
// default 16 (65536 bytes). The slot model is what gives Linux's exact behaviour:
// - a write of up to PIPE_BUF (4096) bytes is atomic: it goes into the last buffer if
//   it fits there, else into a fresh slot of its own (or waits / EAGAIN);
// - a bigger write first tops up the last buffer with its size modulo 4096, then fills
//   whole free slots; when no slot is free it returns what it wrote (the write syscall
//   calls again for the rest, parking the task; its progress is in t.ioProgress);
// - a pipe is writable (poll) while a slot is free; F_SETPIPE_SZ counts slots (EBUSY
//   when the buffers in use would not fit);
// - packet mode (O_DIRECT on the writing end): every write of up to 4096 bytes is one
//   packet in a slot of its own, never merged with; a read returns at most one packet
//   and drops what of it did not fit.
// EOF when the last writer is gone, EPIPE (the write syscalls raise SIGPIPE through
// vfsHooks.brokenPipe) when the last reader is gone, EAGAIN for O_NONBLOCK, blocking
// through the pipe's wait queue.
import * as E from '../../abi/errno';
import {
  EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT, EVENT_RDNORM, EVENT_WRNORM, WaitQueue,
} from '../../waiter/waiter';
import { O_ACCMODE, O_DIRECT, O_RDONLY, O_RDWR, O_WRONLY, S_IFIFO } from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import { Inode } from '../../vfs/inode';
import { Mount } from '../../vfs/mount';
import { DateTimeSource, Stat, TimeSource } from '../../vfs/stat';
import { PseudoFs } from '../../vfs/pseudofs';
import type { VfsTask } from '../../vfs/task';

export const PIPE_DEFAULT_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size */
export const PIPE_MAX_SIZE = 1048576;
const PAGE = 4096;

/** One pipe buffer: a page, the bytes [off, off+len) of it, and whether it is a packet. */
class Slot {
  off = 0;
  len = 0;
  packet = false;
  constructor(readonly page: Uint8Array) {}
}

export class Pipe {
  /**
   * The ring: `count` buffers in use from index `head` on, oldest first. Slots and their
   * pages are made when first needed and then reused, so a pipe in steady use allocates
   * nothing.
   */
  private ring: (Slot | undefined)[] = [];
  private head = 0;
  private count = 0;
  private maxSlots = PIPE_DEFAULT_SIZE / PAGE;
  /** Bytes buffered. */
  len = 0;
  readers = 0;
  writers = 0;
  readonly queue = new WaitQueue();

  get capacity(): number {
    return this.maxSlots * PAGE;
  }

  /** No free slot: writers wait (even if the last buffer has room for a small merge). */
  get full(): boolean {
    return this.count >= this.maxSlots;
  }

  /** Bytes a write could store now: free slots, plus the room left in the last buffer. */
  get free(): number {
    let n = (this.maxSlots - this.count) * PAGE;
    const last = this.last();
    if (last !== undefined && !last.packet) n += PAGE - last.off - last.len;
    return n;
  }

  /** The i-th buffer in use (0 = oldest). */
  private at(i: number): Slot {
    return this.ring[(this.head + i) % this.maxSlots] as Slot;
  }

  private last(): Slot | undefined {
    return this.count > 0 ? this.at(this.count - 1) : undefined;
  }

  private newSlot(packet: boolean): Slot {
    const idx = (this.head + this.count) % this.maxSlots;
    let s = this.ring[idx];
    if (s === undefined) s = this.ring[idx] = new Slot(new Uint8Array(PAGE));
    s.off = 0;
    s.len = 0;
    s.packet = packet;
    this.count++;
    return s;
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
    let done = 0;
    while (done < n && this.count > 0) {
      const s = this.at(0);
      const k = Math.min(s.len, n - done);
      dst.set(s.page.subarray(s.off, s.off + k), off + done);
      done += k;
      s.off += k;
      s.len -= k;
      this.len -= k;
      if (s.packet) {
        // The rest of a packet that did not fit is dropped.
        this.len -= s.len;
        s.len = 0;
      }
      if (s.len === 0) {
        this.head = (this.head + 1) % this.maxSlots;
        this.count--;
      }
      if (s.packet) break;
    }
    this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    return done;
  }

  // One write(2) may reach write() in several pieces (its buffer spans memory-file
  // chunks or iovecs): the syscall brackets them so they lay out as one write would.
  private wrTotal = -1;
  private wrStarted = false;
  private wrSlot: Slot | null = null;

  /** The pieces that follow are one write of total bytes. */
  beginWrite(total: number): void {
    this.wrTotal = total;
    this.wrStarted = false;
    this.wrSlot = null;
  }

  endWrite(): void {
    this.wrTotal = -1;
    this.wrStarted = false;
    this.wrSlot = null;
  }

  /** Copies up to n buffered bytes into dst without consuming them (tee, splice); the count. */
  peek(dst: Uint8Array, off: number, n: number): number {
    let done = 0;
    for (let i = 0; i < this.count; i++) {
      const s = this.at(i);
      if (done >= n) break;
      const k = Math.min(s.len, n - done);
      dst.set(s.page.subarray(s.off, s.off + k), off + done);
      done += k;
    }
    return done;
  }

  /**
   * Writes n bytes of src (all of them if n <= PIPE_BUF), as packets when packet is
   * set; count or -errno or BLOCKED.
   */
  write(t: VfsTask, src: Uint8Array, off: number, n: number, nonblock: boolean, packet = false): number {
    if (n === 0) return 0;
    if (this.readers === 0) return -E.EPIPE;
    let done = 0;
    const last = this.last();
    if (this.wrTotal >= 0 && this.wrStarted) {
      // A later piece of one write(2): it continues filling the page the write left
      // partly filled, as Linux's copy from the whole iterator does.
      const c = this.wrSlot;
      if (c !== null && c === last && c.off + c.len < PAGE) {
        const k = Math.min(PAGE - c.off - c.len, n);
        c.page.set(src.subarray(off, off + k), c.off + c.len);
        c.len += k;
        done = k;
      }
    } else {
      // pipe_write's merge: the write's size modulo a page may go into the last buffer.
      const chars = (this.wrTotal >= 0 ? this.wrTotal : n) & (PAGE - 1);
      if (chars !== 0 && chars <= n && last !== undefined && !last.packet && last.off + last.len + chars <= PAGE) {
        last.page.set(src.subarray(off, off + chars), last.off + last.len);
        last.len += chars;
        done = chars;
      }
    }
    this.wrStarted = true;
    while (done < n && !this.full) {
      const s = this.newSlot(packet);
      const k = Math.min(PAGE, n - done);
      s.page.set(src.subarray(off + done, off + done + k), 0);
      s.len = k;
      done += k;
      this.wrSlot = s;
    }
    if (done === 0) {
      if (nonblock) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_OUT | EVENT_ERR, -1);
    }
    this.len += done;
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
    return done;
  }

  /**
   * F_SETPIPE_SZ (Linux's pipe_set_size): size (an unsigned int) rounds up to a
   * power-of-two number of pages, at least one; over 2^31 is EINVAL. Growing past
   * /proc/sys/fs/pipe-max-size needs CAP_SYS_RESOURCE (EPERM); fewer slots than the
   * buffers in use is EBUSY. Returns the new capacity.
   */
  setCapacity(size: number, privileged: boolean): number {
    if (size > 2 ** 31) return -E.EINVAL;
    let cap = PAGE;
    while (cap < size) cap *= 2;
    if (cap > this.capacity && cap > PIPE_MAX_SIZE && !privileged) return -E.EPERM;
    const slots = cap / PAGE;
    if (slots < this.count) return -E.EBUSY;
    if (slots !== this.maxSlots) {
      // Lay the buffers in use out from index 0 of a ring of the new size.
      const ring: (Slot | undefined)[] = [];
      for (let i = 0; i < this.count; i++) ring.push(this.at(i));
      this.ring = ring;
      this.head = 0;
      this.maxSlots = slots;
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
      if (!this.full) ev |= EVENT_OUT | EVENT_WRNORM;
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
      this.ring = [];
      this.head = 0;
      this.count = 0;
      this.len = 0;
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
    return this.pipe.write(t, src, srcOff, len, this.nonblocking, (this.flags & O_DIRECT) !== 0);
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
 * O_NONBLOCK and O_DIRECT (packet mode).
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
