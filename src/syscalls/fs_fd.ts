// dup, dup2, dup3, fcntl, ioctl, pipe, pipe2.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { PipeFD, newPipe } from '../fs/pipe/pipe';
import {
  F_ADD_SEALS, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETLEASE, F_GETLK, F_GETOWN, F_GETOWN_EX,
  F_GETPIPE_SZ, F_GETSIG, F_GET_SEALS, F_NOTIFY, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_SETFD, F_SETFL,
  F_SETLEASE, F_SETLK, F_SETLKW, F_SETOWN, F_SETOWN_EX, F_SETPIPE_SZ, F_SETSIG, FD_CLOEXEC, FIOASYNC, FIOCLEX,
  FIONBIO, FIONCLEX, FIONREAD, O_CLOEXEC, O_DIRECT, O_NOATIME, O_NONBLOCK, S_IFMT, S_IFREG,
} from '../vfs/abi';
import type { FileDescription } from '../vfs/file';
import { isOwner } from '../vfs/perm';
import { CAP_SYS_RESOURCE } from '../auth/creds';
import { NR } from './names';
import { SyscallTable } from './table';
import { fsScratch, int, uint } from './fs_util';
import { lockCmd } from './fs_lock';
import { sealCmd } from './memfd';

function dup(t: Task, fd: number): number {
  return t.fdTable.dup(int(fd), 0, false);
}

function dup2(t: Task, oldFd: number, newFd: number): number {
  oldFd = int(oldFd);
  const nfd = uint(newFd);
  if (nfd === oldFd) return t.fdTable.get(oldFd) === null ? -E.EBADF : nfd;
  return dup3(t, oldFd, nfd, 0);
}

function dup3(t: Task, oldFd: number, newFd: number, flags: number): number {
  oldFd = int(oldFd);
  const nfd = uint(newFd);
  flags = int(flags);
  if ((flags & ~O_CLOEXEC) !== 0) return -E.EINVAL;
  if (nfd === oldFd) return -E.EINVAL;
  if (nfd >= t.fdTable.limit) return -E.EBADF;
  return t.fdTable.dup2(oldFd, nfd, (flags & O_CLOEXEC) !== 0);
}

/** Commands an O_PATH description accepts (Linux's check_fcntl_cmd). */
function pathOk(cmd: number): boolean {
  return cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC || cmd === F_GETFD || cmd === F_SETFD || cmd === F_GETFL;
}

function fcntl(t: Task, fd: number, cmd: number, arg: number): number {
  fd = int(fd);
  cmd = int(cmd);
  const table = t.fdTable;
  const f = table.get(fd);
  if (f === null) return -E.EBADF;
  if (f.isPath && !pathOk(cmd)) return -E.EBADF;
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      // arg is an unsigned long: anything at or above RLIMIT_NOFILE (or "negative") is EINVAL.
      if (arg < 0 || arg >= table.limit) return -E.EINVAL;
      return table.dup(fd, arg, cmd === F_DUPFD_CLOEXEC);
    }
    case F_GETFD:
      return table.getFlags(fd);
    case F_SETFD:
      return table.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
    case F_GETFL:
      return f.flags;
    case F_SETFL: {
      arg = int(arg);
      if (((arg ^ f.flags) & O_NOATIME) !== 0 && !isOwner(t.creds, f.inode)) return -E.EPERM;
      if ((arg & O_DIRECT) !== 0 && (f.inode.mode & S_IFMT) !== S_IFREG && !(f instanceof PipeFD)) return -E.EINVAL;
      return f.setStatusFlags(arg);
    }
    case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
      return lockCmd(t, f, cmd, arg);
    case F_SETOWN: case F_SETSIG: case F_SETOWN_EX:
      return 0;
    case F_GETOWN: case F_GETSIG:
      return 0;
    case F_GETOWN_EX:
      fsScratch.fill(0, 0, 8);
      return t.mm.copyOut(arg, fsScratch, 0, 8) < 0 ? -E.EFAULT : 0;
    case F_GETLEASE:
      return 2; // F_UNLCK
    case F_SETLEASE: case F_NOTIFY:
      return -E.EINVAL;
    case F_GETPIPE_SZ:
      return f instanceof PipeFD ? f.pipe.capacity : -E.EBADF;
    case F_SETPIPE_SZ:
      return f instanceof PipeFD ? f.pipe.setCapacity(uint(arg), t.creds.hasCap(CAP_SYS_RESOURCE)) : -E.EBADF;
    case F_ADD_SEALS: case F_GET_SEALS:
      return sealCmd(f, cmd, arg);
    default:
      return -E.EINVAL;
  }
}

