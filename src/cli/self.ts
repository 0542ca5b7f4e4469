// How tsvisor starts itself again (the sandbox process, a waiting exec): the same script
// this process was started with (bin/tsvisor, which picks the bundle), by the same node.
import * as path from 'path';

const script = path.resolve(process.argv[1] ?? path.join(__dirname, 'main.js'));

/** node's argv for running `tsvisor ARGS...` again. */
export function selfArgv(args: string[]): string[] {
  return [process.execPath, ...process.execArgv, script, ...args];
}
