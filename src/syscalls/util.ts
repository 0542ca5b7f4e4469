// Small helpers shared by syscall families: typed reads and writes of app memory
// through one preallocated scratch buffer, so common calls do not allocate.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';

/** Scratch for one syscall at a time (the sentry runs handlers one after another). */
export const scratch = Buffer.alloc(1 << 16);
const TWO32 = 4294967296;

export function writeU64(t: Task, addr: number, v: number): number {
  const lo = v % TWO32;
  scratch.writeUInt32LE((lo < 0 ? lo + TWO32 : lo) >>> 0, 0);
  scratch.writeInt32LE(Math.floor(v / TWO32) | 0, 4);
  return t.mm.copyOut(addr, scratch, 0, 8);
}

export function writeI32(t: Task, addr: number, v: number): number {
  scratch.writeInt32LE(v | 0, 0);
  return t.mm.copyOut(addr, scratch, 0, 4);
}

/** Reads a 64-bit value as a number (signed); returns undefined-free result via out param style. */
export function readU64(t: Task, addr: number): number | null {
  if (t.mm.copyIn(addr, scratch, 0, 8) < 0) return null;
  return scratch.readInt32LE(4) * TWO32 + scratch.readUInt32LE(0);
}

export function readI32(t: Task, addr: number): number | null {
  if (t.mm.copyIn(addr, scratch, 0, 4) < 0) return null;
  return scratch.readInt32LE(0);
}

/** Writes a struct timespec / timeval (two 64-bit fields). */
export function writeTimePair(t: Task, addr: number, a: number, b: number): number {
  scratch.writeUInt32LE(a % TWO32 >>> 0, 0);
  scratch.writeInt32LE(Math.floor(a / TWO32) | 0, 4);
  scratch.writeUInt32LE(b % TWO32 >>> 0, 8);
  scratch.writeInt32LE(Math.floor(b / TWO32) | 0, 12);
  return t.mm.copyOut(addr, scratch, 0, 16);
}

/** Reads a struct timespec; returns [sec, nsec] in scratchPair, or -EFAULT / -EINVAL. */
export const pair = [0, 0];
export function readTimespec(t: Task, addr: number): number {
  if (t.mm.copyIn(addr, scratch, 0, 16) < 0) return -E.EFAULT;
  const sec = scratch.readInt32LE(4) * TWO32 + scratch.readUInt32LE(0);
  const nsec = scratch.readInt32LE(12) * TWO32 + scratch.readUInt32LE(8);
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
  pair[0] = sec;
  pair[1] = nsec;
  return 0;
}

/** Reads a path argument (PATH_MAX 4096 including the NUL). */
export function readPath(t: Task, addr: number): string | number {
  const s = t.mm.readCString(addr, 4096);
  if (typeof s === 'string' && s.length === 0) return -E.ENOENT;
  return s;
}

/** Reads a NULL-terminated array of string pointers (argv/envp), as execve does. */
export function readStringArray(t: Task, addr: number, maxTotal: number): string[] | number {
  const out: string[] = [];
  if (addr === 0) return out;
  let total = 0;
  for (let i = 0; ; i++) {
    const p = readU64(t, addr + i * 8);
    if (p === null) return -E.EFAULT;
    if (p === 0) return out;
    const s = t.mm.readCString(p, 128 * 1024 + 1);
    if (typeof s === 'number') return s === -E.ENAMETOOLONG ? -E.E2BIG : s;
    total += s.length + 1 + 8;
    if (total > maxTotal || out.length > 0x7fffffff) return -E.E2BIG;
    out.push(s);
  }
}

/**
 * A call that takes a signal mask for its duration (ppoll, pselect6, epoll_pwait): the
 * caller's mask is saved and restored on return, or after a handler runs if a signal
 * interrupts the call (see kernel/delivery.ts). 0 or -errno.
 */
export function setTempMask(t: Task, addr: number, size: number): number {
  if (addr === 0 || t.restarting) return 0;
  if (size !== 8) return -E.EINVAL;
  if (t.mm.copyIn(addr, scratch, 0, 8) < 0) return -E.EFAULT;
  const s = t.signals;
  s.savedMaskLo = s.maskLo;
  s.savedMaskHi = s.maskHi;
  s.hasSavedMask = true;
  s.maskLo = scratch.readInt32LE(0) & ~((1 << 8) | (1 << 18)); // SIGKILL and SIGSTOP stay unblocked
  s.maskHi = scratch.readInt32LE(4);
  return 0;
}

export function restoreTempMask(t: Task): void {
  const s = t.signals;
  if (!s.hasSavedMask) return;
  s.maskLo = s.savedMaskLo;
  s.maskHi = s.savedMaskHi;
  s.hasSavedMask = false;
}

/**
 * For calls whose timeout is an optional relative timespec (ppoll, pselect6,
 * epoll_pwait2): sets t.sysDeadline to -1 (none), 0 (poll once) or the absolute
 * CLOCK_MONOTONIC deadline. 0 or -errno.
 */
export function setTimespecDeadline(t: Task, addr: number): number {
  t.sysDeadline = -1;
  if (addr === 0) return 0;
  const r = readTimespec(t, addr);
  if (r < 0) return r;
  t.sysDeadline = pair[0] === 0 && pair[1] === 0 ? 0 : t.kernel.clock.monoNow() + pair[0] * 1e9 + pair[1];
  return 0;
}
