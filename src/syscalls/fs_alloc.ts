// fallocate, readahead, fadvise64, sync_file_range: space and caching hints. The checks
// and their order follow Linux's vfs_fallocate, ksys_readahead, generic_fadvise and
// sync_file_range; the file systems implement what fallocate changes (tmpfs:
// preallocation and PUNCH_HOLE, EOPNOTSUPP for the other modes, as Linux's tmpfs). The
// sentry has no page cache to prime or write back, so the hints only validate.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { S_IFBLK, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../vfs/abi';
import { NR } from './names';
import { SyscallTable } from './table';
import { int, uint } from './fs_util';

const FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_COLLAPSE_RANGE = 0x08,
  FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20, FALLOC_FL_UNSHARE_RANGE = 0x40,
  FALLOC_FL_WRITE_ZEROES = 0x80;
const FALLOC_MODE_MASK = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |
  FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES;
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

function fallocate(t: Task, fd: number, mode: number, off: number, len: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  mode = int(mode);
  if (off < 0 || len <= 0) return -E.EINVAL;
  if ((mode & ~(FALLOC_MODE_MASK | FALLOC_FL_KEEP_SIZE)) !== 0) return -E.EOPNOTSUPP;
  switch (mode & FALLOC_MODE_MASK) {
    case 0: case FALLOC_FL_UNSHARE_RANGE: case FALLOC_FL_ZERO_RANGE:
      break;
    case FALLOC_FL_PUNCH_HOLE:
      if ((mode & FALLOC_FL_KEEP_SIZE) === 0) return -E.EOPNOTSUPP;
      break;
    case FALLOC_FL_COLLAPSE_RANGE: case FALLOC_FL_INSERT_RANGE: case FALLOC_FL_WRITE_ZEROES:
      if ((mode & FALLOC_FL_KEEP_SIZE) !== 0) return -E.EOPNOTSUPP;
      break;
    default:
      return -E.EOPNOTSUPP;
  }
  if (!f.writable) return -E.EBADF;
  const type = f.inode.mode & S_IFMT;
  if (type === S_IFIFO) return -E.ESPIPE;
  if (type === S_IFDIR) return -E.EISDIR;
  if (type !== S_IFREG && type !== S_IFBLK) return -E.ENODEV;
  if (off + len > MAX_BYTES) return -E.EFBIG;
  return f.fallocate(t, mode, off, len);
}

const POSIX_FADV_NOREUSE = 5;

function fadviseChecks(t: Task, fd: number, len: number, advice: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  if ((f.inode.mode & S_IFMT) === S_IFIFO) return -E.ESPIPE;
  if (len < 0) return -E.EINVAL;
  if (advice < 0 || advice > POSIX_FADV_NOREUSE) return -E.EINVAL;
  return 0;
}

function fadvise64(t: Task, fd: number, _off: number, len: number, advice: number): number {
  return fadviseChecks(t, fd, len, int(advice));
}

function readahead(t: Task, fd: number, _off: number, count: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || !f.readable) return -E.EBADF;
  const type = f.inode.mode & S_IFMT;
  if (type !== S_IFREG && type !== S_IFBLK) return -E.EINVAL;
  return fadviseChecks(t, fd, count, 3 /* POSIX_FADV_WILLNEED */);
}

const SYNC_FILE_RANGE_ALL = 1 | 2 | 4;

function syncFileRange(t: Task, fd: number, off: number, nbytes: number, flags: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  flags = uint(flags);
  if ((flags & ~SYNC_FILE_RANGE_ALL) !== 0) return -E.EINVAL;
  if (off < 0 || nbytes < 0 && off + nbytes < 0) return -E.EINVAL;
  if (off + nbytes < 0 || off + nbytes < off) return -E.EINVAL;
  const type = f.inode.mode & S_IFMT;
  if (type !== S_IFREG && type !== S_IFBLK && type !== S_IFDIR && type !== S_IFLNK) return -E.ESPIPE;
  return 0;
}

export function register(table: SyscallTable): void {
  table.def(NR.fallocate, fallocate, 'partial',
    'tmpfs and overlay files: preallocation and PUNCH_HOLE|KEEP_SIZE; ZERO_RANGE, COLLAPSE_RANGE and INSERT_RANGE are EOPNOTSUPP, as on Linux\'s tmpfs');
  table.def(NR.readahead, readahead);
  table.def(NR.fadvise64, fadvise64);
  table.def(NR.sync_file_range, syncFileRange);
}
