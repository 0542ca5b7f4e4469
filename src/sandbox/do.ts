// Wires one sandbox together for `tsvisor do`: memory file, platform, kernel, syscall
// table, root file system, stdio, and the first process; then runs the kernel's loop
// until that process (the container's init) exits.
import * as os from 'os';
import * as path from 'path';
import { H_AT_FDCWD, H_O_DIRECTORY, H_O_PATH, hostOpenat, hostUnlinkat } from '../platform/hostfile';
import { Credentials } from '../auth/creds';
import { sendToTask } from '../kernel/delivery';
import { buildImage } from '../kernel/exec';
import { Kernel } from '../kernel/kernel';
import { SIGHUP, SIGINT, SIGKILL, SIGPIPE, SIGQUIT, SIGTSTP, SIGWINCH, SIG_DFL, SI_KERNEL, SigHandlers, SigInfo } from '../kernel/signals';
import { Task } from '../kernel/task';
import { RLIMIT_NOFILE, Rlimits, ThreadGroup } from '../kernel/threadgroup';
import { Clock, hostRandom } from '../kernel/time';
import { MemoryFile } from '../mm/memfile';
import { PtracePlatform } from '../platform/ptrace';
import { RootFs, buildRootFs } from '../fs/root';
import { MountSpec, MountSpecError } from '../fs/mountspec';
import { SYSCALL_NAMES } from '../syscalls/names';
import { buildTable } from '../syscalls/index';
import { cloneHooks } from '../syscalls/clone';
import { FdTable } from '../vfs/fdtable';
import type { FileDescription } from '../vfs/file';
import type { SeccompFilter } from '../kernel/seccomp';
import type { FsContext } from '../vfs/context';
import { vfsHooks } from '../vfs/hooks';
import type { Logger } from '../util/log';
import { readCpuInfo } from './cpu';
import { hostSocketCap, readUnprivPortStart } from './netfacts';
import { callerRlimits } from './limits';
import { PidFd } from '../fs/anon/pidfd';
import { TtyControl, hangupSession, killPgrp, setCtty, ttyGroupExit } from '../fs/tty/jobctl';
import { hostConsole } from '../fs/host/stdio';
import { fifoTaskExit } from '../fs/pipe/fifo';
import { pidfdTarget } from '../syscalls/pidfd';
import { resolveCommand } from './path';
import type { Strace as StraceT } from './strace';

export interface DoOptions {
  rootDir: string;
  argv: string[];
  env: string[];
  cwd: string;
  strace: boolean;
  randomize: boolean;
  log: Logger;
  /** Most tasks (threads and processes) the sandbox may hold; clone fails with EAGAIN beyond. */
  pidsLimit?: number;
  /** What to mount (default: DEFAULT_MOUNTS). */
  mounts?: MountSpec[];
  overlay?: 'memory' | 'none';
  /**
   * A host file to hold the memory file (app memory and the overlay's file data) instead
   * of a memfd, so big writes to the container's root do not live in the sentry's heap.
   */
  overlayFile?: string;
  rootReadonly?: boolean;
  /** Inet sockets (host sockets in this process's network namespace): see KernelOptions.inet. */
  inet?: boolean;
  /** The namespace's unprivileged port start for apps (default: read from /proc/sys at boot). */
  unprivPortStart?: number;
  /** The first process's credentials (default: root with every capability). */
  creds?: Credentials;
  /** Its resource limits (default: the caller's). */
  rlimits?: Rlimits;
  /** Its umask (default 022). */
  umask?: number;
  /** The sandbox's host and domain names (default: the host's hostname). */
  hostname?: string;
  domainname?: string;
  /** The container's seccomp profile, for the first process and every exec'd one. */
  seccomp?: SeccompFilter | null;
  /** Host fds to give the first process as 0, 1, 2 (default: the sandbox process's own). */
  stdioFds?: number[];
  /** Host fds to give it as 3, 4, ... (--preserve-fds). */
  preservedFds?: number[];
  /**
   * stdioFds[0] is a terminal made for the container (create's process.terminal): its
   * console, as stdin's terminal is for `do`, but with runc's signal behaviour (see
   * attachConsole).
   */
  consoleStdio?: boolean;
  /** Called once the tree is built, before the first process is made (masks, read-only paths). */
  onRootFs?: (root: RootFs) => void;
  /** Called when the first process has been made and is about to run (poststart hooks). */
  onStart?: () => void;
  /**
   * Confines the sandbox process (sandbox/confine.ts) once everything it needs from the
   * host is open: after the root file system and stdio, before the stubs exist.
   */
  confine?: (extraDirs: number[]) => void;
}

