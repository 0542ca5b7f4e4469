// How tsvisor starts itself again (the sandbox process, a waiting exec): the same script
// this process was started with (bin/tsvisor, which picks the bundle), by the same node,
// in the same environment but for one variable node acts on at start-up.
import * as path from 'path';

const script = path.resolve(process.argv[1] ?? path.join(__dirname, 'main.js'));

/** node's argv for running `tsvisor ARGS...` again. */
export function selfArgv(args: string[]): string[] {
  return [process.execPath, ...process.execArgv, script, ...args];
}

// node reads and parses every certificate of NODE_EXTRA_CA_CERTS while it starts (about
// 30 ms here), though tsvisor makes no TLS connection. A node started by tsvisor gets the
// value under this name instead, and puts it back first thing (restoreSelfEnv), so the
// container's process, hooks and the like see the caller's environment unchanged.
const CA_VAR = 'NODE_EXTRA_CA_CERTS';
const CA_CARRIED = 'TSVISOR_CARRIED_NODE_EXTRA_CA_CERTS';

/** This process's environment (plus extra) for a node that runs tsvisor again. */
export function selfEnvRecord(extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...extra })) {
    if (v === undefined || k === CA_CARRIED) continue;
    out[k === CA_VAR ? CA_CARRIED : k] = v;
  }
  return out;
}

/** The same as KEY=VALUE strings. */
export function selfEnv(extra: Record<string, string> = {}): string[] {
  return Object.entries(selfEnvRecord(extra)).map(([k, v]) => `${k}=${v}`);
}

/** Undoes selfEnv's renaming in a node that tsvisor started. */
export function restoreSelfEnv(): void {
  const v = process.env[CA_CARRIED];
  if (v === undefined) return;
  process.env[CA_VAR] = v;
  delete process.env[CA_CARRIED];
}
