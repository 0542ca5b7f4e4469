// /proc: /proc/self, and per process /proc/[pid]/{cmdline, comm, cwd, environ, exe,
// fd/, maps, root, stat, status}. Everything is generated from the kernel's task
// registry (through a ProcSource) when it is looked up or opened; nothing is cached in
// the dentry tree because processes come and go by themselves.
//
// fd/N, cwd and root are "magic links": following them goes straight to the open file
// or directory (even one that was deleted, or a pipe), as on Linux, instead of
// re-walking the text readlink shows.
import * as E from '../../abi/errno';
import type { Credentials } from '../../auth/creds';
import { DT_DIR, DT_LNK, DT_REG, S_IFDIR, S_IFLNK, S_IFREG, isDir } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { DirectoryFile, FileDescription } from '../../vfs/file';
import { DirEntry, FileSystem, Inode, LinkTarget } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { displayPath } from '../../vfs/ops';
import { DateTimeSource, Stat, TimeSource } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';
import type { ProcProcess, ProcSource, SystemSource } from './source';
import { InoAllocator, SynthDir, SynthTextFD } from '../synth/tree';
import { buildProcSystem } from './system';
import { mountInfoText, mountsText } from './mounts';

export const PROC_SUPER_MAGIC = 0x9fa0;
const PID_SHIFT = 256;
/** Inode numbers of the system files: above every pid's range (PID_MAX * PID_SHIFT). */
const SYSTEM_INO_BASE = 0x100000000;

const noSource: ProcSource = { process: () => null, tgids: () => [], thread: () => null };

export class ProcFs extends FileSystem {
  readonly name = 'proc';
  readonly magic = PROC_SUPER_MAGIC;
  private readonly rootInode: ProcRoot;
  /** Where processes are read from; settable because the kernel is made after the VFS. */
  source: ProcSource = noSource;
  /** Where the system files (meminfo, sys/...) read from; set with the kernel. */
  system: SystemSource | null = null;
  /** The system files and sys/ (system.ts), as children of the root. */
  readonly systemDir: SynthDir;

  constructor(readonly clock: TimeSource = new DateTimeSource()) {
    super();
    this.rootInode = new ProcRoot(this);
    this.systemDir = buildProcSystem(this, clock, () => this.system, new InoAllocator(SYSTEM_INO_BASE));
  }

  root(): Inode {
    return this.rootInode;
  }

  now(st: Stat): void {
    this.clock.read(0);
    st.atimeSec = st.mtimeSec = st.ctimeSec = this.clock.ts[0];
    st.atimeNsec = st.mtimeNsec = st.ctimeNsec = this.clock.ts[1];
  }
}

abstract class ProcNode extends Inode {
  abstract override readonly mode: number;
  constructor(readonly fs: ProcFs, readonly ino: number, readonly uid = 0, readonly gid = 0) {
    super();
  }

  override get cacheChildren(): boolean {
    return false;
  }

  protected get linkCount(): number {
    return isDir(this.mode) ? 2 : 1;
  }

  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.mode = this.mode;
    st.nlink = this.linkCount;
    st.uid = this.uid;
    st.gid = this.gid;
    st.blksize = 1024;
    this.fs.now(st);
  }

  open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return new DirectoryFile(mnt, d, flags);
  }

  /** Nothing can be created here (Linux: no ->create, so open(O_CREAT) is EACCES). */
  override create(): number {
    return -E.EACCES;
  }
}

/** /proc */
class ProcRoot extends ProcNode {
  readonly mode = S_IFDIR | 0o555;
  constructor(fs: ProcFs) {
    super(fs, 1);
  }

  override lookup(t: VfsTask, name: string): Inode | number {
    const sys = this.fs.systemDir.lookup(t, name);
    if (typeof sys !== 'number') return sys;
    if (name === 'self') return new ProcSelf(this.fs);
    if (name === 'thread-self') return new ProcThreadSelf(this.fs);
    if (name === 'mounts') return new ProcMountsLink(this.fs);
    const id = parseId(name);
    if (id < 0) return -E.ENOENT;
    const p = this.fs.source.process(id);
    if (p === null) return -E.ENOENT;
    return new ProcPidDir(this.fs, id, p.creds);
  }

  override readdir(): DirEntry[] {
    const out: DirEntry[] = [{ name: 'self', ino: 2, type: DT_LNK }, { name: 'thread-self', ino: 3, type: DT_LNK },
      { name: 'mounts', ino: 4, type: DT_LNK }];
    for (const pid of this.fs.source.tgids()) out.push({ name: String(pid), ino: pid * PID_SHIFT, type: DT_DIR });
    for (const e of this.fs.systemDir.readdir()) out.push(e);
    return out;
  }
}

