// The OCI runtime commands, with runc's flags and messages: spec, features, state, list,
// delete, and what they share with the life cycle in lifecycle.ts (globals, bundles,
// hooks, cgroups, the sandbox's options); pause/resume, update and events are in
// pause.ts, update.ts and events.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Parsed, RuntimeError, UsageError, flag, parseArgs } from './args';
import { ContainerState, StateDir, StateError, rfc3339Now } from './state';
import type { DoOptions } from '../sandbox/do';
import { STANDARD_DEV_SYS_MOUNTS } from '../fs/mountspec';
import {
  CAP_NAMES, ConfigError, ContainerConfig, Hook, HookKind, ProcessConfig, SUPPORTED_SYSCTLS, parseConfig,
} from '../sandbox/oci/config';
import { applyPathRules, processCreds, processRlimits, resourceLimits } from '../sandbox/oci/boot';
import { Logger } from '../util/log';
import { CgroupError, Plan, applyCgroup, cgroupDir, removeCgroup } from '../sandbox/cgroup';
import { SeccompError, SeccompFilter, compileSeccomp } from '../kernel/seccomp';
import { MAX_SYSCALL, SYSCALL_NAMES } from '../syscalls/names';
import { H_F_GETFD, hostFcntl } from '../platform/hostfile';
import { MAX_FDS } from '../platform/control';

/** x86-64 syscall numbers by name (for seccomp profiles). */
function syscallNumbers(): Map<string, number> {
  const m = new Map<string, number>();
  SYSCALL_NAMES.forEach((name, nr) => {
    if (name !== undefined) m.set(name, nr);
  });
  return m;
}

export const OCI_VERSION = '1.2.0';

/** Flags every command accepts before its name (runc's global flags, and ours). */
export interface Globals {
  root: string;
  log: Logger;
  logFormat: 'text' | 'json';
  overlay: 'memory' | 'none';
  /** --overlay file:DIR: each container's upper-layer data goes to DIR/<id>.upper. */
  overlayDir: string | undefined;
  strace: boolean;
  /**
   * --network: 'sandbox' (the default) gives the container the network namespace its
   * config asks for, as runc does; 'none' a new one with only loopback, whatever it asks.
   */
  network: 'sandbox' | 'none';
}

export const GLOBAL_FLAGS = {
  root: { value: true },
  log: { value: true },
  'log-format': { value: true },
  debug: {},
  'systemd-cgroup': {},
  rootless: { value: true },
  platform: { value: true },
  network: { value: true },
  overlay: { value: true },
  strace: {},
};

