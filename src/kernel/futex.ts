// Futex wait queues. As in Linux, a futex in a private mapping (or any futex used with
// FUTEX_PRIVATE_FLAG) is keyed by (address space, address), so it survives the
// copy-on-write that moves its page; a futex in a shared mapping is keyed by the
// memory-file offset of the word, so every process mapping the page finds it.
import * as E from '../abi/errno';
import type { MM } from '../mm/mm';
import { WaitQueue } from '../waiter/waiter';
import type { Task } from './task';

export const FUTEX_BITSET_ALL = -1;

type Queues = Map<number, WaitQueue>;

export class Futexes {
  private readonly shared: Queues = new Map();
  private readonly privates = new WeakMap<MM, Queues>();
  /** The result of resolve(): which table and which key (set in place: no allocation). */
  map: Queues = this.shared;
  key = 0;

  /** Finds the key of the futex word at uaddr in t's address space. 0 or -EFAULT. */
  resolve(t: Task, uaddr: number, privateFlag: boolean): number {
    const m = t.mm.find(uaddr);
    if (m === null || m.prot === 0) return -E.EFAULT;
    if (privateFlag || !m.shared) {
      let q = this.privates.get(t.mm);
      if (q === undefined) {
        q = new Map();
        this.privates.set(t.mm, q);
      }
      this.map = q;
      this.key = uaddr;
    } else {
      this.map = this.shared;
      this.key = m.memOff + (uaddr - m.start);
    }
    return 0;
  }

  /** The queue of the last resolved key. */
  queue(): WaitQueue {
    let q = this.map.get(this.key);
    if (q === undefined) {
      q = new WaitQueue();
      this.map.set(this.key, q);
    }
    return q;
  }

  /** Wakes up to n waiters of the last resolved key whose bitset meets bitset. */
  wake(n: number, bitset: number): number {
    const q = this.map.get(this.key);
    if (q === undefined) return 0;
    const woken = q.notifyN(n, bitset);
    if (q.empty) this.map.delete(this.key);
    return woken;
  }

  /** Moves up to n waiters from (fromMap, fromKey) to the last resolved key (FUTEX_REQUEUE). */
  requeueTo(fromMap: Queues, fromKey: number, n: number): number {
    const q = fromMap.get(fromKey);
    if (q === undefined || n <= 0) return 0;
    const moved = q.moveTo(this.queue(), n);
    if (q.empty) fromMap.delete(fromKey);
    return moved;
  }

  /** The task first in line on the last resolved key (PI unlock), or null. */
  firstWaiter(): Task | null {
    const q = this.map.get(this.key);
    return q === undefined ? null : (q.first() as Task | null);
  }

  waiterCount(): number {
    return this.map.get(this.key)?.size ?? 0;
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
    // Entries carry a flag in bit 0 (set for PI futexes): the address is the rest.
    const u64 = (o: number) => b.readUInt32LE(o + 4) * 4294967296 + ((b.readUInt32LE(o) & ~1) >>> 0);
    const offset = b.readInt32LE(12) * 4294967296 + b.readUInt32LE(8);
    const pending = u64(16);
    let entry = u64(0);
    const nb = Buffer.alloc(8);
    for (let n = 0; entry !== head && entry !== 0 && n < 2048; n++) {
      if (t.mm.copyIn(entry, nb, 0, 8) < 0) return;
      const next = nb.readUInt32LE(4) * 4294967296 + ((nb.readUInt32LE(0) & ~1) >>> 0);
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
      if ((cur & (0x80000000 | 0)) !== 0 && this.resolve(t, addr, false) === 0) this.wake(1, FUTEX_BITSET_ALL);
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
    if (this.resolve(t, addr, false) === 0) this.wake(1, FUTEX_BITSET_ALL);
  }
}
