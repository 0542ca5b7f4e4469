// devpts: the file system of pseudo-terminal slaves, mounted on /dev/pts as a container
// runtime mounts it (Docker: newinstance,ptmxmode=0666,mode=0620,gid=5).
//
//   /dev/pts/ptmx  5:2   opening it makes a new pair and returns its master
//   /dev/pts/N     136:N the slave of pair N (from 0, lowest free; gone when the master
//                        closes, the number reused once both sides are closed), or a
//                        host terminal shown here (an exec'd process's, see addHostSlave)
//   /dev/ptmx -> pts/ptmx, /dev/tty 5:0 (the controlling terminal) live in /dev.
//
// Device nodes open through the VFS device registry, so the devpts instance registers
// its openers there. Slave nodes are owned by the opener of the master with gid 5 (tty)
// and mode 0620, as the mount options say.
import * as E from '../../abi/errno';
import { Task } from '../../kernel/task';
import type { WaitQueue } from '../../waiter/waiter';
import {
  DT_CHR, O_ACCMODE, O_APPEND, O_CLOEXEC, O_LARGEFILE, O_NOCTTY, O_NONBLOCK, S_IFCHR, S_IFDIR, S_IFMT,
} from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import type { DeviceRegistry } from '../../vfs/devices';
import { DirectoryFile, FileDescription } from '../../vfs/file';
import { DirEntry, FileSystem, Inode } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { DateTimeSource, SetAttr, Stat, makedev } from '../../vfs/stat';
import type { TimeSource } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';
import { lookupChild } from '../../vfs/walk';
import { NOT_JOB_IOCTL, acquireOnOpen, checkChange, cttyOf, jobIoctl } from '../tty/jobctl';
import {
  TCFLSH, TCGETS, TCGETS2, TCSBRK, TCSBRKP, TCSETS, TCSETS2, TCSETSF, TCSETSF2, TCSETSW, TCSETSW2, TCXONC,
  TERMIOS2_SIZE, TERMIOS_SIZE, TIOCGETD, TIOCGPKT, TIOCGPTLCK, TIOCGPTN, TIOCGPTPEER, TIOCGWINSZ, TIOCOUTQ,
  TIOCPKT, TIOCSIG, TIOCSPTLCK, TIOCSWINSZ, WINSIZE_SIZE, TIOCSTI, TIOCEXCL, TIOCNXCL, TIOCGEXCL,
  TCGETA, TCSETA, TCSETAW, TCSETAF, TERMIO_SIZE,
} from '../tty/termios';
import { Pty } from './pty';

export const PTMX_MAJOR = 5, PTMX_MINOR = 2, PTS_MAJOR = 136, TTY_MAJOR = 5, TTY_MINOR = 0;
const DEVPTS_MAGIC = 0x1cd1;
const TTY_GID = 5;
const CAP_SYS_ADMIN = 21;
/** Linux's default /proc/sys/kernel/pty/max. */
const PTY_MAX = 4096;

const io = Buffer.alloc(64);

/** A terminal of the host shown as a slave of this instance: how its node opens. */
export interface HostSlave {
  open(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number;
}

export class DevPtsFs extends FileSystem {
  readonly name = 'devpts';
  readonly magic = DEVPTS_MAGIC;
  private readonly rootInode: DevPtsRoot;
  readonly ptmx: DevPtsNode;
  readonly ptys: (Pty | HostSlave | undefined)[] = [];
  /** Nodes of live slaves (removed when the master closes). */
  readonly nodes = new Map<number, DevPtsNode>();
  /** The mount on /dev/pts (TIOCGPTPEER opens the slave through it). */
  mount: Mount | null = null;
  private readonly registered = new Set<number>();

  constructor(private readonly devices: DeviceRegistry, private readonly clock: TimeSource = new DateTimeSource()) {
    super();
    this.rootInode = new DevPtsRoot(this);
    this.ptmx = new DevPtsNode(this, 2, S_IFCHR | 0o666, 0, 0, makedev(PTMX_MAJOR, PTMX_MINOR));
    devices.registerChar(PTMX_MAJOR, PTMX_MINOR, (t, mnt, d, flags) => this.openPtmx(t, mnt, d, flags));
  }

