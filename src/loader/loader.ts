// Loads a program into a fresh MM the way Linux's binfmt_elf and binfmt_script do:
// static, static-PIE and dynamic ELF (PT_INTERP), `#!` scripts, and the initial
// stack with argv, envp and the auxiliary vector. Layout follows Linux's x86-64
// defaults (top-down mmap base under the stack, PIE at 2/3 of the address space),
// randomised unless the caller turns randomisation off.
import * as E from '../abi/errno';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, MM, MapSource, PROT_EXEC, PROT_READ, PROT_WRITE } from '../mm/mm';
import { PAGE_SIZE, TASK_SIZE } from '../platform/layout';
import { ElfInfo, ET_DYN, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR, parseHeader, parseProgramHeaders } from './elf';

export const AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8,
  AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_PLATFORM = 15, AT_HWCAP = 16,
  AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33,
  AT_MINSIGSTKSZ = 51;

/** An opened executable: readable like a mapped file, plus the path it was opened by. */
export interface ExecFile extends MapSource {
  readonly path: string;
}

export interface LoaderHost {
  /** Resolves and opens a path for execution (interpreters, `#!` lines). */
  open(path: string): ExecFile | number;
  random(buf: Uint8Array, off: number, len: number): void;
  /** Host CPU values for AT_HWCAP, AT_HWCAP2 and AT_MINSIGSTKSZ. */
  hwcap: number;
  hwcap2: number;
  minSigStkSz: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  /** RLIMIT_STACK soft limit in bytes (Infinity allowed). */
  stackLimit: number;
  randomize: boolean;
}

export interface LoadResult {
  entry: number;
  sp: number;
  /** The argv the program really got (a `#!` script prepends its interpreter). */
  argv: string[];
  /** The executable at the end of the `#!` chain (for /proc/self/exe). */
  exePath: string;
}

const MAX_SCRIPT_DEPTH = 4;
const ELF_ET_DYN_BASE = Math.floor((TASK_SIZE / 3) * 2 / PAGE_SIZE) * PAGE_SIZE;
const pageUp = (x: number) => Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
const pageDown = (x: number) => Math.floor(x / PAGE_SIZE) * PAGE_SIZE;

function readAt(f: MapSource, pos: number, len: number): Buffer | number {
  const b = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const r = f.readForMap(b, done, len - done, pos + done);
    if (r < 0) return r;
    if (r === 0) break;
    done += r;
  }
  return done === len ? b : b.subarray(0, done);
}

/** A random page-aligned offset below range bytes (0 when randomisation is off). */
function randomPages(host: LoaderHost, range: number): number {
  if (!host.randomize || range < PAGE_SIZE) return 0;
  const b = new Uint8Array(8);
  host.random(b, 0, 8);
  const pages = Math.floor(range / PAGE_SIZE);
  const r = (new DataView(b.buffer).getUint32(0, true) * 4294967296 + new DataView(b.buffer).getUint32(4, true)) % pages;
  return r * PAGE_SIZE;
}

interface Mapped {
  bias: number;
  entry: number;
  phdrAddr: number;
  phnum: number;
  end: number;
  interp: string;
}

