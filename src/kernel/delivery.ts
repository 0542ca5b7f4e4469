// Sending and delivering signals: Linux's rules for who gets a signal, default actions
// (terminate, stop, continue, ignore), handler frames in the exact x86-64 rt_sigframe
// layout with the XSAVE state, rt_sigreturn, and what becomes of an interrupted syscall
// (EINTR, or a restart when the handler has SA_RESTART).
import * as E from '../abi/errno';
import { EFLAGS, ORIG_RAX, R10, R11, R12, R13, R14, R15, R8, R9, RAX, RBP, RBX, RCX, RDI, RDX, RIP, RSI, RSP, getReg, getRegU, setReg }
  from '../platform/regs';
import { EVENT_IN } from '../waiter/waiter';
import type { Kernel } from './kernel';
import {
  Action, CLD_CONTINUED, CLD_STOPPED, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SIGCHLD, SIGCONT, SIGKILL, SIGSTOP,
  SIGTSTP, SIGTTIN, SIGTTOU, SIG_DFL, SIG_IGN, SigInfo, UNBLOCKABLE_LO, defaultAction, sigMaskHas,
} from './signals';
import { Task, TaskState } from './task';
import type { ThreadGroup } from './threadgroup';

const NR_restart_syscall = 219;
const FP_XSTATE_MAGIC1 = 0x46505853, FP_XSTATE_MAGIC2 = 0x46505845;
const UC_FP_XSTATE = 1, UC_SIGCONTEXT_SS = 2, UC_STRICT_RESTORE_SS = 4;
/** eflags bits a signal handler may change through the frame (Linux's FIX_EFLAGS). */
const FIX_EFLAGS = 0x50dd5;

const frame = Buffer.alloc(8192);
const fpBuf = new Uint8Array(8192);

// ---- sending ----------------------------------------------------------------------------

function isStopSignal(sig: number): boolean {
  return sig === SIGSTOP || sig === SIGTSTP || sig === SIGTTIN || sig === SIGTTOU;
}

/**
 * Generation-time rules shared by both kinds of send. Returns false when the signal
 * is thrown away right here.
 */
function prepare(k: Kernel, tg: ThreadGroup, info: SigInfo, force: boolean): boolean {
  const sig = info.signo;
  if (tg.exitStatus >= 0 || tg.groupExiting) return false;
  // A blocked signal is never thrown away here: its disposition may change before it
  // is unblocked (and sigwait may take it).
  let blockedSomewhere = false;
  for (const t of tg.tasks) if (t.signals.blocks(sig) || t.sigwaiting(sig)) blockedSomewhere = true;
  // The container's init only gets the signals it has handlers for (SIGNAL_UNKILLABLE),
  // unless the kernel forces one (a fault).
  if (!blockedSomewhere && tg === k.init && !force && tg.sighand.actions[sig].handler === SIG_DFL && sig !== SIGCONT) return false;
  if (sig === SIGKILL) {
    k.exitGroup(tg, 128 + SIGKILL, SIGKILL);
    return false;
  }
  if (isStopSignal(sig)) {
    // A stop signal cancels a pending SIGCONT.
    tg.sharedPending.clear(SIGCONT);
    for (const t of tg.tasks) t.signals.pending.clear(SIGCONT);
  }
  if (sig === SIGCONT) {
    // SIGCONT continues the group whatever its disposition, and cancels pending stops.
    for (const s of [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]) {
      tg.sharedPending.clear(s);
      for (const t of tg.tasks) t.signals.pending.clear(s);
    }
    if (tg.stopped) {
      tg.stopped = false;
      tg.continuedUnreported = true;
      tg.stopUnreported = false;
      k.notifyParent(tg, CLD_CONTINUED, SIGCONT);
      for (const t of tg.tasks) k.continueTask(t);
    }
  }
  // Ignored signals vanish at once unless some thread blocks them (the disposition
  // could change before they are unblocked).
  if (tg.sighand.ignores(sig) && !blockedSomewhere) return false;
  return true;
}

