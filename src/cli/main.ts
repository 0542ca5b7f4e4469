// The tsvisor command line.
import { RuntimeError, UsageError, parseArgs } from './args';
import { StateError } from './state';
import type { Globals } from './oci';
import { restoreSelfEnv } from './self';

const VERSION = '0.1.0';

const USAGE = `tsvisor: a container sandbox with a userspace kernel written in TypeScript

Usage:
  tsvisor do [--rootfs DIR] [--network none|host] [--strace] [--cwd DIR] [--env K=V]... -- CMD [ARG...]
  tsvisor [global flags] spec [--bundle DIR]
  tsvisor [global flags] run [--bundle DIR] [--pid-file FILE] [--keep] [--detach [--console-socket SOCK]]
                             [--preserve-fds N] ID
  tsvisor [global flags] state ID
  tsvisor [global flags] list [--quiet] [--format table|json]
  tsvisor [global flags] delete [--force] ID
  tsvisor [global flags] create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--preserve-fds N] ID
  tsvisor [global flags] start ID
  tsvisor [global flags] kill [--all] ID [SIGNAL]
  tsvisor [global flags] ps [--format table|json] ID
  tsvisor [global flags] exec [--process FILE] [--detach] [--pid-file FILE] [--tty] [--console-socket SOCK]
                              [--preserve-fds N] [--cwd DIR] [--env K=V]... [--user UID[:GID]]
                              [--additional-gids G]... [--cap CAP]... [--ignore-paused] ID [CMD...]
  tsvisor [global flags] pause ID
  tsvisor [global flags] resume ID
  tsvisor [global flags] update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N]
                                [--cpu-share N] [--cpu-quota N] [--cpu-period N] [--cpu-burst N] [--cpuset-cpus S]
                                [--cpuset-mems S] [--pids-limit N] [--blkio-weight N] ID
  tsvisor [global flags] events [--stats] [--interval DURATION] ID
  tsvisor features
  tsvisor install [--runtime NAME] [--docker] [--containerd] [--docker-config FILE] [--containerd-config FILE]
  tsvisor --version

Global flags: --root DIR (state, default /run/tsvisor), --log FILE, --log-format text|json,
  --debug, --systemd-cgroup (accepted), --overlay memory|none, --strace, --platform ptrace,
  --network sandbox|none (sandbox: the network namespace config.json asks for; none: loopback only)
`;

/** The parsed global flags, once known (for logging a failure). */
const current: { globals: Globals | null } = { globals: null };

const OCI_COMMANDS = ['spec', 'features', 'run', 'state', 'list', 'delete', 'create', 'start', 'kill', 'ps', 'boot', 'exec',
  'pause', 'resume', 'update', 'events'];

function main(argv: string[]): number | Promise<number> {
  // Loaded on demand: a command pays only for the modules it uses.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (argv[0] === 'do') return (require('./do') as typeof import('./do')).doCommand(argv.slice(1));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (argv[0] === 'install') return (require('./install') as typeof import('./install')).installCommand(argv.slice(1));
  /* eslint-disable @typescript-eslint/no-var-requires */
  const oci = require('./oci') as typeof import('./oci');
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    process.stdout.write(`tsvisor version ${VERSION}\nspec: ${oci.OCI_VERSION}\n`);
    return 0;
  }
  // runc's shape: global flags, then the command and its own flags.
  const p = parseArgs(argv, { ...oci.GLOBAL_FLAGS, version: {} });
  if (p.bools.has('version')) return main(['--version']);
  const cmd = p.rest[0];
  const rest = p.rest.slice(1);
  if (cmd !== undefined && OCI_COMMANDS.includes(cmd)) {
    const g = oci.globalsFrom(p);
    current.globals = g;
    const lc = require('./lifecycle') as typeof import('./lifecycle');
    switch (cmd) {
      case 'spec': return oci.specCommand(rest);
      case 'features': return oci.featuresCommand();
      case 'run': return lc.runCommand(rest, g, p);
      case 'state': return oci.stateCommand(rest, g);
      case 'list': return oci.listCommand(rest, g);
      case 'create': return lc.createCommand(rest, g, p);
      case 'start': return lc.startCommand(rest, g);
      case 'kill': return lc.killCommand(rest, g);
      case 'ps': return lc.psCommand(rest, g);
      case 'boot': return lc.bootCommand(rest, g);
      case 'exec': return (require('./exec') as typeof import('./exec')).execCommand(rest, g, p);
      case 'pause': return (require('./pause') as typeof import('./pause')).pauseCommand(rest, g);
      case 'resume': return (require('./pause') as typeof import('./pause')).resumeCommand(rest, g);
      case 'update': return (require('./update') as typeof import('./update')).updateCommand(rest, g);
      case 'events': return (require('./events') as typeof import('./events')).eventsCommand(rest, g);
      default: return oci.deleteCommand(rest, g);
    }
    /* eslint-enable @typescript-eslint/no-var-requires */
  }
  switch (cmd) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return cmd === undefined ? 1 : 0;
    default:
      process.stderr.write(`tsvisor: unknown command "${cmd}"\n${USAGE}`);
      return 1;
  }
}

function fail(e: unknown): number {
  if (e instanceof UsageError || e instanceof RuntimeError || e instanceof StateError) {
    // runc's shape: one line on stderr, the same as an error record in the log.
    process.stderr.write(`tsvisor: ${e.message}\n`);
    if (current.globals !== null && !current.globals.log.toStderr) current.globals.log.error(e.message);
    return 1;
  }
  process.stderr.write(`tsvisor: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}

restoreSelfEnv();
try {
  const r = main(process.argv.slice(2));
  if (typeof r === 'number') process.exitCode = r;
  else r.then((c) => { process.exitCode = c; }, (e) => { process.exitCode = fail(e); });
} catch (e) {
  process.exitCode = fail(e);
}
