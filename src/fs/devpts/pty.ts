// A pseudo-terminal pair, after Linux's drivers/tty/pty.c. The slave side runs the N_TTY
// line discipline (fs/tty/ldisc.ts); the master side is a raw byte stream:
//   master write -> flip buffer (8 KiB) -> slave's discipline (4096-byte read buffer)
//   slave write  -> output processing    -> master's read queue
// Termios, window size and the job-control ioctls on the master act on the slave, as
// Linux's tty_pair_get_tty does. Closing the master hangs the slave up; closing every
// slave makes master reads fail with EIO once drained.
import * as E from '../../abi/errno';
import type { Kernel } from '../../kernel/kernel';
import { SIGWINCH } from '../../kernel/signals';
import {
  EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT, EVENT_PRI, EVENT_RDNORM, EVENT_WRNORM, WaitQueue,
} from '../../waiter/waiter';
import type { Dentry } from '../../vfs/dentry';
import type { FileDescription } from '../../vfs/file';
import type { Mount } from '../../vfs/mount';
import type { VfsTask } from '../../vfs/task';
import { LdiscPort, LineDiscipline, N_TTY_BUF_SIZE } from '../tty/ldisc';
import { TtyControl, checkChange, hangupSession, killPgrp } from '../tty/jobctl';
import { IXON, TOSTOP, VSTART, VSTOP, WinSize } from '../tty/termios';

const TIOCPKT_FLUSHREAD = 1, TIOCPKT_FLUSHWRITE = 2, TIOCPKT_STOP = 4, TIOCPKT_START = 8, TIOCPKT_NOSTOP = 16,
  TIOCPKT_DOSTOP = 32;

/** What a pty port buffers for the discipline: 8 KiB, so a raw pty takes about 12 KiB before
 * a writer blocks, close to what Linux 6.x accepts (measured on the host: 10-14 KiB). */
export const FLIP_SIZE = 8192;
const SIGTTIN = 21, SIGTTOU = 22;

/** A byte ring of fixed capacity. */
export class ByteRing {
  private readonly b: Uint8Array;
  private head = 0;
  len = 0;
  constructor(readonly capacity: number) {
    this.b = new Uint8Array(capacity);
  }
  get free(): number {
    return this.capacity - this.len;
  }
  push(c: number): void {
    this.b[(this.head + this.len) % this.capacity] = c;
    this.len++;
  }
  peek(): number {
    return this.b[this.head];
  }
  shift(): number {
    const c = this.b[this.head];
    this.head = (this.head + 1) % this.capacity;
    this.len--;
    return c;
  }
  take(dst: Uint8Array, off: number, n: number): number {
    const count = Math.min(n, this.len);
    for (let i = 0; i < count; i++) dst[off + i] = this.shift();
    if (this.len === 0) this.head = 0;
    return count;
  }
  clear(): void {
    this.head = 0;
    this.len = 0;
  }
}

export class Pty extends TtyControl implements LdiscPort {
  readonly isPty = true;
  get ttyNr(): number {
    return (136 << 8) | (this.index & 0xff) | ((this.index & ~0xff) << 12);
  }
  readonly ldisc: LineDiscipline;
  readonly winsize = new WinSize();
  /** Slave output the master has not read (the master's 4 KiB read buffer plus its port's). */
  readonly toMaster = new ByteRing(N_TTY_BUF_SIZE + FLIP_SIZE);
  /** Master input the slave's discipline has no room for yet. */
  readonly flip = new ByteRing(FLIP_SIZE);
  /** unlockpt not called yet: slave opens fail with EIO. */
  locked = true;
  masterOpen = true;
  slaveOpens = 0;
  /** Every slave description was closed (Linux's TTY_OTHER_CLOSED on the master). */
  slaveClosed = false;
  /** The master is gone: the slave is hung up. */
  hungUp = false;
  /** TIOCEXCL on the slave (further opens EBUSY without CAP_SYS_ADMIN) and on the master. */
  exclusive = false;
  masterExclusive = false;
  /** TIOCPKT: master reads start with a status byte (TIOCPKT_DATA or pktstatus). */
  packet = false;
  pktstatus = 0;
  /** Woken for master reads (EVENT_IN) and writes (EVENT_OUT), and slave hangup. */
  readonly masterQ = new WaitQueue();
  readonly slaveQ = new WaitQueue();
  /** Makes a slave description (set by devpts, which owns the description classes). */
  opener: ((mnt: Mount, d: Dentry, flags: number) => FileDescription) | null = null;
  /** Called when both sides are closed (frees the index). */
  onFree: (() => void) | null = null;

