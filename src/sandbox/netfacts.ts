// What the sentry needs to know of its network namespace, read before the sandbox
// process confines itself (/proc is out of reach after): /proc/sys/net shows the
// namespace of the reader, which is the sandbox's (the runtime command has already
// written the container's network sysctls there while this process waited).
import * as fs from 'fs';
import { callerRlimits } from './limits';

/** net.ipv4.ip_unprivileged_port_start (Linux's default, 1024, if it cannot be read). */
export function readUnprivPortStart(): number {
  try {
    const v = Number.parseInt(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'latin1'), 10);
    return Number.isInteger(v) && v >= 0 && v <= 65536 ? v : 1024;
  } catch {
    return 1024; // no procfs, or no IPv4 in the namespace
  }
}

/**
 * How many host sockets the app may hold: half of this process's own fd limit (at least
 * 64), so the app's sockets can never starve the sentry of fds for its files, its stubs
 * and the control socket.
 */
export function hostSocketCap(): number {
  const soft = callerRlimits().cur[7 /* RLIMIT_NOFILE */];
  return Math.max(64, Math.floor((Number.isFinite(soft) ? soft : 1 << 20) / 2));
}
