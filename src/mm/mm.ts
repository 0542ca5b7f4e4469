// One app address space as the sentry sees it: the VMA table (the truth for
// /proc/pid/maps, fork and mremap), brk, and copy-in/copy-out through the memory file.
// The platform's host mappings are kept equal to this table on every change.
//
// Every VMA is backed by one contiguous range of the memory file (memOff). Anonymous
// memory gets a fresh range; a private file mapping gets a range filled with the
// file's bytes when it is mapped. Pages are only allocated by the host when touched.
import * as E from '../abi/errno';
import { AddressSpace } from '../platform/platform';
import { PAGE_MASK, PAGE_SIZE, TASK_SIZE } from '../platform/layout';
import { MemoryFile } from './memfile';

export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4, PROT_GROWSDOWN = 0x01000000, PROT_GROWSUP = 0x02000000;
export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_TYPE = 0x0f,
  MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x800,
  MAP_EXECUTABLE = 0x1000, MAP_LOCKED = 0x2000, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000,
  MAP_NONBLOCK = 0x10000, MAP_STACK = 0x20000, MAP_HUGETLB = 0x40000, MAP_SYNC = 0x80000,
  MAP_FIXED_NOREPLACE = 0x100000;
export const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;

/** What a file offers to be mapped (implemented by vfs file descriptions). */
export interface MapSource {
  /** Reads file bytes at pos into dst; returns the count (short at EOF) or -errno. */
  readForMap(dst: Uint8Array, dstOff: number, len: number, pos: number): number;
  /** Path shown in /proc/pid/maps, device and inode numbers. */
  readonly mapName: string;
  readonly mapDev: number;
  readonly mapIno: number;
  /** The file's size when mapped, if known: pages wholly past it raise SIGBUS. */
  readonly mapSize?: number;
  /**
   * For files whose data lives in the memory file (mm/shmem.ts): the backing holding
   * file offsets [0, end), grown if needed, so MAP_SHARED maps the file's own pages; or
   * -errno. Absent: MAP_SHARED gets a private copy of the bytes.
   */
  sharedBacking?(mf: MemoryFile, end: number): Backing | number;
  /** Shared mappings may not be writable (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE). */
  readonly writeSealed?: boolean;
}

/**
 * A range of the memory file that VMAs map (parts of). `users` counts the address
 * spaces mapping it: more than one only after fork, and then private VMAs over it are
 * copy-on-write. The range goes back to the allocator when the last user drops it.
 */
export class Backing {
  users = 1;
  /** For a file's pages (mm/shmem.ts): the address spaces that have mapped them. */
  mappers: Set<MM> | null = null;
  constructor(
    readonly off: number,
    public len: number,
  ) {}
}

export class Vma {
  /** Private mapping over a backing that may be shared: host-mapped without PROT_WRITE. */
  cow = false;
  /** madvise: MADV_DONTFORK (not inherited) and MADV_WIPEONFORK (the child sees zeroes). */
  dontFork = false;
  wipeOnFork = false;
  /** First address whose page lies wholly past the end of the mapped file (SIGBUS there). */
  eof = Infinity;
  constructor(
    public backing: Backing,
    public start: number,
    public end: number,
    public prot: number,
    /** MAP_SHARED or MAP_PRIVATE, plus MAP_GROWSDOWN for stacks. */
    public flags: number,
    /** Offset of `start` in the memory file. */
    public memOff: number,
    public file: MapSource | null,
    /** File offset of `start` for file mappings. */
    public fileOff: number,
    /** Highest protection allowed (PROT_WRITE is absent for read-only shared files). */
    public maxProt: number,
    /** "[heap]", "[stack]" or "" (then the file's name, if any). */
    public name: string,
  ) {}

  /** Host protection: a copy-on-write VMA is mapped read-only until the first write. */
  get hostProt(): number {
    return this.cow ? this.prot & ~PROT_WRITE : this.prot;
  }

  clone(): Vma {
    const v = new Vma(this.backing, this.start, this.end, this.prot, this.flags, this.memOff, this.file, this.fileOff,
      this.maxProt, this.name);
    v.cow = this.cow;
    v.dontFork = this.dontFork;
    v.wipeOnFork = this.wipeOnFork;
    v.eof = this.eof;
    return v;
  }

  get shared(): boolean {
    return (this.flags & MAP_TYPE) === MAP_SHARED;
  }
}

const pageUp = (x: number) => Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
const pageDown = (x: number) => Math.floor(x / PAGE_SIZE) * PAGE_SIZE;
const aligned = (x: number) => x % PAGE_SIZE === 0;