  constructor(readonly index: number, readonly kernel: Kernel | null, public uid: number, public gid: number,
    public mode: number) {
    super();
    this.ldisc = new LineDiscipline(this);
  }

  /** /dev/tty: another description of the slave. */
  openCtty(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    if (this.hungUp || this.opener === null) return -E.EIO;
    return this.opener(mnt, d, flags);
  }

  // ---- LdiscPort ---------------------------------------------------------------------------

  outRoom(): number {
    return this.toMaster.free;
  }

  outPut(b: number): void {
    this.toMaster.push(b);
  }

  signal(sig: number): void {
    if (this.kernel !== null) killPgrp(this.kernel, this.pgrp, sig);
  }

  flushedBySignal(): void {
    this.packetStatus(TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE, 0);
  }

  flowChanged(stopped: boolean): void {
    this.packetStatus(stopped ? TIOCPKT_STOP : TIOCPKT_START, stopped ? TIOCPKT_START : TIOCPKT_STOP);
    if (!stopped) this.slaveQ.notify(EVENT_OUT | EVENT_WRNORM);
  }

  /** Packet mode: status for the master's next read (Linux keeps it on the slave). */
  private packetStatus(set: number, clear: number): void {
    if (!this.packet) return;
    this.pktstatus = (this.pktstatus & ~clear) | set;
    this.masterQ.notify(EVENT_IN | EVENT_PRI | EVENT_RDNORM);
  }

  /** TIOCPKT on the master: a fresh start clears any old status. */
  setPacket(on: boolean): void {
    if (on && !this.packet) this.pktstatus = 0;
    this.packet = on;
  }

  // ---- slave open / close -----------------------------------------------------------------

  slaveOpened(): void {
    this.slaveOpens++;
    this.slaveClosed = false;
  }

  slaveReleased(): void {
    if (--this.slaveOpens > 0) return;
    this.slaveClosed = true;
    this.masterQ.notify(EVENT_IN | EVENT_HUP | EVENT_OUT);
    if (!this.masterOpen) this.free();
  }

  masterReleased(): void {
    this.masterOpen = false;
    this.hungUp = true;
    this.toMaster.clear();
    this.flip.clear();
    this.ldisc.flushInput();
    if (this.kernel !== null) hangupSession(this.kernel, this, false);
    this.slaveQ.notify(EVENT_IN | EVENT_OUT | EVENT_HUP | EVENT_ERR);
    if (this.slaveOpens === 0) this.free();
  }

  private free(): void {
    const f = this.onFree;
    this.onFree = null;
    if (f !== null) f();
  }

  // ---- data flow ------------------------------------------------------------------------------

  /** Moves flip-buffered input into the discipline as far as it has room. */
  private drainFlip(): void {
    const flip = this.flip, ld = this.ldisc;
    while (flip.len > 0 && ld.receive(flip.peek())) flip.shift();
  }

  /** After input processing: wake whoever can now make progress. */
  private afterInput(echoBefore: number): void {
    this.ldisc.flushEchoes();
    if (this.ldisc.inputAvailable(false)) this.slaveQ.notify(EVENT_IN | EVENT_RDNORM);
    if (this.toMaster.len !== echoBefore) this.masterQ.notify(EVENT_IN | EVENT_RDNORM);
  }

  masterRead(t: VfsTask, dst: Uint8Array, off: number, n: number, nonblock: boolean): number {
    if (n === 0) return 0;
    const q = this.toMaster;
    if (this.packet && this.pktstatus !== 0) {
      dst[off] = this.pktstatus;
      this.pktstatus = 0;
      return 1;
    }
    if (q.len > 0) {
      let got = 0;
      if (this.packet) {
        dst[off] = 0; // TIOCPKT_DATA
        got = 1;
      }
      got += q.take(dst, off + got, n - got);
      this.slaveQ.notify(EVENT_OUT | EVENT_WRNORM);
      return got;
    }
    if (this.slaveClosed) return -E.EIO;
    if (nonblock) return -E.EAGAIN;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return t.block(this.masterQ, EVENT_IN | EVENT_HUP, -1);
  }

