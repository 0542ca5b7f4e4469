// sysfs: the parts of /sys that programs read to size themselves to the machine. They
// describe the sandbox: its CPUs (devices/system/cpu), transparent huge pages as the
// sentry's memory behaves (kernel/mm), and an empty directory at fs/cgroup (no cgroup
// file system is mounted there: programs that look for cgroup2 by f_type find sysfs and
// treat the sandbox as having no cgroup limits). The other top-level directories exist
// and are empty.
import { sandboxCpus } from '../../kernel/sysinfo';
import { FileSystem, Inode } from '../../vfs/inode';
import { DateTimeSource, TimeSource } from '../../vfs/stat';
import { InoAllocator, SYSFS_MAGIC, SynthDir, SynthSpec } from '../synth/tree';

export interface SysfsOptions {
  clock?: TimeSource;
  /** CPUs shown (default: the sandbox's). */
  cpus?: () => number;
}

/** "0-3", or "0" for one CPU: a Linux CPU list. */
function cpuList(n: number): string {
  return n <= 1 ? '0\n' : `0-${n - 1}\n`;
}

export class SysFs extends FileSystem {
  readonly name = 'sysfs';
  readonly magic = SYSFS_MAGIC;
  private readonly rootDir: SynthDir;

  constructor(o: SysfsOptions = {}) {
    super();
    const clock = o.clock ?? new DateTimeSource();
    const cpus = o.cpus ?? sandboxCpus;
    const inos = new InoAllocator(1);
    const n = cpus();
    const cpu: SynthSpec = {
      kernel_max: () => '8191\n',
      offline: () => '\n',
      online: () => cpuList(cpus()),
      possible: () => cpuList(cpus()),
      present: () => cpuList(cpus()),
    };
    // The CPU directories are made once: the count does not change while the sandbox runs.
    for (let i = 0; i < n; i++) {
      const dir: SynthSpec = {
        topology: {
          core_id: () => `${i}\n`,
          physical_package_id: () => '0\n',
          core_cpus_list: () => `${i}\n`,
          thread_siblings_list: () => `${i}\n`,
        },
      };
      if (i > 0) dir.online = () => '1\n';
      cpu[`cpu${i}`] = dir;
    }
    const spec: SynthSpec = {
      block: {},
      bus: {},
      class: {},
      dev: { block: {}, char: {} },
      devices: { system: { cpu } },
      firmware: {},
      fs: { cgroup: {} },
      kernel: {
        mm: {
          transparent_hugepage: {
            enabled: () => 'always [madvise] never\n',
            defrag: () => 'always defer defer+madvise [madvise] never\n',
            hpage_pmd_size: () => '2097152\n',
          },
        },
      },
      module: {},
      power: {},
    };
    this.rootDir = new SynthDir(this, inos.alloc(), clock).build(spec, inos, clock);
  }

  root(): Inode {
    return this.rootDir;
  }
}

/** A sysfs instance for the mount code to mount at /sys. */
export function newSysfs(o: SysfsOptions = {}): SysFs {
  return new SysFs(o);
}
