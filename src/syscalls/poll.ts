// poll, ppoll, select, pselect6: readiness of many files at once. A call that must wait
// parks the task on every file's wait queue (and the host fds behind host files) and
// runs again when any of them fires, the deadline passes or a signal arrives.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { RLIMIT_NOFILE } from '../kernel/threadgroup';
import type { FileDescription } from '../vfs/file';
import { EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_NVAL, EVENT_OUT, EVENT_PRI, EVENT_RDBAND, EVENT_RDNORM, EVENT_WRBAND, EVENT_WRNORM, WaitQueue }
  from '../waiter/waiter';
import { NR } from './names';
import { SyscallTable } from './table';
import { restoreTempMask, setTempMask, setTimespecDeadline, writeTimePair } from './util';

const TWO32 = 4294967296;

/** What select's three sets mean in poll terms (Linux's POLLIN_SET & co.). */
const IN_SET = EVENT_RDNORM | EVENT_RDBAND | EVENT_IN | EVENT_HUP | EVENT_ERR;
const OUT_SET = EVENT_WRBAND | EVENT_WRNORM | EVENT_OUT | EVENT_ERR;
const EX_SET = EVENT_PRI;

/** Readiness of f for events (poll always reports errors and hang-ups). */
function ready(f: FileDescription, events: number): number {
  return f.readiness(events | EVENT_ERR | EVENT_HUP) & (events | EVENT_ERR | EVENT_HUP);
}

/** Parks t on the files until one may be ready, the deadline, or a signal. */
function wait(t: Task, files: FileDescription[], events: number[]): number {
  const queues: WaitQueue[] = [], masks: number[] = [], hostFds: number[] = [], hostEvents: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const q = f.waitQueue;
    if (q !== null && !queues.includes(q)) {
      queues.push(q);
      masks.push(events[i] | EVENT_ERR | EVENT_HUP);
    }
    if (f.hostFd >= 0) {
      hostFds.push(f.hostFd);
      hostEvents.push(events[i] & (EVENT_IN | EVENT_OUT | EVENT_PRI));
    }
  }
  return t.blockMany(queues, masks, hostFds, hostEvents, t.sysDeadline);
}

/** Common tail: a woken call decides between "again", "timed out" and "interrupted". */
function afterWake(t: Task): number {
  if (t.restarting && t.timedOut) return 0;
  if (t.interrupted()) return -E.ERESTARTNOHAND;
  if (t.sysDeadline >= 0 && t.sysDeadline <= t.kernel.clock.monoNow()) return 0;
  return 1;
}


function doPoll(t: Task, fdsAddr: number, nfds: number): number {
  if (nfds < 0 || nfds > t.tg.rlimits.cur[RLIMIT_NOFILE]) return -E.EINVAL;
  const b = Buffer.alloc(nfds * 8);
  if (nfds > 0 && t.mm.copyIn(fdsAddr, b, 0, nfds * 8) < 0) return -E.EFAULT;
  let count = 0;
  const files: FileDescription[] = [], events: number[] = [];
  for (let i = 0; i < nfds; i++) {
    const fd = b.readInt32LE(i * 8);
    const ev = b.readUInt16LE(i * 8 + 4);
    let rev = 0;
    if (fd >= 0) {
      const f = t.fdTable.get(fd);
      if (f === null) rev = EVENT_NVAL;
      else {
        rev = ready(f, ev);
        files.push(f);
        events.push(ev);
      }
    }
    b.writeUInt16LE(rev, i * 8 + 6);
    if (rev !== 0) count++;
  }
  if (count > 0 || t.sysDeadline === 0) {
    if (nfds > 0 && t.mm.copyOut(fdsAddr, b, 0, nfds * 8) < 0) return -E.EFAULT;
    return count;
  }
  const w = afterWake(t);
  if (w <= 0) {
    if (w === 0 && nfds > 0 && t.mm.copyOut(fdsAddr, b, 0, nfds * 8) < 0) return -E.EFAULT;
    return w;
  }
  return wait(t, files, events);
}

function poll(t: Task, fds: number, nfds: number, timeoutMs: number): number {
  if (!t.restarting) {
    const ms = timeoutMs | 0;
    t.sysDeadline = ms < 0 ? -1 : ms === 0 ? 0 : t.kernel.clock.monoNow() + ms * 1e6;
  }
  return doPoll(t, fds, nfds | 0);
}

function ppoll(t: Task, fds: number, nfds: number, tsp: number, sigmask: number, sigsetsize: number): number {
  if (!t.restarting) {
    const dr = setTimespecDeadline(t, tsp);
    if (dr < 0) return dr;
    const r = setTempMask(t, sigmask, sigsetsize);
    if (r < 0) return r;
  }
  const r = doPoll(t, fds, nfds | 0);
  if (r >= 0 && r !== -E.ERESTARTNOHAND) restoreTempMask(t);
  if (r >= 0 && tsp !== 0) writeLeft(t, tsp, false);
  return r;
}

