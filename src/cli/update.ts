// `tsvisor update`: new linux.resources for a running container, as runc takes them
// (containerd's shim pipes a LinuxResources object into `update --resources -`; people
// use the flags). The values are merged into the container's recorded resources, the
// merged whole is written to the sandbox process's host cgroup (so values that depend on
// each other, like v2's swap beside the memory limit, come out right), and pids.limit
// also goes to the sentry, which enforces it on app tasks itself.
import * as fs from 'fs';
import { Parsed, UsageError, flag, parseArgs } from './args';
import { Globals, RuntimeError, cgroupDirs, currentState } from './oci';
import { StateDir } from './state';
import { request } from './control';
import { CgroupError, Plan, planResources, updateCgroup } from '../sandbox/cgroup';

type Res = Record<string, unknown>;

const isObject = (v: unknown): v is Res => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * old with delta's values over it, field by field within memory/cpu/blockIO/pids (a
 * field delta leaves out, or gives as null, 0 where 0 means "unchanged", or "" for a cpu
 * list, keeps its old value, as runc merges); unified is replaced when given.
 */
export function mergeResources(old: Res, delta: Res): Res {
  const out: Res = { ...old };
  for (const [k, v] of Object.entries(delta)) {
    if (v === null || v === undefined) continue;
    if (k === 'unified' || k === 'devices' || k === 'hugepageLimits' || !isObject(v)) {
      if (k !== 'devices') out[k] = v; // runc's update leaves device rules alone
      continue;
    }
    const merged: Res = isObject(out[k]) ? { ...(out[k] as Res) } : {};
    for (const [f, fv] of Object.entries(v)) {
      if (fv === null || fv === undefined || fv === '') continue;
      if (fv === 0 && (k === 'pids' || ['limit', 'reservation', 'swap', 'quota', 'period', 'shares'].includes(f))) continue;
      merged[f] = fv;
    }
    out[k] = merged;
  }
  return out;
}

/** docker/go-units' RAMInBytes: "512", "64k", "1.5g", "10MiB" (binary multiples). */
export function ramInBytes(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(s);
  if (m === null) return null;
  const shift = m[2] === undefined ? 0 : 'kmgtp'.indexOf(m[2].toLowerCase()) + 1;
  return Math.floor(Number(m[1]) * 1024 ** shift);
}

/** The LinuxResources the command line asks for (runc's flags). */
function resourcesFromFlags(p: Parsed, g: Globals): Res {
  const memory: Res = {}, cpu: Res = {}, blockIO: Res = {}, pids: Res = {};
  const integer = (name: string, unsigned: boolean): number | undefined => {
    const v = flag(p, name);
    if (v === undefined || v === '') return undefined;
    if (!(unsigned ? /^\d+$/ : /^-?\d+$/).test(v)) throw new UsageError(`invalid value for ${name}: ${v}`);
    return Number(v);
  };
  const weight = integer('blkio-weight', true);
  if (weight !== undefined && weight !== 0) blockIO.weight = weight;
  for (const [name, field] of [['cpuset-cpus', 'cpus'], ['cpuset-mems', 'mems']]) {
    const v = flag(p, name);
    if (v !== undefined && v !== '') cpu[field] = v;
  }
  for (const [name, field, unsigned] of [['cpu-period', 'period', true], ['cpu-quota', 'quota', false],
    ['cpu-share', 'shares', true], ['cpu-burst', 'burst', true], ['cpu-rt-period', 'realtimePeriod', true],
    ['cpu-rt-runtime', 'realtimeRuntime', false], ['cpu-idle', 'idle', false]] as const) {
    const v = integer(name, unsigned);
    if (v !== undefined) cpu[field] = v;
  }
  for (const [name, field] of [['memory', 'limit'], ['memory-swap', 'swap'], ['memory-reservation', 'reservation']]) {
    const v = flag(p, name);
    if (v === undefined || v === '') continue;
    const n = v === '-1' ? -1 : ramInBytes(v);
    if (n === null) throw new UsageError(`invalid value for ${name}: ${v}`);
    memory[field] = n;
  }
  // runc: a memory limit lifted without a word about swap lifts swap too.
  if (memory.limit === -1 && memory.swap === undefined) memory.swap = -1;
  const pl = integer('pids-limit', false);
  if (pl !== undefined && pl !== 0) pids.limit = pl;
  for (const name of ['kernel-memory', 'kernel-memory-tcp']) {
    if (flag(p, name) !== undefined) g.log.warn(`Setting --${name} is ignored and will be removed`);
  }
  for (const name of ['l3-cache-schema', 'mem-bw-schema']) {
    if (flag(p, name) !== undefined) throw new RuntimeError(`--${name}: Intel RDT is not offered by tsvisor`);
  }
  return { memory, cpu, blockIO, pids };
}

