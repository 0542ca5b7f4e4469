// The container life cycle: create (and run) start one sandbox process per container
// (its pid is the pid file's: containerd's shim and conmon wait on it and take its exit
// status as the container's), start/kill/ps talk to it over the control socket in the
// state directory (control.ts), and delete ends it. The sandbox process is `tsvisor
// boot`, the same program, started confined with the caller's stdio as the container's.
// exec is in exec.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfineError, NetnsChoice, killQuietly, pipePair, spawnConfined, waitConfined, waitPid } from '../platform/confine';
import { NetworkError, appPortStart, applyNetSysctls, netSysctls, netnsFor } from '../sandbox/oci/network';
import { CONFINED_FLAG } from '../sandbox/flags';
import { selfArgv, selfEnv } from './self';
import { Parsed, UsageError, flag, parseArgs } from './args';
import {
  Globals, RuntimeError, checkSupported, containerOptions, joinCgroup, leaveCgroups, loadBundle, preservedFds,
  processAlive, runHooks,
} from './oci';
import { ContainerState, StateDir, StateError, rfc3339Now } from './state';
import { SOCKET, globalArgs, request, sendConsole, writePidFile } from './control';
import { H_AT_FDCWD, H_O_RDWR, hostClose, hostOpenat } from '../platform/hostfile';

/** create's flags (runc's); run takes these and a few of its own. */
const CREATE_FLAGS = {
  bundle: { value: true, aliases: ['-b'] },
  'console-socket': { value: true },
  'pid-file': { value: true },
  'no-pivot': {},
  'no-new-keyring': {},
  'preserve-fds': { value: true },
};

export function createCommand(argv: string[], g: Globals, globals: Parsed): number {
  const p = parseArgs(argv, CREATE_FLAGS);
  if (p.rest.length !== 1) throw new UsageError(`create: expected exactly one container id, got ${p.rest.length}`);
  const id = p.rest[0];
  StateDir.checkId(id);
  createContainer(p, g, globals, id, true);
  return 0;
}

/**
 * run: create and start, then (unless --detach) wait for the sandbox process, passing on
 * the signals this process gets to the container's init as runc does; then the
 * poststop hooks, and the container is deleted unless --keep.
 */
export function runCommand(argv: string[], g: Globals, globals: Parsed): number {
  const p = parseArgs(argv, { ...CREATE_FLAGS, detach: { aliases: ['-d'] }, keep: {}, 'no-subreaper': {} });
  if (p.rest.length !== 1) throw new UsageError(`run: expected exactly one container id, got ${p.rest.length}`);
  const id = p.rest[0];
  StateDir.checkId(id);
  const detach = p.bools.has('detach');
  // As runc: a foreground run's terminal is the caller's own; the console socket is for
  // a detached container's.
  if (flag(p, 'console-socket') !== undefined && !detach) throw new UsageError('run: --console-socket needs --detach');
  const states = new StateDir(g.root);
  const st = createContainer(p, g, globals, id, detach);
  const r = request(g, id, { cmd: 'start', state: JSON.stringify(st) });
  if (typeof r.error === 'string') {
    killQuietly(st.pid);
    waitPid(st.pid);
    leaveCgroups(states.dir(id));
    states.remove(id);
    throw new RuntimeError(r.error);
  }
  startedContainer(g, states, st);
  if (detach) return 0;
  const status = waitConfined(st.pid, true);
  const code = status < 0 ? 255 : (status & 0x7f) !== 0 ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
  st.status = 'stopped';
  try {
    runHooks('poststop', loadBundle(st.bundle), st, g.log);
  } catch (e) {
    g.log.warn((e as Error).message); // poststop failures are logged, not fatal (OCI)
  }
  if (p.bools.has('keep')) states.withLock(id, () => states.write(st));
  else {
    leaveCgroups(states.dir(id));
    states.remove(id);
  }
  return code;
}

