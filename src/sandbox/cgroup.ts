// linux.resources applied to the sandbox process's host cgroup: the sentry, its stubs
// and so every app thread live in it, so the host enforces memory and CPU limits on the
// whole sandbox. pids.limit is the sentry's to enforce on app tasks (Kernel.maxTasks);
// the host's pids.max is a backstop above it (hostPidsMax).
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

/**
 * One write: file, value, and whether a missing file is fine (a value that only lifts a
 * limit, e.g. swap "unlimited" on a host without swap accounting).
 */
export type Write = [file: string, value: string, optional?: boolean];

/** Writes per controller, v1 names and v2 names. */
export interface Plan {
  v1: Map<string, Write[]>;
  v2: Write[];
}

/** Host tasks of a sandbox besides its app threads: node's own threads and the template stub. */
const SANDBOX_HOST_TASKS = 64;

/**
 * The host cgroup's pids.max for an app pids limit of n. The sentry enforces n on app
 * tasks itself (Kernel.maxTasks); the host limit is only a backstop and must never bind
 * first: every app thread is a host thread of a stub process, every app process adds its
 * stub's thread 0, and the sandbox process has threads of its own.
 */
export function hostPidsMax(n: number): number {
  return 2 * n + SANDBOX_HOST_TASKS;
}

function num(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new CgroupError(`linux.resources.${field}: must be an integer`);
  return v;
}

/** A limit: > 0 a value, -1 unlimited (runc's convention), 0 or absent unchanged. */
function limitOf(v: unknown, field: string): number | null {
  const n = num(v, field);
  if (n !== null && n < -1) throw new CgroupError(`linux.resources.${field}: must be positive, or -1 for no limit`);
  return n === 0 ? null : n;
}

