// splice, tee, vmsplice, sendfile, copy_file_range: moving bytes between files without
// the app copying them. Here they go through one sentry buffer; what matters is Linux's
// rules: which ends must be pipes, where offsets are allowed (ESPIPE), the nonblocking
// flags, EPIPE/SIGPIPE, and for copy_file_range the EXDEV/EINVAL/EBADF checks.
//
// Nothing is consumed from a source before the destination has taken it (pipes are
// peeked, then drained by what was written), so a call that blocks half-way and runs
// again loses no data.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { Pipe, PipeFD } from '../fs/pipe/pipe';
import { O_NONBLOCK, S_IFDIR, S_IFMT, S_IFREG, S_IFSOCK } from '../vfs/abi';
import type { FileDescription } from '../vfs/file';
import { IN_ACCESS, IN_MODIFY, fsnotify, notifyDentry } from '../vfs/fsnotify';
import { Stat } from '../vfs/stat';
import { EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT } from '../waiter/waiter';
import { NR } from './names';
import { SyscallTable } from './table';
import { BLOCKED } from './types';
import {
  MAX_RW_COUNT, brokenPipe, fsScratch, i64, int, putI64, readIovecs, readvToUser, uint, writevFromUser,
} from './fs_util';

const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, SPLICE_F_MORE = 4, SPLICE_F_GIFT = 8;
const SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
const buf = Buffer.alloc(65536);
const stat = new Stat();
/** Largest file offset (Linux's s_maxbytes is 2^63-1; JS numbers are exact to 2^53). */
const MAX_POS = Number.MAX_SAFE_INTEGER;

const pipeOf = (f: FileDescription): Pipe | null => (f instanceof PipeFD ? f.pipe : null);
const typeOf = (f: FileDescription): number => f.inode.mode & S_IFMT;

/** Waits for data in p: 0 when ready, 1 at EOF, or -EAGAIN/-ERESTARTSYS/BLOCKED. */
function waitData(t: Task, p: Pipe, nonblock: boolean): number {
  if (p.len > 0) return 0;
  if (p.writers === 0) return 1;
  if (nonblock) return -E.EAGAIN;
  if (t.interrupted()) return -E.ERESTARTSYS;
  return t.block(p.queue, EVENT_IN | EVENT_HUP, -1);
}

/** Waits for room in p: 0 when ready, or -EPIPE (with SIGPIPE)/-EAGAIN/-ERESTARTSYS/BLOCKED. */
function waitRoom(t: Task, p: Pipe, nonblock: boolean): number {
  if (p.readers === 0) {
    brokenPipe(t);
    return -E.EPIPE;
  }
  if (!p.full) return 0;
  if (nonblock) return -E.EAGAIN;
  if (t.interrupted()) return -E.ERESTARTSYS;
  return t.block(p.queue, EVENT_OUT | EVENT_ERR, -1);
}

/** A file's bytes into a pipe: at most what the pipe has room for. pos -1: the file offset. */
function fileToPipe(t: Task, inF: FileDescription, pos: number, out: Pipe, len: number, nonblock: boolean): number {
  const w = waitRoom(t, out, nonblock);
  if (w !== 0) return w;
  const n = Math.min(len, out.free, buf.length);
  const r = inF.read(t, buf, 0, n, pos);
  if (r <= 0) return r;
  return out.write(t, buf, 0, r, true);
}

/** A pipe's bytes into a file; only what the file took leaves the pipe. */
function pipeToFile(t: Task, inP: Pipe, outF: FileDescription, pos: number, len: number, nonblock: boolean): number {
  const w = waitData(t, inP, nonblock);
  if (w !== 0) return w === 1 ? 0 : w;
  const n = inP.peek(buf, 0, Math.min(len, buf.length));
  const r = outF.write(t, buf, 0, n, pos);
  if (r < 0) {
    if (r === -E.EPIPE) brokenPipe(t);
    return r;
  }
  if (r > 0) inP.read(t, buf, 0, r, true);
  return r;
}

