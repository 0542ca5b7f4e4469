// The sandbox's identity and size as the kernel reports them (uname, sysinfo, /proc,
// /sys): one place, so every view agrees.
import { fstatSync } from 'fs';
import * as os from 'os';
import type { MemoryFile } from '../mm/memfile';

/** The kernel identity tsvisor reports. A 6.x release keeps version checks in libcs happy. */
export const UTS_RELEASE = '6.1.0-tsvisor';
export const UTS_VERSION = '#1 SMP PREEMPT_DYNAMIC tsvisor';

// Read from the host once, when the sentry loads: node reads them from /proc, which the
// sandbox process no longer sees once it has confined itself.
const HOST_CPUS = Math.max(1, os.cpus().length);
const HOST_MEMORY = os.totalmem();

/** CPUs the sandbox may use. */
export function sandboxCpus(): number {
  return HOST_CPUS;
}

/**
 * The sandbox's load averages: exponential moving averages (1, 5, 15 minutes) of its
 * runnable task count, advanced whenever they are read (sysinfo, /proc/loadavg).
 */
export class LoadAvg {
  readonly avg = [0, 0, 0];
  private last = -1;

  /** Advances the averages to nowNs with `runnable` tasks runnable; returns them. */
  sample(nowNs: number, runnable: number): number[] {
    if (this.last >= 0) {
      const dt = (nowNs - this.last) / 1e9;
      for (let i = 0; i < 3; i++) {
        const e = Math.exp(-dt / LOAD_PERIODS[i]);
        this.avg[i] = this.avg[i] * e + runnable * (1 - e);
      }
    }
    this.last = nowNs;
    return this.avg;
  }
}
const LOAD_PERIODS = [60, 300, 900];

/**
 * App memory in use (bytes): the pages of the memory file that were touched (the host
 * allocates them lazily), not the address ranges reserved in it (every process keeps a
 * 1 GiB heap reservation, say).
 */
export function sandboxMemoryUsed(mf: MemoryFile): number {
  try {
    return fstatSync(mf.fd).blocks * 512;
  } catch {
    return mf.allocated;
  }
}

/** Memory the sandbox may use (bytes): the host's, until a limit is configured. */
export function sandboxMemory(): number {
  return HOST_MEMORY;
}
