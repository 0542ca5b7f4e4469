// The tsvisor command line.
import { UsageError } from './args';
import { doCommand } from './do';

const VERSION = '0.1.0';

const USAGE = `tsvisor: a container sandbox with a userspace kernel written in TypeScript

Usage:
  tsvisor do [--rootfs DIR] [--strace] [--cwd DIR] [--env K=V]... -- CMD [ARG...]
  tsvisor --version
`;

function main(argv: string[]): number {
  const cmd = argv[0];
  switch (cmd) {
    case 'do':
      return doCommand(argv.slice(1));
    case '--version':
    case '-v':
    case 'version':
      process.stdout.write(`tsvisor version ${VERSION}\nspec: 1.2.0\n`);
      return 0;
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

let code: number;
try {
  code = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`tsvisor: ${e.message}\n`);
    code = 1;
  } else {
    process.stderr.write(`tsvisor: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = 1;
  }
}
process.exitCode = code;
