// Extended attributes at the VFS level: namespace rules and permission checks as Linux's
// fs/xattr.c applies them before a file system sees the request (xattr_permission,
// the capability hook for security.*, the handler lookup by prefix). Storage is the file
// system's (Inode.getxattr/setxattr/listxattr).
import * as E from '../abi/errno';
import { CAP_SYS_ADMIN, Credentials } from '../auth/creds';
import { MAY_READ, MAY_WRITE, S_IFDIR, S_IFMT, S_IFREG, S_ISVTX } from './abi';
import type { Dentry } from './dentry';
import { IN_ATTRIB, notifyDentry } from './fsnotify';
import type { Inode } from './inode';
import type { Mount } from './mount';
import { isOwner, permission } from './perm';
import type { VfsTask } from './task';

export const XATTR_CREATE = 1, XATTR_REPLACE = 2;
export const XATTR_NAME_MAX = 255, XATTR_SIZE_MAX = 65536, XATTR_LIST_MAX = 65536;

const KNOWN = ['user.', 'trusted.', 'security.', 'system.'];

/** Linux's xattr_permission. */
function xattrPermission(c: Credentials, inode: Inode, name: string, may: number): number {
  if (name.startsWith('security.') || name.startsWith('system.')) return 0;
  if (name.startsWith('trusted.')) {
    if (!c.hasCap(CAP_SYS_ADMIN)) return (may & MAY_WRITE) !== 0 ? -E.EPERM : -E.ENODATA;
    return 0;
  }
  if (name.startsWith('user.')) {
    const type = inode.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR) return (may & MAY_WRITE) !== 0 ? -E.EPERM : -E.ENODATA;
    if (type === S_IFDIR && (inode.mode & S_ISVTX) !== 0 && (may & MAY_WRITE) !== 0 && !isOwner(c, inode)) {
      return -E.EPERM;
    }
  }
  return permission(c, inode, may);
}

/**
 * The handler lookup: a name needs a known prefix (EOPNOTSUPP) and something after it
 * (EINVAL). system.* holds only POSIX ACLs on Linux, which the sentry does not keep.
 */
function resolveName(name: string): number {
  for (const p of KNOWN) {
    if (name.startsWith(p)) {
      if (name.length === p.length) return -E.EINVAL;
      return p === 'system.' ? -E.EOPNOTSUPP : 0;
    }
  }
  return -E.EOPNOTSUPP;
}

export function getXattr(t: VfsTask, inode: Inode, name: string): Uint8Array | number {
  const r = xattrPermission(t.creds, inode, name, MAY_READ);
  if (r < 0) return r;
  const n = resolveName(name);
  if (n < 0) return n;
  return inode.getxattr(t, name);
}

/** setxattr (value) and removexattr (null). d: for the IN_ATTRIB event. */
export function setXattr(t: VfsTask, mnt: Mount, d: Dentry, name: string, value: Uint8Array | null,
  flags: number): number {
  if (mnt.readOnly) return -E.EROFS;
  const inode = d.inode;
  let r = xattrPermission(t.creds, inode, name, MAY_WRITE);
  if (r < 0) return r;
  // The capability module's hook: changing security.* needs CAP_SYS_ADMIN.
  if (name.startsWith('security.') && !t.creds.hasCap(CAP_SYS_ADMIN)) return -E.EPERM;
  r = resolveName(name);
  if (r < 0) return r;
  r = inode.setxattr(t, name, value, flags);
  if (r === 0) notifyDentry(d, IN_ATTRIB);
  return r;
}

/** The names the caller may see (trusted.* only with CAP_SYS_ADMIN). */
export function listXattr(t: VfsTask, inode: Inode): string[] {
  const all = inode.listxattr(t);
  if (t.creds.hasCap(CAP_SYS_ADMIN)) return all;
  return all.filter((n) => !n.startsWith('trusted.'));
}
