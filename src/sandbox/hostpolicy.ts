// What the sandbox process itself may do on the host once confined: the host syscalls the
// sentry (node, V8, libuv and the native addon) makes, each with why, and the
// capabilities it keeps. docs/SECURITY.md is generated from these tables
// (`npm run docs`), so the list and the document cannot drift apart.
import type { HostSyscallRule } from '../platform/confine';
import { NR } from '../syscalls/names';

const ENOSYS = 38;
const AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
// pthread_create's clone flags (glibc: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|
// PARENT_SETTID|CHILD_CLEARTID), the stub template's fork (SIGCHLD only), and the app-thread
// clone injected into a stub (VM|FS|FILES|SIGHAND|THREAD|SYSVSEM).
const CLONE_PTHREAD = 0x3d0f00, CLONE_FORK = 17, CLONE_STUB_THREAD = 0x50f00;
// ioctl requests: terminal queries passed through for host stdio, and libuv's own.
const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f;
const TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451;
// Socket ioctls passed on for the app's inet sockets: SIOCOUTQ, SIOCATMARK, and the
// interface queries (SIOCGIFNAME, CONF, FLAGS, ADDR, DSTADDR, BRDADDR, NETMASK, MTU,
// HWADDR, INDEX, TXQLEN). None sets anything.
const SIOCOUTQ = 0x5411, SIOCATMARK = 0x8905;
const SIOCGIF = [0x8910, 0x8912, 0x8913, 0x8915, 0x8917, 0x8919, 0x891b, 0x8921, 0x8927, 0x8933, 0x8942];
// prctl options used after confinement.
const PR_SET_PDEATHSIG = 1, PR_SET_NAME = 15, PR_GET_NAME = 16, PR_SET_NO_NEW_PRIVS = 38, PR_SET_VMA = 0x53564d41;
const SECCOMP_SET_MODE_FILTER = 1;

type Entry = [name: string, why: string, cond?: { arg: number; oneOf: number[] } | { errno: number }];

