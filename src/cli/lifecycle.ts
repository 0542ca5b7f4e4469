// The detached life cycle: create starts one sandbox process per container (its pid is
// the pid file's: containerd's shim and conmon wait on it and take its exit status as
// the container's), start/kill/ps talk to it over the control socket in the state
// directory, and delete ends it. The sandbox process is `tsvisor boot`, the same
// program, started detached with the caller's stdio as the container's.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as tty from 'tty';
import { ChildProcess, spawn } from 'child_process';
import { ConfineError, pipePair, spawnConfined, waitConfined, waitPid } from '../platform/confine';
import { CONFINED_FLAG } from '../sandbox/flags';
import { selfArgv } from './self';
import { Parsed, UsageError, flag, parseArgs } from './args';
import {
  Globals, RuntimeError, checkSupported, containerOptions, joinCgroup, leaveCgroups, loadBundle, preservedFds,
  processAlive, runHooks,
} from './oci';
import { ContainerState, StateDir, StateError, rfc3339Now } from './state';
import { ctlConnect, ctlRecv, ctlSend, openHostPty } from '../platform/control';
import {
  H_AT_FDCWD, H_F_DUPFD_CLOEXEC, H_O_RDWR, hostClose, hostFcntl, hostIoctl, hostOpenat,
} from '../platform/hostfile';
import { TCGETS, TCSETS, TIOCGWINSZ, TIOCSWINSZ } from '../vfs/abi';
import { reopenNonblocking } from '../fs/host/stdio';

const SOCKET = 'control.sock';

/** Global flags to hand to the sandbox process, as the caller gave them. */
function globalArgs(p: Parsed): string[] {
  const out: string[] = [];
  for (const [k, vs] of p.flags) for (const v of vs) out.push(`--${k}`, v);
  for (const b of p.bools) out.push(`--${b}`);
  return out;
}