export function globalsFrom(p: Parsed): Globals {
  const format = flag(p, 'log-format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--log-format ${format}: expected "text" or "json"`);
  const platform = flag(p, 'platform') ?? 'ptrace';
  if (platform !== 'ptrace') throw new UsageError(`--platform ${platform}: only "ptrace" is available`);
  const network = flag(p, 'network') ?? 'sandbox';
  if (network !== 'sandbox' && network !== 'none') {
    throw new UsageError(`--network ${network}: expected "sandbox" (the config's network namespace) or "none" (loopback only)`);
  }
  const overlayFlag = flag(p, 'overlay') ?? 'memory';
  const overlayDir = overlayFlag.startsWith('file:') ? overlayFlag.slice(5) : undefined;
  if (overlayDir !== undefined && !(overlayDir.startsWith('/') && fs.existsSync(overlayDir) && fs.statSync(overlayDir).isDirectory())) {
    throw new UsageError(`--overlay ${overlayFlag}: expected file:DIR with an existing absolute directory`);
  }
  const overlay = overlayDir !== undefined ? 'memory' : overlayFlag;
  if (overlay !== 'memory' && overlay !== 'none') {
    throw new UsageError(`--overlay ${overlayFlag}: expected "memory", "none" or "file:DIR"`);
  }
  const logPath = flag(p, 'log');
  const logFd = logPath !== undefined ? fs.openSync(logPath, 'a') : 2;
  const debug = p.bools.has('debug');
  return {
    root: flag(p, 'root') ?? '/run/tsvisor',
    log: new Logger(logFd, format, debug ? 'debug' : logPath !== undefined ? 'info' : 'warn'),
    logFormat: format,
    overlay,
    overlayDir,
    strace: p.bools.has('strace'),
    network,
  };
}

export { RuntimeError };

/** Most --preserve-fds: exec passes them with its three stdio fds in one message. */
export const MAX_PRESERVED_FDS = MAX_FDS - 3;

/**
 * --preserve-fds N (create, run, exec): the caller's fds 3 .. 3+N-1, which become the
 * container process's fds 3 .. 3+N-1, as runc passes them (runc sets no LISTEN_FDS, and
 * neither do we). Each must be open. Node marks every inherited fd close-on-exec at start
 * and puts its own event loop's fds at the lowest free numbers, so an fd the caller did
 * not pass may be node's: those (epoll, eventfd) and the --log file are refused, as is
 * anything else the sandbox cannot show inside (only files, pipes, sockets, devices).
 */
export function preservedFds(p: Parsed, g: Globals): number[] {
  const v = flag(p, 'preserve-fds');
  if (v === undefined) return [];
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--preserve-fds ${v}: expected a non-negative integer`);
  const n = Number(v);
  if (n > MAX_PRESERVED_FDS) throw new UsageError(`--preserve-fds ${v}: at most ${MAX_PRESERVED_FDS}`);
  const out: number[] = [];
  for (let fd = 3; fd < 3 + n; fd++) {
    if (hostFcntl(fd, H_F_GETFD, 0) < 0) throw new RuntimeError(`--preserve-fds ${n}: fd ${fd} is not open`);
    let what = '';
    try {
      what = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // gone meanwhile: refused below as not open
    }
    if (what === '' || fd === g.log.fd) throw new RuntimeError(`--preserve-fds ${n}: fd ${fd} is not open`);
    if (what.startsWith('anon_inode:')) {
      throw new RuntimeError(`--preserve-fds ${n}: fd ${fd} is not open (${what} is not something a caller passes)`);
    }
    out.push(fd);
  }
  return out;
}

// ---- spec ------------------------------------------------------------------------------

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/** The default config runc writes, with our hostname. */
export function defaultSpec(): object {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS, ambient: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'tsvisor',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      ...STANDARD_DEV_SYS_MOUNTS,
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export function specCommand(argv: string[]): number {
  const p = parseArgs(argv, { bundle: { value: true, aliases: ['-b'] }, rootless: {} });
  const bundle = flag(p, 'bundle') ?? '.';
  const file = path.join(bundle, 'config.json');
  if (fs.existsSync(file)) throw new RuntimeError('File config.json already exists');
  fs.writeFileSync(file, JSON.stringify(defaultSpec(), null, '\t'));
  return 0;
}

// ---- features --------------------------------------------------------------------------

export function featuresCommand(): number {
  const f = {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'],
    mountOptions: ['ro', 'rw', 'nosuid', 'suid', 'nodev', 'dev', 'noexec', 'exec', 'bind', 'rbind', 'private', 'rprivate',
      'shared', 'rshared', 'slave', 'rslave', 'relatime', 'strictatime', 'noatime'],
    linux: {
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount', 'user', 'cgroup'],
      capabilities: CAP_NAMES,
      cgroup: { v1: false, v2: false, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS',
          'SCMP_ACT_TRAP', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG'],
        operators: ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'],
        archs: ['SCMP_ARCH_X86_64'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      sysctls: [...SUPPORTED_SYSCTLS],
    },
    annotations: { 'io.github.tsvisor.platform': 'ptrace' },
  };
  process.stdout.write(JSON.stringify(f, null, 2) + '\n');
  return 0;
}

// ---- bundles and hooks -----------------------------------------------------------------

/** Reads and checks BUNDLE/config.json, with runc-like messages for the usual mistakes. */
export function loadBundle(bundle: string): ContainerConfig {
  const dir = path.resolve(bundle);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new RuntimeError(`bundle ${bundle}: no such directory`);
  }
  if (!st.isDirectory()) throw new RuntimeError(`bundle ${bundle}: not a directory`);
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
  } catch {
    throw new RuntimeError('JSON specification file config.json not found');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError(`config.json: invalid JSON: ${(e as Error).message}`);
  }
  try {
    const c = parseConfig(raw, dir);
    if (!fs.existsSync(c.rootPath) || !fs.statSync(c.rootPath).isDirectory()) {
      throw new RuntimeError(`root.path: ${c.rootPath} is not a directory`);
    }
    return c;
  } catch (e) {
    if (e instanceof ConfigError) throw new RuntimeError(`config.json: ${e.message}`);
    throw e;
  }
}

/** Runs one hook with the state on stdin; a failing create-time hook fails the command. */
function runHook(kind: HookKind, h: Hook, st: ContainerState, log: Logger): void {
  const r = spawnSync(h.path, h.args.slice(1), {
    argv0: h.args[0] ?? h.path,
    input: JSON.stringify(st),
    env: Object.fromEntries(h.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    timeout: h.timeout !== null ? h.timeout * 1000 : undefined,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  if (r.error !== undefined || r.status !== 0) {
    const why = r.error !== undefined ? r.error.message : r.signal !== null ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new RuntimeError(`${kind} hook ${h.path} failed: ${why}`);
  }
  log.debug(`${kind} hook ${h.path} ran`);
}

export function runHooks(kind: HookKind, c: ContainerConfig, st: ContainerState, log: Logger): void {
  for (const h of c.hooks[kind]) runHook(kind, h, st, log);
}


/** What the sandbox cannot do for this config yet, refused by name; the process to run. */
export function checkSupported(c: ContainerConfig, g: Globals, consoleSocket = false):
  { proc: ProcessConfig; pids: number | null; seccomp: SeccompFilter | null; plan: Plan | null } {
  const proc = c.process;
  if (proc === null) throw new RuntimeError('config.json: process: missing');
  let seccomp: SeccompFilter | null = null;
  if (c.seccomp !== null) {
    try {
      seccomp = compileSeccomp(c.seccomp, syscallNumbers(), MAX_SYSCALL + 1);
    } catch (e) {
      if (e instanceof SeccompError) throw new RuntimeError(`config.json: ${e.message}`);
      throw e;
    }
  }
  if (proc.terminal && !consoleSocket && !process.stdin.isTTY) {
    throw new RuntimeError('config.json: process.terminal is true: give --console-socket or run on a terminal');
  }
  if (!proc.terminal && consoleSocket) throw new RuntimeError('--console-socket given but process.terminal is false');
  const notes = [...c.notes];
  let limits: { pids: number | null; plan: Plan | null };
  try {
    limits = resourceLimits(c, notes);
  } catch (e) {
    if (e instanceof ConfigError) throw new RuntimeError(`config.json: ${e.message}`);
    throw e;
  }
  for (const n of notes) g.log.info(n);
  return { proc, pids: limits.pids, seccomp, plan: limits.plan };
}

/**
 * Puts this process (the sandbox process, before it forks its stubs) into the container's
 * host cgroup with the config's limits; records the directories for delete.
 */
export function joinCgroup(c: ContainerConfig, plan: Plan | null, id: string, stateDir: string, pid: number): string[] {
  if (plan === null && c.cgroupsPath === null) return [];
  let dirs: string[];
  try {
    dirs = applyCgroup(cgroupDir(c.cgroupsPath, id), plan ?? { v1: new Map(), v2: [] }, pid);
  } catch (e) {
    if (e instanceof CgroupError) throw new RuntimeError(e.message);
    throw e;
  }
  fs.writeFileSync(path.join(stateDir, 'cgroups.json'), JSON.stringify(dirs));
  return dirs;
}

/** The host cgroup directories a container's sandbox process made ([] for none). */
export function cgroupDirs(stateDir: string): string[] {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, 'cgroups.json'), 'utf8')) as string[];
  } catch {
    return []; // none recorded
  }
}

/** Removes the cgroups a container's sandbox process made (at delete), once they are empty. */
export function leaveCgroups(stateDir: string): void {
  removeCgroup(cgroupDirs(stateDir), 5000);
}

/** The sandbox's options for a checked config (callbacks left to the caller). */
export function containerOptions(c: ContainerConfig, proc: ProcessConfig, pids: number | null, g: Globals,
  seccomp: SeccompFilter | null, id: string): DoOptions {
  return {
    seccomp,
    rootDir: c.rootPath,
    argv: proc.args,
    env: proc.env,
    cwd: proc.cwd,
    strace: g.strace,
    randomize: true,
    log: g.log,
    pidsLimit: pids ?? undefined,
    mounts: c.mounts,
    overlay: g.overlay,
    overlayFile: g.overlayDir !== undefined ? path.join(g.overlayDir, `${id}.upper`) : undefined,
    rootReadonly: c.rootReadonly,
    creds: processCreds(proc),
    rlimits: processRlimits(proc),
    umask: proc.umask ?? undefined,
    hostname: c.sysctl['kernel.hostname'] ?? c.hostname ?? undefined,
    domainname: c.sysctl['kernel.domainname'] ?? c.domainname ?? undefined,
    onRootFs: (root) => applyPathRules(c, root),
    // The sandbox process is always confined, in the network namespace create chose.
    inet: true,
  };
}

// ---- state, list, delete ---------------------------------------------------------------

/** Whether pid is a live process (a zombie waiting for its parent has ended). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A state as it is now: a "running" container whose sandbox process is gone has stopped. */
export function currentState(states: StateDir, id: string): ContainerState {
  const st = states.read(id);
  if (st.status !== 'stopped' && st.pid > 0 && !processAlive(st.pid)) st.status = 'stopped';
  return st;
}

export function stateCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, {});
  if (p.rest.length !== 1) throw new UsageError('state: expected exactly one container id');
  const st = currentState(new StateDir(g.root), p.rest[0]);
  process.stdout.write(JSON.stringify(st, null, '  ') + '\n');
  return 0;
}

export function listCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, { quiet: { aliases: ['-q'] }, format: { value: true, aliases: ['-f'] } });
  const states = new StateDir(g.root);
  const all = states.list().flatMap((id) => {
    try {
      return [currentState(states, id)];
    } catch {
      return [];
    }
  });
  const format = flag(p, 'format') ?? 'table';
  if (p.bools.has('quiet')) {
    for (const s of all) process.stdout.write(s.id + '\n');
  } else if (format === 'json') {
    process.stdout.write(JSON.stringify(all) + '\n');
  } else if (format === 'table') {
    const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
      ...all.map((s) => [s.id, String(s.status === 'stopped' ? 0 : s.pid), s.status, s.bundle, s.created, s.owner])];
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(r.map((c, i) => (i < r.length - 1 ? c.padEnd(w[i] + 3) : c)).join('') + '\n');
  } else {
    throw new UsageError(`list: --format ${format}: expected "table" or "json"`);
  }
  return 0;
}

export function deleteCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, { force: { aliases: ['-f'] } });
  if (p.rest.length !== 1) throw new UsageError('delete: expected exactly one container id');
  const id = p.rest[0];
  const states = new StateDir(g.root);
  const force = p.bools.has('force');
  let st: ContainerState;
  try {
    st = currentState(states, id);
  } catch (e) {
    if (force && e instanceof StateError) return 0; // runc: deleting a gone container with --force succeeds
    throw e;
  }
  // runc's rules: a stopped or created container may go; a running one needs --force.
  if ((st.status === 'running' || st.status === 'paused') && !force) {
    throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${st.status}`);
  }
  if (st.status !== 'stopped' && st.pid > 0) {
    try {
      process.kill(st.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  leaveCgroups(states.dir(id));
  // poststop hooks run when the container is deleted (errors are logged, not fatal).
  try {
    const c = loadBundle(st.bundle);
    runHooks('poststop', c, { ...st, status: 'stopped' }, g.log);
  } catch (e) {
    g.log.warn(`poststop: ${(e as Error).message}`);
  }
  states.remove(id);
  return 0;
}
