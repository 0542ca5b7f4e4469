// The sentry's own stdio (host fds 0, 1, 2) as file descriptions for the container's
// first process.
//
//  - A regular file (`>>log`, `<input`) is used directly: reads and writes at the host
//    file offset, which the caller's shell shares, as it would with a native child.
//  - A terminal, pipe or socket is reopened through /proc/self/fd/N with O_NONBLOCK:
//    that makes a new open file description, so the caller's shell never sees
//    O_NONBLOCK. A read or write that would block parks the task on the host fd
//    (t.blockOnHostFd) instead of blocking the sentry. When reopening is impossible
//    (a socket), the fd is used as it is, and the sentry polls before each transfer.
//  - ioctl passes TCGETS/TCSETS*/TIOCGWINSZ/TIOCSWINSZ/FIONREAD through for terminals
//    (FIONREAD for pipes too); everything else is ENOTTY.
//  - When stdin is a terminal it is the container's console (as `docker run -t` makes the
//    pty it allocates): /dev/console opens it, the first process starts with it as its
//    controlling terminal, and the job-control ioctls (TIOCGPGRP, TIOCSPGRP, TIOCSCTTY,
//    TIOCNOTTY, TIOCGSID) are emulated against the sentry's own sessions, since host
//    process-group ids mean nothing inside. The host keeps the sentry in its foreground;
//    the host terminal's ^C, ^\, ^Z and resizes signal the sentry, which forwards them to
//    the console's foreground group (see sandbox/do.ts).
//  - An exec'd process's terminal (`exec --tty`) is a host pty slave handed over by the
//    runtime command; it is controlled the same way (HostPtyTerminal), and the command's
//    waiting process, whose controlling terminal it is on the host, forwards its signals.
//
// Call wrapHostStdio before the sandbox confines itself (it needs /proc/self/fd).
import * as E from '../../abi/errno';
import type { MapSource } from '../../mm/mm';
import {
  H_AT_EMPTY_PATH, H_AT_FDCWD, H_F_GETFL, H_O_NOCTTY, H_O_NONBLOCK, hostClose, hostFcntl, hostFstatat, hostIoctl,
  hostLseek, hostOpenat, hostPollOne, hostPread, hostPwrite, hostReadlinkat,
} from '../../platform/hostfile';
import { EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT } from '../../waiter/waiter';
import {
  FIONREAD, O_ACCMODE, O_APPEND, O_LARGEFILE, PIPE_BUF, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, TCGETS, TCSETS, TCSETSF,
  TCSETSW, TERMIOS_SIZE, TIOCGWINSZ, TIOCSWINSZ, WINSIZE_SIZE,
} from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { FileDescription, FileMapSource } from '../../vfs/file';
import { FileSystem, Inode } from '../../vfs/inode';
import { Mount, anonMount } from '../../vfs/mount';
import { Stat, decodeStat } from '../../vfs/stat';
import { PseudoFs } from '../../vfs/pseudofs';
import type { VfsTask } from '../../vfs/task';
import { NOT_JOB_IOCTL, TtyControl, checkChange, jobIoctl } from '../tty/jobctl';

const statBuf = Buffer.alloc(144);
/** glibc's struct termios is 60 bytes; the kernel copies 36 of them to the app. */
const ioBuf = Buffer.alloc(64);

const hostIoFs = new PseudoFs('hostio', 0x686f7374);
const hostIoMount: Mount = hostIoFs.mount;

/** A host fd shared by the descriptions made from one stdio stream. */
class HostFdRef {
  users = 0;
  /** Called once the last user is gone (and an owned fd closed). */
  onClose: (() => void) | null = null;
  constructor(
    readonly fd: number,
    /** Whether the sentry opened it (and so closes it): the original 0/1/2 stay open. */
    readonly owned: boolean,
  ) {}
  get closed(): boolean {
    return this.users === 0 && this.owned;
  }
  acquire(): void {
    this.users++;
  }
  release(): void {
    if (--this.users !== 0) return;
    if (this.owned) hostClose(this.fd);
    const f = this.onClose;
    this.onClose = null;
    f?.();
  }
}

