// `tsvisor do`: run one command in a fresh sandbox, the way `gvisor do` / `runsc do`
// does: the host root (read-only, with an in-memory upper layer) or --rootfs, the
// caller's environment and working directory, stdio connected.
import * as fs from 'fs';
import { parseArgs, flag, UsageError } from './args';
import { runDo } from '../sandbox/do';
import { DEFAULT_MOUNTS } from '../fs/root';
import { MountSpec, MountSpecError, mountSpecFromFlag, mountSpecFromVolume } from '../fs/mountspec';
import { Logger } from '../util/log';

export function doCommand(argv: string[]): number {
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
  const logPath = flag(p, 'log');
  const logFd = logPath !== undefined ? fs.openSync(logPath, 'a') : 2;
  const format = flag(p, 'log-format') === 'json' ? 'json' : 'text';
  // A log file gets the operator's view (info: unsupported syscalls and the like);
  // stderr, shared with the app, only warnings unless --debug.
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
  });
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
