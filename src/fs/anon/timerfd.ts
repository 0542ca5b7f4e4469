// timerfd: a timer whose expirations are read from a file (an 8-byte count). Rides the
// kernel's timer queue on CLOCK_MONOTONIC; a CLOCK_REALTIME absolute time is converted to a
// monotonic deadline when the timer is set (a later change of the wall clock does not move
// it, and TFD_TIMER_CANCEL_ON_SET is accepted but never cancels: the sandbox cannot set the
// wall clock).
import * as E from '../../abi/errno';
import type { Kernel, TimerTarget } from '../../kernel/kernel';
import { O_RDWR } from '../../vfs/abi';
import { FileDescription } from '../../vfs/file';
import type { VfsTask } from '../../vfs/task';
import { EVENT_IN, EVENT_RDNORM, WaitQueue } from '../../waiter/waiter';
import { anonDentry, anonMount } from './anon';
import { putU64 } from './eventfd';

const timerfdDentry = anonDentry('anon_inode:[timerfd]');

export class TimerFd extends FileDescription implements TimerTarget {
  private readonly queue = new WaitQueue();
  armed = false;
  /** Next expiration, CLOCK_MONOTONIC ns (may be negative: an absolute time long past). */
  deadline = 0;
  /** Period in ns (0: one-shot). */
  interval = 0;
  /** Expirations not yet read. */
  ticks = 0;

  constructor(private readonly kernel: Kernel, readonly clockid: number, flags: number) {
    super(anonMount, timerfdDentry, O_RDWR | flags);
  }

  fire(k: Kernel, now: number): void {
    if (!this.armed) return;
    if (this.interval > 0) {
      const n = Math.floor((now - this.deadline) / this.interval) + 1;
      this.ticks += n;
      this.deadline += n * this.interval;
      k.addTimer(this, this.deadline);
    } else {
      this.ticks++;
      this.armed = false;
    }
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
  }

  /** Arms (armed) or disarms the timer; pending expirations are dropped. */
  arm(armed: boolean, deadline: number, interval: number): void {
    this.kernel.removeTimer(this);
    this.ticks = 0;
    this.armed = armed;
    this.deadline = deadline;
    this.interval = interval;
    if (!armed) return;
    const now = this.kernel.clock.monoNow();
    if (deadline <= now) this.fire(this.kernel, now);
    else this.kernel.addTimer(this, deadline);
  }

  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    if (len < 8) return -E.EINVAL;
    if (this.ticks === 0) {
      if (this.nonblocking) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_IN, -1);
    }
    putU64(dst, off, this.ticks);
    this.ticks = 0;
    return 8;
  }

  override write(): number {
    return -E.EINVAL;
  }

  override readiness(mask: number): number {
    return this.ticks > 0 ? mask & (EVENT_IN | EVENT_RDNORM) : 0;
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
  }

  protected override release(): void {
    this.kernel.removeTimer(this);
    this.armed = false;
  }

  override get anonName(): string {
    return 'anon_inode:[timerfd]';
  }
}
