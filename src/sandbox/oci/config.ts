// config.json of an OCI bundle, checked field by field into what the sandbox boots.
//
// Every field is either honoured, or explicitly accepted with a stated reason it has
// nothing to do in a sandbox (logged, never silent), or refused with an error that names
// it ("process.user.uid: must be a non-negative integer"). An operator who asks for
// something we cannot do hears about it at `create`, not later.
import { isAbsolute, resolve } from 'path';
import { CAP_LAST_CAP, CapSet } from '../../auth/creds';
import { MountSpec, parseMountSpec, MountSpecError } from '../../fs/mountspec';

export class ConfigError extends Error {}

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

/** Capability names as OCI writes them, by number (Linux's order, up to CAP_LAST_CAP). */
export const CAP_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export interface Rlimit {
  resource: number;
  soft: number;
  hard: number;
}

export interface ProcessConfig {
  terminal: boolean;
  consoleSize: { height: number; width: number } | null;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  umask: number | null;
  caps: { bounding: CapSet; effective: CapSet; permitted: CapSet; inheritable: CapSet; ambient: CapSet } | null;
  rlimits: Rlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj: number | null;
}

export interface Hook {
  path: string;
  args: string[];
  env: string[];
  timeout: number | null;
}

export const HOOK_KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
export type HookKind = (typeof HOOK_KINDS)[number];

export interface ContainerConfig {
  ociVersion: string;
  process: ProcessConfig | null;
  /** Absolute host path of the root file system. */
  rootPath: string;
  rootReadonly: boolean;
  hostname: string | null;
  domainname: string | null;
  mounts: MountSpec[];
  annotations: Record<string, string>;
  hooks: Record<HookKind, Hook[]>;
  /** linux.namespaces: type -> path ('' when a new one is asked for). */
  namespaces: Map<string, string>;
  sysctl: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
  /** linux.cgroupsPath (null: none given). */
  cgroupsPath: string | null;
  /** linux.resources, kept as given for the host cgroup of the sandbox process. */
  resources: Record<string, unknown> | null;
  /** linux.seccomp, kept as given (checked, applied by the sentry to the app). */
  seccomp: Record<string, unknown> | null;
  /** Fields accepted without effect, with the reason (for the log). */
  notes: string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function obj(v: unknown, field: string): Obj {
  if (!isObj(v)) throw new ConfigError(`${field}: must be an object`);
  return v;
}

function optObj(v: unknown, field: string): Obj | null {
  return v === undefined || v === null ? null : obj(v, field);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new ConfigError(`${field}: must be a string`);
  return v;
}

function optStr(v: unknown, field: string): string | null {
  return v === undefined ? null : str(v, field);
}

function bool(v: unknown, field: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(`${field}: must be true or false`);
  return v;
}

function uint(v: unknown, field: string, max = 2 ** 32 - 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ConfigError(`${field}: must be an integer from 0 to ${max}`);
  }
  return v;
}

