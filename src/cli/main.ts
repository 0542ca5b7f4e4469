// The tsvisor command line.
import { UsageError, parseArgs } from './args';
import { doCommand } from './do';
import { installCommand } from './install';
import {
  GLOBAL_FLAGS, Globals, OCI_VERSION, RuntimeError, deleteCommand, featuresCommand, globalsFrom, listCommand,
  specCommand, stateCommand,
} from './oci';
import { StateError } from './state';
import { bootCommand, createCommand, execCommand, killCommand, psCommand, runCommand, startCommand } from './lifecycle';

const VERSION = '0.1.0';

const USAGE = `tsvisor: a container sandbox with a userspace kernel written in TypeScript

Usage:
  tsvisor do [--rootfs DIR] [--strace] [--cwd DIR] [--env K=V]... -- CMD [ARG...]
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
                              [--additional-gids G]... [--cap CAP]... ID [CMD...]
  tsvisor features
  tsvisor install [--runtime NAME] [--docker] [--containerd] [--docker-config FILE] [--containerd-config FILE]
  tsvisor --version

Global flags: --root DIR (state, default /run/tsvisor), --log FILE, --log-format text|json,
  --debug, --systemd-cgroup (accepted), --overlay memory|none, --strace, --platform ptrace,
  --network none
`;

/** The parsed global flags, once known (for logging a failure). */
const current: { globals: Globals | null } = { globals: null };

const OCI_COMMANDS = ['spec', 'features', 'run', 'state', 'list', 'delete', 'create', 'start', 'kill', 'ps', 'boot', 'exec'];

function main(argv: string[]): number | Promise<number> {
  if (argv[0] === 'do') return doCommand(argv.slice(1));
  if (argv[0] === 'install') return installCommand(argv.slice(1));
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    process.stdout.write(`tsvisor version ${VERSION}\nspec: ${OCI_VERSION}\n`);
    return 0;
  }
  // runc's shape: global flags, then the command and its own flags.
  const p = parseArgs(argv, { ...GLOBAL_FLAGS, version: {} });
  if (p.bools.has('version')) return main(['--version']);
  const cmd = p.rest[0];
  const rest = p.rest.slice(1);
  if (cmd !== undefined && OCI_COMMANDS.includes(cmd)) {
    const g = globalsFrom(p);
    current.globals = g;
    switch (cmd) {
      case 'spec': return specCommand(rest);
      case 'features': return featuresCommand();
      case 'run': return runCommand(rest, g, p);
      case 'state': return stateCommand(rest, g);
      case 'list': return listCommand(rest, g);
      case 'create': return createCommand(rest, g, p);
      case 'start': return startCommand(rest, g);
      case 'kill': return killCommand(rest, g);
      case 'ps': return psCommand(rest, g);
      case 'boot': return bootCommand(rest, g);
      case 'exec': return execCommand(rest, g, p);
      default: return deleteCommand(rest, g);
    }
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

try {
  const r = main(process.argv.slice(2));
  if (typeof r === 'number') process.exitCode = r;
  else r.then((c) => { process.exitCode = c; }, (e) => { process.exitCode = fail(e); });
} catch (e) {
  process.exitCode = fail(e);
}