/** A thread-directed signal (tkill, tgkill, faults). */
export function sendToTask(k: Kernel, t: Task, info: SigInfo, force = false): void {
  if (!prepare(k, t.tg, info, force)) return;
  if (!t.signals.pending.add(info)) return;
  t.tg.sighand.signalfdWaiters.notify(EVENT_IN);
  if (!t.signals.blocks(info.signo) || t.sigwaiting(info.signo)) k.signalWake(t);
}

/** A process-directed signal (kill): any thread that does not block it may take it. */
export function sendToGroup(k: Kernel, tg: ThreadGroup, info: SigInfo): void {
  if (!prepare(k, tg, info, false)) return;
  if (!tg.sharedPending.add(info)) return;
  tg.sighand.signalfdWaiters.notify(EVENT_IN);
  // Prefer a thread that is blocked in a syscall or stopped in the sentry; else any.
  let target: Task | null = null;
  for (const t of tg.tasks) {
    if (t.signals.blocks(info.signo) && !t.sigwaiting(info.signo)) continue;
    if (target === null || (t.state === TaskState.Blocked && target.state !== TaskState.Blocked)) target = t;
  }
  if (target !== null) k.signalWake(target);
}

// ---- delivery ------------------------------------------------------------------------------

/** The next deliverable signal for t (thread queue first), dequeued; null if none. */
function dequeue(t: Task): SigInfo | null {
  const s = t.signals;
  let sig = s.pending.next(s.maskLo, s.maskHi);
  if (sig !== 0) return s.pending.take(sig);
  sig = t.tg.sharedPending.next(s.maskLo, s.maskHi);
  if (sig !== 0) return t.tg.sharedPending.take(sig);
  return null;
}

/**
 * Linux's will_become_orphaned_pgrp(pgrp, NULL): no live member has a live parent in
 * another group of the same session. The sandbox's init counts as anchored, as a
 * program started by a job-control shell is (its parent lives outside the sandbox);
 * init itself anchors groups like any parent (it is a container's init, not the host's).
 */
export function isOrphanedPgrp(k: Kernel, pgid: number): boolean {
  for (const g of k.threadGroups.values()) {
    if (g.pgid !== pgid || g.exitStatus >= 0) continue;
    if (g === k.init) return false;
    const p = g.parent;
    if (p !== null && p.exitStatus < 0 && p.pgid !== pgid && p.sid === g.sid) return false;
  }
  return true;
}

/** True when t has a signal it does not block, pending for itself or its group. */
export function hasDeliverable(t: Task): boolean {
  const s = t.signals, g = t.tg.sharedPending;
  return ((s.pending.lo | g.lo) & ~s.maskLo) !== 0 || ((s.pending.hi | g.hi) & ~s.maskHi) !== 0;
}

/** Sets rip/rax so the interrupted syscall runs again when the task resumes. */
function restartSyscall(t: Task, nr: number): void {
  setReg(t.regs, RAX, nr);
  setReg(t.regs, RIP, getRegU(t.regs, RIP) - 2);
}

/**
 * Runs at every return to app code with pending signals. ret: the syscall's result when
 * t is leaving a syscall, or null. Returns the resume mode (1 = only rax changed,
 * 2 = registers rewritten), or -1 when the task must not resume (it died or stopped).
 */