/** Writes the pid file atomically (a reader never sees it half-written). */
function writePidFile(file: string, pid: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

/** A connection to a container's sandbox process that reads reply lines. */
class Conversation {
  private text = '';
  private readonly buf = Buffer.alloc(65536);

  constructor(private fd: number, private readonly id: string) {}

  static open(g: Globals, id: string, msg: Record<string, unknown>, fds: number[] = []): Conversation {
    const sock = path.join(new StateDir(g.root).dir(id), SOCKET);
    const fd = ctlConnect(sock);
    if (fd < 0) throw new RuntimeError(`container ${id} is not running (no sandbox process answers)`);
    const c = new Conversation(fd, id);
    const out = Buffer.from(JSON.stringify(msg) + '\n');
    if (ctlSend(fd, out, out.length, fds) < 0) {
      c.close();
      throw new RuntimeError(`container ${id}: the sandbox process went away`);
    }
    return c;
  }

  /** The next reply line, parsed (blocking). */
  next(): Record<string, unknown> {
    for (;;) {
      const nl = this.text.indexOf('\n');
      if (nl >= 0) {
        const line = this.text.slice(0, nl);
        this.text = this.text.slice(nl + 1);
        return JSON.parse(line) as Record<string, unknown>;
      }
      const got: number[] = [];
      const n = ctlRecv(this.fd, this.buf, got);
      for (const f of got) hostClose(f);
      if (n <= 0) throw new RuntimeError(`container ${this.id}: the sandbox process went away`);
      this.text += this.buf.toString('utf8', 0, n);
    }
  }

  /**
   * The next reply line, waited for in the event loop (so signal handlers run meanwhile).
   * The connection is a stream socket of node's from then on; nothing more is sent on it.
   */
  nextAsync(): Promise<Record<string, unknown>> {
    if (this.text.includes('\n')) return Promise.resolve(this.next());
    const sock = new net.Socket({ fd: this.fd, readable: true, writable: false });
    this.fd = -1; // the socket closes it
    return new Promise((resolve, reject) => {
      const gone = () => {
        sock.destroy();
        reject(new RuntimeError(`container ${this.id}: the sandbox process went away`));
      };
      sock.on('data', (d: Buffer) => {
        this.text += d.toString('utf8');
        const nl = this.text.indexOf('\n');
        if (nl < 0) return;
        sock.removeAllListeners();
        sock.destroy();
        const line = this.text.slice(0, nl);
        this.text = this.text.slice(nl + 1);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch (e) {
          reject(e);
        }
      });
      sock.on('end', gone);
      sock.on('error', gone);
    });
  }

  close(): void {
    if (this.fd >= 0) hostClose(this.fd);
    this.fd = -1;
  }
}

/** One request to a container's sandbox process; its reply. */
export function request(g: Globals, id: string, msg: Record<string, unknown>, fds: number[] = []): Record<string, unknown> {
  const c = Conversation.open(g, id, msg, fds);
  try {
    return c.next();
  } finally {
    c.close();
  }
}

export function createCommand(argv: string[], g: Globals, globals: Parsed): number {
  const p = parseArgs(argv, {
    bundle: { value: true, aliases: ['-b'] },
    'console-socket': { value: true },
    'pid-file': { value: true },
    'no-pivot': {},
    'no-new-keyring': {},
    'preserve-fds': { value: true },
  });
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
  const p = parseArgs(argv, {
    bundle: { value: true, aliases: ['-b'] },
    'console-socket': { value: true },
    'pid-file': { value: true },
    detach: { aliases: ['-d'] },
    keep: {},
    'no-subreaper': {},
    'no-pivot': {},
    'no-new-keyring': {},
    'preserve-fds': { value: true },
  });
  if (p.rest.length !== 1) throw new UsageError(`run: expected exactly one container id, got ${p.rest.length}`);
  const id = p.rest[0];
  StateDir.checkId(id);
  const detach = p.bools.has('detach');
  // As runc: a foreground run's terminal is the caller's own; the console socket is for
  // a detached container's.
  if (flag(p, 'console-socket') !== undefined && !detach) throw new UsageError('run: --console-socket needs --detach');
  const states = new StateDir(g.root);
  const st = createContainer(p, g, globals, id, detach);
  const r = request(g, id, { cmd: 'start' });
  if (typeof r.error === 'string') {
    killQuietly(st.pid);
    waitPid(st.pid);
    leaveCgroups(states.dir(id));
    states.remove(id);
    throw new RuntimeError(r.error);
  }
  startedContainer(g, states, st);
  if (detach) return 0;
  const status = waitConfined(st.pid);
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

/** Ends a container's sandbox process and removes its state (a run -d whose start failed). */

/** create's work (also run --detach's first half); returns the sandbox process's pid. */
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
      consoleSocket, detach, preserved, beforeRun: (pid) => joinCgroup(c, plan, id, states.dir(id), pid),
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

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
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
  o: { consoleSocket?: string; detach: boolean; preserved: number[]; beforeRun: (pid: number) => void }): number {
  const extra = o.consoleSocket !== undefined ? ['--console-socket', path.resolve(o.consoleSocket)] : [];
  if (!o.detach) extra.push('--forward-signals');
  if (o.preserved.length > 0) extra.push('--preserve-fds', String(o.preserved.length));
  const env = Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  const [readEnd, writeEnd] = pipePair();
  let pid: number;
  try {
    pid = spawnConfined(process.execPath,
      selfArgv([...globalArgs(globals), 'boot', CONFINED_FLAG, '--bundle', bundle, ...extra, id]),
      env, [0, 1, 2, ...o.preserved, writeEnd], { detach: o.detach, dieWithParent: false, beforeRun: o.beforeRun });
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

/** Waits for a child's "ok" (or "error: why") line on its fd readyFd; resolves to its pid. */
function waitReady(child: ChildProcess, readyFd = 3): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const pipe = child.stdio[readyFd];
    if (pipe === null || pipe === undefined || !('on' in pipe)) {
      reject(new RuntimeError('cannot start a helper process'));
      return;
    }
    const done = (err: Error | null) => {
      pipe.removeAllListeners();
      child.removeAllListeners();
      (pipe as { destroy?: () => void }).destroy?.();
      if (err !== null) {
        try {
          child.kill('SIGKILL');
        } catch {
          // gone already
        }
        reject(err);
        return;
      }
      child.unref();
      resolve(child.pid as number);
    };
    pipe.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      const line = text.slice(0, nl);
      done(line === 'ok' ? null : new RuntimeError(line.replace(/^error: /, '')));
    });
    // The exit may be seen before the report is read (a process that ended at once):
    // decide once both the exit and the pipe's end are in.
    let exitWhy: string | null = null;
    let pipeClosed = false;
    const ended = () => {
      if (exitWhy === null || !pipeClosed) return;
      if (text.startsWith('ok\n')) done(null);
      else done(new RuntimeError(text !== '' ? text.trim().replace(/^error: /, '') : `the process ended before it was ready (${exitWhy})`));
    };
    pipe.on('close', () => {
      pipeClosed = true;
      ended();
    });
    child.on('exit', (code, sig) => {
      exitWhy = sig ?? `exit ${code}`;
      ended();
    });
    child.on('error', (e) => done(new RuntimeError(`cannot start a helper process: ${e.message}`)));
  });
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
    [CONFINED_FLAG.slice(2)]: {},
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
      consoleStdio: stdioFds !== undefined, confine: confineSandbox,
    });
    if (typeof sb === 'number') {
      report('error: the container could not be built (see above)');
      return sb;
    }
    server.attach(sb);
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