function strArray(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${field}: must be an array of strings`);
  v.forEach((x, i) => str(x, `${field}[${i}]`));
  return v as string[];
}

/** Refuses any key of o not in known (a typo or an unsupported field must not pass). */
function onlyKeys(o: Obj, known: string[], field: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new ConfigError(`${field}.${k}: not supported by tsvisor`);
  }
}

function capSet(v: unknown, field: string): CapSet {
  const s = new CapSet();
  strArray(v, field).forEach((name, i) => {
    const n = CAP_NAMES.indexOf(name);
    if (n < 0 || n > CAP_LAST_CAP) throw new ConfigError(`${field}[${i}]: unknown capability "${name}"`);
    if (n < 32) s.lo = (s.lo | (1 << n)) >>> 0;
    else s.hi = (s.hi | (1 << (n - 32))) >>> 0;
  });
  return s;
}

/** Checks an OCI process object (config.json's, or `exec --process`'s). */
export function parseProcess(p: Obj, notes: string[]): ProcessConfig {
  onlyKeys(p, ['terminal', 'consoleSize', 'user', 'args', 'commandLine', 'env', 'cwd', 'capabilities', 'rlimits',
    'noNewPrivileges', 'apparmorProfile', 'oomScoreAdj', 'selinuxLabel', 'scheduler', 'ioPriority', 'execCPUAffinity'],
  'process');
  const args = strArray(p.args, 'process.args');
  if (p.commandLine !== undefined) throw new ConfigError('process.commandLine: is for Windows; use process.args');
  if (args.length === 0) throw new ConfigError('process.args: must name the program to run');
  const cwd = str(p.cwd ?? '/', 'process.cwd');
  if (!cwd.startsWith('/')) throw new ConfigError(`process.cwd: "${cwd}" is not an absolute path`);
  const env = strArray(p.env, 'process.env');
  env.forEach((e, i) => {
    if (e.indexOf('=') <= 0) throw new ConfigError(`process.env[${i}]: "${e}" is not KEY=VALUE`);
  });
  const user = optObj(p.user, 'process.user') ?? {};
  onlyKeys(user, ['uid', 'gid', 'umask', 'additionalGids', 'username'], 'process.user');
  if (user.username !== undefined) throw new ConfigError('process.user.username: is for Windows; use uid and gid');
  let consoleSize: ProcessConfig['consoleSize'] = null;
  if (p.consoleSize !== undefined) {
    const c = obj(p.consoleSize, 'process.consoleSize');
    consoleSize = { height: uint(c.height, 'process.consoleSize.height', 65535), width: uint(c.width, 'process.consoleSize.width', 65535) };
  }
  let caps: ProcessConfig['caps'] = null;
  if (p.capabilities !== undefined) {
    const c = obj(p.capabilities, 'process.capabilities');
    onlyKeys(c, ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'], 'process.capabilities');
    caps = {
      bounding: capSet(c.bounding, 'process.capabilities.bounding'),
      effective: capSet(c.effective, 'process.capabilities.effective'),
      permitted: capSet(c.permitted, 'process.capabilities.permitted'),
      inheritable: capSet(c.inheritable, 'process.capabilities.inheritable'),
      ambient: capSet(c.ambient, 'process.capabilities.ambient'),
    };
  }
  const rlimits: Rlimit[] = [];
  if (p.rlimits !== undefined) {
    if (!Array.isArray(p.rlimits)) throw new ConfigError('process.rlimits: must be an array');
    p.rlimits.forEach((r, i) => {
      const f = `process.rlimits[${i}]`;
      const o = obj(r, f);
      const type = str(o.type, `${f}.type`);
      const resource = RLIMITS[type];
      if (resource === undefined) throw new ConfigError(`${f}.type: unknown resource "${type}"`);
      const soft = uint(o.soft, `${f}.soft`, Number.MAX_SAFE_INTEGER);
      const hard = uint(o.hard, `${f}.hard`, Number.MAX_SAFE_INTEGER);
      if (soft > hard) throw new ConfigError(`${f}: soft limit ${soft} is above the hard limit ${hard}`);
      if (rlimits.some((x) => x.resource === resource)) throw new ConfigError(`${f}.type: ${type} is given twice`);
      rlimits.push({ resource, soft, hard });
    });
  }
  if (p.apparmorProfile !== undefined) {
    str(p.apparmorProfile, 'process.apparmorProfile');
    notes.push('process.apparmorProfile: not applied; the app reaches no host syscall for a profile to filter');
  }
  if (p.selinuxLabel !== undefined) {
    str(p.selinuxLabel, 'process.selinuxLabel');
    notes.push('process.selinuxLabel: not applied; the app reaches no host file for a label to guard');
  }
  for (const k of ['scheduler', 'ioPriority', 'execCPUAffinity']) {
    if (p[k] !== undefined) throw new ConfigError(`process.${k}: not supported by tsvisor`);
  }
  let oomScoreAdj: number | null = null;
  if (p.oomScoreAdj !== undefined) {
    if (typeof p.oomScoreAdj !== 'number' || !Number.isInteger(p.oomScoreAdj) || p.oomScoreAdj < -1000 || p.oomScoreAdj > 1000) {
      throw new ConfigError('process.oomScoreAdj: must be an integer from -1000 to 1000');
    }
    oomScoreAdj = p.oomScoreAdj;
  }
  return {
    terminal: bool(p.terminal, 'process.terminal', false),
    consoleSize,
    args,
    env,
    cwd,
    uid: uint(user.uid ?? 0, 'process.user.uid'),
    gid: uint(user.gid ?? 0, 'process.user.gid'),
    additionalGids: (() => {
      const g = user.additionalGids;
      if (g === undefined || g === null) return [];
      if (!Array.isArray(g)) throw new ConfigError('process.user.additionalGids: must be an array of integers');
      return g.map((x, i) => uint(x, `process.user.additionalGids[${i}]`));
    })(),
    umask: user.umask === undefined ? null : uint(user.umask, 'process.user.umask', 0o777),
    caps,
    rlimits,
    noNewPrivileges: bool(p.noNewPrivileges, 'process.noNewPrivileges', false),
    oomScoreAdj,
  };
}

function parseHooks(h: Obj | null): Record<HookKind, Hook[]> {
  const out = Object.fromEntries(HOOK_KINDS.map((k) => [k, [] as Hook[]])) as Record<HookKind, Hook[]>;
  if (h === null) return out;
  onlyKeys(h, [...HOOK_KINDS], 'hooks');
  for (const kind of HOOK_KINDS) {
    const list = h[kind];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new ConfigError(`hooks.${kind}: must be an array`);
    list.forEach((x, i) => {
      const f = `hooks.${kind}[${i}]`;
      const o = obj(x, f);
      onlyKeys(o, ['path', 'args', 'env', 'timeout'], f);
      const path = str(o.path, `${f}.path`);
      if (!isAbsolute(path)) throw new ConfigError(`${f}.path: "${path}" is not an absolute path`);
      let timeout: number | null = null;
      if (o.timeout !== undefined) {
        if (typeof o.timeout !== 'number' || !Number.isInteger(o.timeout) || o.timeout <= 0) {
          throw new ConfigError(`${f}.timeout: must be a positive integer (seconds)`);
        }
        timeout = o.timeout;
      }
      out[kind].push({ path, args: strArray(o.args, `${f}.args`), env: strArray(o.env, `${f}.env`), timeout });
    });
  }
  return out;
}

const NS_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/** A network sysctl's name: names of letters, digits, '_' and '-', split by '.' or '/'. */
const NET_SYSCTL_KEY = /^net([./][A-Za-z0-9_-]+)+$/;

/** The sysctls the sentry models (anything else is refused). */
export const SUPPORTED_SYSCTLS = new Set(['kernel.hostname', 'kernel.domainname']);

function parseLinux(l: Obj | null, notes: string[]): Pick<ContainerConfig, 'namespaces' | 'sysctl' | 'maskedPaths' |
  'readonlyPaths' | 'resources' | 'seccomp' | 'cgroupsPath'> {
  const namespaces = new Map<string, string>();
  const empty = { namespaces, sysctl: {}, maskedPaths: [], readonlyPaths: [], resources: null, seccomp: null, cgroupsPath: null };
  if (l === null) return empty;
  onlyKeys(l, ['namespaces', 'uidMappings', 'gidMappings', 'devices', 'cgroupsPath', 'resources', 'rootfsPropagation',
    'seccomp', 'sysctl', 'maskedPaths', 'readonlyPaths', 'mountLabel', 'personality', 'intelRdt', 'timeOffsets'], 'linux');
  if (l.namespaces !== undefined) {
    if (!Array.isArray(l.namespaces)) throw new ConfigError('linux.namespaces: must be an array');
    l.namespaces.forEach((n, i) => {
      const f = `linux.namespaces[${i}]`;
      const o = obj(n, f);
      const type = str(o.type, `${f}.type`);
      if (!NS_TYPES.includes(type)) throw new ConfigError(`${f}.type: unknown namespace type "${type}"`);
      if (namespaces.has(type)) throw new ConfigError(`${f}.type: "${type}" is given twice`);
      const path = optStr(o.path, `${f}.path`) ?? '';
      // Joining an existing namespace means sharing with another container (a pod's
      // pause container, as the CRI asks). Each container is a sandbox of its own, so
      // only these can be joined: the network (the sandbox process is started in that
      // namespace, and the app's inet sockets are host sockets there: see network.ts),
      // IPC (no SysV IPC or message queues are offered, so nothing is shared) and UTS (the
      // sandbox keeps the pod's hostname itself). A shared pid namespace is refused.
      if (path !== '' && !['network', 'ipc', 'uts'].includes(type)) {
        throw new ConfigError(`${f}.path: joining a ${type} namespace is not supported (each container is its own sandbox)`);
      }
      if (path !== '' && type !== 'network') notes.push(`${f}.path: a ${type} namespace is not shared between sandboxes`);
      namespaces.set(type, path);
    });
  }
  for (const k of ['uidMappings', 'gidMappings']) {
    if (l[k] !== undefined) notes.push(`linux.${k}: ids inside are the sentry's own; no host user namespace mapping is needed`);
  }
  if (l.devices !== undefined) {
    if (!Array.isArray(l.devices)) throw new ConfigError('linux.devices: must be an array');
    if (l.devices.length > 0) throw new ConfigError('linux.devices[0]: host devices cannot be given to the sandbox');
  }
  const cgroupsPath = l.cgroupsPath === undefined ? null : str(l.cgroupsPath, 'linux.cgroupsPath');
  if (l.rootfsPropagation !== undefined) {
    str(l.rootfsPropagation, 'linux.rootfsPropagation');
    notes.push('linux.rootfsPropagation: one mount namespace per container; nothing propagates');
  }
  if (l.mountLabel !== undefined) {
    str(l.mountLabel, 'linux.mountLabel');
    notes.push('linux.mountLabel: not applied; the app reaches no host file for a label to guard');
  }
  for (const k of ['personality', 'intelRdt', 'timeOffsets']) {
    if (l[k] !== undefined) throw new ConfigError(`linux.${k}: not supported by tsvisor`);
  }
  const sysctl: Record<string, string> = {};
  if (l.sysctl !== undefined) {
    for (const [k, v] of Object.entries(obj(l.sysctl, 'linux.sysctl'))) {
      sysctl[k] = str(v, `linux.sysctl.${k}`);
      if (SUPPORTED_SYSCTLS.has(k)) continue;
      // Network settings belong to the container's network namespace, where the app's
      // sockets are made: the runtime command writes them there (network.ts).
      if (k.startsWith('net.')) {
        if (!NET_SYSCTL_KEY.test(k)) throw new ConfigError(`linux.sysctl.${k}: not a sysctl name`);
      } else {
        throw new ConfigError(`linux.sysctl.${k}: not modelled by the sentry`);
      }
    }
  }
  const paths = (v: unknown, f: string) => {
    const a = strArray(v, f);
    a.forEach((p, i) => {
      if (!p.startsWith('/')) throw new ConfigError(`${f}[${i}]: "${p}" is not an absolute path`);
    });
    return a;
  };
  return {
    namespaces,
    sysctl,
    maskedPaths: paths(l.maskedPaths, 'linux.maskedPaths'),
    readonlyPaths: paths(l.readonlyPaths, 'linux.readonlyPaths'),
    resources: optObj(l.resources, 'linux.resources'),
    seccomp: optObj(l.seccomp, 'linux.seccomp'),
    cgroupsPath,
  };
}

