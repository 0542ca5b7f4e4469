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
