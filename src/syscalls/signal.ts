// Signal state: dispositions, masks and the alternate stack, kept exactly as Linux
// keeps them so that they read back as written. Delivery is built on these.
import * as E from '../abi/errno';
import { CAP_KILL } from '../auth/creds';
import { encodeSiginfo, sendToGroup, sendToTask, sigreturn } from '../kernel/delivery';
import { NO_RETURN } from '../kernel/results';
import { NSIG, SIGKILL, SIGSEGV, SIGSTOP, SI_TKILL, SI_USER, SigInfo } from '../kernel/signals';
import type { Task } from '../kernel/task';
import type { ThreadGroup } from '../kernel/threadgroup';
import { pair, readTimespec } from './util';
import { RSP, getRegU } from '../platform/regs';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/** SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_EXPOSE_TAGBITS, SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND. */
const KNOWN_SA_FLAGS = 0x1 | 0x2 | 0x4 | 0x800 | 0x04000000 | 0x08000000 | 0x10000000 | 0x40000000 | 0x80000000;
const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
const MINSIGSTKSZ = 2048;
/** SIGKILL and SIGSTOP can never be blocked. */
const UNBLOCKABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

function rtSigaction(t: Task, sig: number, act: number, oact: number, sigsetsize: number): number {
  sig |= 0;
  if (sigsetsize !== 8) return -E.EINVAL;
  if (sig < 1 || sig > NSIG) return -E.EINVAL;
  if (act !== 0 && (sig === SIGKILL || sig === SIGSTOP)) return -E.EINVAL;
  const a = t.tg.sighand.actions[sig];
  let nh = 0, nf = 0, nr = 0, nlo = 0, nhi = 0;
  if (act !== 0) {
    if (t.mm.copyIn(act, scratch, 0, 32) < 0) return -E.EFAULT;
    nh = scratch.readUInt32LE(0) + scratch.readUInt32LE(4) * 4294967296;
    // Unknown flag bits are dropped, as Linux does (SA_UNSUPPORTED lets libcs detect that).
    nf = (scratch.readUInt32LE(8) & KNOWN_SA_FLAGS) >>> 0;
    nr = scratch.readUInt32LE(16) + scratch.readUInt32LE(20) * 4294967296;
    nlo = scratch.readInt32LE(24) & ~UNBLOCKABLE_LO;
    nhi = scratch.readInt32LE(28);
  }
  if (oact !== 0) {
    scratch.writeUInt32LE(a.handler % 4294967296 >>> 0, 0);
    scratch.writeUInt32LE(Math.floor(a.handler / 4294967296) >>> 0, 4);
    scratch.writeUInt32LE(a.flags % 4294967296 >>> 0, 8);
    scratch.writeUInt32LE(Math.floor(a.flags / 4294967296) >>> 0, 12);
    scratch.writeUInt32LE(a.restorer % 4294967296 >>> 0, 16);
    scratch.writeUInt32LE(Math.floor(a.restorer / 4294967296) >>> 0, 20);
    scratch.writeInt32LE(a.maskLo, 24);
    scratch.writeInt32LE(a.maskHi, 28);
    if (t.mm.copyOut(oact, scratch, 0, 32) < 0) return -E.EFAULT;
  }
  if (act !== 0) {
    a.handler = nh;
    a.flags = nf;
    a.restorer = nr;
    a.maskLo = nlo;
    a.maskHi = nhi;
    // POSIX: making a pending signal ignored discards it.
    if (t.tg.sighand.ignores(sig)) {
      t.tg.sharedPending.clear(sig);
      for (const x of t.tg.tasks) x.signals.pending.clear(sig);
    }
  }
  return 0;
}

