// Process basics: exit, ids, execve, thread-pointer and robust-list bookkeeping,
// resource limits, prctl. fork/clone/wait live with the process-model work.
import * as E from '../abi/errno';
import { CAP_SYS_RESOURCE, CAP_SETPCAP } from '../auth/creds';
import { buildImage } from '../kernel/exec';
import { EXITED, NO_RETURN } from '../kernel/results';
import { SIGKILL } from '../kernel/signals';
import type { Task } from '../kernel/task';
import { RLIMIT_NOFILE, RLIMIT_STACK, RLIM_NLIMITS } from '../kernel/threadgroup';
import { FS_BASE, GS_BASE, RAX, getReg, setReg } from '../platform/regs';
import { TASK_SIZE } from '../platform/layout';
import { NR } from './names';
import { SyscallTable } from './table';
import { readPath, readStringArray, readU64, scratch, writeI32, writeU64 } from './util';

function exit(t: Task, status: number): number {
  t.kernel.exitTask(t, status & 0xff, 0);
  return EXITED;
}

function exitGroup(t: Task, status: number): number {
  t.kernel.exitGroup(t.tg, status & 0xff, 0);
  return EXITED;
}

const getpid = (t: Task) => t.tgid;
const gettid = (t: Task) => t.tid;
const getppid = (t: Task) => (t.tg.parent !== null ? t.tg.parent.tgid : 0);
const getuid = (t: Task) => t.creds.uid;
const geteuid = (t: Task) => t.creds.euid;
const getgid = (t: Task) => t.creds.gid;
const getegid = (t: Task) => t.creds.egid;

function getgroups(t: Task, size: number, list: number): number {
  size |= 0;
  const g = t.creds.groups;
  if (size < 0) return -E.EINVAL;
  if (size === 0) return g.length;
  if (size < g.length) return -E.EINVAL;
  for (let i = 0; i < g.length; i++) scratch.writeUInt32LE(g[i] >>> 0, i * 4);
  const r = t.mm.copyOut(list, scratch, 0, g.length * 4);
  return r < 0 ? r : g.length;
}

function writeIdTriple(t: Task, a: number, b: number, c: number, x: number, y: number, z: number): number {
  if (writeI32(t, a, x) < 0 || writeI32(t, b, y) < 0 || writeI32(t, c, z) < 0) return -E.EFAULT;
  return 0;
}
const getresuid = (t: Task, a: number, b: number, c: number) => writeIdTriple(t, a, b, c, t.creds.uid, t.creds.euid, t.creds.suid);
const getresgid = (t: Task, a: number, b: number, c: number) => writeIdTriple(t, a, b, c, t.creds.gid, t.creds.egid, t.creds.sgid);

function setTidAddress(t: Task, addr: number): number {
  t.clearChildTid = addr;
  return t.tid;
}

function setRobustList(t: Task, head: number, len: number): number {
  if (len !== 24) return -E.EINVAL;
  t.robustList = head;
  t.robustLen = len;
  return 0;
}

function getRobustList(t: Task, pid: number, headPtr: number, lenPtr: number): number {
  pid |= 0;
  const target = pid === 0 ? t : t.kernel.tasks.get(pid);
  if (target === undefined) return -E.ESRCH;
  if (writeU64(t, headPtr, target.robustList) < 0 || writeU64(t, lenPtr, 24) < 0) return -E.EFAULT;
  return 0;
}

const ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004,
  ARCH_GET_CPUID = 0x1011, ARCH_SET_CPUID = 0x1012;

function archPrctl(t: Task, code: number, addr: number): number {
  switch (code | 0) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
      if (addr < 0 || addr >= TASK_SIZE) return -E.EPERM;
      setReg(t.regs, (code | 0) === ARCH_SET_FS ? FS_BASE : GS_BASE, addr);
      setReg(t.regs, RAX, 0);
      return NO_RETURN; // all registers are written back, fs_base among them
    case ARCH_GET_FS:
      return writeU64(t, addr, getReg(t.regs, FS_BASE));
    case ARCH_GET_GS:
      return writeU64(t, addr, getReg(t.regs, GS_BASE));
    case ARCH_GET_CPUID:
      return 1;
    case ARCH_SET_CPUID:
      return -E.ENODEV;
    default:
      return -E.EINVAL;
  }
}

