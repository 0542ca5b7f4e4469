// epoll_create(1), epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2. The instance and its
// entries are in fs/anon/epoll.ts; a wait that must block parks the task on the instance's
// own queue (which every entry's file wakes) and on the host fds behind watched files.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { EPOLLET, EPOLLEXCLUSIVE, EPOLLWAKEUP, EpollEntry, EpollFile } from '../fs/anon/epoll';
import { O_CLOEXEC, S_IFDIR, S_IFMT, S_IFREG } from '../vfs/abi';
import type { FileDescription } from '../vfs/file';
import { BLOCKED, EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT, EVENT_RDBAND, EVENT_RDNORM, EVENT_WRBAND, EVENT_WRNORM }
  from '../waiter/waiter';
import { NR } from './names';
import { SyscallTable } from './table';
import { restoreTempMask, setTempMask, setTimespecDeadline } from './util';

const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
const EP_MAX_EVENTS = Math.floor(0x7fffffff / 12);
const EXCLUSIVE_OK = EVENT_IN | EVENT_OUT | EVENT_RDNORM | EVENT_RDBAND | EVENT_WRNORM | EVENT_WRBAND | EVENT_ERR |
  EVENT_HUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

function create(t: Task, flags: number): number {
  const f = new EpollFile(0);
  const fd = t.fdTable.install(f, 0, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) f.decRef();
  return fd;
}

function epollCreate(t: Task, size: number): number {
  if ((size | 0) <= 0) return -E.EINVAL;
  return create(t, 0);
}

function epollCreate1(t: Task, flags: number): number {
  if (((flags | 0) & ~O_CLOEXEC) !== 0) return -E.EINVAL;
  return create(t, flags | 0);
}

/** Files that cannot be watched (Linux: no poll method): regular files and directories. */
function unpollable(f: FileDescription): boolean {
  if (f.anonName !== '') return false;
  const fmt = f.inode.mode & S_IFMT;
  return fmt === S_IFREG || fmt === S_IFDIR;
}

function epollCtl(t: Task, epfd: number, op: number, fd: number, evAddr: number): number {
  op |= 0;
  fd |= 0;
  let events = 0, lo = 0, hi = 0;
  if (op !== EPOLL_CTL_DEL) {
    const b = Buffer.alloc(12);
    if (t.mm.copyIn(evAddr, b, 0, 12) < 0) return -E.EFAULT;
    events = b.readUInt32LE(0);
    lo = b.readUInt32LE(4);
    hi = b.readUInt32LE(8);
  }
  const f = t.fdTable.get(epfd | 0);
  if (f === null) return -E.EBADF;
  const tf = t.fdTable.get(fd);
  if (tf === null) return -E.EBADF;
  if (unpollable(tf)) return -E.EPERM;
  // No CAP_BLOCK_SUSPEND in a sandbox: Linux silently drops EPOLLWAKEUP then.
  events = (events & ~EPOLLWAKEUP) >>> 0;
  if (f === tf || !(f instanceof EpollFile)) return -E.EINVAL;
  if (op !== EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE) !== 0) {
    if (op === EPOLL_CTL_MOD) return -E.EINVAL;
    if (op === EPOLL_CTL_ADD && (tf instanceof EpollFile || (events & ~EXCLUSIVE_OK) !== 0)) return -E.EINVAL;
  }
  f.prune();
  const e = f.find(tf, fd);
  if (op === EPOLL_CTL_ADD && e === null && tf instanceof EpollFile && tf.reaches(f)) return -E.ELOOP;
  switch (op) {
    case EPOLL_CTL_ADD:
      if (e !== null) return -E.EEXIST;
      f.add(new EpollEntry(f, tf, fd, (events | EVENT_ERR | EVENT_HUP) >>> 0, lo, hi));
      return 0;
    case EPOLL_CTL_DEL:
      if (e === null) return -E.ENOENT;
      f.remove(e);
      return 0;
    case EPOLL_CTL_MOD:
      if (e === null) return -E.ENOENT;
      if ((e.events & EPOLLEXCLUSIVE) !== 0) return -E.EINVAL;
      e.events = (events | EVENT_ERR | EVENT_HUP) >>> 0;
      e.dataLo = lo;
      e.dataHi = hi;
      e.disabled = false;
      if (!e.fired) {
        e.fired = true;
        f.moveToEnd(e);
      }
      e.rearm();
      f.queue.notify(EVENT_IN | EVENT_RDNORM);
      return 0;
    default:
      return -E.EINVAL;
  }
}