/** A booted sandbox: its first process exists but runs only after start(). */
export class Sandbox {
  private started = false;
  /** Processes exec'd into the sandbox whose end someone waits for. */
  private readonly exitWatchers = new Map<ThreadGroup, (shellStatus: number) => void>();

  constructor(
    readonly kernel: Kernel,
    readonly root: RootFs,
    /** The container's init (its first process's thread group). */
    readonly init: ThreadGroup,
    private readonly first: Task,
    private readonly onStart?: () => void,
    /** Applied to every process exec'd into the sandbox, as to the first. */
    readonly seccomp: SeccompFilter | null = null,
  ) {
    const prev = kernel.exitHooks;
    kernel.exitHooks = {
      taskExit: (t) => prev?.taskExit(t),
      groupExit: (tg) => {
        prev?.groupExit(tg);
        const w = this.exitWatchers.get(tg);
        if (w === undefined) return;
        this.exitWatchers.delete(tg);
        const st = tg.exitStatus;
        w((st & 0x7f) !== 0 ? 128 + (st & 0x7f) : (st >> 8) & 0xff);
      },
    };
  }

  /**
   * Starts another process in the running sandbox (`tsvisor exec`), with no parent
   * inside; onExit gets the status a shell would report. Returns its pid, or why not.
   */
  exec(spec: ProcessSpec, onExit: (shellStatus: number) => void): number | { code: number; message: string } {
    if (this.init.exitStatus >= 0) {
      for (const f of spec.stdio) f?.decRef();
      return { code: 1, message: 'cannot exec in a stopped container' };
    }
    const p = makeProcess(this.kernel, this.root, { ...spec, seccomp: this.seccomp }, null);
    if ('code' in p) return p;
    this.exitWatchers.set(p.tg, onExit);
    this.kernel.start(p.task);
    return p.tg.tgid;
  }

  get isStarted(): boolean {
    return this.started;
  }

  /**
   * OCI startContainer hooks: run one after the other inside the sandbox (the path is the
   * container's, as runc runs them in the container's namespaces), each with the state on
   * stdin and the container's stdout and stderr; then done(null), or done(why) at the
   * first that fails or outlives its timeout (it is killed).
   */
  runStartHooks(hooks: { path: string; args: string[]; env: string[]; timeout: number | null }[], state: string,
    done: (err: string | null) => void): void {
    const next = (i: number): void => {
      if (i === hooks.length) {
        done(null);
        return;
      }
      const h = hooks[i];
      const out = [1, 2].map((fd) => {
        const f = this.first.fdTable.get(fd);
        f?.incRef();
        return f ?? null;
      });
      const p = makeProcess(this.kernel, this.root, {
        argv: h.args.length > 0 ? h.args : [h.path], path: h.path, env: h.env, cwd: '/', creds: Credentials.root(),
        rlimits: this.init.rlimits, stdio: [this.root.textInput(state), ...out],
      }, null);
      if ('code' in p) {
        done(`startContainer hook ${h.path} failed: ${p.message}`);
        return;
      }
      const timer = h.timeout === null ? null : {
        fire: (k: Kernel) => k.exitGroup(p.tg, 0, SIGKILL),
      };
      if (timer !== null) this.kernel.addTimer(timer, this.kernel.clock.monoNow() + (h.timeout as number) * 1e9);
      this.exitWatchers.set(p.tg, (status) => {
        if (timer !== null) this.kernel.removeTimer(timer);
        if (status === 0) next(i + 1);
        else done(`startContainer hook ${h.path} failed: ${status > 128 ? `killed by signal ${status - 128}` : `exit status ${status}`}`);
      });
      this.kernel.start(p.task);
    };
    next(0);
  }

