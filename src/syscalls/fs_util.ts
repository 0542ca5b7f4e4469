// Helpers shared by the file syscalls (fs_*.ts): path arguments, *at start
// directories, and the transfer loops between app memory and files.
//
// Transfers go straight between the memory file and the file (mm.translate gives the
// run of app memory; the file reads into it or writes from it), so read/write of any
// size allocate nothing.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { AT_EMPTY_PATH, AT_FDCWD, PATH_MAX, PIPE_BUF, isDir } from '../vfs/abi';
import type { FileDescription } from '../vfs/file';
import { vfsHooks } from '../vfs/hooks';
import { Walk } from '../vfs/walk';
import { EVENT_IN } from '../waiter/waiter';
import { BLOCKED } from './types';
import { PipeFD } from '../fs/pipe/pipe';

/** Scratch for one syscall at a time (the sentry runs handlers one after another). */
export const fsScratch = Buffer.alloc(65536);
const EMPTY = Buffer.alloc(0);
/** Linux's MAX_RW_COUNT: one transfer moves at most this much. */
export const MAX_RW_COUNT = 0x7ffff000;
const TWO32 = 4294967296;

/** Reusable walks (two for rename/link). Handlers copy what they need out of them. */
export const W1 = new Walk();
export const W2 = new Walk();

/** An int argument (the low 32 bits, signed). */
export const int = (v: number): number => v | 0;
/** An unsigned int argument. */
export const uint = (v: number): number => v >>> 0;
/** A uid_t/gid_t argument: -1 (0xffffffff) means "unchanged". */
export const id32 = (v: number): number => ((v >>> 0) === 0xffffffff ? -1 : v >>> 0);

/** Reads a path argument (PATH_MAX including the NUL): string (maybe empty) or -errno. */
export function readPathArg(t: Task, addr: number): string | number {
  return t.mm.readCString(addr, PATH_MAX);
}

/**
 * Prepares w for resolving path relative to dirfd (Linux's path_init): absolute paths
 * ignore dirfd; AT_FDCWD is the cwd; otherwise dirfd must be open (EBADF) and, for a
 * non-empty path, a directory (ENOTDIR).
 */
export function startAt(t: Task, w: Walk, dirfd: number, path: string): number {
  w.init(t, t.fs);
  if (path.length > 0 && path.charCodeAt(0) === 47) return 0;
  if (dirfd === AT_FDCWD) return 0;
  const f = t.fdTable.get(dirfd);
  if (f === null) return -E.EBADF;
  if (path.length > 0 && !isDir(f.dentry.inode.mode)) return -E.ENOTDIR;
  w.at(f.mnt, f.dentry);
  return 0;
}

/**
 * For calls that take AT_EMPTY_PATH: with an empty path and the flag, the target is
 * dirfd itself (or the cwd); without the flag an empty path is ENOENT. Returns 1 when
 * (w.mnt, w.d) is already the target, 0 when the path must be walked, or -errno.
 */
export function emptyPathTarget(t: Task, w: Walk, dirfd: number, path: string, flags: number): number {
  if (path.length > 0) return 0;
  if ((flags & AT_EMPTY_PATH) === 0) return -E.ENOENT;
  w.init(t, t.fs);
  if (dirfd === AT_FDCWD) return 1;
  const f = t.fdTable.get(dirfd);
  if (f === null) return -E.EBADF;
  w.at(f.mnt, f.dentry);
  return 1;
}

/** Reads a 64-bit little-endian value from b at off as a number (negative if the top bit is set). */
export function i64(b: Buffer, off: number): number {
  return b.readInt32LE(off + 4) * TWO32 + b.readUInt32LE(off);
}

export function putI64(b: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  b.writeUInt32LE((v - hi * TWO32) >>> 0, off);
  b.writeInt32LE(hi | 0, off + 4);
}

// ---- transfers ------------------------------------------------------------------------------

/**
 * Reads from f into app memory [addr, addr+len). pos -1: at the file offset. Returns
 * the count, -errno, or BLOCKED (only before anything was read: once some bytes are in,
 * a later piece is read only if the file is ready, so the call never parks half-done).
 */