const harvested: number[] = [];

/** The body shared by the wait calls; t.sysDeadline is set by the caller on first run. */
function doWait(t: Task, epfd: number, evAddr: number, maxevents: number): number {
  maxevents |= 0;
  if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) return -E.EINVAL;
  // access_ok: only the range is checked here; a bad address faults when events are copied.
  if (evAddr < 0 || evAddr + maxevents * 12 > 0x7ffffffff000) return -E.EFAULT;
  const f = t.fdTable.get(epfd | 0);
  if (f === null) return -E.EBADF;
  if (!(f instanceof EpollFile)) return -E.EINVAL;
  harvested.length = 0;
  const n = f.harvest(maxevents, harvested);
  if (n > 0) {
    const b = Buffer.alloc(n * 12);
    for (let i = 0; i < n; i++) {
      b.writeUInt32LE(harvested[i * 3] >>> 0, i * 12);
      b.writeUInt32LE(harvested[i * 3 + 1] >>> 0, i * 12 + 4);
      b.writeUInt32LE(harvested[i * 3 + 2] >>> 0, i * 12 + 8);
    }
    // Linux copies event by event: a fault after the first one returns the count so far.
    for (let i = 0; i < n; i++) {
      if (t.mm.copyOut(evAddr + i * 12, b, i * 12, 12) < 0) return i === 0 ? -E.EFAULT : i;
    }
    return n;
  }
  if (t.sysDeadline === 0) return 0;
  if (t.restarting && t.timedOut) return 0;
  if (t.sysDeadline > 0 && t.sysDeadline <= t.kernel.clock.monoNow()) return 0;
  if (t.interrupted()) return -E.EINTR;
  const hostFds: number[] = [], hostEvents: number[] = [];
  f.hostFds(hostFds, hostEvents);
  return t.blockMany([f.queue], [EVENT_IN], hostFds, hostEvents, t.sysDeadline);
}

function msDeadline(t: Task, timeout: number): void {
  const ms = timeout | 0;
  t.sysDeadline = ms < 0 ? -1 : ms === 0 ? 0 : t.kernel.clock.monoNow() + ms * 1e6;
}

function epollWait(t: Task, epfd: number, ev: number, max: number, timeout: number): number {
  if (!t.restarting) msDeadline(t, timeout);
  return doWait(t, epfd, ev, max);
}

/** Restores the caller's mask unless the task sleeps on (BLOCKED) or a signal interrupted
 * the wait (EINTR: delivery restores it after the handler frame is built). */
function finish(t: Task, r: number): number {
  if (r !== BLOCKED && r !== -E.EINTR) restoreTempMask(t);
  return r;
}

function epollPwait(t: Task, epfd: number, ev: number, max: number, timeout: number, sig: number, sigsize: number): number {
  if (!t.restarting) {
    msDeadline(t, timeout);
    const r = setTempMask(t, sig, sigsize);
    if (r < 0) return r;
  }
  return finish(t, doWait(t, epfd, ev, max));
}

function epollPwait2(t: Task, epfd: number, ev: number, max: number, tsp: number, sig: number, sigsize: number): number {
  if (!t.restarting) {
    const dr = setTimespecDeadline(t, tsp);
    if (dr < 0) return dr;
    const r = setTempMask(t, sig, sigsize);
    if (r < 0) return r;
  }
  return finish(t, doWait(t, epfd, ev, max));
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.epoll_create, epollCreate);
  tbl.def(NR.epoll_create1, epollCreate1);
  tbl.def(NR.epoll_ctl, epollCtl, 'partial',
    'EPOLLEXCLUSIVE is accepted and wakes every waiter; edge-triggered and one-shot entries on host fds (host stdio) behave level-triggered');
  tbl.def(NR.epoll_wait, epollWait);
  tbl.def(NR.epoll_pwait, epollPwait);
  tbl.def(NR.epoll_pwait2, epollPwait2);
}
