// flock(2), and fcntl's record-lock commands (F_GETLK/F_SETLK/F_SETLKW and the OFD
// variants); the lock tables themselves are in vfs/locks.ts. Argument checks follow
// Linux's fcntl_getlk/fcntl_setlk and flock_to_posix_lock, in their order.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETLKW, SEEK_CUR, SEEK_END, SEEK_SET } from '../vfs/abi';
import type { FileDescription } from '../vfs/file';
import { F_RDLCK, F_UNLCK, F_WRLCK, findConflict, flockSet, rangeSet } from '../vfs/locks';
import { Stat } from '../vfs/stat';
import { NR } from './names';
import { SyscallTable } from './table';
import { fsScratch, int, putI64 } from './fs_util';

/** struct flock: {short l_type, l_whence; off_t l_start, l_len; pid_t l_pid}, 32 bytes. */
const FLOCK_SIZE = 32;
/** Linux's OFFSET_MAX. The range checks use BigInt, exact at the top of the range. */
const OFFSET_MAX = (1n << 63n) - 1n;
const st = new Stat();

// Results of lockRange(): the range as numbers (exact below 2^53, which covers files;
// beyond, ranges keep their order though not every last byte).
let rStart = 0, rEnd = 0;

/** flock_to_posix_lock: the byte range [rStart, rEnd] the request names, or -errno. */
function lockRange(f: FileDescription, whence: number, start: bigint, len: bigint): number {
  let base: bigint;
  if (whence === SEEK_SET) base = 0n;
  else if (whence === SEEK_CUR) base = BigInt(f.offset);
  else if (whence === SEEK_END) {
    f.stat(st);
    base = BigInt(st.size);
  } else return -E.EINVAL;
  if (start > OFFSET_MAX - base) return -E.EOVERFLOW;
  let s = base + start;
  if (s < 0n) return -E.EINVAL;
  let e: bigint;
  if (len > 0n) {
    if (len - 1n > OFFSET_MAX - s) return -E.EOVERFLOW;
    e = s + len - 1n;
  } else if (len < 0n) {
    e = s - 1n;
    s += len;
    if (s < 0n) return -E.EINVAL;
  } else e = -1n;
  rStart = Number(s);
  rEnd = e < 0n ? Infinity : Number(e);
  return 0;
}

/** fcntl(fd, F_*LK*, struct flock *). */
export function lockCmd(t: Task, f: FileDescription, cmd: number, arg: number): number {
  if (t.mm.copyIn(arg, fsScratch, 0, FLOCK_SIZE) < 0) return -E.EFAULT;
  const type = fsScratch.readInt16LE(0);
  const whence = fsScratch.readInt16LE(2);
  const start = fsScratch.readBigInt64LE(8);
  const len = fsScratch.readBigInt64LE(16);
  const pid = fsScratch.readInt32LE(24);
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  const owner: object = ofd ? f : t.fdTable;
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    if (type !== F_RDLCK && type !== F_WRLCK) return -E.EINVAL;
    if (ofd && pid !== 0) return -E.EINVAL;
    const r = lockRange(f, whence, start, len);
    if (r < 0) return r;
    const c = findConflict(f.inode, owner, type, rStart, rEnd);
    if (c === null) {
      fsScratch.writeInt16LE(F_UNLCK, 0);
    } else {
      fsScratch.writeInt16LE(c.type, 0);
      fsScratch.writeInt16LE(SEEK_SET, 2);
      putI64(fsScratch, 8, c.start);
      putI64(fsScratch, 16, c.end === Infinity ? 0 : c.end - c.start + 1);
      fsScratch.writeInt32LE(c.pid, 24);
    }
    return t.mm.copyOut(arg, fsScratch, 0, FLOCK_SIZE) < 0 ? -E.EFAULT : 0;
  }
  const r = lockRange(f, whence, start, len);
  if (r < 0) return r;
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) return -E.EINVAL;
  if (type === F_RDLCK && !f.readable) return -E.EBADF;
  if (type === F_WRLCK && !f.writable) return -E.EBADF;
  if (ofd) {
    if (pid !== 0) return -E.EINVAL;
    f.holdsLocks = true;
  }
  return rangeSet(t, f.inode, owner, ofd, type, rStart, rEnd, cmd === F_SETLKW || cmd === F_OFD_SETLKW);
}

const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

function flock(t: Task, fd: number, op: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  op = int(op);
  const cmd = op & ~LOCK_NB;
  const type = cmd === LOCK_SH ? F_RDLCK : cmd === LOCK_EX ? F_WRLCK : cmd === LOCK_UN ? F_UNLCK : -1;
  if (type < 0) return -E.EINVAL;
  if (type !== F_UNLCK && f.isPath) return -E.EBADF;
  f.holdsLocks = true;
  return flockSet(t, f.inode, f, type, (op & LOCK_NB) !== 0);
}

export function register(table: SyscallTable): void {
  table.def(NR.flock, flock);
}
