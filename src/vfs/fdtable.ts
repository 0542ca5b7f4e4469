// File descriptor tables: fd number -> (open file description, close-on-exec flag).
// Shared between the threads of a process (and CLONE_FILES children), so the table
// itself is refcounted. get() is on every fd-taking syscall: an array index, no
// allocation.
import * as E from '../abi/errno';
import type { FileDescription } from './file';
import { hasLocks, ownerGone, rangeRelease } from './locks';

/**
 * An fd of this table stops referring to f (close, dup2 over it, exec, exit): as on
 * Linux, the POSIX record locks the table (the "process") holds on the file go with it.
 */
function closing(table: FdTable, f: FileDescription): void {
  if (hasLocks(f.inode)) rangeRelease(f.inode, table);
  f.decRef();
}

export class FdTable {
  private files: (FileDescription | null)[] = [];
  private cloexec: boolean[] = [];
  /** Lowest fd that might be free (every fd below it is in use). */
  private hint = 0;
  private users = 1;
  /**
   * RLIMIT_NOFILE soft limit of the owning process: fds at or above it cannot be
   * allocated. The kernel updates it on setrlimit/prlimit.
   */
  limit: number;

  constructor(limit = 1024) {
    this.limit = limit;
  }

  /** The description behind fd, or null (EBADF). */
  get(fd: number): FileDescription | null {
    if (fd < 0 || fd >= this.files.length) return null;
    return this.files[fd];
  }

  /** The fd flags (FD_CLOEXEC) of an open fd, or -EBADF. */
  getFlags(fd: number): number {
    if (this.get(fd) === null) return -E.EBADF;
    return this.cloexec[fd] ? 1 : 0;
  }

  setCloexec(fd: number, on: boolean): number {
    if (this.get(fd) === null) return -E.EBADF;
    this.cloexec[fd] = on;
    return 0;
  }

  /** Whether an fd >= minFd could be installed now (open's early EMFILE check). */
  hasFree(minFd: number): boolean {
    let fd = Math.max(minFd, this.hint);
    const files = this.files;
    while (fd < files.length && files[fd] !== null) fd++;
    return fd < this.limit;
  }

  /**
   * Installs f at the lowest free fd >= minFd and returns it, or -EMFILE. Takes over
   * the caller's reference to f (on failure the caller still owns it).
   */
  install(f: FileDescription, minFd: number, cloexec: boolean): number {
    // Every fd below hint is in use, so the search can start at the larger of the two.
    let fd = Math.max(minFd, this.hint);
    const files = this.files;
    while (fd < files.length && files[fd] !== null) fd++;
    if (fd >= this.limit) return -E.EMFILE;
    while (files.length <= fd) {
      files.push(null);
      this.cloexec.push(false);
    }
    files[fd] = f;
    this.cloexec[fd] = cloexec;
    if (minFd <= this.hint) this.hint = fd + 1;
    return fd;
  }

  /** Puts f at exactly fd (dup2/dup3), closing what was there. Takes over f's reference. */
  installAt(fd: number, f: FileDescription, cloexec: boolean): number {
    if (fd < 0 || fd >= this.limit) return -E.EBADF;
    const files = this.files;
    while (files.length <= fd) {
      files.push(null);
      this.cloexec.push(false);
    }
    const old = files[fd];
    files[fd] = f;
    this.cloexec[fd] = cloexec;
    if (old !== null) closing(this, old);
    return fd;
  }

  /** Removes fd and drops its reference. 0 or -EBADF. */
  close(fd: number): number {
    const f = this.get(fd);
    if (f === null) return -E.EBADF;
    this.files[fd] = null;
    this.cloexec[fd] = false;
    if (fd < this.hint) this.hint = fd;
    this.trim();
    closing(this, f);
    return 0;
  }

  /** Removes fd without dropping the reference (the caller takes it). */
  take(fd: number): FileDescription | null {
    const f = this.get(fd);
    if (f === null) return null;
    this.files[fd] = null;
    this.cloexec[fd] = false;
    if (fd < this.hint) this.hint = fd;
    return f;
  }

