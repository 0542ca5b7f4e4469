// Controlling terminals and job control, after Linux's drivers/tty/tty_jobctrl.c.
//
// State, as Linux keeps it: each process (ThreadGroup.ctty, Linux's signal->tty) names
// its controlling terminal, inherited across fork and dropped by setsid; each terminal
// (TtyControl) names the session it controls and its foreground process group. A pty
// slave and the host console (the sandbox's stdio terminal) both carry one.
import * as E from '../../abi/errno';
import { isOrphanedPgrp, sendToGroup } from '../../kernel/delivery';
import type { Kernel } from '../../kernel/kernel';
import { SIGCONT, SIGHUP, SIG_IGN, SI_KERNEL, SigInfo } from '../../kernel/signals';
import type { Task } from '../../kernel/task';
import type { ThreadGroup } from '../../kernel/threadgroup';
import { O_NOCTTY } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import type { FileDescription } from '../../vfs/file';
import type { Mount } from '../../vfs/mount';
import type { VfsTask } from '../../vfs/task';
import { TIOCGPGRP, TIOCGSID, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP } from './termios';

/** Returned by jobIoctl for requests it does not handle. */
export const NOT_JOB_IOCTL = 1;
const CAP_SYS_ADMIN = 21;

export abstract class TtyControl {
  /** The session this terminal controls (its leader's pid); 0 = none. */
  session = 0;
  /** The foreground process group; 0 = none. */
  pgrp = 0;
  /** A pseudo-terminal (its session leader's exit signals only the foreground group). */
  abstract readonly isPty: boolean;
  /** The device number as /proc/pid/stat's tty_nr shows it. */
  abstract readonly ttyNr: number;
  /** A new description of this terminal for an open of /dev/tty. */
  abstract openCtty(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number;
}

const scratch = Buffer.alloc(8);

/** The calling process's controlling terminal, if it has one. */
export function cttyOf(tg: ThreadGroup): TtyControl | null {
  const c = tg.ctty;
  return c instanceof TtyControl ? c : null;
}

/** t as the kernel's Task (every VfsTask of a running sandbox is one; boot opens are not). */
function asTask(t: VfsTask): Task | null {
  return 'kernel' in t && 'tg' in t ? (t as Task) : null;
}

export function killPgrp(k: Kernel, pgid: number, sig: number): void {
  if (pgid <= 0) return;
  for (const g of k.threadGroups.values()) {
    if (g.pgid === pgid && g.exitStatus < 0) sendToGroup(k, g, new SigInfo(sig, SI_KERNEL));
  }
}

function ignoredOrBlocked(t: Task, sig: number): boolean {
  return t.signals.blocks(sig) || t.tg.sighand.actions[sig].handler === SIG_IGN;
}

/**
 * __tty_check_change: a process of a background group touching its controlling terminal
 * gets sig (SIGTTIN for reads, SIGTTOU for writes with TOSTOP and for changes) sent to its
 * whole group and -ERESTARTSYS; -EIO when the group is orphaned or (SIGTTIN only) when the
 * signal is ignored or blocked. 0 when the access may go on.
 */
export function checkChange(vt: VfsTask, tty: TtyControl, sig: number): number {
  const t = asTask(vt);
  if (t === null || t.tg.ctty !== tty) return 0;
  const pg = t.tg.pgid;
  if (tty.pgrp === 0 || tty.pgrp === pg) return 0;
  if (ignoredOrBlocked(t, sig)) return sig === 21 /* SIGTTIN */ ? -E.EIO : 0;
  if (isOrphanedPgrp(t.kernel, pg)) return -E.EIO;
  killPgrp(t.kernel, pg, sig);
  return -E.ERESTARTSYS;
}

/** Makes tty the controlling terminal of tg's session (__proc_set_tty). */
export function setCtty(tg: ThreadGroup, tty: TtyControl): void {
  tty.session = tg.sid;
  tty.pgrp = tg.pgid;
  tg.ctty = tty;
}

/**
 * tty_open_proc_set_tty: a session leader without a controlling terminal that opens a
 * terminal controlling no session (without O_NOCTTY) acquires it.
 */
export function acquireOnOpen(vt: VfsTask, tty: TtyControl, flags: number): void {
  const t = asTask(vt);
  if (t === null || (flags & O_NOCTTY) !== 0) return;
  const tg = t.tg;
  if (tg.sid !== tg.tgid || cttyOf(tg) !== null || tty.session !== 0) return;
  setCtty(tg, tty);
}

/** session_clear_tty: no process of the session keeps tty (or any terminal) as ctty. */
function sessionClearTty(k: Kernel, sid: number): void {
  for (const g of k.threadGroups.values()) if (g.sid === sid) g.ctty = null;
}

/**
 * tty_signal_session_leader + the rest of a hangup: every process of the session loses
 * the terminal, the session leader gets SIGHUP and SIGCONT, and with exitSession (the
 * leader's exit on a non-pty terminal) the foreground group gets SIGHUP too.
 */
export function hangupSession(k: Kernel, tty: TtyControl, exitSession: boolean): void {
  const sid = tty.session;
  const pgrp = tty.pgrp;
  if (sid !== 0) {
    for (const g of k.threadGroups.values()) {
      if (g.sid !== sid) continue;
      if (g.ctty === tty) g.ctty = null;
      if (g.tgid === sid && g.exitStatus < 0) {
        sendToGroup(k, g, new SigInfo(SIGHUP, SI_KERNEL));
        sendToGroup(k, g, new SigInfo(SIGCONT, SI_KERNEL));
      }
    }
  }
  if (exitSession && pgrp !== 0) killPgrp(k, pgrp, SIGHUP);
  tty.session = 0;
  tty.pgrp = 0;
}

/**
 * disassociate_ctty: a session leader gives up its terminal (TIOCNOTTY, or its exit
 * when onExit). The foreground group gets SIGHUP (and SIGCONT unless exiting); on exit
 * a terminal that is not a pty is hung up for the whole session instead.
 */
export function disassociate(k: Kernel, tg: ThreadGroup, onExit: boolean): void {
  if (tg.sid !== tg.tgid) return;
  const tty = cttyOf(tg);
  if (tty === null) return;
  if (onExit && !tty.isPty) {
    hangupSession(k, tty, true);
  } else if (tty.pgrp !== 0) {
    killPgrp(k, tty.pgrp, SIGHUP);
    if (!onExit) killPgrp(k, tty.pgrp, SIGCONT);
  }
  if (tty.session === tg.sid) {
    tty.session = 0;
    tty.pgrp = 0;
  }
  sessionClearTty(k, tg.sid);
}

/** The kernel's exit hook: a session leader's exit releases its terminal. */
export function ttyGroupExit(k: Kernel, tg: ThreadGroup): void {
  if (tg.sid === tg.tgid) disassociate(k, tg, true);
}

/**
 * TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID on tty. self: the description
 * is this terminal itself (not a pty master speaking for its slave), which makes the
 * queries ENOTTY for a process whose ctty it is not. Returns NOT_JOB_IOCTL for others.
 */
export function jobIoctl(vt: VfsTask, tty: TtyControl, self: boolean, readable: boolean, req: number,
  arg: number): number {
  switch (req) {
    case TIOCSCTTY: case TIOCNOTTY: case TIOCGPGRP: case TIOCSPGRP: case TIOCGSID:
      break;
    default:
      return NOT_JOB_IOCTL;
  }
  const t = asTask(vt);
  if (t === null) return -E.ENOTTY;
  const tg = t.tg, k = t.kernel;
  switch (req) {
    case TIOCSCTTY: {
      if (tg.sid === tg.tgid && tty.session === tg.sid) return 0;
      if (tg.sid !== tg.tgid || cttyOf(tg) !== null) return -E.EPERM;
      const admin = t.creds.hasCap(CAP_SYS_ADMIN);
      if (tty.session !== 0) {
        if ((arg | 0) !== 1 || !admin) return -E.EPERM;
        sessionClearTty(k, tty.session);
      }
      if (!readable && !admin) return -E.EPERM;
      setCtty(tg, tty);
      return 0;
    }
    case TIOCNOTTY:
      if (!self || cttyOf(tg) !== tty) return -E.ENOTTY;
      if (tg.sid === tg.tgid) disassociate(k, tg, false);
      tg.ctty = null;
      return 0;
    case TIOCGPGRP:
      if (self && cttyOf(tg) !== tty) return -E.ENOTTY;
      scratch.writeInt32LE(tty.pgrp, 0);
      return t.mm.copyOut(arg, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
    case TIOCGSID:
      if (self && cttyOf(tg) !== tty) return -E.ENOTTY;
      if (tty.session === 0) return -E.ENOTTY;
      scratch.writeInt32LE(tty.session, 0);
      return t.mm.copyOut(arg, scratch, 0, 4) < 0 ? -E.EFAULT : 0;
    default: { // TIOCSPGRP
      const r = checkChange(t, tty, 22 /* SIGTTOU */);
      if (r === -E.EIO) return -E.ENOTTY;
      if (r < 0) return r;
      if (cttyOf(tg) !== tty || tty.session !== tg.sid) return -E.ENOTTY;
      if (t.mm.copyIn(arg, scratch, 0, 4) < 0) return -E.EFAULT;
      const pg = scratch.readInt32LE(0);
      if (pg < 0) return -E.EINVAL;
      let found: ThreadGroup | null = null;
      // find_vpid + session_of_pgrp: a group member, else the process with that pid.
      for (const g of k.threadGroups.values()) {
        if (g.pgid === pg) {
          found = g;
          break;
        }
      }
      if (found === null) found = k.threadGroups.get(pg) ?? k.tasks.get(pg)?.tg ?? null;
      if (found === null) return -E.ESRCH;
      if (found.sid !== tg.sid) return -E.EPERM;
      tty.pgrp = pg;
      return 0;
    }
  }
}