function ioctl(t: Task, fd: number, req: number, arg: number): number {
  fd = int(fd);
  req = uint(req);
  const f = t.fdTable.get(fd);
  if (f === null || f.isPath) return -E.EBADF;
  switch (req) {
    case FIOCLEX:
      return t.fdTable.setCloexec(fd, true);
    case FIONCLEX:
      return t.fdTable.setCloexec(fd, false);
    case FIONBIO: {
      if (t.mm.copyIn(arg, fsScratch, 0, 4) < 0) return -E.EFAULT;
      const on = fsScratch.readInt32LE(0) !== 0;
      return f.setStatusFlags(on ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK);
    }
    case FIOASYNC: {
      if (t.mm.copyIn(arg, fsScratch, 0, 4) < 0) return -E.EFAULT;
      return 0;
    }
    case FIONREAD: {
      const n = f.available();
      if (n === -E.ENOTTY) return f.ioctl(t, req, arg);
      if (n < 0) return n;
      fsScratch.writeInt32LE(n | 0, 0);
      return t.mm.copyOut(arg, fsScratch, 0, 4) < 0 ? -E.EFAULT : 0;
    }
    default:
      return f.ioctl(t, req, arg);
  }
}

function pipe2(t: Task, fdsAddr: number, flags: number): number {
  flags = int(flags);
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) !== 0) return -E.EINVAL;
  const table = t.fdTable;
  const [r, w] = newPipe(t, flags & (O_NONBLOCK | O_DIRECT));
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const rfd = table.install(r, 0, cloexec);
  if (rfd < 0) {
    r.decRef();
    w.decRef();
    return rfd;
  }
  const wfd = table.install(w, 0, cloexec);
  if (wfd < 0) {
    table.close(rfd);
    w.decRef();
    return wfd;
  }
  fsScratch.writeInt32LE(rfd, 0);
  fsScratch.writeInt32LE(wfd, 4);
  if (t.mm.copyOut(fdsAddr, fsScratch, 0, 8) < 0) {
    table.close(rfd);
    table.close(wfd);
    return -E.EFAULT;
  }
  return 0;
}

function pipe(t: Task, fdsAddr: number): number {
  return pipe2(t, fdsAddr, 0);
}

export function register(table: SyscallTable): void {
  table.def(NR.dup, dup);
  table.def(NR.dup2, dup2);
  table.def(NR.dup3, dup3);
  table.def(NR.fcntl, fcntl, 'partial',
    'leases and F_NOTIFY are not supported');
  table.def(NR.ioctl, ioctl, 'partial',
    'generic FIONBIO/FIOCLEX/FIONCLEX/FIONREAD; ptys: termios (TCGETS*/TCSETS*, TCGETS2, TCGETA/TCSETA*), window size, ' +
    'TCFLSH, TCXONC, TIOCOUTQ, TIOCINQ, TIOCSTI, TIOCEXCL, TIOCPKT, TIOCSIG, TIOCGPTN/TIOCSPTLCK/TIOCGPTLCK/TIOCGPTPEER ' +
    'and job control; host terminals pass termios and window size through, job control is emulated; no TIOCVHANGUP, modem lines');
  table.def(NR.pipe, pipe);
  table.def(NR.pipe2, pipe2);
}
