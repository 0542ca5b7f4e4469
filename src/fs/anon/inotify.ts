// inotify instances: a queue of struct inotify_event records filled by the VFS's
// fsnotify marks (vfs/fsnotify.ts). Watch descriptors count up from 1 per instance and
// are not reused at once (Linux's cyclic idr); identical consecutive events merge; a full
// queue (max_queued_events) ends with one IN_Q_OVERFLOW event.
import * as E from '../../abi/errno';
import { O_RDONLY } from '../../vfs/abi';
import { FileDescription } from '../../vfs/file';
import { IN_IGNORED, IN_Q_OVERFLOW, Mark, NotifyGroup, removeMark } from '../../vfs/fsnotify';
import type { VfsTask } from '../../vfs/task';
import { EVENT_IN, EVENT_RDNORM, WaitQueue } from '../../waiter/waiter';
import { anonDentry, anonMount } from './anon';

const inotifyDentry = anonDentry('anon_inode:inotify');
/** /proc/sys/fs/inotify/max_queued_events. */
export const INOTIFY_MAX_QUEUED_EVENTS = 16384;
/** /proc/sys/fs/inotify/max_user_watches (per instance here). */
export const INOTIFY_MAX_USER_WATCHES = 65536;
/** /proc/sys/fs/inotify/max_user_instances. */
export const INOTIFY_MAX_USER_INSTANCES = 128;
const EVENT_HDR = 16;

interface QueuedEvent {
  wd: number;
  mask: number;
  cookie: number;
  name: string;
  /** Bytes this record takes in a read. */
  size: number;
}

/** Record size: the header plus the name NUL-terminated and padded to 16 bytes. */
function recordSize(name: string): number {
  return name.length === 0 ? EVENT_HDR : EVENT_HDR + ((name.length + 1 + 15) & ~15);
}

export class InotifyFile extends FileDescription implements NotifyGroup {
  private readonly queue = new WaitQueue();
  private readonly events: QueuedEvent[] = [];
  private head = 0;
  private bytes = 0;
  private overflowQueued = false;
  private nextWd = 1;
  readonly watches = new Map<number, Mark>();

  constructor(flags: number) {
    super(anonMount, inotifyDentry, O_RDONLY | flags);
  }

  allocWd(): number {
    return this.nextWd++;
  }

  private get length(): number {
    return this.events.length - this.head;
  }

  private push(wd: number, mask: number, cookie: number, name: string): void {
    if (this.length >= INOTIFY_MAX_QUEUED_EVENTS) {
      if (this.overflowQueued) return;
      this.overflowQueued = true;
      wd = -1;
      mask = IN_Q_OVERFLOW;
      cookie = 0;
      name = '';
    } else if (this.length > 0) {
      // Linux merges an event identical to the last one queued.
      const last = this.events[this.events.length - 1];
      if (last.wd === wd && last.mask === mask && last.cookie === cookie && last.name === name) return;
    }
    const size = recordSize(name);
    this.events.push({ wd, mask, cookie, name, size });
    this.bytes += size;
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
  }

  deliver(mark: Mark, mask: number, cookie: number, name: string): void {
    this.push(mark.wd, mask, cookie, name);
  }

  markGone(mark: Mark): void {
    if (this.watches.get(mark.wd) === mark) this.watches.delete(mark.wd);
    this.push(mark.wd, IN_IGNORED, 0, '');
  }

  override read(t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    if (this.length === 0) {
      if (this.nonblocking) return -E.EAGAIN;
      if (t.interrupted()) return -E.ERESTARTSYS;
      return t.block(this.queue, EVENT_IN, -1);
    }
    let at = 0;
    const b = Buffer.from(dst.buffer, dst.byteOffset + off, len);
    while (this.length > 0) {
      const e = this.events[this.head];
      if (at + e.size > len) {
        if (at === 0) return -E.EINVAL;
        break;
      }
      b.writeInt32LE(e.wd, at);
      b.writeUInt32LE(e.mask >>> 0, at + 4);
      b.writeUInt32LE(e.cookie >>> 0, at + 8);
      b.writeUInt32LE(e.size - EVENT_HDR, at + 12);
      if (e.size > EVENT_HDR) {
        b.write(e.name, at + EVENT_HDR, 'latin1');
        b.fill(0, at + EVENT_HDR + e.name.length, at + e.size);
      }
      at += e.size;
      this.bytes -= e.size;
      if (e.mask === IN_Q_OVERFLOW && e.wd === -1) this.overflowQueued = false;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events.splice(0, this.head);
      this.head = 0;
    } else if (this.length === 0) {
      this.events.length = 0;
      this.head = 0;
    }
    return at;
  }

  override write(): number {
    return -E.EINVAL;
  }

  override available(): number {
    return this.bytes;
  }

  override readiness(mask: number): number {
    return this.length > 0 ? mask & (EVENT_IN | EVENT_RDNORM) : 0;
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
  }

  override get anonName(): string {
    return 'anon_inode:inotify';
  }

  protected override release(): void {
    // Closing the instance drops its watches without telling anyone.
    for (const m of [...this.watches.values()]) removeMark(m, false);
    this.watches.clear();
  }
}