/** A decimal number without leading zeros or sign, else -1. */
function parseId(name: string): number {
  if (name.length === 0 || name.length > 10) return -1;
  if (name.length > 1 && name.charCodeAt(0) === 48) return -1;
  let v = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v <= 0x7fffffff ? v : -1;
}

/** /proc/self -> "<caller's tgid>" */
class ProcSelf extends ProcNode {
  readonly mode = S_IFLNK | 0o777;
  constructor(fs: ProcFs) {
    super(fs, 2);
  }
  override readlink(t: VfsTask): string {
    return String(t.tgid);
  }
  override open(): number {
    return -E.ELOOP;
  }
}

/** /proc/mounts -> "self/mounts" (as on Linux since 2.6.25) */
class ProcMountsLink extends ProcNode {
  readonly mode = S_IFLNK | 0o777;
  constructor(fs: ProcFs) {
    super(fs, 4);
  }
  override readlink(): string {
    return 'self/mounts';
  }
  override open(): number {
    return -E.ELOOP;
  }
}

/** /proc/thread-self -> "<tgid>/task/<tid>" */
class ProcThreadSelf extends ProcNode {
  readonly mode = S_IFLNK | 0o777;
  constructor(fs: ProcFs) {
    super(fs, 3);
  }
  override readlink(t: VfsTask): string {
    return `${t.tgid}/task/${t.tid}`;
  }
  override open(): number {
    return -E.ELOOP;
  }
}

type Gen = (p: ProcProcess, t: VfsTask) => Buffer | string;

/** Rows of /proc/pid/limits in RLIMIT_* order: name and unit, as Linux prints them. */
const LIMIT_ROWS: [string, string][] = [
  ['Max cpu time', 'seconds'], ['Max file size', 'bytes'], ['Max data size', 'bytes'], ['Max stack size', 'bytes'],
  ['Max core file size', 'bytes'], ['Max resident set', 'bytes'], ['Max processes', 'processes'],
  ['Max open files', 'files'], ['Max locked memory', 'bytes'], ['Max address space', 'bytes'],
  ['Max file locks', 'locks'], ['Max pending signals', 'signals'], ['Max msgqueue size', 'bytes'],
  ['Max nice priority', ''], ['Max realtime priority', ''], ['Max realtime timeout', 'us'],
];

function limitsText(p: ProcProcess): string {
  const r = p.rlimits;
  const v = (x: number) => (Number.isFinite(x) ? String(x) : 'unlimited');
  let out = `${'Limit'.padEnd(25)} ${'Soft Limit'.padEnd(20)} ${'Hard Limit'.padEnd(20)} ${'Units'.padEnd(10)}\n`;
  LIMIT_ROWS.forEach(([name, unit], i) => {
    const cur = r !== null ? v(r.cur[i]) : 'unlimited', max = r !== null ? v(r.max[i]) : 'unlimited';
    out += `${name.padEnd(25)} ${cur.padEnd(20)} ${max.padEnd(20)} ${unit === '' ? '' : unit.padEnd(10)}\n`;
  });
  return out;
}

interface PidEntry {
  name: string;
  kind: 'file' | 'link' | 'fd' | 'task';
  mode: number;
  gen?: Gen;
}

const PID_ENTRIES: PidEntry[] = [
  { name: 'cgroup', kind: 'file', mode: 0o444, gen: () => '0::/\n' },
  { name: 'cmdline', kind: 'file', mode: 0o444, gen: (p) => memRange(p, 'arg') },
  { name: 'comm', kind: 'file', mode: 0o644, gen: (p) => p.comm + '\n' },
  { name: 'cwd', kind: 'link', mode: 0o777 },
  { name: 'environ', kind: 'file', mode: 0o400, gen: (p) => memRange(p, 'env') },
  { name: 'exe', kind: 'link', mode: 0o777 },
  { name: 'fd', kind: 'fd', mode: 0o500 },
  { name: 'limits', kind: 'file', mode: 0o444, gen: limitsText },
  { name: 'maps', kind: 'file', mode: 0o444, gen: (p) => (p.mm !== null ? p.mm.mapsText() : '') },
  { name: 'mountinfo', kind: 'file', mode: 0o444, gen: (p) => (p.fs !== null ? mountInfoText(p.fs.root) : '') },
  { name: 'mounts', kind: 'file', mode: 0o444, gen: (p) => (p.fs !== null ? mountsText(p.fs.root) : '') },
  { name: 'root', kind: 'link', mode: 0o777 },
  { name: 'stat', kind: 'file', mode: 0o444, gen: statText },
  { name: 'status', kind: 'file', mode: 0o444, gen: statusText },
  { name: 'task', kind: 'task', mode: 0o555 },
];
/** What /proc/[pid]/task/[tid] holds: the same, less the task directory itself. */
const TID_ENTRIES = PID_ENTRIES.filter((e) => e.kind !== 'task');

