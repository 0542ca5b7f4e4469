// memfd_create(2) and the seal commands of fcntl (F_ADD_SEALS, F_GET_SEALS).
//
// A memfd is an unnamed tmpfs file whose data lives in the memory file from the start
// (mm/shmem.ts), so MAP_SHARED mappings in any process and read()/write() on the fd all
// see the same pages. Its dentry is named "/memfd:NAME (deleted)", which is what
// /proc/pid/fd and /proc/pid/maps show on Linux.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import {
  F_SEAL_EXEC, F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE, TmpFile, TmpFileFD, TmpFs,
} from '../fs/tmpfs/tmpfs';
import { F_ADD_SEALS, O_LARGEFILE, O_RDWR, S_IFREG } from '../vfs/abi';
import { Dentry } from '../vfs/dentry';
import type { FileDescription } from '../vfs/file';
import { anonMount } from '../vfs/mount';
import { NR } from './names';
import { SyscallTable } from './table';
import { uint } from './fs_util';

const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;
const MFD_ALL = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
/** MFD_HUGE_* size encodings (bits 26..31), accepted with MFD_HUGETLB. */
const MFD_HUGE_BITS = 0x3f << 26;
/** NAME_MAX minus "memfd:". */
const MFD_NAME_MAX = 249;
const F_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;

/** The (mount-less) tmpfs instance memfds live on: shmem's internal mount on Linux. */
const memfdFs = new TmpFs({ name: 'tmpfs', rootMode: 0o1777 });
const memfdMount = anonMount(memfdFs, new Dentry('/', null, memfdFs.root()));

/** A memfd's description: a tmpfs file with no name. */
class MemfdFD extends TmpFileFD {
  override get anonName(): string {
    return this.dentry.name;
  }
}

function memfdCreate(t: Task, nameAddr: number, flags: number): number {
  flags = uint(flags);
  if ((flags & MFD_HUGETLB) === 0 ? (flags & ~MFD_ALL) !== 0 : (flags & ~(MFD_ALL | MFD_HUGE_BITS)) !== 0) {
    return -E.EINVAL;
  }
  if ((flags & MFD_EXEC) !== 0 && (flags & MFD_NOEXEC_SEAL) !== 0) return -E.EINVAL;
  // No huge pages in the memory file: refuse as a kernel without hugetlbfs pages would.
  if ((flags & MFD_HUGETLB) !== 0) return -E.EINVAL;
  const name = t.mm.readCString(nameAddr, MFD_NAME_MAX + 1);
  if (typeof name === 'number') return name === -E.ENAMETOOLONG ? -E.EINVAL : name;
  if (!t.fdTable.hasFree(0)) return -E.EMFILE;
  const noexec = (flags & MFD_NOEXEC_SEAL) !== 0;
  const inode = new TmpFile(memfdFs, S_IFREG | (noexec ? 0o666 : 0o777), t.creds.fsuid, t.creds.fsgid);
  inode.nlink = 0;
  memfdFs.inodes--;
  const fm = inode.toShm(t.mm.mf);
  if (typeof fm === 'number') return fm;
  if (noexec) inode.seals = (inode.seals & ~F_SEAL_SEAL) | F_SEAL_EXEC;
  else if ((flags & MFD_ALLOW_SEALING) !== 0) inode.seals &= ~F_SEAL_SEAL;
  const d = new Dentry(`/memfd:${name} (deleted)`, memfdMount.root, inode);
  d.dead = true;
  const f = new MemfdFD(memfdMount, d, O_RDWR | O_LARGEFILE, inode);
  const fd = t.fdTable.install(f, 0, (flags & MFD_CLOEXEC) !== 0);
  if (fd < 0) f.decRef();
  return fd;
}

/** fcntl F_ADD_SEALS / F_GET_SEALS (Linux's memfd_fcntl). */
export function sealCmd(f: FileDescription, cmd: number, arg: number): number {
  if (cmd === F_ADD_SEALS) {
    if (arg < 0 || arg > 0xffffffff) return -E.EINVAL;
    if (!f.writable) return -E.EPERM;
    if ((arg & ~F_ALL_SEALS) !== 0) return -E.EINVAL;
  }
  if (!(f instanceof TmpFileFD)) return -E.EINVAL;
  const file = f.file;
  if (cmd !== F_ADD_SEALS) return file.seals;
  if ((file.seals & F_SEAL_SEAL) !== 0) return -E.EPERM;
  let seals = arg;
  if ((seals & F_SEAL_WRITE) !== 0 && (file.seals & F_SEAL_WRITE) === 0) {
    if (file.shm !== null && file.shm.writablyMapped()) return -E.EBUSY;
  }
  // F_SEAL_EXEC on an executable file implies the write seals (W^X from the start).
  if ((seals & F_SEAL_EXEC) !== 0 && (file.mode & 0o111) !== 0) {
    seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
  }
  file.seals |= seals;
  return 0;
}

export function register(table: SyscallTable): void {
  table.def(NR.memfd_create, memfdCreate, 'partial',
    'MFD_HUGETLB is refused with EINVAL (no huge pages in the memory file)');
}