/** Reads struct rlimit64; values >= 2^63 (incl. RLIM_INFINITY) become Infinity. */
function readRlimit(t: Task, addr: number): [number, number] | number {
  const cur = readU64(t, addr), max = readU64(t, addr + 8);
  if (cur === null || max === null) return -E.EFAULT;
  return [cur < 0 ? Infinity : cur, max < 0 ? Infinity : max];
}

function writeRlimit(t: Task, addr: number, cur: number, max: number): number {
  if (writeU64(t, addr, Number.isFinite(cur) ? cur : -1) < 0) return -E.EFAULT;
  return writeU64(t, addr + 8, Number.isFinite(max) ? max : -1);
}

function prlimit64(t: Task, pid: number, resource: number, newp: number, oldp: number): number {
  pid |= 0;
  resource |= 0;
  if (resource < 0 || resource >= RLIM_NLIMITS) return -E.EINVAL;
  const target = pid === 0 ? t : t.kernel.tasks.get(pid);
  if (target === undefined) return -E.ESRCH;
  const rl = target.tg.rlimits;
  let next: [number, number] | null = null;
  if (newp !== 0) {
    const r = readRlimit(t, newp);
    if (typeof r === 'number') return r;
    if (r[0] > r[1]) return -E.EINVAL;
    if (r[1] > rl.max[resource] && !t.creds.hasCap(CAP_SYS_RESOURCE)) return -E.EPERM;
    if (resource === RLIMIT_NOFILE && r[1] > 1048576) return -E.EPERM; // fs.nr_open
    next = r;
  }
  if (oldp !== 0 && writeRlimit(t, oldp, rl.cur[resource], rl.max[resource]) < 0) return -E.EFAULT;
  if (next !== null) {
    rl.set(resource, next[0], next[1]);
    // The fd table enforces RLIMIT_NOFILE for every thread of the process.
    if (resource === RLIMIT_NOFILE) for (const x of target.tg.tasks) x.fdTable.limit = Number.isFinite(next[0]) ? next[0] : 1048576;
  }
  return 0;
}

const getrlimit = (t: Task, resource: number, addr: number) => {
  resource |= 0;
  if (resource < 0 || resource >= RLIM_NLIMITS) return -E.EINVAL;
  return writeRlimit(t, addr, t.tg.rlimits.cur[resource], t.tg.rlimits.max[resource]);
};
const setrlimit = (t: Task, resource: number, addr: number) => prlimit64(t, 0, resource, addr, 0);

function umask(t: Task, mask: number): number {
  const old = t.fs.umask;
  t.fs.umask = mask & 0o777;
  return old;
}

const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_GET_KEEPCAPS = 7,
  PR_SET_KEEPCAPS = 8, PR_SET_NAME = 15, PR_GET_NAME = 16, PR_GET_SECCOMP = 21, PR_CAPBSET_READ = 23,
  PR_CAPBSET_DROP = 24, PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37, PR_SET_NO_NEW_PRIVS = 38,
  PR_GET_NO_NEW_PRIVS = 39, PR_GET_TID_ADDRESS = 40, PR_SET_THP_DISABLE = 41, PR_GET_THP_DISABLE = 42,
  PR_CAP_AMBIENT = 47, PR_SET_VMA = 0x53564d41;

