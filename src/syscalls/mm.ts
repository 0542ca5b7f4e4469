// Memory syscalls: mmap, munmap, mprotect, brk, mremap, madvise, mincore, msync.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { MNT_NOEXEC } from '../vfs/mount';
import { MAP_ANONYMOUS, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, PROT_READ, PROT_WRITE, PROT_EXEC, MapSource } from '../mm/mm';
import { PAGE_SIZE } from '../platform/layout';
import { NR } from './names';
import { SyscallTable } from './table';

/** Flags MAP_SHARED_VALIDATE accepts; any other bit must fail with EOPNOTSUPP. */
const KNOWN_MAP_FLAGS = 0x3 | 0x10 | 0x20 | 0x100 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 |
  0x40000 | 0x80000 | 0x100000 | (0x3f << 26);

function mmap(t: Task, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  flags |= 0;
  prot |= 0;
  fd |= 0;
  if (len === 0) return -E.EINVAL;
  if ((flags & MAP_TYPE) === MAP_SHARED_VALIDATE && (flags & ~KNOWN_MAP_FLAGS) !== 0) return -E.EOPNOTSUPP;
  if (off < 0 || off % PAGE_SIZE !== 0) return -E.EINVAL;
  let src: MapSource | null = null;
  let maxProt = PROT_READ | PROT_WRITE | PROT_EXEC;
  if ((flags & MAP_ANONYMOUS) === 0) {
    const f = t.fdTable.get(fd);
    if (f === null) return -E.EBADF;
    const shared = (flags & MAP_TYPE) !== 0x02;
    src = f.mapSource();
    if (src === null) return -E.ENODEV;
    if (!f.readable) return -E.EACCES;
    if (shared && !f.writable) {
      if ((prot & PROT_WRITE) !== 0) return -E.EACCES;
      maxProt &= ~PROT_WRITE;
    }
    // A noexec mount's files cannot be mapped executable, now or later (Linux: EPERM, then
    // mprotect's EACCES).
    if ((f.mnt.flags & MNT_NOEXEC) !== 0) {
      if ((prot & PROT_EXEC) !== 0) return -E.EPERM;
      maxProt &= ~PROT_EXEC;
    }
    if (shared && src.writeSealed === true) {
      // memfd F_SEAL_WRITE/F_SEAL_FUTURE_WRITE: no writable shared mapping, now or later.
      if ((prot & PROT_WRITE) !== 0) return -E.EPERM;
      maxProt &= ~PROT_WRITE;
    }
    if (off + len > 2 ** 63) return -E.EOVERFLOW;
  } else {
    off = 0;
  }
  return t.mm.mmap(addr, len, prot, flags, src, off, maxProt);
}

function munmap(t: Task, addr: number, len: number): number {
  return t.mm.munmap(addr, len);
}

function mprotect(t: Task, addr: number, len: number, prot: number): number {
  return t.mm.mprotect(addr, len, prot | 0);
}

function brk(t: Task, addr: number): number {
  return t.mm.sysBrk(addr);
}

function mremap(t: Task, oldAddr: number, oldSize: number, newSize: number, flags: number, newAddr: number): number {
  return t.mm.mremap(oldAddr, oldSize, newSize, flags | 0, newAddr);
}

function madvise(t: Task, addr: number, len: number, advice: number): number {
  return t.mm.madvise(addr, len, advice | 0);
}

function mincore(t: Task, addr: number, len: number, vec: number): number {
  if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
  const pages = Math.ceil(len / PAGE_SIZE);
  if (pages > (1 << 20)) {
    // Do it in slices so a huge query does not need a huge buffer.
    for (let p = 0; p < pages; p += 1 << 20) {
      const n = Math.min(1 << 20, pages - p);
      const r = mincore(t, addr + p * PAGE_SIZE, n * PAGE_SIZE, vec + p);
      if (r < 0) return r;
    }
    return 0;
  }
  const out = Buffer.alloc(pages);
  const r = t.mm.mincore(addr, len, out);
  if (r < 0) return r;
  return t.mm.copyOut(vec, out, 0, pages);
}

function msync(t: Task, addr: number, len: number, flags: number): number {
  flags |= 0;
  const MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;
  if (addr % PAGE_SIZE !== 0 || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0) return -E.EINVAL;
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return -E.EINVAL;
  const end = addr + Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  for (let a = addr; a < end;) {
    const m = t.mm.find(a);
    if (m === null) return -E.ENOMEM;
    a = m.end;
  }
  return 0;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.mmap, mmap, 'partial',
    'MAP_SHARED of tmpfs files and memfds maps the file\'s own pages (shared with other mappings, processes and read/write); MAP_PRIVATE of them is copy-on-write over those pages, but per VMA: the first write copies the whole VMA, which then stops seeing later file changes on Linux it would still see on untouched pages; MAP_SHARED of an image file is a copy, which cannot be told apart while the image is read-only and immutable (writing needs O_RDWR, which copies the file up into tmpfs)');
  tbl.def(NR.munmap, munmap);
  tbl.def(NR.mprotect, mprotect);
  tbl.def(NR.brk, brk);
  tbl.def(NR.mremap, mremap, 'partial', 'MREMAP_DONTUNMAP is refused with EINVAL; a moved mapping is copied, not remapped');
  tbl.def(NR.madvise, madvise, 'partial', 'advice other than MADV_DONTNEED is accepted and ignored');
  tbl.def(NR.mincore, mincore);
  tbl.def(NR.msync, msync, 'partial',
    'nothing to write back: tmpfs/memfd shared mappings are the file\'s pages, host-file shared mappings are private copies');
}
