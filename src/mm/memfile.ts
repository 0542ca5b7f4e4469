// The memory file: one sparse memfd (or an operator-named host file, --overlay
// file:PATH) holding every page of app memory and of shared file data. The stubs map
// ranges of it into app address spaces; the sentry maps it into its own address
// space in 1 GiB chunks (lazily), so copy-in/copy-out is a plain typed-array copy.
//
// Offsets are handed out by a first-fit allocator over page-aligned ranges. Freed
// ranges have their pages punched out of the file, which returns the memory to the
// host at once.
import * as native from '../platform/host';
import { PAGE_SIZE } from '../platform/layout';

const FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;
const CHUNK_SHIFT = 30;
const CHUNK = 2 ** CHUNK_SHIFT;
/** Offset space of the file: sparse, so its size costs nothing. */
const FILE_SIZE = 2 ** 46;
/** The same for a host file: within ext4's 16 TiB file size limit. */
const HOST_FILE_SIZE = 2 ** 43;

interface Range {
  off: number;
  len: number;
}

export class OutOfMemory extends Error {}

export class MemoryFile {
  readonly fd: number;
  private readonly chunks: (Buffer | undefined)[] = [];
  /** Int32 views of the chunks, for atomic operations on futex words. */
  private readonly words: (Int32Array | undefined)[] = [];
  private readonly free: Range[] = [];
  private top = 0;
  /** Bytes currently allocated (for /proc/meminfo and limits). */
  allocated = 0;

  /** The size of the offset space. */
  readonly size: number;

  /** A memfd, or the host file at path (the operator's: created or emptied). */
  constructor(path?: string) {
    this.size = path === undefined ? FILE_SIZE : HOST_FILE_SIZE;
    const fd = path === undefined ? native.memfdCreate('tsvisor-memory', FILE_SIZE) : native.dataFileCreate(path, HOST_FILE_SIZE);
    if (fd < 0) throw new Error(`${path === undefined ? 'memfd_create' : `cannot create ${path}`}: errno ${-fd}`);
    this.fd = fd;
  }

  /** The sentry's view of the chunk holding offset off. */
  chunk(off: number): Buffer {
    const idx = Math.floor(off / CHUNK);
    let c = this.chunks[idx];
    if (c === undefined) {
      const ab = native.mapShared(this.fd, idx * CHUNK, CHUNK);
      if (typeof ab === 'number') throw new Error(`cannot map the memory file: errno ${-ab}`);
      c = Buffer.from(ab);
      this.chunks[idx] = c;
    }
    return c;
  }

  /**
   * The Int32Array over the chunk holding off (4-byte aligned), for Atomics: V8 turns
   * them into locked instructions, atomic against app threads touching the same page.
   * The word's index is chunkOffset(off) / 4.
   */
  words32(off: number): Int32Array {
    const idx = Math.floor(off / CHUNK);
    let w = this.words[idx];
    if (w === undefined) {
      const c = this.chunk(off);
      w = new Int32Array(c.buffer, c.byteOffset, c.length >> 2);
      this.words[idx] = w;
    }
    return w;
  }

