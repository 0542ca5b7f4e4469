// The sandbox process's control server: `tsvisor start/kill/ps/exec/pause/resume/update/
// events` (and the waiting exec of a terminal, forwarding its signals) talk to it over the
// unix socket in the container's state directory. One JSON request line per connection,
// one JSON reply line (exec: two). Requests are served from the kernel's own loop
// (EventKind.Control), between app events, so they see a consistent kernel.
import { sendToGroup, sendToTask } from '../kernel/delivery';
import { Kernel } from '../kernel/kernel';
import { SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGSTOP, SIGTSTP, SIGWINCH, SI_USER, SigInfo } from '../kernel/signals';
import type { HostPtyTerminal } from '../fs/host/stdio';
import { hangupSession, killPgrp } from '../fs/tty/jobctl';
import type { FileDescription } from '../vfs/file';
import type { ThreadGroup } from '../kernel/threadgroup';
import { CtlRequest, ctlListen, ctlSend, ctlServe, ctlTake } from '../platform/control';
import { hostClose } from '../platform/hostfile';
import type { Sandbox } from './do';
import type { Hook } from './oci/config';
import { ConfigError, ProcessConfig, parseProcess } from './oci/config';
import { processCreds, processRlimits } from './oci/boot';

const NSIG = 64;

type Reply = Record<string, unknown>;

export class ControlServer {
  private sbOrNull: Sandbox | null = null;

  private get sb(): Sandbox {
    if (this.sbOrNull === null) throw new Error('control request before the sandbox was attached');
    return this.sbOrNull;
  }

  /**
   * Listens at path, before the sandbox process confines itself (binding needs the
   * path); requests wait in the serving thread until attach. A message when that fails.
   */
  listen(path: string): string | null {
    const fd = ctlListen(path);
    if (fd < 0) return `cannot listen on ${path}: errno ${-fd}`;
    const r = ctlServe(fd);
    if (r < 0) return `cannot serve ${path}: errno ${-r}`;
    return null;
  }

  /** OCI startContainer hooks, run inside the sandbox at start, before the first process. */
  private startHooks: Hook[] = [];
  private starting = false;

  /** Serves requests from the sandbox's kernel loop from now on. */
  attach(sb: Sandbox, startHooks: Hook[] = []): void {
    this.sbOrNull = sb;
    this.startHooks = startHooks;
    sb.kernel.onControl = () => this.serve();
  }

