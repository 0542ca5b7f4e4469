// The sentry's one source of time. Everything that reads a clock goes through here,
// so a deterministic mode can later replace it in one place.
import * as host from '../platform/host';

export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3,
  CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5, CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7,
  CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9, CLOCK_TAI = 11;

export class Clock {
  /** [sec, nsec] of the last read; reused to avoid allocating. */
  readonly ts = new Float64Array(2);
  /** Sandbox boot time on CLOCK_MONOTONIC (for uptime and process start times). */
  readonly bootMono: number;

  constructor() {
    this.bootMono = host.monoNow();
  }

  /** CLOCK_MONOTONIC in ns (exact for ~104 days of host uptime). */
  monoNow(): number {
    return host.monoNow();
  }

  /**
   * Reads a wall clock into this.ts. Returns 0 or -EINVAL for an unknown clock. (The
   * CPU-time clocks are per task: syscalls/time.ts reads them from the platform.)
   */
  read(clockid: number): number {
    let id: number;
    switch (clockid) {
      case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE: case CLOCK_REALTIME_ALARM: case CLOCK_TAI:
        id = CLOCK_REALTIME;
        break;
      case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_COARSE: case CLOCK_MONOTONIC_RAW:
        id = clockid;
        break;
      case CLOCK_BOOTTIME: case CLOCK_BOOTTIME_ALARM:
        id = CLOCK_BOOTTIME;
        break;
      case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
        id = CLOCK_THREAD_CPUTIME_ID;
        break;
      default:
        return -22;
    }
    return host.clockGettime(id, this.ts);
  }

  /** Converts an absolute time on clockid to a CLOCK_MONOTONIC deadline in ns. */
  toMonoDeadline(clockid: number, sec: number, nsec: number): number {
    const abs = sec * 1e9 + nsec;
    if (clockid === CLOCK_MONOTONIC || clockid === CLOCK_BOOTTIME) return abs;
    this.read(clockid);
    const now = this.ts[0] * 1e9 + this.ts[1];
    return this.monoNow() + (abs - now);
  }
}

/** Fills buf[off, off+len) with random bytes from the host's CSPRNG. */
export function hostRandom(buf: Uint8Array, off: number, len: number): void {
  const r = host.getRandom(buf, off, len);
  if (r < 0) throw new Error(`getrandom failed: errno ${-r}`);
}