  /** Lets the first process run (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.kernel.start(this.first);
    this.onStart?.();
  }

  /** Runs the kernel's loop until init exits; returns the exit code a shell would report. */
  run(): number {
    try {
      return this.kernel.run();
    } finally {
      this.kernel.shutdown();
      hostConsole()?.restore(); // the host terminal's modes as they were
    }
  }
}

/** Runs argv in a fresh sandbox and returns the exit code a shell would report. */
export function runDo(o: DoOptions): number {
  const sb = bootSandbox(o);
  if (typeof sb === 'number') return sb;
  sb.start();
  return sb.run();
}

/**
 * Builds a sandbox and its first process (not yet running), or returns the exit code
 * to report when that fails (the reason has been written to stderr).
 */
export function bootSandbox(o: DoOptions): Sandbox | number {
  const clock = new Clock();
  /** Host directory fds held outside the file systems (confinement moves them too). */
  const heldDirs: number[] = [];
  let memfile: MemoryFile;
  try {
    memfile = new MemoryFile(o.overlayFile);
    // The data is the sandbox's alone and ends with it. Removed through its directory's
    // fd: the path means nothing once the sandbox process is confined.
    const file = o.overlayFile;
    if (file !== undefined) {
      const dir = hostOpenat(H_AT_FDCWD, path.dirname(file), H_O_PATH | H_O_DIRECTORY);
      if (dir >= 0) {
        heldDirs.push(dir);
        process.once('exit', () => hostUnlinkat(dir, path.basename(file), 0));
      }
    }
  } catch (e) {
    process.stderr.write(`tsvisor: --overlay file:${o.overlayFile}: ${(e as Error).message}\n`);
    return 125;
  }
  let root: RootFs;
  try {
    root = buildRootFs({
      rootDir: o.rootDir, random: hostRandom, clock, mounts: o.mounts, overlay: o.overlay, rootReadonly: o.rootReadonly,
      upperData: o.overlayFile !== undefined ? memfile : undefined,
    });
  } catch (e) {
    if (!(e instanceof MountSpecError)) throw e;
    if (!o.log.toStderr) o.log.error(e.message);
    process.stderr.write(`tsvisor: ${e.message}\n`);
    return 125;
  }
  o.onRootFs?.(root);
  // What needs the host's paths, read before the sandbox process confines itself.
  const stdio = [...(o.stdioFds ?? [0, 1, 2]), ...(o.preservedFds ?? [])]
    .map((fd, i) => root.stdio(fd, fd === 0 || (i === 0 && o.consoleStdio === true), false, o.consoleStdio === true && i < 3));
  const cpu = readCpuInfo();
  const unprivPortStart = o.unprivPortStart ?? readUnprivPortStart();
  const maxHostSockets = hostSocketCap();
  const hostname = o.hostname ?? os.hostname();
  const rlimits = o.rlimits ?? callerRlimits();
  let tracer: StraceT | null = null;
  if (o.strace) {
    // Loaded only when asked for: the decoder tables are a fifth of the start-up cost.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Strace } = require('./strace') as { Strace: typeof StraceT };
    tracer = new Strace(2);
  }
  if (o.confine !== undefined) {
    try {
      o.confine(heldDirs);
    } catch (e) {
      const msg = (e as Error).message;
      if (!o.log.toStderr) o.log.error(msg);
      process.stderr.write(`tsvisor: ${msg}\n`);
      return 125;
    }
  }
  const platform = new PtracePlatform(memfile.fd);
  const table = buildTable();
  const kernel = new Kernel({
    platform,
    memfile,
    handlers: table.handlers,
    names: SYSCALL_NAMES,
    log: o.log,
    clock,
    random: hostRandom,
    cpu,
    randomizeLayout: o.randomize,
    inet: o.inet ?? false,
    unprivPortStart,
    maxHostSockets,
    hostname,
    vfs: {
      openExec: (t, p) => root.openExec(t, p),
      fdPath: (t, fd) => root.fdPath(t, fd),
      pidfdTarget: (t, fd) => pidfdTarget(t, fd),
    },
  });
  if (o.pidsLimit !== undefined) kernel.maxTasks = o.pidsLimit;
  root.setKernel(kernel);
  if (tracer !== null) kernel.tracer = tracer;
  wireHooks(kernel);

  let ok = false;
  try {
    if (o.domainname !== undefined) kernel.domainname = o.domainname;
    const p = makeProcess(kernel, root, {
      argv: o.argv, env: o.env, cwd: o.cwd, creds: o.creds ?? Credentials.root(), rlimits,
      umask: o.umask, stdio, seccomp: o.seccomp,
    }, null);
    if ('code' in p) {
      if (!o.log.toStderr) o.log.error(p.message);
      process.stderr.write(`tsvisor: ${p.message}\n`);
      return p.code;
    }
    kernel.init = p.tg;
    attachConsole(kernel, p.tg, o.consoleStdio === true);
    ok = true;
    return new Sandbox(kernel, root, p.tg, p.task, o.onStart, o.seccomp ?? null);
  } finally {
    if (!ok) {
      kernel.shutdown();
      hostConsole()?.restore();
    }
  }
}