/**
 * For process.terminal: a host pseudo-terminal whose master goes to the caller over the
 * console socket (as runc sends it: SCM_RIGHTS, with the terminal's name); returns the
 * slave, which becomes the container's stdio.
 */
function sendConsole(socketPath: string, size: { height: number; width: number } | null): number {
  const pty = openHostPty(size?.height ?? 0, size?.width ?? 0);
  if (typeof pty === 'number') throw new RuntimeError(`cannot make a terminal: errno ${-pty}`);
  const [master, slave] = pty;
  const conn = ctlConnect(socketPath);
  if (conn < 0) {
    hostClose(master);
    hostClose(slave);
    throw new RuntimeError(`--console-socket ${socketPath}: cannot connect: errno ${-conn}`);
  }
  const name = Buffer.from('/dev/ptmx');
  const r = ctlSend(conn, name, name.length, [master]);
  hostClose(conn);
  hostClose(master);
  if (r < 0) {
    hostClose(slave);
    throw new RuntimeError(`--console-socket ${socketPath}: cannot send the terminal: errno ${-r}`);
  }
  return slave;
}

export function startCommand(argv: string[], g: Globals): number {
  const p = parseArgs(argv, {});
  if (p.rest.length !== 1) throw new UsageError('start: expected exactly one container id');
  const id = p.rest[0];
  const states = new StateDir(g.root);
  const st = states.read(id);
  if (st.status === 'running') throw new RuntimeError('cannot start an already running container');
  if (st.status !== 'created') throw new RuntimeError(`cannot start a container in the ${st.status} state`);
  const r = request(g, id, { cmd: 'start' });
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

/**
 * The process object for exec: --process FILE as it is, or the container's own process
 * (env, cwd, user, capabilities, rlimits) with CMD and the flags applied, as runc does.
 */
function execProcess(p: Parsed, bundle: string): Record<string, unknown> {
  const file = flag(p, 'process');
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new RuntimeError(`--process ${file}: cannot read it`);
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new RuntimeError(`--process ${file}: invalid JSON: ${(e as Error).message}`);
    }
  }
  const args = p.rest.slice(1);
  if (args.length === 0) throw new UsageError('exec: expected a command (or --process)');
  const raw = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as { process?: Record<string, unknown> };
  const proc: Record<string, unknown> = { ...(raw.process ?? {}), args, terminal: p.bools.has('tty') };
  delete proc.consoleSize;
  const env = [...((proc.env as string[] | undefined) ?? [])];
  for (const kv of p.flags.get('env') ?? []) {
    if (kv.indexOf('=') <= 0) throw new UsageError(`exec: --env ${kv}: expected KEY=VALUE`);
    const key = kv.slice(0, kv.indexOf('=') + 1);
    const i = env.findIndex((e) => e.startsWith(key));
    if (i >= 0) env[i] = kv;
    else env.push(kv);
  }
  proc.env = env;
  const cwd = flag(p, 'cwd');
  if (cwd !== undefined) proc.cwd = cwd;
  const user = flag(p, 'user');
  if (user !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    if (m === null) throw new UsageError(`exec: --user ${user}: expected UID[:GID]`);
    proc.user = { uid: Number(m[1]), gid: Number(m[2] ?? 0) };
  }
  const gids = p.flags.get('additional-gids');
  if (gids !== undefined) {
    const u = (proc.user ?? { uid: 0, gid: 0 }) as Record<string, unknown>;
    proc.user = { ...u, additionalGids: gids.map(Number) };
  }
  const caps = p.flags.get('cap');
  if (caps !== undefined) {
    const c = (proc.capabilities ?? {}) as Record<string, string[]>;
    const add = (k: string) => [...new Set([...(c[k] ?? []), ...caps])];
    proc.capabilities = { ...c, bounding: add('bounding'), effective: add('effective'), permitted: add('permitted') };
  }
  if (p.bools.has('no-new-privs')) proc.noNewPrivileges = true;
  return proc;
}

