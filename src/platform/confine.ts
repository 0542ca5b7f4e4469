// The host calls that confine the sandbox process (native/confine.cc), and a compiler of
// host-syscall allow-lists to classic BPF for seccomp.
import * as fs from 'fs';
import { native } from './native';

/** A host syscall the sandbox process may make, and on what condition. */
export interface HostSyscallRule {
  nr: number;
  name: string;
  /** Why the sentry needs it (docs/SECURITY.md prints this). */
  why: string;
  /** Allowed only when argument `arg` (a 64-bit value) is one of `oneOf`. */
  arg?: number;
  oneOf?: number[];
  /** Refused quietly with this errno (libc or libuv fall back when it fails). */
  errno?: number;
}

// Classic BPF opcodes and seccomp's return values.
const BPF_LD_W_ABS = 0x20, BPF_JEQ_K = 0x15, BPF_JGE_K = 0x35, BPF_RET_K = 0x06;
const RET_KILL_PROCESS = 0x80000000, RET_TRAP = 0x00030000, RET_ERRNO = 0x00050000, RET_ALLOW = 0x7fff0000;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
// struct seccomp_data: nr, arch, instruction_pointer, args[6].
const OFF_NR = 0, OFF_ARCH = 4, OFF_ARGS = 16;

interface Insn { code: number; jt: number; jf: number; k: number }

/**
 * The rules as a seccomp program: x86-64 only (anything else, including x32, kills the
 * process), each rule tested in order, and any other call trapped (the native SIGSYS
 * handler reports it and fails it with ENOSYS). Rules come first-match, so the hot calls
 * should lead the list.
 */
export function compileHostFilter(rules: HostSyscallRule[]): Uint8Array {
  const out: Insn[] = [];
  const ins = (code: number, k: number, jt = 0, jf = 0) => out.push({ code, jt, jf, k: k >>> 0 });
  ins(BPF_LD_W_ABS, OFF_ARCH);
  ins(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0);
  ins(BPF_RET_K, RET_KILL_PROCESS);
  ins(BPF_LD_W_ABS, OFF_NR);
  ins(BPF_JGE_K, X32_SYSCALL_BIT, 0, 1);
  ins(BPF_RET_K, RET_KILL_PROCESS);
  for (const r of rules) {
    const body: Insn[] = [];
    const b = (code: number, k: number, jt = 0, jf = 0) => body.push({ code, jt, jf, k: k >>> 0 });
    if (r.errno !== undefined) {
      b(BPF_RET_K, RET_ERRNO | (r.errno & 0xffff));
    } else if (r.arg === undefined || r.oneOf === undefined) {
      b(BPF_RET_K, RET_ALLOW);
    } else {
      // High word must be 0; the low word one of the values. The accumulator is
      // reloaded with nr before the next rule.
      const vals = r.oneOf;
      b(BPF_LD_W_ABS, OFF_ARGS + 8 * r.arg + 4);
      b(BPF_JEQ_K, 0, 0, vals.length + 1); // not 0: to the trap below
      b(BPF_LD_W_ABS, OFF_ARGS + 8 * r.arg);
      vals.forEach((v, i) => b(BPF_JEQ_K, v, vals.length - i, 0));
      b(BPF_RET_K, RET_TRAP);
      b(BPF_RET_K, RET_ALLOW);
    }
    if (body.length > 255) throw new Error(`seccomp rule for ${r.name}: too many values`);
    // Not this call: skip the body (and, for argument rules, reload nr after it).
    ins(BPF_JEQ_K, r.nr, 0, body.length);
    out.push(...body);
    if (r.oneOf !== undefined && r.errno === undefined) ins(BPF_LD_W_ABS, OFF_NR);
  }
  ins(BPF_RET_K, RET_TRAP);
  if (out.length > 4096) throw new Error('seccomp program too long');
  const buf = new Uint8Array(out.length * 8);
  const dv = new DataView(buf.buffer);
  out.forEach((x, i) => {
    dv.setUint16(i * 8, x.code, true);
    dv.setUint8(i * 8 + 2, x.jt);
    dv.setUint8(i * 8 + 3, x.jf);
    dv.setUint32(i * 8 + 4, x.k, true);
  });
  return buf;
}

export class ConfineError extends Error {}

/**
 * The sandbox process's network namespace: a new one with only loopback ('new'), the
 * caller's ('inherit': the host's network), or the one at a path (a container's or a
 * pod's, made by its runtime manager or CNI).
 */
export type NetnsChoice = 'new' | 'inherit' | { path: string };

/**
 * Starts `path argv` as a sandbox process in new user, pid, mount, ipc, uts and cgroup
 * namespaces and the network namespace chosen, with fds[i] as its fd i. beforeRun(pid)
 * runs while the child waits (to put it in a cgroup). Ids: root keeps every id, mapped
 * one to one (the sandbox process is then root only over its own namespaces); anyone
 * else maps their own uid and gid to 0.
 */
