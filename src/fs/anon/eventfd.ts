// eventfd: a 64-bit counter behind a file. Writes add to it (blocking before it would pass
// 0xfffffffffffffffe), reads return it and reset it to 0 (or, in semaphore mode, return 1
// and decrement it).
import * as E from '../../abi/errno';
import { O_RDWR } from '../../vfs/abi';
import { FileDescription } from '../../vfs/file';
import type { VfsTask } from '../../vfs/task';
import { EVENT_ERR, EVENT_IN, EVENT_OUT, EVENT_RDNORM, EVENT_WRNORM, WaitQueue } from '../../waiter/waiter';
import { anonDentry, anonMount } from './anon';

const eventfdDentry = anonDentry('anon_inode:[eventfd]');

export const EFD_SEMAPHORE = 1;
const MAX = 0xfffffffffffffffen;
const TWO32 = 4294967296;

/** Reads a little-endian u64 from b[off..off+8). */
function getU64(b: Uint8Array, off: number): bigint {
  let lo = 0, hi = 0;
  for (let i = 3; i >= 0; i--) {
    lo = lo * 256 + b[off + i];
    hi = hi * 256 + b[off + 4 + i];
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Writes v (0 <= v < 2^64) little-endian into b[off..off+8). */
export function putU64(b: Uint8Array, off: number, v: bigint | number): void {
  let lo: number, hi: number;
  if (typeof v === 'number') {
    lo = v % TWO32;
    hi = Math.floor(v / TWO32);
  } else {
    lo = Number(v & 0xffffffffn);
    hi = Number(v >> 32n);
  }
  for (let i = 0; i < 4; i++) {
    b[off + i] = lo & 0xff;
    lo = Math.floor(lo / 256);
    b[off + 4 + i] = hi & 0xff;
    hi = Math.floor(hi / 256);
  }
}

export class EventFd extends FileDescription {
  private readonly queue = new WaitQueue();
  count: bigint;

  constructor(initval: number, private readonly semaphore: boolean, flags: number) {
    super(anonMount, eventfdDentry, O_RDWR | flags);
    this.count = BigInt(initval);
  }

  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    if (len < 8) return -E.EINVAL;
    if (this.count === 0n) {
      if (this.nonblocking) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_IN, -1);
    }
    const v = this.semaphore ? 1n : this.count;
    this.count -= v;
    putU64(dst, off, v);
    this.queue.notify(EVENT_OUT | EVENT_WRNORM);
    return 8;
  }

  override write(t: VfsTask, src: Uint8Array, off: number, len: number): number {
    if (len < 8) return -E.EINVAL;
    const v = getU64(src, off);
    if (v === 0xffffffffffffffffn) return -E.EINVAL;
    if (v === 0n) return 8;
    if (MAX - this.count < v) {
      if (this.nonblocking) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_OUT, -1);
    }
    this.count += v;
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
    return 8;
  }

  override readiness(mask: number): number {
    let r = 0;
    if (this.count > 0n) r |= EVENT_IN | EVENT_RDNORM;
    if (this.count < MAX) r |= EVENT_OUT | EVENT_WRNORM;
    if (this.count > MAX) r |= EVENT_ERR;
    return r & mask;
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
  }

  override get anonName(): string {
    return 'anon_inode:[eventfd]';
  }
}
