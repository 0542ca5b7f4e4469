// /proc's system-wide files (meminfo, cpuinfo, stat, uptime, loadavg, version,
// filesystems, cmdline) and the /proc/sys tree. Every value describes the sandbox, read
// from a SystemSource: its CPU count, its memory, its clock and tasks, its hostname;
// limits are the sentry's own (pid_max, nr_open, pipe-max-size, inotify's).
import { readFileSync } from 'fs';
import { CAP_LAST_CAP } from '../../auth/creds';
import type { FileSystem } from '../../vfs/inode';
import type { TimeSource } from '../../vfs/stat';
import { INOTIFY_MAX_QUEUED_EVENTS, INOTIFY_MAX_USER_INSTANCES, INOTIFY_MAX_USER_WATCHES } from '../anon/inotify';
import { PIPE_MAX_SIZE } from '../pipe/pipe';
import { InoAllocator, SynthDir, SynthSpec } from '../synth/tree';
import type { SystemSource } from './source';

const USER_HZ = 100;
const PID_MAX = 4194304;
const NR_OPEN = 1048576;

/** The host CPU's description (one processor block of /proc/cpuinfo), read once at boot. */
function readHostCpuBlock(): string[] {
  try {
    const text = readFileSync('/proc/cpuinfo', 'latin1');
    const first = text.split('\n\n')[0];
    return first.split('\n').filter((l) => l.length > 0);
  } catch {
    return ['processor\t: 0', 'vendor_id\t: unknown', 'model name\t: unknown', 'flags\t\t: fpu'];
  }
}

// Read when the sentry loads: a /proc mounted later by the app is built after the sandbox
// process has confined itself and can no longer read the host's.
const HOST_CPU_BLOCK = readHostCpuBlock();