  masterWrite(t: VfsTask, src: Uint8Array, off: number, n: number, nonblock: boolean): number {
    if (n === 0) return 0;
    const before = this.toMaster.len;
    this.drainFlip();
    let i = 0;
    if (this.flip.len === 0) {
      while (i < n && this.ldisc.receive(src[off + i])) i++;
    }
    while (i < n && this.flip.free > 0) this.flip.push(src[off + i++]);
    this.afterInput(before);
    if (i > 0) return i;
    if (nonblock) return -E.EAGAIN;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return t.block(this.masterQ, EVENT_OUT, -1);
  }

  /** TIOCSTI: c as input of one end (the slave's discipline, or the master's raw queue). */
  inject(c: number, master: boolean): void {
    if (master) {
      if (this.toMaster.free > 0) this.toMaster.push(c);
      this.masterQ.notify(EVENT_IN | EVENT_RDNORM);
      return;
    }
    const before = this.toMaster.len;
    if (this.flip.len === 0 && this.ldisc.receive(c)) this.afterInput(before);
    else if (this.flip.free > 0) this.flip.push(c);
  }

  masterReadiness(mask: number): number {
    let ev = 0;
    if (this.toMaster.len > 0) ev |= EVENT_IN | EVENT_RDNORM;
    if (this.packet && this.pktstatus !== 0) ev |= EVENT_IN | EVENT_RDNORM | EVENT_PRI;
    if (this.slaveClosed) ev |= EVENT_HUP;
    if (this.flip.free > 0) ev |= EVENT_OUT | EVENT_WRNORM;
    return ev & (mask | EVENT_HUP | EVENT_ERR);
  }

  /**
   * Raw-mode reads: MIN bytes (or as many as asked) with TIME 0; with TIME > 0 an
   * inter-byte timer (MIN > 0) or an overall timeout (MIN 0), in tenths of a second.
   * Nothing is consumed until the read can complete, so a re-run after blocking starts
   * afresh. (Known gap: the read syscall copies a buffer that spans memory chunks with one
   * call per chunk; with MIN > 1 and TIME > 0 a later chunk could block after an earlier one
   * took data. Linux loops inside one call; buffers rarely straddle VMAs.)
   */
  slaveRead(t: VfsTask, dst: Uint8Array, off: number, n: number, nonblock: boolean, now: number): number {
    if (this.hungUp) return 0;
    const jc = checkChange(t, this, SIGTTIN);
    if (jc < 0) return jc;
    if (n === 0) return 0;
    const ld = this.ldisc;
    // The kernel's Task keeps a per-syscall deadline across re-runs (VfsTask lacks it).
    const sysDeadline = t as unknown as { sysDeadline: number };
    let ready: boolean;
    let deadline = -1;
    if (ld.icanon) {
      ready = ld.canon > 0;
    } else {
      const cc = ld.termios.cc;
      const vmin = cc[6], vtime = cc[5];
      const want = Math.min(vmin, n);
      if (vmin === 0 && vtime === 0) {
        ready = true;
      } else if (vtime === 0) {
        ready = ld.len >= want;
      } else if (vmin === 0) {
        ready = ld.len > 0 || (t.restarting && t.timedOut);
        if (!ready) {
          if (!t.restarting || sysDeadline.sysDeadline < 0) sysDeadline.sysDeadline = now + vtime * 100e6;
          deadline = sysDeadline.sysDeadline;
        }
      } else {
        // Inter-byte timer: runs once a first byte is there, restarted by each arrival.
        ready = ld.len >= want || (ld.len > 0 && t.restarting && t.timedOut);
        if (!ready && ld.len > 0) {
          sysDeadline.sysDeadline = now + vtime * 100e6;
          deadline = sysDeadline.sysDeadline;
        }
      }
    }
    if (ready) {
      const before = this.toMaster.len;
      const got = ld.take(dst, off, n);
      this.drainFlip();
      this.afterInput(before);
      this.masterQ.notify(EVENT_OUT | EVENT_WRNORM);
      sysDeadline.sysDeadline = -1;
      return got;
    }
    if (nonblock) return -E.EAGAIN;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return t.block(this.slaveQ, EVENT_IN | EVENT_HUP, deadline);
  }