export function readToUser(t: Task, f: FileDescription, addr: number, len: number, pos: number): number {
  if (len === 0) return f.read(t, EMPTY, 0, 0, pos);
  const mm = t.mm;
  let done = 0;
  while (done < len) {
    if (mm.translate(addr + done, len - done, true) < 0) {
      if (done > 0) return done;
      // Linux copies nothing (and so does not fault) when the file is at its end.
      if (pos < 0 && f.seekable && f.available() === 0) return 0;
      return -E.EFAULT;
    }
    const n = mm.xLen;
    if (done > 0 && (f.readiness(EVENT_IN) & EVENT_IN) === 0) break;
    const r = f.read(t, mm.xChunk, mm.xOff, n, pos < 0 ? -1 : pos + done);
    if (r < 0) return done > 0 && r !== BLOCKED ? done : r;
    done += r;
    if (r < n) break;
  }
  return done;
}

/** Set by send calls with MSG_NOSIGNAL: EPIPE then comes without SIGPIPE. */
export const writeFlags = { noSigpipe: false };

/** EPIPE on a write: SIGPIPE to the writer, as Linux's pipe_write does (unless MSG_NOSIGNAL). */
export function brokenPipe(t: Task): void {
  if (!writeFlags.noSigpipe) vfsHooks.brokenPipe(t);
}

/**
 * Writes app memory [addr, addr+len) to f. A blocking file that takes part of it parks
 * the task; the re-run continues from t.ioProgress. Returns the count, -errno or BLOCKED.
 * EPIPE raises SIGPIPE (vfsHooks.brokenPipe) as Linux's pipe_write does.
 */
export function writeFromUser(t: Task, f: FileDescription, addr: number, len: number, pos: number): number {
  if (len === 0) return f.write(t, EMPTY, 0, 0, pos);
  if (!t.restarting) t.ioProgress = 0;
  const start = t.ioProgress;
  const mm = t.mm;
  // A small write whose buffer spans VMAs still goes out in one piece (PIPE_BUF atomicity).
  if (len <= PIPE_BUF && start === 0 && (mm.translate(addr, len, false) < 0 || mm.xLen < len)) {
    if (mm.copyIn(addr, fsScratch, 0, len) < 0) return -E.EFAULT;
    const r = f.write(t, fsScratch, 0, len, pos);
    if (r === -E.EPIPE) brokenPipe(t);
    return r;
  }
  const pipe = f instanceof PipeFD ? f.pipe : null;
  if (pipe !== null) pipe.beginWrite(len - start);
  let r: number;
  try {
    r = writePiece(t, f, addr + start, len - start, pos < 0 ? -1 : pos + start);
  } finally {
    if (pipe !== null) pipe.endWrite();
  }
  if (r === BLOCKED) {
    t.ioProgress = start + pieceProgress;
    return BLOCKED;
  }
  t.ioProgress = 0;
  if (r < 0) return start > 0 ? start : r;
  return start + r;
}

/** One iovec, read from app memory. */
export interface IoVec {
  base: number;
  len: number;
}

const iovs: IoVec[] = [];
for (let i = 0; i < 1024; i++) iovs.push({ base: 0, len: 0 });
export const UIO_MAXIOV = 1024;

/**
 * Reads an iovec array (Linux's import_iovec): EINVAL for a bad count or a negative
 * length, EFAULT for an unreadable array or a range outside user space. Fills the
 * shared iovs[0..cnt) and returns the total byte count (clamped to MAX_RW_COUNT).
 */
export function readIovecs(t: Task, addr: number, cnt: number): number {
  if (cnt < 0 || cnt > UIO_MAXIOV) return -E.EINVAL;
  if (cnt === 0) return 0;
  const b = fsScratch;
  if (t.mm.copyIn(addr, b, 0, cnt * 16) < 0) return -E.EFAULT;
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = b.readUInt32LE(i * 16 + 4) * TWO32 + b.readUInt32LE(i * 16);
    let len = i64(b, i * 16 + 8);
    if (len < 0) return -E.EINVAL;
    if (len > MAX_RW_COUNT - total) len = MAX_RW_COUNT - total;
    iovs[i].base = base;
    iovs[i].len = len;
    total += len;
  }
  return total;
}