export async function execCommand(argv: string[], g: Globals, globals: Parsed): Promise<number> {
  const p = parseArgs(argv, {
    process: { value: true, aliases: ['-p'] },
    detach: { aliases: ['-d'] },
    'pid-file': { value: true },
    tty: { aliases: ['-t'] },
    'console-socket': { value: true },
    cwd: { value: true },
    env: { value: true, repeat: true, aliases: ['-e'] },
    user: { value: true, aliases: ['-u'] },
    'additional-gids': { value: true, repeat: true, aliases: ['-g'] },
    cap: { value: true, repeat: true, aliases: ['-c'] },
    'no-new-privs': {},
    apparmor: { value: true },
    'process-label': { value: true },
    'preserve-fds': { value: true },
    'ignore-paused': {},
    'no-subreaper': {},
  });
  if (p.rest.length < 1) throw new UsageError('exec: expected a container id');
  const id = p.rest[0];
  // The waiting exec a detached or terminal exec starts (see spawnExecHelper).
  const helper = helperReportFd() !== null;
  const preserved = preservedFds(p, g);
  const pidFile = flag(p, 'pid-file');
  if (pidFile !== undefined && !fs.existsSync(path.dirname(path.resolve(pidFile)))) {
    throw new RuntimeError(`--pid-file ${pidFile}: no such directory ${path.dirname(path.resolve(pidFile))}`);
  }
  const states = new StateDir(g.root);
  const st = states.read(id);
  if (st.status === 'stopped' || !processAlive(st.pid)) throw new RuntimeError('cannot exec in a stopped container');
  // With --ignore-paused the process is made but held like every other task until resume.
  if (st.status === 'paused' && !p.bools.has('ignore-paused')) {
    throw new RuntimeError('cannot exec in a paused container (use --ignore-paused to override)');
  }
  const proc = execProcess(p, st.bundle);
  const terminal = proc.terminal === true;
  const detach = p.bools.has('detach');
  const consoleSocket = flag(p, 'console-socket');
  if (helper) return execAndWait(g, id, proc, preserved, terminal, true);
  // runc's rules: a detached terminal goes to the caller through the console socket; a
  // foreground one is relayed by the exec itself, on the caller's own terminal.
  if (detach && terminal && consoleSocket === undefined) {
    throw new UsageError('exec: --tty with --detach needs --console-socket to hand the terminal over');
  }
  if (consoleSocket !== undefined && !(detach && terminal)) throw new UsageError('exec: --console-socket needs --tty and --detach');

  if (detach) {
    // The terminal's master goes to the caller now, as runc sends it; the slave is the
    // waiting exec's stdin, which hands it to the sandbox.
    const slave = terminal ? sendConsole(consoleSocket as string, consoleSizeOf(proc)) : -1;
    let pid: number;
    try {
      pid = (await spawnExecHelper(globals, states, id, proc, preserved, slave)).pid;
    } finally {
      if (slave >= 0) hostClose(slave);
    }
    if (pidFile !== undefined) writePidFile(pidFile, pid);
    return 0;
  }
  if (terminal) return execOnTerminal(globals, states, id, proc, preserved);
  return execAndWait(g, id, proc, preserved, false, false);
}