/**
 * create, and the first half of run: the sandbox process started and ready, the
 * create-time hooks run, the state "created", the pid file written (last). Returns the
 * state; on failure nothing is left behind.
 */
function createContainer(p: Parsed, g: Globals, globals: Parsed, id: string, detach: boolean): ContainerState {
  const consoleSocket = flag(p, 'console-socket');
  const preserved = preservedFds(p, g);
  const bundle = path.resolve(flag(p, 'bundle') ?? '.');
  const pidFile = flag(p, 'pid-file');
  if (pidFile !== undefined && !fs.existsSync(path.dirname(path.resolve(pidFile)))) {
    throw new RuntimeError(`--pid-file ${pidFile}: no such directory ${path.dirname(path.resolve(pidFile))}`);
  }
  const c = loadBundle(bundle);
  const { plan } = checkSupported(c, g, consoleSocket !== undefined);
  const netns = netnsFor(c, g.network);
  let sysctls: [string, string][];
  let portStart: number | null;
  try {
    sysctls = netSysctls(c, netns);
    portStart = appPortStart(c, netns, g.root);
  } catch (e) {
    throw e instanceof NetworkError || e instanceof ConfineError ? new RuntimeError(e.message) : e;
  }
  const states = new StateDir(g.root);
  const st: ContainerState = {
    ociVersion: c.ociVersion, id, status: 'creating', pid: 0, bundle, rootfs: c.rootPath,
    created: rfc3339Now(), owner: os.userInfo().username, annotations: c.annotations,
  };
  states.create(st);
  try {
    // What `update` starts from.
    states.writeResources(id, c.resources);
    st.pid = startSandboxProcess(globals, bundle, id, {
      consoleSocket, detach, preserved, netns, portStart, beforeRun: (pid) => {
        joinCgroup(c, plan, id, states.dir(id), pid);
        try {
          applyNetSysctls(pid, sysctls, netns);
        } catch (e) {
          throw e instanceof NetworkError ? new RuntimeError(e.message) : e;
        }
      },
    });
    // runc runs these from its own process too, with the container created and waiting.
    runHooks('prestart', c, st, g.log);
    runHooks('createRuntime', c, st, g.log);
    runHooks('createContainer', c, st, g.log);
    st.status = 'created';
    states.withLock(id, () => states.write(st));
    if (pidFile !== undefined) writePidFile(pidFile, st.pid);
    return st;
  } catch (e) {
    if (st.pid > 0) killQuietly(st.pid);
    leaveCgroups(states.dir(id));
    states.remove(id);
    throw e;
  }
}

/**
 * Starts `tsvisor boot` as the sandbox process, in fresh namespaces (platform/confine.ts)
 * and, through beforeRun, the container's cgroup, with this process's stdio as the
 * container's; waits until it reports on its fd 3 that the container is built ("ok") or
 * why not. Returns its pid. detach: in a session of its own (create), else in ours
 * (run in the foreground, where a terminal's keys must reach it). The preserved fds
 * keep their numbers (3, 4, ...) and the report pipe follows them.
 */