export function iov(i: number): IoVec {
  return iovs[i];
}

/** readv/preadv: fills the iovecs in order, stopping at the first short piece. */
export function readvToUser(t: Task, f: FileDescription, cnt: number, total: number, pos: number): number {
  if (total === 0) return f.read(t, EMPTY, 0, 0, pos);
  let done = 0;
  for (let i = 0; i < cnt; i++) {
    const v = iovs[i];
    if (v.len === 0) continue;
    if (done > 0 && (f.readiness(EVENT_IN) & EVENT_IN) === 0) break;
    const r = readToUser(t, f, v.base, v.len, pos < 0 ? -1 : pos + done);
    if (r < 0) return done > 0 && r !== BLOCKED ? done : r;
    done += r;
    if (r < v.len) break;
  }
  return done;
}

/**
 * writev/pwritev: writes the iovecs in order. Up to PIPE_BUF bytes in all are gathered
 * and written in one piece (atomic on a pipe); larger ones keep their progress in
 * t.ioProgress across blocking.
 */
export function writevFromUser(t: Task, f: FileDescription, cnt: number, total: number, pos: number): number {
  if (total === 0) return f.write(t, EMPTY, 0, 0, pos);
  if (total <= PIPE_BUF) {
    let at = 0;
    for (let i = 0; i < cnt; i++) {
      const v = iovs[i];
      if (v.len === 0) continue;
      if (t.mm.copyIn(v.base, fsScratch, at, v.len) < 0) {
        if (at === 0) return -E.EFAULT;
        break;
      }
      at += v.len;
    }
    const r = f.write(t, fsScratch, 0, at, pos);
    if (r === -E.EPIPE) brokenPipe(t);
    return r;
  }
  if (!t.restarting) t.ioProgress = 0;
  const start = t.ioProgress;
  const pipe = f instanceof PipeFD ? f.pipe : null;
  if (pipe === null) return writevLoop(t, f, cnt, pos, start);
  pipe.beginWrite(total - start);
  try {
    return writevLoop(t, f, cnt, pos, start);
  } finally {
    pipe.endWrite();
  }
}

function writevLoop(t: Task, f: FileDescription, cnt: number, pos: number, start: number): number {
  let done = 0;
  for (let i = 0; i < cnt; i++) {
    const v = iovs[i];
    if (v.len === 0) continue;
    if (done + v.len <= start) {
      done += v.len;
      continue;
    }
    const skip = start > done ? start - done : 0;
    const r = writePiece(t, f, v.base + skip, v.len - skip, pos < 0 ? -1 : pos + done + skip);
    if (r === BLOCKED) {
      t.ioProgress = done + skip + pieceProgress;
      return BLOCKED;
    }
    if (r < 0) {
      t.ioProgress = 0;
      const moved = done + skip;
      return moved > 0 ? moved : r;
    }
    done += skip + r;
    if (r < v.len - skip) break;
  }
  t.ioProgress = 0;
  return done;
}

let pieceProgress = 0;

/** Writes one contiguous app range, reporting partial progress in pieceProgress on BLOCKED. */
function writePiece(t: Task, f: FileDescription, addr: number, len: number, pos: number): number {
  const mm = t.mm;
  let done = 0;
  pieceProgress = 0;
  while (done < len) {
    if (mm.translate(addr + done, len - done, false) < 0) return done > 0 ? done : -E.EFAULT;
    const n = mm.xLen;
    const r = f.write(t, mm.xChunk, mm.xOff, n, pos < 0 ? -1 : pos + done);
    if (r === BLOCKED) {
      pieceProgress = done;
      return BLOCKED;
    }
    if (r < 0) {
      if (r === -E.EPIPE) brokenPipe(t);
      return done > 0 ? done : r;
    }
    if (r === 0) break;
    done += r;
  }
  return done;
}