function rtSigprocmask(t: Task, how: number, set: number, oset: number, sigsetsize: number): number {
  how |= 0;
  if (sigsetsize !== 8) return -E.EINVAL;
  const s = t.signals;
  let lo = 0, hi = 0;
  if (set !== 0) {
    if (how !== SIG_BLOCK && how !== SIG_UNBLOCK && how !== SIG_SETMASK) return -E.EINVAL;
    if (t.mm.copyIn(set, scratch, 0, 8) < 0) return -E.EFAULT;
    lo = scratch.readInt32LE(0);
    hi = scratch.readInt32LE(4);
  }
  scratch.writeInt32LE(s.maskLo, 8);
  scratch.writeInt32LE(s.maskHi, 12);
  if (set !== 0) {
    if (how === SIG_BLOCK) {
      s.maskLo |= lo;
      s.maskHi |= hi;
    } else if (how === SIG_UNBLOCK) {
      s.maskLo &= ~lo;
      s.maskHi &= ~hi;
    } else {
      s.maskLo = lo;
      s.maskHi = hi;
    }
    s.maskLo &= ~UNBLOCKABLE_LO;
  }
  if (oset !== 0 && t.mm.copyOut(oset, scratch, 8, 8) < 0) return -E.EFAULT;
  return 0;
}

function rtSigpending(t: Task, set: number, sigsetsize: number): number {
  if (sigsetsize > 8) return -E.EINVAL;
  const s = t.signals;
  const g = t.tg.sharedPending;
  scratch.writeInt32LE((s.pendingLo | g.lo) & s.maskLo, 0);
  scratch.writeInt32LE((s.pendingHi | g.hi) & s.maskHi, 4);
  return t.mm.copyOut(set, scratch, 0, sigsetsize);
}

function sigaltstack(t: Task, ss: number, oss: number): number {
  const s = t.signals;
  // Like Linux: validate and apply the new stack, then report the old one.
  const onStack = s.onAltStack(getRegU(t.regs, RSP));
  const oldSp = s.altSp, oldSize = s.altSize;
  const oldFlags = onStack ? SS_ONSTACK : s.altSize === 0 ? SS_DISABLE : s.altFlags & SS_AUTODISARM;
  if (ss !== 0 && onStack) return -E.EPERM; // cannot change the stack while running on it
  if (ss !== 0) {
    if (t.mm.copyIn(ss, scratch, 0, 24) < 0) return -E.EFAULT;
    const nsp = scratch.readUInt32LE(0) + scratch.readUInt32LE(4) * 4294967296;
    const nflags = scratch.readInt32LE(8);
    const nsize = scratch.readUInt32LE(16) + scratch.readUInt32LE(20) * 4294967296;
    const mode = nflags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -E.EINVAL;
    if (mode === SS_DISABLE) {
      s.altSp = 0;
      s.altSize = 0;
      s.altFlags = SS_DISABLE;
    } else {
      if (nsize < MINSIGSTKSZ) return -E.ENOMEM;
      s.altSp = nsp;
      s.altSize = nsize;
      s.altFlags = nflags & SS_AUTODISARM;
    }
  }
  if (oss !== 0) {
    scratch.fill(0, 32, 56);
    scratch.writeUInt32LE(oldSp % 4294967296 >>> 0, 32);
    scratch.writeUInt32LE(Math.floor(oldSp / 4294967296) >>> 0, 36);
    scratch.writeInt32LE(oldFlags, 40);
    scratch.writeUInt32LE(oldSize % 4294967296 >>> 0, 48);
    scratch.writeUInt32LE(Math.floor(oldSize / 4294967296) >>> 0, 52);
    if (t.mm.copyOut(oss, scratch, 32, 24) < 0) return -E.EFAULT;
  }
  return 0;
}

// ---- sending -----------------------------------------------------------------------------

/** May t signal the process tg? (CAP_KILL, or matching real/effective and real/saved uids.) */
function maySignal(t: Task, tg: ThreadGroup): boolean {
  const c = t.creds;
  if (c.hasCap(CAP_KILL)) return true;
  const l = tg.leader ?? tg.tasks[0];
  if (l === undefined) return true;
  const o = l.creds;
  return c.euid === o.uid || c.euid === o.suid || c.uid === o.uid || c.uid === o.suid;
}

