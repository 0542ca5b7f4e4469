// strace-style rendering of system calls for `tsvisor do --strace`.
//
// Every syscall is described by one line in SPECS: an argument kind per register, and
// optionally how to print the return value. Adding a syscall or fixing how one prints is a
// one-line change there; the kinds below are shared by all of them. The output aims to read
// like strace's default (non-verbose) output so people can compare a sandboxed run with a
// native `strace -f` of the same program, but it is written from the kernel ABI, not from
// strace's code, and stays deliberately shorter for big structures.
//
// Tracing is off the hot path, so this file allocates freely; it must never throw, because a
// formatting bug must not take down the sandbox that is being debugged.
import { MAX_SYSCALL, SYSCALL_NAMES } from './names';
import { errnoName } from '../abi/errno';
import { strerror } from '../abi/strerror';

export interface TraceMemory {
  readCString(addr: number, max: number): string | number;
  copyIn(addr: number, dst: Uint8Array, dstOff: number, len: number): number;
}

/** Longest string or buffer prefix shown, like strace's default `-s 32`. */
const STRLEN = 32;
/** Most array elements shown (argv, iovecs, pollfds) before "...". */
const MAX_ELEMS = 32;
/** Largest getdents buffer we are willing to copy just to count entries. */
const MAX_DENTS_COPY = 1 << 20;

// ---- numbers ---------------------------------------------------------------------------

/** Registers arrive as signed 64-bit values in doubles; C prints them unsigned. */
function u64(v: number): bigint {
  return Number.isFinite(v) ? BigInt.asUintN(64, BigInt(Math.trunc(v))) : 0n;
}

/** Like C's "%#lx": zero has no 0x prefix. */
function hex(v: number): string {
  const b = u64(v);
  return b === 0n ? '0' : '0x' + b.toString(16);
}

function ptr(v: number): string {
  return v === 0 ? 'NULL' : hex(v);
}

function udec(v: number): string {
  return u64(v).toString();
}

function sdec(v: number): string {
  return Number.isFinite(v) ? String(Math.trunc(v)) : '0';
}

/** Like C's "%#03o", which strace uses for permission bits: 0644, 022, 000. */
function octMode(v: number): string {
  return (v === 0 ? '0' : '0' + v.toString(8)).padStart(3, '0');
}

type Names = { readonly [k: number]: string | undefined };
type Flags = readonly (readonly [number, string])[];

function enumName(v: number, names: Names, fallback: (v: number) => string = String): string {
  return names[v] ?? fallback(v);
}

/**
 * Names the set bits of a 32-bit flag word. Multi-bit names (O_SYNC, STATX_BASIC_STATS) must
 * come before their parts in the table so they win; leftover bits print as hex so nothing
 * the program passed is hidden.
 */