export function deliverSignals(k: Kernel, t: Task, ret: number | null): number {
  let mode = 1;
  let frameBuilt = false;
  let restartPending = ret !== null && (ret === -E.ERESTARTSYS || ret === -E.ERESTARTNOINTR || ret === -E.ERESTARTNOHAND ||
    ret === -E.ERESTART_RESTARTBLOCK);
  for (;;) {
    if (t.tg.stopped) return -1;
    const info = dequeue(t);
    if (info === null) break;
    const sig = info.signo;
    const act = t.tg.sighand.actions[sig];
    if (act.handler === SIG_IGN) continue;
    if (act.handler === SIG_DFL) {
      const a = defaultAction(sig);
      if (a === Action.Ignore || a === Action.Continue) continue;
      if (a === Action.Stop) {
        // get_signal: SIGTSTP/SIGTTIN/SIGTTOU to an orphaned process group are discarded.
        if (sig !== 19 /* SIGSTOP */ && isOrphanedPgrp(k, t.tg.pgid)) continue;
        k.stopGroup(t.tg, sig);
        return -1;
      }
      k.exitGroup(t.tg, 128 + sig, sig);
      return -1;
    }
    // A handler runs: decide the fate of the interrupted syscall first.
    if (restartPending && ret !== null) {
      const restart = ret === -E.ERESTARTNOINTR || (ret === -E.ERESTARTSYS && (act.flags & SA_RESTART) !== 0);
      if (restart) restartSyscall(t, getReg(t.regs, ORIG_RAX));
      else setReg(t.regs, RAX, -E.EINTR);
      restartPending = false;
    }
    if (!setupFrame(k, t, sig, info)) {
      k.exitGroup(t.tg, 128 + 11, 11); // could not write the frame: SIGSEGV, as Linux forces
      return -1;
    }
    mode = 2;
    frameBuilt = true;
    if ((act.flags & SA_NODEFER) === 0) {
      if (sig <= 32) t.signals.maskLo |= 1 << (sig - 1);
      else t.signals.maskHi |= 1 << (sig - 33);
    }
    t.signals.maskLo = (t.signals.maskLo | act.maskLo) & ~UNBLOCKABLE_LO;
    t.signals.maskHi |= act.maskHi;
    if ((act.flags & SA_RESETHAND) !== 0) act.handler = SIG_DFL; // the flags stay, as on Linux
    // Like Linux, only one handler frame per return to user space.
    break;
  }
  if (restartPending && ret !== null) {
    // No handler ran: the call restarts (restart_syscall for the "block" kind).
    if (ret === -E.ERESTART_RESTARTBLOCK) restartSyscall(t, NR_restart_syscall);
    else restartSyscall(t, getReg(t.regs, ORIG_RAX));
    mode = 2;
  }
  if (t.signals.hasSavedMask && !frameBuilt) {
    // sigsuspend & co. that got no handler restore their mask here.
    t.signals.maskLo = t.signals.savedMaskLo;
    t.signals.maskHi = t.signals.savedMaskHi;
    t.signals.hasSavedMask = false;
  }
  return mode;
}

function put64(b: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  b.writeUInt32LE((v - hi * 4294967296) >>> 0, off);
  b.writeInt32LE(hi | 0, off + 4);
}

function get64(b: Buffer, off: number): number {
  return b.readInt32LE(off + 4) * 4294967296 + b.readUInt32LE(off);
}

/** Writes the 128-byte siginfo for info at off. */
export function encodeSiginfo(b: Buffer, off: number, info: SigInfo): void {
  b.fill(0, off, off + 128);
  b.writeInt32LE(info.signo, off);
  b.writeInt32LE(info.code, off + 8);
  const sig = info.signo;
  if (info.addr !== 0 || sig === 11 || sig === 7 || sig === 4 || sig === 8 || (sig === 5 && info.code > 0)) {
    put64(b, off + 16, info.addr);
  } else if (sig === SIGCHLD) {
    b.writeInt32LE(info.pid, off + 16);
    b.writeUInt32LE(info.uid >>> 0, off + 20);
    b.writeInt32LE(info.status, off + 24);
    put64(b, off + 32, info.utime);
    put64(b, off + 40, info.stime);
  } else if (info.code === -2 /* SI_TIMER */) {
    b.writeInt32LE(info.timerId, off + 16);
    b.writeInt32LE(info.status, off + 20);
    put64(b, off + 24, info.value);
  } else {
    b.writeInt32LE(info.pid, off + 16);
    b.writeUInt32LE(info.uid >>> 0, off + 20);
    put64(b, off + 24, info.value);
  }
}