/** The writes linux.resources asks for; fields that cannot be applied are refused by name. */
export function planResources(r: Res): Plan {
  const plan: Plan = { v1: new Map(), v2: [] };
  const v1 = (ctrl: string, file: string, value: string, optional = false) => {
    const l = plan.v1.get(ctrl) ?? [];
    l.push([file, value, optional]);
    plan.v1.set(ctrl, l);
  };
  for (const [k, v] of Object.entries(r)) {
    if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v)) && k !== 'devices' && k !== 'hugepageLimits') {
      throw new CgroupError(`linux.resources.${k}: must be an object`);
    }
    const o = (v ?? {}) as Res;
    switch (k) {
      case 'devices':
        break; // the app's devices are the sentry's own; host device rules do not apply
      case 'memory': {
        for (const f of Object.keys(o)) {
          if (!['limit', 'reservation', 'swap', 'swappiness', 'disableOOMKiller', 'kernel', 'kernelTCP', 'useHierarchy',
            'checkBeforeUpdate'].includes(f)) throw new CgroupError(`linux.resources.memory.${f}: not supported by tsvisor`);
        }
        const limit = limitOf(o.limit, 'memory.limit');
        if (limit !== null) {
          v1('memory', 'memory.limit_in_bytes', String(limit));
          plan.v2.push(['memory.max', limit > 0 ? String(limit) : 'max']);
        }
        const res = limitOf(o.reservation, 'memory.reservation');
        if (res !== null) {
          v1('memory', 'memory.soft_limit_in_bytes', String(res));
          plan.v2.push(['memory.low', res > 0 ? String(res) : '0']);
        }
        const swap = limitOf(o.swap, 'memory.swap');
        if (swap !== null && swap > 0) {
          if (limit !== null && limit > 0 && swap < limit) {
            throw new CgroupError('linux.resources.memory.swap: must not be below memory.limit (it counts memory plus swap)');
          }
          v1('memory', 'memory.memsw.limit_in_bytes', String(swap));
          if (limit !== null && limit > 0) plan.v2.push(['memory.swap.max', String(swap - limit)]);
        } else if (swap === -1) {
          v1('memory', 'memory.memsw.limit_in_bytes', '-1', true);
          plan.v2.push(['memory.swap.max', 'max', true]);
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
        for (const f of ['cpus', 'mems']) {
          if (o[f] !== undefined && o[f] !== null && typeof o[f] !== 'string') {
            throw new CgroupError(`linux.resources.cpu.${f}: must be a string`);
          }
        }
        if (typeof o.cpus === 'string' && o.cpus !== '') {
          v1('cpuset', 'cpuset.cpus', o.cpus);
          plan.v2.push(['cpuset.cpus', o.cpus]);
        }
        if (typeof o.mems === 'string' && o.mems !== '') {
          v1('cpuset', 'cpuset.mems', o.mems);
          plan.v2.push(['cpuset.mems', o.mems]);
        }
        const burst = num(o.burst, 'cpu.burst');
        if (burst !== null) {
          v1('cpu', 'cpu.cfs_burst_us', String(burst));
          plan.v2.push(['cpu.max.burst', String(burst)]);
        }
        const idle = num(o.idle, 'cpu.idle');
        if (idle !== null) {
          v1('cpu', 'cpu.idle', String(idle));
          plan.v2.push(['cpu.idle', String(idle)]);
        }
        if ((o.realtimeRuntime ?? null) !== null || (o.realtimePeriod ?? null) !== null) {
          throw new CgroupError('linux.resources.cpu.realtimeRuntime: real-time scheduling is not offered');
        }
        break;
      }
      case 'pids': {
        for (const f of Object.keys(o)) if (f !== 'limit') throw new CgroupError(`linux.resources.pids.${f}: not supported by tsvisor`);
        const lim = limitOf(o.limit, 'pids.limit');
        if (lim !== null) {
          const host = lim > 0 ? String(hostPidsMax(lim)) : 'max';
          v1('pids', 'pids.max', host);
          plan.v2.push(['pids.max', host]);
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


function write(d: string, file: string, value: string): void {
  try {
    fs.writeFileSync(path.join(d, file), value);
  } catch (e) {
    throw new CgroupError(`cgroup ${path.join(d, file)}: cannot write ${value}: ${(e as Error).message}`);
  }
}

/**
 * Writes one controller's values into directory d. v1's memory+swap limit must never be
 * below the memory limit, so when the memory limit grows (or is lifted) the memsw limit
 * goes first, and last otherwise (as runc orders them).
 */
function writeAll(d: string, writes: Write[]): void {
  let order = writes;
  const lim = writes.find((w) => w[0] === 'memory.limit_in_bytes');
  const memsw = writes.find((w) => w[0] === 'memory.memsw.limit_in_bytes');
  if (lim !== undefined && memsw !== undefined) {
    let cur = Infinity;
    try {
      cur = Number(fs.readFileSync(path.join(d, 'memory.limit_in_bytes'), 'latin1').trim());
    } catch {
      // unreadable: keep the given order
    }
    const next = Number(lim[1]);
    if (next === -1 || next > cur) order = [memsw, ...writes.filter((w) => w !== memsw)];
  }
  for (const [f, v, optional] of order) {
    if (optional === true && !fs.existsSync(path.join(d, f))) continue;
    write(d, f, v);
  }
}

const isV2 = () => fs.existsSync(path.join(ROOT, 'cgroup.controllers'));

/**
 * Makes the cgroup, writes the limits and moves pid into it. Returns the directories
 * made (for removal at delete).
 */
export function applyCgroup(dir: string, plan: Plan, pid: number): string[] {
  const made: string[] = [];
  if (isV2()) {
    const d = path.join(ROOT, dir);
    fs.mkdirSync(d, { recursive: true });
    made.push(d);
    writeAll(d, plan.v2);
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
      // A new cpuset starts empty, and so does every level mkdir made above it: fill
      // each from its parent, top down, before anything joins or narrows it.
      const levels: string[] = [];
      for (let x = d; x !== path.join(ROOT, ctrl) && x.startsWith(path.join(ROOT, ctrl)); x = path.dirname(x)) levels.unshift(x);
      for (const level of levels) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          const cur = fs.readFileSync(path.join(level, f), 'latin1').trim();
          if (cur === '') write(level, f, fs.readFileSync(path.join(path.dirname(level), f), 'latin1').trim());
        }
      }
    }
    writeAll(d, plan.v1.get(ctrl) ?? []);
    try {
      fs.writeFileSync(path.join(d, 'cgroup.procs'), String(pid));
    } catch (e) {
      if (plan.v1.has(ctrl)) throw new CgroupError(`cgroup ${d}: cannot join: ${(e as Error).message}`);
    }
  }
  return made;
}

/** The controller a v1 directory made by applyCgroup belongs to ("" for v2's one tree). */
export function controllerOf(dir: string): string {
  if (isV2()) return '';
  const rel = path.relative(ROOT, dir);
  return rel.split('/')[0];
}

/**
 * Writes new limits into a container's existing cgroup (`tsvisor update`): dirs are
 * the directories applyCgroup made. Nothing moves; a v1 controller the container has no
 * directory for is refused by name.
 */
export function updateCgroup(dirs: string[], plan: Plan): void {
  if (isV2()) {
    if (plan.v2.length === 0) return;
    if (dirs.length === 0) throw new CgroupError('linux.resources: the container has no cgroup');
    writeAll(dirs[0], plan.v2);
    return;
  }
  for (const [ctrl, writes] of plan.v1) {
    const d = dirs.find((x) => controllerOf(x) === ctrl);
    if (d === undefined) throw new CgroupError(`linux.resources: the container has no ${ctrl} cgroup`);
    writeAll(d, writes);
  }
}

/** Something to Atomics.wait on: a synchronous sleep. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Removes the cgroup directories made. A directory is busy until the last of its tasks
 * has exited, and a sandbox just killed (delete --force) takes a moment to end, its
 * stubs a moment more: so a busy one is retried for up to waitMs, then left.
 */
export function removeCgroup(dirs: string[], waitMs = 0): void {
  const deadline = Date.now() + waitMs;
  for (const d of dirs) {
    for (;;) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() >= deadline) break; // gone, or give up
        Atomics.wait(sleepCell, 0, 0, 10);
      }
    }
  }
}