/** A UUID (version 4) from 16 random bytes, as /proc/sys/kernel/random prints them. */
export function uuidText(b: Uint8Array): string {
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function kB(bytes: number): string {
  return String(Math.floor(bytes / 1024));
}

/** The system part of /proc: top-level files and sys/. */
export function buildProcSystem(fs: FileSystem, clock: TimeSource, src: () => SystemSource | null,
  inos: InoAllocator): SynthDir {
  const cpu = HOST_CPU_BLOCK;
  const bootId = new Uint8Array(16);
  let bootIdText = '';
  const s = (): SystemSource => {
    const x = src();
    if (x === null) throw new Error('/proc system files read before the kernel was attached');
    return x;
  };
  const uptime = () => s().uptimeNs() / 1e9;

  const meminfo = () => {
    const total = s().memTotal(), used = Math.min(s().memUsed(), s().memTotal());
    const free = total - used;
    const rows: [string, number][] = [
      ['MemTotal', total], ['MemFree', free], ['MemAvailable', free], ['Buffers', 0], ['Cached', 0],
      ['SwapCached', 0], ['Active', used], ['Inactive', 0], ['Active(anon)', used], ['Inactive(anon)', 0],
      ['Active(file)', 0], ['Inactive(file)', 0], ['Unevictable', 0], ['Mlocked', 0], ['SwapTotal', 0],
      ['SwapFree', 0], ['Zswap', 0], ['Zswapped', 0], ['Dirty', 0], ['Writeback', 0], ['AnonPages', used],
      ['Mapped', 0], ['Shmem', 0], ['KReclaimable', 0], ['Slab', 0], ['SReclaimable', 0], ['SUnreclaim', 0],
      ['KernelStack', 0], ['PageTables', 0], ['SecPageTables', 0], ['NFS_Unstable', 0], ['Bounce', 0],
      ['WritebackTmp', 0], ['CommitLimit', total], ['Committed_AS', used], ['VmallocTotal', 34359738367 * 1024],
      ['VmallocUsed', 0], ['VmallocChunk', 0], ['Percpu', 0], ['HardwareCorrupted', 0], ['AnonHugePages', 0],
      ['ShmemHugePages', 0], ['ShmemPmdMapped', 0], ['FileHugePages', 0], ['FilePmdMapped', 0],
    ];
    let out = '';
    for (const [k, v] of rows) out += `${(k + ':').padEnd(16)}${kB(v).padStart(8)} kB\n`;
    out += 'HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n';
    out += 'Hugepagesize:       2048 kB\nHugetlb:               0 kB\n';
    return out;
  };

  const cpuinfo = () => {
    const n = s().cpus();
    let out = '';
    for (let i = 0; i < n; i++) {
      for (const line of cpu) {
        const key = line.split(':')[0].trim();
        let v = line;
        if (key === 'processor') v = `processor\t: ${i}`;
        else if (key === 'core id') v = `core id\t\t: ${i}`;
        else if (key === 'apicid') v = `apicid\t\t: ${i}`;
        else if (key === 'initial apicid') v = `initial apicid\t: ${i}`;
        else if (key === 'siblings') v = `siblings\t: ${n}`;
        else if (key === 'cpu cores') v = `cpu cores\t: ${n}`;
        out += v + '\n';
      }
      out += '\n';
    }
    return out;
  };

  const stat = () => {
    const x = s();
    const n = x.cpus();
    const idle = Math.floor(uptime() * USER_HZ);
    const row = (name: string, idl: number) => `${name} 0 0 0 ${idl} 0 0 0 0 0 0\n`;
    let out = row('cpu ', idle * n);
    for (let i = 0; i < n; i++) out += row(`cpu${i}`, idle);
    out += `intr 0\nctxt 0\nbtime ${x.bootTimeSec()}\nprocesses ${x.lastPid()}\n`;
    out += `procs_running ${Math.max(1, x.runnable())}\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n`;
    return out;
  };

  const loadavg = () => {
    const x = s();
    const running = Math.max(1, x.runnable());
    const a = x.loadavg();
    return `${a[0].toFixed(2)} ${a[1].toFixed(2)} ${a[2].toFixed(2)} ${running}/${x.taskCount()} ${x.lastPid()}\n`;
  };

  const version = () => `Linux version ${s().release} (tsvisor@tsvisor) (tsvisor sentry) ${s().version}\n`;

  const line = (v: () => string | number) => () => `${v()}\n`;
  const spec: SynthSpec = {
    cmdline: () => 'BOOT_IMAGE=tsvisor ro\n',
    cpuinfo,
    filesystems: () => ['sysfs', 'tmpfs', 'proc', 'devtmpfs', 'overlay', 'pipefs', 'anon_inodefs']
      .map((n) => `nodev\t${n}\n`).join(''),
    loadavg,
    meminfo,
    // Linux's /proc/net is a link to self/net (the reader's namespace): the sandbox has one.
    net: {
      dev: () => s().netFile('dev'),
      if_inet6: () => s().netFile('if_inet6'),
      route: () => s().netFile('route'),
      tcp: () => s().netFile('tcp'),
      tcp6: () => s().netFile('tcp6'),
      udp: () => s().netFile('udp'),
      udp6: () => s().netFile('udp6'),
    },
    stat,
    uptime: () => {
      const u = uptime();
      return `${u.toFixed(2)} ${(u * s().cpus()).toFixed(2)}\n`;
    },
    version,
    sys: {
      fs: {
        'file-max': line(() => '9223372036854775807'),
        'file-nr': line(() => '0\t0\t9223372036854775807'),
        inotify: {
          max_queued_events: line(() => INOTIFY_MAX_QUEUED_EVENTS),
          max_user_instances: line(() => INOTIFY_MAX_USER_INSTANCES),
          max_user_watches: line(() => INOTIFY_MAX_USER_WATCHES),
        },
        nr_open: line(() => NR_OPEN),
        'pipe-max-size': line(() => PIPE_MAX_SIZE),
      },
      kernel: {
        cap_last_cap: line(() => CAP_LAST_CAP),
        domainname: line(() => s().domainname()),
        hostname: line(() => s().hostname()),
        ngroups_max: line(() => 65536),
        osrelease: line(() => s().release),
        ostype: line(() => 'Linux'),
        pid_max: line(() => PID_MAX),
        random: {
          boot_id: () => {
            if (bootIdText === '') {
              s().random(bootId);
              bootIdText = uuidText(bootId);
            }
            return bootIdText + '\n';
          },
          uuid: () => {
            const b = new Uint8Array(16);
            s().random(b);
            return uuidText(b) + '\n';
          },
        },
        threads_max: line(() => 126000),
        version: line(() => s().version),
      },
      net: {
        core: {
          somaxconn: line(() => 4096),
        },
        ipv4: {
          ip_unprivileged_port_start: line(() => s().unprivPortStart()),
        },
      },
      vm: {
        max_map_count: line(() => 65530),
        overcommit_memory: line(() => 0),
        overcommit_ratio: line(() => 50),
      },
    },
  };
  return new SynthDir(fs, inos.alloc(), clock).build(spec, inos, clock);
}