export function spawnConfined(path: string, argv: string[], env: string[], fds: number[],
  o: { detach: boolean; dieWithParent: boolean; netns?: NetnsChoice; beforeRun?: (pid: number) => void }): number {
  const netns = o.netns ?? 'new';
  let r: [number, number] | number = -1;
  if (typeof netns === 'object') {
    // Network namespaces are per thread: this thread enters the one named, clones the
    // sandbox process there, and comes back.
    const nsFd = openNetns(netns.path);
    const old = native.netnsEnter(nsFd);
    fs.closeSync(nsFd);
    if (old < 0) throw new ConfineError(`cannot join the network namespace ${netns.path}: errno ${-old}`);
    try {
      r = native.spawnConfined(path, argv, env, fds, o.detach, o.dieWithParent, false);
    } finally {
      const back = native.netnsLeave(old);
      // Staying in the container's namespace would put this command's later sockets there.
      if (back < 0) {
        if (Array.isArray(r)) {
          killQuietly(r[0]);
          fs.closeSync(r[1]);
        }
        throw new ConfineError(`cannot return to this command's network namespace: errno ${-back}`);
      }
    }
  } else {
    r = native.spawnConfined(path, argv, env, fds, o.detach, o.dieWithParent, netns === 'new');
  }
  if (typeof r === 'number') {
    throw new ConfineError(`cannot make the sandbox process's namespaces: errno ${-r}` +
      (-r === 1 || -r === 28 ? ' (are user namespaces allowed on this host?)' : ''));
  }
  const [pid, sync] = r;
  try {
    const uid = process.geteuid?.() ?? 0;
    const gid = process.getegid?.() ?? 0;
    if (uid === 0) {
      fs.writeFileSync(`/proc/${pid}/uid_map`, '0 0 4294967295\n');
      fs.writeFileSync(`/proc/${pid}/gid_map`, '0 0 4294967295\n');
    } else {
      fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny\n');
      fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${uid} 1\n`);
      fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${gid} 1\n`);
    }
    o.beforeRun?.(pid);
    fs.writeSync(sync, 'g');
  } catch (e) {
    killQuietly(pid);
    throw e instanceof ConfineError ? e : new ConfineError(`cannot set up the sandbox process: ${(e as Error).message}`);
  } finally {
    fs.closeSync(sync);
  }
  return pid;
}

/** SIGKILL to pid, if it is still there. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

function openNetns(p: string): number {
  try {
    // Non-blocking: a FIFO at that path must not hang the command (setns then refuses
    // anything that is not a network namespace). node adds O_CLOEXEC.
    return fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY);
  } catch (e) {
    throw new ConfineError(`cannot open the network namespace ${p}: ${(e as Error).message}`);
  }
}

/**
 * Runs fn in the network namespace at nsPath (this thread only), for reading and writing
 * a container's network sysctls in /proc/sys/net (which shows the reader's namespace);
 * writes need the host's privileges over that namespace, which the sandbox process lacks.
 */
export function inNetns<T>(nsPath: string, fn: () => T): T {
  const nsFd = openNetns(nsPath);
  const old = native.netnsEnter(nsFd);
  fs.closeSync(nsFd);
  if (old < 0) throw new ConfineError(`cannot enter the network namespace ${nsPath}: errno ${-old}`);
  try {
    return fn();
  } finally {
    const back = native.netnsLeave(old);
    if (back < 0) throw new ConfineError(`cannot return to this command's network namespace: errno ${-back}`);
  }
}

/**
 * Replaces the directory fd by one of the same directory through a bind mount of its own
 * in the new root (read-only when asked), at the same number; with file, by a directory
 * holding only that file of it, bind-mounted (see native/confine.cc).
 */
export function stageDirFd(fd: number, readOnly: boolean, file?: string): void {
  const r = native.stageDirFd(fd, readOnly, file);
  if (r < 0) throw new ConfineError(`cannot move a host directory into the sandbox process's root: errno ${-r}`);
}

/** Pivots into an empty read-only root and keeps only the capabilities in keepCaps. */
export function confineSelf(keepCaps: number[]): void {
  let mask = 0n;
  for (const c of keepCaps) mask |= 1n << BigInt(c);
  const r = native.confineSelf(Number(mask));
  if (r < 0) throw new ConfineError(`cannot confine the sandbox process: errno ${-r}`);
}

/** Installs a compiled allow-list on every thread of this process. */
export function installHostFilter(program: Uint8Array): void {
  const r = native.installFilter(program);
  if (r < 0) throw new ConfineError(`cannot install the sandbox process's seccomp filter: errno ${-r}`);
}

/**
 * Waits for a sandbox process started by spawnConfined; its wait status. A signal this
 * process gets is passed on when forward is set and the sandbox process handles it;
 * otherwise (and for any signal with forward unset) the sandbox process is killed and this
 * process dies of the same signal, as a plain command would.
 */
export function waitConfined(pid: number, forward: boolean): number {
  return native.waitConfined(pid, forward);
}

/** A pipe: [read end, write end], both close-on-exec. */
export function pipePair(): [number, number] {
  const r = native.pipePair();
  if (typeof r === 'number') throw new ConfineError(`cannot make a pipe: errno ${-r}`);
  return r;
}

/** Waits (blocking) for a child; its wait status or -errno. */
export function waitPid(pid: number): number {
  return native.waitPid(pid);
}
