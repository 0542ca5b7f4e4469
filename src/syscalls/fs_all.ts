// All file-family syscalls (fs_*.ts) in one call, for syscalls/index.ts.
import { SyscallTable } from './table';
import * as attr from './fs_attr';
import * as dir from './fs_dir';
import * as fd from './fs_fd';
import * as lock from './fs_lock';
import * as memfd from './memfd';
import * as splice from './splice';
import * as alloc from './fs_alloc';
import * as mknod from './fs_mknod';
import * as open from './fs_open';
import * as rw from './fs_rw';
import * as stat from './fs_stat';
import * as xattr from './xattr';

export function register(table: SyscallTable): void {
  const families = [open, rw, stat, dir, fd, attr, xattr, lock, memfd, splice, alloc, mknod];
  for (const family of families) family.register(table);
}