/** splice between two pipes, or tee (copy = true: the source keeps its bytes). */
function pipeToPipe(t: Task, inP: Pipe, outP: Pipe, len: number, nonblock: boolean, copy: boolean): number {
  const w = waitData(t, inP, nonblock);
  if (w !== 0) return w === 1 ? 0 : w;
  const r = waitRoom(t, outP, nonblock);
  if (r !== 0) return r;
  const n = Math.min(len, inP.len, outP.free, buf.length);
  if (copy) inP.peek(buf, 0, n);
  else inP.read(t, buf, 0, n, true);
  return outP.write(t, buf, 0, n, true);
}

/** Reads an loff_t argument; -EFAULT or the value (in rOff). */
let rOff = 0;
function readOff(t: Task, addr: number): number {
  if (t.mm.copyIn(addr, fsScratch, 0, 8) < 0) return -E.EFAULT;
  rOff = i64(fsScratch, 0);
  return 0;
}

function writeOff(t: Task, addr: number, v: number): number {
  putI64(fsScratch, 0, v);
  return t.mm.copyOut(addr, fsScratch, 0, 8) < 0 ? -E.EFAULT : 0;
}

function splice(t: Task, fdIn: number, offInAddr: number, fdOut: number, offOutAddr: number, len: number,
  flags: number): number {
  if (len === 0) return 0;
  flags = uint(flags);
  if ((flags & ~SPLICE_F_ALL) !== 0) return -E.EINVAL;
  const inF = t.fdTable.get(int(fdIn));
  const outF = t.fdTable.get(int(fdOut));
  if (inF === null || outF === null) return -E.EBADF;
  const ip = pipeOf(inF), op = pipeOf(outF);
  if (ip !== null && offInAddr !== 0) return -E.ESPIPE;
  if (op !== null && offOutAddr !== 0) return -E.ESPIPE;
  let offIn = -1, offOut = -1;
  if (offInAddr !== 0) {
    if (readOff(t, offInAddr) < 0) return -E.EFAULT;
    offIn = rOff;
  }
  if (offOutAddr !== 0) {
    if (readOff(t, offOutAddr) < 0) return -E.EFAULT;
    offOut = rOff;
  }
  if (!inF.readable || !outF.writable) return -E.EBADF;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  let nonblock = (flags & SPLICE_F_NONBLOCK) !== 0;
  if (ip !== null && op !== null) {
    if (ip === op) return -E.EINVAL;
    if (((inF.flags | outF.flags) & O_NONBLOCK) !== 0) nonblock = true;
    return pipeToPipe(t, ip, op, len, nonblock, false);
  }
  if (ip !== null) {
    if (offOut >= 0 || offOutAddr !== 0) {
      if (!outF.seekable) return -E.EINVAL;
      if (offOut < 0) return -E.EINVAL;
    }
    if (outF.append) return -E.EINVAL;
    if (inF.nonblocking) nonblock = true;
    const r = pipeToFile(t, ip, outF, offOutAddr !== 0 ? offOut : -1, len, nonblock);
    if (r > 0 && offOutAddr !== 0 && writeOff(t, offOutAddr, offOut + r) < 0) return -E.EFAULT;
    return r;
  }
  if (op !== null) {
    if (offInAddr !== 0) {
      if (!inF.seekable) return -E.EINVAL;
      if (offIn < 0) return -E.EINVAL;
    }
    if (typeOf(inF) === S_IFDIR) return -E.EISDIR;
    if (outF.nonblocking) nonblock = true;
    const r = fileToPipe(t, inF, offInAddr !== 0 ? offIn : -1, op, len, nonblock);
    if (r > 0 && offInAddr !== 0 && writeOff(t, offInAddr, offIn + r) < 0) return -E.EFAULT;
    return r;
  }
  return -E.EINVAL;
}

function tee(t: Task, fdIn: number, fdOut: number, len: number, flags: number): number {
  flags = uint(flags);
  if ((flags & ~SPLICE_F_ALL) !== 0) return -E.EINVAL;
  if (len === 0) return 0;
  const inF = t.fdTable.get(int(fdIn));
  const outF = t.fdTable.get(int(fdOut));
  if (inF === null || outF === null) return -E.EBADF;
  if (!inF.readable || !outF.writable) return -E.EBADF;
  const ip = pipeOf(inF), op = pipeOf(outF);
  if (ip === null || op === null || ip === op) return -E.EINVAL;
  const nonblock = (flags & SPLICE_F_NONBLOCK) !== 0 || ((inF.flags | outF.flags) & O_NONBLOCK) !== 0;
  return pipeToPipe(t, ip, op, len > MAX_RW_COUNT ? MAX_RW_COUNT : len, nonblock, true);
}

