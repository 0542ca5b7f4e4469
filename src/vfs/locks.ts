// Advisory file locks, kept on the inode (never on the fd), as Linux's file_lock_context:
//
// - flock(2) locks belong to an open file description: every fd dup'ed or inherited from
//   it shares the lock, and it goes when the description's last reference goes.
// - POSIX record locks (F_SETLK/F_SETLKW) belong to a "process", which Linux (and this
//   code) takes to be the fd table: closing ANY fd of the file in that table drops all of
//   the table's locks on the file. Byte ranges split and merge per owner.
// - OFD record locks (F_OFD_SETLK...) are byte-range locks owned by the description.
//
// POSIX and OFD locks conflict with each other; flock locks are a separate world.
// Blocked requests park on the inode's queue and re-try when any lock there changes.
import * as E from '../abi/errno';
import { EVENT_IN, WaitQueue } from '../waiter/waiter';
import type { Inode } from './inode';
import type { VfsTask } from './task';

export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

/** One byte-range lock. end is inclusive; Infinity = "to the end of file, whatever it becomes". */
export interface RangeLock {
  owner: object;
  /** Thread-group id of the locker (F_GETLK's l_pid); OFD locks report -1. */
  pid: number;
  ofd: boolean;
  type: number;
  start: number;
  end: number;
}

interface FlockEntry {
  owner: object;
  type: number;
}

export class FileLocks {
  readonly flocks: FlockEntry[] = [];
  /** Record locks of every owner, in no particular order (lists stay short). */
  ranges: RangeLock[] = [];
  readonly queue = new WaitQueue();

  get empty(): boolean {
    return this.flocks.length === 0 && this.ranges.length === 0;
  }
}

const table = new WeakMap<Inode, FileLocks>();

function locksOf(i: Inode): FileLocks {
  let l = table.get(i);
  if (l === undefined) {
    l = new FileLocks();
    table.set(i, l);
  }
  return l;
}

/**
 * What each blocked POSIX owner waits for (the owner of the lock in its way), for
 * F_SETLKW's deadlock detection (Linux's blocked_hash walk).
 */
const waitsFor = new Map<object, object>();

const conflicts = (a: number, b: number) => a === F_WRLCK || b === F_WRLCK;

// ---- flock(2) ------------------------------------------------------------------------------

/**
 * Sets (type F_RDLCK/F_WRLCK) or drops (F_UNLCK) the flock lock of `owner` (a file
 * description). Changing an existing lock first drops it, as Linux does (the upgrade is
 * not atomic). Returns 0, -EWOULDBLOCK, -ERESTARTSYS, or BLOCKED.
 */
export function flockSet(t: VfsTask, inode: Inode, owner: object, type: number, nonblock: boolean): number {
  const l = locksOf(inode);
  const fl = l.flocks;
  let mine = -1;
  for (let i = 0; i < fl.length; i++) if (fl[i].owner === owner) mine = i;
  if (mine >= 0) {
    if (fl[mine].type === type) return 0;
    fl.splice(mine, 1);
    l.queue.notify(EVENT_IN);
  }
  if (type === F_UNLCK) return 0;
  for (const e of fl) {
    if (conflicts(e.type, type)) {
      if (nonblock) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(l.queue, EVENT_IN, -1);
    }
  }
  fl.push({ owner, type });
  return 0;
}

// ---- record locks ------------------------------------------------------------------------

/** The first lock of another owner that conflicts with [start, end] of type; null if none. */
export function findConflict(inode: Inode, owner: object, type: number, start: number, end: number): RangeLock | null {
  const l = table.get(inode);
  if (l === undefined) return null;
  for (const r of l.ranges) {
    if (r.owner === owner || !conflicts(r.type, type)) continue;
    if (r.start <= end && start <= r.end) return r;
  }
  return null;
}

/** Whether owner waiting on blocker closes a cycle of waiting POSIX owners. */
function deadlocks(owner: object, blocker: object): boolean {
  let at: object | undefined = blocker;
  for (let steps = 0; at !== undefined && steps < 1000; steps++) {
    if (at === owner) return true;
    at = waitsFor.get(at);
  }
  return false;
}

/**
 * F_SETLK/F_SETLKW and the OFD variants after argument checks: [start, end] of type for
 * owner (the fd table, or the description for OFD locks). Returns 0, -EAGAIN,
 * -EDEADLK, -ERESTARTSYS or BLOCKED (wait = F_SETLKW).
 */
export function rangeSet(t: VfsTask, inode: Inode, owner: object, ofd: boolean, type: number, start: number,
  end: number, wait: boolean): number {
  const l = locksOf(inode);
  if (type !== F_UNLCK) {
    const c = findConflict(inode, owner, type, start, end);
    if (c !== null) {
      if (!wait) return -E.EAGAIN;
      if (!ofd && !c.ofd && deadlocks(owner, c.owner)) {
        waitsFor.delete(owner);
        return -E.EDEADLK;
      }
      if (t.interrupted()) {
        waitsFor.delete(owner);
        return -E.ERESTARTSYS;
      }
      if (!ofd) waitsFor.set(owner, c.owner);
      return t.block(l.queue, EVENT_IN, -1);
    }
  }
  waitsFor.delete(owner);
  // Cut [start, end] out of the owner's locks; locks of the same type that overlap or
  // touch it merge into the new lock.
  let s = start, e = end;
  const kept: RangeLock[] = [];
  let changed = false;
  for (const r of l.ranges) {
    if (r.owner !== owner) {
      kept.push(r);
      continue;
    }
    const touches = r.start <= e + 1 && s <= r.end + 1;
    const overlaps = r.start <= e && s <= r.end;
    if (type !== F_UNLCK && r.type === type && touches) {
      s = Math.min(s, r.start);
      e = Math.max(e, r.end);
      changed = true;
      continue;
    }
    if (!overlaps) {
      kept.push(r);
      continue;
    }
    changed = true;
    if (r.start < s) kept.push({ ...r, end: s - 1 });
    if (r.end > e) kept.push({ ...r, start: e + 1 });
  }
  if (type !== F_UNLCK) kept.push({ owner, pid: ofd ? -1 : t.tgid, ofd, type, start: s, end: e });
  l.ranges = kept;
  if (changed) l.queue.notify(EVENT_IN);
  return 0;
}

/** Drops every record lock owner holds on inode (close of any fd, in the POSIX case). */
export function rangeRelease(inode: Inode, owner: object): void {
  const l = table.get(inode);
  if (l === undefined || l.ranges.length === 0) return;
  const before = l.ranges.length;
  l.ranges = l.ranges.filter((r) => r.owner !== owner);
  if (l.ranges.length !== before) l.queue.notify(EVENT_IN);
}

/** The last reference to a description went: its flock and OFD locks go with it. */
export function releaseDescription(inode: Inode, owner: object): void {
  const l = table.get(inode);
  if (l === undefined) return;
  const i = l.flocks.findIndex((e) => e.owner === owner);
  if (i >= 0) {
    l.flocks.splice(i, 1);
    l.queue.notify(EVENT_IN);
  }
  rangeRelease(inode, owner);
}

/** A POSIX owner (fd table) is gone: it waits for nothing any more. */
export function ownerGone(owner: object): void {
  waitsFor.delete(owner);
}

/** Whether inode has locks at all (a cheap test before the close-time release). */
export function hasLocks(inode: Inode): boolean {
  const l = table.get(inode);
  return l !== undefined && !l.empty;
}
