// Synthetic trees: fixed directories of generated read-only files, as procfs's system
// files (/proc/meminfo, /proc/sys/...) and sysfs are. A file's text is generated when it
// is opened, so every open sees current values and a reader sees one consistent snapshot.
import * as E from '../../abi/errno';
import { DT_DIR, DT_REG, O_ACCMODE, O_RDONLY, S_IFDIR, S_IFREG, SEEK_CUR, SEEK_END, SEEK_SET } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { DirectoryFile, FileDescription } from '../../vfs/file';
import { DirEntry, FileSystem, Inode } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { Stat, TimeSource } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';

/** Generates a file's text for the caller. */
export type SynthGen = (t: VfsTask) => string;

/** A description of a tree: a string-keyed object whose leaves are generators. */
export interface SynthSpec {
  [name: string]: SynthSpec | SynthGen | SynthFileSpec;
}

/** A leaf with a mode other than 0444. */
export interface SynthFileSpec {
  gen: SynthGen;
  mode: number;
}

function isFileSpec(x: unknown): x is SynthFileSpec {
  return typeof x === 'object' && x !== null && typeof (x as SynthFileSpec).gen === 'function';
}

/** Inode numbers for a tree: counting from base, one per node. */
export class InoAllocator {
  constructor(private next: number) {}
  alloc(): number {
    return this.next++;
  }
}

abstract class SynthNode extends Inode {
  readonly uid = 0;
  readonly gid = 0;
  constructor(readonly fs: FileSystem, readonly ino: number, private readonly clock: TimeSource) {
    super();
  }

  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.mode = this.mode;
    st.nlink = (this.mode & S_IFDIR) === S_IFDIR ? 2 : 1;
    st.blksize = 4096;
    this.clock.read(0);
    st.atimeSec = st.mtimeSec = st.ctimeSec = this.clock.ts[0];
    st.atimeNsec = st.mtimeNsec = st.ctimeNsec = this.clock.ts[1];
  }

  /** Nothing can be created in a synthetic tree. */
  override create(): number {
    return -E.EACCES;
  }
}

export class SynthDir extends SynthNode {
  readonly mode = S_IFDIR | 0o555;
  readonly children = new Map<string, Inode>();

  constructor(fs: FileSystem, ino: number, clock: TimeSource) {
    super(fs, ino, clock);
  }

  override lookup(_t: VfsTask, name: string): Inode | number {
    return this.children.get(name) ?? -E.ENOENT;
  }

  override readdir(): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, i] of this.children) out.push({ name, ino: i.ino, type: i instanceof SynthDir ? DT_DIR : DT_REG });
    return out;
  }

  override open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return new DirectoryFile(mnt, d, flags);
  }

  /** Adds the nodes of spec under this directory. */
  build(spec: SynthSpec, inos: InoAllocator, clock: TimeSource): this {
    for (const [name, v] of Object.entries(spec)) {
      if (typeof v === 'function') this.children.set(name, new SynthFile(this.fs, inos.alloc(), clock, v, 0o444));
      else if (isFileSpec(v)) this.children.set(name, new SynthFile(this.fs, inos.alloc(), clock, v.gen, v.mode));
      else this.children.set(name, new SynthDir(this.fs, inos.alloc(), clock).build(v, inos, clock));
    }
    return this;
  }
}

export class SynthFile extends SynthNode {
  readonly mode: number;
  constructor(fs: FileSystem, ino: number, clock: TimeSource, readonly gen: SynthGen, mode: number) {
    super(fs, ino, clock);
    this.mode = S_IFREG | mode;
  }

  override stat(st: Stat): void {
    super.stat(st);
    // procfs and sysfs report no size for generated files (sysfs says 4096; readers
    // must read to EOF either way).
    st.size = this.fs.magic === SYSFS_MAGIC ? 4096 : 0;
  }

  override open(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    // Writes are not supported: the values describe the sandbox and are fixed.
    if ((flags & O_ACCMODE) !== O_RDONLY) return -E.EACCES;
    return new SynthTextFD(mnt, d, flags, Buffer.from(this.gen(t), 'latin1'));
  }
}

export const SYSFS_MAGIC = 0x62656572;

/**
 * A read-only snapshot of generated text (sysfs and /proc files). seekEnd: whether
 * SEEK_END works (sysfs files have a size; /proc's seq files refuse it with EINVAL).
 */
export class SynthTextFD extends FileDescription {
  constructor(mnt: Mount, d: Dentry, flags: number, private readonly data: Buffer, private readonly seekEnd = true) {
    super(mnt, d, flags);
  }

  override get seekable(): boolean {
    return true;
  }

  override read(_t: VfsTask, dst: Uint8Array, off: number, len: number, pos: number): number {
    const p = pos < 0 ? this.offset : pos;
    if (p >= this.data.length) return 0;
    const n = Math.min(len, this.data.length - p);
    this.data.copy(dst, off, p, p + n);
    if (pos < 0) this.offset = p + n;
    return n;
  }

  override lseek(_t: VfsTask, off: number, whence: number): number {
    let pos: number;
    if (whence === SEEK_SET) pos = off;
    else if (whence === SEEK_CUR) pos = this.offset + off;
    else if (whence === SEEK_END && this.seekEnd) pos = this.data.length + off;
    else return -E.EINVAL;
    if (pos < 0) return -E.EINVAL;
    this.offset = pos;
    return pos;
  }
}
