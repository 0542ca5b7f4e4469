// Mount requests as an OCI config (or `tsvisor do --mount`) states them, checked and
// turned into what the sentry mounts. Parsing is separate from mounting so a bad config
// is refused, with the field named, before anything is built.
//
// Options follow mount(8): the generic flags (ro, nosuid, nodev, noexec and their
// opposites) become mount flags the VFS enforces; propagation and atime flags are
// accepted and have nothing to do in a sandbox with one mount namespace per container;
// the rest are the file system's own options (tmpfs size=, mode=, ...), checked against
// the list each file system understands.
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_RDONLY } from '../vfs/mount';

/** One entry of config.json's "mounts". */
export interface MountSpec {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** A bad mount request; the message names the field (e.g. "mounts[2].options"). */
export class MountSpecError extends Error {}

/** The file system types the sentry can mount. */
export type MountKind = 'bind' | 'tmpfs' | 'proc' | 'sysfs' | 'devpts' | 'mqueue' | 'cgroup' | 'cgroup2';

export interface ParsedMount {
  /** Absolute, normalised path in the container. */
  destination: string;
  kind: MountKind;
  /** Host path for bind mounts; the source field otherwise (shown in /proc/mounts). */
  source: string;
  /** MNT_* flags. */
  flags: number;
  /** File-system options, in the order given (key -> value; '' for a bare word). */
  data: Map<string, string>;
}

const FLAG_SET: Record<string, number> = { ro: MNT_RDONLY, nosuid: MNT_NOSUID, nodev: MNT_NODEV, noexec: MNT_NOEXEC };
const FLAG_CLEAR: Record<string, number> = { rw: MNT_RDONLY, suid: MNT_NOSUID, dev: MNT_NODEV, exec: MNT_NOEXEC };

/** Accepted with no effect: propagation (one namespace per container), atime policy, sync. */
const NO_EFFECT = new Set([
  'bind', 'rbind', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable',
  'relatime', 'norelatime', 'strictatime', 'nostrictatime', 'noatime', 'atime', 'nodiratime', 'diratime',
  'lazytime', 'nolazytime', 'sync', 'async', 'dirsync', 'silent', 'loud', 'mand', 'nomand', 'defaults',
  'iversion', 'noiversion', 'nosymfollow',
]);

/** File-system options each type understands (anything else is refused). */
const DATA_OPTIONS: Record<MountKind, ReadonlySet<string>> = {
  bind: new Set(),
  tmpfs: new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'huge', 'mpol', 'inode64', 'inode32']),
  proc: new Set(['hidepid', 'gid', 'subset']),
  sysfs: new Set(),
  devpts: new Set(['newinstance', 'ptmxmode', 'mode', 'gid', 'uid', 'max']),
  mqueue: new Set(),
  // Controller names and cgroup2 mount options: accepted, the hierarchy is not modelled.
  cgroup: new Set(['*']),
  cgroup2: new Set(['*']),
};

const KINDS = new Set<string>(Object.keys(DATA_OPTIONS));

/** Normalises an absolute container path ("/a//b/./c/" -> "/a/b/c"); null if not absolute. */
export function normalizeDest(p: string): string | null {
  if (!p.startsWith('/')) return null;
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

/** Parses a size with an optional k/m/g suffix ("65536k"), or a percentage of ramBytes. */
export function parseSize(v: string, ramBytes: number): number | null {
  const m = /^(\d+)([kKmMgGtT%]?)$/.exec(v);
  if (m === null) return null;
  const n = Number(m[1]);
  switch (m[2]) {
    case 'k': case 'K': return n * 1024;
    case 'm': case 'M': return n * 1024 ** 2;
    case 'g': case 'G': return n * 1024 ** 3;
    case 't': case 'T': return n * 1024 ** 4;
    case '%': return Math.floor((ramBytes * n) / 100);
    default: return n;
  }
}

/** Checks one mount request; `where` names it in errors ("mounts[3]"). */
export function parseMountSpec(spec: unknown, where: string): ParsedMount {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new MountSpecError(`${where}: must be an object`);
  }
  const s = spec as Record<string, unknown>;
  if (typeof s.destination !== 'string' || s.destination === '') {
    throw new MountSpecError(`${where}.destination: must be a non-empty string`);
  }
  const destination = normalizeDest(s.destination);
  if (destination === null) throw new MountSpecError(`${where}.destination: "${s.destination}" is not an absolute path`);
  if (destination === '/') throw new MountSpecError(`${where}.destination: cannot mount over the root (use root.path)`);
  if (s.type !== undefined && typeof s.type !== 'string') throw new MountSpecError(`${where}.type: must be a string`);
  if (s.source !== undefined && typeof s.source !== 'string') throw new MountSpecError(`${where}.source: must be a string`);
  if (s.options !== undefined && (!Array.isArray(s.options) || s.options.some((o) => typeof o !== 'string'))) {
    throw new MountSpecError(`${where}.options: must be an array of strings`);
  }
  const options = (s.options ?? []) as string[];
  const isBind = options.includes('bind') || options.includes('rbind');
  let type = (s.type as string | undefined) ?? '';
  // runc treats any mount with a bind option as a bind mount, whatever its type says.
  if (isBind || type === 'none' || type === '') {
    if (!isBind && type !== 'bind') {
      throw new MountSpecError(`${where}.type: missing (or "none") without a "bind" option`);
    }
    type = 'bind';
  }
  if (!KINDS.has(type)) {
    throw new MountSpecError(`${where}.type: "${type}" is not supported (bind, tmpfs, proc, sysfs, devpts, mqueue, cgroup, cgroup2)`);
  }
  const kind = type as MountKind;
  const source = (s.source as string | undefined) ?? kind;
  if (kind === 'bind' && !source.startsWith('/')) {
    throw new MountSpecError(`${where}.source: a bind mount needs an absolute host path, got "${source}"`);
  }
  let flags = 0;
  const data = new Map<string, string>();
  const known = DATA_OPTIONS[kind];
  for (const o of options) {
    if (o in FLAG_SET) flags |= FLAG_SET[o];
    else if (o in FLAG_CLEAR) flags &= ~FLAG_CLEAR[o];
    else if (NO_EFFECT.has(o)) continue;
    else {
      const eq = o.indexOf('=');
      const key = eq < 0 ? o : o.slice(0, eq);
      if (!known.has(key) && !known.has('*')) {
        throw new MountSpecError(`${where}.options: "${o}" is not an option of ${kind} mounts`);
      }
      data.set(key, eq < 0 ? '' : o.slice(eq + 1));
    }
  }
  if (kind === 'tmpfs') checkTmpfsData(data, where);
  return { destination, kind, source, flags, data };
}

