// `tsvisor exec`: a new process in a running container's sandbox, with the caller's stdio
// (reopened non-blocking, since the confined sandbox process cannot), runc's --tty rules
// (a host pty whose master goes over --console-socket, or is relayed on the caller's
// terminal), --preserve-fds, and --detach, which leaves a waiting `tsvisor exec` whose pid
// stands for the process on the host.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tty from 'tty';
import { ChildProcess, spawn } from 'child_process';
import { Parsed, RuntimeError, UsageError, flag, parseArgs } from './args';
import { Conversation, globalArgs, request, sendConsole, writePidFile } from './control';
import { Globals, preservedFds, processAlive } from './oci';
import { selfArgv, selfEnvRecord } from './self';
import { StateDir } from './state';
import { openHostPty } from '../platform/control';
import {
  H_AT_FDCWD, H_F_DUPFD_CLOEXEC, H_O_RDWR, hostClose, hostFcntl, hostIoctl, hostOpenat,
} from '../platform/hostfile';
import { TCGETS, TCSETS, TIOCGWINSZ, TIOCSWINSZ } from '../vfs/abi';
import { reopenNonblocking } from '../fs/host/stdio';

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
      env: selfEnvRecord({ TSVISOR_EXEC_NOTIFY_FD: String(notifyFd) }),
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
