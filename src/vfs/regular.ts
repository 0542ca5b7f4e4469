// What every regular-file description shares, whatever file system holds the bytes:
// seeking against the file's size, fsync as a no-op (the sentry has nothing to flush),
// FIONREAD's count, and mmap of the file's bytes.
import type { MapSource } from '../mm/mm';
import { ByteSource, FileDescription, FileMapSource, seekTo } from './file';
import { mapNameOf } from './ops';
import type { VfsTask } from './task';

export abstract class RegularFileFD extends FileDescription {
  /** The file's bytes and current size. */
  abstract readonly file: ByteSource & { readonly size: number };

  override get seekable(): boolean {
    return true;
  }

  override lseek(_t: VfsTask, off: number, whence: number): number {
    return seekTo(this, off, whence, this.file.size);
  }

  override fsync(): number {
    return 0;
  }

  override available(): number {
    return Math.max(0, this.file.size - this.offset);
  }

  override mapSource(): MapSource {
    // dev/ino as stat shows them through the path it was opened by (the overlay's, say).
    const i = this.dentry.inode;
    return new FileMapSource(this.file, mapNameOf(this.mnt, this.dentry), i.fs.dev, i.ino, this.file.size);
  }
}
