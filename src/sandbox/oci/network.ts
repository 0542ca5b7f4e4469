// A container's network: which network namespace its sandbox process is started in,
// and the config's network sysctls, written into that namespace from the host side.
//
// The sandbox serves the app's inet sockets with host sockets made in the sandbox
// process's own network namespace (src/net/host), so choosing that namespace is choosing
// the container's network, as runc's choice of the container's namespace is:
//  - linux.namespaces has a network entry with a path (a pod's, made by CNI or the
//    caller): the sandbox process is started inside it;
//  - a network entry without a path: a new namespace, loopback only (a Docker-style
//    caller then wires it up from its hooks, through the pid in the state);
//  - no network entry: the caller's (the host's) network, as runc shares it;
//  - `--network none` overrides all three with a new, loopback-only namespace.
import * as fs from 'fs';
import * as path from 'path';
import { NetnsChoice, inNetns } from '../../platform/confine';
import type { ContainerConfig } from './config';

export class NetworkError extends Error {}

/** The network namespace for c's sandbox process. */
export function netnsFor(c: ContainerConfig, mode: 'sandbox' | 'none'): NetnsChoice {
  if (mode === 'none') return 'new';
  const p = c.namespaces.get('network');
  if (p === undefined) return 'inherit';
  if (p === '') return 'new';
  // A path to this command's own namespace (/proc/self/ns/net, /proc/1/ns/net, ...) is
  // the host's network, whatever its name: treated as "no network entry", so nothing is
  // written there.
  const id = nsIdentity(p);
  if (id !== null && id === nsIdentity('/proc/thread-self/ns/net')) return 'inherit';
  return { path: p };
}

/** A namespace file's identity (nsfs device and inode), or null if it cannot be read. */
function nsIdentity(p: string): string | null {
  try {
    const st = fs.statSync(p);
    return `${st.dev}-${st.ino}`;
  } catch {
    return null;
  }
}

/** The config's net.* sysctls, checked against the namespace they would land in. */
export function netSysctls(c: ContainerConfig, netns: NetnsChoice): [string, string][] {
  const out = Object.entries(c.sysctl).filter(([k]) => k.startsWith('net.'));
  if (out.length > 0 && netns === 'inherit') {
    // runc refuses these too: they would change the host's own network settings.
    throw new NetworkError(`config.json: linux.sysctl.${out[0][0]}: not allowed when the container shares the ` +
      'host\'s network namespace');
  }
  return out;
}

const PORT_START = 'net.ipv4.ip_unprivileged_port_start';
const PORT_START_FILE = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
/** Under the state root; ':' cannot be in a container id, so no container owns this name. */
const RECORDS = 'netns:port-start';

/**
 * The lowest port an app without CAP_NET_BIND_SERVICE may bind, which the sentry
 * enforces: the config's net.ipv4.ip_unprivileged_port_start, or the namespace's own
 * (Linux's default, 1024, in a new one). null for the host's namespace: the sandbox
 * process reads it there itself.
 *
 * In a joined namespace applyNetSysctls sets the namespace's own value to 0 (the sandbox
 * process holds no capability there), so the value it had before is recorded under
 * stateRoot, keyed by the namespace's identity, before the first write: the pod's next
 * container must still find the real one, whatever name it reaches the namespace by.
 */
export function appPortStart(c: ContainerConfig, netns: NetnsChoice, stateRoot: string): number | null {
  const v = c.sysctl[PORT_START];
  let fromConfig: number | null = null;
  if (v !== undefined) {
    if (!/^\s*\d+\s*$/.test(v) || Number(v) > 65536) {
      throw new NetworkError(`config.json: linux.sysctl.${PORT_START}: "${v}" is not a port number`);
    }
    fromConfig = Number(v);
  }
  if (netns === 'inherit') return fromConfig;
  if (netns === 'new') return fromConfig ?? 1024;
  const own = recordedPortStart(netns.path, stateRoot);
  return fromConfig ?? own;
}

/** The joined namespace's own port start: recorded, or read now and recorded. */
function recordedPortStart(nsPath: string, stateRoot: string): number {
  const id = nsIdentity(nsPath);
  if (id === null) throw new NetworkError(`linux.namespaces: the network namespace ${nsPath} cannot be read`);
  const dir = path.join(stateRoot, RECORDS);
  const record = path.join(dir, id);
  try {
    const [value, recordedFor] = fs.readFileSync(record, 'utf8').split('\n');
    // nsfs inode numbers are reused once a namespace is gone: the record counts only
    // while the path it was made through still names the same namespace.
    if (nsIdentity(recordedFor) === id) return Number.parseInt(value, 10);
  } catch {
    // not recorded yet
  }
  let n: number;
  try {
    n = inNetns(nsPath, () => Number.parseInt(fs.readFileSync(PORT_START_FILE, 'latin1'), 10));
  } catch (e) {
    throw new NetworkError(`cannot read ${PORT_START} of the network namespace ${nsPath}: ${(e as Error).message}`);
  }
  pruneRecords(dir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${record}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${n}\n${nsPath}`);
  fs.renameSync(tmp, record);
  return n;
}

/** Drops the records of namespaces that are gone (their pods ended). */
function pruneRecords(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // none yet
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const recordedFor = fs.readFileSync(file, 'utf8').split('\n')[1] ?? '';
      if (nsIdentity(recordedFor) !== name) fs.rmSync(file, { force: true });
    } catch {
      fs.rmSync(file, { force: true });
    }
  }
}

/**
 * Writes the config's net.* sysctls in the network namespace of the sandbox process
 * (pid, waiting to run); a key is dot- or slash-separated names, written to
 * /proc/sys/KEY. In a namespace it joined, the sandbox process holds no capability, so
 * ip_unprivileged_port_start is set to 0 there, as Docker sets it for its containers:
 * the sandbox process can then bind what an app asks, and the sentry keeps the real
 * limit (appPortStart, recorded before this runs) for apps without CAP_NET_BIND_SERVICE.
 * Never called for the host's namespace (netnsFor and netSysctls see to that).
 */
export function applyNetSysctls(pid: number, sysctls: [string, string][], netns: NetnsChoice): void {
  if (netns === 'inherit') return;
  const all: [string, string][] = [...sysctls];
  if (typeof netns === 'object') all.push([PORT_START, '0']);
  if (all.length === 0) return;
  inNetns(`/proc/${pid}/ns/net`, () => {
    for (const [k, v] of all) {
      const file = `/proc/sys/${k.replace(/\./g, '/')}`;
      try {
        fs.writeFileSync(file, v);
      } catch (e) {
        throw new NetworkError(`config.json: linux.sysctl.${k}: cannot set it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  });
}