/** /proc/[pid], and /proc/[pid]/task/[tid] when tid is set (a thread's view). */
class ProcPidDir extends ProcNode {
  readonly mode = S_IFDIR | 0o555;
  constructor(fs: ProcFs, readonly pid: number, creds: Credentials, readonly tid = 0) {
    super(fs, tid === 0 ? pid * PID_SHIFT : tid * PID_SHIFT + 128, creds.euid, creds.egid);
  }

  private get entries(): PidEntry[] {
    return this.tid === 0 ? PID_ENTRIES : TID_ENTRIES;
  }

  private view(): ProcProcess | null {
    return this.tid === 0 ? this.fs.source.process(this.pid) : this.fs.source.thread(this.pid, this.tid);
  }

  override lookup(_t: VfsTask, name: string): Inode | number {
    const i = this.entries.findIndex((e) => e.name === name);
    if (i < 0) return -E.ENOENT;
    const p = this.view();
    if (p === null) return -E.ENOENT;
    const e = this.entries[i];
    const ino = this.ino + 1 + i;
    switch (e.kind) {
      case 'file': return new ProcPidFile(this.fs, ino, this.pid, e, p.creds, this.tid);
      case 'link': return new ProcPidLink(this.fs, ino, this.pid, e.name, p.creds);
      case 'task': return new ProcTaskDir(this.fs, ino, this.pid, p.creds);
      default: return new ProcFdDir(this.fs, ino, this.pid, p.creds);
    }
  }

  override readdir(): DirEntry[] | number {
    if (this.view() === null) return -E.ENOENT;
    return this.entries.map((e, i) => ({
      name: e.name,
      ino: this.ino + 1 + i,
      type: e.kind === 'file' ? DT_REG : e.kind === 'link' ? DT_LNK : DT_DIR,
    }));
  }
}

/** /proc/[pid]/task: one directory per thread. */
class ProcTaskDir extends ProcNode {
  readonly mode = S_IFDIR | 0o555;
  constructor(fs: ProcFs, ino: number, readonly pid: number, creds: Credentials) {
    super(fs, ino, creds.euid, creds.egid);
  }

  override lookup(_t: VfsTask, name: string): Inode | number {
    const tid = parseId(name);
    const p = tid < 0 ? null : this.fs.source.thread(this.pid, tid);
    if (p === null) return -E.ENOENT;
    return new ProcPidDir(this.fs, this.pid, p.creds, tid);
  }

  override readdir(): DirEntry[] | number {
    const p = this.fs.source.process(this.pid);
    if (p === null) return -E.ENOENT;
    return p.tids.map((tid) => ({ name: String(tid), ino: tid * PID_SHIFT + 128, type: DT_DIR }));
  }
}

/** A generated file: its text is taken when it is opened. */
class ProcPidFile extends ProcNode {
  readonly mode: number;
  constructor(fs: ProcFs, ino: number, readonly pid: number, readonly entry: PidEntry, creds: Credentials, readonly tid = 0) {
    super(fs, ino, creds.euid, creds.egid);
    this.mode = S_IFREG | entry.mode;
  }

  override open(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    const p = this.tid === 0 ? this.fs.source.process(this.pid) : this.fs.source.thread(this.pid, this.tid);
    if (p === null) return -E.ENOENT;
    const gen = this.entry.gen as Gen;
    const v = gen(p, t);
    return new SynthTextFD(mnt, d, flags, typeof v === 'string' ? Buffer.from(v, 'latin1') : v, false);
  }
}

/** exe, cwd, root */
class ProcPidLink extends ProcNode {
  readonly mode = S_IFLNK | 0o777;
  constructor(fs: ProcFs, ino: number, readonly pid: number, readonly which: string, creds: Credentials) {
    super(fs, ino, creds.euid, creds.egid);
  }