/** A process to make in a sandbox: the container's first one, or one exec'd into it. */
export interface ProcessSpec {
  argv: string[];
  env: string[];
  cwd: string;
  creds: Credentials;
  rlimits: Rlimits;
  umask?: number;
  /** Descriptions for fds 0, 1, 2, ... (null: closed). Each reference is taken over. */
  stdio: (FileDescription | null)[];
  /** The file to run, when it is not argv[0] (a hook's path). */
  path?: string;
  seccomp?: SeccompFilter | null;
  /** Its controlling terminal (it is a session leader of its own session). */
  ctty?: TtyControl | null;
}

/**
 * Makes a process (not yet running) from spec, as execve would: the command looked up
 * in the spec's PATH inside the container, capabilities after execve's rules. Returns
 * it, or the exit code and message a shell would give (127 not found, 126 not
 * executable, 125 a bad working directory).
 */
export function makeProcess(kernel: Kernel, root: RootFs, spec: ProcessSpec, parent: ThreadGroup | null):
  { tg: ThreadGroup; task: Task } | { code: number; message: string } {
  const dropStdio = () => {
    for (const f of spec.stdio) f?.decRef();
  };
  const fsCtx = root.fsContext(spec.cwd);
  if (typeof fsCtx === 'number') {
    dropStdio();
    return { code: 125, message: `cwd ${spec.cwd}: no such directory in the sandbox` };
  }
  const pathVar = spec.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const command = spec.path ?? spec.argv[0];
  const resolved = resolveCommand(command, pathVar, (p) => root.openExecutableAtBoot(fsCtx, p));
  if (typeof resolved === 'number') {
    dropStdio();
    return { code: resolved, message: `${command}: ${resolved === 127 ? 'command not found' : 'permission denied'}` };
  }
  const creds = spec.creds.clone();
  // The process is exec'd like any other: its capabilities follow execve's rules.
  creds.applyExec();
  if (spec.umask !== undefined) fsCtx.umask = spec.umask;
  const fdTable = new FdTable(spec.rlimits.cur[RLIMIT_NOFILE]);
  spec.stdio.forEach((f, fd) => {
    if (f !== null) fdTable.installAt(fd, f, false);
  });
  const img = buildImage(kernel, resolved.handle, spec.argv, spec.env, creds, spec.rlimits,
    (p) => root.openExecutableAtBoot(fsCtx, p));
  resolved.handle.close();
  if (typeof img === 'number') {
    fdTable.decUsers();
    return { code: 126, message: `${spec.argv[0]}: cannot execute: ${errnoText(-img)}` };
  }
  const tgid = kernel.allocTid();
  const tg = new ThreadGroup(tgid, img.mm, parent, new SigHandlers(), spec.rlimits);
  tg.execArgv = img.argv;
  tg.startMono = kernel.clock.monoNow();
  img.mm.exePath = img.exePath;
  // Named after the path it was started by (as execve names a process), not the file it led to.
  const base = resolved.path.lastIndexOf('/');
  const task = new Task(kernel, tgid, tg, img.ctx, fdTable, fsCtx, creds, resolved.path.slice(base + 1, base + 16));
  task.seccomp = spec.seccomp ?? null;
  if (spec.ctty !== undefined && spec.ctty !== null) setCtty(tg, spec.ctty);
  kernel.addTask(task);
  return { tg, task };
}