/** What fstat and /proc/pid/fd/N show for a host stdio stream. */
export class HostStdioInode extends Inode {
  readonly fs = hostIoFs;
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** The host device number (a terminal's identity, for the console). */
  readonly hostRdev: number;
  /** The terminal control when this is an exec'd process's terminal (HostPtyTerminal). */
  control: HostTerminal | null = null;

  constructor(
    readonly ref: HostFdRef,
    /** A terminal: TCGETS and friends pass through. */
    readonly tty: boolean,
    /** Poll before each transfer (the host fd is blocking). */
    readonly pollFirst: boolean,
    /** A regular file (shared host offset). */
    readonly regular: boolean,
    /** Access mode of the host fd. */
    readonly access: number,
    readonly linkName: string,
    st: Stat,
  ) {
    super();
    this.hostRdev = st.rdev;
    this.ino = st.ino;
    this.mode = st.mode;
    this.uid = st.uid;
    this.gid = st.gid;
  }

  /** Host attributes, fresh (sizes change). */
  stat(st: Stat): void {
    if (hostFstatat(this.ref.fd, '', H_AT_EMPTY_PATH, statBuf) < 0) {
      st.reset();
      st.mode = this.mode;
      st.ino = this.ino;
      return;
    }
    decodeStat(statBuf, st);
  }

  /** Reopening /dev/stdout (/proc/self/fd/1) shares the same host stream. */
  open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return this.regular ? new HostRegularFD(mnt, d, flags, this) : new HostStreamFD(mnt, d, flags, this);
  }
}

/** A host regular file on stdio: its host offset is the file offset. */
export class HostRegularFD extends FileDescription {
  private closed = false;
  constructor(mnt: Mount, d: Dentry, flags: number, readonly io: HostStdioInode) {
    super(mnt, d, flags);
    io.ref.acquire();
  }

  override get seekable(): boolean {
    return true;
  }

  override read(_t: VfsTask, dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    return hostPread(this.io.ref.fd, dst, dstOff, len, pos);
  }

  override write(_t: VfsTask, src: Uint8Array, srcOff: number, len: number, pos: number): number {
    return hostPwrite(this.io.ref.fd, src, srcOff, len, pos);
  }

  override lseek(_t: VfsTask, off: number, whence: number): number {
    return hostLseek(this.io.ref.fd, off, whence);
  }

  override fsync(): number {
    return 0;
  }

  override mapSource(): MapSource {
    const fd = this.io.ref.fd;
    return new FileMapSource({ readAt: (dst, off, len, pos) => hostPread(fd, dst, off, len, pos) }, this.io.linkName,
      hostIoFs.dev, this.io.ino);
  }

  override get anonName(): string {
    return this.io.linkName;
  }

  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.io.ref.release();
  }
}

/** A terminal, pipe or socket on stdio. */
export class HostStreamFD extends FileDescription {
  private closed = false;
  constructor(mnt: Mount, d: Dentry, flags: number, readonly io: HostStdioInode) {
    super(mnt, d, flags);
    io.ref.acquire();
  }

  override read(t: VfsTask, dst: Uint8Array, dstOff: number, len: number, _pos: number): number {
    const con = terminalOf(this.io);
    if (con !== null) {
      const jc = checkChange(t, con, 21 /* SIGTTIN */);
      if (jc < 0) return jc;
    }
    if (len === 0) return 0;
    const io = this.io, fd = io.ref.fd;
    if (io.pollFirst && (hostPollOne(fd, EVENT_IN) & (EVENT_IN | EVENT_HUP | EVENT_ERR)) === 0) {
      return this.wait(t, EVENT_IN);
    }
    const r = hostPread(fd, dst, dstOff, len, -1);
    if (r === -E.EAGAIN) return this.wait(t, EVENT_IN);
    return r;
  }