  override readlink(_t: VfsTask): string | number {
    const p = this.fs.source.process(this.pid);
    if (p === null) return -E.ENOENT;
    if (this.which === 'exe') return p.mm !== null && p.mm.exePath !== '' ? p.mm.exePath : -E.ENOENT;
    const fs = p.fs;
    if (fs === null) return -E.ENOENT;
    const at = this.which === 'cwd' ? fs.cwd : fs.root;
    return displayPath(fs.root, at.mnt, at.d);
  }

  override getLink(_t: VfsTask): LinkTarget | number | null {
    if (this.which === 'exe') return null; // resolved from its text
    const p = this.fs.source.process(this.pid);
    if (p === null || p.fs === null) return -E.ENOENT;
    return this.which === 'cwd' ? p.fs.cwd : p.fs.root;
  }

  override open(): number {
    return -E.ELOOP;
  }
}

/** /proc/[pid]/fd */
class ProcFdDir extends ProcNode {
  readonly mode = S_IFDIR | 0o500;
  constructor(fs: ProcFs, ino: number, readonly pid: number, creds: Credentials) {
    super(fs, ino, creds.euid, creds.egid);
  }

  override lookup(_t: VfsTask, name: string): Inode | number {
    const n = parseId(name);
    if (n < 0) return -E.ENOENT;
    const p = this.fs.source.process(this.pid);
    if (p === null || p.fdTable === null) return -E.ENOENT;
    const f = p.fdTable.get(n);
    if (f === null) return -E.ENOENT;
    let mode = S_IFLNK;
    if (f.readable) mode |= 0o500;
    if (f.writable) mode |= 0o300;
    return new ProcFdLink(this.fs, this.ino + 0x100000 + n, this.pid, n, mode, p.creds);
  }

  override readdir(): DirEntry[] | number {
    const p = this.fs.source.process(this.pid);
    if (p === null || p.fdTable === null) return -E.ENOENT;
    return p.fdTable.fds().map((fd) => ({ name: String(fd), ino: this.ino + 0x100000 + fd, type: DT_LNK }));
  }
}

/** /proc/[pid]/fd/N: a magic link to the open file. */
class ProcFdLink extends ProcNode {
  constructor(fs: ProcFs, ino: number, readonly pid: number, readonly fd: number, readonly mode: number,
    creds: Credentials) {
    super(fs, ino, creds.euid, creds.egid);
  }

  override stat(st: Stat): void {
    super.stat(st);
    st.size = 64;
  }

  private file(): FileDescription | null {
    const p = this.fs.source.process(this.pid);
    if (p === null || p.fdTable === null) return null;
    return p.fdTable.get(this.fd);
  }

  override readlink(_t: VfsTask): string | number {
    const f = this.file();
    if (f === null) return -E.ENOENT;
    const anon = f.anonName;
    if (anon !== '') return anon;
    const p = this.fs.source.process(this.pid);
    const root = p !== null && p.fs !== null ? p.fs.root : null;
    if (root === null) return f.dentry.name;
    return displayPath(root, f.mnt, f.dentry);
  }

  override getLink(_t: VfsTask): LinkTarget | number | null {
    const f = this.file();
    if (f === null) return -E.ENOENT;
    return { mnt: f.mnt, d: f.dentry };
  }

  override open(): number {
    return -E.ELOOP;
  }
}

// ---- generated texts ------------------------------------------------------------------------

function memRange(p: ProcProcess, which: 'arg' | 'env'): Buffer {
  const mm = p.mm;
  if (mm === null) return Buffer.alloc(0);
  const start = which === 'arg' ? mm.argStart : mm.envStart;
  const end = which === 'arg' ? mm.argEnd : mm.envEnd;
  if (end <= start) return Buffer.alloc(0);
  const b = Buffer.alloc(end - start);
  return mm.copyIn(start, b, 0, end - start) < 0 ? Buffer.alloc(0) : b;
}

const STATE_NAMES: Record<string, string> = {
  R: 'R (running)', S: 'S (sleeping)', D: 'D (disk sleep)', T: 'T (stopped)', Z: 'Z (zombie)',
};

function kb(bytes: number): string {
  return String(Math.floor(bytes / 1024)).padStart(8) + ' kB';
}