/** process.consoleSize of an exec's process object, if it has a sensible one. */
function consoleSizeOf(proc: Record<string, unknown>): { height: number; width: number } | null {
  const cs = proc.consoleSize as { height?: unknown; width?: unknown } | null | undefined;
  if (cs === null || typeof cs !== 'object') return null;
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff;
  return ok(cs.height) && ok(cs.width) ? { height: cs.height, width: cs.width } : null;
}

/** For the waiting exec: the fd on which it reports to its parent, from the environment. */
function helperReportFd(): number | null {
  const v = process.env.TSVISOR_EXEC_NOTIFY_FD;
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : null;
}

/**
 * Starts the waiting `tsvisor exec` that stands for an exec'd process on the host: its
 * pid is the pid file's and it exits with the process's status, as a shim or conmon
 * expects of runc's exec. It runs detached, in a session of its own, so a terminal
 * (slave >= 0: its stdin) can be its controlling terminal on the host; then the host
 * sends it that terminal's signals, which it forwards. The preserved fds keep their
 * numbers in it; its report pipe follows them.
 */
async function spawnExecHelper(globals: Parsed, states: StateDir, id: string, proc: Record<string, unknown>,
  preserved: number[], slave: number): Promise<{ child: ChildProcess; pid: number }> {
  const procFile = path.join(states.dir(id), `exec-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(procFile, JSON.stringify(proc));
  const keep = preserved.length > 0 ? ['--preserve-fds', String(preserved.length)] : [];
  // The waiting exec checks the state again: it must not refuse what this one let through.
  keep.push('--ignore-paused');
  const notifyFd = 3 + preserved.length;
  try {
    const [node, ...args] = selfArgv([...globalArgs(globals), 'exec', '--process', procFile, ...keep, id]);
    const child = spawn(node, args, {
      // With a terminal the process's stdio is the terminal: the waiting exec keeps none
      // of the caller's (a caller reading them to their end must not wait for it).
      stdio: slave >= 0 ? [slave, 'ignore', 'ignore', ...preserved, 'pipe'] : ['inherit', 'inherit', 'inherit', ...preserved, 'pipe'],
      detached: true,
      env: { ...process.env, TSVISOR_EXEC_NOTIFY_FD: String(notifyFd) },
    });
    const pid = await waitReady(child, notifyFd);
    return { child, pid };
  } finally {
    fs.rmSync(procFile, { force: true });
  }
}

/**
 * Runs the process in the sandbox with this process's stdio (with a terminal: its stdin,
 * the pty slave, which then is all three), and waits for its status. As the waiting
 * exec (report), it tells its parent how the start went instead of failing loudly (the
 * parent says why), and with a terminal it forwards the host's terminal signals.
 */
async function execAndWait(g: Globals, id: string, proc: Record<string, unknown>, preserved: number[], terminal: boolean,
  report: boolean): Promise<number> {
  const forwarder = terminal ? new TtySignalForwarder(g, id) : null;
  let conv: Conversation;
  // Reopened non-blocking here, where /proc is at hand: the confined sandbox process
  // cannot, and must not make the caller's own descriptions non-blocking.
  const given = [0, 1, 2].slice(0, terminal ? 1 : 3).concat(preserved);
  const sent = given.map(reopenNonblocking);
  const dropReopened = () => sent.forEach((fd, i) => { if (fd !== given[i]) hostClose(fd); });
  try {
    conv = Conversation.open(g, id, { cmd: 'exec', process: proc, preserved: preserved.length }, sent);
  } catch (e) {
    dropReopened();
    if (!report || !(e instanceof RuntimeError)) throw e;
    notifyReady(`error: ${e.message}`);
    return 1;
  }
  try {
    const first = conv.next();
    if (typeof first.error === 'string') {
      if (!report) throw new RuntimeError(first.error);
      notifyReady(`error: ${first.error}`);
      return 1;
    }
    // The sandbox holds its own copies now; ours would only keep pipes from ending.
    for (const fd of preserved) hostClose(fd);
    dropReopened();
    notifyReady('ok');
    if (forwarder === null) {
      const last = conv.next();
      return typeof last.exit === 'number' ? last.exit : 255;
    }
    forwarder.attach(typeof first.started === 'number' ? first.started : 0);
    const last = await conv.nextAsync();
    return typeof last.exit === 'number' ? last.exit : 255;
  } finally {
    forwarder?.detach();
    conv.close();
  }
}

/**
 * The host signals of an exec's terminal, forwarded to the sandbox. This process is the
 * session leader the host pty controls (it opens the slave, its stdin, without
 * O_NOCTTY), so the host's line discipline sends it ^C, ^\ and ^Z, a resize sends it
 * SIGWINCH, and the master's close SIGHUP; the sandbox acts on them for the terminal's
 * foreground group inside. Handlers come first: a ^C typed before the process exists
 * must not end this process (it is queued and sent once the process is there).
 */
class TtySignalForwarder {
  private static readonly SIGNALS = ['SIGINT', 'SIGQUIT', 'SIGTSTP', 'SIGWINCH', 'SIGHUP'] as const;
  private pid = 0;
  private readonly pending: number[] = [];
  private readonly handlers = new Map<NodeJS.Signals, () => void>();

  constructor(private readonly g: Globals, private readonly id: string) {
    for (const name of TtySignalForwarder.SIGNALS) {
      const h = () => this.forward(os.constants.signals[name]);
      this.handlers.set(name, h);
      process.on(name, h);
    }
    const fd = hostOpenat(H_AT_FDCWD, '/proc/self/fd/0', H_O_RDWR, 0);
    if (fd >= 0) hostClose(fd);
  }

  attach(pid: number): void {
    this.pid = pid;
    for (const s of this.pending.splice(0)) this.forward(s);
  }

  detach(): void {
    for (const [name, h] of this.handlers) process.off(name, h);
    this.handlers.clear();
  }

  private forward(signal: number): void {
    if (this.pid === 0) {
      this.pending.push(signal);
      return;
    }
    try {
      request(this.g, this.id, { cmd: 'tty-signal', pid: this.pid, signal });
    } catch {
      // the sandbox is gone: the exec's connection says so
    }
  }
}

/**
 * exec --tty without --detach, as runc: a new terminal for the process, relayed by this
 * process to its own terminal (put in raw mode meanwhile), whose window size it follows.
 */
async function execOnTerminal(globals: Parsed, states: StateDir, id: string, proc: Record<string, unknown>,
  preserved: number[]): Promise<number> {
  const hostTty = [0, 1, 2].find((fd) => tty.isatty(fd));
  if (hostTty === undefined) {
    throw new RuntimeError('exec --tty: none of stdin, stdout, stderr is a terminal (give --detach and --console-socket)');
  }
  const ws = Buffer.alloc(8);
  const sized = hostIoctl(hostTty, TIOCGWINSZ, ws) >= 0;
  const pty = openHostPty(sized ? ws.readUInt16LE(0) : 0, sized ? ws.readUInt16LE(2) : 0);
  if (typeof pty === 'number') throw new RuntimeError(`exec --tty: cannot make a terminal: errno ${-pty}`);
  const [master, slave] = pty;
  let child: ChildProcess;
  try {
    child = (await spawnExecHelper(globals, states, id, proc, preserved, slave)).child;
  } catch (e) {
    hostClose(master);
    throw e;
  } finally {
    hostClose(slave);
  }
  return relayTerminal(master, hostTty, child);
}

/**
 * Puts a host terminal in raw mode as cfmakeraw does (node's raw mode keeps output
 * processing, which would turn the relayed "\r\n" into "\r\r\n"); returns how to put
 * it back, or null when it is no terminal.
 */
function makeRaw(fd: number): (() => void) | null {
  const saved = Buffer.alloc(64);
  if (hostIoctl(fd, TCGETS, saved) < 0) return null;
  const t = Buffer.from(saved);
  // struct termios: c_iflag, c_oflag, c_cflag, c_lflag (u32 each), c_line, c_cc[19].
  t.writeUInt32LE(t.readUInt32LE(0) & ~(0o1 | 0o2 | 0o10 | 0o40 | 0o100 | 0o200 | 0o400 | 0o2000), 0); // IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON
  t.writeUInt32LE(t.readUInt32LE(4) & ~0o1, 4); // OPOST
  t.writeUInt32LE((t.readUInt32LE(8) & ~(0o60 | 0o400)) | 0o60, 8); // CSIZE PARENB; CS8
  t.writeUInt32LE(t.readUInt32LE(12) & ~(0o10 | 0o100 | 0o2 | 0o1 | 0o100000), 12); // ECHO ECHONL ICANON ISIG IEXTEN
  t[17 + 6] = 1; // VMIN
  t[17 + 5] = 0; // VTIME
  hostIoctl(fd, TCSETS, t);
  return () => {
    hostIoctl(fd, TCSETS, saved);
  };
}

/** Copies between this process's stdio and a terminal's master until the helper ends. */
function relayTerminal(master: number, hostTty: number, child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const restore = makeRaw(hostTty);
    // However this process ends, the caller's terminal must not stay raw.
    if (restore !== null) process.once('exit', restore);
    const ws = Buffer.alloc(8);
    const resize = () => {
      if (hostIoctl(hostTty, TIOCGWINSZ, ws) >= 0) hostIoctl(master, TIOCSWINSZ, ws);
    };
    process.on('SIGWINCH', resize);
    // Reading through a dup: the stream owns (and closes) the fd it is given.
    const out = new tty.ReadStream(hostFcntl(master, H_F_DUPFD_CLOEXEC, 0));
    let status: number | null = null;
    let outDone = false;
    let timer: NodeJS.Timeout | null = null;
    const end = () => {
      if (status === null) return;
      if (timer !== null) clearTimeout(timer);
      process.off('SIGWINCH', resize);
      process.stdin.off('data', toMaster);
      process.stdin.pause();
      if (restore !== null) {
        process.off('exit', restore);
        restore();
      }
      out.destroy();
      hostClose(master);
      resolve(status);
    };
    out.on('data', (d: Buffer) => process.stdout.write(d));
    // EIO once every slave is closed and the output drained: all there is has been read.
    const outEnd = () => {
      outDone = true;
      end();
    };
    out.on('end', outEnd);
    out.on('error', outEnd);
    // Input is written from the thread pool (the master is non-blocking through the
    // stream's dup, so a full terminal says EAGAIN: try again shortly).
    const queue: Buffer[] = [];
    let writing = false;
    const pump = () => {
      if (writing || queue.length === 0) return;
      writing = true;
      fs.write(master, queue[0], (err, n) => {
        writing = false;
        if (err !== null) {
          if (err.code === 'EAGAIN') setTimeout(pump, 10);
          else queue.length = 0;
          return;
        }
        queue[0] = queue[0].subarray(n);
        if (queue[0].length === 0) queue.shift();
        pump();
      });
    };
    const toMaster = (d: Buffer | string) => {
      queue.push(typeof d === 'string' ? Buffer.from(d) : d);
      pump();
    };
    process.stdin.on('data', toMaster);
    const exited = (code: number | null) => {
      status = code ?? 255;
      // A background process may keep the terminal open: read what is there, then go.
      if (outDone) end();
      else timer = setTimeout(end, 500);
    };
    child.ref();
    if (child.exitCode !== null || child.signalCode !== null) exited(child.exitCode);
    else child.on('exit', exited);
  });
}

/** For a detached exec's waiting child: tells the parent on its report fd how the start went. */
function notifyReady(line: string): void {
  const fd = helperReportFd();
  if (fd === null) return;
  // Once: the fd is closed after it, and its number may be reused.
  delete process.env.TSVISOR_EXEC_NOTIFY_FD;
  try {
    fs.writeSync(fd, line + '\n');
    fs.closeSync(fd);
  } catch {
    // the parent is gone
  }
}