/** Grouped as SECURITY.md shows them; the hot calls of the syscall path come first. */
export const HOST_SYSCALL_GROUPS: { title: string; entries: Entry[] }[] = [
  {
    title: 'Driving the app (the ptrace platform)',
    entries: [
      ['ptrace', 'stop, inspect and resume app threads in the stub processes (PTRACE_SYSEMU)'],
      ['waitid', 'collect ptrace stops of app threads'],
      ['wait4', 'collect ptrace stops and exits of stub processes'],
      ['epoll_pwait2', 'the sentry\'s one wait: host fds, child events and control requests, with a deadline'],
      ['futex', 'node\'s and libuv\'s locks and condition variables'],
      ['tgkill', 'interrupt a running app thread; the control thread wakes the sentry'],
      ['kill', 'end a stub process'],
      ['clone', 'fork the stub template once; node\'s own threads', { arg: 0, oneOf: [CLONE_PTHREAD, CLONE_FORK, CLONE_STUB_THREAD] }],
      ['fork', 'injected into the stub template to make a new address space'],
      ['sched_setaffinity', 'keep the tracer and its stubs on one CPU (a ptrace round trip is far cheaper there)'],
      ['sched_getaffinity', 'node reads its CPU set'],
      ['sched_yield', 'spin-waits in V8 and libuv'],
      ['seccomp', 'a stub installs its own stricter filter before the first app instruction', { arg: 0, oneOf: [SECCOMP_SET_MODE_FILTER] }],
      ['prctl', 'thread names; a stub sets PDEATHSIG and no_new_privs; glibc names anonymous mappings',
        { arg: 0, oneOf: [PR_SET_PDEATHSIG, PR_SET_NAME, PR_GET_NAME, PR_SET_NO_NEW_PRIVS, PR_SET_VMA] }],
      ['setsid', 'a stub leaves the sentry\'s session'],
      ['close_range', 'a stub drops every inherited fd'],
      ['exit', 'a thread ends (node\'s, or an app thread told to leave)'],
      ['exit_group', 'the sandbox process ends'],
    ],
  },
  {
    title: 'Memory (the memory file, and node\'s heap)',
    entries: [
      ['mmap', 'V8 and malloc heaps; the memory file mapped into the sentry and the stubs'],
      ['munmap', 'the same, released'],
      ['mprotect', 'V8 code pages; stub address spaces'],
      ['madvise', 'V8 and malloc give memory back'],
      ['mremap', 'malloc grows large blocks'],
      ['brk', 'glibc malloc\'s main heap'],
      ['fallocate', 'punch holes in the memory file when app memory is freed'],
      ['ftruncate', 'grow the memory file; truncate files on writable bind mounts'],
      ['membarrier', 'V8\'s code patching'],
      ['pkey_alloc', 'refused: V8 then does without memory protection keys for its code', { errno: ENOSYS }],
      ['pkey_free', 'refused with pkey_alloc', { errno: ENOSYS }],
      ['pkey_mprotect', 'refused with pkey_alloc', { errno: ENOSYS }],
    ],
  },
  {
    title: 'Files below the fds opened before the pivot (root, bind mounts, stdio, the log)',
    entries: [
      ['read', 'host fds: stdio, image files, pipes, the control socket\'s wake-up'],
      ['write', 'the same, and logs'],
      ['readv', 'libuv and node stream writes'],
      ['writev', 'libuv and node stream writes'],
      ['pread64', 'image and bind-mount files at an offset'],
      ['pwrite64', 'writable bind-mount files at an offset'],
      ['lseek', 'SEEK_DATA/SEEK_HOLE on the memory file; host stdio offsets'],
      ['openat', 'one name below a held directory fd, always O_NOFOLLOW (the sentry walks paths itself)'],
      ['close', 'close host fds the sentry is done with'],
      ['newfstatat', 'stat one name below a held directory fd (AT_SYMLINK_NOFOLLOW), or an fd'],
      ['fstat', 'stat an fd (node, libc)'],
      ['statx', 'node and libuv stat fds'],
      ['fstatfs', 'statfs of a bind mount'],
      ['getdents64', 'list a host directory'],
      ['readlinkat', 'read a symlink below a held directory fd (the sentry resolves it inside the container)'],
      ['mkdirat', 'writable bind mounts'],
      ['unlinkat', 'writable bind mounts'],
      ['renameat2', 'writable bind mounts'],
      ['symlinkat', 'writable bind mounts'],
      ['linkat', 'writable bind mounts (never following symlinks)'],
      ['mknodat', 'FIFOs and sockets on writable bind mounts (never devices)'],
      ['fchmodat2', 'writable bind mounts (AT_SYMLINK_NOFOLLOW)'],
      ['fchmodat', 'libc\'s fallback for fchmodat2'],
      ['fchownat', 'writable bind mounts'],
      ['utimensat', 'writable bind mounts'],
      ['fsync', 'fsync on writable bind mounts'],
      ['fdatasync', 'fdatasync on writable bind mounts'],
      ['flock', 'flock on writable bind mounts'],
      ['fcntl', 'fd flags (O_NONBLOCK, FD_CLOEXEC); dup with F_DUPFD_CLOEXEC'],
      ['dup', 'node\'s stdio setup'],
      ['dup3', 'node\'s stdio setup'],
      ['ioctl', 'terminal queries passed through for host stdio; libuv sets O_NONBLOCK and FD_CLOEXEC; queue sizes ' +
        'and interface queries for the app\'s inet sockets',
        { arg: 1, oneOf: [TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGPGRP, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO, FIONCLEX,
          FIOCLEX, SIOCOUTQ, SIOCATMARK, ...SIOCGIF] }],
      ['poll', 'readiness of one host fd before a transfer'],
      ['ppoll', 'readiness of one host fd (libc\'s poll)'],
      ['getcwd', 'node asks for its working directory ("/" once confined)'],
      ['umask', 'node reads its umask'],
    ],
  },
  {
    title: 'Event loop and signals (node, libuv, the addon)',
    entries: [
      ['epoll_create1', 'the sentry\'s and libuv\'s epoll sets'],
      ['epoll_ctl', 'add and remove fds in those epoll sets'],
      ['epoll_wait', 'libuv\'s event loop'],
      ['epoll_pwait', 'libuv\'s event loop'],
      ['eventfd2', 'wake-ups for child events and host signals'],
      ['pipe2', 'libuv\'s signal and async pipes'],
      ['rt_sigaction', 'handlers for host signals (console keys, SIGCHLD, SIGSYS)'],
      ['rt_sigprocmask', 'signal masks of node\'s threads'],
      ['rt_sigreturn', 'return from a signal handler'],
      ['sigaltstack', 'node\'s and glibc\'s signal stacks'],
      ['restart_syscall', 'an interrupted sleep goes on'],
      ['set_robust_list', 'glibc, for each new thread'],
      ['rseq', 'glibc, for each new thread'],
      ['set_tid_address', 'glibc, for each new thread'],
      ['clone3', 'refused so glibc falls back to clone, whose flags the filter can check', { errno: ENOSYS }],
      ['io_uring_setup', 'refused: libuv falls back to its thread pool', { errno: ENOSYS }],
      ['io_uring_enter', 'refused with io_uring_setup', { errno: ENOSYS }],
      ['io_uring_register', 'refused with io_uring_setup', { errno: ENOSYS }],
    ],
  },
  {
    title: 'Sockets: the control socket, and the host sockets behind the app\'s inet sockets',
    entries: [
      ['accept4', 'take a connection on the control socket (bound before the pivot) or an app\'s listening socket'],
      ['recvmsg', 'read a control request and the fds passed with it (SCM_RIGHTS); the app\'s inet receives'],
      ['sendmsg', 'answer, and pass a terminal\'s fd; the app\'s inet sends'],
      ['socket', 'inet and netlink sockets only (the app\'s TCP and UDP, and read-only NETLINK_ROUTE queries, in ' +
        'the sandbox\'s network namespace; raw sockets fail, as no CAP_NET_RAW is kept, and no CAP_NET_ADMIN is ' +
        'kept to change the namespace). The control socket is made before confinement, and no new unix socket ' +
        'is: one could reach a host service\'s abstract socket when the network namespace is the host\'s',
      { arg: 0, oneOf: [AF_INET, AF_INET6, AF_NETLINK] }],
      ['bind', 'the app\'s inet sockets (ports below 1024 only for an app holding CAP_NET_BIND_SERVICE)'],
      ['connect', 'the app\'s inet sockets (non-blocking; the sentry waits)'],
      ['listen', 'the app\'s inet sockets'],
      ['getsockname', 'the app\'s inet sockets'],
      ['getpeername', 'the app\'s inet sockets'],
      ['getsockopt', 'the app\'s inet sockets (an allow-list of options, src/net/host/policy.ts)'],
      ['setsockopt', 'options on the control socket; the app\'s inet sockets (the same allow-list)'],
      ['shutdown', 'end a control connection; the app\'s inet sockets'],
    ],
  },
  {
    title: 'Time, ids and randomness',
    entries: [
      ['clock_gettime', 'clocks (when the vDSO does not answer), CPU time of stub processes'],
      ['clock_getres', 'node reads clock resolutions'],
      ['clock_nanosleep', 'short sleeps in the addon and libuv'],
      ['nanosleep', 'short sleeps in libc'],
      ['gettimeofday', 'libc time when the vDSO does not answer'],
      ['getrandom', 'the app\'s randomness and V8\'s'],
      ['getpid', 'node and the addon'],
      ['gettid', 'node and the addon'],
      ['getppid', 'node reads its parent pid'],
      ['getuid', 'node reads its ids'],
      ['geteuid', 'node reads its ids'],
      ['getgid', 'node reads its ids'],
      ['getegid', 'node reads its ids'],
      ['uname', 'node and libc read the host kernel\'s release'],
      ['sysinfo', 'node\'s memory and uptime queries'],
      ['getrusage', 'node\'s resource usage'],
      ['prlimit64', 'node reads its limits'],
      ['getpriority', 'libuv thread priorities'],
      ['sched_getparam', 'libuv thread priorities'],
      ['sched_getscheduler', 'libuv thread priorities'],
    ],
  },
];

