// Futex wait queues, keyed by the memory-file offset of the futex word: a private
// futex and a shared one (same page mapped in two processes) find the same queue.
import { WaitQueue } from '../waiter/waiter';
import type { Task } from './task';

export const FUTEX_BITSET_ALL = -1;

export class Futexes {
  private readonly queues = new Map<number, WaitQueue>();

  queueFor(key: number): WaitQueue {
    let q = this.queues.get(key);
    if (q === undefined) {
      q = new WaitQueue();
      this.queues.set(key, q);
    }
    return q;
  }

  /** Wakes up to n waiters on key whose bitset meets bitset; returns how many. */
  wake(key: number, n: number, bitset: number): number {
    const q = this.queues.get(key);
    if (q === undefined) return 0;
    const woken = q.notifyN(n, bitset);
    if (q.empty) this.queues.delete(key);
    return woken;
  }

  /** Moves up to n waiters from one key to another (FUTEX_REQUEUE). */
  requeue(from: number, to: number, n: number): number {
    const q = this.queues.get(from);
    if (q === undefined || n <= 0) return 0;
    const moved = q.moveTo(this.queueFor(to), n);
    if (q.empty) this.queues.delete(from);
    return moved;
  }

  /** The task first in line on key (for PI unlock), or null. */
  firstWaiter(key: number): Task | null {
    const q = this.queues.get(key);
    return q === undefined ? null : (q.first() as Task | null);
  }

  waiterCount(key: number): number {
    return this.queues.get(key)?.size ?? 0;
  }

  /**
   * Robust futexes at thread exit: every lock the thread still holds on its robust list
   * gets FUTEX_OWNER_DIED and one waiter woken, so another thread can recover it.
   */
  exitRobustList(t: Task): void {
    const head = t.robustList;
    if (head === 0) return;
    t.robustList = 0;
    const b = Buffer.alloc(24);
    if (t.mm.copyIn(head, b, 0, 24) < 0) return;
    const u64 = (o: number) => b.readUInt32LE(o + 4) * 4294967296 + b.readUInt32LE(o);
    const offset = b.readInt32LE(12) * 4294967296 + b.readUInt32LE(8);
    const pending = u64(16);
    let entry = u64(0);
    const nb = Buffer.alloc(8);
    for (let n = 0; entry !== head && entry !== 0 && n < 2048; n++) {
      if (t.mm.copyIn(entry, nb, 0, 8) < 0) return;
      const next = nb.readUInt32LE(4) * 4294967296 + nb.readUInt32LE(0);
      if (entry !== pending) this.ownerDied(t, entry + offset);
      entry = next;
    }
    if (pending !== 0) this.ownerDied(t, pending + offset);
  }

  private ownerDied(t: Task, addr: number): void {
    if (addr % 4 !== 0 || t.mm.checkRange(addr, 4, true) < 0) return;
    const off = t.mm.physAddr(addr);
    if (off < 0) return;
    const w = t.kernel.memfile.words32(off);
    const i = (off % (1 << 30)) >> 2;
    for (;;) {
      const cur = Atomics.load(w, i);
      if ((cur & 0x3fffffff) !== t.tid) return;
      const next = (cur & (0x80000000 | 0)) | 0x40000000;
      if (Atomics.compareExchange(w, i, cur, next) !== cur) continue;
      if ((cur & (0x80000000 | 0)) !== 0) this.wake(off, 1, FUTEX_BITSET_ALL);
      return;
    }
  }

  /** CLONE_CHILD_CLEARTID at thread exit: zero the word, wake one waiter. */
  clearChildTid(t: Task): void {
    const addr = t.clearChildTid;
    if (addr === 0) return;
    t.clearChildTid = 0;
    const zero = Buffer.alloc(4);
    if (t.mm.copyOut(addr, zero, 0, 4) < 0) return;
    const key = t.mm.physAddr(addr);
    if (key >= 0) this.wake(key, 1, FUTEX_BITSET_ALL);
  }
}
