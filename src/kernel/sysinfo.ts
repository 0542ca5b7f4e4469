// The sandbox's identity and size as the kernel reports them (uname, sysinfo, /proc,
// /sys): one place, so every view agrees.
import * as os from 'os';

/** The kernel identity tsvisor reports. A 6.x release keeps version checks in libcs happy. */
export const UTS_RELEASE = '6.1.0-tsvisor';
export const UTS_VERSION = '#1 SMP PREEMPT_DYNAMIC tsvisor';

/** CPUs the sandbox may use. */
export function sandboxCpus(): number {
  return Math.max(1, os.cpus().length);
}

/** Memory the sandbox may use (bytes): the host's, until a limit is configured. */
export function sandboxMemory(): number {
  return os.totalmem();
}
