// Permission checks from the sentry's emulated credentials: mode bits for owner, group
// and others, then the capabilities that override them, as Linux's generic_permission
// does. (The host process has no privilege these numbers could grant.)
import * as E from '../abi/errno';
import { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, Credentials } from '../auth/creds';
import { MAY_EXEC, MAY_READ, MAY_WRITE, S_IFDIR, S_IFMT, S_ISVTX } from './abi';
import type { Inode } from './inode';
import { fsPolicy } from './policy';

/** 0 when creds may access inode for `may` (MAY_READ|MAY_WRITE|MAY_EXEC), else -EACCES. */
export function permission(creds: Credentials, inode: Inode, may: number): number {
  return modePermission(creds, inode.mode, inode.uid, inode.gid, may);
}

export function modePermission(creds: Credentials, mode: number, uid: number, gid: number, may: number): number {
  may &= MAY_READ | MAY_WRITE | MAY_EXEC;
  let bits: number;
  if (creds.fsuid === uid) bits = mode >> 6;
  else if (creds.inGroup(gid)) bits = mode >> 3;
  else bits = mode;
  if ((may & ~bits & 7) === 0) return 0;
  const dir = (mode & S_IFMT) === S_IFDIR;
  // CAP_DAC_READ_SEARCH: read any file, read and search any directory.
  if (creds.hasCap(CAP_DAC_READ_SEARCH)) {
    if (dir ? (may & MAY_WRITE) === 0 : may === MAY_READ) return 0;
  }
  // CAP_DAC_OVERRIDE: anything, except executing a file no one may execute.
  if (creds.hasCap(CAP_DAC_OVERRIDE)) {
    if ((may & MAY_EXEC) === 0 || dir || (mode & 0o111) !== 0) return 0;
  }
  return -E.EACCES;
}

/** The caller owns the inode or has CAP_FOWNER (chmod, utimes with explicit times). */
export function isOwner(creds: Credentials, inode: Inode): boolean {
  return creds.fsuid === inode.uid || creds.hasCap(CAP_FOWNER);
}

/**
 * Sticky-directory rule for unlink/rename: in a directory with S_ISVTX only the owner
 * of the file or of the directory (or CAP_FOWNER) may remove an entry.
 */
export function stickyAllows(creds: Credentials, dir: Inode, child: Inode): boolean {
  if ((dir.mode & S_ISVTX) === 0) return true;
  return creds.fsuid === child.uid || creds.fsuid === dir.uid || creds.hasCap(CAP_FOWNER);
}

/**
 * fs.protected_symlinks: in a sticky, world-writable directory (/tmp) a symlink is only
 * followed by its owner or when the directory's owner also owns the link.
 */
export function mayFollowLink(creds: Credentials, dir: Inode, link: Inode): number {
  if (!fsPolicy.protectedSymlinks) return 0;
  if (creds.fsuid === link.uid) return 0;
  if ((dir.mode & (S_ISVTX | 0o002)) !== (S_ISVTX | 0o002)) return 0;
  if (dir.uid === link.uid) return 0;
  return -E.EACCES;
}

/**
 * Credentials for access()/faccessat() without AT_EACCESS: the real ids stand in for the
 * fs ids, and a non-root real uid has no capabilities (Linux's access_override_creds).
 */
export function accessCreds(c: Credentials): Credentials {
  const same = c.uid === 0
    ? c.effective.lo === c.permitted.lo && c.effective.hi === c.permitted.hi
    : c.effective.lo === 0 && c.effective.hi === 0;
  if (c.fsuid === c.uid && c.fsgid === c.gid && same) return c;
  const a = c.clone();
  a.fsuid = c.uid;
  a.fsgid = c.gid;
  if (c.uid !== 0) {
    a.effective.lo = 0;
    a.effective.hi = 0;
  } else {
    a.effective = c.permitted.clone();
  }
  return a;
}
