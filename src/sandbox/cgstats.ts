// What a sandbox uses on the host, for `tsvisor events`: CPU time, memory and OOM kills
// read from the container's host cgroup (v1 or v2), or, for a sandbox that has no cgroup
// of its own, from /proc of the sandbox process and its descendants (the stub processes).
// Counters are bigints: cgroup files hold 64-bit values ("unlimited" is near 2^63 or
// 2^64) that a double would round.
import * as fs from 'fs';
import * as path from 'path';
import { controllerOf } from './cgroup';

export interface CpuUsage {
  /** ns of CPU time, in total, per CPU (with kernel and user parts), kernel and user. */
  total: bigint;
  percpu: bigint[];
  percpuKernel: bigint[];
  percpuUser: bigint[];
  kernel: bigint;
  user: bigint;
}

export interface Throttling {
  periods: bigint;
  throttledPeriods: bigint;
  throttledTime: bigint;
}

export interface MemoryEntry {
  limit: bigint;
  usage: bigint;
  max: bigint;
  failcnt: bigint;
}

export interface CpusetStats {
  cpus: number[];
  mems: number[];
  /** v1's other cpuset.* values, by runc's names (v2 has none of them). */
  flags: Record<string, bigint>;
}

export interface HostUsage {
  /** Where the figures come from. */
  source: 'cgroup v1' | 'cgroup v2' | 'proc';
  cpu: CpuUsage;
  throttling: Throttling;
  cpuset: CpusetStats | null;
  memory: {
    cache: bigint;
    usage: MemoryEntry;
    swap: MemoryEntry | null;
    kernel: MemoryEntry | null;
    kernelTCP: MemoryEntry | null;
    raw: Map<string, bigint>;
  };
  /** OOM kills in the cgroup so far (events reports each new one). */
  oomKills: bigint;
}

const ZERO = 0n;
/** USER_HZ: the unit of cpuacct.stat and of /proc/PID/stat times. */
const TICK_NS = 10_000_000n;

function read(d: string, f: string): string | null {
  try {
    return fs.readFileSync(path.join(d, f), 'latin1').trim();
  } catch {
    return null;
  }
}

function big(s: string | null | undefined): bigint {
  if (s === null || s === undefined || !/^-?\d+$/.test(s)) return ZERO;
  return BigInt(s);
}

/** v2's "max" is no limit: what runc reports for it (the largest uint64). */
const V2_MAX = 18446744073709551615n;

function bigOrMax(s: string | null): bigint {
  return s === 'max' ? V2_MAX : big(s);
}

/** "key value" lines (cpu.stat, memory.stat, memory.events ...). */
function keyed(text: string | null): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && k !== '' && v !== undefined) m.set(k, big(v));
  }
  return m;
}

function list(text: string | null): bigint[] {
  return (text ?? '').split(/\s+/).filter((x) => x !== '').map((x) => big(x));
}

/** "0-3,5" -> [0, 1, 2, 3, 5]. */
function cpuList(text: string | null): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (m === null) continue;
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) out.push(i);
  }
  return out;
}

function entry(d: string, prefix: string): MemoryEntry | null {
  const usage = read(d, `${prefix}.usage_in_bytes`);
  if (usage === null) return null;
  return {
    usage: big(usage),
    max: big(read(d, `${prefix}.max_usage_in_bytes`)),
    limit: big(read(d, `${prefix}.limit_in_bytes`)),
    failcnt: big(read(d, `${prefix}.failcnt`)),
  };
}

function emptyCpu(): CpuUsage {
  return { total: ZERO, percpu: [], percpuKernel: [], percpuUser: [], kernel: ZERO, user: ZERO };
}

/** Usage of a container's cgroup; dirs are the directories applyCgroup made. */
export function cgroupUsage(dirs: string[]): HostUsage {
  const v2 = dirs.length > 0 && controllerOf(dirs[0]) === '';
  return v2 ? v2Usage(dirs[0]) : v1Usage(dirs);
}

/** Just the OOM-kill counter of a container's cgroup (cheap enough to poll). */
export function cgroupOomKills(dirs: string[]): bigint {
  const d = dirs.find((x) => ['', 'memory'].includes(controllerOf(x)));
  if (d === undefined) return ZERO;
  const v2 = controllerOf(d) === '';
  return keyed(read(d, v2 ? 'memory.events' : 'memory.oom_control')).get('oom_kill') ?? ZERO;
}

