// What /proc reads about processes: a small read-only view, so procfs depends on the
// kernel only through kernel_source.ts (one adapter) and is testable with fakes.
import type { Credentials } from '../../auth/creds';
import type { MM } from '../../mm/mm';
import type { FsContext } from '../../vfs/context';
import type { FdTable } from '../../vfs/fdtable';

export interface ProcProcess {
  readonly tgid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** The thread-group leader's name (comm), at most 15 bytes. */
  readonly comm: string;
  /** One-letter state: R, S, D, T, Z. */
  readonly state: string;
  readonly mm: MM | null;
  readonly fdTable: FdTable | null;
  readonly fs: FsContext | null;
  readonly creds: Credentials;
  /** Thread ids, leader first. */
  readonly tids: readonly number[];
  /** Resource limits (soft, hard) by RLIMIT_* number; Infinity = unlimited. */
  readonly rlimits: { readonly cur: readonly number[]; readonly max: readonly number[] } | null;
  /** The controlling terminal's device (stat's tty_nr encoding) and foreground group (-1: none). */
  readonly ttyNr?: number;
  readonly tpgid?: number;
}

export interface ProcSource {
  /** The process whose thread-group id (or any of whose thread ids) is id, or null. */
  process(id: number): ProcProcess | null;
  /** Thread-group ids of the live processes, ascending. */
  tgids(): number[];
  /** The process as seen from one of its threads (its own comm and state), or null. */
  thread(tgid: number, tid: number): ProcProcess | null;
}

/** System-wide facts for /proc's system files and /sys: what describes the sandbox. */
export interface SystemSource {
  /** CPUs the sandbox may use. */
  cpus(): number;
  hostname(): string;
  domainname(): string;
  /** uname's release and version. */
  readonly release: string;
  readonly version: string;
  /** Nanoseconds since the sandbox booted. */
  uptimeNs(): number;
  /** The wall-clock second the sandbox booted. */
  bootTimeSec(): number;
  /** Memory the sandbox may use, and what its processes hold (bytes). */
  memTotal(): number;
  memUsed(): number;
  /** Runnable tasks, all tasks, and the pid handed out last. */
  runnable(): number;
  /** The 1, 5 and 15 minute load averages, advanced to now. */
  loadavg(): number[];
  taskCount(): number;
  lastPid(): number;
  /** Fills b with random bytes (the kernel's randomness service). */
  random(b: Uint8Array): void;
  /** net.ipv4.ip_unprivileged_port_start as the sentry enforces it. */
  unprivPortStart(): number;
  /** A file of /proc/net (dev, route, if_inet6, tcp, tcp6, udp, udp6). */
  netFile(name: string): string;
}