function startSandboxProcess(globals: Parsed, bundle: string, id: string,
  o: {
    consoleSocket?: string; detach: boolean; preserved: number[]; netns: NetnsChoice; portStart: number | null;
    beforeRun: (pid: number) => void;
  }): number {
  const extra = o.consoleSocket !== undefined ? ['--console-socket', path.resolve(o.consoleSocket)] : [];
  if (!o.detach) extra.push('--forward-signals');
  if (o.preserved.length > 0) extra.push('--preserve-fds', String(o.preserved.length));
  if (o.portStart !== null) extra.push('--unprivileged-port-start', String(o.portStart));
  const [readEnd, writeEnd] = pipePair();
  let pid: number;
  try {
    pid = spawnConfined(process.execPath,
      selfArgv([...globalArgs(globals), 'boot', CONFINED_FLAG, '--bundle', bundle, ...extra, id]),
      selfEnv(), [0, 1, 2, ...o.preserved, writeEnd],
      { detach: o.detach, dieWithParent: false, netns: o.netns, beforeRun: o.beforeRun });
  } catch (e) {
    hostClose(readEnd);
    throw e instanceof ConfineError ? new RuntimeError(e.message) : e;
  } finally {
    hostClose(writeEnd);
  }
  // One line: "ok", or "error: why". End of file first means it died on the way.
  let text = '';
  const buf = Buffer.alloc(4096);
  try {
    while (!text.includes('\n')) {
      const n = fs.readSync(readEnd, buf, 0, buf.length, null);
      if (n <= 0) break;
      text += buf.toString('utf8', 0, n);
    }
  } catch {
    // read as end of file
  } finally {
    hostClose(readEnd);
  }
  const line = text.split('\n')[0];
  if (line === 'ok') return pid;
  killQuietly(pid);
  const status = waitPid(pid);
  if (line.startsWith('error: ')) throw new RuntimeError(line.slice(7));
  const why = status < 0 ? `errno ${-status}` : (status & 0x7f) !== 0 ? `signal ${status & 0x7f}` : `exit ${(status >> 8) & 0xff}`;
  throw new RuntimeError(`the sandbox process ended before it was ready (${why})`);
}

/**
 * The sandbox process (`tsvisor boot`, started by create and run): builds the sandbox,
 * serves the control socket, confines itself, reports on fd 3, and runs until the
 * container's init exits; its exit status is the container's. It writes no state and
 * runs no hooks: it sees no host path once confined.
 */
export function bootCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, {
    bundle: { value: true }, 'console-socket': { value: true }, 'forward-signals': {}, 'preserve-fds': { value: true },
    'unprivileged-port-start': { value: true }, [CONFINED_FLAG.slice(2)]: {},
  });
  const id = p.rest[0];
  const bundle = flag(p, 'bundle') as string;
  const consoleSocket = flag(p, 'console-socket');
  // create put the caller's preserved fds at 3, 4, ... and the report pipe after them.
  const preserved = preservedFds(p, g);
  const readyFd = 3 + preserved.length;
  const report = (line: string) => {
    try {
      fs.writeSync(readyFd, line + '\n');
      fs.closeSync(readyFd);
    } catch {
      // the create command is gone; nothing to tell
    }
  };
  try {
    if (!p.bools.has(CONFINED_FLAG.slice(2))) throw new UsageError('boot: an internal command of create and run');
    // The sentry's modules: loaded here only, so the other commands start faster.
    /* eslint-disable @typescript-eslint/no-var-requires */
    const { bootSandbox } = require('../sandbox/do') as typeof import('../sandbox/do');
    const { ControlServer, forwardHostSignals } = require('../sandbox/server') as typeof import('../sandbox/server');
    const { confineSandbox } = require('../sandbox/confine') as typeof import('../sandbox/confine');
    /* eslint-enable @typescript-eslint/no-var-requires */
    const states = new StateDir(g.root);
    const c = loadBundle(bundle);
    const { proc, pids, seccomp } = checkSupported(c, g, consoleSocket !== undefined);
    let stdioFds: number[] | undefined;
    if (proc.terminal && consoleSocket !== undefined) {
      const slave = sendConsole(consoleSocket, proc.consoleSize);
      stdioFds = [slave, slave, slave];
      // This process (a session leader, started detached) takes the terminal as its
      // controlling terminal on the host, so the host sends it the terminal's ^C, ^\, ^Z,
      // resizes and hangup, which the sentry forwards to the console's foreground group.
      const fd = hostOpenat(H_AT_FDCWD, `/proc/self/fd/${slave}`, H_O_RDWR, 0);
      if (fd >= 0) hostClose(fd);
    }
    // Listening before the pivot: the socket's path is in the state directory.
    const server = new ControlServer();
    const err = server.listen(path.join(states.dir(id), SOCKET));
    if (err !== null) {
      report(`error: ${err}`);
      return 1;
    }
    const sb = bootSandbox({
      ...containerOptions(c, proc, pids, g, seccomp, id), stdioFds, preservedFds: preserved,
      unprivPortStart: portStartFlag(flag(p, 'unprivileged-port-start')),
      consoleStdio: stdioFds !== undefined, confine: confineSandbox,
    });
    if (typeof sb === 'number') {
      report('error: the container could not be built (see above)');
      return sb;
    }
    server.attach(sb, c.hooks.startContainer);
    if (p.bools.has('forward-signals')) forwardHostSignals(sb);
    report('ok');
    return sb.run();
  } catch (e) {
    if (e instanceof RuntimeError || e instanceof StateError || e instanceof UsageError) {
      report(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** boot's --unprivileged-port-start (create computes it; see network.ts appPortStart). */
function portStartFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65536) throw new UsageError(`boot: --unprivileged-port-start ${v}: not a port`);
  return n;
}

export function startCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, {});
  if (p.rest.length !== 1) throw new UsageError('start: expected exactly one container id');
  const id = p.rest[0];
  const states = new StateDir(g.root);
  const st = states.read(id);
  if (st.status === 'running') throw new RuntimeError('cannot start an already running container');
  if (st.status !== 'created') throw new RuntimeError(`cannot start a container in the ${st.status} state`);
  const r = request(g, id, { cmd: 'start', state: JSON.stringify(st) });
  if (typeof r.error === 'string') throw new RuntimeError(r.error);
  startedContainer(g, states, st);
  return 0;
}

