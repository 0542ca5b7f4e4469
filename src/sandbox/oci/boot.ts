// From a checked config.json to what the sandbox boots: the first process's identity
// (credentials, capabilities, rlimits, umask), the mounts, and the file-system
// adjustments (masked and read-only paths) made once the tree exists.
import { CapSet, Credentials } from '../../auth/creds';
import type { Rlimits } from '../../kernel/threadgroup';
import type { RootFs } from '../../fs/root';
import { callerRlimits } from '../limits';
import { ConfigError, ContainerConfig, ProcessConfig } from './config';

/** The credentials of the container's first process (OCI's process.user and capabilities). */
export function processCreds(p: ProcessConfig): Credentials {
  const c = Credentials.forUser(p.uid, p.gid, p.additionalGids);
  if (p.caps !== null) {
    c.bounding = p.caps.bounding;
    c.effective = p.caps.effective;
    c.permitted = p.caps.permitted;
    c.inheritable = p.caps.inheritable;
    // Linux keeps ambient within permitted and inheritable (PR_CAP_AMBIENT_RAISE fails
    // otherwise, and runc goes on without it): the same invariant here.
    c.ambient = new CapSet((p.caps.ambient.lo & p.caps.permitted.lo & p.caps.inheritable.lo) >>> 0,
      (p.caps.ambient.hi & p.caps.permitted.hi & p.caps.inheritable.hi) >>> 0);
  }
  c.noNewPrivs = p.noNewPrivileges;
  return c;
}

/** The caller's limits with the config's on top (as runc: unlisted limits are inherited). */
export function processRlimits(p: ProcessConfig): Rlimits {
  const rl = callerRlimits();
  for (const r of p.rlimits) rl.set(r.resource, r.soft, r.hard);
  return rl;
}

/** linux.resources: what the sentry applies itself; anything else is refused by name. */
export function resourceLimits(c: ContainerConfig, notes: string[]): { pids: number | null } {
  const out = { pids: null as number | null };
  const r = c.resources;
  if (r === null) return out;
  for (const [k, v] of Object.entries(r)) {
    if (k === 'devices') {
      // Device cgroup rules are about host device nodes; the app opens none (its devices
      // are the sentry's own), so there is nothing to allow or deny.
      if (!Array.isArray(v)) throw new ConfigError('linux.resources.devices: must be an array');
      notes.push('linux.resources.devices: the sandbox has only emulated devices; host device rules do not apply');
    } else if (k === 'pids') {
      const lim = (v as Record<string, unknown> | null)?.limit;
      if (typeof lim !== 'number' || !Number.isInteger(lim)) throw new ConfigError('linux.resources.pids.limit: must be an integer');
      if (lim > 0) out.pids = lim;
    } else {
      throw new ConfigError(`linux.resources.${k}: not applied by tsvisor yet`);
    }
  }
  return out;
}

/** Masks and read-only paths (linux.maskedPaths, linux.readonlyPaths) of the built tree. */
export function applyPathRules(c: ContainerConfig, root: RootFs): void {
  for (const p of c.maskedPaths) root.maskPath(p);
  for (const p of c.readonlyPaths) root.readonlyPath(p);
}
