// /proc/[pid]/mounts and /proc/[pid]/mountinfo: the mounts of the process's namespace
// that are reachable from its root, with paths as that root sees them (Linux's
// show_vfsmnt and show_mountinfo). Host paths never appear: a bind mount's source
// is shown as "none".
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, Mount, VPath } from '../../vfs/mount';
import { pathFrom } from '../../vfs/ops';

/** Octal escapes for the characters that would break the space-separated format. */
function escape(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => '\\' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

function flagText(m: Mount): string {
  let s = m.readOnly ? 'ro' : 'rw';
  if ((m.flags & MNT_NOSUID) !== 0) s += ',nosuid';
  if ((m.flags & MNT_NODEV) !== 0) s += ',nodev';
  if ((m.flags & MNT_NOEXEC) !== 0) s += ',noexec';
  return s + ',relatime';
}

/** (mount, its path from root) for each reachable mount, parents first. */
function reachable(root: VPath): [Mount, string][] {
  const ns = root.mnt.ns;
  if (ns === null) return [];
  const out: [Mount, string][] = [];
  for (const m of ns.all()) {
    const p = pathFrom(root.mnt, root.d, m, m.root);
    if (p !== null) out.push([m, p]);
  }
  return out;
}

export function mountsText(root: VPath): string {
  let s = '';
  for (const [m, p] of reachable(root)) {
    const extra = m.fs.mountOptions();
    s += `${escape(m.source)} ${escape(p)} ${m.fs.name} ${flagText(m)}${extra === '' ? '' : ',' + extra} 0 0\n`;
  }
  return s;
}

export function mountInfoText(root: VPath): string {
  let s = '';
  for (const [m, p] of reachable(root)) {
    const dev = m.fs.dev;
    const major = (dev >>> 8) & 0xfff, minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
    // The path of the mount's root inside its file system ("/" unless a bind of a subtree).
    const inFs = m.root.parent === null ? '/' : '/' + m.root.name;
    const parent = m.parent !== null ? m.parent.id : m.id;
    const sup = m.fs.mountOptions();
    s += `${m.id} ${parent} ${major}:${minor} ${escape(inFs)} ${escape(p)} ${flagText(m)} - ${m.fs.name} ` +
      `${escape(m.source)} ${m.readOnly ? 'ro' : 'rw'}${sup === '' ? '' : ',' + sup}\n`;
  }
  return s;
}
