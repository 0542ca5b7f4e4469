// Dentries: the VFS's cache of names. A dentry ties a name in a parent directory to an
// inode; the tree of dentries is what path walks traverse, so a walk over cached names
// costs one Map lookup per component and no file-system call.
//
// The cache is kept coherent by the VFS itself: every operation that adds, removes or
// renames a name goes through vfs/ops and updates the parent's child map. Known-missing
// names are cached too (`null` children) because programs probe many absent paths
// (PATH search, the dynamic loader's library search); a directory keeps at most
// NEG_LIMIT of them.
import type { Inode } from './inode';

const NEG_LIMIT = 256;

export class Dentry {
  /** Child name -> dentry, or null when the name is known not to exist. */
  private children: Map<string, Dentry | null> | null = null;
  private negatives = 0;
  /** How many mounts sit on this dentry (in any namespace). */
  mountCount = 0;
  /** Unlinked (the inode may live on through open files). */
  dead = false;
  /** Open file descriptions on this dentry (their last close ends an unlinked inode). */
  openCount = 0;
  /** Its inode lost its last name while open: watchers hear IN_DELETE_SELF at the last close. */
  deleteSelfPending = false;

  constructor(
    public name: string,
    public parent: Dentry | null,
    readonly inode: Inode,
  ) {}

  /** A cached child: a Dentry, null (known absent) or undefined (not cached). */
  cached(name: string): Dentry | null | undefined {
    const c = this.children;
    return c === null ? undefined : c.get(name);
  }

  /** Caches a positive child. */
  addChild(d: Dentry): void {
    let c = this.children;
    if (c === null) c = this.children = new Map();
    const old = c.get(d.name);
    if (old === null) this.negatives--;
    c.set(d.name, d);
  }

  /** Caches the knowledge that name does not exist. */
  addNegative(name: string): void {
    if (this.negatives >= NEG_LIMIT) return;
    let c = this.children;
    if (c === null) c = this.children = new Map();
    if (c.has(name)) return;
    c.set(name, null);
    this.negatives++;
  }

  /** Forgets name (positive or negative). */
  forget(name: string): void {
    const c = this.children;
    if (c === null) return;
    const old = c.get(name);
    if (old === undefined) return;
    if (old === null) this.negatives--;
    c.delete(name);
  }

  /** Removes child d from the cache and marks it dead (unlink, rmdir). */
  removeChild(d: Dentry): void {
    const c = this.children;
    if (c !== null && c.get(d.name) === d) c.delete(d.name);
    d.dead = true;
  }

  /** Positive cached children (for invalidation after renames of whole directories). */
  cachedChildren(): IterableIterator<Dentry | null> | null {
    return this.children === null ? null : this.children.values();
  }

  /** Drops every cached child (used when a directory's contents change behind the cache). */
  clearCache(): void {
    this.children = null;
    this.negatives = 0;
  }
}