  slaveWrite(t: VfsTask, src: Uint8Array, off: number, n: number, nonblock: boolean): number {
    if (this.hungUp) return -E.EIO;
    if ((this.ldisc.termios.lflag & TOSTOP) !== 0) {
      const jc = checkChange(t, this, SIGTTOU);
      if (jc < 0) return jc;
    }
    if (n === 0) return 0;
    const w = this.ldisc.stopped ? 0 : this.ldisc.write(src, off, n);
    if (w > 0) {
      this.masterQ.notify(EVENT_IN | EVENT_RDNORM);
      return w;
    }
    if (nonblock) return -E.EAGAIN;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return t.block(this.slaveQ, EVENT_OUT | EVENT_HUP, -1);
  }

  slaveReadiness(mask: number): number {
    if (this.hungUp) return (EVENT_IN | EVENT_OUT | EVENT_ERR | EVENT_HUP | EVENT_RDNORM | EVENT_WRNORM) &
      (mask | EVENT_HUP | EVENT_ERR);
    let ev = 0;
    if (this.ldisc.inputAvailable(true)) ev |= EVENT_IN | EVENT_RDNORM;
    if (!this.ldisc.stopped && this.toMaster.free > 0) ev |= EVENT_OUT | EVENT_WRNORM;
    return ev & (mask | EVENT_HUP | EVENT_ERR);
  }

  // ---- control -------------------------------------------------------------------------------

  /** Termios changed: a mode switch may complete reads; a restart of output wakes writers. */
  termiosChanged(wasCanon: boolean, oldFlow: boolean): void {
    if (oldFlow !== this.stdFlow()) {
      this.packetStatus(oldFlow ? TIOCPKT_NOSTOP : TIOCPKT_DOSTOP, TIOCPKT_NOSTOP | TIOCPKT_DOSTOP);
    }
    this.ldisc.termiosChanged(wasCanon);
    this.drainFlip();
    this.ldisc.flushEchoes();
    this.slaveQ.notify(EVENT_IN | EVENT_OUT | EVENT_RDNORM | EVENT_WRNORM);
    this.masterQ.notify(EVENT_OUT | EVENT_IN);
  }

  /** IXON with ^S/^Q: what packet mode's DOSTOP/NOSTOP report on. */
  stdFlow(): boolean {
    const t = this.ldisc.termios;
    return (t.iflag & IXON) !== 0 && t.cc[VSTOP] === 0o23 && t.cc[VSTART] === 0o21;
  }

  /** TIOCSWINSZ on either side: SIGWINCH to the foreground group when it changed. */
  resize(b: Buffer): void {
    if (this.winsize.decode(b)) this.signal(SIGWINCH);
  }

  /** TCFLSH's input part: the slave drops its input, the master what the slave wrote. */
  flushInput(master: boolean): void {
    if (master) {
      this.toMaster.clear();
      this.slaveQ.notify(EVENT_OUT | EVENT_WRNORM);
    } else {
      this.ldisc.flushInput();
      this.flip.clear();
      this.masterQ.notify(EVENT_OUT | EVENT_WRNORM);
      this.packetStatus(TIOCPKT_FLUSHREAD, 0);
    }
  }

  /** TCOFLUSH on the slave: nothing is queued in the driver, but packet mode hears of it. */
  flushOutput(master: boolean): void {
    if (!master) this.packetStatus(TIOCPKT_FLUSHWRITE, 0);
  }

  /** TCXONC. */
  flow(action: number): number {
    const cc = this.ldisc.termios.cc;
    switch (action) {
      case 0: // TCOOFF
        this.ldisc.setStopped(true, true);
        return 0;
      case 1: // TCOON
        this.ldisc.setStopped(false, true);
        return 0;
      case 2: case 3: { // TCIOFF, TCION: send STOP / START toward the other side
        const c = cc[action === 2 ? VSTOP : VSTART];
        if (c !== 0 && this.toMaster.free > 0) {
          this.toMaster.push(c);
          this.masterQ.notify(EVENT_IN | EVENT_RDNORM);
        }
        return 0;
      }
      default:
        return -E.EINVAL;
    }
  }
}
