// Wait queues: the one mechanism by which anything that can become ready (a pipe, a
// futex, a child's exit, a host fd) wakes the tasks waiting for it. It sits below
// vfs/, net/ and kernel/ so every object can own queues without importing tasks.
// Mirrors gVisor's pkg/waiter.

/** Readiness bits, same values as poll(2)'s. */
export const EVENT_IN = 0x001, EVENT_PRI = 0x002, EVENT_OUT = 0x004, EVENT_ERR = 0x008,
  EVENT_HUP = 0x010, EVENT_NVAL = 0x020, EVENT_RDNORM = 0x040, EVENT_RDBAND = 0x080,
  EVENT_WRNORM = 0x100, EVENT_WRBAND = 0x200, EVENT_MSG = 0x400, EVENT_RDHUP = 0x2000;
/** Wakes every waiter whatever its mask (futexes, exits). */
export const EVENT_ALL = -1;

export interface Waiter {
  /** Called with the events that happened; the waiter decides whether to run again. */
  notify(events: number): void;
}

interface Entry {
  w: Waiter;
  mask: number;
}

export class WaitQueue {
  private entries: Entry[] = [];

  add(w: Waiter, mask: number): void {
    this.entries.push({ w, mask });
  }

  remove(w: Waiter): void {
    const e = this.entries;
    for (let i = 0; i < e.length; i++) {
      if (e[i].w === w) {
        e.splice(i, 1);
        return;
      }
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** The waiter that has waited longest, or null. */
  first(): Waiter | null {
    return this.entries.length > 0 ? this.entries[0].w : null;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Wakes the waiters interested in any of events. */
  notify(events: number): void {
    const e = this.entries;
    if (e.length === 0) return;
    // A waiter usually removes itself when woken: iterate over a snapshot.
    const snapshot = e.slice();
    for (const x of snapshot) if ((x.mask & events) !== 0) x.w.notify(events);
  }

  /**
   * Moves up to n waiters to another queue without waking them (FUTEX_REQUEUE). The
   * moved waiters must learn their new queue: they implement Requeueable.
   */
  moveTo(other: WaitQueue, n: number): number {
    let moved = 0;
    while (moved < n && this.entries.length > 0) {
      const e = this.entries.shift() as Entry;
      other.entries.push(e);
      (e.w as Waiter & { requeued?: (q: WaitQueue) => void }).requeued?.(other);
      moved++;
    }
    return moved;
  }

  /** Wakes at most n waiters (futex-style), returns how many were woken. */
  notifyN(n: number, events: number): number {
    let woken = 0;
    const snapshot = this.entries.slice();
    for (const x of snapshot) {
      if (woken >= n) break;
      if ((x.mask & events) !== 0) {
        x.w.notify(events);
        woken++;
      }
    }
    return woken;
  }
}

/**
 * What a syscall handler returns after parking its task on a queue (VfsTask.block):
 * the dispatcher then leaves the task asleep and runs the handler again once woken.
 * Outside the errno range, so it can never be mistaken for a result.
 */
export const BLOCKED = -0x100001;