function capHex(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

function statusText(p: ProcProcess): string {
  const c = p.creds;
  const s = p.mm !== null ? p.mm.stats() : { size: 0, data: 0, stack: 0 };
  const umask = p.fs !== null ? p.fs.umask : 0o022;
  const groups = c.groups.map((g) => `${g} `).join('');
  const pid = p.tgid;
  const lines = [
    `Name:\t${p.comm}`,
    `Umask:\t${umask.toString(8).padStart(4, '0')}`,
    `State:\t${STATE_NAMES[p.state] ?? p.state}`,
    `Tgid:\t${pid}`,
    'Ngid:\t0',
    `Pid:\t${pid}`,
    `PPid:\t${p.ppid}`,
    'TracerPid:\t0',
    `Uid:\t${c.uid}\t${c.euid}\t${c.suid}\t${c.fsuid}`,
    `Gid:\t${c.gid}\t${c.egid}\t${c.sgid}\t${c.fsgid}`,
    `FDSize:\t${p.fdTable !== null ? p.fdTable.size : 0}`,
    `Groups:\t${groups}`,
    `NStgid:\t${pid}`,
    `NSpid:\t${pid}`,
    `NSpgid:\t${p.pgid}`,
    `NSsid:\t${p.sid}`,
    'Kthread:\t0',
    `VmPeak:\t${kb(s.size)}`,
    `VmSize:\t${kb(s.size)}`,
    `VmLck:\t${kb(0)}`,
    `VmPin:\t${kb(0)}`,
    `VmHWM:\t${kb(s.size)}`,
    `VmRSS:\t${kb(s.size)}`,
    `RssAnon:\t${kb(s.data)}`,
    `RssFile:\t${kb(Math.max(0, s.size - s.data - s.stack))}`,
    `RssShmem:\t${kb(0)}`,
    `VmData:\t${kb(s.data)}`,
    `VmStk:\t${kb(s.stack)}`,
    `VmExe:\t${kb(0)}`,
    `VmLib:\t${kb(0)}`,
    `VmPTE:\t${kb(0)}`,
    `VmSwap:\t${kb(0)}`,
    `HugetlbPages:\t${kb(0)}`,
    'CoreDumping:\t0',
    'THP_enabled:\t1',
    'untag_mask:\t0xffffffffffffffff',
    `Threads:\t${p.tids.length}`,
    'SigQ:\t0/63704',
    'SigPnd:\t0000000000000000',
    'ShdPnd:\t0000000000000000',
    'SigBlk:\t0000000000000000',
    'SigIgn:\t0000000000000000',
    'SigCgt:\t0000000000000000',
    `CapInh:\t${capHex(c.inheritable.lo, c.inheritable.hi)}`,
    `CapPrm:\t${capHex(c.permitted.lo, c.permitted.hi)}`,
    `CapEff:\t${capHex(c.effective.lo, c.effective.hi)}`,
    `CapBnd:\t${capHex(c.bounding.lo, c.bounding.hi)}`,
    `CapAmb:\t${capHex(c.ambient.lo, c.ambient.hi)}`,
    `NoNewPrivs:\t${c.noNewPrivs ? 1 : 0}`,
    'Seccomp:\t0',
    'Seccomp_filters:\t0',
    'Speculation_Store_Bypass:\tthread vulnerable',
    'SpeculationIndirectBranch:\tconditional enabled',
    'Cpus_allowed:\t3',
    'Cpus_allowed_list:\t0-1',
    'Mems_allowed:\t00000000,00000001',
    'Mems_allowed_list:\t0',
    'voluntary_ctxt_switches:\t0',
    'nonvoluntary_ctxt_switches:\t0',
  ];
  return lines.join('\n') + '\n';
}

function statText(p: ProcProcess): string {
  const mm = p.mm;
  const s = mm !== null ? mm.stats() : { size: 0, data: 0, stack: 0 };
  const f = [
    p.tgid, `(${p.comm})`, p.state, p.ppid, p.pgid, p.sid,
    p.ttyNr ?? 0, p.tpgid ?? -1, 4194304, 0, 0, 0, 0, // tty_nr tpgid flags minflt cminflt majflt cmajflt
    0, 0, 0, 0, 20, 0, p.tids.length, 0, 0, // utime stime cutime cstime priority nice threads itreal starttime
    s.size, Math.floor(s.size / 4096), '18446744073709551615',
    0, 0, 0, 0, 0, // startcode endcode startstack kstkesp kstkeip
    0, 0, 0, 0, 0, 0, 0, // signal blocked sigignore sigcatch wchan nswap cnswap
    17, 0, 0, 0, 0, 0, 0, // exit_signal processor rt_priority policy blkio guest cguest
    0, 0, mm !== null ? mm.brkStart : 0, // start_data end_data start_brk
    mm !== null ? mm.argStart : 0, mm !== null ? mm.argEnd : 0,
    mm !== null ? mm.envStart : 0, mm !== null ? mm.envEnd : 0, 0,
  ];
  return f.join(' ') + '\n';
}