  root(): Inode {
    return this.rootInode;
  }

  now(): [number, number] {
    this.clock.read(0);
    return [this.clock.ts[0], this.clock.ts[1]];
  }

  /** The lowest free index (a pair's or a host slave's). */
  private freeIndex(): number {
    let index = 0;
    while (index < this.ptys.length && this.ptys[index] !== undefined) index++;
    return index;
  }

  private trim(): void {
    while (this.ptys.length > 0 && this.ptys[this.ptys.length - 1] === undefined) this.ptys.length--;
  }

  private register(index: number): void {
    if (this.registered.has(index)) return;
    this.registered.add(index);
    this.devices.registerChar(PTS_MAJOR, index, (tt, m, dd, fl) => this.openSlave(tt, m, dd, fl, index));
  }

  /**
   * Shows a host terminal as /dev/pts/N (lowest free N; owned by uid, gid tty, 0620 as
   * the mount options make slaves), as runc's exec --tty shows the terminal it makes in
   * the container's devpts. Returns N, or -errno.
   */
  addHostSlave(slave: HostSlave, uid: number): number {
    const index = this.freeIndex();
    if (index >= PTY_MAX) return -E.ENOSPC;
    this.ptys[index] = slave;
    this.nodes.set(index, new DevPtsNode(this, index + 3, S_IFCHR | 0o620, uid, TTY_GID, makedev(PTS_MAJOR, index)));
    this.register(index);
    return index;
  }

  /** The host terminal is closed: its node goes and its number is free again. */
  removeHostSlave(index: number, slave: HostSlave): void {
    if (this.ptys[index] !== slave) return;
    this.ptys[index] = undefined;
    this.nodes.delete(index);
    this.trim();
  }

  /** ptmx_open: a new pair, its slave node, and the master description. */
  private openPtmx(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    const index = this.freeIndex();
    if (index >= PTY_MAX) return -E.ENOSPC;
    const kernel = t instanceof Task ? t.kernel : null;
    const pty = new Pty(index, kernel, t.creds.fsuid, TTY_GID, 0o620);
    this.ptys[index] = pty;
    pty.opener = (m, dd, fl) => new PtySlaveFD(m, dd, fl & ~O_NOCTTY, pty);
    pty.onFree = () => {
      this.ptys[index] = undefined;
      this.trim();
    };
    this.nodes.set(index, new DevPtsNode(this, index + 3, S_IFCHR | 0o620, t.creds.fsuid, TTY_GID,
      makedev(PTS_MAJOR, index), pty));
    this.register(index);
    return new PtyMasterFD(mnt, d, flags & ~O_NOCTTY, pty, this);
  }

  /** Opens slave index (a locked one fails with EIO, as pty_open). */
  openSlave(t: VfsTask, mnt: Mount, d: Dentry, flags: number, index: number): FileDescription | number {
    const pty = this.ptys[index];
    if (pty === undefined) return -E.EIO;
    if (!(pty instanceof Pty)) return pty.open(t, mnt, d, flags);
    if (pty.hungUp) return -E.EIO;
    if (pty.locked) return -E.EIO;
    if (pty.exclusive && pty.slaveOpens > 0 && !t.creds.hasCap(CAP_SYS_ADMIN)) return -E.EBUSY;
    const f = new PtySlaveFD(mnt, d, flags & ~O_NOCTTY, pty);
    acquireOnOpen(t, pty, flags);
    return f;
  }

  /** The master closed: its slave node goes away. */
  removeNode(index: number): void {
    this.nodes.delete(index);
  }