function startedContainer(g: Globals, states: StateDir, st: ContainerState): void {
  st.status = 'running';
  states.withLock(st.id, () => states.write(st));
  try {
    runHooks('poststart', loadBundle(st.bundle), st, g.log);
  } catch (e) {
    g.log.warn((e as Error).message);
  }
}

const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23,
  XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
};

/** A signal as runc's kill takes it: a number, a name, with or without SIG, or RTMIN+n. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 64) return n;
  } else {
    const name = s.toUpperCase().replace(/^SIG/, '');
    if (name in SIGNALS) return SIGNALS[name];
    const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? null;
    if (rt !== null && 34 + Number(rt[1] ?? 0) <= 64) return 34 + Number(rt[1] ?? 0);
    const rtmax = /^RTMAX(?:-(\d+))?$/.exec(name) ?? null;
    if (rtmax !== null && 64 - Number(rtmax[1] ?? 0) >= 34) return 64 - Number(rtmax[1] ?? 0);
  }
  throw new RuntimeError(`invalid signal: ${s}`);
}

export function killCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, { all: { aliases: ['-a'] } });
  if (p.rest.length < 1 || p.rest.length > 2) throw new UsageError('kill: expected a container id and an optional signal');
  const id = p.rest[0];
  const signal = parseSignal(p.rest[1] ?? 'SIGTERM');
  const states = new StateDir(g.root);
  const st = states.read(id);
  if (st.status === 'stopped') throw new RuntimeError('container not running');
  if (!processAlive(st.pid)) throw new RuntimeError('container not running');
  const r = request(g, id, { cmd: 'kill', signal, all: p.bools.has('all') });
  if (typeof r.error === 'string') throw new RuntimeError(r.error);
  return 0;
}

export function psCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, { format: { value: true, aliases: ['-f'] } });
  if (p.rest.length < 1) throw new UsageError('ps: expected a container id');
  const r = request(g, p.rest[0], { cmd: 'ps' });
  if (typeof r.error === 'string') throw new RuntimeError(r.error);
  const pids = r.pids as number[];
  const format = flag(p, 'format') ?? 'table';
  if (format === 'json') process.stdout.write(JSON.stringify(pids) + '\n');
  else if (format === 'table') {
    process.stdout.write('PID\n');
    for (const pid of pids) process.stdout.write(`${pid}\n`);
  } else throw new UsageError(`ps: --format ${format}: expected "table" or "json"`);
  return 0;
}