/** The allow-list as compiler rules (numbers resolved). */
export function hostSyscallRules(): HostSyscallRule[] {
  const out: HostSyscallRule[] = [];
  for (const g of HOST_SYSCALL_GROUPS) {
    for (const [name, why, cond] of g.entries) {
      const nr = NR[name];
      if (nr === undefined) throw new Error(`host policy: unknown syscall ${name}`);
      if (cond === undefined) out.push({ nr, name, why });
      else if ('errno' in cond) out.push({ nr, name, why, errno: cond.errno });
      else out.push({ nr, name, why, arg: cond.arg, oneOf: cond.oneOf });
    }
  }
  return out;
}

/** Capabilities the sandbox process keeps in its user namespace, and why. */
export const KEPT_CAPABILITIES: [cap: number, name: string, why: string][] = [
  [0, 'CAP_CHOWN', 'chown on writable bind mounts, for an app that may chown'],
  [1, 'CAP_DAC_OVERRIDE', 'read image files and write bind mounts whatever their modes (the sentry checks the app\'s permissions itself)'],
  [2, 'CAP_DAC_READ_SEARCH', 'list and search image directories whatever their modes'],
  [3, 'CAP_FOWNER', 'chmod and utimes on bind-mount files the sandbox does not own'],
  [4, 'CAP_FSETID', 'keep set-id bits when the app writes or chmods its own files on a bind mount'],
  [10, 'CAP_NET_BIND_SERVICE', 'bind an app\'s inet socket to a port below 1024 in a network namespace of the ' +
    'sandbox\'s own (the sentry lets only an app with the same capability ask)'],
];