/**
 * Checks a parsed config.json of the bundle at bundleDir. `requireProcess`: create needs
 * one (a config without process is only valid for tools that start none).
 */
export function parseConfig(raw: unknown, bundleDir: string, requireProcess = true): ContainerConfig {
  const c = obj(raw, 'config');
  onlyKeys(c, ['ociVersion', 'process', 'root', 'hostname', 'domainname', 'mounts', 'hooks', 'annotations', 'linux'],
    'config');
  const notes: string[] = [];
  const ociVersion = str(c.ociVersion, 'ociVersion');
  if (!/^1\.\d+\.\d+/.test(ociVersion)) throw new ConfigError(`ociVersion: "${ociVersion}" is not a 1.x version`);
  let proc: ProcessConfig | null = null;
  if (c.process !== undefined) proc = parseProcess(obj(c.process, 'process'), notes);
  else if (requireProcess) throw new ConfigError('process: missing (the container needs a program to run)');
  const root = obj(c.root, 'root');
  onlyKeys(root, ['path', 'readonly'], 'root');
  const rootRel = str(root.path, 'root.path');
  if (rootRel === '') throw new ConfigError('root.path: must not be empty');
  const mounts: MountSpec[] = [];
  if (c.mounts !== undefined) {
    if (!Array.isArray(c.mounts)) throw new ConfigError('mounts: must be an array');
    c.mounts.forEach((m, i) => {
      try {
        parseMountSpec(m, `mounts[${i}]`);
      } catch (e) {
        if (e instanceof MountSpecError) throw new ConfigError(e.message);
        throw e;
      }
      mounts.push(m as MountSpec);
    });
  }
  const annotations: Record<string, string> = {};
  if (c.annotations !== undefined) {
    for (const [k, v] of Object.entries(obj(c.annotations, 'annotations'))) annotations[k] = str(v, `annotations.${k}`);
  }
  const linux = parseLinux(optObj(c.linux, 'linux'), notes);
  const hostname = optStr(c.hostname, 'hostname');
  if (hostname !== null && hostname.length > 64) throw new ConfigError('hostname: longer than 64 bytes');
  const domainname = optStr(c.domainname, 'domainname');
  if (domainname !== null && domainname.length > 64) throw new ConfigError('domainname: longer than 64 bytes');
  // The sandbox always has a UTS namespace of its own (the sentry's), so a hostname is
  // honoured even when the config shares the host's (containerd's host-network pods).
  if (linux.namespaces.size > 0 && !linux.namespaces.has('uts')) {
    notes.push('linux.namespaces: no uts namespace asked for; the sandbox has its own anyway');
  }
  return {
    ociVersion,
    process: proc,
    rootPath: resolve(bundleDir, rootRel),
    rootReadonly: bool(root.readonly, 'root.readonly', false),
    hostname,
    domainname,
    mounts,
    annotations,
    hooks: parseHooks(optObj(c.hooks, 'hooks')),
    ...linux,
    notes,
  };
}
