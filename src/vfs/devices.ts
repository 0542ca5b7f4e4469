// Character devices by number. Opening a device node, on whatever file system it lives
// (devtmpfs, a tmpfs mknod, the rootfs image's own /dev), goes through this registry,
// as Linux's chrdev_open does: the node only names the device.
import * as E from '../abi/errno';
import type { Dentry } from './dentry';
import type { FileDescription } from './file';
import type { Mount } from './mount';
import { makedev } from './stat';
import type { VfsTask } from './task';

export type DeviceOpener = (t: VfsTask, mnt: Mount, d: Dentry, flags: number) => FileDescription | number;

export class DeviceRegistry {
  private readonly chr = new Map<number, DeviceOpener>();

  registerChar(major: number, minor: number, open: DeviceOpener): void {
    this.chr.set(makedev(major, minor), open);
  }

  /** Opens character device rdev; ENXIO when nothing is registered for it (as Linux). */
  openChar(rdev: number, t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    const open = this.chr.get(rdev >>> 0);
    if (open === undefined) return -E.ENXIO;
    return open(t, mnt, d, flags);
  }
}