  /** TIOCGPTPEER: the slave, opened through this instance's mount. */
  openPeer(t: VfsTask, pty: Pty, flags: number): FileDescription | number {
    const mnt = this.mount;
    if (mnt === null) return -E.EIO;
    const d = lookupChild(t, mnt.root, String(pty.index));
    if (typeof d === 'number') return -E.EIO;
    return this.openSlave(t, mnt, d, flags, pty.index);
  }
}

class DevPtsRoot extends Inode {
  readonly ino = 1;
  readonly mode = S_IFDIR | 0o755;
  readonly uid = 0;
  readonly gid = 0;
  constructor(readonly fs: DevPtsFs) {
    super();
    this.times = fs.now();
  }
  override get cacheChildren(): boolean {
    return false;
  }
  private readonly times: [number, number];
  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = 1;
    st.mode = this.mode;
    st.nlink = 2;
    st.atimeSec = st.mtimeSec = st.ctimeSec = this.times[0];
    st.atimeNsec = st.mtimeNsec = st.ctimeNsec = this.times[1];
  }
  override lookup(_t: VfsTask, name: string): Inode | number {
    if (name === 'ptmx') return this.fs.ptmx;
    if (!/^(0|[1-9][0-9]{0,8})$/.test(name)) return -E.ENOENT;
    return this.fs.nodes.get(Number(name)) ?? -E.ENOENT;
  }
  override readdir(): DirEntry[] {
    const out: DirEntry[] = [{ name: 'ptmx', ino: 2, type: DT_CHR }];
    const idx = [...this.fs.nodes.keys()].sort((a, b) => a - b);
    for (const i of idx) out.push({ name: String(i), ino: i + 3, type: DT_CHR });
    return out;
  }
  open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription {
    return new DirectoryFile(mnt, d, flags);
  }
}

/** ptmx and the slave nodes. */
export class DevPtsNode extends Inode {
  private readonly times: [number, number];
  constructor(readonly fs: DevPtsFs, readonly ino: number, public mode: number, public uid: number, public gid: number,
    private readonly dev: number, readonly pty: Pty | null = null) {
    super();
    this.times = fs.now();
  }
  override get rdev(): number {
    return this.dev;
  }
  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.mode = this.mode;
    st.uid = this.uid;
    st.gid = this.gid;
    st.rdev = this.dev;
    st.blksize = 1024;
    st.atimeSec = st.mtimeSec = st.ctimeSec = this.times[0];
    st.atimeNsec = st.mtimeNsec = st.ctimeNsec = this.times[1];
  }
  /** chmod/chown (grantpt's work on old glibc); the VFS has checked ownership. */
  override setattr(_t: VfsTask, a: SetAttr): number {
    if (a.size >= 0) return -E.EINVAL;
    if (a.mode >= 0) this.mode = (this.mode & S_IFMT) | (a.mode & 0o7777);
    if (a.uid >= 0) this.uid = a.uid;
    if (a.gid >= 0) this.gid = a.gid;
    return 0;
  }
  open(): number {
    return -E.ENXIO; // device nodes open through the registry
  }
}

// ---- descriptions ---------------------------------------------------------------------------