/** Maps an ELF image; bias is chosen here for ET_DYN (main: PIE base, interp: mmap area). */
function mapElf(mm: MM, f: ExecFile, info: ElfInfo, isInterp: boolean, host: LoaderHost): Mapped | number {
  const loads = info.phdrs.filter((p) => p.type === PT_LOAD);
  if (loads.length === 0) return -E.ENOEXEC;
  let interp = '';
  for (const p of info.phdrs) {
    if (p.type === PT_INTERP && !isInterp) {
      if (p.filesz < 2 || p.filesz > 4096) return -E.ENOEXEC;
      const b = readAt(f, p.offset, p.filesz);
      if (typeof b === 'number') return b;
      if (b.length !== p.filesz || b[p.filesz - 1] !== 0) return -E.ENOEXEC;
      interp = b.toString('latin1', 0, p.filesz - 1);
    }
  }
  const lo = pageDown(Math.min(...loads.map((p) => p.vaddr)));
  const hi = pageUp(Math.max(...loads.map((p) => p.vaddr + p.memsz)));
  const span = hi - lo;
  let bias = 0;
  if (info.type === ET_DYN) {
    if (isInterp) {
      const at = mm.findFree(span, mm.mmapBase);
      if (at < 0) return -E.ENOMEM;
      bias = at - lo;
    } else {
      bias = ELF_ET_DYN_BASE + randomPages(host, 2 ** 32 /* Linux: 28-32 bits of PIE entropy */) - lo;
    }
  }
  // Reserve the whole span first, so segments land at fixed offsets from each other.
  const base = mm.mmap(lo + bias, span, 0, MAP_PRIVATE | MAP_ANONYMOUS | (bias !== 0 || info.type !== ET_DYN ? MAP_FIXED : 0), null, 0);
  if (base < 0) return base;
  if (info.type === ET_DYN && base !== lo + bias) bias = base - lo;
  for (const p of loads) {
    const prot = (p.flags & PF_R ? PROT_READ : 0) | (p.flags & PF_W ? PROT_WRITE : 0) | (p.flags & PF_X ? PROT_EXEC : 0);
    const start = pageDown(p.vaddr + bias);
    const fileEnd = p.vaddr + bias + p.filesz;
    const memEnd = p.vaddr + bias + p.memsz;
    if (p.filesz > 0) {
      const off = p.offset - ((p.vaddr + bias) - start);
      const r = mm.mmap(start, fileEnd - start, prot, MAP_PRIVATE | MAP_FIXED, f, off);
      if (r < 0) return r;
      // The tail of the last file page belongs to the bss: it must read as zeroes.
      const tail = pageUp(fileEnd) - fileEnd;
      if (tail > 0 && p.memsz > p.filesz) mm.zeroUnchecked(fileEnd, tail);
    }
    const bssStart = p.filesz > 0 ? pageUp(fileEnd) : start;
    if (pageUp(memEnd) > bssStart) {
      const r = mm.mmap(bssStart, pageUp(memEnd) - bssStart, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0);
      if (r < 0) return r;
    }
    if (p.filesz === 0 && p.memsz === 0) continue;
  }
  // Where the program headers are in memory (AT_PHDR).
  let phdrAddr = 0;
  for (const p of info.phdrs) if (p.type === PT_PHDR) phdrAddr = p.vaddr + bias;
  if (phdrAddr === 0) {
    for (const p of loads) {
      if (info.phoff >= p.offset && info.phoff < p.offset + p.filesz) phdrAddr = p.vaddr + (info.phoff - p.offset) + bias;
    }
  }
  return { bias, entry: info.entry + bias, phdrAddr, phnum: info.phnum, end: hi + bias, interp };
}

function readElf(f: ExecFile): ElfInfo | number {
  const head = readAt(f, 0, 64);
  if (typeof head === 'number') return head;
  const info = parseHeader(head, head.length);
  if (typeof info === 'number') return info;
  const tbl = readAt(f, info.phoff, info.phnum * 56);
  if (typeof tbl === 'number') return tbl;
  if (tbl.length !== info.phnum * 56) return -E.ENOEXEC;
  const r = parseProgramHeaders(info, tbl);
  return r < 0 ? r : info;
}

/**
 * Parses a `#!` line: returns [interpreter, optional argument] or null if the file is
 * not a script. Like Linux, the line is cut at 255 bytes and split at the first blank.
 */
function parseShebang(b: Buffer): [string, string | null] | null {
  if (b.length < 2 || b[0] !== 0x23 || b[1] !== 0x21) return null;
  let end = b.indexOf(0x0a);
  if (end < 0) end = b.length;
  let line = b.toString('latin1', 2, end).replace(/[ \t]+$/, '');
  line = line.replace(/^[ \t]+/, '');
  if (line === '') return ['', null];
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (m === null) return ['', null];
  return [m[1], m[2] !== undefined && m[2] !== '' ? m[2] : null];
}

/**
 * Loads f into mm (which must be empty) and builds the initial stack.
 * Returns the entry point and stack pointer, or -errno (ENOEXEC, ELOOP, ENOMEM, ...).
 */
export function load(mm: MM, file: ExecFile, argv: string[], envp: string[], host: LoaderHost): LoadResult | number {
  let f = file;
  const execfn = file.path;
  for (let depth = 0; ; depth++) {
    const head = readAt(f, 0, 256);
    if (typeof head === 'number') return head;
    const sb = parseShebang(head);
    if (sb === null) break;
    if (depth >= MAX_SCRIPT_DEPTH) return -E.ELOOP;
    const [interp, arg] = sb;
    if (interp === '') return -E.ENOEXEC;
    const next = host.open(interp);
    if (typeof next === 'number') return next;
    // argv becomes: interp [arg] script-path original-argv[1..]
    argv = [interp, ...(arg !== null ? [arg] : []), f.path, ...argv.slice(1)];
    f = next;
  }
  const info = readElf(f);
  if (typeof info === 'number') return info;

  // Stack and mmap base first: ld.so and anonymous maps go below the stack.
  const stackLimit = Number.isFinite(host.stackLimit) ? Math.min(Math.max(host.stackLimit, 128 * 1024), 1 << 30) : 8 << 20;
  const stackTop = TASK_SIZE - randomPages(host, 16 * 1024 * 1024 * 1024 /* 16 GiB, as Linux */) - PAGE_SIZE;
  const gap = Math.min(Math.max(stackLimit, 128 << 20), (TASK_SIZE / 6) * 5) + (1 << 20);
  mm.mmapBase = pageDown(stackTop - gap - randomPages(host, 2 ** 40 /* 28 bits of pages */));

  const main = mapElf(mm, f, info, false, host);
  if (typeof main === 'number') return main;
  let entry = main.entry;
  let interpBase = 0;
  if (main.interp !== '') {
    const ifile = host.open(main.interp);
    if (typeof ifile === 'number') return ifile === -E.ENOENT ? -E.ENOENT : ifile;
    const iinfo = readElf(ifile);
    if (typeof iinfo === 'number') return -E.ELIBBAD;
    const im = mapElf(mm, ifile, iinfo, true, host);
    if (typeof im === 'number') return im;
    entry = im.entry;
    interpBase = im.bias;
  }
  mm.initBrk(main.end + randomPages(host, 32 << 20));

  const stackSize = stackLimit;
  const stackBase = stackTop - stackSize;
  const r = mm.mmap(stackBase, stackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, null, 0);
  if (r < 0) return r;
  const stackVma = mm.find(stackTop - 1);
  if (stackVma !== null) stackVma.name = '[stack]';

  const sp = buildStack(mm, stackTop, stackSize, argv, envp, execfn, {
    phdr: main.phdrAddr, phnum: main.phnum, base: interpBase, entry: main.entry,
  }, host);
  if (sp < 0) return sp;
  mm.exePath = f.path;
  return { entry, sp, argv, exePath: f.path };
}

