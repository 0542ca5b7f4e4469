// linux.resources applied to the sandbox process's host cgroup: the sentry, its stubs
// and so every app thread live in it, so the host enforces memory, CPU and pid limits on
// the whole sandbox (the sentry also enforces pids.limit on app tasks itself).
//
// cgroupsPath is the cgroupfs form ("/a/b") — systemd's "slice:prefix:name" form is
// turned into the path systemd would use. Both cgroup v2 (one unified hierarchy) and v1
// (one hierarchy per controller) are handled; controllers the host lacks are skipped
// unless the config asks them for a limit.
import * as fs from 'fs';
import * as path from 'path';

export class CgroupError extends Error {}

const ROOT = '/sys/fs/cgroup';

type Res = Record<string, unknown>;

/** (file, value) writes per controller, v1 names and v2 names. */
export interface Plan {
  v1: Map<string, [string, string][]>;
  v2: [string, string][];
}

function num(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new CgroupError(`linux.resources.${field}: must be an integer`);
  return v;
}

/** The writes linux.resources asks for; fields that cannot be applied are refused by name. */
export function planResources(r: Res): Plan {
  const plan: Plan = { v1: new Map(), v2: [] };
  const v1 = (ctrl: string, file: string, value: string) => {
    const l = plan.v1.get(ctrl) ?? [];
    l.push([file, value]);
    plan.v1.set(ctrl, l);
  };
  for (const [k, v] of Object.entries(r)) {
    const o = (v ?? {}) as Res;
    switch (k) {
      case 'devices':
        break; // the app's devices are the sentry's own; host device rules do not apply
      case 'memory': {
        for (const f of Object.keys(o)) {
          if (!['limit', 'reservation', 'swap', 'swappiness', 'disableOOMKiller', 'kernel', 'kernelTCP', 'useHierarchy',
            'checkBeforeUpdate'].includes(f)) throw new CgroupError(`linux.resources.memory.${f}: not supported by tsvisor`);
        }
        const limit = num(o.limit, 'memory.limit');
        if (limit !== null && limit > 0) {
          v1('memory', 'memory.limit_in_bytes', String(limit));
          plan.v2.push(['memory.max', String(limit)]);
        }
        const res = num(o.reservation, 'memory.reservation');
        if (res !== null && res > 0) {
          v1('memory', 'memory.soft_limit_in_bytes', String(res));
          plan.v2.push(['memory.low', String(res)]);
        }
        const swap = num(o.swap, 'memory.swap');
        if (swap !== null && swap > 0) {
          v1('memory', 'memory.memsw.limit_in_bytes', String(swap));
          if (limit !== null && swap >= limit) plan.v2.push(['memory.swap.max', String(swap - limit)]);
        }
        break;
      }
      case 'cpu': {
        for (const f of Object.keys(o)) {
          if (!['shares', 'quota', 'period', 'cpus', 'mems', 'burst', 'realtimeRuntime', 'realtimePeriod', 'idle'].includes(f)) {
            throw new CgroupError(`linux.resources.cpu.${f}: not supported by tsvisor`);
          }
        }
        const shares = num(o.shares, 'cpu.shares');
        if (shares !== null && shares > 0) {
          v1('cpu', 'cpu.shares', String(shares));
          // The conversion runc uses from shares (2..262144) to weight (1..10000).
          const w = Math.round(1 + ((Math.min(Math.max(shares, 2), 262144) - 2) * 9999) / 262142);
          plan.v2.push(['cpu.weight', String(w)]);
        }
        const period = num(o.period, 'cpu.period');
        const quota = num(o.quota, 'cpu.quota');
        if (period !== null && period > 0) v1('cpu', 'cpu.cfs_period_us', String(period));
        if (quota !== null && quota !== 0) {
          v1('cpu', 'cpu.cfs_quota_us', String(quota));
          plan.v2.push(['cpu.max', `${quota > 0 ? quota : 'max'} ${period ?? 100000}`]);
        }
        if (typeof o.cpus === 'string' && o.cpus !== '') {
          v1('cpuset', 'cpuset.cpus', o.cpus);
          plan.v2.push(['cpuset.cpus', o.cpus]);
        }
        if (typeof o.mems === 'string' && o.mems !== '') {
          v1('cpuset', 'cpuset.mems', o.mems);
          plan.v2.push(['cpuset.mems', o.mems]);
        }
        if (o.realtimeRuntime !== undefined || o.realtimePeriod !== undefined) {
          throw new CgroupError('linux.resources.cpu.realtimeRuntime: real-time scheduling is not offered');
        }
        break;
      }
      case 'pids': {
        const lim = num(o.limit, 'pids.limit');
        if (lim !== null && lim > 0) {
          v1('pids', 'pids.max', String(lim));
          plan.v2.push(['pids.max', String(lim)]);
        }
        break;
      }
      case 'blockIO': {
        const w = num(o.weight, 'blockIO.weight');
        for (const f of Object.keys(o)) {
          if (f !== 'weight' && f !== 'leafWeight') throw new CgroupError(`linux.resources.blockIO.${f}: not supported by tsvisor`);
        }
        if (w !== null && w > 0) {
          v1('blkio', 'blkio.weight', String(w));
          plan.v2.push(['io.weight', `default ${w}`]);
        }
        break;
      }
      case 'hugepageLimits':
        if (Array.isArray(v) && v.length > 0) throw new CgroupError('linux.resources.hugepageLimits: huge pages are not offered');
        break;
      case 'unified':
        for (const [f, val] of Object.entries(o)) plan.v2.push([f, String(val)]);
        break;
      default:
        throw new CgroupError(`linux.resources.${k}: not supported by tsvisor`);
    }
  }
  return plan;
}