function v1Usage(dirs: string[]): HostUsage {
  const dir = (ctrl: string): string | null => dirs.find((d) => controllerOf(d).split(',').includes(ctrl)) ?? null;
  const cpu = emptyCpu();
  const acct = dir('cpuacct');
  if (acct !== null) {
    cpu.total = big(read(acct, 'cpuacct.usage'));
    cpu.percpu = list(read(acct, 'cpuacct.usage_percpu'));
    cpu.percpuKernel = list(read(acct, 'cpuacct.usage_percpu_sys'));
    cpu.percpuUser = list(read(acct, 'cpuacct.usage_percpu_user'));
    const sys = read(acct, 'cpuacct.usage_sys'), user = read(acct, 'cpuacct.usage_user');
    if (sys !== null && user !== null) {
      cpu.kernel = big(sys);
      cpu.user = big(user);
    } else {
      const st = keyed(read(acct, 'cpuacct.stat'));
      cpu.kernel = (st.get('system') ?? ZERO) * TICK_NS;
      cpu.user = (st.get('user') ?? ZERO) * TICK_NS;
    }
  }
  const cpuDir = dir('cpu');
  const cs = keyed(cpuDir !== null ? read(cpuDir, 'cpu.stat') : null);
  const throttling = {
    periods: cs.get('nr_periods') ?? ZERO, throttledPeriods: cs.get('nr_throttled') ?? ZERO,
    throttledTime: cs.get('throttled_time') ?? ZERO,
  };
  const setDir = dir('cpuset');
  let cpuset: CpusetStats | null = null;
  if (setDir !== null) {
    const flags: Record<string, bigint> = {};
    for (const f of ['cpu_exclusive', 'mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page',
      'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level']) {
      flags[f] = big(read(setDir, `cpuset.${f}`));
    }
    cpuset = { cpus: cpuList(read(setDir, 'cpuset.cpus')), mems: cpuList(read(setDir, 'cpuset.mems')), flags };
  }
  const memDir = dir('memory');
  const raw = keyed(memDir !== null ? read(memDir, 'memory.stat') : null);
  const none: MemoryEntry = { usage: ZERO, max: ZERO, limit: ZERO, failcnt: ZERO };
  const memory = {
    cache: raw.get('cache') ?? ZERO,
    usage: (memDir !== null ? entry(memDir, 'memory') : null) ?? none,
    swap: memDir !== null ? entry(memDir, 'memory.memsw') : null,
    kernel: memDir !== null ? entry(memDir, 'memory.kmem') : null,
    kernelTCP: memDir !== null ? entry(memDir, 'memory.kmem.tcp') : null,
    raw,
  };
  const oom = keyed(memDir !== null ? read(memDir, 'memory.oom_control') : null);
  return { source: 'cgroup v1', cpu, throttling, cpuset, memory, oomKills: oom.get('oom_kill') ?? ZERO };
}

function v2Usage(d: string): HostUsage {
  const cs = keyed(read(d, 'cpu.stat'));
  const us = 1000n;
  const cpu = emptyCpu();
  cpu.total = (cs.get('usage_usec') ?? ZERO) * us;
  cpu.user = (cs.get('user_usec') ?? ZERO) * us;
  cpu.kernel = (cs.get('system_usec') ?? ZERO) * us;
  const throttling = {
    periods: cs.get('nr_periods') ?? ZERO, throttledPeriods: cs.get('nr_throttled') ?? ZERO,
    throttledTime: (cs.get('throttled_usec') ?? ZERO) * us,
  };
  const cpusText = read(d, 'cpuset.cpus.effective');
  const cpuset = cpusText === null ? null : { cpus: cpuList(cpusText), mems: cpuList(read(d, 'cpuset.mems.effective')), flags: {} };
  const raw = keyed(read(d, 'memory.stat'));
  const events = keyed(read(d, 'memory.events'));
  const usage = big(read(d, 'memory.current'));
  const limit = bigOrMax(read(d, 'memory.max'));
  const swapCur = read(d, 'memory.swap.current');
  // runc's v2 figures: swap is reported as memory plus swap, as v1's memsw was.
  const swap = swapCur === null ? null : {
    usage: big(swapCur) + usage,
    max: ZERO,
    limit: read(d, 'memory.swap.max') === 'max' || limit === V2_MAX ? V2_MAX : big(read(d, 'memory.swap.max')) + limit,
    failcnt: ZERO,
  };
  return {
    source: 'cgroup v2', cpu, throttling, cpuset,
    memory: {
      cache: raw.get('file') ?? ZERO,
      usage: { usage, limit, max: big(read(d, 'memory.peak')), failcnt: events.get('max') ?? ZERO },
      swap, kernel: null, kernelTCP: null, raw,
    },
    oomKills: events.get('oom_kill') ?? ZERO,
  };
}

/** pid and every live process below it (the stubs are children of the template stub). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    names = [];
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const stat = read(`/proc/${n}`, 'stat');
    if (stat === null) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const l = children.get(ppid) ?? [];
    l.push(Number(n));
    children.set(ppid, l);
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop() as number;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * Usage of a sandbox without a cgroup of its own: CPU time of the sandbox process and
 * its descendants (and of the ones they have reaped), and their proportional set size
 * (Pss: the memory file is mapped by the sentry and every stub, so summing Rss would
 * count its pages several times). Only processes we may read are counted.
 */
export function processUsage(pid: number): HostUsage {
  const cpu = emptyCpu();
  let pss = ZERO;
  for (const p of descendants(pid)) {
    const stat = read(`/proc/${p}`, 'stat');
    if (stat === null) continue;
    // Fields after "(comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    cpu.user += (big(f[11]) + big(f[13])) * TICK_NS;
    cpu.kernel += (big(f[12]) + big(f[14])) * TICK_NS;
    const rollup = read(`/proc/${p}`, 'smaps_rollup');
    const m = rollup === null ? null : /^Pss:\s+(\d+) kB/m.exec(rollup);
    if (m !== null) pss += big(m[1]) * 1024n;
    else {
      const statm = read(`/proc/${p}`, 'statm');
      if (statm !== null) pss += big(statm.split(' ')[1]) * 4096n;
    }
  }
  cpu.total = cpu.user + cpu.kernel;
  return {
    source: 'proc', cpu, throttling: { periods: ZERO, throttledPeriods: ZERO, throttledTime: ZERO }, cpuset: null,
    memory: { cache: ZERO, usage: { usage: pss, max: ZERO, limit: ZERO, failcnt: ZERO }, swap: null, kernel: null, kernelTCP: null,
      raw: new Map() },
    oomKills: ZERO,
  };
}