function prctl(t: Task, option: number, a2: number, a3: number, a4: number, a5: number): number {
  const p = t.tg.prctl;
  switch (option | 0) {
    case PR_SET_NAME: {
      if (t.mm.copyIn(a2, scratch, 0, 16) < 0) {
        // a shorter readable string is fine: read what is there up to a NUL
        const s = t.mm.readCString(a2, 16);
        if (typeof s === 'number' && s !== -E.ENAMETOOLONG) return -E.EFAULT;
        t.comm = typeof s === 'string' ? s : '';
        return 0;
      }
      const z = scratch.indexOf(0);
      t.comm = scratch.toString('latin1', 0, z >= 0 && z < 15 ? z : 15);
      return 0;
    }
    case PR_GET_NAME: {
      scratch.fill(0, 0, 16);
      scratch.write(t.comm, 0, 15, 'latin1');
      return t.mm.copyOut(a2, scratch, 0, 16);
    }
    case PR_SET_PDEATHSIG:
      if (a2 < 0 || a2 > 64) return -E.EINVAL;
      p.pdeathSig = a2;
      return 0;
    case PR_GET_PDEATHSIG:
      return writeI32(t, a2, p.pdeathSig);
    case PR_GET_DUMPABLE:
      return p.dumpable;
    case PR_SET_DUMPABLE:
      if (a2 !== 0 && a2 !== 1) return -E.EINVAL;
      p.dumpable = a2;
      return 0;
    case PR_GET_KEEPCAPS:
      return t.creds.keepCaps ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (a2 !== 0 && a2 !== 1) return -E.EINVAL;
      t.creds.keepCaps = a2 === 1;
      return 0;
    case PR_GET_SECCOMP:
      return 0;
    case PR_CAPBSET_READ:
      if (a2 < 0 || a2 > 40) return -E.EINVAL;
      return t.creds.bounding.has(a2) ? 1 : 0;
    case PR_CAPBSET_DROP:
      if (a2 < 0 || a2 > 40) return -E.EINVAL;
      if (!t.creds.hasCap(CAP_SETPCAP)) return -E.EPERM;
      if (a2 < 32) t.creds.bounding.lo &= ~(1 << a2);
      else t.creds.bounding.hi &= ~(1 << (a2 - 32));
      return 0;
    case PR_SET_CHILD_SUBREAPER:
      p.subreaper = a2 !== 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      return writeI32(t, a2, p.subreaper ? 1 : 0);
    case PR_SET_NO_NEW_PRIVS:
      if (a2 !== 1 || a3 !== 0 || a4 !== 0 || a5 !== 0) return -E.EINVAL;
      t.creds.noNewPrivs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (a2 !== 0 || a3 !== 0 || a4 !== 0 || a5 !== 0) return -E.EINVAL;
      return t.creds.noNewPrivs ? 1 : 0;
    case PR_GET_TID_ADDRESS:
      return writeU64(t, a2, t.clearChildTid);
    case PR_SET_THP_DISABLE:
      p.thpDisable = a2 !== 0;
      return 0;
    case PR_GET_THP_DISABLE:
      return p.thpDisable ? 1 : 0;
    case PR_CAP_AMBIENT:
      if ((a2 | 0) === 1 /* IS_SET */) return t.creds.ambient.has(a3) ? 1 : 0;
      if ((a2 | 0) === 4 /* CLEAR_ALL */) { t.creds.ambient.lo = t.creds.ambient.hi = 0; return 0; }
      if ((a2 | 0) === 2 || (a2 | 0) === 3) {
        // RAISE needs the capability in both permitted and inheritable; LOWER always works.
        if (a3 < 0 || a3 > 40 || a4 !== 0 || a5 !== 0) return -E.EINVAL;
        const amb = t.creds.ambient;
        const bit = a3 < 32 ? 1 << a3 : 1 << (a3 - 32);
        if ((a2 | 0) === 2) {
          if (!t.creds.permitted.has(a3) || !t.creds.inheritable.has(a3)) return -E.EPERM;
          if (a3 < 32) amb.lo = (amb.lo | bit) >>> 0;
          else amb.hi = (amb.hi | bit) >>> 0;
        } else if (a3 < 32) amb.lo = (amb.lo & ~bit) >>> 0;
        else amb.hi = (amb.hi & ~bit) >>> 0;
        return 0;
      }
      return -E.EINVAL;
    case PR_SET_VMA:
      return -E.EINVAL; // no anonymous VMA names (CONFIG_ANON_VMA_NAME off)
    default:
      return -E.EINVAL;
  }
}

