// From a checked config.json to what the sandbox boots: the first process's identity
// (credentials, capabilities, rlimits, umask), the mounts, and the file-system
// adjustments (masked and read-only paths) made once the tree exists.
import { CapSet, Credentials } from '../../auth/creds';
import type { Rlimits } from '../../kernel/threadgroup';
import type { RootFs } from '../../fs/root';
import { callerRlimits } from '../limits';
import { ConfigError, ContainerConfig, ProcessConfig } from './config';
import { CgroupError, Plan, planResources } from '../cgroup';

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

/**
 * linux.resources: checked into the host cgroup writes (errors name the field), plus the
 * pids limit the sentry also enforces on app tasks itself.
 */
export function resourceLimits(c: ContainerConfig, notes: string[]): { pids: number | null; plan: Plan | null } {
  const r = c.resources;
  if (r === null) return { pids: null, plan: null };
  let plan: Plan;
  try {
    plan = planResources(r);
  } catch (e) {
    if (e instanceof CgroupError) throw new ConfigError(e.message);
    throw e;
  }
  if (r.devices !== undefined) {
    notes.push('linux.resources.devices: the sandbox has only emulated devices; host device rules do not apply');
  }
  const lim = (r.pids as Record<string, unknown> | undefined)?.limit;
  return { pids: typeof lim === 'number' && lim > 0 ? lim : null, plan };
}

/** Masks and read-only paths (linux.maskedPaths, linux.readonlyPaths) of the built tree. */
export function applyPathRules(c: ContainerConfig, root: RootFs): void {
  for (const p of c.maskedPaths) root.maskPath(p);
  for (const p of c.readonlyPaths) root.readonlyPath(p);
}
