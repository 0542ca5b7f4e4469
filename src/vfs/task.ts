// What the VFS and the file systems need from the task making a call. The kernel's
// Task implements this; vfs/ cannot import kernel/ (it sits below it).
import type { Credentials } from '../auth/creds';
import type { MM } from '../mm/mm';
import type { WaitQueue } from '../waiter/waiter';

export interface VfsTask {
  readonly mm: MM;
  readonly creds: Credentials;
  /**
   * Parks the task on q until an event in mask (or the deadline, CLOCK_MONOTONIC ns;
   * -1 = none) and returns BLOCKED from src/syscalls/types.ts; the handler then runs
   * again with `restarting` true. Handlers must be safe to re-run until they commit.
   */
  block(q: WaitQueue, mask: number, deadlineNs: number): number;
  /** Parks the task until the host fd is ready for events (stdio, host sockets). */
  blockOnHostFd(fd: number, events: number, deadlineNs: number): number;
  /** True when this run of the handler follows a block. */
  readonly restarting: boolean;
  /** True when the block ended because its deadline passed. */
  readonly timedOut: boolean;
  /** True when a signal is pending that should interrupt a blocking call (EINTR). */
  interrupted(): boolean;
  /**
   * Progress of a transfer that blocked part-way (a blocking write larger than a pipe's
   * free space): bytes already done by earlier runs of the current syscall. The fs
   * syscall handlers reset it whenever `restarting` is false, so the kernel only has to
   * provide the field (a plain number, initially 0).
   */
  ioProgress: number;
  /** Sandbox-visible ids, for /proc/self and file ownership. */
  readonly tid: number;
  readonly tgid: number;
}