/** Connects the kernel to what the layers above own: fd tables, fs contexts, SIGPIPE. */
function wireHooks(kernel: Kernel): void {
  cloneHooks.hooks = {
    forkFiles: (t: Task, share: boolean) => t.fdTable.forClone(share),
    forkFs: (t: Task, share: boolean): FsContext => {
      if (!share) return t.fs.fork();
      t.fs.incUsers();
      return t.fs;
    },
    pidfd: (t: Task, child: ThreadGroup) => t.fdTable.install(new PidFd(child, 0), 0, true),
  };
  kernel.exitHooks = {
    taskExit: (t: Task) => {
      fifoTaskExit(t);
      t.fdTable.decUsers();
      t.fs.decUsers();
    },
    // A session leader's exit releases (or hangs up) its controlling terminal.
    groupExit: (tg: ThreadGroup) => ttyGroupExit(kernel, tg),
  };
  vfsHooks.brokenPipe = (t) => {
    // EPIPE on a pipe with no reader: Linux sends SIGPIPE to the writing thread first.
    if (t instanceof Task) sendToTask(kernel, t, new SigInfo(SIGPIPE, SI_KERNEL, 0, 0));
  };
}

/**
 * A host terminal on stdin is the container's console: the first process (a session
 * leader) starts with it as controlling terminal, and the host terminal's signals, which
 * reach the sentry (the host's foreground group), go on to the console's foreground group.
 * made: the terminal was made for the container (create), whose sandbox process is the
 * host session it controls. Then, as with runc, an init without a handler ignores ^C
 * like any signal, and a hangup (the master closed) hangs the console's session up.
 */
function attachConsole(kernel: Kernel, init: ThreadGroup, made: boolean): void {
  const con = hostConsole();
  if (con === null) return;
  setCtty(init, con);
  const forwarded = made ? [SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGWINCH] : [SIGINT, SIGQUIT, SIGTSTP, SIGWINCH];
  let mask = 0;
  for (const s of forwarded) mask |= 1 << (s - 1);
  kernel.enableHostSignals(mask, (caught) => {
    for (const s of forwarded) {
      if ((caught & (1 << (s - 1))) === 0) continue;
      // The container's init ignores signals it has no handler for, so ^C on `tsvisor do --
      // sleep 100` would be lost; as the host would for a plain command, ^C and ^\ then end
      // the sandbox (a shell's init catches or ignores them and is not affected).
      if (!made && (s === SIGINT || s === SIGQUIT) && init.exitStatus < 0 && init.pgid === con.pgrp &&
          init.sighand.actions[s].handler === SIG_DFL) {
        kernel.exitGroup(init, 128 + s, s);
        continue;
      }
      if (s === SIGHUP) hangupSession(kernel, con, false);
      else killPgrp(kernel, con.pgrp, s);
    }
  });
}

function errnoText(e: number): string {
  return e === 8 ? 'Exec format error' : e === 13 ? 'Permission denied' : e === 2 ? 'No such file or directory' : `errno ${e}`;
}