/** Linux writes the time left back into the timeout of ppoll/select/pselect. */
function writeLeft(t: Task, addr: number, timeval: boolean): void {
  if (t.sysDeadline <= 0) {
    writeTimePair(t, addr, 0, 0);
    return;
  }
  const left = Math.max(0, t.sysDeadline - t.kernel.clock.monoNow());
  writeTimePair(t, addr, Math.floor(left / 1e9), timeval ? Math.floor((left % 1e9) / 1e3) : left % 1e9);
}

function doSelect(t: Task, nfds: number, r: number, w: number, x: number): number {
  if (nfds < 0) return -E.EINVAL;
  const max = t.fdTable.maxFd() + 1;
  if (nfds > max) nfds = max;
  const bytes = Math.ceil(nfds / 64) * 8;
  const sets = [r, w, x].map((addr) => {
    if (addr === 0 || bytes === 0) return null;
    const b = Buffer.alloc(bytes);
    return t.mm.copyIn(addr, b, 0, bytes) < 0 ? undefined : b;
  });
  if (sets.includes(undefined)) return -E.EFAULT;
  const [rs, ws, xs] = sets as (Buffer | null)[];
  const outs = [rs, ws, xs].map((s) => (s === null ? null : Buffer.alloc(bytes)));
  let count = 0;
  const files: FileDescription[] = [], events: number[] = [];
  for (let fd = 0; fd < nfds; fd++) {
    const byte = fd >> 3, bit = 1 << (fd & 7);
    const want = [rs, ws, xs].map((s) => s !== null && (s[byte] & bit) !== 0);
    if (!want[0] && !want[1] && !want[2]) continue;
    const f = t.fdTable.get(fd);
    if (f === null) return -E.EBADF;
    const ev = (want[0] ? IN_SET : 0) | (want[1] ? OUT_SET : 0) | (want[2] ? EX_SET : 0);
    const rev = f.readiness(ev | EVENT_ERR | EVENT_HUP);
    if (want[0] && (rev & IN_SET) !== 0) { (outs[0] as Buffer)[byte] |= bit; count++; }
    if (want[1] && (rev & OUT_SET) !== 0) { (outs[1] as Buffer)[byte] |= bit; count++; }
    if (want[2] && (rev & EX_SET) !== 0) { (outs[2] as Buffer)[byte] |= bit; count++; }
    files.push(f);
    events.push(ev);
  }
  const write = () => {
    const addrs = [r, w, x];
    for (let i = 0; i < 3; i++) {
      const o = outs[i];
      if (o !== null && t.mm.copyOut(addrs[i], o, 0, bytes) < 0) return -E.EFAULT;
    }
    return 0;
  };
  if (count > 0 || t.sysDeadline === 0) return write() < 0 ? -E.EFAULT : count;
  const a = afterWake(t);
  if (a <= 0) {
    if (a === 0 && write() < 0) return -E.EFAULT;
    return a;
  }
  return wait(t, files, events);
}

function select(t: Task, nfds: number, r: number, w: number, x: number, tv: number): number {
  if (!t.restarting) {
    t.sysDeadline = -1;
    if (tv !== 0) {
      const b = Buffer.alloc(16);
      if (t.mm.copyIn(tv, b, 0, 16) < 0) return -E.EFAULT;
      const sec = b.readInt32LE(4) * TWO32 + b.readUInt32LE(0), usec = b.readInt32LE(12) * TWO32 + b.readUInt32LE(8);
      if (sec < 0 || usec < 0) return -E.EINVAL;
      // Linux accepts tv_usec >= 10^6 and normalises it.
      t.sysDeadline = sec === 0 && usec === 0 ? 0 : t.kernel.clock.monoNow() + sec * 1e9 + usec * 1e3;
    }
  }
  const res = doSelect(t, nfds | 0, r, w, x);
  if (res >= 0 && tv !== 0) writeLeft(t, tv, true);
  return res;
}

function pselect6(t: Task, nfds: number, r: number, w: number, x: number, tsp: number, sig: number): number {
  if (!t.restarting) {
    const dr = setTimespecDeadline(t, tsp);
    if (dr < 0) return dr;
    if (sig !== 0) {
      // struct { const sigset_t *ss; size_t ss_len; }
      const b = Buffer.alloc(16);
      if (t.mm.copyIn(sig, b, 0, 16) < 0) return -E.EFAULT;
      const ss = b.readUInt32LE(4) * TWO32 + b.readUInt32LE(0);
      const rr = setTempMask(t, ss, b.readUInt32LE(8));
      if (rr < 0) return rr;
    }
  }
  const res = doSelect(t, nfds | 0, r, w, x);
  if (res >= 0) restoreTempMask(t);
  if (res >= 0 && tsp !== 0) writeLeft(t, tsp, false);
  return res;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.poll, poll);
  tbl.def(NR.ppoll, ppoll);
  tbl.def(NR.select, select);
  tbl.def(NR.pselect6, pselect6);
}