  private trim(): void {
    const files = this.files;
    let n = files.length;
    while (n > 0 && files[n - 1] === null) n--;
    if (n < files.length - 64) {
      files.length = n;
      this.cloexec.length = n;
    }
  }

  /** dup(2) / fcntl(F_DUPFD[_CLOEXEC]): the lowest free fd >= minFd. */
  dup(oldFd: number, minFd: number, cloexec: boolean): number {
    const f = this.get(oldFd);
    if (f === null) return -E.EBADF;
    f.incRef();
    const r = this.install(f, minFd, cloexec);
    if (r < 0) f.decRef();
    return r;
  }

  /** dup2/dup3 after argument checks: newFd refers to oldFd's description. */
  dup2(oldFd: number, newFd: number, cloexec: boolean): number {
    const f = this.get(oldFd);
    if (f === null) return -E.EBADF;
    if (newFd < 0 || newFd >= this.limit) return -E.EBADF;
    if (oldFd === newFd) {
      this.cloexec[newFd] = cloexec;
      return newFd;
    }
    f.incRef();
    return this.installAt(newFd, f, cloexec);
  }

  /** A copy for fork without CLONE_FILES: same descriptions, one more reference each. */
  fork(): FdTable {
    const t = new FdTable(this.limit);
    t.files = this.files.slice();
    t.cloexec = this.cloexec.slice();
    t.hint = this.hint;
    for (const f of t.files) if (f !== null) f.incRef();
    return t;
  }

  /** execve: closes every close-on-exec fd. */
  closeOnExec(): void {
    const files = this.files;
    for (let fd = 0; fd < files.length; fd++) {
      const f = files[fd];
      if (f !== null && this.cloexec[fd]) {
        files[fd] = null;
        this.cloexec[fd] = false;
        if (fd < this.hint) this.hint = fd;
        closing(this, f);
      }
    }
    this.trim();
  }

  /** Closes everything (the process is gone). */
  closeAll(): void {
    const files = this.files;
    this.files = [];
    this.cloexec = [];
    this.hint = 0;
    for (const f of files) if (f !== null) closing(this, f);
    ownerGone(this);
  }

  /** close_range(first, last): closes (or marks cloexec) the open fds in the range. */
  closeRange(first: number, last: number, cloexecOnly: boolean): void {
    const end = Math.min(last, this.files.length - 1);
    for (let fd = first; fd <= end; fd++) {
      if (this.files[fd] === null) continue;
      if (cloexecOnly) this.cloexec[fd] = true;
      else this.close(fd);
    }
  }

  /** The highest open fd, or -1 (select clamps nfds to it). */
  maxFd(): number {
    for (let fd = this.files.length - 1; fd >= 0; fd--) if (this.files[fd] !== null) return fd;
    return -1;
  }

  /** Open fd numbers in increasing order (for /proc/pid/fd). */
  fds(): number[] {
    const out: number[] = [];
    for (let fd = 0; fd < this.files.length; fd++) if (this.files[fd] !== null) out.push(fd);
    return out;
  }

  /** Size of the table as /proc/pid/status FDSize shows it (a multiple of 64, at least 64). */
  get size(): number {
    return Math.max(64, Math.ceil(this.files.length / 64) * 64);
  }

  /** clone(): the same table with one more user (CLONE_FILES), or a copy. */
  forClone(share: boolean): FdTable {
    if (!share) return this.fork();
    this.users++;
    return this;
  }

  // ---- sharing (CLONE_FILES) ----
  /** How many tasks share the table (close_range(CLOSE_RANGE_UNSHARE) copies it when > 1). */
  get userCount(): number {
    return this.users;
  }

  incUsers(): void {
    this.users++;
  }

  /** Drops one user; the last one closes every fd. */
  decUsers(): void {
    if (--this.users === 0) this.closeAll();
  }
}