  /** Allocates len bytes (a multiple of the page size). */
  alloc(len: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.len >= len) {
        const off = r.off;
        if (r.len === len) this.free.splice(i, 1);
        else {
          r.off += len;
          r.len -= len;
        }
        this.allocated += len;
        return off;
      }
    }
    if (this.top + len > this.size) throw new OutOfMemory('memory file exhausted');
    const off = this.top;
    this.top += len;
    this.allocated += len;
    return off;
  }

  /** Grows the allocation [off, off+oldLen) in place to newLen if the space after it is free. */
  tryExtend(off: number, oldLen: number, newLen: number): boolean {
    const end = off + oldLen, need = newLen - oldLen;
    if (end === this.top) {
      if (this.top + need > this.size) return false;
      this.top += need;
      this.allocated += need;
      return true;
    }
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.off === end && r.len >= need) {
        if (r.len === need) this.free.splice(i, 1);
        else {
          r.off += need;
          r.len -= need;
        }
        this.allocated += need;
        return true;
      }
      if (r.off > end) break;
    }
    return false;
  }

  /** Returns a range to the allocator and drops its pages. */
  release(off: number, len: number): void {
    if (len <= 0) return;
    this.punch(off, len);
    this.allocated -= len;
    if (off + len === this.top) {
      this.top = off;
      // absorb a free range that now ends at the top
      const last = this.free[this.free.length - 1];
      if (last !== undefined && last.off + last.len === this.top) {
        this.top = last.off;
        this.free.pop();
      }
      return;
    }
    // insert sorted, coalescing with neighbours
    let i = 0;
    while (i < this.free.length && this.free[i].off < off) i++;
    const prev = this.free[i - 1], next = this.free[i];
    if (prev !== undefined && prev.off + prev.len === off) {
      prev.len += len;
      if (next !== undefined && prev.off + prev.len === next.off) {
        prev.len += next.len;
        this.free.splice(i, 1);
      }
    } else if (next !== undefined && off + len === next.off) {
      next.off = off;
      next.len += len;
    } else {
      this.free.splice(i, 0, { off, len });
    }
  }

  /**
   * Allocates the host pages of a range now (MAP_POPULATE). Each page is written once:
   * shmem counts fallocated-but-unwritten pages as holes, and mincore must see them.
   */
  populate(off: number, len: number): void {
    for (let p = off; p < off + len; p += PAGE_SIZE) {
      const c = this.chunk(p);
      c[p % CHUNK] = c[p % CHUNK]; // a write of what is there: allocates, changes nothing
    }
  }

  /** Zeroes pages by dropping them (reads then see zeroes). */
  punch(off: number, len: number): void {
    native.fallocate(this.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
  }

  /** True when some page of [off, off+len) has been touched (holds data). */
  resident(off: number): boolean {
    const r = native.lseek(this.fd, off, 3 /* SEEK_DATA */);
    return r >= 0 && r < off + PAGE_SIZE;
  }

  /** Bytes of [off, off+len) that hold data (SEEK_DATA/SEEK_HOLE extents; page granular). */
  dataBytes(off: number, len: number): number {
    const end = off + len;
    let at = off, n = 0;
    while (at < end) {
      const data = native.lseek(this.fd, at, 3 /* SEEK_DATA */);
      if (data < 0 || data >= end) break;
      let hole = native.lseek(this.fd, data, 4 /* SEEK_HOLE */);
      if (hole < 0 || hole > end) hole = end;
      n += hole - data;
      at = hole;
    }
    return n;
  }

  read(off: number, dst: Uint8Array, dstOff: number, len: number): void {
    while (len > 0) {
      const c = this.chunk(off);
      const co = off % CHUNK;
      const n = Math.min(len, CHUNK - co);
      dst.set(c.subarray(co, co + n), dstOff);
      off += n;
      dstOff += n;
      len -= n;
    }
  }

  write(off: number, src: Uint8Array, srcOff: number, len: number): void {
    while (len > 0) {
      const c = this.chunk(off);
      const co = off % CHUNK;
      const n = Math.min(len, CHUNK - co);
      c.set(src.subarray(srcOff, srcOff + n), co);
      off += n;
      srcOff += n;
      len -= n;
    }
  }

  fill(off: number, value: number, len: number): void {
    while (len > 0) {
      const c = this.chunk(off);
      const co = off % CHUNK;
      const n = Math.min(len, CHUNK - co);
      c.fill(value, co, co + n);
      off += n;
      len -= n;
    }
  }

  /** Copies len bytes between two ranges of the file. */
  copy(dstOff: number, srcOff: number, len: number): void {
    while (len > 0) {
      const n = Math.min(len, CHUNK - (srcOff % CHUNK), CHUNK - (dstOff % CHUNK));
      const s = this.chunk(srcOff), so = srcOff % CHUNK;
      this.chunk(dstOff).set(s.subarray(so, so + n), dstOff % CHUNK);
      srcOff += n;
      dstOff += n;
      len -= n;
    }
  }

  /**
   * Like copy, but only the extents that hold data (SEEK_DATA/SEEK_HOLE): untouched
   * pages stay holes in the destination, so copying a large sparse mapping is cheap.
   */
  copyData(dstOff: number, srcOff: number, len: number): void {
    const end = srcOff + len;
    let at = srcOff;
    while (at < end) {
      const data = native.lseek(this.fd, at, 3 /* SEEK_DATA */);
      if (data < 0 || data >= end) return;
      let hole = native.lseek(this.fd, data, 4 /* SEEK_HOLE */);
      if (hole < 0 || hole > end) hole = end;
      this.copy(dstOff + (data - srcOff), data, hole - data);
      at = hole;
    }
  }

  /** Offset within its chunk, and how many bytes from off stay inside that chunk. */
  static chunkOffset(off: number): number {
    return off % CHUNK;
  }
  static chunkRoom(off: number): number {
    return CHUNK - (off % CHUNK);
  }
}