// rt_sigframe: pretcode(8) | ucontext(304) | siginfo(128); the XSAVE area sits above it.
const UC = 8, UC_STACK = UC + 16, UC_MCTX = UC + 40, UC_SIGMASK = UC + 296, INFO = UC + 304, FRAME_SIZE = INFO + 128;
// sigcontext field order
const SC_REGS = [R8, R9, R10, R11, R12, R13, R14, R15, RDI, RSI, RBP, RBX, RDX, RAX, RCX, RSP, RIP, EFLAGS];

function setupFrame(k: Kernel, t: Task, sig: number, info: SigInfo): boolean {
  const act = t.tg.sighand.actions[sig];
  const regs = t.regs;
  const s = t.signals;
  let sp = getRegU(regs, RSP);
  const onStack = s.onAltStack(sp);
  const useAlt = (act.flags & SA_ONSTACK) !== 0 && s.altSize !== 0 && !onStack;
  if (useAlt) sp = s.altSp + s.altSize;
  else sp -= 128; // the red zone
  // FP state: the XSAVE area as ptrace gives it (its software bytes already describe it).
  const fpLen = t.ctx.getFpState(fpBuf);
  let fpAddr = 0;
  if (fpLen > 0) {
    sp = Math.floor((sp - fpLen - 4) / 64) * 64;
    fpAddr = sp;
  }
  sp = Math.floor((sp - FRAME_SIZE) / 16) * 16 - 8;
  const b = frame;
  b.fill(0, 0, FRAME_SIZE);
  put64(b, 0, act.restorer);
  put64(b, UC, UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
  // uc_stack: the alternate stack as it was
  put64(b, UC_STACK, s.altSp);
  b.writeInt32LE(s.altSize === 0 ? 2 : onStack ? 1 : 0, UC_STACK + 8);
  put64(b, UC_STACK + 16, s.altSize);
  for (let i = 0; i < SC_REGS.length; i++) put64(b, UC_MCTX + i * 8, getReg(regs, SC_REGS[i]));
  b.writeUInt16LE(0x33, UC_MCTX + 144); // cs
  b.writeUInt16LE(0x2b, UC_MCTX + 150); // ss
  // sigcontext after the segment words: err @152, trapno @160, oldmask @168, cr2 @176, fpstate @184
  put64(b, UC_MCTX + 160, info.signo === 11 ? 14 : 0); // trapno: page fault for SIGSEGV
  put64(b, UC_MCTX + 168, s.hasSavedMask ? s.savedMaskLo >>> 0 : s.maskLo >>> 0);
  put64(b, UC_MCTX + 176, info.addr);
  put64(b, UC_MCTX + 184, fpAddr);
  const mLo = s.hasSavedMask ? s.savedMaskLo : s.maskLo, mHi = s.hasSavedMask ? s.savedMaskHi : s.maskHi;
  b.writeInt32LE(mLo, UC_SIGMASK);
  b.writeInt32LE(mHi, UC_SIGMASK + 4);
  s.hasSavedMask = false;
  encodeSiginfo(b, INFO, info);
  const mm = t.mm;
  if (fpLen > 0) {
    const fb = Buffer.from(fpBuf.buffer, 0, fpLen + 4);
    // ptrace keeps XCR0 in the software-reserved bytes; a signal frame describes itself
    // there instead (struct _fpx_sw_bytes), closed by FP_XSTATE_MAGIC2 after the area.
    const xcr0Lo = fb.readUInt32LE(464), xcr0Hi = fb.readUInt32LE(468);
    fb.fill(0, 464, 512);
    fb.writeUInt32LE(FP_XSTATE_MAGIC1, 464);
    fb.writeUInt32LE(fpLen + 4, 468); // extended_size
    fb.writeUInt32LE(xcr0Lo, 472); // xfeatures
    fb.writeUInt32LE(xcr0Hi, 476);
    fb.writeUInt32LE(fpLen, 480); // xstate_size
    fb.writeUInt32LE(FP_XSTATE_MAGIC2, fpLen);
    if (mm.copyOut(fpAddr, fb, 0, fpLen + 4) < 0) return false;
  }
  if (mm.copyOut(sp, b, 0, FRAME_SIZE) < 0) return false;
  if (useAlt && (s.altFlags & (1 << 31)) !== 0) {
    // SS_AUTODISARM: the stack is disabled while the handler runs.
    s.altSp = 0;
    s.altSize = 0;
  }
  setReg(regs, RSP, sp);
  setReg(regs, RIP, act.handler);
  setReg(regs, RDI, sig);
  setReg(regs, RSI, sp + INFO);
  setReg(regs, RDX, sp + UC);
  setReg(regs, RAX, 0);
  setReg(regs, EFLAGS, getReg(regs, EFLAGS) & ~(0x100 | 0x400)); // TF and DF clear in the handler
  setReg(regs, ORIG_RAX, -1);
  void k;
  return true;
}

/**
 * rt_sigreturn: restores what setupFrame saved, from the frame at rsp-8. The frame is
 * app memory the handler could have changed: it is copied in once and checked.
 * Returns false on a bad frame (the caller kills with SIGSEGV).
 */
export function sigreturn(t: Task): boolean {
  const regs = t.regs;
  const sp = getRegU(regs, RSP) - 8;
  const b = frame;
  if (t.mm.copyIn(sp, b, 0, FRAME_SIZE) < 0) return false;
  for (let i = 0; i < SC_REGS.length; i++) {
    const r = SC_REGS[i];
    const v = get64(b, UC_MCTX + i * 8);
    if (r === EFLAGS) setReg(regs, EFLAGS, (getReg(regs, EFLAGS) & ~FIX_EFLAGS) | (v & FIX_EFLAGS));
    else setReg(regs, r, v);
  }
  setReg(regs, ORIG_RAX, -1);
  const s = t.signals;
  s.maskLo = b.readInt32LE(UC_SIGMASK) & ~UNBLOCKABLE_LO;
  s.maskHi = b.readInt32LE(UC_SIGMASK + 4);
  // The alternate stack comes back as the frame says (restore_altstack).
  const altSp = get64(b, UC_STACK), altFlags = b.readInt32LE(UC_STACK + 8), altSize = get64(b, UC_STACK + 16);
  if ((altFlags & 2) !== 0) {
    s.altSp = 0;
    s.altSize = 0;
  } else if (altSize >= 2048) {
    s.altSp = altSp;
    s.altSize = altSize;
  }
  const fpAddr = get64(b, UC_MCTX + 184);
  if (fpAddr !== 0) {
    const size = t.ctx.getFpState(fpBuf); // current size: what the frame must hold
    if (size <= 0) return false;
    const fb = Buffer.from(fpBuf.buffer, 0, size);
    const xcr0Lo = fb.readUInt32LE(464), xcr0Hi = fb.readUInt32LE(468);
    if (fpAddr % 64 !== 0 || t.mm.copyIn(fpAddr, fb, 0, size) < 0) return false;
    // Back to ptrace's layout of the software-reserved bytes.
    fb.fill(0, 464, 512);
    fb.writeUInt32LE(xcr0Lo, 464);
    fb.writeUInt32LE(xcr0Hi, 468);
    if (t.ctx.setFpState(fpBuf, size) < 0) return false;
  }
  return true;
}

/** Whether sig is blocked or ignored by t (for forced fault signals). */
export function forceable(t: Task, sig: number): void {
  const act = t.tg.sighand.actions[sig];
  if (act.handler === SIG_IGN || sigMaskHas(t.signals.maskLo, t.signals.maskHi, sig)) {
    // Linux's force_sig: a fault signal that cannot be handled kills.
    act.handler = SIG_DFL;
    if (sig <= 32) t.signals.maskLo &= ~(1 << (sig - 1));
    else t.signals.maskHi &= ~(1 << (sig - 33));
  }
}

export { CLD_STOPPED };
