// `tsvisor do`: run one command in a fresh sandbox, the way `gvisor do` / `runsc do`
// does: the host root (read-only, with an in-memory upper layer) or --rootfs, the
// caller's environment and working directory, stdio connected.
import * as fs from 'fs';
import { parseArgs, flag, UsageError } from './args';
import { DEFAULT_MOUNTS, MountSpec, MountSpecError, mountSpecFromFlag, mountSpecFromVolume } from '../fs/mountspec';
import { Logger } from '../util/log';
import { selfArgv, selfEnv } from './self';
import { ConfineError, spawnConfined, waitConfined } from '../platform/confine';
import { defaultSignals } from '../platform/host';
import { CONFINED_FLAG } from '../sandbox/flags';

export function doCommand(argv: string[]): number {
  // The command is parsed twice: here, so that bad flags fail at once, and again in the
  // sandbox process, which this process starts in fresh namespaces and waits for.
  const confined = argv[0] === CONFINED_FLAG;
  if (confined) argv = argv.slice(1);
  const p = parseArgs(argv, {
    rootfs: { value: true },
    strace: {},
    cwd: { value: true },
    env: { value: true, repeat: true },
    log: { value: true },
    'log-format': { value: true },
    debug: {},
    'no-randomize': {},
    platform: { value: true },
    'pids-limit': { value: true },
    mount: { value: true, repeat: true },
    volume: { value: true, repeat: true, aliases: ['-v'] },
    tmpfs: { value: true, repeat: true },
    overlay: { value: true },
    'read-only': {},
    unconfined: {},
    network: { value: true },
  });
  if (p.rest.length === 0) throw new UsageError('do: missing command (tsvisor do [flags] -- CMD [ARG...])');
  const platform = flag(p, 'platform') ?? 'ptrace';
  if (platform !== 'ptrace') throw new UsageError(`do: --platform ${platform}: only "ptrace" is available`);
  const env = new Map<string, string>();
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env.set(k, v);
  for (const kv of p.flags.get('env') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`do: --env ${kv}: expected KEY=VALUE`);
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const rootfs = flag(p, 'rootfs');
  if (rootfs !== undefined) {
    let st: fs.Stats;
    try {
      st = fs.statSync(rootfs);
    } catch {
      throw new UsageError(`do: --rootfs ${rootfs}: no such directory`);
    }
    if (!st.isDirectory()) throw new UsageError(`do: --rootfs ${rootfs}: not a directory`);
  }
  const overlayFlag = flag(p, 'overlay') ?? 'memory';
  const overlayFile = overlayFlag.startsWith('file:') ? overlayFlag.slice(5) : undefined;
  if (overlayFile !== undefined && !overlayFile.startsWith('/')) {
    throw new UsageError(`do: --overlay ${overlayFlag}: the file must be an absolute path`);
  }
  const overlay = overlayFile !== undefined ? 'memory' : overlayFlag;
  if (overlay !== 'memory' && overlay !== 'none') {
    throw new UsageError(`do: --overlay ${overlayFlag}: expected "memory", "none" or "file:/PATH"`);
  }
  const mounts = doMounts(p.flags);
  // The sandbox process catches only what it uses (a console's keys, set up later): node's
  // own SIGINT and SIGTERM handlers would make the waiting parent think it does, and it
  // would pass them to a pid namespace's init that ignores them.
  if (confined) defaultSignals((1 << (2 - 1)) | (1 << (15 - 1)));
  const network = flag(p, 'network') ?? 'none';
  if (network !== 'none' && network !== 'host') {
    throw new UsageError(`do: --network ${network}: expected "none" (loopback only) or "host" (the host's network)`);
  }
  if (!confined && !p.bools.has('unconfined')) return runConfined(argv, network === 'host');
  const logPath = flag(p, 'log');
  const logFd = logPath !== undefined ? fs.openSync(logPath, 'a') : 2;
  const format = flag(p, 'log-format') === 'json' ? 'json' : 'text';
  // A log file gets the operator's view (info: unsupported syscalls and the like);
  // stderr, shared with the app, only warnings unless --debug.
  // The sentry's modules load only in the sandbox process (the waiting parent starts faster).
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { runDo } = require('../sandbox/do') as typeof import('../sandbox/do');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { confineSandbox } = require('../sandbox/confine') as typeof import('../sandbox/confine');
  const log = new Logger(logFd, format, p.bools.has('debug') ? 'debug' : logPath !== undefined ? 'info' : 'warn');
  return runDo({
    rootDir: rootfs ?? '/',
    argv: p.rest,
    env: [...env].map(([k, v]) => `${k}=${v}`),
    cwd: flag(p, 'cwd') ?? (rootfs !== undefined ? '/' : process.cwd()),
    strace: p.bools.has('strace'),
    randomize: !p.bools.has('no-randomize'),
    log,
    pidsLimit: pidsLimit(flag(p, 'pids-limit')),
    mounts,
    overlay,
    overlayFile,
    rootReadonly: p.bools.has('read-only'),
    confine: confined ? confineSandbox : undefined,
    // Confined, the sandbox process's network namespace is the one --network chose; an
    // unconfined one is the caller's, which only --network host asks for.
    inet: confined || network === 'host',
  });
}

/**
 * Runs `tsvisor do` again as a sandbox process in fresh namespaces (see
 * sandbox/confine.ts), waits for it and ends as it did: its exit code, or its signal.
 * Its network namespace is a new one with only loopback, or with hostNetwork the host's.
 */
function runConfined(argv: string[], hostNetwork: boolean): number {
  let pid: number;
  try {
    pid = spawnConfined(process.execPath, selfArgv(['do', CONFINED_FLAG, ...argv]),
      selfEnv(), [0, 1, 2], { detach: false, dieWithParent: true, netns: hostNetwork ? 'inherit' : 'new' });
  } catch (e) {
    if (e instanceof ConfineError) throw new UsageError(`do: ${e.message} (--unconfined runs without them)`);
    throw e;
  }
  const status = waitConfined(pid, false);
  if (status < 0) throw new UsageError(`do: cannot wait for the sandbox process: errno ${-status}`);
  const sig = status & 0x7f;
  if (sig === 0) return (status >> 8) & 0xff;
  try {
    process.kill(process.pid, sig);
  } catch {
    // not a signal we can take on
  }
  return 128 + sig;
}

/** The default mounts plus --volume, --mount and --tmpfs, in that order (later ones on top). */
function doMounts(flags: Map<string, string[]>): MountSpec[] {
  const out: MountSpec[] = [...DEFAULT_MOUNTS];
  try {
    for (const v of flags.get('volume') ?? []) out.push(mountSpecFromVolume(v));
    for (const v of flags.get('mount') ?? []) out.push(mountSpecFromFlag(v));
  } catch (e) {
    if (e instanceof MountSpecError) throw new UsageError(`do: ${e.message}`);
    throw e;
  }
  for (const v of flags.get('tmpfs') ?? []) {
    // Docker's --tmpfs DEST[:OPT,OPT...]
    const colon = v.indexOf(':');
    const dest = colon < 0 ? v : v.slice(0, colon);
    const opts = colon < 0 ? [] : v.slice(colon + 1).split(',').filter((o) => o !== '');
    out.push({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...opts] });
  }
  return out;
}

function pidsLimit(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`do: --pids-limit ${v}: expected a positive integer`);
  return n;
}
