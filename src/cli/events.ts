// `tsvisor events [--stats] [--interval DUR] ID`: runc's event stream, one JSON object
// per line. --stats prints one {"type":"stats",...} and exits; otherwise a stats event
// every interval (and an {"type":"oom"} event when the cgroup records an OOM kill) until
// the container stops. The data has the shape of runc's types.Stats (field names and
// Go's omitempty rules) so tools that decode runc's output decode ours: CPU and memory
// from the sandbox's host cgroup (or /proc of its processes when it has none), the
// number of tasks from the sentry (app threads, what pids.current counts on Linux).
import { UsageError, flag, parseArgs } from './args';
import { Globals, RuntimeError, cgroupDirs, currentState, processAlive } from './oci';
import { StateDir } from './state';
import { request } from './control';
import { HostUsage, MemoryEntry, cgroupOomKills, cgroupUsage, processUsage } from '../sandbox/cgstats';

/** A JSON value whose integers may be bigints (written as exact digits). */
type Json = string | number | bigint | boolean | null | Json[] | { [k: string]: Json | undefined };

/** JSON.stringify for Json: bigints as plain numbers, undefined members left out. */
export function toJson(v: Json): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${toJson(x)}`);
  return `{${parts.join(',')}}`;
}

/** Go's omitempty for a number: left out when zero. */
const nz = (v: bigint): bigint | undefined => (v === 0n ? undefined : v);
const ne = (v: bigint[]): bigint[] | undefined => (v.length === 0 ? undefined : v);

function memEntry(e: MemoryEntry | null): Json {
  if (e === null) return { limit: 0n, failcnt: 0n };
  return { limit: e.limit, usage: nz(e.usage), max: nz(e.max), failcnt: e.failcnt };
}

/** runc's types.Stats from what the host and the sentry report. */
export function runcStats(u: HostUsage, tasks: number, pidsLimit: number): Json {
  const raw: Record<string, bigint> = {};
  for (const [k, v] of u.memory.raw) raw[k] = v;
  const cs = u.cpuset;
  return {
    cpu: {
      usage: {
        total: nz(u.cpu.total), percpu: ne(u.cpu.percpu), percpu_kernel: ne(u.cpu.percpuKernel),
        percpu_user: ne(u.cpu.percpuUser), kernel: u.cpu.kernel, user: u.cpu.user,
      },
      throttling: {
        periods: nz(u.throttling.periods), throttledPeriods: nz(u.throttling.throttledPeriods),
        throttledTime: nz(u.throttling.throttledTime),
      },
    },
    cpuset: {
      cpus: cs === null || cs.cpus.length === 0 ? undefined : cs.cpus,
      cpu_exclusive: cs?.flags.cpu_exclusive ?? 0n,
      mems: cs === null || cs.mems.length === 0 ? undefined : cs.mems,
      mem_hardwall: cs?.flags.mem_hardwall ?? 0n,
      mem_exclusive: cs?.flags.mem_exclusive ?? 0n,
      memory_migrate: cs?.flags.memory_migrate ?? 0n,
      memory_spread_page: cs?.flags.memory_spread_page ?? 0n,
      memory_spread_slab: cs?.flags.memory_spread_slab ?? 0n,
      memory_pressure: cs?.flags.memory_pressure ?? 0n,
      sched_load_balance: cs?.flags.sched_load_balance ?? 0n,
      sched_relax_domain_level: cs?.flags.sched_relax_domain_level ?? 0n,
    },
    memory: {
      cache: nz(u.memory.cache),
      usage: memEntry(u.memory.usage),
      swap: memEntry(u.memory.swap),
      kernel: memEntry(u.memory.kernel),
      kernelTCP: memEntry(u.memory.kernelTCP),
      raw: u.memory.raw.size === 0 ? undefined : raw,
    },
    pids: { current: nz(BigInt(tasks)), limit: nz(BigInt(Math.max(pidsLimit, 0))) },
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** A Go duration ("5s", "250ms", "1m30s", "1.5h"), in milliseconds. */
export function parseDuration(s: string): number | null {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };
  let rest = s, sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return null;
  let total = 0;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (m === null) return null;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

interface Sample {
  usage: HostUsage;
  data: Json;
}

/** One sample of the container's usage; null when its sandbox process has gone. */
function sample(g: Globals, states: StateDir, id: string, pid: number): Sample | null {
  let r: Record<string, unknown>;
  try {
    r = request(g, id, { cmd: 'stats' });
  } catch (e) {
    if (e instanceof RuntimeError && !processAlive(pid)) return null;
    throw e;
  }
  if (typeof r.error === 'string') throw new RuntimeError(r.error);
  const dirs = cgroupDirs(states.dir(id));
  const usage = dirs.length > 0 ? cgroupUsage(dirs) : processUsage(pid);
  const pids = states.readResources(id).pids as Record<string, unknown> | undefined;
  const limit = typeof pids?.limit === 'number' ? pids.limit : 0;
  return { usage, data: runcStats(usage, typeof r.tasks === 'number' ? r.tasks : 0, limit) };
}

const print = (v: Json) => process.stdout.write(toJson(v) + '\n');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How often the stream looks for OOM kills and for the container's end between samples. */
const POLL_MS = 200;

export async function eventsCommand(argv: string[], g: Globals): Promise<number> {
  const p = parseArgs(argv, { stats: {}, interval: { value: true } });
  if (p.rest.length !== 1) throw new UsageError('events: expected exactly one container id');
  const id = p.rest[0];
  const text = flag(p, 'interval') ?? '5s';
  const interval = parseDuration(text);
  if (interval === null) throw new UsageError(`invalid value "${text}" for flag -interval: parse error`);
  if (interval <= 0) throw new RuntimeError('duration interval must be greater than 0');
  const states = new StateDir(g.root);
  const st = currentState(states, id);
  if (st.status === 'stopped') throw new RuntimeError(`container with id ${id} is not running`);

  const first = sample(g, states, id, st.pid);
  if (first === null) throw new RuntimeError(`container with id ${id} is not running`);
  if (p.bools.has('stats')) {
    print({ type: 'stats', id, data: first.data });
    return 0;
  }
  // As runc: the first stats event comes one interval after the start.
  let ooms = first.usage.oomKills;
  let due = Date.now() + interval;
  for (;;) {
    await sleep(Math.max(0, Math.min(POLL_MS, due - Date.now())));
    if (!processAlive(st.pid)) return 0;
    const now = Date.now();
    const dirs = cgroupDirs(states.dir(id));
    if (dirs.length > 0 && now < due) {
      // Between samples only the OOM counter is read (cheap: one file).
      const n = cgroupOomKills(dirs);
      for (; ooms < n; ooms++) print({ type: 'oom', id });
      continue;
    }
    if (now < due) continue;
    const s = sample(g, states, id, st.pid);
    if (s === null) return 0;
    for (; ooms < s.usage.oomKills; ooms++) print({ type: 'oom', id });
    print({ type: 'stats', id, data: s.data });
    due += interval;
    if (due < now) due = now + interval; // fell behind (a stopped terminal): no burst
  }
}
