// A process's file-system context (Linux's fs_struct): its root, its working directory
// and its umask. Shared by threads and CLONE_FS children; copied by fork.
import type { VPath } from './mount';

export class FsContext {
  umask = 0o022;
  private users = 1;

  constructor(
    public root: VPath,
    public cwd: VPath = root,
  ) {}

  /** A copy for fork without CLONE_FS. */
  fork(): FsContext {
    const c = new FsContext(this.root, this.cwd);
    c.umask = this.umask;
    return c;
  }

  /** clone(): the same context with one more user (CLONE_FS), or a copy. */
  forClone(share: boolean): FsContext {
    if (!share) return this.fork();
    this.users++;
    return this;
  }

  incUsers(): void {
    this.users++;
  }

  decUsers(): void {
    this.users--;
  }
}