  private serve(): void {
    for (let req = ctlTake(); req !== null; req = ctlTake()) {
      let reply: Reply | null;
      try {
        reply = this.handle(req);
      } catch (e) {
        this.sb.kernel.log.error(`control request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        reply = { error: 'internal error (see the sandbox log)' };
      }
      // null: the request keeps its connection (and fds) and answers later (exec).
      if (reply === null) continue;
      for (const fd of req.fds) hostClose(fd);
      ControlServer.answer(req.conn, reply);
      hostClose(req.conn);
    }
  }

  private static answer(conn: number, reply: Reply): void {
    const out = Buffer.from(JSON.stringify(reply) + '\n');
    ctlSend(conn, out, out.length);
  }

  private handle(req: CtlRequest): Reply | null {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(req.text) as Record<string, unknown>;
    } catch {
      return { error: 'malformed request' };
    }
    switch (msg.cmd) {
      case 'start':
        if (this.sb.isStarted || this.starting) return { error: 'cannot start an already running container' };
        if (this.startHooks.length === 0) {
          this.sb.start();
          return { ok: true };
        }
        // The hooks run first, inside; the answer waits for them. A failure stops the
        // container (OCI: the runtime then goes on as after the container's end).
        this.starting = true;
        this.sb.runStartHooks(this.startHooks, typeof msg.state === 'string' ? msg.state : '{}', (err) => {
          this.starting = false;
          if (err === null) this.sb.start();
          else this.sb.kernel.exitGroup(this.sb.init, 0, SIGKILL);
          ControlServer.answer(req.conn, err === null ? { ok: true } : { error: err });
          hostClose(req.conn);
          for (const fd of req.fds) hostClose(fd);
        });
        return null;
      case 'kill':
        return this.kill(msg.signal, msg.all === true);
      case 'ps':
        return { ok: true, pids: this.live().map((tg) => tg.tgid) };
      case 'exec':
        return this.exec(req, msg.process, msg.preserved);
      case 'tty-signal':
        return this.ttySignal(msg.pid, msg.signal);
      case 'pause':
        // Answered once every task that was running app code has been parked.
        this.sb.kernel.pause(() => {
          ControlServer.answer(req.conn, { ok: true, started: this.sb.isStarted });
          hostClose(req.conn);
          for (const fd of req.fds) hostClose(fd);
        });
        return null;
      case 'resume':
        if (!this.sb.kernel.isPaused) return { error: 'container not paused' };
        this.sb.kernel.resume();
        return { ok: true, started: this.sb.isStarted };
      case 'update':
        return this.update(msg.pidsLimit);
      case 'stats':
        return {
          ok: true, tasks: this.sb.kernel.tasks.size, processes: this.live().length, paused: this.sb.kernel.isPaused,
          started: this.sb.isStarted,
        };
      default:
        return { error: `unknown request ${String(msg.cmd)}` };
    }
  }

  /**
   * A new process from an OCI process object. The request's fds are its 0, 1, 2 (with
   * process.terminal, one fd: the host pty slave that is all three and its controlling
   * terminal), then `preserved` more for 3, 4, ... (--preserve-fds). The first reply line
   * says it started (its pid); the second, when it ends, its status.
   */
  private exec(req: CtlRequest, proc: unknown, preserved: unknown): Reply | null {
    if (proc === null || typeof proc !== 'object' || Array.isArray(proc)) return { error: 'exec: no process' };
    let pc: ProcessConfig;
    try {
      pc = parseProcess(proc as Record<string, unknown>, []);
    } catch (e) {
      if (e instanceof ConfigError) return { error: `process.json: ${e.message}` };
      throw e;
    }
    const n = preserved ?? 0;
    const nStdio = pc.terminal ? 1 : 3;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || req.fds.length !== nStdio + n) {
      return { error: `exec: expected ${nStdio} + ${String(n)} fds, got ${req.fds.length}` };
    }
    // The descriptions take the fds over: they may outlive the process (a background
    // child keeps its stdio), so the numbers must stay theirs until the last one goes.
    const fds = req.fds;
    req.fds = [];
    let term: HostPtyTerminal | null = null;
    let stdio: (FileDescription | null)[];
    if (pc.terminal) {
      const t = this.sb.root.terminal(fds[0], pc.uid);
      if (t === null) {
        for (const fd of fds.slice(1)) hostClose(fd);
        return { error: 'exec: the terminal handed over is not a terminal' };
      }
      term = t.term;
      // One open description for 0, 1 and 2, as a terminal's stdio are dup'ed.
      t.f.incRef();
      t.f.incRef();
      stdio = [t.f, t.f, t.f];
    } else {
      stdio = fds.slice(0, 3).map((fd) => this.sb.root.stdio(fd, false, true));
    }
    for (const fd of fds.slice(nStdio)) stdio.push(this.sb.root.stdio(fd, false, true));
    let pid = 0;
    const r = this.sb.exec({
      argv: pc.args, env: pc.env, cwd: pc.cwd, creds: processCreds(pc), rlimits: processRlimits(pc),
      umask: pc.umask ?? undefined, stdio, ctty: term,
    }, (status) => {
      if (term !== null) {
        this.terminals.delete(pid);
        term.release();
      }
      ControlServer.answer(req.conn, { exit: status });
      hostClose(req.conn);
    });
    if (typeof r !== 'number') {
      term?.release();
      return { error: r.message, code: r.code };
    }
    pid = r;
    if (term !== null) this.terminals.set(pid, term);
    ControlServer.answer(req.conn, { started: pid });
    return null;
  }

  /**
   * linux.resources.pids.limit for the sentry's own task limit: n > 0 sets it, -1 lifts
   * it (runc's "max"), 0 leaves it as it is. Tasks beyond a lowered limit stay; new ones
   * fail with EAGAIN, as with a lowered pids.max.
   */
  private update(pidsLimit: unknown): Reply {
    if (typeof pidsLimit !== 'number' || !Number.isInteger(pidsLimit) || pidsLimit < -1) {
      return { error: `invalid pids limit ${String(pidsLimit)}` };
    }
    if (pidsLimit > 0) this.sb.kernel.maxTasks = pidsLimit;
    else if (pidsLimit === -1) this.sb.kernel.maxTasks = Kernel.DEFAULT_MAX_TASKS;
    return { ok: true, maxTasks: this.sb.kernel.maxTasks };
  }

  /** Terminals of exec'd processes (by pid) whose host signals the exec forwards. */
  private readonly terminals = new Map<number, HostPtyTerminal>();

  /**
   * A signal the host gave an exec's terminal (its waiting `tsvisor exec` is the host
   * session that terminal controls): ^C, ^\, ^Z and resizes go to the terminal's
   * foreground group inside, as the terminal would send them; a hangup (the master
   * closed) hangs the terminal's session up.
   */
  private ttySignal(pid: unknown, signal: unknown): Reply {
    const term = typeof pid === 'number' ? this.terminals.get(pid) : undefined;
    if (term === undefined) return { error: `no terminal of an exec'd process ${String(pid)}` };
    switch (signal) {
      case SIGINT: case SIGQUIT: case SIGTSTP: case SIGWINCH:
        killPgrp(this.sb.kernel, term.pgrp, signal);
        return { ok: true };
      case SIGHUP:
        hangupSession(this.sb.kernel, term, false);
        return { ok: true };
      default:
        return { error: `invalid terminal signal ${String(signal)}` };
    }
  }

  /** Thread groups that have not exited, init first. */
  private live(): ThreadGroup[] {
    const out: ThreadGroup[] = [];
    for (const tg of this.sb.kernel.threadGroups.values()) if (tg.exitStatus < 0) out.push(tg);
    return out.sort((a, b) => a.tgid - b.tgid);
  }

  /**
   * A signal from outside the container (as from an ancestor pid namespace): init gets
   * it only if it has a handler, except SIGKILL and SIGSTOP, which are forced.
   */
  private kill(signal: unknown, all: boolean): Reply {
    if (typeof signal !== 'number' || !Number.isInteger(signal) || signal < 1 || signal > NSIG) {
      return { error: `invalid signal ${String(signal)}` };
    }
    const init = this.sb.init;
    if (init.exitStatus >= 0) return { error: 'container not running' };
    const targets = all ? this.live() : [init];
    for (const tg of targets) {
      const info = new SigInfo(signal, SI_USER, 0, 0);
      if ((signal === SIGKILL || signal === SIGSTOP) && tg.tasks.length > 0) sendToTask(this.sb.kernel, tg.tasks[0], info, true);
      else sendToGroup(this.sb.kernel, tg, info);
    }
    return { ok: true };
  }
}

/** Signals `tsvisor run` passes on (runc's list: all but those it cannot or must not). */
const FORWARDED = [1, 2, 3, 10, 12, 14, 15, 18, 20, 21, 22, 23, 26, 27, 28, 29, 30];

/**
 * For `tsvisor run` in the foreground: signals the sandbox process gets from its waiting
 * parent go on to the container's init (which, like any pid-namespace init, takes only
 * those it handles). A console's keys keep their own handling.
 */
export function forwardHostSignals(sb: Sandbox): void {
  const k = sb.kernel;
  const prev = k.hostSignalHandler;
  let mask = 0;
  for (const s of FORWARDED) mask |= 1 << (s - 1);
  // The console (if any) already takes ^C, ^\\, ^Z and resizes: those stay with it.
  const consoleMask = prev !== null ? (1 << 1) | (1 << 2) | (1 << 19) | (1 << 27) : 0;
  k.enableHostSignals(mask, (caught) => {
    if (prev !== null && (caught & consoleMask) !== 0) prev(caught & consoleMask);
    const rest = caught & ~consoleMask;
    if (rest === 0 || sb.init.exitStatus >= 0) return;
    for (const s of FORWARDED) if ((rest & (1 << (s - 1))) !== 0) sendToGroup(k, sb.init, new SigInfo(s, SI_USER, 0, 0));
  });
}