  override write(t: VfsTask, src: Uint8Array, srcOff: number, len: number, _pos: number): number {
    const con = terminalOf(this.io);
    if (con !== null && isBackground(t, con)) {
      // TOSTOP lives in the host terminal's termios: asked only for background writers.
      if (hostIoctl(this.io.ref.fd, TCGETS, ioBuf) >= 0 && (ioBuf.readUInt32LE(12) & 0o400 /* TOSTOP */) !== 0) {
        const jc = checkChange(t, con, 22 /* SIGTTOU */);
        if (jc < 0) return jc;
      }
    }
    if (len === 0) return 0;
    const io = this.io, fd = io.ref.fd;
    if (io.pollFirst) {
      if ((hostPollOne(fd, EVENT_OUT) & (EVENT_OUT | EVENT_ERR | EVENT_HUP)) === 0) return this.wait(t, EVENT_OUT);
      // A blocking host fd with room for PIPE_BUF bytes takes that much without blocking.
      if (len > PIPE_BUF) len = PIPE_BUF;
    }
    const r = hostPwrite(fd, src, srcOff, len, -1);
    if (r === -E.EAGAIN) return this.wait(t, EVENT_OUT);
    return r;
  }

  private wait(t: VfsTask, events: number): number {
    if (this.nonblocking) return -E.EAGAIN;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return t.blockOnHostFd(this.io.ref.fd, events, -1);
  }

  override readiness(mask: number): number {
    const r = hostPollOne(this.io.ref.fd, mask);
    return r < 0 ? EVENT_ERR : r;
  }

  override get hostFd(): number {
    return this.io.ref.fd;
  }

  override ioctl(t: VfsTask, req: number, arg: number): number {
    const io = this.io;
    const con = terminalOf(io);
    if (con !== null) {
      const r = jobIoctl(t, con, true, this.readable, req, arg);
      if (r !== NOT_JOB_IOCTL) return r;
      if (req === TCSETS || req === TCSETSW || req === TCSETSF) {
        const jc = checkChange(t, con, 22 /* SIGTTOU */);
        if (jc < 0) return jc;
      }
    }
    let inLen = 0, outLen = 0;
    switch (req) {
      case TCGETS:
        if (!io.tty) return -E.ENOTTY;
        outLen = TERMIOS_SIZE;
        break;
      case TCSETS: case TCSETSW: case TCSETSF:
        if (!io.tty) return -E.ENOTTY;
        inLen = TERMIOS_SIZE;
        break;
      case TIOCGWINSZ:
        if (!io.tty) return -E.ENOTTY;
        outLen = WINSIZE_SIZE;
        break;
      case TIOCSWINSZ:
        if (!io.tty) return -E.ENOTTY;
        inLen = WINSIZE_SIZE;
        break;
      case FIONREAD:
        outLen = 4;
        break;
      default:
        return -E.ENOTTY;
    }
    ioBuf.fill(0);
    if (inLen > 0 && t.mm.copyIn(arg, ioBuf, 0, inLen) < 0) return -E.EFAULT;
    const r = hostIoctl(io.ref.fd, req, ioBuf);
    if (r < 0) return r;
    if (outLen > 0 && t.mm.copyOut(arg, ioBuf, 0, outLen) < 0) return -E.EFAULT;
    return r;
  }

  override available(): number {
    if (hostIoctl(this.io.ref.fd, FIONREAD, ioBuf) < 0) return -E.ENOTTY;
    return ioBuf.readInt32LE(0);
  }

  override fsync(): number {
    return -E.EINVAL;
  }

  /** The host's name, unless opened through a path in the sandbox (/dev/console, /dev/tty). */
  override get anonName(): string {
    return this.mnt === hostIoMount ? this.io.linkName : '';
  }

  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.io.ref.release();
  }
}

/**
 * Wraps a host fd of the sentry (its own 0, 1, 2, or one handed over by a runtime
 * command) as a description for a process of the container; null when the fd is not
 * open. A terminal wrapped with console (by default: stdin) is the container's console. The result has one reference. With own, the wrapper takes the fd over: it is
 * closed (now, or when the last description made from it goes), so the caller must not
 * close it; the descriptions may outlive whatever the caller waits for (a background
 * child keeps its stdio), and a number closed under them could be reused by the sentry.
 */
