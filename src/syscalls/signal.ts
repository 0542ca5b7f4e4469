// Signal state: dispositions, masks and the alternate stack, kept exactly as Linux
// keeps them so that they read back as written. Delivery is built on these.
import * as E from '../abi/errno';
import { NSIG, SIGKILL, SIGSTOP } from '../kernel/signals';
import type { Task } from '../kernel/task';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
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
    nf = scratch.readUInt32LE(8) + scratch.readUInt32LE(12) * 4294967296;
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
  scratch.writeInt32LE(s.pendingLo & s.maskLo, 0);
  scratch.writeInt32LE(s.pendingHi & s.maskHi, 4);
  return t.mm.copyOut(set, scratch, 0, sigsetsize);
}

function sigaltstack(t: Task, ss: number, oss: number): number {
  const s = t.signals;
  // Like Linux: validate and apply the new stack, then report the old one.
  const oldSp = s.altSp, oldSize = s.altSize, oldFlags = s.altSize === 0 ? SS_DISABLE : s.altFlags & SS_AUTODISARM;
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

export function register(tbl: SyscallTable): void {
  const note = 'dispositions and masks are kept exactly; delivering signals to handlers is not implemented yet';
  tbl.def(NR.rt_sigaction, rtSigaction, 'partial', note);
  tbl.def(NR.rt_sigprocmask, rtSigprocmask);
  tbl.def(NR.rt_sigpending, rtSigpending);
  tbl.def(NR.sigaltstack, sigaltstack);
}