/** Termios, window size, flushing and job control: common to both ends of a pair. */
function ttyIoctl(t: VfsTask, f: FileDescription, pty: Pty, master: boolean, req: number, arg: number): number {
  const jr = jobIoctl(t, pty, !master, f.readable, req, arg);
  if (jr !== NOT_JOB_IOCTL) return jr;
  switch (req) {
    case TCGETS: case TCGETS2: {
      const n = pty.ldisc.termios.encode(io, req === TCGETS2);
      return t.mm.copyOut(arg, io, 0, n) < 0 ? -E.EFAULT : 0;
    }
    case TCSETS: case TCSETSW: case TCSETSF: case TCSETS2: case TCSETSW2: case TCSETSF2: {
      const jc = checkChange(t, pty, 22 /* SIGTTOU */);
      if (jc < 0) return jc;
      const two = req === TCSETS2 || req === TCSETSW2 || req === TCSETSF2;
      if (t.mm.copyIn(arg, io, 0, two ? TERMIOS2_SIZE : TERMIOS_SIZE) < 0) return -E.EFAULT;
      if (req === TCSETSF || req === TCSETSF2) pty.flushInput(false);
      const wasCanon = pty.ldisc.icanon, oldFlow = pty.stdFlow();
      pty.ldisc.termios.decode(io, two);
      pty.termiosChanged(wasCanon, oldFlow);
      return 0;
    }
    case TCGETA:
      pty.ldisc.termios.encodeTermio(io);
      return t.mm.copyOut(arg, io, 0, TERMIO_SIZE) < 0 ? -E.EFAULT : 0;
    case TCSETA: case TCSETAW: case TCSETAF: {
      const jc = checkChange(t, pty, 22 /* SIGTTOU */);
      if (jc < 0) return jc;
      if (t.mm.copyIn(arg, io, 0, TERMIO_SIZE) < 0) return -E.EFAULT;
      if (req === TCSETAF) pty.flushInput(false);
      const wasCanon = pty.ldisc.icanon, oldFlow = pty.stdFlow();
      pty.ldisc.termios.decodeTermio(io);
      pty.termiosChanged(wasCanon, oldFlow);
      return 0;
    }
    case TIOCGWINSZ:
      pty.winsize.encode(io);
      return t.mm.copyOut(arg, io, 0, WINSIZE_SIZE) < 0 ? -E.EFAULT : 0;
    case TIOCSWINSZ:
      if (t.mm.copyIn(arg, io, 0, WINSIZE_SIZE) < 0) return -E.EFAULT;
      pty.resize(io);
      return 0;
    case TIOCOUTQ:
      io.writeInt32LE(0, 0);
      return t.mm.copyOut(arg, io, 0, 4) < 0 ? -E.EFAULT : 0;
    case TCFLSH: {
      const jc = checkChange(t, pty, 22);
      if (jc < 0) return jc;
      const a = arg | 0;
      if (a < 0 || a > 2) return -E.EINVAL;
      if (a !== 1) pty.flushInput(master);
      if (a !== 0) pty.flushOutput(master);
      return 0;
    }
    case TCXONC: {
      const jc = checkChange(t, pty, 22);
      if (jc < 0) return jc;
      return pty.flow(arg | 0);
    }
    case TCSBRK: case TCSBRKP: {
      const jc = checkChange(t, pty, 22);
      if (jc < 0) return jc;
      return 0;
    }
    case TIOCGETD:
      io.writeInt32LE(0, 0);
      return t.mm.copyOut(arg, io, 0, 4) < 0 ? -E.EFAULT : 0;
    case TIOCSTI: {
      // dev.tty.legacy_tiocsti is on (Linux's default): the controlling terminal, or any
      // terminal with CAP_SYS_ADMIN; the byte is input to this end's discipline.
      const admin = t.creds.hasCap(CAP_SYS_ADMIN);
      if (!admin && (!(t instanceof Task) || cttyOf(t.tg) !== pty || master)) return -E.EPERM;
      if (t.mm.copyIn(arg, io, 0, 1) < 0) return -E.EFAULT;
      pty.inject(io[0], master);
      return 0;
    }
    case TIOCEXCL: case TIOCNXCL:
      if (master) pty.masterExclusive = req === TIOCEXCL;
      else pty.exclusive = req === TIOCEXCL;
      return 0;
    case TIOCGEXCL:
      io.writeInt32LE((master ? pty.masterExclusive : pty.exclusive) ? 1 : 0, 0);
      return t.mm.copyOut(arg, io, 0, 4) < 0 ? -E.EFAULT : 0;
    default:
      return -E.ENOTTY;
  }
}