function checkTmpfsData(data: Map<string, string>, where: string): void {
  const size = data.get('size');
  if (size !== undefined && parseSize(size, 1) === null) {
    throw new MountSpecError(`${where}.options: bad tmpfs size "${size}"`);
  }
  const mode = data.get('mode');
  if (mode !== undefined && !/^[0-7]{1,4}$/.test(mode)) throw new MountSpecError(`${where}.options: bad tmpfs mode "${mode}"`);
  for (const k of ['uid', 'gid', 'nr_inodes']) {
    const v = data.get(k);
    if (v !== undefined && !/^\d+[kKmMgG]?$/.test(v)) throw new MountSpecError(`${where}.options: bad tmpfs ${k} "${v}"`);
  }
}

/**
 * Parses `tsvisor do --mount` values in Docker's --mount syntax:
 * type=bind,source=/h,target=/c[,readonly][,bind-propagation=..], type=tmpfs,target=/c
 * [,tmpfs-size=N][,tmpfs-mode=1777]; returns a MountSpec.
 */
export function mountSpecFromFlag(v: string): MountSpec {
  let type = 'bind';
  let source: string | undefined;
  let destination = '';
  const options: string[] = [];
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? '' : part.slice(eq + 1);
    switch (k) {
      case 'type': type = val; break;
      case 'source': case 'src': source = val; break;
      case 'target': case 'destination': case 'dst': destination = val; break;
      case 'readonly': case 'ro':
        if (val === '' || val === 'true' || val === '1') options.push('ro');
        break;
      case 'tmpfs-size': options.push(`size=${val}`); break;
      case 'tmpfs-mode': options.push(`mode=${val}`); break;
      case 'bind-propagation': break;
      case 'options': options.push(...val.split(':').filter((o) => o !== '')); break;
      default: throw new MountSpecError(`--mount: unknown key "${k}" in "${v}"`);
    }
  }
  if (type === 'bind') options.unshift('rbind');
  return { destination, type, source, options };
}

/** Parses `-v /host:/container[:ro]` (Docker's volume syntax for host paths). */
export function mountSpecFromVolume(v: string): MountSpec {
  const parts = v.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw new MountSpecError(`--volume: expected HOST:CONTAINER[:ro|rw], got "${v}"`);
  }
  const options = ['rbind'];
  if (parts.length === 3) {
    for (const o of parts[2].split(',')) {
      if (o !== 'ro' && o !== 'rw') throw new MountSpecError(`--volume: unknown option "${o}" in "${v}"`);
      options.push(o);
    }
  }
  return { destination: parts[1], type: 'bind', source: parts[0], options };
}

/** /dev, its pts, shm and mqueue, and /sys, as runc's default spec and Docker give them. */
export const STANDARD_DEV_SYS_MOUNTS: readonly MountSpec[] = [
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];

/**
 * What `tsvisor do` mounts when nothing else is asked: the mounts Docker gives a
 * container (less those of the host's /sys, /dev/pts, which come with their file
 * systems), and a fresh /tmp.
 */
export const DEFAULT_MOUNTS: readonly MountSpec[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  ...STANDARD_DEV_SYS_MOUNTS,
  { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
];