function killOne(t: Task, tg: ThreadGroup, sig: number, info: SigInfo | null): number {
  if (!maySignal(t, tg)) return -E.EPERM;
  if (sig === 0 || tg.exitStatus >= 0) return 0;
  sendToGroup(t.kernel, tg, info ?? new SigInfo(sig, SI_USER, t.tgid, t.creds.uid));
  return 0;
}

function kill(t: Task, pid: number, sig: number): number {
  pid |= 0;
  sig |= 0;
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  const k = t.kernel;
  if (pid > 0) {
    const target = k.threadGroups.get(pid) ?? k.tasks.get(pid)?.tg;
    if (target === undefined) return -E.ESRCH;
    return killOne(t, target, sig, null);
  }
  if (pid === -2147483648) return -E.ESRCH;
  let found = 0, delivered = 0, lastErr = 0;
  for (const tg of [...k.threadGroups.values()]) {
    if (tg.exitStatus >= 0) continue;
    if (pid === -1) {
      if (tg === k.init || tg === t.tg) continue;
    } else if (tg.pgid !== (pid === 0 ? t.tg.pgid : -pid)) continue;
    found++;
    const r = killOne(t, tg, sig, null);
    if (r === 0) delivered++;
    else lastErr = r;
  }
  if (found === 0) return -E.ESRCH;
  return delivered > 0 ? 0 : lastErr;
}

function tgkill(t: Task, tgid: number, tid: number, sig: number): number {
  tgid |= 0;
  tid |= 0;
  sig |= 0;
  if (sig < 0 || sig > NSIG || tid <= 0 || (tgid <= 0 && tgid !== -1)) return -E.EINVAL;
  const target = t.kernel.tasks.get(tid);
  if (target === undefined || (tgid !== -1 && target.tgid !== tgid)) return -E.ESRCH;
  if (!maySignal(t, target.tg)) return -E.EPERM;
  if (sig === 0) return 0;
  sendToTask(t.kernel, target, new SigInfo(sig, SI_TKILL, t.tgid, t.creds.uid));
  return 0;
}

const tkill = (t: Task, tid: number, sig: number) => tgkill(t, -1, tid, sig);

/** Reads a user siginfo for sigqueue; it may not pretend to come from the kernel. */
function userSiginfo(t: Task, sig: number, addr: number, targetPid: number): SigInfo | number {
  if (t.mm.copyIn(addr, scratch, 0, 128) < 0) return -E.EFAULT;
  const code = scratch.readInt32LE(8);
  if ((code >= 0 || code === SI_TKILL) && targetPid !== t.tgid) return -E.EPERM;
  const value = scratch.readInt32LE(28) * 4294967296 + scratch.readUInt32LE(24);
  return new SigInfo(sig, code, scratch.readInt32LE(16), scratch.readUInt32LE(20), 0, value);
}

function rtSigqueueinfo(t: Task, tgid: number, sig: number, uinfo: number): number {
  tgid |= 0;
  sig |= 0;
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  const tg = t.kernel.threadGroups.get(tgid);
  if (tg === undefined) return -E.ESRCH;
  const info = userSiginfo(t, sig, uinfo, tgid);
  if (typeof info === 'number') return info;
  return killOne(t, tg, sig, info);
}

function rtTgsigqueueinfo(t: Task, tgid: number, tid: number, sig: number, uinfo: number): number {
  tgid |= 0;
  tid |= 0;
  sig |= 0;
  if (sig < 0 || sig > NSIG || tgid <= 0 || tid <= 0) return -E.EINVAL;
  const target = t.kernel.tasks.get(tid);
  if (target === undefined || target.tgid !== tgid) return -E.ESRCH;
  const info = userSiginfo(t, sig, uinfo, tgid);
  if (typeof info === 'number') return info;
  if (!maySignal(t, target.tg)) return -E.EPERM;
  if (sig !== 0) sendToTask(t.kernel, target, info);
  return 0;
}

