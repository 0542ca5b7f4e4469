// Wires one sandbox together for `tsvisor do`: memory file, platform, kernel, syscall
// table, root file system, stdio, and the first process; then runs the kernel's loop
// until that process (the container's init) exits.
import * as os from 'os';
import { Credentials } from '../auth/creds';
import { sendToTask } from '../kernel/delivery';
import { buildImage } from '../kernel/exec';
import { Kernel } from '../kernel/kernel';
import { SIGINT, SIGPIPE, SIGQUIT, SIGTSTP, SIGWINCH, SIG_DFL, SI_KERNEL, SigHandlers, SigInfo } from '../kernel/signals';
import { Task } from '../kernel/task';
import { RLIMIT_NOFILE, Rlimits, ThreadGroup } from '../kernel/threadgroup';
import { Clock, hostRandom } from '../kernel/time';
import { MemoryFile } from '../mm/memfile';
import { PtracePlatform } from '../platform/ptrace';
import { buildRootFs } from '../fs/root';
import { SYSCALL_NAMES } from '../syscalls/names';
import { buildTable } from '../syscalls/index';
import { cloneHooks } from '../syscalls/clone';
import { FdTable } from '../vfs/fdtable';
import type { FsContext } from '../vfs/context';
import { vfsHooks } from '../vfs/hooks';
import type { Logger } from '../util/log';
import { readCpuInfo } from './cpu';
import { callerRlimits } from './limits';
import { PidFd } from '../fs/anon/pidfd';
import { killPgrp, setCtty, ttyGroupExit } from '../fs/tty/jobctl';
import { hostConsole } from '../fs/host/stdio';
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
}

/** Runs argv in a fresh sandbox and returns the exit code a shell would report. */
export function runDo(o: DoOptions): number {
  const clock = new Clock();
  const root = buildRootFs({ rootDir: o.rootDir, random: hostRandom, clock });
  const fsCtx = root.fsContext(o.cwd);
  if (typeof fsCtx === 'number') {
    o.log.error(`cannot use ${o.cwd} as the working directory: errno ${-fsCtx}`);
    process.stderr.write(`tsvisor: --cwd ${o.cwd}: no such directory in the sandbox\n`);
    return 125;
  }
  // The command is looked up before anything is started, as a shell would.
  const pathVar = o.env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  const resolved = resolveCommand(o.argv[0], pathVar, (p) => root.openExecutableAtBoot(fsCtx, p));
  if (typeof resolved === 'number') {
    const why = resolved === 127 ? 'command not found' : 'permission denied';
    process.stderr.write(`tsvisor: ${o.argv[0]}: ${why}\n`);
    return resolved;
  }

  const memfile = new MemoryFile();
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
    cpu: readCpuInfo(),
    randomizeLayout: o.randomize,
    hostname: os.hostname(),
    vfs: {
      openExec: (t, p) => root.openExec(t, p),
      fdPath: (t, fd) => root.fdPath(t, fd),
      pidfdTarget: (t, fd) => pidfdTarget(t, fd),
    },
  });
  if (o.pidsLimit !== undefined) kernel.maxTasks = o.pidsLimit;
  root.setKernel(kernel);
  if (o.strace) {
    // Loaded only when asked for: the decoder tables are a fifth of the start-up cost.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Strace } = require('./strace') as { Strace: typeof StraceT };
    kernel.tracer = new Strace(2);
  }
  wireHooks(kernel);

  try {
    const creds = Credentials.root();
    const rlimits = callerRlimits();
    const fdTable = new FdTable(rlimits.cur[RLIMIT_NOFILE]);
    for (const fd of [0, 1, 2]) {
      const f = root.stdio(fd);
      if (f !== null) fdTable.installAt(fd, f, false);
    }
    const img = buildImage(kernel, resolved.handle, o.argv, o.env, creds, rlimits,
      (p) => root.openExecutableAtBoot(fsCtx, p));
    resolved.handle.close();
    if (typeof img === 'number') {
      process.stderr.write(`tsvisor: ${o.argv[0]}: cannot execute: ${errnoText(-img)}\n`);
      return 126;
    }
    const tgid = kernel.allocTid();
    const tg = new ThreadGroup(tgid, img.mm, null, new SigHandlers(), rlimits);
    tg.execArgv = img.argv;
    tg.startMono = clock.monoNow();
    img.mm.exePath = img.exePath;
    const base = img.exePath.lastIndexOf('/');
    const t = new Task(kernel, tgid, tg, img.ctx, fdTable, fsCtx, creds, img.exePath.slice(base + 1, base + 16));
    kernel.addTask(t);
    kernel.init = tg;
    attachConsole(kernel, tg);
    kernel.start(t);
    return kernel.run();
  } finally {
    kernel.shutdown();
    hostConsole()?.restore();
  }
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
 */
function attachConsole(kernel: Kernel, init: ThreadGroup): void {
  const con = hostConsole();
  if (con === null) return;
  setCtty(init, con);
  const forwarded = [SIGINT, SIGQUIT, SIGTSTP, SIGWINCH];
  let mask = 0;
  for (const s of forwarded) mask |= 1 << (s - 1);
  kernel.enableHostSignals(mask, (caught) => {
    for (const s of forwarded) {
      if ((caught & (1 << (s - 1))) === 0) continue;
      // The container's init ignores signals it has no handler for, so ^C on `tsvisor do --
      // sleep 100` would be lost; as the host would for a plain command, ^C and ^\ then end
      // the sandbox (a shell's init catches or ignores them and is not affected).
      if ((s === SIGINT || s === SIGQUIT) && init.exitStatus < 0 && init.pgid === con.pgrp &&
          init.sighand.actions[s].handler === SIG_DFL) {
        kernel.exitGroup(init, 128 + s, s);
        continue;
      }
      killPgrp(kernel, con.pgrp, s);
    }
  });
}

function errnoText(e: number): string {
  return e === 8 ? 'Exec format error' : e === 13 ? 'Permission denied' : e === 2 ? 'No such file or directory' : `errno ${e}`;
}