/** "system.slice:docker:abc" -> "/system.slice/docker-abc.scope"; a cgroupfs path as it is. */
export function cgroupDir(cgroupsPath: string | null, id: string): string {
  if (cgroupsPath === null || cgroupsPath === '') return `/tsvisor/${id}`;
  const parts = cgroupsPath.split(':');
  if (parts.length === 3 && !cgroupsPath.startsWith('/')) {
    const slice = parts[0] === '' ? 'system.slice' : parts[0];
    let dir = '';
    // Nested slices: "a-b.slice" lives in "a.slice/a-b.slice".
    const names = slice.replace(/\.slice$/, '').split('-');
    for (let i = 1; i <= names.length; i++) dir += `/${names.slice(0, i).join('-')}.slice`;
    return `${dir}/${parts[1]}-${parts[2]}.scope`;
  }
  if (!cgroupsPath.startsWith('/')) throw new CgroupError(`linux.cgroupsPath: "${cgroupsPath}" is not a path`);
  return path.posix.normalize(cgroupsPath);
}

const isV2 = () => fs.existsSync(path.join(ROOT, 'cgroup.controllers'));

/**
 * Makes the cgroup, writes the limits and moves pid into it. Returns the directories
 * made (for removal at delete).
 */
export function applyCgroup(dir: string, plan: Plan, pid: number): string[] {
  const made: string[] = [];
  const write = (d: string, file: string, value: string) => {
    try {
      fs.writeFileSync(path.join(d, file), value);
    } catch (e) {
      throw new CgroupError(`cgroup ${path.join(d, file)}: cannot write ${value}: ${(e as Error).message}`);
    }
  };
  if (isV2()) {
    const d = path.join(ROOT, dir);
    fs.mkdirSync(d, { recursive: true });
    made.push(d);
    for (const [f, v] of plan.v2) write(d, f, v);
    write(d, 'cgroup.procs', String(pid));
    return made;
  }
  let hierarchies: string[];
  try {
    hierarchies = fs.readdirSync(ROOT).filter((c) => c !== 'unified' && c !== 'systemd' && !c.includes(','));
  } catch {
    hierarchies = [];
  }
  for (const ctrl of plan.v1.keys()) {
    if (!hierarchies.includes(ctrl)) throw new CgroupError(`linux.resources: the host has no ${ctrl} cgroup controller`);
  }
  for (const ctrl of hierarchies) {
    const d = path.join(ROOT, ctrl, dir);
    try {
      fs.mkdirSync(d, { recursive: true });
    } catch {
      continue; // a hierarchy we may not use (read-only): only the asked-for ones matter
    }
    made.push(d);
    if (ctrl === 'cpuset') {
      // A new cpuset starts empty: inherit the parent's before anything joins.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        const cur = fs.readFileSync(path.join(d, f), 'latin1').trim();
        if (cur === '') write(d, f, fs.readFileSync(path.join(path.dirname(d), f), 'latin1').trim());
      }
    }
    for (const [f, v] of plan.v1.get(ctrl) ?? []) write(d, f, v);
    try {
      fs.writeFileSync(path.join(d, 'cgroup.procs'), String(pid));
    } catch (e) {
      if (plan.v1.has(ctrl)) throw new CgroupError(`cgroup ${d}: cannot join: ${(e as Error).message}`);
    }
  }
  return made;
}

/** Removes the cgroup directories made (deepest first); a busy one is left. */
export function removeCgroup(dirs: string[]): void {
  for (const d of dirs) {
    try {
      fs.rmdirSync(d);
    } catch {
      // still in use or gone
    }
  }
}
