// File attributes as the VFS passes them around (one reusable Stat object per call
// path, so stat-heavy workloads allocate nothing), their encodings as Linux's
// `struct stat` (144 bytes) and `struct statx` (256 bytes), device numbers, and the
// time source file systems stamp files with.
import { STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID } from './abi';

const TWO32 = 4294967296;

/** Linux's kernel-internal dev_t encoding (also the low 32 bits of glibc's). */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)) >>> 0;
}
export function devMajor(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function devMinor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

export class Stat {
  dev = 0;
  ino = 0;
  nlink = 1;
  mode = 0;
  uid = 0;
  gid = 0;
  rdev = 0;
  size = 0;
  blksize = 4096;
  blocks = 0;
  atimeSec = 0;
  atimeNsec = 0;
  mtimeSec = 0;
  mtimeNsec = 0;
  ctimeSec = 0;
  ctimeNsec = 0;
  /** Birth time, when the file system knows it (statx STATX_BTIME). */
  btimeSec = 0;
  btimeNsec = 0;
  hasBtime = false;
  mntId = 0;

  reset(): void {
    this.dev = this.ino = this.mode = this.uid = this.gid = this.rdev = this.size = this.blocks = 0;
    this.nlink = 1;
    this.blksize = 4096;
    this.atimeSec = this.atimeNsec = this.mtimeSec = this.mtimeNsec = this.ctimeSec = this.ctimeNsec = 0;
    this.btimeSec = this.btimeNsec = 0;
    this.hasBtime = false;
    this.mntId = 0;
  }
}

function putU64(b: Buffer, off: number, v: number): void {
  // Values are non-negative integers below 2^53 (or negative sizes never occur).
  const lo = v % TWO32;
  b.writeUInt32LE(lo >>> 0, off);
  b.writeUInt32LE(Math.floor(v / TWO32) >>> 0, off + 4);
}

function putI64(b: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  b.writeUInt32LE((v - hi * TWO32) >>> 0, off);
  b.writeInt32LE(hi | 0, off + 4);
}

export const STAT_SIZE = 144;
export const STATX_SIZE = 256;

/** Encodes st as x86-64 `struct stat` at b[0..144). */
export function encodeStat(st: Stat, b: Buffer): void {
  putU64(b, 0, st.dev);
  putU64(b, 8, st.ino);
  putU64(b, 16, st.nlink);
  b.writeUInt32LE(st.mode >>> 0, 24);
  b.writeUInt32LE(st.uid >>> 0, 28);
  b.writeUInt32LE(st.gid >>> 0, 32);
  b.writeUInt32LE(0, 36);
  putU64(b, 40, st.rdev);
  putI64(b, 48, st.size);
  putI64(b, 56, st.blksize);
  putI64(b, 64, st.blocks);
  putI64(b, 72, st.atimeSec);
  putU64(b, 80, st.atimeNsec);
  putI64(b, 88, st.mtimeSec);
  putU64(b, 96, st.mtimeNsec);
  putI64(b, 104, st.ctimeSec);
  putU64(b, 112, st.ctimeNsec);
  b.fill(0, 120, 144);
}

/** Decodes a raw host `struct stat` (from fstatat) into st, without allocating. */
export function decodeStat(b: Buffer, st: Stat): void {
  const u64 = (o: number) => b.readUInt32LE(o + 4) * TWO32 + b.readUInt32LE(o);
  const i64 = (o: number) => b.readInt32LE(o + 4) * TWO32 + b.readUInt32LE(o);
  st.dev = u64(0);
  st.ino = u64(8);
  st.nlink = u64(16);
  st.mode = b.readUInt32LE(24);
  st.uid = b.readUInt32LE(28);
  st.gid = b.readUInt32LE(32);
  st.rdev = u64(40);
  st.size = i64(48);
  st.blksize = i64(56);
  st.blocks = i64(64);
  st.atimeSec = i64(72);
  st.atimeNsec = u64(80);
  st.mtimeSec = i64(88);
  st.mtimeNsec = u64(96);
  st.ctimeSec = i64(104);
  st.ctimeNsec = u64(112);
  st.hasBtime = false;
}

function putTs(b: Buffer, off: number, sec: number, nsec: number): void {
  putI64(b, off, sec);
  b.writeUInt32LE(nsec >>> 0, off + 8);
  b.writeUInt32LE(0, off + 12);
}

/** Encodes st as `struct statx` at b[0..256); returns nothing (mask is computed here). */
export function encodeStatx(st: Stat, b: Buffer): void {
  b.fill(0, 0, STATX_SIZE);
  let mask = STATX_BASIC_STATS | STATX_MNT_ID;
  if (st.hasBtime) mask |= STATX_BTIME;
  b.writeUInt32LE(mask >>> 0, 0);
  b.writeUInt32LE(st.blksize >>> 0, 4);
  // stx_attributes 0; stx_attributes_mask 0 (no attribute is reported)
  b.writeUInt32LE(st.nlink >>> 0, 16);
  b.writeUInt32LE(st.uid >>> 0, 20);
  b.writeUInt32LE(st.gid >>> 0, 24);
  b.writeUInt16LE(st.mode & 0xffff, 28);
  putU64(b, 32, st.ino);
  putU64(b, 40, st.size);
  putU64(b, 48, st.blocks);
  putTs(b, 64, st.atimeSec, st.atimeNsec);
  if (st.hasBtime) putTs(b, 80, st.btimeSec, st.btimeNsec);
  putTs(b, 96, st.ctimeSec, st.ctimeNsec);
  putTs(b, 112, st.mtimeSec, st.mtimeNsec);
  b.writeUInt32LE(devMajor(st.rdev), 128);
  b.writeUInt32LE(devMinor(st.rdev), 132);
  b.writeUInt32LE(devMajor(st.dev), 136);
  b.writeUInt32LE(devMinor(st.dev), 140);
  putU64(b, 144, st.mntId);
}

// ---- time -------------------------------------------------------------------------

/**
 * Where file times come from: the kernel's Clock satisfies this (read(CLOCK_REALTIME)
 * fills ts = [sec, nsec]); tests can pass anything with the same shape.
 */
export interface TimeSource {
  read(clockid: number): number;
  readonly ts: Float64Array;
}

/** A TimeSource over Date.now(), for tests and tools (millisecond resolution). */
export class DateTimeSource implements TimeSource {
  readonly ts = new Float64Array(2);
  read(_clockid: number): number {
    const ms = Date.now();
    this.ts[0] = Math.floor(ms / 1000);
    this.ts[1] = (ms % 1000) * 1e6;
    return 0;
  }
}

/** Sentinel for "set this time to now" in SetAttr. */
export const UTIME_NOW = (1 << 30) - 1;
/** Sentinel for "leave this time alone" in SetAttr. */
export const UTIME_OMIT = (1 << 30) - 2;

/** Attribute changes (chmod, chown, truncate, utimensat); fields < 0 are left alone. */
export class SetAttr {
  mode = -1;
  uid = -1;
  gid = -1;
  size = -1;
  atimeSec = 0;
  atimeNsec = UTIME_OMIT;
  mtimeSec = 0;
  mtimeNsec = UTIME_OMIT;
  /** ctime is always updated by a successful change. */
  reset(): SetAttr {
    this.mode = this.uid = this.gid = this.size = -1;
    this.atimeSec = this.mtimeSec = 0;
    this.atimeNsec = this.mtimeNsec = UTIME_OMIT;
    return this;
  }
  withSize(size: number): SetAttr {
    this.size = size;
    return this;
  }
}