// ---- waiting for and returning from signals ---------------------------------------------------

function rtSigreturn(t: Task): number {
  if (!sigreturn(t)) {
    // A frame the handler corrupted: Linux kills with SIGSEGV.
    t.kernel.exitGroup(t.tg, 128 + SIGSEGV, SIGSEGV);
    return NO_RETURN;
  }
  return NO_RETURN;
}

function pause(t: Task): number {
  if (t.restarting && t.interrupted()) return -E.ERESTARTNOHAND;
  return t.sleepUntil(-1);
}

function rtSigsuspend(t: Task, mask: number, size: number): number {
  const s = t.signals;
  if (!t.restarting) {
    if (size !== 8) return -E.EINVAL;
    if (t.mm.copyIn(mask, scratch, 0, 8) < 0) return -E.EFAULT;
    s.savedMaskLo = s.maskLo;
    s.savedMaskHi = s.maskHi;
    s.hasSavedMask = true;
    s.maskLo = scratch.readInt32LE(0) & ~UNBLOCKABLE_LO;
    s.maskHi = scratch.readInt32LE(4);
  }
  if (t.interrupted()) return -E.ERESTARTNOHAND;
  return t.sleepUntil(-1);
}

function rtSigtimedwait(t: Task, set: number, info: number, timeout: number, sigsetsize: number): number {
  if (!t.restarting) {
    if (sigsetsize !== 8) return -E.EINVAL;
    if (t.mm.copyIn(set, scratch, 0, 8) < 0) return -E.EFAULT;
    t.sigwaitLo = scratch.readInt32LE(0) & ~UNBLOCKABLE_LO;
    t.sigwaitHi = scratch.readInt32LE(4);
    t.sysDeadline = -1;
    if (timeout !== 0) {
      const r = readTimespec(t, timeout);
      if (r < 0) return r;
      t.sysDeadline = t.kernel.clock.monoNow() + pair[0] * 1e9 + pair[1];
    }
  }
  // A waited-for signal, from the thread's queue first, then the process's.
  const wantLo = t.sigwaitLo, wantHi = t.sigwaitHi;
  for (const q of [t.signals.pending, t.tg.sharedPending]) {
    const sig = q.next(~wantLo, ~wantHi);
    if (sig !== 0) {
      const si = q.take(sig) as SigInfo;
      t.sigwaitLo = t.sigwaitHi = 0;
      if (info !== 0) {
        encodeSiginfo(scratch, 0, si);
        if (t.mm.copyOut(info, scratch, 0, 128) < 0) return -E.EFAULT;
      }
      return sig;
    }
  }
  if (t.restarting && t.timedOut) {
    t.sigwaitLo = t.sigwaitHi = 0;
    return -E.EAGAIN;
  }
  if (t.interrupted()) {
    t.sigwaitLo = t.sigwaitHi = 0;
    return -E.EINTR;
  }
  if (t.sysDeadline >= 0 && t.sysDeadline <= t.kernel.clock.monoNow()) {
    t.sigwaitLo = t.sigwaitHi = 0;
    return -E.EAGAIN;
  }
  return t.sleepUntil(t.sysDeadline);
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.rt_sigaction, rtSigaction);
  tbl.def(NR.rt_sigprocmask, rtSigprocmask);
  tbl.def(NR.kill, kill);
  tbl.def(NR.tkill, tkill);
  tbl.def(NR.tgkill, tgkill);
  tbl.def(NR.rt_sigqueueinfo, rtSigqueueinfo);
  tbl.def(NR.rt_tgsigqueueinfo, rtTgsigqueueinfo);
  tbl.def(NR.rt_sigreturn, rtSigreturn);
  tbl.def(NR.pause, pause);
  tbl.def(NR.rt_sigsuspend, rtSigsuspend);
  tbl.def(NR.rt_sigtimedwait, rtSigtimedwait);
  tbl.def(NR.rt_sigpending, rtSigpending);
  tbl.def(NR.sigaltstack, sigaltstack);
}