export function wrapHostStdio(hostFd: number, own = false, console = hostFd === 0): FileDescription | null {
  const fl = hostFcntl(hostFd, H_F_GETFL, 0);
  if (fl < 0) return null;
  const st = new Stat();
  if (hostFstatat(hostFd, '', H_AT_EMPTY_PATH, statBuf) < 0) {
    if (own) hostClose(hostFd);
    return null;
  }
  decodeStat(statBuf, st);
  const access = fl & O_ACCMODE;
  const type = st.mode & S_IFMT;
  const link = readHostLink(hostFd, st);
  let inode: HostStdioInode;
  if (type === S_IFREG) {
    inode = new HostStdioInode(new HostFdRef(hostFd, own), false, false, true, access, '[host file]', st);
  } else {
    const tty = type === S_IFCHR && hostIoctl(hostFd, TCGETS, ioBuf) >= 0;
    if (tty && console && theConsole === null) theConsole = makeConsole(hostFd, st, link);
    // A new open file description, so O_NONBLOCK stays ours; one that is non-blocking
    // already (`tsvisor exec` reopens its stdio so: /proc is out of reach of a confined
    // sandbox process) is used as it is.
    const nonblocking = (fl & H_O_NONBLOCK) !== 0;
    const fd = nonblocking ? -1 : hostOpenat(H_AT_FDCWD, `/proc/self/fd/${hostFd}`, access | H_O_NONBLOCK | H_O_NOCTTY, 0);
    const name = link;
    if (nonblocking) {
      inode = new HostStdioInode(new HostFdRef(hostFd, own), tty, false, false, access, name, st);
    } else if (fd >= 0) {
      inode = new HostStdioInode(new HostFdRef(fd, true), tty, false, false, access, name, st);
      if (own) hostClose(hostFd);
    } else {
      inode = new HostStdioInode(new HostFdRef(hostFd, own), tty, true, false, access, name, st);
    }
  }
  const d = new Dentry(inode.linkName, null, inode);
  // F_GETFL shows what the host fd shows, without any O_NONBLOCK of the caller's.
  const flags = fl & (O_ACCMODE | O_APPEND | O_LARGEFILE);
  return inode.regular ? new HostRegularFD(hostIoMount, d, flags, inode) : new HostStreamFD(hostIoMount, d, flags, inode);
}

function readHostLink(fd: number, st: Stat): string {
  const b = Buffer.alloc(256);
  const n = hostReadlinkat(H_AT_FDCWD, `/proc/self/fd/${fd}`, b);
  if (n > 0) return b.toString('latin1', 0, n);
  // Confined, without /proc: the names Linux gives pipes and sockets.
  const type = st.mode & S_IFMT;
  return type === S_IFIFO ? `pipe:[${st.ino}]` : type === S_IFSOCK ? `socket:[${st.ino}]` : `host:[${fd}]`;
}

/**
 * For a caller that hands its stdio to a confined sandbox process (`tsvisor exec`): fd
 * reopened with O_NONBLOCK as a new open file description (the caller's own stays as it
 * was), or fd itself for a regular file or what cannot be reopened (a socket).
 */
export function reopenNonblocking(fd: number): number {
  const fl = hostFcntl(fd, H_F_GETFL, 0);
  if (fl < 0 || (fl & H_O_NONBLOCK) !== 0) return fd;
  const st = new Stat();
  if (hostFstatat(fd, '', H_AT_EMPTY_PATH, statBuf) < 0) return fd;
  decodeStat(statBuf, st);
  if ((st.mode & S_IFMT) === S_IFREG) return fd;
  const r = hostOpenat(H_AT_FDCWD, `/proc/self/fd/${fd}`, (fl & O_ACCMODE) | H_O_NONBLOCK | H_O_NOCTTY, 0);
  return r >= 0 ? r : fd;
}

/** Whether a description is host stdio on a terminal (for the kernel's console logic). */
export function isHostTerminal(f: FileDescription): boolean {
  return (f instanceof HostStreamFD) && f.io.tty;
}

// ---- terminals ---------------------------------------------------------------------------

/**
 * A host terminal as the sandbox controls it: the session and foreground group are the
 * sentry's (host process-group ids mean nothing inside); data, termios and window size
 * are the host terminal's.
 */
export abstract class HostTerminal extends TtyControl {
  constructor(readonly inode: HostStdioInode) {
    super();
  }

  /** /dev/tty (and the terminal's own node): a new description of the host terminal. */
  openCtty(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    if (this.inode.ref.closed) return -E.EIO;
    return new HostStreamFD(mnt, d, flags & (O_ACCMODE | O_APPEND | 0o4000 /* O_NONBLOCK */), this.inode);
  }
}

