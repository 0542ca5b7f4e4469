// Points where the VFS must reach up into the kernel without importing it (vfs/ sits
// below kernel/). The kernel installs the real functions at boot.
import type { VfsTask } from './task';

export const vfsHooks = {
  /**
   * A write hit a pipe (or socket) with no reader: Linux sends SIGPIPE to the writer
   * before the call returns EPIPE. Called by the write-family syscalls on -EPIPE.
   */
  brokenPipe(_t: VfsTask): void {
    // Installed by the kernel once signal delivery exists.
  },
};
