// mount, umount2: changing the container's own mount namespace from inside, with
// CAP_SYS_ADMIN (which a container's root has only when the operator grants it).
// Everything happens in the sentry's mount table; nothing is mounted on the host.
import * as E from '../abi/errno';
import { CAP_SYS_ADMIN } from '../auth/creds';
import type { Task } from '../kernel/task';
import { AT_FDCWD, isDir } from '../vfs/abi';
import { Dentry } from '../vfs/dentry';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_RDONLY, Mount, VPath } from '../vfs/mount';
import { walkPath } from '../vfs/walk';
import { W1, W2, readPathArg, startAt, uint } from './fs_util';
import { NR } from './names';
import { SyscallTable } from './table';

const MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096, MS_MOVE = 8192;
const MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20;
const MS_PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;
/** The "magic" some old callers put in the top 16 bits (Linux drops it). */
const MS_MGC_MSK = 0xffff0000, MS_MGC_VAL = 0xc0ed0000;
const MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;
/** Longest file-system option string read (Linux copies one page). */
const DATA_MAX = 4096;

/** The per-mount flags a mount(2) flag word asks for. */
function mountFlags(flags: number): number {
  let m = 0;
  if ((flags & MS_RDONLY) !== 0) m |= MNT_RDONLY;
  if ((flags & MS_NOSUID) !== 0) m |= MNT_NOSUID;
  if ((flags & MS_NODEV) !== 0) m |= MNT_NODEV;
  if ((flags & MS_NOEXEC) !== 0) m |= MNT_NOEXEC;
  return m;
}

/** Reads an optional NUL-terminated string argument ('' for NULL), or -errno. */
function optString(t: Task, addr: number, max: number): string | number {
  if (addr === 0) return '';
  const s = t.mm.readCString(addr, max);
  return s;
}

function mount(t: Task, srcAddr: number, targetAddr: number, typeAddr: number, flags: number, dataAddr: number): number {
  flags = uint(flags);
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags &= ~MS_MGC_MSK;
  const target = readPathArg(t, targetAddr);
  if (typeof target === 'number') return target;
  const type = optString(t, typeAddr, 256);
  if (typeof type === 'number') return type;
  const source = optString(t, srcAddr, 4096);
  if (typeof source === 'number') return source;
  // The option string is only text for the file systems mounted here.
  const data = (flags & (MS_BIND | MS_MOVE | MS_PROPAGATION)) === 0 ? optString(t, dataAddr, DATA_MAX) : '';
  if (typeof data === 'number') return data;
  if (target.length === 0) return -E.ENOENT;
  let r = startAt(t, W1, AT_FDCWD, target);
  if (r < 0) return r;
  r = walkPath(W1, target, true);
  if (r < 0) return r;
  if (!t.creds.hasCap(CAP_SYS_ADMIN)) return -E.EPERM;
  const mnt = W1.mnt, d = W1.d;
  const ns = mnt.ns;
  if (ns === null) return -E.EINVAL;
  const isRoot = d === mnt.root;

  if ((flags & MS_REMOUNT) !== 0) {
    // With or without MS_BIND: the mount's flags change (the file system has no others).
    if (!isRoot) return -E.EINVAL;
    mnt.flags = mountFlags(flags);
    return 0;
  }
  if ((flags & MS_BIND) !== 0) {
    if (source.length === 0) return -E.ENOENT;
    r = startAt(t, W2, AT_FDCWD, source);
    if (r < 0) return r;
    r = walkPath(W2, source, true);
    if (r < 0) return r;
    if (W2.mnt.ns !== ns) return -E.EINVAL;
    if (isDir(W2.d.inode.mode) !== isDir(d.inode.mode)) return -E.ENOTDIR;
    // A bind mount shows the source's file system from the source's dentry, with the
    // source mount's flags (MS_RDONLY and friends take a remount, as on Linux).
    ns.mount(W2.mnt.fs, W2.d, new VPath(mnt, d), W2.mnt.flags, W2.mnt.source);
    return 0;
  }
  if ((flags & MS_PROPAGATION) !== 0) {
    // One namespace per container: nothing propagates, so every type is already true.
    return isRoot ? 0 : -E.EINVAL;
  }
  if ((flags & MS_MOVE) !== 0) return -E.EINVAL; // not offered (see the table's note)
  if (type.length === 0) return -E.EINVAL;
  if (ns.newFs === null) return -E.ENODEV;
  const fs = ns.newFs(type, data);
  if (typeof fs === 'number') return fs;
  if (!isDir(d.inode.mode)) return -E.ENOTDIR;
  let mflags = mountFlags(flags);
  if (type === 'cgroup' || type === 'cgroup2') mflags |= MNT_RDONLY;
  ns.mount(fs, new Dentry('/', null, fs.root()), new VPath(mnt, d), mflags, source.length > 0 ? source : type);
  return 0;
}

function umount2(t: Task, targetAddr: number, flags: number): number {
  flags = uint(flags);
  if ((flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) !== 0) return -E.EINVAL;
  if ((flags & MNT_EXPIRE) !== 0 && (flags & (MNT_FORCE | MNT_DETACH)) !== 0) return -E.EINVAL;
  const target = readPathArg(t, targetAddr);
  if (typeof target === 'number') return target;
  if (target.length === 0) return -E.ENOENT;
  let r = startAt(t, W1, AT_FDCWD, target);
  if (r < 0) return r;
  r = walkPath(W1, target, (flags & UMOUNT_NOFOLLOW) === 0);
  if (r < 0) return r;
  if (!t.creds.hasCap(CAP_SYS_ADMIN)) return -E.EPERM;
  const m: Mount = W1.mnt;
  if (W1.d !== m.root || m.ns === null) return -E.EINVAL;
  if (m.parent === null) return -E.EBUSY; // the root of the namespace
  if ((flags & MNT_EXPIRE) !== 0) return -E.EAGAIN; // first call only marks it, as on Linux
  if ((flags & MNT_DETACH) !== 0) return m.ns.umountTree(m);
  return m.ns.umount(m);
}

export function register(table: SyscallTable): void {
  const note = 'inside the sandbox only, with CAP_SYS_ADMIN: tmpfs, proc, mqueue and cgroup file systems, ' +
    'bind mounts of container paths (not recursive), remounts, propagation changes (no-ops); MS_MOVE is refused ' +
    'with EINVAL; a mount in use is unmounted anyway (as with MNT_DETACH)';
  table.def(NR.mount, mount, 'partial', note);
  table.def(NR.umount2, umount2, 'partial', note);
}