interface AuxInfo {
  phdr: number;
  phnum: number;
  base: number;
  entry: number;
}

/** Writes strings, auxv, envp, argv and argc below top; returns the initial rsp. */
function buildStack(mm: MM, top: number, stackSize: number, argv: string[], envp: string[], execfn: string, a: AuxInfo, host: LoaderHost): number {
  // Compute the size first so a huge argv fails with E2BIG like Linux instead of faulting.
  const strBytes = (s: string) => Buffer.byteLength(s, 'latin1') + 1;
  let strTotal = strBytes(execfn) + strBytes('x86_64') + 16;
  for (const s of argv) strTotal += strBytes(s);
  for (const s of envp) strTotal += strBytes(s);
  if (strTotal > stackSize / 4) return -E.E2BIG; // Linux allows a quarter of the stack limit

  let p = top;
  const putStr = (s: string): number => {
    const b = Buffer.from(s + '\0', 'latin1');
    p -= b.length;
    mm.copyOut(p, b, 0, b.length);
    return p;
  };
  const execfnAddr = putStr(execfn);
  // envp and argv strings, in order, so /proc/pid/cmdline and environ are contiguous.
  const envStrs: number[] = [];
  const envBlock = Buffer.from(envp.map((s) => s + '\0').join(''), 'latin1');
  p -= envBlock.length;
  mm.copyOut(p, envBlock, 0, envBlock.length);
  mm.envStart = p;
  mm.envEnd = p + envBlock.length;
  { let q = p; for (const s of envp) { envStrs.push(q); q += strBytes(s); } }
  const argStrs: number[] = [];
  const argBlock = Buffer.from(argv.map((s) => s + '\0').join(''), 'latin1');
  p -= argBlock.length;
  mm.copyOut(p, argBlock, 0, argBlock.length);
  mm.argStart = p;
  mm.argEnd = p + argBlock.length;
  { let q = p; for (const s of argv) { argStrs.push(q); q += strBytes(s); } }
  const platformAddr = putStr('x86_64');
  p -= 16;
  const rnd = new Uint8Array(16);
  host.random(rnd, 0, 16);
  mm.copyOut(p, rnd, 0, 16);
  const randomAddr = p;

  const aux: number[] = [
    AT_HWCAP, host.hwcap, AT_PAGESZ, PAGE_SIZE, AT_CLKTCK, 100, AT_PHDR, a.phdr, AT_PHENT, 56, AT_PHNUM, a.phnum,
    AT_BASE, a.base, AT_FLAGS, 0, AT_ENTRY, a.entry, AT_UID, host.uid, AT_EUID, host.euid, AT_GID, host.gid,
    AT_EGID, host.egid, AT_SECURE, 0, AT_RANDOM, randomAddr, AT_HWCAP2, host.hwcap2, AT_EXECFN, execfnAddr,
    AT_PLATFORM, platformAddr, AT_MINSIGSTKSZ, host.minSigStkSz, AT_NULL, 0,
  ];
  mm.auxv = aux;
  const words = 1 + argv.length + 1 + envp.length + 1 + aux.length;
  p = Math.floor((p - words * 8) / 16) * 16;
  const sp = p;
  const out = Buffer.alloc(words * 8);
  let i = 0;
  const put = (v: number) => {
    out.writeUInt32LE(v % 4294967296 >>> 0, i);
    out.writeUInt32LE(Math.floor(v / 4294967296) >>> 0, i + 4);
    i += 8;
  };
  put(argv.length);
  for (const x of argStrs) put(x);
  put(0);
  for (const x of envStrs) put(x);
  put(0);
  for (const x of aux) put(x);
  const r = mm.copyOut(sp, out, 0, out.length);
  return r < 0 ? r : sp;
}