/**
 * An exec'd process's terminal: a host pty slave whose master the runtime's caller holds
 * (`exec --tty`). It is a pty (its session leader's exit signals only the foreground
 * group); where the container has a devpts it is shown there as /dev/pts/N (ttyNr).
 */
export class HostPtyTerminal extends HostTerminal {
  readonly isPty = true;
  ttyNr: number;
  private held = true;

  constructor(inode: HostStdioInode) {
    super(inode);
    this.ttyNr = inode.hostRdev;
    // The control's own reference: /dev/tty must open while the session lives, even if
    // every description was closed meanwhile.
    inode.ref.acquire();
  }

  /** The exec'd process ended: the terminal lasts only as long as descriptions of it. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.inode.ref.release();
  }

  /** Called once the host fd is closed (its last description and the control are gone). */
  set onClose(f: () => void) {
    this.inode.ref.onClose = f;
  }
}

/**
 * Wraps a host pty slave handed over for an exec'd process (taking the fd over); null
 * when it is not a terminal (the fd is then closed). The description has one reference.
 */
export function adoptHostTerminal(hostFd: number): { f: FileDescription; term: HostPtyTerminal } | null {
  const f = wrapHostStdio(hostFd, true);
  if (f === null) return null;
  if (!(f instanceof HostStreamFD) || !f.io.tty) {
    f.decRef();
    return null;
  }
  const term = new HostPtyTerminal(f.io);
  f.io.control = term;
  return { f, term };
}

// ---- the console -------------------------------------------------------------------------

/** The host terminal on stdin, as the container's console. */
export class HostConsole extends HostTerminal {
  readonly isPty = false;
  /**
   * /dev/console (5:1): the host terminal's own number means nothing inside. An OCI
   * container's console is shown as /dev/pts/N instead (RootFs.stdio), as runc makes it.
   */
  ttyNr = (5 << 8) | 1;
  /** The host terminal's termios when the sandbox started, put back when it ends. */
  private readonly saved = Buffer.alloc(64);
  private readonly haveSaved: boolean;
  constructor(inode: HostStdioInode) {
    super(inode);
    this.haveSaved = hostIoctl(inode.ref.fd, TCGETS, this.saved) >= 0;
  }

  /**
   * Puts the host terminal's modes back as they were: an app killed in raw mode (or
   * without echo) must not leave the caller's terminal that way.
   */
  restore(): void {
    if (this.haveSaved) hostIoctl(this.inode.ref.fd, TCSETS, this.saved);
  }
}

let theConsole: HostConsole | null = null;

/** The console, once stdin was wrapped and found to be a terminal; null otherwise. */
export function hostConsole(): HostConsole | null {
  return theConsole;
}

/** Whether t's process is in a background group of con, its controlling terminal. */
function isBackground(t: VfsTask, con: HostTerminal): boolean {
  const tg = (t as { tg?: { ctty: unknown; pgid: number } }).tg;
  return tg !== undefined && tg.ctty === con && con.pgrp !== 0 && tg.pgid !== con.pgrp;
}

/** Whether f is stdio on the console's terminal (it is then shown as /dev/console). */
export function isConsoleStream(f: FileDescription): boolean {
  const c = theConsole;
  return f instanceof HostStreamFD && c !== null && terminalOf(f.io) === c;
}

/** The sandbox's control of the host terminal io is on, if it controls it. */
function terminalOf(io: HostStdioInode): HostTerminal | null {
  if (io.control !== null) return io.control;
  const c = theConsole;
  return c !== null && io.tty && io.hostRdev === c.inode.hostRdev ? c : null;
}

function makeConsole(hostFd: number, st: Stat, link: string): HostConsole | null {
  // Read-write, whatever stdin's own access mode, so /dev/tty can be written.
  const fd = hostOpenat(H_AT_FDCWD, `/proc/self/fd/${hostFd}`, 2 /* O_RDWR */ | H_O_NONBLOCK | H_O_NOCTTY, 0);
  if (fd < 0) return null;
  const ref = new HostFdRef(fd, true);
  ref.acquire(); // the console lives as long as the sandbox: its fd is never closed
  return new HostConsole(new HostStdioInode(ref, true, false, false, 2, link, st));
}