export class PtyMasterFD extends FileDescription {
  private closed = false;
  constructor(mnt: Mount, d: Dentry, flags: number, readonly pty: Pty, private readonly fs: DevPtsFs) {
    super(mnt, d, flags);
  }

  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    return this.pty.masterRead(t, dst, off, len, this.nonblocking);
  }

  override write(t: VfsTask, src: Uint8Array, off: number, len: number): number {
    return this.pty.masterWrite(t, src, off, len, this.nonblocking);
  }

  override readiness(mask: number): number {
    return this.pty.masterReadiness(mask);
  }

  override get waitQueue(): WaitQueue {
    return this.pty.masterQ;
  }

  override available(): number {
    return Math.min(this.pty.toMaster.len, 4095);
  }

  override ioctl(t: VfsTask, req: number, arg: number): number {
    const pty = this.pty;
    switch (req) {
      case TIOCGPTN:
        io.writeUInt32LE(pty.index, 0);
        return t.mm.copyOut(arg, io, 0, 4) < 0 ? -E.EFAULT : 0;
      case TIOCSPTLCK:
        if (t.mm.copyIn(arg, io, 0, 4) < 0) return -E.EFAULT;
        pty.locked = io.readInt32LE(0) !== 0;
        return 0;
      case TIOCGPTLCK:
        io.writeInt32LE(pty.locked ? 1 : 0, 0);
        return t.mm.copyOut(arg, io, 0, 4) < 0 ? -E.EFAULT : 0;
      case TIOCPKT:
        if (t.mm.copyIn(arg, io, 0, 4) < 0) return -E.EFAULT;
        pty.setPacket(io.readInt32LE(0) !== 0);
        return 0;
      case TIOCGPKT:
        io.writeInt32LE(pty.packet ? 1 : 0, 0);
        return t.mm.copyOut(arg, io, 0, 4) < 0 ? -E.EFAULT : 0;
      case TIOCSIG: {
        const sig = arg | 0;
        if (sig < 1 || sig > 64) return -E.EINVAL;
        pty.signal(sig);
        return 0;
      }
      case TIOCGPTPEER: {
        if (!(t instanceof Task)) return -E.EIO;
        const fl = arg | 0;
        // The slave is opened with the caller's flags, as dentry_open would take them; only
        // flags that mean something for a terminal are kept (never O_PATH or O_CREAT).
        const f = this.fs.openPeer(t, pty, fl & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOCTTY | O_LARGEFILE));
        if (typeof f === 'number') return f;
        const fd = t.fdTable.install(f, 0, (fl & O_CLOEXEC) !== 0);
        if (fd < 0) f.decRef();
        return fd;
      }
      default:
        return ttyIoctl(t, this, pty, true, req, arg);
    }
  }

  override fsync(): number {
    return -E.EINVAL;
  }

  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.fs.removeNode(this.pty.index);
    this.pty.masterReleased();
  }
}

export class PtySlaveFD extends FileDescription {
  private closed = false;
  constructor(mnt: Mount, d: Dentry, flags: number, readonly pty: Pty) {
    super(mnt, d, flags);
    pty.slaveOpened();
  }

  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    const now = t instanceof Task ? t.kernel.clock.monoNow() : 0;
    return this.pty.slaveRead(t, dst, off, len, this.nonblocking, now);
  }

  override write(t: VfsTask, src: Uint8Array, off: number, len: number): number {
    return this.pty.slaveWrite(t, src, off, len, this.nonblocking);
  }

  override readiness(mask: number): number {
    return this.pty.slaveReadiness(mask);
  }

  override get waitQueue(): WaitQueue {
    return this.pty.slaveQ;
  }

  override available(): number {
    if (this.pty.hungUp) return -E.EIO;
    return this.pty.ldisc.inq();
  }

  override ioctl(t: VfsTask, req: number, arg: number): number {
    if (this.pty.hungUp) return req === 0x5410 /* TIOCSPGRP */ ? -E.ENOTTY : -E.EIO;
    return ttyIoctl(t, this, this.pty, false, req, arg);
  }

  override fsync(): number {
    return -E.EINVAL;
  }

  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    this.pty.slaveReleased();
  }
}

/** Registers /dev/tty (5:0): the caller's controlling terminal, ENXIO without one. */
export function registerDevTty(devices: DeviceRegistry): void {
  devices.registerChar(TTY_MAJOR, TTY_MINOR, (t, mnt, d, flags) => {
    if (!(t instanceof Task)) return -E.ENXIO;
    const tty = cttyOf(t.tg);
    if (tty === null) return -E.ENXIO;
    return tty.openCtty(t, mnt, d, flags);
  });
}