/** vmsplice: app memory into a pipe (write end), or out of it (read end). */
function vmsplice(t: Task, fd: number, iovAddr: number, nr: number, flags: number): number {
  flags = uint(flags);
  if ((flags & ~SPLICE_F_ALL) !== 0) return -E.EINVAL;
  const f = t.fdTable.get(int(fd));
  if (f === null || !(f instanceof PipeFD)) return -E.EBADF;
  if (!f.readable && !f.writable) return -E.EBADF;
  nr = uint(nr);
  if (nr > 1024) return -E.EINVAL;
  const total = readIovecs(t, iovAddr, nr);
  if (total < 0) return total;
  if (total === 0) return 0;
  // SPLICE_F_NONBLOCK applies to this call only: lend the description O_NONBLOCK.
  const saved = f.flags;
  if ((flags & SPLICE_F_NONBLOCK) !== 0) f.flags |= O_NONBLOCK;
  try {
    return f.writable ? writevFromUser(t, f, nr, total, -1) : readvToUser(t, f, nr, total, -1);
  } finally {
    f.flags = saved;
  }
}

/**
 * sendfile(out, in, offset*, count) after Linux's do_sendfile: in may be any file with
 * data to read at a position (regular files, devices), or a socket (no offset, and only
 * into a pipe); pipes as input are EINVAL as on Linux. Into a pipe it moves what fits
 * (one pass); otherwise it loops until count or EOF, keeping its progress across
 * blocking in t.ioProgress (the input is seekable then, so nothing read is lost).
 */
/** Linux reports a copy between files to inotify as an access and a modification. */
function notifyCopy(inF: FileDescription, outF: FileDescription, done: number): void {
  if (done <= 0 || fsnotify.marks === 0) return;
  notifyDentry(inF.dentry, IN_ACCESS);
  notifyDentry(outF.dentry, IN_MODIFY);
}

function sendfile(t: Task, outFd: number, inFd: number, offAddr: number, count: number): number {
  let pos = -1;
  if (offAddr !== 0) {
    if (readOff(t, offAddr) < 0) return -E.EFAULT;
    pos = rOff;
  }
  const inF = t.fdTable.get(int(inFd));
  if (inF === null || !inF.readable) return -E.EBADF;
  const socketIn = typeOf(inF) === S_IFSOCK;
  if (offAddr !== 0 && !inF.seekable) return -E.ESPIPE;
  if (offAddr === 0) pos = inF.seekable ? inF.offset : -1;
  if (pos < -1 || (offAddr !== 0 && pos < 0)) return -E.EINVAL;
  if (count < 0) return -E.EINVAL;
  if (count > MAX_RW_COUNT) count = MAX_RW_COUNT;
  const outF = t.fdTable.get(int(outFd));
  if (outF === null || !outF.writable) return -E.EBADF;
  if (pos >= 0 && pos + count > MAX_POS) {
    if (pos >= MAX_POS) return -E.EOVERFLOW;
    count = MAX_POS - pos;
  }
  if (inF instanceof PipeFD || (!inF.seekable && !socketIn)) return -E.EINVAL;
  if (typeOf(inF) === S_IFDIR) return -E.EISDIR;
  const op = pipeOf(outF);
  let done: number;
  if (op !== null) {
    if (count === 0) return 0;
    const r = fileToPipe(t, inF, pos, op, count, outF.nonblocking);
    if (r < 0) return r;
    done = r;
  } else {
    // Linux moves a socket's bytes only into a pipe (splice_file_to_pipe); into anything
    // else (do_splice_direct) it refuses.
    if (outF.append || socketIn) return -E.EINVAL;
    if (!t.restarting) t.ioProgress = 0;
    done = t.ioProgress;
    let ret = 0;
    while (done < count) {
      const n = inF.read(t, buf, 0, Math.min(buf.length, count - done), pos < 0 ? -1 : pos + done);
      if (n === BLOCKED) {
        if (done > 0) break;
        return BLOCKED;
      }
      if (n < 0) {
        ret = n;
        break;
      }
      if (n === 0) break;
      const w = outF.write(t, buf, 0, n, -1);
      if (w === BLOCKED) {
        t.ioProgress = done;
        return BLOCKED;
      }
      if (w < 0) {
        if (w === -E.EPIPE) brokenPipe(t);
        ret = w;
        break;
      }
      done += w;
    }
    t.ioProgress = 0;
    if (done === 0 && ret < 0) return ret;
  }
  if (pos >= 0) {
    if (offAddr !== 0) {
      if (writeOff(t, offAddr, pos + done) < 0) return -E.EFAULT;
    } else {
      inF.offset = pos + done;
    }
  }
  notifyCopy(inF, outF, done);
  return done;
}

