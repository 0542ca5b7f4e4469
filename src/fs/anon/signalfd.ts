// signalfd: a file that hands out the reading thread's pending signals of a chosen set
// as struct signalfd_siginfo records, instead of delivering them. As on Linux the file
// belongs to no task: a read dequeues from the *caller's* thread queue, then its
// process queue, so after fork the child reads its own signals. Readers and pollers wait
// on the signal handlers' signalfd queue, which every send notifies.
import * as E from '../../abi/errno';
import type { Task } from '../../kernel/task';
import { PendingSet, SIGCHLD, SI_TIMER, SigInfo } from '../../kernel/signals';
import { O_RDWR } from '../../vfs/abi';
import { FileDescription } from '../../vfs/file';
import type { VfsTask } from '../../vfs/task';
import { EVENT_IN, EVENT_RDNORM, WaitQueue } from '../../waiter/waiter';
import { anonDentry, anonMount } from './anon';

const signalfdDentry = anonDentry('anon_inode:[signalfd]');
export const SIGNALFD_SIGINFO_SIZE = 128;
const TWO32 = 4294967296;
const SI_QUEUE = -1, SI_MESGQ = -3, SI_ASYNCIO = -4, SI_SIGIO = -5;
const SIGILL = 4, SIGTRAP = 5, SIGFPE = 8, SIGBUS = 7, SIGSEGV = 11, SIGPOLL = 29, SIGSYS = 31;

function put64(b: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  const lo = (v - hi * TWO32) >>> 0;
  const h = hi >>> 0;
  for (let i = 0; i < 4; i++) {
    b[off + i] = (lo >>> (8 * i)) & 0xff;
    b[off + 4 + i] = (h >>> (8 * i)) & 0xff;
  }
}

function put32(b: Uint8Array, off: number, v: number): void {
  const u = v >>> 0;
  b[off] = u & 0xff;
  b[off + 1] = (u >>> 8) & 0xff;
  b[off + 2] = (u >>> 16) & 0xff;
  b[off + 3] = (u >>> 24) & 0xff;
}

/**
 * Writes struct signalfd_siginfo (128 bytes) at b[off..]. Which fields are filled follows
 * the siginfo's layout class, as Linux's signalfd_copyinfo does.
 */
export function encodeSignalfdSiginfo(b: Uint8Array, off: number, info: SigInfo): void {
  b.fill(0, off, off + SIGNALFD_SIGINFO_SIZE);
  const sig = info.signo, code = info.code;
  put32(b, off, sig); // ssi_signo
  put32(b, off + 8, code); // ssi_code
  const kernelCode = code > 0;
  if (kernelCode && (sig === SIGSEGV || sig === SIGBUS || sig === SIGILL || sig === SIGFPE || sig === SIGTRAP)) {
    put64(b, off + 72, info.addr); // ssi_addr
  } else if (kernelCode && sig === SIGCHLD) {
    put32(b, off + 12, info.pid);
    put32(b, off + 16, info.uid);
    put32(b, off + 40, info.status);
    put64(b, off + 56, info.utime);
    put64(b, off + 64, info.stime);
  } else if (kernelCode && sig === SIGSYS) {
    put64(b, off + 88, info.addr); // ssi_call_addr
  } else if (code === SI_TIMER) {
    put32(b, off + 24, info.timerId); // ssi_tid
    put32(b, off + 32, info.status); // ssi_overrun
    put64(b, off + 48, info.value); // ssi_ptr
    put32(b, off + 44, info.value); // ssi_int
  } else if ((kernelCode && sig === SIGPOLL) || code === SI_SIGIO) {
    put32(b, off + 20, info.timerId); // ssi_fd
  } else if (code === SI_QUEUE || code === SI_MESGQ || code === SI_ASYNCIO) {
    put32(b, off + 12, info.pid);
    put32(b, off + 16, info.uid);
    put64(b, off + 48, info.value);
    put32(b, off + 44, info.value);
  } else {
    // kill-style: sender's pid and uid
    put32(b, off + 12, info.pid);
    put32(b, off + 16, info.uid);
  }
}

export class SignalFd extends FileDescription {
  /** The signal set, without SIGKILL and SIGSTOP. */
  maskLo: number;
  maskHi: number;

  constructor(
    /** The task that made it: its kernel tells who is calling when readiness is asked. */
    private readonly owner: Task,
    maskLo: number,
    maskHi: number,
    flags: number,
  ) {
    super(anonMount, signalfdDentry, O_RDWR | flags);
    this.maskLo = maskLo;
    this.maskHi = maskHi;
  }

  /** The calling task (Linux's `current`); the creator when nothing is running. */
  private caller(): Task {
    return this.owner.kernel.current ?? this.owner;
  }

  /** The queue (thread's first) holding a signal of the set for t, and that signal. */
  private pick(t: Task): [PendingSet, number] | null {
    const nlo = ~this.maskLo, nhi = ~this.maskHi;
    let sig = t.signals.pending.next(nlo, nhi);
    if (sig !== 0) return [t.signals.pending, sig];
    sig = t.tg.sharedPending.next(nlo, nhi);
    if (sig !== 0) return [t.tg.sharedPending, sig];
    return null;
  }

  override read(vt: VfsTask, dst: Uint8Array, off: number, len: number): number {
    // The syscall layer hands over the kernel's Task (fs/ sits above kernel/).
    const t = vt as Task;
    const n = Math.floor(len / SIGNALFD_SIGINFO_SIZE);
    if (n === 0) return -E.EINVAL;
    let done = 0;
    while (done < n) {
      const p = this.pick(t);
      if (p === null) break;
      const info = p[0].take(p[1]);
      if (info === null) break;
      encodeSignalfdSiginfo(dst, off + done * SIGNALFD_SIGINFO_SIZE, info);
      done++;
    }
    if (done > 0) return done * SIGNALFD_SIGINFO_SIZE;
    if (this.nonblocking) return -E.EAGAIN;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return t.block(t.tg.sighand.signalfdWaiters, EVENT_IN, -1);
  }

  override write(): number {
    return -E.EINVAL;
  }

  override readiness(mask: number): number {
    return this.pick(this.caller()) !== null ? mask & (EVENT_IN | EVENT_RDNORM) : 0;
  }

  override get waitQueue(): WaitQueue {
    return this.caller().tg.sighand.signalfdWaiters;
  }

  override get anonName(): string {
    return 'anon_inode:[signalfd]';
  }
}