export class MM {
  /** Sorted by start, never overlapping. */
  vmas: Vma[] = [];
  private lastHit: Vma | null = null;
  mmapBase = 0;
  brkStart = 0;
  brk = 0;
  /** The brk heap's reservation: [heap] VMAs sit at (addr - brkStart) inside it. */
  private heapBacking: Backing | null = null;
  /** How many VMAs of this MM map each backing. */
  private readonly refs = new Map<Backing, number>();
  /** Where argv and envp live on the initial stack (for /proc/pid/cmdline, environ). */
  argStart = 0;
  argEnd = 0;
  envStart = 0;
  envEnd = 0;
  /** The auxv as the loader wrote it (for /proc/pid/auxv). */
  auxv: number[] = [];
  /** Path of the executable (for /proc/pid/exe). */
  exePath = '';

  // Result of translate(): a run of app memory that is contiguous in the memory file.
  xChunk: Buffer = Buffer.alloc(0);
  xOff = 0;
  xLen = 0;

  constructor(readonly mf: MemoryFile, readonly as: AddressSpace) {}

  // ---- host mappings ---------------------------------------------------------------

  /** Maps v into the host address space as (a range of) the VMA table says. */
  private hostMap(v: Vma, as: AddressSpace = this.as): number {
    const r = as.map(v.start, v.end - v.start, v.hostProt, v.memOff);
    if (r >= 0 && v.eof < v.end) as.protect(Math.max(v.start, v.eof), v.end - Math.max(v.start, v.eof), 0);
    return r;
  }

  /** Re-applies v's host protection (pages past the file's end stay inaccessible). */
  private hostProtect(v: Vma): number {
    const mid = Math.min(Math.max(v.start, v.eof), v.end);
    const r = mid > v.start ? this.as.protect(v.start, mid - v.start, v.hostProt) : 0;
    if (mid < v.end) this.as.protect(mid, v.end - mid, 0);
    return r;
  }

  // ---- lookup ------------------------------------------------------------------

