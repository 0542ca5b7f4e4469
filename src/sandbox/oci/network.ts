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
import { NetnsChoice, inNetnsOf } from '../../platform/confine';
import type { ContainerConfig } from './config';

export class NetworkError extends Error {}

/** The network namespace for c's sandbox process. */
export function netnsFor(c: ContainerConfig, mode: 'sandbox' | 'none'): NetnsChoice {
  if (mode === 'none') return 'new';
  const path = c.namespaces.get('network');
  if (path === undefined) return 'inherit';
  return path === '' ? 'new' : { path };
}

/** The config's net.* sysctls, checked against the namespace they would land in. */
export function netSysctls(c: ContainerConfig, netns: NetnsChoice): [string, string][] {
  const out = Object.entries(c.sysctl).filter(([k]) => k.startsWith('net.'));
  if (out.length > 0 && netns === 'inherit') {
    // runc refuses these too: they would change the host's own network settings.
    throw new NetworkError(`config.json: linux.sysctl.${out[0][0]}: not allowed when the container shares the ` +
      'host\'s network namespace (linux.namespaces has no network entry)');
  }
  return out;
}

/**
 * Writes sysctls in the network namespace of process pid (the sandbox process, waiting
 * to run). A key is dot- or slash-separated names; it is written to /proc/sys/KEY.
 */
export function applyNetSysctls(pid: number, sysctls: [string, string][]): void {
  if (sysctls.length === 0) return;
  inNetnsOf(pid, () => {
    for (const [k, v] of sysctls) {
      const file = `/proc/sys/${k.replace(/\./g, '/')}`;
      try {
        fs.writeFileSync(file, v);
      } catch (e) {
        throw new NetworkError(`config.json: linux.sysctl.${k}: cannot set it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  });
}