/** execve/execveat: the single-threaded case; other threads of the group are ended first. */
function doExecve(t: Task, path: string, argvAddr: number, envpAddr: number): number {
  const argv = readStringArray(t, argvAddr, 2 * 1024 * 1024);
  if (typeof argv === 'number') return argv;
  const envp = readStringArray(t, envpAddr, 2 * 1024 * 1024);
  if (typeof envp === 'number') return envp;
  const file = t.kernel.openExecFor(t, path);
  if (typeof file === 'number') return file;
  const img = buildImage(t.kernel, file, argv, envp, t.creds, t.tg.rlimits, (p) => t.kernel.openExecFor(t, p));
  if (typeof img === 'number') return img;
  // Point of no return: the old image goes away.
  for (const other of t.tg.tasks.slice()) if (other !== t) t.kernel.exitTask(other, 0, SIGKILL);
  if (t.tid !== t.tgid) t.kernel.retid(t, t.tgid);
  const old = t.tg.mm;
  const oldCtx = t.ctx;
  t.tg.cpuBaseNs += old.as.cpuTimeNs();
  t.tg.mm = img.mm;
  t.kernel.replaceContext(t, img.ctx);
  img.mm.exePath = img.exePath;
  // A vfork child borrowed its parent's address space: give it back, wake the parent.
  if (old.sharedWithOthers()) oldCtx.release();
  old.decUsers();
  if (t.tg.vforkDone !== null) {
    t.tg.vforkDone.notify(-1);
    t.tg.vforkDone = null;
  }
  t.fdTable.closeOnExec();
  t.creds.applyExec();
  for (const a of t.tg.sighand.actions) if (a.handler !== 1) { a.handler = 0; a.flags = 0; a.restorer = 0; a.maskLo = a.maskHi = 0; }
  t.signals.altSp = 0;
  t.signals.altSize = 0;
  t.signals.altFlags = 2;
  t.clearChildTid = 0;
  t.robustList = 0;
  // Linux names the process after the file name execve was given (a symlink's own name,
  // a script's name), not the file it led to.
  const base = path.lastIndexOf('/');
  t.comm = path.slice(base + 1, base + 16);
  t.tg.execArgv = img.argv;
  t.tg.didExec = true;
  return NO_RETURN;
}

function execve(t: Task, pathAddr: number, argv: number, envp: number): number {
  const path = readPath(t, pathAddr);
  if (typeof path === 'number') return path;
  return doExecve(t, path, argv, envp);
}

const AT_FDCWD = -100, AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100;

function execveat(t: Task, dirfd: number, pathAddr: number, argv: number, envp: number, flags: number): number {
  dirfd |= 0;
  flags |= 0;
  if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) !== 0) return -E.EINVAL;
  const path = t.mm.readCString(pathAddr, 4096);
  if (typeof path === 'number') return path;
  if (path === '' && (flags & AT_EMPTY_PATH) === 0) return -E.ENOENT;
  if (path.startsWith('/') || dirfd === AT_FDCWD) return doExecve(t, path === '' ? '.' : path, argv, envp);
  const dirPath = t.kernel.fdPath(t, dirfd);
  if (typeof dirPath === 'number') return dirPath;
  return doExecve(t, path === '' ? dirPath : `${dirPath}/${path}`, argv, envp);
}

function schedYield(): number {
  return 0;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.exit, exit);
  tbl.def(NR.exit_group, exitGroup);
  tbl.def(NR.getpid, getpid);
  tbl.def(NR.gettid, gettid);
  tbl.def(NR.getppid, getppid);
  tbl.def(NR.getuid, getuid);
  tbl.def(NR.geteuid, geteuid);
  tbl.def(NR.getgid, getgid);
  tbl.def(NR.getegid, getegid);
  tbl.def(NR.getgroups, getgroups);
  tbl.def(NR.getresuid, getresuid);
  tbl.def(NR.getresgid, getresgid);
  tbl.def(NR.set_tid_address, setTidAddress);
  tbl.def(NR.set_robust_list, setRobustList);
  tbl.def(NR.get_robust_list, getRobustList);
  tbl.def(NR.arch_prctl, archPrctl);
  tbl.def(NR.prlimit64, prlimit64);
  tbl.def(NR.getrlimit, getrlimit);
  tbl.def(NR.setrlimit, setrlimit);
  tbl.def(NR.umask, umask);
  tbl.def(NR.prctl, prctl, 'partial', 'options for seccomp, memory tagging, speculation control and VMA names are refused with EINVAL');
  tbl.def(NR.execve, execve, 'partial', 'set-uid/set-gid bits are not honoured');
  tbl.def(NR.execveat, execveat, 'partial', 'set-uid/set-gid bits are not honoured');
  tbl.def(NR.sched_yield, schedYield);
  tbl.unsupported(NR.rseq, 'restartable sequences are not offered; glibc falls back on ENOSYS');
  void RLIMIT_STACK;
}
