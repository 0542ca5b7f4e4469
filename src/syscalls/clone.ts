// Process and thread creation: fork, vfork, clone, clone3.
import * as E from '../abi/errno';
import { CLONE_VFORK, CLONE_VM, CloneArgs, CloneHooks, doClone } from '../kernel/fork';
import type { Task } from '../kernel/task';
import { SIGCHLD } from '../kernel/signals';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

/** Set by the sandbox layer: how fd tables, fs contexts and pidfds are copied. */
export const cloneHooks: { hooks: CloneHooks | null } = { hooks: null };

function run(t: Task, a: CloneArgs): number {
  if (t.restarting) {
    // A vfork parent: wait until the child has exec'd or exited.
    const child = t.kernel.threadGroups.get(t.vforkChild);
    if (child !== undefined && child.vforkDone !== null) return t.block(child.vforkDone, -1, -1);
    return t.vforkChild;
  }
  const hooks = cloneHooks.hooks;
  if (hooks === null) return -E.ENOSYS;
  const tid = doClone(t.kernel, t, a, hooks);
  if (tid < 0 || (a.flags & CLONE_VFORK) === 0) return tid;
  const child = t.kernel.threadGroups.get(tid);
  if (child === undefined || child.vforkDone === null) return tid;
  t.vforkChild = tid;
  return t.block(child.vforkDone, -1, -1);
}

const args = (): CloneArgs => ({ flags: 0, flagsHi: 0, exitSignal: 0, stack: 0, tls: 0, parentTid: 0, childTid: 0, pidfd: 0 });

function fork(t: Task): number {
  const a = args();
  a.exitSignal = SIGCHLD;
  return run(t, a);
}

function vfork(t: Task): number {
  const a = args();
  a.flags = CLONE_VM | CLONE_VFORK;
  a.exitSignal = SIGCHLD;
  return run(t, a);
}

function clone(t: Task, flags: number, stack: number, parentTid: number, childTid: number, tls: number): number {
  const a = args();
  a.flags = flags & ~0xff;
  a.exitSignal = flags & 0xff;
  a.stack = stack;
  a.parentTid = parentTid;
  a.pidfd = parentTid; // legacy clone returns the pidfd through parent_tid
  a.childTid = childTid;
  a.tls = tls;
  if ((a.flags & 0x1000 /* CLONE_PIDFD */) !== 0 && (a.flags & 0x100000 /* CLONE_PARENT_SETTID */) !== 0) return -E.EINVAL;
  if ((a.flags & 0x10000 /* CLONE_THREAD */) !== 0) a.exitSignal = 0;
  return run(t, a);
}

const CLONE_ARGS_SIZE_VER0 = 64;

function clone3(t: Task, uargs: number, size: number): number {
  if (t.restarting) return run(t, args());
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) return -E.EINVAL;
  if (t.mm.copyIn(uargs, scratch, 0, size) < 0) return -E.EFAULT;
  // Fields beyond what we know must be zero (forward compatibility rule).
  for (let i = 88; i < size; i++) if (scratch[i] !== 0) return -E.E2BIG;
  const u64 = (o: number) => scratch.readUInt32LE(o + 4) * 4294967296 + scratch.readUInt32LE(o);
  const a = args();
  a.flags = scratch.readUInt32LE(0) | 0;
  a.flagsHi = scratch.readUInt32LE(4);
  if ((a.flagsHi & ~3) !== 0) return -E.EINVAL;
  a.pidfd = u64(8);
  a.childTid = u64(16);
  a.parentTid = u64(24);
  const exitSignal = u64(32);
  const stack = u64(40), stackSize = u64(48);
  a.tls = u64(56);
  if (size >= 80) {
    const setTid = u64(64), setTidSize = u64(72);
    if (setTidSize !== 0 || setTid !== 0) return -E.EPERM; // choosing pids needs CAP_SYS_ADMIN over the host namespace
  }
  if (size >= 88 && u64(80) !== 0) return -E.EINVAL; // cgroup without CLONE_INTO_CGROUP
  if (exitSignal > 64) return -E.EINVAL;
  if ((a.flags & 0xff) !== 0) return -E.EINVAL; // the signal goes in exit_signal
  if ((stack === 0) !== (stackSize === 0)) return -E.EINVAL;
  a.exitSignal = (a.flags & 0x10000) !== 0 ? 0 : exitSignal;
  a.stack = stack === 0 ? 0 : stack + stackSize;
  return run(t, a);
}

export function register(tbl: SyscallTable): void {
  const note = 'new namespaces (CLONE_NEW*) are refused with EPERM';
  tbl.def(NR.fork, fork);
  tbl.def(NR.vfork, vfork);
  tbl.def(NR.clone, clone, 'partial', note);
  tbl.def(NR.clone3, clone3, 'partial', `${note}; set_tid and CLONE_INTO_CGROUP are refused`);
}
