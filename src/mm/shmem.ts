// File data kept in the memory file (Linux's shmem: memfd, and tmpfs files once they are
// mapped shared). The bytes of file offset x live at memory-file offset backing.off + x,
// so every MAP_SHARED mapping of the file maps those same pages (in any process), and
// read()/write() on the file go through the sentry's own mapping of them: one copy of the
// data, coherent between all of them, as a page cache gives on Linux.
//
// The range is a reservation (sparse: untouched pages cost nothing). It grows by moving
// the data while nothing maps it, and in place (when the space after it is free) while
// something does; when neither works the write or truncate fails with ENOSPC.
import * as E from '../abi/errno';
import { PAGE_SIZE } from '../platform/layout';
import { MemoryFile } from './memfile';
import { Backing, MM } from './mm';

const MIN_RESERVE = 64 * 1024;
const pageUp = (x: number) => Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;

export class FileMemory {
  /** The reservation; users counts the file itself plus every address space mapping it. */
  backing: Backing;
  private freed = false;

  constructor(readonly mf: MemoryFile, size: number) {
    const cap = Math.max(MIN_RESERVE, pageUp(size));
    this.backing = FileMemory.newBacking(mf, cap);
  }

  private static newBacking(mf: MemoryFile, cap: number): Backing {
    const b = new Backing(mf.alloc(cap), cap);
    b.mappers = new Set<MM>();
    return b;
  }

  get capacity(): number {
    return this.backing.len;
  }

  /** Makes file offsets [0, end) addressable; 0 or -ENOSPC. */
  ensure(end: number): number {
    const b = this.backing;
    if (end <= b.len) return 0;
    let cap = Math.max(pageUp(end), b.len * 2);
    if (b.users <= 1) {
      // Nothing maps the data: move it to a bigger range.
      let off: number;
      try {
        off = this.mf.alloc(cap);
      } catch {
        return -E.ENOSPC;
      }
      const nb = new Backing(off, cap);
      nb.mappers = new Set<MM>();
      this.mf.copyData(off, b.off, b.len);
      this.mf.release(b.off, b.len);
      this.backing = nb;
      return 0;
    }
    // Mapped: the pages cannot move. Grow in place if the space after them is free.
    if (this.mf.tryExtend(b.off, b.len, cap)) {
      b.len = cap;
      return 0;
    }
    cap = pageUp(end);
    if (this.mf.tryExtend(b.off, b.len, cap)) {
      b.len = cap;
      return 0;
    }
    return -E.ENOSPC;
  }

  /** Reads file bytes [pos, pos+len) (zeroes past the reservation). */
  read(pos: number, dst: Uint8Array, dstOff: number, len: number): void {
    const cap = this.backing.len;
    const inside = Math.max(0, Math.min(len, cap - pos));
    if (inside > 0) this.mf.read(this.backing.off + pos, dst, dstOff, inside);
    if (inside < len) dst.fill(0, dstOff + inside, dstOff + len);
  }

  /** Writes file bytes at pos; the caller has called ensure(pos + len). */
  write(pos: number, src: Uint8Array, srcOff: number, len: number): void {
    this.mf.write(this.backing.off + pos, src, srcOff, len);
  }

  /** Zeroes file bytes [from, to): partial pages are cleared, whole pages dropped. */
  zero(from: number, to: number): void {
    to = Math.min(to, this.backing.len);
    if (from >= to) return;
    const off = this.backing.off;
    const a = pageUp(from);
    const z = Math.floor(to / PAGE_SIZE) * PAGE_SIZE;
    if (a >= z) {
      this.mf.fill(off + from, 0, to - from);
      return;
    }
    if (from < a) this.mf.fill(off + from, 0, a - from);
    this.mf.punch(off + a, z - a);
    if (z < to) this.mf.fill(off + z, 0, to - z);
  }

  /** Bytes of data pages actually present up to size (st_blocks). */
  resident(size: number): number {
    return this.mf.dataBytes(this.backing.off, Math.min(pageUp(size), this.backing.len));
  }

  /** Whether some address space maps the data shared and may write it (F_SEAL_WRITE's EBUSY). */
  writablyMapped(): boolean {
    const b = this.backing;
    const m = b.mappers;
    if (m === null) return false;
    for (const mm of m) {
      if (!mm.maps(b)) m.delete(mm);
      else if (mm.mapsSharedWritable(b)) return true;
    }
    return false;
  }

  /** The file's size changed: shared mappings move their SIGBUS boundary. */
  resized(size: number): void {
    const b = this.backing;
    const m = b.mappers;
    if (m === null || m.size === 0) return;
    for (const mm of m) {
      if (!mm.maps(b)) m.delete(mm);
      else mm.fileResized(b, size);
    }
  }

  /** The file is gone (no name, no open description): its hold on the pages ends. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    const b = this.backing;
    if (--b.users === 0) this.mf.release(b.off, b.len);
  }
}