/** --resources FILE or - (stdin): a LinuxResources object. */
function resourcesFromFile(file: string): Res {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new RuntimeError(`--resources ${file}: cannot read it: ${(e as Error).message}`);
  }
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new RuntimeError(`--resources ${file}: invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(r)) throw new RuntimeError(`--resources ${file}: expected a JSON object (linux.resources)`);
  return r;
}

const planOf = (r: Res, what: string): Plan => {
  try {
    return planResources(r);
  } catch (e) {
    if (e instanceof CgroupError) throw new RuntimeError(`${what}: ${e.message}`);
    throw e;
  }
};

export function updateCommand(argv: string[], g: Globals): number {
  const value = { value: true };
  const p = parseArgs(argv, {
    resources: { value: true, aliases: ['-r'] },
    'blkio-weight': value, 'cpu-period': value, 'cpu-quota': value, 'cpu-burst': value,
    'cpu-share': { value: true, aliases: ['--cpu-shares'] },
    'cpu-rt-period': value, 'cpu-rt-runtime': value, 'cpuset-cpus': value, 'cpuset-mems': value, 'cpu-idle': value,
    memory: value, 'memory-swap': value, 'memory-reservation': value, 'kernel-memory': value, 'kernel-memory-tcp': value,
    'pids-limit': value, 'l3-cache-schema': value, 'mem-bw-schema': value,
  });
  if (p.rest.length !== 1) throw new UsageError('update: expected exactly one container id');
  const id = p.rest[0];
  const states = new StateDir(g.root);
  const st = currentState(states, id);
  if (st.status === 'stopped') throw new RuntimeError('container not running');
  const file = flag(p, 'resources');
  // runc: with --resources, every other flag is ignored.
  const delta = file !== undefined && file !== '' ? resourcesFromFile(file) : resourcesFromFlags(p, g);
  const what = file !== undefined && file !== '' ? `--resources ${file}` : 'update';
  planOf(delta, what); // every field of the request is checked before anything changes

  const dir = states.dir(id);
  const pidsLimit = (isObject(delta.pids) ? delta.pids.limit : undefined) ?? 0;
  states.withLock(id, () => {
    const merged = mergeResources(states.readResources(id), delta);
    const plan = planOf(merged, what);
    const dirs = cgroupDirs(dir);
    if (dirs.length === 0) {
      // No host cgroup (config.json asked for no limit and no cgroupsPath): only the
      // sentry's own pids limit can change.
      const { pids: _pids, ...rest } = delta;
      const others = planOf(rest, what);
      if (others.v2.length > 0 || others.v1.size > 0) {
        throw new RuntimeError(`container ${id} has no host cgroup (its config.json set no linux.resources or cgroupsPath)`);
      }
    } else {
      try {
        updateCgroup(dirs, plan);
      } catch (e) {
        if (e instanceof CgroupError) throw new RuntimeError(e.message);
        throw e;
      }
    }
    states.writeResources(id, merged);
  });
  // Outside the lock: the sandbox process may take it while it serves earlier requests.
  if (pidsLimit !== 0) {
    const r = request(g, id, { cmd: 'update', pidsLimit });
    if (typeof r.error === 'string') throw new RuntimeError(r.error);
  }
  return 0;
}
