// File-system ABI constants (x86-64 Linux uapi values): open flags, file types, *at
// flags, dirent types, statx masks, ioctl numbers the VFS and file systems understand.

// ---- open(2) flags ---------------------------------------------------------------
export const O_ACCMODE = 0o3, O_RDONLY = 0o0, O_WRONLY = 0o1, O_RDWR = 0o2;
export const O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000, O_APPEND = 0o2000,
  O_NONBLOCK = 0o4000, O_DSYNC = 0o10000, O_ASYNC = 0o20000, O_DIRECT = 0o40000, O_LARGEFILE = 0o100000,
  O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000, O_CLOEXEC = 0o2000000,
  O_SYNC = 0o4010000, O_PATH = 0o10000000, O_TMPFILE = 0o20200000;
/** Every flag open(2) knows; others are silently dropped (openat2 rejects them). */
export const VALID_OPEN_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
  O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE;
/** What an O_PATH open keeps of the flags. */
export const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH;
/** Status flags fcntl(F_SETFL) may change. */
export const SETFL_MASK = O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK;

// ---- file types and mode bits -------------------------------------------------------
export const S_IFMT = 0o170000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000, S_IFREG = 0o100000, S_IFBLK = 0o060000,
  S_IFDIR = 0o040000, S_IFCHR = 0o020000, S_IFIFO = 0o010000;
export const S_ISUID = 0o4000, S_ISGID = 0o2000, S_ISVTX = 0o1000;
export const S_IRWXUGO = 0o777, S_IALLUGO = 0o7777, S_IXUGO = 0o111;

export const isDir = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR;
export const isReg = (mode: number): boolean => (mode & S_IFMT) === S_IFREG;
export const isLnk = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK;

// ---- *at flags ------------------------------------------------------------------------
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100, AT_EACCESS = 0x200, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
  AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000, AT_STATX_SYNC_TYPE = 0x6000, AT_STATX_FORCE_SYNC = 0x2000,
  AT_STATX_DONT_SYNC = 0x4000, AT_RECURSIVE = 0x8000;

export const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

// ---- access(2) -------------------------------------------------------------------------
export const F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;
/** Permission request bits (Linux's MAY_*). */
export const MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4, MAY_APPEND = 8;

// ---- lseek ------------------------------------------------------------------------------
export const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
/**
 * Largest file offset the sentry handles: JS numbers are exact to 2^53. (Linux's tmpfs
 * allows 2^63-1; offsets between 2^53 and that fail with EINVAL/EFBIG here.)
 */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

// ---- dirent types -----------------------------------------------------------------------
export const DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10, DT_SOCK = 12,
  DT_WHT = 14;
/** The dirent type of a mode. */
export const dtype = (mode: number): number => (mode & S_IFMT) >>> 12;

// ---- statx --------------------------------------------------------------------------------
export const STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_NLINK = 0x4, STATX_UID = 0x8, STATX_GID = 0x10,
  STATX_ATIME = 0x20, STATX_MTIME = 0x40, STATX_CTIME = 0x80, STATX_INO = 0x100, STATX_SIZE = 0x200,
  STATX_BLOCKS = 0x400, STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800, STATX_MNT_ID = 0x1000,
  STATX__RESERVED = 0x80000000;

// ---- fcntl ---------------------------------------------------------------------------------
export const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7,
  F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16,
  F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38, F_SETLEASE = 1024, F_GETLEASE = 1025, F_NOTIFY = 1026,
  F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032, F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
export const FD_CLOEXEC = 1;

// ---- ioctl ----------------------------------------------------------------------------------
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TIOCGPGRP = 0x540f,
  TIOCSPGRP = 0x5410, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b, FIONBIO = 0x5421,
  FIONCLEX = 0x5450, FIOCLEX = 0x5451, FIOASYNC = 0x5452;
/** sizeof(struct termios) as the kernel's TCGETS copies it (not glibc's larger one). */
export const TERMIOS_SIZE = 36;
export const WINSIZE_SIZE = 8;

// ---- limits ----------------------------------------------------------------------------------
export const PATH_MAX = 4096, NAME_MAX = 255, MAXSYMLINKS = 40, PIPE_BUF = 4096;