function flagNames(v: number, table: Flags, zero = '0'): string {
  let rest = v >>> 0;
  const out: string[] = [];
  for (const [bit, name] of table) {
    if (bit !== 0 && ((rest & bit) >>> 0) === bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) out.push('0x' + rest.toString(16));
  return out.length === 0 ? zero : out.join('|');
}

// ---- constant tables (values from the uapi headers) -------------------------------------

const SIGNALS: readonly string[] = [
  '0', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT',
  'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF',
  'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

function sigName(v: number): string {
  const s = v | 0;
  if (s >= 0 && s < SIGNALS.length) return SIGNALS[s];
  if (s === 32) return 'SIGRTMIN';
  if (s > 32 && s <= 64) return `SIGRT_${s - 32}`;
  return String(s);
}

const O_CREAT = 0o100;
const O_TMPFILE_BIT = 0o20000000;
const OPEN_FLAGS: Flags = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o4010000, 'O_SYNC'], [0o10000, 'O_DSYNC'], [0o20000, 'O_ASYNC'],
  [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'], [0o20200000, 'O_TMPFILE'], [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'], [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'],
];

function openFlags(v: number): string {
  const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', '0x3'][v & 3];
  const rest = flagNames(v & ~3, OPEN_FLAGS, '');
  return rest === '' ? acc : `${acc}|${rest}`;
}

const FILE_TYPES: Names = {
  0o140000: 'S_IFSOCK', 0o120000: 'S_IFLNK', 0o100000: 'S_IFREG', 0o060000: 'S_IFBLK',
  0o040000: 'S_IFDIR', 0o020000: 'S_IFCHR', 0o010000: 'S_IFIFO',
};

/** st_mode style: S_IFREG|S_ISUID|0755. */
function typedMode(m: number): string {
  const parts: string[] = [];
  const type = m & 0o170000;
  if (type !== 0) parts.push(FILE_TYPES[type] ?? octMode(type));
  if (m & 0o4000) parts.push('S_ISUID');
  if (m & 0o2000) parts.push('S_ISGID');
  if (m & 0o1000) parts.push('S_ISVTX');
  parts.push(octMode(m & 0o777));
  return parts.join('|');
}

const AT_FLAGS: Flags = [
  [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x400, 'AT_SYMLINK_FOLLOW'], [0x800, 'AT_NO_AUTOMOUNT'],
  [0x1000, 'AT_EMPTY_PATH'], [0x2000, 'AT_STATX_FORCE_SYNC'], [0x4000, 'AT_STATX_DONT_SYNC'],
  [0x8000, 'AT_RECURSIVE'],
];
// 0x200 means AT_REMOVEDIR to unlinkat but AT_EACCESS to faccessat, hence separate tables.
const UNLINK_FLAGS: Flags = [[0x200, 'AT_REMOVEDIR']];
const FACCESS_FLAGS: Flags = [[0x200, 'AT_EACCESS'], [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x1000, 'AT_EMPTY_PATH']];

const ACCESS_MODES: Flags = [[4, 'R_OK'], [2, 'W_OK'], [1, 'X_OK']];

const PROT_FLAGS: Flags = [
  [0x1, 'PROT_READ'], [0x2, 'PROT_WRITE'], [0x4, 'PROT_EXEC'], [0x8, 'PROT_SEM'],
  [0x01000000, 'PROT_GROWSDOWN'], [0x02000000, 'PROT_GROWSUP'],
];

const MAP_HUGETLB = 0x40000;
const MAP_FLAGS: Flags = [
  [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x40, 'MAP_32BIT'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'], [0x4000, 'MAP_NORESERVE'],
  [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'], [0x20000, 'MAP_STACK'], [0x40000, 'MAP_HUGETLB'],
  [0x80000, 'MAP_SYNC'], [0x100000, 'MAP_FIXED_NOREPLACE'],
];
const MAP_TYPES: Names = { 1: 'MAP_SHARED', 2: 'MAP_PRIVATE', 3: 'MAP_SHARED_VALIDATE' };

function mapFlags(v: number): string {
  const w = v >>> 0;
  const parts: string[] = [MAP_TYPES[w & 0xf] ?? hex(w & 0xf)];
  let rest = w & ~0xf;
  // Bits 26..31 hold the huge page size only with MAP_HUGETLB; bit 26 alone is otherwise
  // MAP_UNINITIALIZED, which shares its value with the size field.
  let huge = '';
  if (w & MAP_HUGETLB && (w >>> 26) !== 0) {
    huge = `${w >>> 26}<<MAP_HUGE_SHIFT`;
    rest &= 0x03ffffff;
  } else if (rest & 0x4000000) {
    huge = 'MAP_UNINITIALIZED';
    rest &= ~0x4000000;
  }
  if (rest !== 0) parts.push(flagNames(rest, MAP_FLAGS));
  if (huge !== '') parts.push(huge);
  return parts.join('|');
}

const CLOCKS: Names = {
  0: 'CLOCK_REALTIME', 1: 'CLOCK_MONOTONIC', 2: 'CLOCK_PROCESS_CPUTIME_ID', 3: 'CLOCK_THREAD_CPUTIME_ID',
  4: 'CLOCK_MONOTONIC_RAW', 5: 'CLOCK_REALTIME_COARSE', 6: 'CLOCK_MONOTONIC_COARSE', 7: 'CLOCK_BOOTTIME',
  8: 'CLOCK_REALTIME_ALARM', 9: 'CLOCK_BOOTTIME_ALARM', 11: 'CLOCK_TAI',
};

const SIG_HOW: Names = { 0: 'SIG_BLOCK', 1: 'SIG_UNBLOCK', 2: 'SIG_SETMASK' };

const F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GET_SEALS = 1034;
const FCNTL_CMDS: Names = {
  0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK',
  7: 'F_SETLKW', 8: 'F_SETOWN', 9: 'F_GETOWN', 10: 'F_SETSIG', 11: 'F_GETSIG', 15: 'F_SETOWN_EX',
  16: 'F_GETOWN_EX', 17: 'F_GETOWNER_UIDS', 36: 'F_OFD_GETLK', 37: 'F_OFD_SETLK', 38: 'F_OFD_SETLKW',
  1024: 'F_SETLEASE', 1025: 'F_GETLEASE', 1026: 'F_NOTIFY', 1029: 'F_CANCELLK', 1030: 'F_DUPFD_CLOEXEC',
  1031: 'F_SETPIPE_SZ', 1032: 'F_GETPIPE_SZ', 1033: 'F_ADD_SEALS', 1034: 'F_GET_SEALS',
  1035: 'F_GET_RW_HINT', 1036: 'F_SET_RW_HINT', 1037: 'F_GET_FILE_RW_HINT', 1038: 'F_SET_FILE_RW_HINT',
};
/** Commands that take no third argument, so strace-style output leaves it out. */
const FCNTL_NOARG = new Set([1, 3, 9, 11, 1025, 1032, 1034]);
const SEALS: Flags = [[1, 'F_SEAL_SEAL'], [2, 'F_SEAL_SHRINK'], [4, 'F_SEAL_GROW'], [8, 'F_SEAL_WRITE'], [16, 'F_SEAL_FUTURE_WRITE']];
const LEASES: Names = { 0: 'F_RDLCK', 1: 'F_WRLCK', 2: 'F_UNLCK' };

const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
const TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414;
const IOCTLS: Names = {
  0x5401: 'TCGETS', 0x5402: 'TCSETS', 0x5403: 'TCSETSW', 0x5404: 'TCSETSF', 0x5405: 'TCGETA',
  0x5406: 'TCSETA', 0x5407: 'TCSETAW', 0x5408: 'TCSETAF', 0x5409: 'TCSBRK', 0x540a: 'TCXONC',
  0x540b: 'TCFLSH', 0x540c: 'TIOCEXCL', 0x540d: 'TIOCNXCL', 0x540e: 'TIOCSCTTY', 0x540f: 'TIOCGPGRP',
  0x5410: 'TIOCSPGRP', 0x5411: 'TIOCOUTQ', 0x5412: 'TIOCSTI', 0x5413: 'TIOCGWINSZ', 0x5414: 'TIOCSWINSZ',
  0x5415: 'TIOCMGET', 0x5416: 'TIOCMBIS', 0x5417: 'TIOCMBIC', 0x5418: 'TIOCMSET', 0x541b: 'FIONREAD',
  0x541d: 'TIOCCONS', 0x5420: 'TIOCPKT', 0x5421: 'FIONBIO', 0x5422: 'TIOCNOTTY', 0x5423: 'TIOCSETD',
  0x5424: 'TIOCGETD', 0x5425: 'TCSBRKP', 0x5427: 'TIOCSBRK', 0x5428: 'TIOCCBRK', 0x5429: 'TIOCGSID',
  0x80045430: 'TIOCGPTN', 0x40045431: 'TIOCSPTLCK', 0x80045432: 'TIOCGDEV', 0x40045436: 'TIOCSIG',
  0x5437: 'TIOCVHANGUP', 0x80045438: 'TIOCGPKT', 0x80045439: 'TIOCGPTLCK', 0x80045440: 'TIOCGEXCL',
  0x5441: 'TIOCGPTPEER', 0x802c542a: 'TCGETS2', 0x402c542b: 'TCSETS2', 0x402c542c: 'TCSETSW2',
  0x402c542d: 'TCSETSF2', 0x5450: 'FIONCLEX', 0x5451: 'FIOCLEX', 0x5452: 'FIOASYNC',
};
const IOCTL_NOARG = new Set([0x5450, 0x5451, 0x5422, 0x540c, 0x540d, 0x5427, 0x5428, 0x5437, 0x541d]);
const IOCTL_INT_BY_VALUE = new Set([0x5409, 0x540a, 0x540b, 0x540e, 0x5425, 0x5441, 0x40045436]);
const IOCTL_INT_IN = new Set([0x5421, 0x5452, 0x5410, 0x40045431, 0x5423, 0x5420, 0x5412]);
const IOCTL_INT_OUT = new Set([0x540f, 0x541b, 0x5411, 0x80045430, 0x5429, 0x5424, 0x80045438, 0x80045439, 0x80045440, 0x5415, 0x80045432]);

const FUTEX_CMDS: readonly string[] = [
  'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_FD', 'FUTEX_REQUEUE', 'FUTEX_CMP_REQUEUE', 'FUTEX_WAKE_OP',
  'FUTEX_LOCK_PI', 'FUTEX_UNLOCK_PI', 'FUTEX_TRYLOCK_PI', 'FUTEX_WAIT_BITSET', 'FUTEX_WAKE_BITSET',
  'FUTEX_WAIT_REQUEUE_PI', 'FUTEX_CMP_REQUEUE_PI', 'FUTEX_LOCK_PI2',
];
const FUTEX_PRIVATE = 128, FUTEX_CLOCK_REALTIME = 256;
// Which of futex's last three registers mean something depends on the command; unused ones
// are left out of the line, so a FUTEX_WAKE reads futex(addr, FUTEX_WAKE_PRIVATE, 1).
const FUTEX_TIMEOUT_CMDS = new Set([0, 6, 9, 11, 13]);
const FUTEX_VAL2_CMDS = new Set([3, 4, 5, 12]);
const FUTEX_UADDR2_CMDS = new Set([3, 4, 5, 11, 12]);
const FUTEX_VAL3_CMDS = new Set([4, 12]);
const FUTEX_BITSET_CMDS = new Set([9, 10]);

const ARCH_PRCTL: Names = {
  0x1001: 'ARCH_SET_GS', 0x1002: 'ARCH_SET_FS', 0x1003: 'ARCH_GET_FS', 0x1004: 'ARCH_GET_GS',
  0x1011: 'ARCH_GET_CPUID', 0x1012: 'ARCH_SET_CPUID', 0x1021: 'ARCH_GET_XCOMP_SUPP',
  0x1022: 'ARCH_GET_XCOMP_PERM', 0x1023: 'ARCH_REQ_XCOMP_PERM', 0x1024: 'ARCH_GET_XCOMP_GUEST_PERM',
  0x1025: 'ARCH_REQ_XCOMP_GUEST_PERM', 0x2001: 'ARCH_MAP_VDSO_X32', 0x2002: 'ARCH_MAP_VDSO_32',
  0x2003: 'ARCH_MAP_VDSO_64', 0x4001: 'ARCH_GET_UNTAG_MASK', 0x4002: 'ARCH_ENABLE_TAGGED_ADDR',
  0x4003: 'ARCH_GET_MAX_TAG_BITS', 0x4004: 'ARCH_FORCE_TAGGED_SVA', 0x5001: 'ARCH_SHSTK_ENABLE',
  0x5002: 'ARCH_SHSTK_DISABLE', 0x5003: 'ARCH_SHSTK_LOCK', 0x5004: 'ARCH_SHSTK_UNLOCK',
  0x5005: 'ARCH_SHSTK_STATUS',
};

const WHENCE: Names = { 0: 'SEEK_SET', 1: 'SEEK_CUR', 2: 'SEEK_END', 3: 'SEEK_DATA', 4: 'SEEK_HOLE' };

const PR_SET_NAME = 15, PR_GET_NAME = 16;
const PRCTL: Names = {
  1: 'PR_SET_PDEATHSIG', 2: 'PR_GET_PDEATHSIG', 3: 'PR_GET_DUMPABLE', 4: 'PR_SET_DUMPABLE',
  5: 'PR_GET_UNALIGN', 6: 'PR_SET_UNALIGN', 7: 'PR_GET_KEEPCAPS', 8: 'PR_SET_KEEPCAPS',
  9: 'PR_GET_FPEMU', 10: 'PR_SET_FPEMU', 11: 'PR_GET_FPEXC', 12: 'PR_SET_FPEXC', 13: 'PR_GET_TIMING',
  14: 'PR_SET_TIMING', 15: 'PR_SET_NAME', 16: 'PR_GET_NAME', 19: 'PR_GET_ENDIAN', 20: 'PR_SET_ENDIAN',
  21: 'PR_GET_SECCOMP', 22: 'PR_SET_SECCOMP', 23: 'PR_CAPBSET_READ', 24: 'PR_CAPBSET_DROP',
  25: 'PR_GET_TSC', 26: 'PR_SET_TSC', 27: 'PR_GET_SECUREBITS', 28: 'PR_SET_SECUREBITS',
  29: 'PR_SET_TIMERSLACK', 30: 'PR_GET_TIMERSLACK', 31: 'PR_TASK_PERF_EVENTS_DISABLE',
  32: 'PR_TASK_PERF_EVENTS_ENABLE', 33: 'PR_MCE_KILL', 34: 'PR_MCE_KILL_GET', 35: 'PR_SET_MM',
  36: 'PR_SET_CHILD_SUBREAPER', 37: 'PR_GET_CHILD_SUBREAPER', 38: 'PR_SET_NO_NEW_PRIVS',
  39: 'PR_GET_NO_NEW_PRIVS', 40: 'PR_GET_TID_ADDRESS', 41: 'PR_SET_THP_DISABLE', 42: 'PR_GET_THP_DISABLE',
  45: 'PR_SET_FP_MODE', 46: 'PR_GET_FP_MODE', 47: 'PR_CAP_AMBIENT', 52: 'PR_GET_SPECULATION_CTRL',
  53: 'PR_SET_SPECULATION_CTRL', 55: 'PR_SET_TAGGED_ADDR_CTRL', 56: 'PR_GET_TAGGED_ADDR_CTRL',
  57: 'PR_SET_IO_FLUSHER', 58: 'PR_GET_IO_FLUSHER', 59: 'PR_SET_SYSCALL_USER_DISPATCH',
  62: 'PR_SCHED_CORE', 0x59616d61: 'PR_SET_PTRACER', 0x53564d41: 'PR_SET_VMA',
};

const RLIMITS: Names = {
  0: 'RLIMIT_CPU', 1: 'RLIMIT_FSIZE', 2: 'RLIMIT_DATA', 3: 'RLIMIT_STACK', 4: 'RLIMIT_CORE',
  5: 'RLIMIT_RSS', 6: 'RLIMIT_NPROC', 7: 'RLIMIT_NOFILE', 8: 'RLIMIT_MEMLOCK', 9: 'RLIMIT_AS',
  10: 'RLIMIT_LOCKS', 11: 'RLIMIT_SIGPENDING', 12: 'RLIMIT_MSGQUEUE', 13: 'RLIMIT_NICE',
  14: 'RLIMIT_RTPRIO', 15: 'RLIMIT_RTTIME',
};

const MADVISE: Names = {
  0: 'MADV_NORMAL', 1: 'MADV_RANDOM', 2: 'MADV_SEQUENTIAL', 3: 'MADV_WILLNEED', 4: 'MADV_DONTNEED',
  8: 'MADV_FREE', 9: 'MADV_REMOVE', 10: 'MADV_DONTFORK', 11: 'MADV_DOFORK', 12: 'MADV_MERGEABLE',
  13: 'MADV_UNMERGEABLE', 14: 'MADV_HUGEPAGE', 15: 'MADV_NOHUGEPAGE', 16: 'MADV_DONTDUMP',
  17: 'MADV_DODUMP', 18: 'MADV_WIPEONFORK', 19: 'MADV_KEEPONFORK', 20: 'MADV_COLD', 21: 'MADV_PAGEOUT',
  22: 'MADV_POPULATE_READ', 23: 'MADV_POPULATE_WRITE', 24: 'MADV_DONTNEED_LOCKED', 25: 'MADV_COLLAPSE',
  100: 'MADV_HWPOISON', 101: 'MADV_SOFT_OFFLINE',
};

const FADVISE: Names = {
  0: 'POSIX_FADV_NORMAL', 1: 'POSIX_FADV_RANDOM', 2: 'POSIX_FADV_SEQUENTIAL', 3: 'POSIX_FADV_WILLNEED',
  4: 'POSIX_FADV_DONTNEED', 5: 'POSIX_FADV_NOREUSE',
};

const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
const FAMILIES: Names = {
  0: 'AF_UNSPEC', 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 15: 'AF_KEY', 16: 'AF_NETLINK',
  17: 'AF_PACKET', 29: 'AF_CAN', 31: 'AF_BLUETOOTH', 38: 'AF_ALG', 40: 'AF_VSOCK', 44: 'AF_XDP',
};
const SOCK_TYPES: Names = {
  1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 4: 'SOCK_RDM', 5: 'SOCK_SEQPACKET', 6: 'SOCK_DCCP',
  10: 'SOCK_PACKET',
};
const SOCK_FLAGS: Flags = [[0x800, 'SOCK_NONBLOCK'], [0x80000, 'SOCK_CLOEXEC']];
const SHUTDOWN: Names = { 0: 'SHUT_RD', 1: 'SHUT_WR', 2: 'SHUT_RDWR' };
const MSG_FLAGS: Flags = [
  [0x1, 'MSG_OOB'], [0x2, 'MSG_PEEK'], [0x4, 'MSG_DONTROUTE'], [0x8, 'MSG_CTRUNC'], [0x10, 'MSG_PROXY'],
  [0x20, 'MSG_TRUNC'], [0x40, 'MSG_DONTWAIT'], [0x80, 'MSG_EOR'], [0x100, 'MSG_WAITALL'], [0x200, 'MSG_FIN'],
  [0x400, 'MSG_SYN'], [0x800, 'MSG_CONFIRM'], [0x1000, 'MSG_RST'], [0x2000, 'MSG_ERRQUEUE'],
  [0x4000, 'MSG_NOSIGNAL'], [0x8000, 'MSG_MORE'], [0x10000, 'MSG_WAITFORONE'], [0x40000, 'MSG_BATCH'],
  [0x4000000, 'MSG_ZEROCOPY'], [0x20000000, 'MSG_FASTOPEN'], [0x40000000, 'MSG_CMSG_CLOEXEC'],
];

const CLONE_FLAGS: Flags = [
  [0x80, 'CLONE_NEWTIME'], [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'],
  [0x800, 'CLONE_SIGHAND'], [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'],
  [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'], [0x40000, 'CLONE_SYSVSEM'],
  [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'],
  [0x400000, 'CLONE_DETACHED'], [0x800000, 'CLONE_UNTRACED'], [0x1000000, 'CLONE_CHILD_SETTID'],
  [0x2000000, 'CLONE_NEWCGROUP'], [0x4000000, 'CLONE_NEWUTS'], [0x8000000, 'CLONE_NEWIPC'],
  [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'], [0x40000000, 'CLONE_NEWNET'],
  [0x80000000, 'CLONE_IO'],
];

const WAIT_OPTIONS: Flags = [
  [1, 'WNOHANG'], [2, 'WUNTRACED'], [4, 'WEXITED'], [8, 'WCONTINUED'], [0x1000000, 'WNOWAIT'],
  [0x20000000, '__WNOTHREAD'], [0x40000000, '__WALL'], [0x80000000, '__WCLONE'],
];
const ID_TYPES: Names = { 0: 'P_ALL', 1: 'P_PID', 2: 'P_PGID', 3: 'P_PIDFD' };

const EPOLL_OPS: Names = { 1: 'EPOLL_CTL_ADD', 2: 'EPOLL_CTL_DEL', 3: 'EPOLL_CTL_MOD' };
const EPOLL_EVENTS: Flags = [
  [0x1, 'EPOLLIN'], [0x2, 'EPOLLPRI'], [0x4, 'EPOLLOUT'], [0x8, 'EPOLLERR'], [0x10, 'EPOLLHUP'],
  [0x20, 'EPOLLNVAL'], [0x40, 'EPOLLRDNORM'], [0x80, 'EPOLLRDBAND'], [0x100, 'EPOLLWRNORM'],
  [0x200, 'EPOLLWRBAND'], [0x400, 'EPOLLMSG'], [0x2000, 'EPOLLRDHUP'], [0x10000000, 'EPOLLEXCLUSIVE'],
  [0x20000000, 'EPOLLWAKEUP'], [0x40000000, 'EPOLLONESHOT'], [0x80000000, 'EPOLLET'],
];
const POLL_EVENTS: Flags = [
  [0x1, 'POLLIN'], [0x2, 'POLLPRI'], [0x4, 'POLLOUT'], [0x8, 'POLLERR'], [0x10, 'POLLHUP'],
  [0x20, 'POLLNVAL'], [0x40, 'POLLRDNORM'], [0x80, 'POLLRDBAND'], [0x100, 'POLLWRNORM'],
  [0x200, 'POLLWRBAND'], [0x400, 'POLLMSG'], [0x1000, 'POLLREMOVE'], [0x2000, 'POLLRDHUP'],
];

const STATX_MASK: Flags = [
  [0xfff, 'STATX_ALL'], [0x7ff, 'STATX_BASIC_STATS'], [0x1, 'STATX_TYPE'], [0x2, 'STATX_MODE'],
  [0x4, 'STATX_NLINK'], [0x8, 'STATX_UID'], [0x10, 'STATX_GID'], [0x20, 'STATX_ATIME'],
  [0x40, 'STATX_MTIME'], [0x80, 'STATX_CTIME'], [0x100, 'STATX_INO'], [0x200, 'STATX_SIZE'],
  [0x400, 'STATX_BLOCKS'], [0x800, 'STATX_BTIME'], [0x1000, 'STATX_MNT_ID'], [0x2000, 'STATX_DIOALIGN'],
  [0x4000, 'STATX_MNT_ID_UNIQUE'],
];

const RESOLVE_FLAGS: Flags = [
  [0x1, 'RESOLVE_NO_XDEV'], [0x2, 'RESOLVE_NO_MAGICLINKS'], [0x4, 'RESOLVE_NO_SYMLINKS'],
  [0x8, 'RESOLVE_BENEATH'], [0x10, 'RESOLVE_IN_ROOT'], [0x20, 'RESOLVE_CACHED'],
];

const GRND_FLAGS: Flags = [[1, 'GRND_NONBLOCK'], [2, 'GRND_RANDOM'], [4, 'GRND_INSECURE']];
const MREMAP_FLAGS: Flags = [[1, 'MREMAP_MAYMOVE'], [2, 'MREMAP_FIXED'], [4, 'MREMAP_DONTUNMAP']];
const MSYNC_FLAGS: Flags = [[1, 'MS_ASYNC'], [2, 'MS_INVALIDATE'], [4, 'MS_SYNC']];
const FLOCK_OPS: Flags = [[1, 'LOCK_SH'], [2, 'LOCK_EX'], [4, 'LOCK_NB'], [8, 'LOCK_UN']];
const RENAME_FLAGS: Flags = [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']];
const MFD_FLAGS: Flags = [[1, 'MFD_CLOEXEC'], [2, 'MFD_ALLOW_SEALING'], [4, 'MFD_HUGETLB'], [8, 'MFD_NOEXEC_SEAL'], [0x10, 'MFD_EXEC']];
const CLOSE_RANGE_FLAGS: Flags = [[2, 'CLOSE_RANGE_UNSHARE'], [4, 'CLOSE_RANGE_CLOEXEC']];

// ---- reading app memory without ever throwing -----------------------------------------

function readBytes(mem: TraceMemory, addr: number, len: number): Uint8Array | null {
  if (addr === 0 || !(len >= 0)) return null;
  try {
    const b = new Uint8Array(len);
    return mem.copyIn(addr, b, 0, len) < 0 ? null : b;
  } catch {
    return null;
  }
}

function readView(mem: TraceMemory, addr: number, len: number): DataView | null {
  const b = readBytes(mem, addr, len);
  return b === null ? null : new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function i64(d: DataView, off: number): number {
  return Number(d.getBigInt64(off, true));
}

function readPtr(mem: TraceMemory, addr: number): number | null {
  const d = readView(mem, addr, 8);
  return d === null ? null : i64(d, 0);
}

/**
 * Up to `limit` bytes of a NUL-terminated string, and whether it went on. Uses readCString
 * first; if that fails (a string ending near the end of a mapping can make a long read fail)
 * it falls back to byte-by-byte copies, which find exactly where readable memory stops.
 */
function readCStr(mem: TraceMemory, addr: number, limit: number): { bytes: Uint8Array; more: boolean } | null {
  if (addr === 0) return null;
  try {
    const s = mem.readCString(addr, limit + 1);
    if (typeof s === 'string') {
      const n = Math.min(s.length, limit);
      const bytes = new Uint8Array(n);
      for (let k = 0; k < n; k++) bytes[k] = s.charCodeAt(k) & 0xff;
      return { bytes, more: s.length > limit };
    }
  } catch {
    // fall through to the slow path
  }
  const out: number[] = [];
  const one = new Uint8Array(1);
  for (let k = 0; k <= limit; k++) {
    try {
      if (mem.copyIn(addr + k, one, 0, 1) < 0) return null;
    } catch {
      return null;
    }
    if (one[0] === 0) return { bytes: Uint8Array.from(out), more: false };
    if (k === limit) return { bytes: Uint8Array.from(out), more: true };
    out.push(one[0]);
  }
  return { bytes: Uint8Array.from(out), more: true };
}

// ---- quoting ---------------------------------------------------------------------------

const ESCAPES: Names = { 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

/**
 * Quotes bytes the way strace does: printable ASCII as is, C escapes for the usual controls,
 * octal for the rest, padded to three digits only when a digit follows (so "\0" stays short
 * but "\0001" cannot be misread). `more` adds the trailing ... outside the quotes.
 */
function quote(bytes: Uint8Array, more: boolean): string {
  let s = '"';
  for (let k = 0; k < bytes.length; k++) {
    const c = bytes[k];
    const esc = ESCAPES[c];
    if (esc !== undefined) s += esc;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else {
      const next = k + 1 < bytes.length ? bytes[k + 1] : -1;
      const o = c.toString(8);
      s += '\\' + (next >= 0x30 && next <= 0x37 ? o.padStart(3, '0') : o);
    }
  }
  return s + '"' + (more ? '...' : '');
}

function quoteCStr(mem: TraceMemory, addr: number, limit = STRLEN): string {
  if (addr === 0) return 'NULL';
  const r = readCStr(mem, addr, limit);
  return r === null ? hex(addr) : quote(r.bytes, r.more);
}

/** A buffer of known length: the first STRLEN bytes, then ... if there was more. */
function quoteBuf(mem: TraceMemory, addr: number, len: number): string {
  if (!(len > 0)) return addr === 0 ? 'NULL' : '""';
  const n = Math.min(len, STRLEN);
  const b = readBytes(mem, addr, n);
  return b === null ? ptr(addr) : quote(b, len > STRLEN);
}

// ---- argument kinds --------------------------------------------------------------------

interface Ctx {
  readonly args: readonly number[];
  readonly mem: TraceMemory;
  /** Index of the register being printed. */
  i: number;
  /** The text after ':' in the spec token (e.g. 'EFD' in 'cloexec:EFD'). */
  param: string;
  /** Set when printing after the call, with its result in ret. */
  exiting: boolean;
  ret: number;
}

/** null leaves the argument out of the line (for registers the call does not use). */
type Fmt = (c: Ctx) => string | null;

interface Kind {
  readonly fmt: Fmt;
  /** For kinds whose direction depends on another argument (ioctl): true = print after. */
  readonly out?: (args: readonly number[]) => boolean;
}

function arg(c: Ctx, k = c.i): number {
  const v = c.args[k];
  return typeof v === 'number' ? v : 0;
}

function timespec(mem: TraceMemory, addr: number, usec: boolean): string {
  if (addr === 0) return 'NULL';
  const d = readView(mem, addr, 16);
  if (d === null) return hex(addr);
  return `{tv_sec=${i64(d, 0)}, ${usec ? 'tv_usec' : 'tv_nsec'}=${i64(d, 8)}}`;
}

function rlimValue(v: bigint): string {
  if (v === 0xffffffffffffffffn) return 'RLIM64_INFINITY';
  return v !== 0n && v % 1024n === 0n ? `${v / 1024n}*1024` : v.toString();
}

function rlimit(mem: TraceMemory, addr: number): string {
  if (addr === 0) return 'NULL';
  const d = readView(mem, addr, 16);
  if (d === null) return hex(addr);
  return `{rlim_cur=${rlimValue(d.getBigUint64(0, true))}, rlim_max=${rlimValue(d.getBigUint64(8, true))}}`;
}

/** Minor/major in the kernel's 64-bit dev_t encoding (the one struct stat carries). */
function makedev(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  const h = (x: bigint) => (x === 0n ? '0' : '0x' + x.toString(16));
  return `makedev(${h(major)}, ${h(minor)})`;
}

function isDevice(mode: number): boolean {
  const t = mode & 0o170000;
  return t === 0o020000 || t === 0o060000;
}

function stat(mem: TraceMemory, addr: number): string {
  const d = readView(mem, addr, 144);
  if (d === null) return ptr(addr);
  const mode = d.getUint32(24, true);
  const sizeOrDev = isDevice(mode) ? `st_rdev=${makedev(d.getBigUint64(40, true))}` : `st_size=${i64(d, 48)}`;
  return `{st_mode=${typedMode(mode)}, ${sizeOrDev}, ...}`;
}

function statx(mem: TraceMemory, addr: number): string {
  const d = readView(mem, addr, 136);
  if (d === null) return ptr(addr);
  const mode = d.getUint16(28, true);
  const mask = flagNames(d.getUint32(0, true), STATX_MASK);
  const sizeOrDev = isDevice(mode)
    ? `stx_rdev_major=${d.getUint32(128, true)}, stx_rdev_minor=${d.getUint32(132, true)}`
    : `stx_size=${d.getBigUint64(40, true)}`;
  return `{stx_mask=${mask}, stx_mode=${typedMode(mode)}, ${sizeOrDev}, ...}`;
}

function utsname(mem: TraceMemory, addr: number): string {
  const b = readBytes(mem, addr, 65 * 2);
  if (b === null) return ptr(addr);
  const field = (off: number) => {
    const end = b.indexOf(0, off);
    return quote(b.subarray(off, end < 0 || end > off + 64 ? off + 64 : end), false);
  };
  return `{sysname=${field(0)}, nodename=${field(65)}, ...}`;
}

/** wait status, as the W* macros a C programmer would test it with. */
function waitStatus(s: number): string {
  const low = s & 0x7f;
  if (low === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(s >> 8) & 0xff}}]`;
  if (s === 0xffff) return '[{WIFCONTINUED(s)}]';
  if ((s & 0xff) === 0x7f) {
    const ev = s >>> 16;
    return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${sigName((s >> 8) & 0xff)}}${ev !== 0 ? ` | ${ev}<<16` : ''}]`;
  }
  return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${sigName(low)}${s & 0x80 ? ' && WCOREDUMP(s)' : ''}}]`;
}

function ipv6(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((b[off + 2 * k] << 8) | b[off + 2 * k + 1]);
  // Collapse the longest run of two or more zero groups, as inet_ntop does.
  let bestAt = -1, bestLen = 1;
  for (let k = 0; k < 8;) {
    if (g[k] !== 0) { k++; continue; }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) { bestAt = k; bestLen = e - k; }
    k = e;
  }
  const hx = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hx(g);
  return `${hx(g.slice(0, bestAt))}::${hx(g.slice(bestAt + bestLen))}`;
}

function sockaddr(mem: TraceMemory, addr: number, len: number): string {
  if (addr === 0) return 'NULL';
  const n = Math.min(Math.max(len | 0, 0), 128);
  if (n < 2) return hex(addr);
  const b = readBytes(mem, addr, n);
  if (b === null) return hex(addr);
  const fam = b[0] | (b[1] << 8);
  const famName = enumName(fam, FAMILIES);
  if (fam === AF_UNIX) {
    if (n === 2) return `{sa_family=${famName}}`;
    // A leading NUL marks Linux's abstract namespace; those names may hold NULs, so use len.
    if (b[2] === 0) {
      const name = b.subarray(3, n);
      return `{sa_family=${famName}, sun_path=@${quote(name.subarray(0, STRLEN), name.length > STRLEN)}}`;
    }
    let end = b.indexOf(0, 2);
    if (end < 0) end = n;
    const path = b.subarray(2, end);
    return `{sa_family=${famName}, sun_path=${quote(path, false)}}`;
  }
  if (fam === AF_INET && n >= 8) {
    return `{sa_family=${famName}, sin_port=htons(${(b[2] << 8) | b[3]}), sin_addr=inet_addr("${b[4]}.${b[5]}.${b[6]}.${b[7]}")}`;
  }
  if (fam === AF_INET6 && n >= 24) {
    return `{sa_family=${famName}, sin6_port=htons(${(b[2] << 8) | b[3]}), sin6_addr="${ipv6(b, 8)}", ...}`;
  }
  return `{sa_family=${famName}, ...}`;
}

/** iovec arrays; after readv the data shown is limited to what the call returned. */
function iovecs(c: Ctx): string {
  const addr = arg(c);
  const count = arg(c, c.i + 1) | 0;
  if (addr === 0) return 'NULL';
  if (count <= 0) return '[]';
  const shown = Math.min(count, MAX_ELEMS);
  const d = readView(c.mem, addr, shown * 16);
  if (d === null) return hex(addr);
  let budget = c.exiting ? c.ret : Number.MAX_SAFE_INTEGER;
  const parts: string[] = [];
  for (let k = 0; k < shown; k++) {
    const base = i64(d, k * 16);
    const len = i64(d, k * 16 + 8);
    const dataLen = Math.max(0, Math.min(len, budget));
    budget -= dataLen;
    parts.push(`{iov_base=${quoteBuf(c.mem, base, dataLen)}, iov_len=${udec(len)}}`);
  }
  if (count > shown) parts.push('...');
  return `[${parts.join(', ')}]`;
}

function pollfds(c: Ctx): string {
  const addr = arg(c);
  const count = arg(c, c.i + 1) >>> 0;
  if (addr === 0) return 'NULL';
  if (count === 0) return '[]';
  const shown = Math.min(count, MAX_ELEMS);
  const d = readView(c.mem, addr, shown * 8);
  if (d === null) return hex(addr);
  const parts: string[] = [];
  for (let k = 0; k < shown; k++) {
    parts.push(`{fd=${d.getInt32(k * 8, true)}, events=${flagNames(d.getUint16(k * 8 + 4, true), POLL_EVENTS)}}`);
  }
  if (count > shown) parts.push('...');
  return `[${parts.join(', ')}]`;
}

function argv(mem: TraceMemory, addr: number): string {
  if (addr === 0) return 'NULL';
  const parts: string[] = [];
  for (let k = 0; ; k++) {
    const p = readPtr(mem, addr + k * 8);
    if (p === null) return k === 0 ? hex(addr) : `[${parts.join(', ')}, ...]`;
    if (p === 0) break;
    if (k === MAX_ELEMS) { parts.push('...'); break; }
    parts.push(quoteCStr(mem, p));
  }
  return `[${parts.join(', ')}]`;
}

/** The environment is noise in a trace; strace's default also just counts it. */
function envp(mem: TraceMemory, addr: number): string {
  if (addr === 0) return 'NULL';
  let n = 0;
  while (n < 65536) {
    const p = readPtr(mem, addr + n * 8);
    if (p === null) return hex(addr);
    if (p === 0) break;
    n++;
  }
  return `${hex(addr)} /* ${n} var${n === 1 ? '' : 's'} */`;
}

function dirents(mem: TraceMemory, addr: number, len: number): string {
  if (len > MAX_DENTS_COPY) return hex(addr);
  const b = len > 0 ? readView(mem, addr, len) : null;
  if (len > 0 && b === null) return hex(addr);
  let n = 0;
  // Both linux_dirent and linux_dirent64 keep d_reclen at offset 16.
  for (let off = 0; b !== null && off + 18 <= len; n++) {
    const reclen = b.getUint16(off + 16, true);
    if (reclen === 0) break;
    off += reclen;
  }
  return `${hex(addr)} /* ${n} entr${n === 1 ? 'y' : 'ies'} */`;
}

function intAt(mem: TraceMemory, addr: number): string {
  if (addr === 0) return 'NULL';
  const d = readView(mem, addr, 4);
  return d === null ? hex(addr) : `[${d.getInt32(0, true)}]`;
}

function winsize(mem: TraceMemory, addr: number): string {
  const d = readView(mem, addr, 8);
  if (d === null) return ptr(addr);
  const u = (o: number) => d.getUint16(o, true);
  return `{ws_row=${u(0)}, ws_col=${u(2)}, ws_xpixel=${u(4)}, ws_ypixel=${u(6)}}`;
}

function termios(mem: TraceMemory, addr: number): string {
  const d = readView(mem, addr, 16);
  if (d === null) return ptr(addr);
  const f = (o: number) => hex(d.getUint32(o, true));
  return `{c_iflag=${f(0)}, c_oflag=${f(4)}, c_cflag=${f(8)}, c_lflag=${f(12)}, ...}`;
}

function openHow(mem: TraceMemory, addr: number): string {
  const d = readView(mem, addr, 24);
  if (d === null) return ptr(addr);
  const flags = Number(d.getBigUint64(0, true) & 0xffffffffn);
  const mode = Number(d.getBigUint64(8, true) & 0xffffn);
  const resolve = Number(d.getBigUint64(16, true) & 0xffffffffn);
  return `{flags=${openFlags(flags)}, mode=${octMode(mode)}, resolve=${flagNames(resolve, RESOLVE_FLAGS)}}`;
}

function epollEvent(mem: TraceMemory, addr: number): string {
  // struct epoll_event is packed on x86-64: data follows events at offset 4.
  const d = readView(mem, addr, 12);
  if (d === null) return ptr(addr);
  const data = d.getBigUint64(4, true);
  return `{events=${flagNames(d.getUint32(0, true), EPOLL_EVENTS)}, data={u32=${data & 0xffffffffn}, u64=${data}}}`;
}

function ioctlIsOut(req: number): boolean {
  return req === TCGETS || req === TIOCGWINSZ || IOCTL_INT_OUT.has(req);
}

function futexCmd(c: Ctx): number {
  return arg(c, 1) & 0x7f;
}

const KINDS: { readonly [name: string]: Kind | undefined } = {
  // Plain numbers.
  int: { fmt: (c) => String(arg(c) | 0) },
  uint: { fmt: (c) => String(arg(c) >>> 0) },
  long: { fmt: (c) => sdec(arg(c)) },
  ulong: { fmt: (c) => udec(arg(c)) },
  hex: { fmt: (c) => hex(arg(c)) },
  ptr: { fmt: (c) => ptr(arg(c)) },
  /** A register the call ignores on x86-64 (the high half of a split offset). */
  _: { fmt: () => null },

  // Files and paths.
  fd: { fmt: (c) => String(arg(c) | 0) },
  dirfd: { fmt: (c) => ((arg(c) | 0) === -100 ? 'AT_FDCWD' : String(arg(c) | 0)) },
  // strace prints file names whole (its -s limit is for strings and buffers only)
  path: { fmt: (c) => quoteCStr(c.mem, arg(c), 4096) },
  str: { fmt: (c) => quoteCStr(c.mem, arg(c)) },
  /** Data whose length is the next register on the way in, or the result on the way out. */
  buf: { fmt: (c) => quoteBuf(c.mem, arg(c), c.exiting ? c.ret : arg(c, c.i + 1)) },
  iov: { fmt: iovecs },
  oflags: { fmt: (c) => openFlags(arg(c)) },
  /** The mode of open/openat exists only when the flags create a file. */
  omode: { fmt: (c) => (arg(c, c.i - 1) & (O_CREAT | O_TMPFILE_BIT) ? octMode(arg(c) & 0o7777) : null) },
  mode: { fmt: (c) => octMode(arg(c) >>> 0) },
  fmode: { fmt: (c) => typedMode(arg(c) >>> 0) },
  amode: { fmt: (c) => flagNames(arg(c), ACCESS_MODES, 'F_OK') },
  atflags: { fmt: (c) => flagNames(arg(c), AT_FLAGS) },
  statxflags: { fmt: (c) => flagNames(arg(c), AT_FLAGS, 'AT_STATX_SYNC_AS_STAT') },
  unlinkflags: { fmt: (c) => flagNames(arg(c), UNLINK_FLAGS) },
  faccessflags: { fmt: (c) => flagNames(arg(c), FACCESS_FLAGS) },
  renameflags: { fmt: (c) => flagNames(arg(c), RENAME_FLAGS) },
  statxmask: { fmt: (c) => flagNames(arg(c), STATX_MASK) },
  whence: { fmt: (c) => enumName(arg(c) | 0, WHENCE) },
  fadvice: { fmt: (c) => enumName(arg(c) | 0, FADVISE) },
  flockop: { fmt: (c) => flagNames(arg(c), FLOCK_OPS) },
  stat: { fmt: (c) => stat(c.mem, arg(c)) },
  statx: { fmt: (c) => statx(c.mem, arg(c)) },
  dents: { fmt: (c) => dirents(c.mem, arg(c), c.exiting ? c.ret : 0) },
  fds2: {
    fmt: (c) => {
      const d = readView(c.mem, arg(c), 8);
      return d === null ? ptr(arg(c)) : `[${d.getInt32(0, true)}, ${d.getInt32(4, true)}]`;
    },
  },
  openhow: { fmt: (c) => openHow(c.mem, arg(c)) },
  mfdflags: { fmt: (c) => flagNames(arg(c), MFD_FLAGS) },
  closerange: { fmt: (c) => flagNames(arg(c), CLOSE_RANGE_FLAGS) },
  /** The O_CLOEXEC/O_NONBLOCK pair that many fd-creating calls reuse under their own prefix. */
  cloexec: {
    fmt: (c) => {
      const p = c.param === '' ? 'O' : c.param;
      const table: Flags = [[0x80000, `${p}_CLOEXEC`], [0x800, `${p}_NONBLOCK`], ...(p === 'EFD' ? [[1, 'EFD_SEMAPHORE'] as const] : [])];
      return flagNames(arg(c), table);
    },
  },
  fcntlcmd: { fmt: (c) => enumName(arg(c) | 0, FCNTL_CMDS) },
  fcntlarg: {
    fmt: (c) => {
      const cmd = arg(c, 1) | 0;
      const v = arg(c);
      if (FCNTL_NOARG.has(cmd)) return null;
      switch (cmd) {
        case 0: case 1030: case 8: case 1031: return String(v | 0);
        case F_SETFD: return (v & 1) ? 'FD_CLOEXEC' : '0';
        case F_SETFL: return openFlags(v);
        case 10: return sigName(v);
        case 1024: return enumName(v | 0, LEASES);
        case 1033: return flagNames(v, SEALS);
        case 5: case 6: case 7: case 15: case 16: case 36: case 37: case 38: return ptr(v);
        default: return hex(v);
      }
    },
  },
  ioctlreq: { fmt: (c) => enumName(arg(c) >>> 0, IOCTLS, hex) },
  ioctlarg: {
    fmt: (c) => {
      const req = arg(c, 1) >>> 0;
      const v = arg(c);
      if (IOCTL_NOARG.has(req)) return null;
      if (IOCTL_INT_BY_VALUE.has(req)) return String(v | 0);
      if (req === 0x40045436) return sigName(v);
      if (req === 0x5441) return openFlags(v);
      if (IOCTL_INT_IN.has(req) || IOCTL_INT_OUT.has(req)) return intAt(c.mem, v);
      if (req === TIOCGWINSZ || req === TIOCSWINSZ) return winsize(c.mem, v);
      if (req === TCGETS || req === TCSETS || req === TCSETSW || req === TCSETSF) return termios(c.mem, v);
      return hex(v);
    },
    out: (args) => ioctlIsOut((args[1] ?? 0) >>> 0),
  },

  // Memory.
  prot: { fmt: (c) => flagNames(arg(c), PROT_FLAGS, 'PROT_NONE') },
  mapflags: { fmt: (c) => mapFlags(arg(c)) },
  madvice: { fmt: (c) => enumName(arg(c) | 0, MADVISE) },
  mremapflags: { fmt: (c) => flagNames(arg(c), MREMAP_FLAGS) },
  msflags: { fmt: (c) => flagNames(arg(c), MSYNC_FLAGS) },

  // Processes, signals, time.
  sig: { fmt: (c) => sigName(arg(c)) },
  sighow: { fmt: (c) => enumName(arg(c) | 0, SIG_HOW) },
  clock: { fmt: (c) => enumName(arg(c) | 0, CLOCKS) },
  timespec: { fmt: (c) => timespec(c.mem, arg(c), false) },
  timeval: { fmt: (c) => timespec(c.mem, arg(c), true) },
  /** TIMER_ABSTIME and its timerfd twin. */
  abstime: { fmt: (c) => flagNames(arg(c), [[1, `${c.param === '' ? 'TIMER' : c.param}_ABSTIME`], ...(c.param === 'TFD_TIMER' ? [[2, 'TFD_TIMER_CANCEL_ON_SET'] as const] : [])]) },
  cloneflags: {
    fmt: (c) => {
      const v = arg(c) >>> 0;
      const flags = flagNames(v & ~0xff, CLONE_FLAGS, '');
      const sig = v & 0xff;
      if (sig === 0) return flags === '' ? '0' : flags;
      return flags === '' ? sigName(sig) : `${flags}|${sigName(sig)}`;
    },
  },
  nsflags: { fmt: (c) => flagNames(arg(c), CLONE_FLAGS) },
  argv: { fmt: (c) => argv(c.mem, arg(c)) },
  envp: { fmt: (c) => envp(c.mem, arg(c)) },
  wstatus: {
    fmt: (c) => {
      const addr = arg(c);
      if (addr === 0) return 'NULL';
      // With WNOHANG and nothing to reap, the kernel leaves the status unwritten.
      if (c.exiting && c.ret === 0) return hex(addr);
      const d = readView(c.mem, addr, 4);
      return d === null ? hex(addr) : waitStatus(d.getInt32(0, true));
    },
  },
  waitopts: { fmt: (c) => flagNames(arg(c), WAIT_OPTIONS) },
  idtype: { fmt: (c) => enumName(arg(c) | 0, ID_TYPES) },
  rlimres: { fmt: (c) => enumName(arg(c) | 0, RLIMITS) },
  rlimit: { fmt: (c) => rlimit(c.mem, arg(c)) },
  uts: { fmt: (c) => utsname(c.mem, arg(c)) },
  archcode: { fmt: (c) => enumName(arg(c) | 0, ARCH_PRCTL, hex) },
  prctl: { fmt: (c) => enumName(arg(c) | 0, PRCTL) },
  /** prctl's second register: a name for PR_SET_NAME, otherwise a number or pointer. */
  prctlarg: {
    fmt: (c) => {
      const op = arg(c, 0) | 0;
      if (op === PR_SET_NAME) return quoteCStr(c.mem, arg(c), 16);
      if (op === PR_GET_NAME) return ptr(arg(c));
      return hex(arg(c));
    },
  },
  prctlrest: { fmt: (c) => ((arg(c, 0) | 0) === PR_SET_NAME || (arg(c, 0) | 0) === PR_GET_NAME ? null : hex(arg(c))) },
  futexop: {
    fmt: (c) => {
      const op = arg(c) | 0;
      const cmd = op & 0x7f;
      const base = FUTEX_CMDS[cmd];
      if (base === undefined || (op & ~(0x7f | FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME)) !== 0) return hex(op);
      let s = base + (op & FUTEX_PRIVATE ? '_PRIVATE' : '');
      if (op & FUTEX_CLOCK_REALTIME) s += '|FUTEX_CLOCK_REALTIME';
      return s;
    },
  },
  futexts: {
    fmt: (c) => {
      const cmd = futexCmd(c);
      if (FUTEX_TIMEOUT_CMDS.has(cmd)) return timespec(c.mem, arg(c), false);
      if (FUTEX_VAL2_CMDS.has(cmd)) return String(arg(c) >>> 0);
      return null;
    },
  },
  futexaddr2: { fmt: (c) => (FUTEX_UADDR2_CMDS.has(futexCmd(c)) ? ptr(arg(c)) : null) },
  futexval3: {
    fmt: (c) => {
      const cmd = futexCmd(c);
      if (FUTEX_VAL3_CMDS.has(cmd)) return String(arg(c) | 0);
      if (FUTEX_BITSET_CMDS.has(cmd)) return (arg(c) >>> 0) === 0xffffffff ? 'FUTEX_BITSET_MATCH_ANY' : hex(arg(c) >>> 0);
      if (cmd === 5) return hex(arg(c) >>> 0);
      return null;
    },
  },

  // Sockets and event fds.
  sockdomain: { fmt: (c) => enumName(arg(c) | 0, FAMILIES) },
  socktype: {
    fmt: (c) => {
      const v = arg(c) >>> 0;
      const type = enumName(v & 0xf, SOCK_TYPES);
      const flags = flagNames(v & ~0xf, SOCK_FLAGS, '');
      return flags === '' ? type : `${type}|${flags}`;
    },
  },
  sockaddr: { fmt: (c) => sockaddr(c.mem, arg(c), arg(c, c.i + 1)) },
  msgflags: { fmt: (c) => flagNames(arg(c), MSG_FLAGS) },
  shuthow: { fmt: (c) => enumName(arg(c) | 0, SHUTDOWN) },
  intp: { fmt: (c) => intAt(c.mem, arg(c)) },
  epollop: { fmt: (c) => enumName(arg(c) | 0, EPOLL_OPS) },
  epollev: { fmt: (c) => epollEvent(c.mem, arg(c)) },
  pollfds: { fmt: pollfds },
  grnd: { fmt: (c) => flagNames(arg(c), GRND_FLAGS) },
};

// ---- the table -------------------------------------------------------------------------

type RetKind = 'dec' | 'hex' | 'oct' | 'fcntl' | 'none';
const RET_KINDS: readonly RetKind[] = ['dec', 'hex', 'oct', 'fcntl', 'none'];

/**
 * One line per syscall: argument kinds in register order, then optionally "-> retkind".
 * A leading '>' marks memory the kernel fills in: it is printed after the call (and only as
 * an address if the call failed), so everything from the first such argument on is printed
 * by formatExit, as strace does.
 */
const SPECS: { readonly [name: string]: string } = {
  read: 'fd >buf ulong',
  write: 'fd buf ulong',
  open: 'path oflags omode',
  close: 'fd',
  stat: 'path >stat',
  fstat: 'fd >stat',
  lstat: 'path >stat',
  poll: 'pollfds uint int',
  lseek: 'fd long whence',
  mmap: 'ptr ulong prot mapflags fd hex -> hex',
  mprotect: 'ptr ulong prot',
  munmap: 'ptr ulong',
  brk: 'ptr -> hex',
  rt_sigaction: 'sig ptr ptr ulong',
  rt_sigprocmask: 'sighow ptr ptr ulong',
  rt_sigreturn: '',
  ioctl: 'fd ioctlreq ioctlarg',
  pread64: 'fd >buf ulong long',
  pwrite64: 'fd buf ulong long',
  readv: 'fd >iov int',
  writev: 'fd iov int',
  access: 'path amode',
  pipe: '>fds2',
  select: 'int ptr ptr ptr timeval',
  sched_yield: '',
  mremap: 'ptr ulong ulong mremapflags ptr -> hex',
  msync: 'ptr ulong msflags',
  mincore: 'ptr ulong ptr',
  madvise: 'ptr ulong madvice',
  shmget: 'hex ulong hex',
  shmat: 'int ptr hex -> hex',
  shmctl: 'int int ptr',
  dup: 'fd',
  dup2: 'fd fd',
  pause: '',
  nanosleep: 'timespec ptr',
  getitimer: 'int ptr',
  alarm: 'uint',
  setitimer: 'int ptr ptr',
  getpid: '',
  sendfile: 'fd fd ptr ulong',
  socket: 'sockdomain socktype int',
  connect: 'fd sockaddr int',
  accept: 'fd ptr ptr',
  sendto: 'fd buf ulong msgflags sockaddr int',
  recvfrom: 'fd >buf ulong msgflags ptr ptr',
  sendmsg: 'fd ptr msgflags',
  recvmsg: 'fd ptr msgflags',
  shutdown: 'fd shuthow',
  bind: 'fd sockaddr int',
  listen: 'fd int',
  getsockname: 'fd ptr ptr',
  getpeername: 'fd ptr ptr',
  socketpair: 'sockdomain socktype int >fds2',
  setsockopt: 'fd int int ptr int',
  getsockopt: 'fd int int ptr ptr',
  clone: 'cloneflags ptr ptr ptr hex',
  fork: '',
  vfork: '',
  execve: 'path argv envp',
  exit: 'int -> none',
  wait4: 'int >wstatus waitopts ptr',
  kill: 'int sig',
  uname: '>uts',
  semget: 'hex int hex',
  semop: 'int ptr ulong',
  semctl: 'int int int hex',
  shmdt: 'ptr',
  msgget: 'hex hex',
  msgsnd: 'int ptr ulong hex',
  msgrcv: 'int ptr ulong long hex',
  msgctl: 'int int ptr',
  fcntl: 'fd fcntlcmd fcntlarg -> fcntl',
  flock: 'fd flockop',
  fsync: 'fd',
  fdatasync: 'fd',
  truncate: 'path long',
  ftruncate: 'fd long',
  getdents: 'fd >dents uint',
  getcwd: '>str ulong',
  chdir: 'path',
  fchdir: 'fd',
  rename: 'path path',
  mkdir: 'path mode',
  rmdir: 'path',
  creat: 'path mode',
  link: 'path path',
  unlink: 'path',
  symlink: 'path path',
  readlink: 'path >buf ulong',
  chmod: 'path mode',
  fchmod: 'fd mode',
  chown: 'path int int',
  fchown: 'fd int int',
  lchown: 'path int int',
  umask: 'mode -> oct',
  gettimeofday: '>timeval ptr',
  getrlimit: 'rlimres >rlimit',
  getrusage: 'int ptr',
  sysinfo: 'ptr',
  times: 'ptr',
  ptrace: 'long int ptr ptr',
  getuid: '',
  syslog: 'int ptr int',
  getgid: '',
  setuid: 'int',
  setgid: 'int',
  geteuid: '',
  getegid: '',
  setpgid: 'int int',
  getppid: '',
  getpgrp: '',
  setsid: '',
  setreuid: 'int int',
  setregid: 'int int',
  getgroups: 'int ptr',
  setgroups: 'int ptr',
  setresuid: 'int int int',
  getresuid: 'ptr ptr ptr',
  setresgid: 'int int int',
  getresgid: 'ptr ptr ptr',
  getpgid: 'int',
  setfsuid: 'int',
  setfsgid: 'int',
  getsid: 'int',
  capget: 'ptr ptr',
  capset: 'ptr ptr',
  rt_sigpending: 'ptr ulong',
  rt_sigtimedwait: 'ptr ptr timespec ulong',
  rt_sigqueueinfo: 'int sig ptr',
  rt_sigsuspend: 'ptr ulong',
  sigaltstack: 'ptr ptr',
  utime: 'path ptr',
  mknod: 'path fmode hex',
  uselib: 'path',
  personality: 'hex',
  ustat: 'hex ptr',
  statfs: 'path ptr',
  fstatfs: 'fd ptr',
  sysfs: 'int hex hex',
  getpriority: 'int int',
  setpriority: 'int int int',
  sched_setparam: 'int ptr',
  sched_getparam: 'int ptr',
  sched_setscheduler: 'int int ptr',
  sched_getscheduler: 'int',
  sched_get_priority_max: 'int',
  sched_get_priority_min: 'int',
  sched_rr_get_interval: 'int ptr',
  mlock: 'ptr ulong',
  munlock: 'ptr ulong',
  mlockall: 'hex',
  munlockall: '',
  vhangup: '',
  modify_ldt: 'int ptr ulong',
  pivot_root: 'path path',
  _sysctl: 'ptr',
  prctl: 'prctl prctlarg prctlrest prctlrest prctlrest',
  arch_prctl: 'archcode hex',
  adjtimex: 'ptr',
  setrlimit: 'rlimres rlimit',
  chroot: 'path',
  sync: '',
  acct: 'path',
  settimeofday: 'timeval ptr',
  mount: 'str path str hex ptr',
  umount2: 'path hex',
  swapon: 'path hex',
  swapoff: 'path',
  reboot: 'hex hex hex ptr',
  sethostname: 'buf int',
  setdomainname: 'buf int',
  iopl: 'int',
  ioperm: 'ulong ulong int',
  create_module: 'str ulong',
  init_module: 'ptr ulong str',
  delete_module: 'str hex',
  get_kernel_syms: 'ptr',
  query_module: 'str int ptr ulong ptr',
  quotactl: 'hex path int ptr',
  nfsservctl: 'int ptr ptr',
  getpmsg: 'int ptr ptr ptr ptr',
  putpmsg: 'int ptr ptr int int',
  afs_syscall: 'hex hex hex hex hex',
  tuxcall: 'hex hex hex',
  security: 'hex hex hex',
  gettid: '',
  readahead: 'fd long ulong',
  setxattr: 'path str ptr ulong hex',
  lsetxattr: 'path str ptr ulong hex',
  fsetxattr: 'fd str ptr ulong hex',
  getxattr: 'path str ptr ulong',
  lgetxattr: 'path str ptr ulong',
  fgetxattr: 'fd str ptr ulong',
  listxattr: 'path ptr ulong',
  llistxattr: 'path ptr ulong',
  flistxattr: 'fd ptr ulong',
  removexattr: 'path str',
  lremovexattr: 'path str',
  fremovexattr: 'fd str',
  tkill: 'int sig',
  time: 'ptr',
  futex: 'ptr futexop int futexts futexaddr2 futexval3',
  sched_setaffinity: 'int uint ptr',
  sched_getaffinity: 'int uint ptr',
  set_thread_area: 'ptr',
  io_setup: 'uint ptr',
  io_destroy: 'hex',
  io_getevents: 'hex long long ptr timespec',
  io_submit: 'hex long ptr',
  io_cancel: 'hex ptr ptr',
  get_thread_area: 'ptr',
  lookup_dcookie: 'hex ptr ulong',
  epoll_create: 'int',
  epoll_ctl_old: 'hex hex hex hex',
  epoll_wait_old: 'hex hex hex',
  remap_file_pages: 'ptr ulong prot ulong hex',
  getdents64: 'fd >dents uint',
  set_tid_address: 'ptr',
  restart_syscall: '',
  semtimedop: 'int ptr ulong timespec',
  fadvise64: 'fd long long fadvice',
  timer_create: 'clock ptr ptr',
  timer_settime: 'int abstime ptr ptr',
  timer_gettime: 'int ptr',
  timer_getoverrun: 'int',
  timer_delete: 'int',
  clock_settime: 'clock timespec',
  clock_gettime: 'clock >timespec',
  clock_getres: 'clock >timespec',
  clock_nanosleep: 'clock abstime timespec ptr',
  exit_group: 'int -> none',
  epoll_wait: 'fd ptr int int',
  epoll_ctl: 'fd epollop fd epollev',
  tgkill: 'int int sig',
  utimes: 'path ptr',
  vserver: 'hex hex hex hex hex',
  mbind: 'ptr ulong int ptr ulong hex',
  set_mempolicy: 'int ptr ulong',
  get_mempolicy: 'ptr ptr ulong ptr hex',
  mq_open: 'str oflags omode ptr',
  mq_unlink: 'str',
  mq_timedsend: 'fd ptr ulong uint timespec',
  mq_timedreceive: 'fd ptr ulong ptr timespec',
  mq_notify: 'fd ptr',
  mq_getsetattr: 'fd ptr ptr',
  kexec_load: 'hex ulong ptr hex',
  waitid: 'idtype int ptr waitopts ptr',
  add_key: 'str str ptr ulong int',
  request_key: 'str str str int',
  keyctl: 'int hex hex hex hex',
  ioprio_set: 'int int int',
  ioprio_get: 'int int',
  inotify_init: '',
  inotify_add_watch: 'fd path hex',
  inotify_rm_watch: 'fd int',
  migrate_pages: 'int ulong ptr ptr',
  openat: 'dirfd path oflags omode',
  mkdirat: 'dirfd path mode',
  mknodat: 'dirfd path fmode hex',
  fchownat: 'dirfd path int int atflags',
  futimesat: 'dirfd path ptr',
  newfstatat: 'dirfd path >stat atflags',
  unlinkat: 'dirfd path unlinkflags',
  renameat: 'dirfd path dirfd path',
  linkat: 'dirfd path dirfd path atflags',
  symlinkat: 'path dirfd path',
  readlinkat: 'dirfd path >buf ulong',
  fchmodat: 'dirfd path mode',
  faccessat: 'dirfd path amode',
  pselect6: 'int ptr ptr ptr timespec ptr',
  ppoll: 'pollfds uint timespec ptr ulong',
  unshare: 'nsflags',
  set_robust_list: 'ptr ulong',
  get_robust_list: 'int ptr ptr',
  splice: 'fd ptr fd ptr ulong hex',
  tee: 'fd fd ulong hex',
  sync_file_range: 'fd long long hex',
  vmsplice: 'fd ptr ulong hex',
  move_pages: 'int ulong ptr ptr ptr hex',
  utimensat: 'dirfd path ptr atflags',
  epoll_pwait: 'fd ptr int int ptr ulong',
  signalfd: 'fd ptr ulong',
  timerfd_create: 'clock cloexec:TFD',
  eventfd: 'uint',
  fallocate: 'fd hex long long',
  timerfd_settime: 'fd abstime:TFD_TIMER ptr ptr',
  timerfd_gettime: 'fd ptr',
  accept4: 'fd ptr ptr cloexec:SOCK',
  signalfd4: 'fd ptr ulong cloexec:SFD',
  eventfd2: 'uint cloexec:EFD',
  epoll_create1: 'cloexec:EPOLL',
  dup3: 'fd fd cloexec:O',
  pipe2: '>fds2 cloexec:O',
  inotify_init1: 'cloexec:IN',
  preadv: 'fd >iov int long _',
  pwritev: 'fd iov int long _',
  rt_tgsigqueueinfo: 'int int sig ptr',
  perf_event_open: 'ptr int int int hex',
  recvmmsg: 'fd ptr uint msgflags timespec',
  fanotify_init: 'hex hex',
  fanotify_mark: 'fd hex hex dirfd path',
  prlimit64: 'int rlimres rlimit >rlimit',
  name_to_handle_at: 'dirfd path ptr ptr atflags',
  open_by_handle_at: 'fd ptr oflags',
  clock_adjtime: 'clock ptr',
  syncfs: 'fd',
  sendmmsg: 'fd ptr uint msgflags',
  setns: 'fd nsflags',
  getcpu: 'ptr ptr ptr',
  process_vm_readv: 'int ptr ulong ptr ulong hex',
  process_vm_writev: 'int ptr ulong ptr ulong hex',
  kcmp: 'int int int hex hex',
  finit_module: 'fd str hex',
  sched_setattr: 'int ptr hex',
  sched_getattr: 'int ptr uint hex',
  renameat2: 'dirfd path dirfd path renameflags',
  seccomp: 'uint hex ptr',
  getrandom: '>buf ulong grnd',
  memfd_create: 'str mfdflags',
  kexec_file_load: 'fd fd ulong str hex',
  bpf: 'int ptr uint',
  execveat: 'dirfd path argv envp atflags',
  userfaultfd: 'cloexec:O',
  membarrier: 'hex hex int',
  mlock2: 'ptr ulong hex',
  copy_file_range: 'fd ptr fd ptr ulong hex',
  preadv2: 'fd >iov int long _ hex',
  pwritev2: 'fd iov int long _ hex',
  pkey_mprotect: 'ptr ulong prot int',
  pkey_alloc: 'hex hex',
  pkey_free: 'int',
  statx: 'dirfd path statxflags statxmask >statx',
  io_pgetevents: 'hex long long ptr timespec ptr',
  rseq: 'ptr uint hex hex',
  pidfd_send_signal: 'fd sig ptr hex',
  io_uring_setup: 'uint ptr',
  io_uring_enter: 'fd uint uint hex ptr ulong',
  io_uring_register: 'fd uint ptr uint',
  open_tree: 'dirfd path hex',
  move_mount: 'dirfd path dirfd path hex',
  fsopen: 'str hex',
  fsconfig: 'fd uint str ptr int',
  fsmount: 'fd hex hex',
  fspick: 'dirfd path hex',
  pidfd_open: 'int hex',
  clone3: 'ptr ulong',
  close_range: 'uint uint closerange',
  openat2: 'dirfd path openhow ulong',
  pidfd_getfd: 'fd fd hex',
  faccessat2: 'dirfd path amode faccessflags',
  process_madvise: 'fd ptr ulong madvice hex',
  epoll_pwait2: 'fd ptr int timespec ptr ulong',
  mount_setattr: 'dirfd path atflags ptr ulong',
  quotactl_fd: 'fd hex int ptr',
  landlock_create_ruleset: 'ptr ulong hex',
  landlock_add_rule: 'fd int ptr hex',
  landlock_restrict_self: 'fd hex',
  memfd_secret: 'hex',
  process_mrelease: 'fd hex',
  futex_waitv: 'ptr uint hex timespec clock',
  set_mempolicy_home_node: 'ptr ulong ulong hex',
  cachestat: 'fd ptr ptr hex',
  fchmodat2: 'dirfd path mode atflags',
  map_shadow_stack: 'ptr ulong hex -> hex',
  futex_wake: 'ptr hex int hex',
  futex_wait: 'ptr hex hex hex timespec clock',
  futex_requeue: 'ptr hex int int',
  statmount: 'ptr ptr ulong hex',
  listmount: 'ptr ptr ulong hex',
  lsm_get_self_attr: 'uint ptr ptr hex',
  lsm_set_self_attr: 'uint ptr ulong hex',
  lsm_list_modules: 'ptr ptr hex',
  mseal: 'ptr ulong hex',
  setxattrat: 'dirfd path atflags str ptr ulong',
  getxattrat: 'dirfd path atflags str ptr ulong',
  listxattrat: 'dirfd path atflags ptr ulong',
  removexattrat: 'dirfd path atflags str',
};

interface ArgSpec {
  readonly kind: Kind;
  readonly param: string;
  readonly deferred: boolean;
}

interface CallSpec {
  readonly name: string;
  readonly args: readonly ArgSpec[];
  readonly ret: RetKind;
}

function parseSpec(name: string, text: string): CallSpec {
  const [argText, retText] = text.split('->').map((s) => s.trim());
  const ret = (retText ?? 'dec') as RetKind;
  if (!RET_KINDS.includes(ret)) throw new Error(`strace: ${name}: unknown return kind '${retText}'`);
  const args: ArgSpec[] = [];
  for (const tok of argText === '' ? [] : argText.split(/\s+/)) {
    const deferred = tok.startsWith('>');
    const [kindName, param = ''] = (deferred ? tok.slice(1) : tok).split(':');
    const kind = KINDS[kindName];
    // A typo here is a programming error; failing at load makes the unit test catch it.
    if (kind === undefined) throw new Error(`strace: ${name}: unknown argument kind '${kindName}'`);
    args.push({ kind, param, deferred });
  }
  if (args.length > 6) throw new Error(`strace: ${name}: more than six arguments`);
  return { name, args, ret };
}

const TABLE: (CallSpec | undefined)[] = [];
for (let nr = 0; nr <= MAX_SYSCALL; nr++) {
  const name = SYSCALL_NAMES[nr];
  if (name === undefined) continue;
  const text = SPECS[name];
  if (text !== undefined) TABLE[nr] = parseSpec(name, text);
}

// ---- entry and exit --------------------------------------------------------------------

function isDeferred(a: ArgSpec, args: readonly number[]): boolean {
  return a.deferred || (a.kind.out !== undefined && a.kind.out(args));
}

function firstDeferred(spec: CallSpec, args: readonly number[]): number {
  for (let k = 0; k < spec.args.length; k++) if (isDeferred(spec.args[k], args)) return k;
  return -1;
}

function isError(ret: number): boolean {
  return ret >= -4095 && ret <= -1;
}

function callName(nr: number): string {
  return SYSCALL_NAMES[nr] ?? `syscall_${hex(nr)}`;
}

/** For calls we have no spec for: every register, in hex, like strace's unknown calls. */
function rawArgs(args: readonly number[]): string {
  const out: string[] = [];
  for (let k = 0; k < 6; k++) out.push(hex(args[k] ?? 0));
  return out.join(', ');
}

function formatArgs(spec: CallSpec, args: readonly number[], mem: TraceMemory, from: number, to: number, exiting: boolean, ret: number): string[] {
  const c: Ctx = { args, mem, i: 0, param: '', exiting, ret };
  // Negative covers -errno and the dispatcher's internal codes: either way no output exists.
  const failed = exiting && ret < 0;
  const out: string[] = [];
  for (let k = from; k < to; k++) {
    const a = spec.args[k];
    c.i = k;
    c.param = a.param;
    let s: string | null;
    // After a failure the kernel wrote nothing worth decoding; show where it would have gone.
    if (failed && isDeferred(a, args)) s = ptr(args[k] ?? 0);
    else {
      try {
        s = a.kind.fmt(c);
      } catch {
        s = hex(args[k] ?? 0);
      }
    }
    if (s !== null) out.push(s);
  }
  return out;
}

export function formatEntry(nr: number, args: readonly number[], mem: TraceMemory): string {
  const name = callName(nr);
  try {
    const spec = TABLE[nr];
    if (spec === undefined) return `${name}(${rawArgs(args)}`;
    const split = firstDeferred(spec, args);
    const end = split < 0 ? spec.args.length : split;
    const parts = formatArgs(spec, args, mem, 0, end, false, 0);
    return `${name}(${parts.join(', ')}${split >= 0 && parts.length > 0 ? ', ' : ''}`;
  } catch {
    return `${name}(${rawArgs(args)}`;
  }
}

// strace's wording for the kernel-internal restart codes, which only a tracer ever sees.
const RESTART_TEXT: Names = {
  512: 'To be restarted if SA_RESTART is set',
  513: 'To be restarted',
  514: 'To be restarted if no handler',
  515: 'No ioctl command',
  516: 'Interrupted by signal',
};
const RESTART_NAMES: Names = { 515: 'ENOIOCTLCMD' };

function formatRet(spec: CallSpec | undefined, args: readonly number[], ret: number): string {
  if (isError(ret)) {
    const e = -ret;
    const restart = RESTART_TEXT[e];
    if (restart !== undefined) return `? ${RESTART_NAMES[e] ?? errnoName(e)} (${restart})`;
    return `-1 ${errnoName(e)} (${strerror(e)})`;
  }
  switch (spec?.ret ?? 'dec') {
    case 'none': return '?';
    case 'hex': return hex(ret);
    case 'oct': return octMode(ret);
    case 'fcntl': {
      const cmd = (args[1] ?? 0) | 0;
      if (cmd === F_GETFD) return ret === 0 ? '0' : `${hex(ret)} (flags ${ret & 1 ? 'FD_CLOEXEC' : hex(ret)})`;
      if (cmd === F_GETFL) return `${hex(ret)} (flags ${openFlags(ret)})`;
      if (cmd === F_GET_SEALS) return ret === 0 ? '0' : `${hex(ret)} (seals ${flagNames(ret, SEALS)})`;
      return sdec(ret);
    }
    default: return sdec(ret);
  }
}

export function formatExit(nr: number, args: readonly number[], ret: number, mem: TraceMemory): string {
  const spec = TABLE[nr];
  let rest = '';
  try {
    if (spec !== undefined) {
      const split = firstDeferred(spec, args);
      if (split >= 0) rest = formatArgs(spec, args, mem, split, spec.args.length, true, ret).join(', ');
    }
  } catch {
    rest = '';
  }
  let r: string;
  try {
    r = formatRet(spec, args, ret);
  } catch {
    r = sdec(ret);
  }
  return `${rest}) = ${r}`;
}
