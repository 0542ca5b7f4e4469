// epoll instances. An instance holds interest entries keyed by (file description, fd).
// Readiness is evaluated on demand from each watched file's readiness() (level-triggered);
// each entry also sits on its file's wait queue, so an event marks it "fired" (the edge
// that EPOLLET and EPOLLONESHOT report) and wakes whoever waits on the instance's own
// queue (epoll_wait, poll of the epoll fd, an outer epoll).
//
// Report order follows Linux's ready list: the entry list is kept in the order entries
// became ready (a wake-up of an entry not marked fired moves it to the end), and
// level-triggered entries that were reported go to the end, behind those that a small
// maxevents left unreported.
//
// Entries hold no reference on their files. Linux drops an entry when the last fd of the
// file description is closed; here an entry whose description has been released (refCount
// 0) is dropped the next time the instance is scanned, which nothing can observe.
import { O_RDWR } from '../../vfs/abi';
import { FileDescription } from '../../vfs/file';
import { EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_RDNORM, Waiter, WaitQueue } from '../../waiter/waiter';
import { anonDentry, anonMount } from './anon';

export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 0x80000000;
const CONTROL_BITS = EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET;

const epollDentry = anonDentry('anon_inode:[eventpoll]');

export class EpollEntry implements Waiter {
  /** Set by a wake-up of the file's queue (and on add/mod); cleared when reported (ET). */
  fired = true;
  /** EPOLLONESHOT entry already reported: disabled until EPOLL_CTL_MOD. */
  disabled = false;
  /** The queue this entry sits on (the file's at add time). */
  private readonly queue: WaitQueue | null;

  constructor(
    readonly ep: EpollFile,
    readonly file: FileDescription,
    readonly fd: number,
    /** The event mask as given (with EPOLLERR|EPOLLHUP added) including control bits. */
    public events: number,
    /** epoll_data as two 32-bit halves. */
    public dataLo: number,
    public dataHi: number,
  ) {
    this.queue = file.waitQueue;
    if (this.queue !== null) this.queue.add(this, this.mask());
  }

  mask(): number {
    return (this.events & ~CONTROL_BITS) | EVENT_ERR | EVENT_HUP;
  }

  /** Re-registers after a change of the event mask. */
  rearm(): void {
    if (this.queue === null) return;
    this.queue.remove(this);
    this.queue.add(this, this.mask());
  }

  detach(): void {
    if (this.queue !== null) this.queue.remove(this);
  }

  notify(_events: number): void {
    if (this.disabled) return;
    if (!this.fired) {
      this.fired = true;
      this.ep.moveToEnd(this);
    }
    this.ep.queue.notify(EVENT_IN | EVENT_RDNORM);
  }

  get edge(): boolean {
    return (this.events & (EPOLLET | EPOLLONESHOT)) !== 0 && this.queue !== null;
  }

  /** Events ready now, without consuming an edge; 0 if none (or disabled). */
  ready(): number {
    if (this.disabled) return 0;
    if (this.edge && !this.fired) return 0;
    const m = this.mask();
    return this.file.readiness(m) & m;
  }
}

export class EpollFile extends FileDescription {
  readonly queue = new WaitQueue();
  /** Interest list, in report order (reported level-triggered entries rotate to the end). */
  entries: EpollEntry[] = [];

  constructor(flags: number) {
    super(anonMount, epollDentry, O_RDWR | flags);
  }

  find(file: FileDescription, fd: number): EpollEntry | null {
    for (const e of this.entries) if (e.file === file && e.fd === fd) return e;
    return null;
  }

  add(e: EpollEntry): void {
    this.entries.push(e);
    this.queue.notify(EVENT_IN | EVENT_RDNORM);
  }

  moveToEnd(e: EpollEntry): void {
    const i = this.entries.indexOf(e);
    if (i >= 0 && i !== this.entries.length - 1) {
      this.entries.splice(i, 1);
      this.entries.push(e);
    }
  }

  remove(e: EpollEntry): void {
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
    e.detach();
  }

  /** Drops entries whose file description has been released. */
  prune(): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e.file.refCount <= 0) {
        this.entries.splice(i, 1);
        e.detach();
      }
    }
  }

  /**
   * Collects up to max ready events into out (events, dataLo, dataHi triples), consuming
   * edges and disabling one-shot entries. Returns the count.
   */
  harvest(max: number, out: number[]): number {
    this.prune();
    const list = this.entries;
    const reported: EpollEntry[] = [];
    let n = 0;
    for (let i = 0; i < list.length && n < max; i++) {
      const e = list[i];
      const r = e.ready();
      if (r === 0 || e.edge) e.fired = false;
      if (r === 0) continue;
      out.push(r, e.dataLo, e.dataHi);
      n++;
      if ((e.events & EPOLLONESHOT) !== 0) e.disabled = true;
      else if ((e.events & EPOLLET) === 0) reported.push(e);
    }
    // Level-triggered entries that were reported go to the back, for fairness.
    for (const e of reported) {
      list.splice(list.indexOf(e), 1);
      list.push(e);
    }
    return n;
  }

  /** Host fds behind watched files and what to wait for on them. */
  hostFds(fds: number[], events: number[]): void {
    for (const e of this.entries) {
      if (e.disabled) continue;
      if (e.file instanceof EpollFile) {
        e.file.hostFds(fds, events);
        continue;
      }
      const h = e.file.hostFd;
      if (h < 0) continue;
      const i = fds.indexOf(h);
      if (i >= 0) events[i] |= e.events & 0x7;
      else {
        fds.push(h);
        events.push(e.events & 0x7);
      }
    }
  }

  /** True if target is this instance or reachable from it (loop check for ADD). */
  reaches(target: EpollFile, depth = 0): boolean {
    if (target === this || depth > 5) return true;
    for (const e of this.entries) if (e.file instanceof EpollFile && e.file.reaches(target, depth + 1)) return true;
    return false;
  }

  override readiness(mask: number): number {
    this.prune();
    for (const e of this.entries) if (e.ready() !== 0) return mask & (EVENT_IN | EVENT_RDNORM);
    return 0;
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
  }

  override get hostFd(): number {
    // An epoll watching host fds: a poller of this epoll cannot wait on them through one fd;
    // the first one is the best single answer (epoll_wait itself waits on all of them).
    for (const e of this.entries) if (e.file.hostFd >= 0) return e.file.hostFd;
    return -1;
  }

  override read(): number {
    return -22; // EINVAL
  }

  override write(): number {
    return -22;
  }

  protected override release(): void {
    for (const e of this.entries) e.detach();
    this.entries = [];
  }

  override get anonName(): string {
    return 'anon_inode:[eventpoll]';
  }
}