  /** The VMA containing addr, or null. */
  find(addr: number): Vma | null {
    const h = this.lastHit;
    if (h !== null && addr >= h.start && addr < h.end) return h;
    const v = this.vmas;
    let lo = 0, hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = v[mid];
      if (addr < m.start) hi = mid - 1;
      else if (addr >= m.end) lo = mid + 1;
      else {
        this.lastHit = m;
        return m;
      }
    }
    return null;
  }

  /** Index of the first VMA whose end is above addr. */
  private indexAfter(addr: number): number {
    const v = this.vmas;
    let lo = 0, hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid].end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private overlaps(start: number, end: number): boolean {
    const i = this.indexAfter(start);
    return i < this.vmas.length && this.vmas[i].start < end;
  }

  private insert(vma: Vma): void {
    const i = this.indexAfter(vma.start);
    this.vmas.splice(i, 0, vma);
    this.addRef(vma.backing);
  }

  private addRef(b: Backing): void {
    this.refs.set(b, (this.refs.get(b) ?? 0) + 1);
  }

  /** One VMA of this MM stopped mapping b; the last user of b frees it. */
  private dropRef(b: Backing): void {
    const n = (this.refs.get(b) ?? 1) - 1;
    if (n > 0) {
      this.refs.set(b, n);
      return;
    }
    this.refs.delete(b);
    if (b === this.heapBacking) return; // kept while the heap may grow into it again
    this.releaseBacking(b);
  }

  private releaseBacking(b: Backing): void {
    if (--b.users === 0) this.mf.release(b.off, b.len);
  }

  /** A fresh backing of len bytes, counted as used by this MM once a VMA refers to it. */
  private newBacking(len: number): Backing {
    return new Backing(this.mf.alloc(len), len);
  }

  /** Highest free gap of len bytes below `below` (top-down, like Linux's default layout). */
  findFree(len: number, below: number): number {
    let top = Math.min(below, TASK_SIZE);
    for (let i = this.indexAfter(top) - 1; i >= -1; i--) {
      const floor = i >= 0 ? this.vmas[i].end : PAGE_SIZE * 16;
      if (i >= 0 && this.vmas[i].start >= top) continue;
      if (top - floor >= len) return top - len;
      if (i >= 0) top = Math.min(top, this.vmas[i].start);
    }
    return -E.ENOMEM;
  }

  // ---- mapping -----------------------------------------------------------------

  /**
   * mmap(2) after the caller has checked the file's access mode. Returns the address
   * or -errno. maxProt limits later mprotect (no PROT_WRITE for read-only shared files).
   */
  mmap(addr: number, len: number, prot: number, flags: number, file: MapSource | null, off: number, maxProt = 7): number {
    if (len === 0) return -E.EINVAL;
    if (len < 0) return -E.ENOMEM; // a length past 2^63 as the kernel sees it: rounds to nothing
    const type = flags & MAP_TYPE;
    if (type !== MAP_SHARED && type !== MAP_PRIVATE && (type !== MAP_SHARED_VALIDATE || file === null)) return -E.EINVAL;
    if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) !== 0) return -E.EINVAL;
    prot &= 7;
    if (!aligned(off)) return -E.EINVAL;
    const size = pageUp(len);
    if (size > TASK_SIZE) return -E.ENOMEM;
    const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
    if (fixed) {
      if (!aligned(addr)) return -E.EINVAL;
      if (addr + size > TASK_SIZE || addr < PAGE_SIZE) return (flags & MAP_FIXED) !== 0 && addr + size <= TASK_SIZE ? -E.EPERM : -E.ENOMEM;
      if (this.overlaps(addr, addr + size)) {
        if ((flags & MAP_FIXED) === 0) return -E.EEXIST;
        this.munmap(addr, size);
      }
    } else {
      const hint = pageDown(addr);
      if (hint >= PAGE_SIZE * 16 && hint + size <= TASK_SIZE && !this.overlaps(hint, hint + size)) addr = hint;
      else {
        addr = this.findFree(size, this.mmapBase);
        if (addr < 0) return addr;
      }
    }
    const shared = type !== MAP_PRIVATE;
    if (file !== null && file.sharedBacking !== undefined) {
      return this.mmapFilePages(addr, size, prot, flags, file, off, maxProt, shared);
    }
    const b = this.newBacking(size);
    if (file !== null) {
      const r = this.fillFromFile(b.off, size, file, off);
      if (r < 0) {
        this.mf.release(b.off, size);
        return r;
      }
    }
    const vma = new Vma(b, addr, addr + size, prot, (shared ? MAP_SHARED : MAP_PRIVATE) | (flags & MAP_GROWSDOWN), b.off,
      file, off, maxProt, '');
    if (file !== null && file.mapSize !== undefined) vma.eof = addr + Math.max(0, pageUp(file.mapSize) - off);
    const r = this.hostMap(vma);
    if (r < 0) {
      this.mf.release(b.off, size);
      return r;
    }
    this.insert(vma);
    if ((flags & (MAP_POPULATE | MAP_LOCKED)) !== 0 && (flags & MAP_NONBLOCK) === 0) this.mf.populate(b.off, size);
    return addr;
  }

  /**
   * A mapping of a file whose pages are in the memory file: map those very pages. A
   * shared mapping writes them; a private one is copy-on-write over them (it sees the
   * file's changes until its first write, which gives the VMA pages of its own).
   */
  private mmapFilePages(addr: number, size: number, prot: number, flags: number, file: MapSource, off: number,
    maxProt: number, shared: boolean): number {
    const b = (file.sharedBacking as (mf: MemoryFile, end: number) => Backing | number)(this.mf, off + size);
    if (typeof b === 'number') return b;
    const memOff = b.off + off;
    // Pages wholly past the end of the file fault with SIGBUS; the file keeps the
    // boundary current as it grows or shrinks (fileResized).
    const vma = new Vma(b, addr, addr + size, prot, shared ? MAP_SHARED : MAP_PRIVATE, memOff, file, off, maxProt, '');
    vma.cow = !shared;
    if (file.mapSize !== undefined) vma.eof = addr + Math.max(0, pageUp(file.mapSize) - off);
    const r = this.hostMap(vma);
    if (r < 0) return r;
    if (!this.refs.has(b)) b.users++;
    b.mappers?.add(this);
    this.insert(vma);
    if (shared && (flags & (MAP_POPULATE | MAP_LOCKED)) !== 0 && (flags & MAP_NONBLOCK) === 0) {
      this.mf.populate(memOff, size);
    }
    return addr;
  }

  /** A file whose pages b holds now has size bytes: move the SIGBUS boundary of the VMAs over them. */
  fileResized(b: Backing, size: number): void {
    for (const v of this.vmas) {
      if (v.backing !== b) continue;
      const eof = v.start + Math.max(0, pageUp(size) - v.fileOff);
      if (eof === v.eof) continue;
      v.eof = eof;
      this.hostProtect(v);
    }
  }

  /** Whether some VMA maps (part of) b. */
  maps(b: Backing): boolean {
    return this.refs.has(b);
  }

  /** Whether some shared VMA over b may be made writable (Linux's VM_SHARED|VM_MAYWRITE). */
  mapsSharedWritable(b: Backing): boolean {
    if (!this.refs.has(b)) return false;
    for (const m of this.vmas) if (m.backing === b && m.shared && (m.maxProt & PROT_WRITE) !== 0) return true;
    return false;
  }

  /** Copies file bytes [off, off+size) into the memory file; the rest stays zero. */
  private fillFromFile(memOff: number, size: number, file: MapSource, off: number): number {
    let done = 0;
    while (done < size) {
      const at = memOff + done;
      const n = Math.min(size - done, MemoryFile.chunkRoom(at));
      const r = file.readForMap(this.mf.chunk(at), MemoryFile.chunkOffset(at), n, off + done);
      if (r < 0) return r;
      if (r === 0) break;
      done += r;
    }
    return 0;
  }

  /**
   * Removes [start, end) from the table, splitting VMAs. Pages only this MM maps are
   * punched out of the memory file at once; a backing goes back to the allocator when
   * no VMA anywhere maps it any more.
   */
  private removeRange(start: number, end: number): void {
    const v = this.vmas;
    let i = this.indexAfter(start);
    while (i < v.length && v[i].start < end) {
      const m = v[i];
      const cutStart = Math.max(m.start, start), cutEnd = Math.min(m.end, end);
      if (m.backing.users === 1) this.mf.punch(m.memOff + (cutStart - m.start), cutEnd - cutStart);
      if (m.start < cutStart && m.end > cutEnd) {
        const tail = m.clone();
        tail.start = cutEnd;
        tail.memOff = m.memOff + (cutEnd - m.start);
        tail.fileOff = m.fileOff + (cutEnd - m.start);
        m.end = cutStart;
        v.splice(i + 1, 0, tail);
        this.addRef(tail.backing);
        break;
      } else if (m.start < cutStart) {
        m.end = cutStart;
        i++;
      } else if (m.end > cutEnd) {
        m.fileOff += cutEnd - m.start;
        m.memOff += cutEnd - m.start;
        m.start = cutEnd;
        break;
      } else {
        v.splice(i, 1);
        this.dropRef(m.backing);
      }
    }
    this.lastHit = null;
  }

  munmap(addr: number, len: number): number {
    if (!aligned(addr) || len <= 0 || addr < 0 || addr + len > TASK_SIZE) return -E.EINVAL;
    const end = addr + pageUp(len);
    if (!this.overlaps(addr, end)) return 0;
    this.removeRange(addr, end);
    this.as.unmap(addr, end - addr);
    return 0;
  }

  mprotect(addr: number, len: number, prot: number): number {
    if (!aligned(addr)) return -E.EINVAL;
    if ((prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) !== 0) return -E.EINVAL;
    if ((prot & PROT_GROWSDOWN) !== 0 && (prot & PROT_GROWSUP) !== 0) return -E.EINVAL;
    const growsdown = (prot & PROT_GROWSDOWN) !== 0;
    prot &= 7;
    if (len === 0) return 0;
    const end = addr + pageUp(len);
    if (growsdown) {
      const first = this.find(addr);
      if (first === null || (first.flags & MAP_GROWSDOWN) === 0) return -E.EINVAL;
    }
    if (end > TASK_SIZE || end < addr) return -E.ENOMEM;
    // The whole range must be mapped, and the new protection allowed everywhere.
    let at = addr;
    for (let i = this.indexAfter(addr); at < end; i++) {
      const m = this.vmas[i];
      if (m === undefined || m.start > at) return -E.ENOMEM;
      if ((prot & ~m.maxProt) !== 0) return -E.EACCES;
      at = m.end;
    }
    this.splitAt(addr);
    this.splitAt(end);
    for (let i = this.indexAfter(addr); i < this.vmas.length && this.vmas[i].start < end; i++) {
      const m = this.vmas[i];
      m.prot = prot;
      const r = this.hostProtect(m);
      if (r < 0) return r;
    }
    return 0;
  }

  /** Ensures a VMA boundary at addr. */
  private splitAt(addr: number): void {
    const m = this.find(addr);
    if (m === null || m.start === addr) return;
    const i = this.vmas.indexOf(m);
    const tail = m.clone();
    tail.start = addr;
    tail.memOff = m.memOff + (addr - m.start);
    tail.fileOff = m.fileOff + (addr - m.start);
    m.end = addr;
    this.vmas.splice(i + 1, 0, tail);
    this.addRef(tail.backing);
    this.lastHit = null;
  }

  // ---- brk -----------------------------------------------------------------------

  /** Sets the initial program break (just after the loaded program's bss). */
  initBrk(at: number): void {
    this.brkStart = this.brk = pageUp(at);
  }

  sysBrk(addr: number): number {
    if (addr < this.brkStart) return this.brk;
    const oldTop = pageUp(this.brk), newTop = pageUp(addr);
    if (newTop === oldTop) {
      this.brk = addr;
      return this.brk;
    }
    if (newTop < oldTop) {
      this.munmap(newTop, oldTop - newTop);
      this.brk = addr;
      return this.brk;
    }
    // Linux keeps a guard page between the heap and the next mapping.
    if (newTop > TASK_SIZE || this.overlaps(oldTop, newTop + PAGE_SIZE)) return this.brk;
    const heap = this.brkStart < oldTop ? this.find(oldTop - 1) : null;
    const grow = newTop - oldTop;
    if (this.heapBacking === null) {
      // Reserve room for the heap so it grows in place; untouched pages cost nothing.
      this.heapBacking = this.newBacking(1 << 30);
    }
    const hb = this.heapBacking;
    if (newTop - this.brkStart > hb.len) return this.brk;
    const memOff = hb.off + (oldTop - this.brkStart);
    if (this.as.map(oldTop, grow, PROT_READ | PROT_WRITE, memOff) < 0) return this.brk;
    if (heap !== null && heap.name === '[heap]' && heap.end === oldTop && heap.backing === hb && !heap.cow) heap.end = newTop;
    else this.insert(new Vma(hb, oldTop, newTop, PROT_READ | PROT_WRITE, MAP_PRIVATE, memOff, null, 0, 7, '[heap]'));
    this.lastHit = null;
    this.brk = addr;
    return this.brk;
  }

  // ---- mremap, madvise, mincore ---------------------------------------------------

  mremap(oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr: number): number {
    if (!aligned(oldAddr)) return -E.EINVAL;
    if ((flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) !== 0) return -E.EINVAL;
    if ((flags & MREMAP_FIXED) !== 0 && (flags & MREMAP_MAYMOVE) === 0) return -E.EINVAL;
    if ((flags & MREMAP_DONTUNMAP) !== 0) return -E.EINVAL; // not supported: see COMPATIBILITY
    oldSize = pageUp(oldSize);
    newSize = pageUp(newSize);
    if (newSize === 0) return -E.EINVAL;
    const m = this.find(oldAddr);
    if (m === null || oldAddr + oldSize > m.end) return -E.EFAULT;
    if (oldSize === 0) {
      // A second view of the same shared pages (only shared mappings can be aliased).
      if (!m.shared || (flags & MREMAP_MAYMOVE) === 0) return -E.EINVAL;
      const memOff = m.memOff + (oldAddr - m.start);
      if (memOff + newSize > m.backing.off + m.backing.len) return -E.EFAULT;
      const dest = (flags & MREMAP_FIXED) !== 0 ? newAddr : this.findFree(newSize, this.mmapBase);
      if (dest < 0) return dest;
      if ((flags & MREMAP_FIXED) !== 0) this.munmap(dest, newSize);
      const v = new Vma(m.backing, dest, dest + newSize, m.prot, m.flags, memOff, m.file, m.fileOff + (oldAddr - m.start),
        m.maxProt, m.name);
      if (this.as.map(dest, newSize, m.prot, memOff) < 0) return -E.ENOMEM;
      this.insert(v);
      return dest;
    }
    if ((flags & MREMAP_FIXED) !== 0) {
      if (!aligned(newAddr) || newAddr + newSize > TASK_SIZE) return -E.EINVAL;
      if (newAddr < oldAddr + oldSize && oldAddr < newAddr + newSize) return -E.EINVAL;
      this.munmap(newAddr, newSize);
      return this.moveRange(m, oldAddr, oldSize, newSize, newAddr);
    }
    if (newSize <= oldSize) {
      if (newSize < oldSize) this.munmap(oldAddr + newSize, oldSize - newSize);
      return oldAddr;
    }
    const grow = newSize - oldSize;
    const tailFree = oldAddr + oldSize === m.end && m.end + grow <= TASK_SIZE && !this.overlaps(m.end, m.end + grow);
    if (tailFree) return this.growInPlace(m, grow) < 0 ? -E.ENOMEM : oldAddr;
    if ((flags & MREMAP_MAYMOVE) === 0) return -E.ENOMEM;
    const dest = this.findFree(newSize, this.mmapBase);
    if (dest < 0) return dest;
    return this.moveRange(m, oldAddr, oldSize, newSize, dest);
  }

  /**
   * Extends m by grow bytes into the free address range after it. The new pages come
   * from m's own backing when that part of it is unused (pages freed by an earlier
   * munmap), or by extending the backing, or else from a fresh backing under a VMA of
   * their own (like two VMAs Linux cannot merge).
   */
  private growInPlace(m: Vma, grow: number): number {
    const b = m.backing;
    const extOff = m.memOff + (m.end - m.start);
    const fileOff = m.fileOff + (m.end - m.start);
    if (m.shared && b.mappers !== null) {
      // A file's shared pages: grow over the next pages of the same file.
      if (extOff + grow > b.off + b.len) return -E.ENOMEM;
      if (this.as.map(m.end, grow, m.hostProt, extOff) < 0) return -E.ENOMEM;
      m.end += grow;
      return 0;
    }
    const own = b !== this.heapBacking && b.users === 1 && !m.cow;
    let usable = own && extOff + grow <= b.off + b.len;
    if (usable) {
      for (const v of this.vmas) {
        if (v !== m && v.backing === b && v.memOff < extOff + grow && extOff < v.memOff + (v.end - v.start)) usable = false;
      }
    } else if (own && this.refs.get(b) === 1 && extOff === b.off + b.len && this.mf.tryExtend(b.off, b.len, b.len + grow)) {
      b.len += grow;
      usable = true;
    }
    if (usable) {
      if (m.file !== null) this.fillFromFile(extOff, grow, m.file, fileOff);
      if (this.as.map(m.end, grow, m.hostProt, extOff) < 0) return -E.ENOMEM;
      m.end += grow;
      return 0;
    }
    const nb = this.newBacking(grow);
    if (m.file !== null) this.fillFromFile(nb.off, grow, m.file, fileOff);
    const tail = new Vma(nb, m.end, m.end + grow, m.prot, m.flags & ~MAP_GROWSDOWN, nb.off, m.file, fileOff, m.maxProt, m.name);
    if (this.as.map(tail.start, grow, tail.prot, nb.off) < 0) {
      this.mf.release(nb.off, grow);
      return -E.ENOMEM;
    }
    this.insert(tail);
    return 0;
  }

  /** Moves [oldAddr, oldAddr+oldSize) of m to dest with newSize, copying its bytes. */
  private moveRange(m: Vma, oldAddr: number, oldSize: number, newSize: number, dest: number): number {
    if (m.shared && m.backing.mappers !== null) {
      // A file's shared pages: the new VMA maps the same pages (no copy).
      const b = m.backing;
      const memOff = m.memOff + (oldAddr - m.start);
      if (memOff + newSize > b.off + b.len) return -E.ENOMEM;
      const v = new Vma(b, dest, dest + newSize, m.prot, m.flags, memOff, m.file, m.fileOff + (oldAddr - m.start),
        m.maxProt, m.name);
      if (m.eof !== Infinity) v.eof = dest + (m.eof - oldAddr);
      if (this.hostMap(v) < 0) return -E.ENOMEM;
      this.insert(v);
      this.munmap(oldAddr, oldSize);
      this.lastHit = null;
      return dest;
    }
    const nb = this.newBacking(newSize);
    const memOff = nb.off;
    const srcOff = m.memOff + (oldAddr - m.start);
    this.mf.copyData(memOff, srcOff, Math.min(oldSize, newSize));
    const fileOff = m.fileOff + (oldAddr - m.start);
    if (m.file !== null && newSize > oldSize) this.fillFromFile(memOff + oldSize, newSize - oldSize, m.file, fileOff + oldSize);
    const vma = new Vma(nb, dest, dest + newSize, m.prot, m.flags, memOff, m.file, fileOff, m.maxProt, m.name === '[heap]' ? '' : m.name);
    if (this.as.map(dest, newSize, m.prot, memOff) < 0) {
      this.mf.release(memOff, newSize);
      return -E.ENOMEM;
    }
    this.munmap(oldAddr, oldSize);
    this.insert(vma);
    this.lastHit = null;
    return dest;
  }

  madvise(addr: number, len: number, advice: number): number {
    if (!aligned(addr) || len < 0) return -E.EINVAL;
    const known = [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 100, 101];
    if (!known.includes(advice)) return -E.EINVAL;
    if (len === 0) return 0;
    const end = addr + pageUp(len);
    if ((advice >= 10 && advice <= 11) || (advice >= 18 && advice <= 19)) {
      // Fork behaviour is a VMA attribute: split at the range's edges and mark.
      this.splitAt(addr);
      this.splitAt(end);
      for (let j = this.indexAfter(addr); j < this.vmas.length && this.vmas[j].start < end; j++) {
        const v = this.vmas[j];
        if (advice === 10) v.dontFork = true;
        else if (advice === 11) v.dontFork = false;
        else if (advice === 18) v.wipeOnFork = true;
        else v.wipeOnFork = false;
      }
    }
    let at = addr, unmappedHole = false;
    for (let i = this.indexAfter(addr); at < end; i++) {
      const m = this.vmas[i];
      if (m === undefined || m.start >= end) {
        unmappedHole = true;
        break;
      }
      if (m.start > at) unmappedHole = true;
      const s = Math.max(m.start, addr), e = Math.min(m.end, end);
      if (advice === 4 /* MADV_DONTNEED */ && !m.shared) {
        if (m.cow) this.breakCow(m);
        // Private pages are dropped: anonymous ones read back as zeroes, file ones as the file.
        this.mf.punch(m.memOff + (s - m.start), e - s);
        if (m.file !== null) this.fillFromFile(m.memOff + (s - m.start), e - s, m.file, m.fileOff + (s - m.start));
      }
      at = m.end;
    }
    return unmappedHole ? -E.ENOMEM : 0;
  }

  /** mincore: writes one byte per page into out (1 = resident); -errno on a hole. */
  mincore(addr: number, len: number, out: Uint8Array): number {
    if (!aligned(addr)) return -E.EINVAL;
    const pages = Math.ceil(len / PAGE_SIZE);
    for (let p = 0; p < pages; p++) {
      const a = addr + p * PAGE_SIZE;
      const m = this.find(a);
      if (m === null) return -E.ENOMEM;
      out[p] = this.mf.resident(m.memOff + (a - m.start)) ? 1 : 0;
    }
    return 0;
  }

  // ---- copy-in / copy-out ---------------------------------------------------------

  /**
   * Finds the run of memory at addr (up to len bytes) that is contiguous in one chunk
   * of the memory file; sets xChunk/xOff/xLen. Returns 0 or -EFAULT.
   */
  translate(addr: number, len: number, write: boolean): number {
    const m = this.find(addr);
    if (m === null || (write ? (m.prot & PROT_WRITE) === 0 : m.prot === 0) || addr >= m.eof) return -E.EFAULT;
    if (write && m.cow) this.breakCow(m);
    const off = m.memOff + (addr - m.start);
    this.xChunk = this.mf.chunk(off);
    this.xOff = MemoryFile.chunkOffset(off);
    this.xLen = Math.min(len, Math.min(m.end, m.eof) - addr, MemoryFile.chunkRoom(off));
    return 0;
  }

  /** Copies len bytes of app memory at addr into dst. 0 or -EFAULT. */
  copyIn(addr: number, dst: Uint8Array, dstOff: number, len: number): number {
    while (len > 0) {
      if (this.translate(addr, len, false) < 0) return -E.EFAULT;
      const n = this.xLen;
      dst.set(this.xChunk.subarray(this.xOff, this.xOff + n), dstOff);
      addr += n;
      dstOff += n;
      len -= n;
    }
    return 0;
  }

  /** Copies len bytes of src into app memory at addr. 0 or -EFAULT. */
  copyOut(addr: number, src: Uint8Array, srcOff: number, len: number): number {
    if (this.checkRange(addr, len, true) < 0) return -E.EFAULT;
    while (len > 0) {
      this.translate(addr, len, true);
      const n = this.xLen;
      this.xChunk.set(src.subarray(srcOff, srcOff + n), this.xOff);
      addr += n;
      srcOff += n;
      len -= n;
    }
    return 0;
  }

  /** Fills len bytes of app memory with zeroes. 0 or -EFAULT. */
  zero(addr: number, len: number): number {
    if (this.checkRange(addr, len, true) < 0) return -E.EFAULT;
    while (len > 0) {
      this.translate(addr, len, true);
      this.xChunk.fill(0, this.xOff, this.xOff + this.xLen);
      addr += this.xLen;
      len -= this.xLen;
    }
    return 0;
  }

  /** The memory-file offset backing addr (futex keys), or -EFAULT. */
  physAddr(addr: number): number {
    const m = this.find(addr);
    if (m === null || m.prot === 0) return -E.EFAULT;
    return m.memOff + (addr - m.start);
  }

  /** Zeroes mapped memory whatever its protection (the loader clearing a bss tail). */
  zeroUnchecked(addr: number, len: number): void {
    while (len > 0) {
      const m = this.find(addr);
      if (m === null) return;
      const n = Math.min(len, m.end - addr);
      this.mf.fill(m.memOff + (addr - m.start), 0, n);
      addr += n;
      len -= n;
    }
  }

  /** 0 when all of [addr, addr+len) is accessible, else -EFAULT. */
  checkRange(addr: number, len: number, write: boolean): number {
    if (len === 0) return 0;
    if (addr < 0 || addr + len > TASK_SIZE || addr + len < addr) return -E.EFAULT;
    let at = addr;
    const end = addr + len;
    while (at < end) {
      const m = this.find(at);
      if (m === null || (write ? (m.prot & PROT_WRITE) === 0 : m.prot === 0)) return -E.EFAULT;
      if (write && m.cow) this.breakCow(m);
      at = m.end;
    }
    return 0;
  }

  /**
   * Reads a NUL-terminated string (as latin1: one char per byte) of at most max bytes
   * including the NUL. Returns the string, -EFAULT, or -ENAMETOOLONG when no NUL fits.
   */
  readCString(addr: number, max: number): string | number {
    let s = '';
    let read = 0;
    while (read < max) {
      if (this.translate(addr, max - read, false) < 0) return -E.EFAULT;
      const c = this.xChunk, o = this.xOff, n = this.xLen;
      const z = c.indexOf(0, o);
      if (z >= 0 && z < o + n) {
        s += c.toString('latin1', o, z);
        return s;
      }
      s += c.toString('latin1', o, o + n);
      read += n;
      addr += n;
    }
    return -E.ENAMETOOLONG;
  }

  /** Reads len bytes into a new Buffer (off the hot path only). */
  readBytes(addr: number, len: number): Buffer | number {
    const b = Buffer.allocUnsafe(len);
    const r = this.copyIn(addr, b, 0, len);
    return r < 0 ? r : b;
  }

  // ---- /proc views ---------------------------------------------------------------------

  /** The text of /proc/pid/maps. */
  mapsText(): string {
    let out = '';
    const hex = (n: number) => n.toString(16).padStart(8, '0');
    for (const m of this.vmas) {
      const perms = (m.prot & PROT_READ ? 'r' : '-') + (m.prot & PROT_WRITE ? 'w' : '-') + (m.prot & PROT_EXEC ? 'x' : '-') +
        (m.shared ? 's' : 'p');
      const dev = m.file ? m.file.mapDev : 0;
      const devStr = `${((dev >> 8) & 0xfff).toString(16).padStart(2, '0')}:${(dev & 0xff).toString(16).padStart(2, '0')}`;
      const ino = m.file ? m.file.mapIno : 0;
      const name = m.name !== '' ? m.name : m.file ? m.file.mapName : '';
      let line = `${hex(m.start)}-${hex(m.end)} ${perms} ${hex(m.file ? m.fileOff : 0)} ${devStr} ${ino}`;
      if (name !== '') line = line.padEnd(73) + name;
      out += line + '\n';
    }
    return out;
  }

  /** Total mapped bytes (VmSize) and private writable bytes (approximate VmData). */
  stats(): { size: number; data: number; stack: number } {
    let size = 0, data = 0, stack = 0;
    for (const m of this.vmas) {
      const l = m.end - m.start;
      size += l;
      if (m.name === '[stack]') stack += l;
      else if (!m.shared && (m.prot & PROT_WRITE)) data += l;
    }
    return { size, data, stack };
  }

  // ---- fork and copy-on-write ----------------------------------------------------------

  /**
   * A copy of this address space for fork, in as. Shared mappings share their pages;
   * private ones become copy-on-write in both: host-mapped read-only until the first
   * write, which copies the VMA's touched pages (breakCow).
   */
  fork(as: AddressSpace): MM {
    const c = new MM(this.mf, as);
    c.mmapBase = this.mmapBase;
    c.brkStart = this.brkStart;
    c.brk = this.brk;
    c.argStart = this.argStart;
    c.argEnd = this.argEnd;
    c.envStart = this.envStart;
    c.envEnd = this.envEnd;
    c.auxv = this.auxv;
    c.exePath = this.exePath;
    // The child uses every backing the parent does, except those only DONTFORK VMAs map.
    const inherited = new Set<Backing>();
    for (const m of this.vmas) if (!m.dontFork && !(m.wipeOnFork && !m.shared)) inherited.add(m.backing);
    for (const b of inherited) {
      b.users++;
      b.mappers?.add(c);
    }
    if (this.heapBacking !== null) {
      c.heapBacking = this.heapBacking;
      if (!this.refs.has(this.heapBacking)) this.heapBacking.users++;
    }
    for (const m of this.vmas) {
      if (!m.shared && (m.prot & PROT_WRITE) !== 0 && !m.cow) {
        m.cow = true;
        this.hostProtect(m);
      } else if (!m.shared) {
        m.cow = true; // read-only now, but mprotect may make it writable later
      }
      if (m.dontFork) continue;
      const v = m.clone();
      if (v.wipeOnFork && !v.shared) {
        // The child gets fresh zero pages instead of a copy.
        const nb = new Backing(this.mf.alloc(v.end - v.start), v.end - v.start);
        v.backing = nb;
        v.memOff = nb.off;
        v.cow = false;
        v.file = null;
        v.eof = Infinity;
      }
      c.vmas.push(v);
      c.addRef(v.backing);
      c.hostMap(v);
    }
    return c;
  }

  /**
   * Gives m pages of its own. If nobody else maps its backing any more, the pages are
   * already private and only the host protection changes; otherwise the touched pages
   * of m's range are copied to a fresh backing (for the heap, a fresh reservation with
   * the heap at the same offset, so brk keeps growing in place).
   */
  breakCow(m: Vma): void {
    const b = m.backing;
    m.cow = false;
    if (b.users === 1) {
      this.hostProtect(m);
      return;
    }
    const len = m.end - m.start;
    let nb: Backing;
    let memOff: number;
    if (b === this.heapBacking) {
      nb = this.newBacking(b.len);
      memOff = nb.off + (m.memOff - b.off);
      this.heapBacking = nb; // the old reservation lives on while other [heap] VMAs map it
    } else {
      nb = this.newBacking(len);
      memOff = nb.off;
    }
    this.mf.copyData(memOff, m.memOff, len);
    m.backing = nb;
    m.memOff = memOff;
    this.addRef(nb);
    this.dropRef(b);
    this.hostMap(m);
  }

  /**
   * A fault the sentry may resolve itself: a write to a copy-on-write page. Returns
   * true when it did (the app just retries the instruction).
   */
  /** True when addr lies in a file mapping past the file's last page (SIGBUS, not SIGSEGV). */
  pastEof(addr: number): boolean {
    const m = this.find(addr);
    return m !== null && addr >= m.eof;
  }

  handleFault(addr: number, accessError: boolean): boolean {
    const m = this.find(addr);
    if (m === null || !accessError || (m.prot & PROT_WRITE) === 0) return false;
    // Not copy-on-write any more: another thread's call broke the sharing after this
    // fault was raised (threads run in parallel). The retry will find the page writable.
    if (!m.cow) return true;
    this.breakCow(m);
    return true;
  }

  /** Thread groups using this address space (a vfork child borrows its parent's). */
  private users = 1;

  incUsers(): void {
    this.users++;
  }

  sharedWithOthers(): boolean {
    return this.users > 1;
  }

  /** Drops one user; the last one releases everything. */
  decUsers(): void {
    if (--this.users === 0) this.release();
  }

  /** Unmaps everything and releases the address space (exit or exec). */
  release(): void {
    for (const b of this.refs.keys()) if (b !== this.heapBacking) this.releaseBacking(b);
    if (this.heapBacking !== null) this.releaseBacking(this.heapBacking);
    this.refs.clear();
    this.heapBacking = null;
    this.vmas = [];
    this.lastHit = null;
    this.as.release();
  }
}