/** copy_file_range after Linux's vfs_copy_file_range and generic_copy_file_checks. */
function copyFileRange(t: Task, fdIn: number, offInAddr: number, fdOut: number, offOutAddr: number, len: number,
  flags: number): number {
  const inF = t.fdTable.get(int(fdIn));
  if (inF === null) return -E.EBADF;
  const outF = t.fdTable.get(int(fdOut));
  if (outF === null) return -E.EBADF;
  let posIn = inF.offset, posOut = outF.offset;
  if (offInAddr !== 0) {
    if (readOff(t, offInAddr) < 0) return -E.EFAULT;
    posIn = rOff;
  }
  if (offOutAddr !== 0) {
    if (readOff(t, offOutAddr) < 0) return -E.EFAULT;
    posOut = rOff;
  }
  if (uint(flags) !== 0) return -E.EINVAL;
  const ti = typeOf(inF), to = typeOf(outF);
  if (ti === S_IFDIR || to === S_IFDIR) return -E.EISDIR;
  if (ti !== S_IFREG || to !== S_IFREG) return -E.EINVAL;
  if (!inF.readable || !outF.writable || outF.append) return -E.EBADF;
  if (inF.inode.fs !== outF.inode.fs) return -E.EXDEV;
  if (len < 0) len = MAX_POS; // a size_t past 2^63
  // Linux adds the count to the offsets as unsigned numbers: a negative offset that the
  // count carries past zero "wraps" (EOVERFLOW); one it does not is EINVAL below.
  if ((posIn < 0 && posIn + len >= 0) || (posOut < 0 && posOut + len >= 0)) return -E.EOVERFLOW;
  if (posIn + len > MAX_POS + 1 && posIn >= 0) len = MAX_POS - posIn;
  inF.stat(stat);
  const size = stat.size;
  if (posIn >= size) len = 0;
  else len = Math.min(len, size - posIn);
  if (inF.inode === outF.inode && posOut + len > posIn && posOut < posIn + len) return -E.EINVAL;
  if (posIn < 0 || posOut < 0) return -E.EINVAL;
  if (len === 0) return 0;
  if (len > MAX_RW_COUNT) len = MAX_RW_COUNT;
  let done = 0;
  while (done < len) {
    const n = inF.read(t, buf, 0, Math.min(buf.length, len - done), posIn + done);
    if (n <= 0) {
      if (done === 0 && n < 0) return n;
      break;
    }
    const w = outF.write(t, buf, 0, n, posOut + done);
    if (w < 0) {
      if (done === 0) return w;
      break;
    }
    done += w;
    if (w < n) break;
  }
  if (offInAddr !== 0) {
    if (writeOff(t, offInAddr, posIn + done) < 0) return -E.EFAULT;
  } else inF.offset = posIn + done;
  if (offOutAddr !== 0) {
    if (writeOff(t, offOutAddr, posOut + done) < 0) return -E.EFAULT;
  } else outF.offset = posOut + done;
  notifyCopy(inF, outF, done);
  return done;
}

export function register(table: SyscallTable): void {
  table.def(NR.splice, splice);
  table.def(NR.tee, tee);
  table.def(NR.vmsplice, vmsplice, 'partial',
    'copies (SPLICE_F_GIFT has no effect): later changes to the pages are not seen through the pipe');
  table.def(NR.sendfile, sendfile);
  table.def(NR.copy_file_range, copyFileRange);
}
