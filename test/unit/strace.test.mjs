// Checks the strace-style lines of `tsvisor do --strace` against what strace prints for the
// same calls, using a fake app memory so no sandbox is needed. Runs on the tsc output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { formatEntry, formatExit } = require('../../dist/syscalls/strace.js');
const { NR } = require('../../dist/syscalls/names.js');

/** App memory made of a few byte regions; anything else faults, like unmapped pages. */
class FakeMemory {
  constructor() { this.regions = []; }
  put(addr, bytes) { this.regions.push({ addr, bytes: Uint8Array.from(bytes) }); return addr; }
  putString(addr, s) { return this.put(addr, [...Buffer.from(s, 'latin1'), 0]); }
  region(addr, len) {
    return this.regions.find((r) => addr >= r.addr && addr + len <= r.addr + r.bytes.length) ?? null;
  }
  copyIn(addr, dst, dstOff, len) {
    const r = this.region(addr, len);
    if (r === null) return -14;
    dst.set(r.bytes.subarray(addr - r.addr, addr - r.addr + len), dstOff);
    return 0;
  }
  readCString(addr, max) {
    let s = '';
    for (let i = 0; i < max; i++) {
      const r = this.region(addr + i, 1);
      if (r === null) return -14;
      const c = r.bytes[addr + i - r.addr];
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
    return -36;
  }
}

function line(mem, nr, args, ret) {
  return formatEntry(nr, args, mem) + formatExit(nr, args, ret, mem);
}

const AT_FDCWD = -100;
const O_WRONLY = 0o1, O_CREAT = 0o100, O_TRUNC = 0o1000, O_CLOEXEC = 0o2000000;

test('openat decodes the dirfd, quotes the path and names the flags', () => {
  const mem = new FakeMemory();
  const path = mem.putString(0x1000, '/etc/passwd');
  const args = [AT_FDCWD, path, O_CLOEXEC, 0, 0, 0];
  assert.equal(formatEntry(NR.openat, args, mem), 'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC');
  assert.equal(formatExit(NR.openat, args, 3, mem), ') = 3');
});

test('openat shows the mode only when it creates, in octal', () => {
  const mem = new FakeMemory();
  const path = mem.putString(0x1000, 'out.txt');
  assert.equal(
    line(mem, NR.openat, [7, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644, 0, 0], 4),
    'openat(7, "out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4',
  );
});

test('an ENOENT failure prints -1, the errno name and glibc\'s message', () => {
  const mem = new FakeMemory();
  const path = mem.putString(0x1000, '/nonexistent');
  assert.equal(
    line(mem, NR.openat, [AT_FDCWD, path, 0, 0, 0, 0], -2),
    'openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)',
  );
});

test('paths are printed whole, as strace does (its 32-byte limit is for strings)', () => {
  const mem = new FakeMemory();
  const path = mem.putString(0x1000, '/usr/lib/x86_64-linux-gnu/libc.so.6');
  assert.equal(
    formatEntry(NR.open, [path, 0, 0], mem),
    'open("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY',
  );
});

test('read prints the buffer after the call: returned bytes only, escaped, 32 at most', () => {
  const mem = new FakeMemory();
  const elf = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(8).fill(0), 3, 0, 0x3e, 0, 1, 0, 0, 0,
    0x20, 0x11, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0];
  const buf = mem.put(0x2000, elf);
  const args = [3, buf, 832, 0, 0, 0];
  assert.equal(formatEntry(NR.read, args, mem), 'read(3, ');
  assert.equal(
    formatExit(NR.read, args, 832, mem),
    '"\\177ELF\\2\\1\\1\\0\\0\\0\\0\\0\\0\\0\\0\\0\\3\\0>\\0\\1\\0\\0\\0 \\21\\0\\0\\0\\0\\0\\0"..., 832) = 832',
  );
  assert.equal(formatExit(NR.read, args, 4, mem), '"\\177ELF", 832) = 4');
  // On failure nothing was written, so only the address is shown.
  assert.equal(formatExit(NR.read, args, -11, mem), '0x2000, 832) = -1 EAGAIN (Resource temporarily unavailable)');
});

test('write escapes control characters and quotes', () => {
  const mem = new FakeMemory();
  const buf = mem.put(0x2000, [...Buffer.from('a "b"\tc\\\n')]);
  assert.equal(line(mem, NR.write, [1, buf, 9, 0, 0, 0], 9), 'write(1, "a \\"b\\"\\tc\\\\\\n", 9) = 9');
});

test('mmap names prot and MAP_* flags and returns a hex address', () => {
  const mem = new FakeMemory();
  const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
  const MAP_PRIVATE = 0x2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_DENYWRITE = 0x800;
  assert.equal(
    line(mem, NR.mmap, [0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0], 0x7f3a1c000000),
    'mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f3a1c000000',
  );
  assert.equal(
    line(mem, NR.mmap, [0x7f3a1c001000, 0x1000, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, 3, 0x2000], -12),
    'mmap(0x7f3a1c001000, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x2000) = -1 ENOMEM (Cannot allocate memory)',
  );
  assert.equal(line(mem, NR.mprotect, [0x7f3a1c001000, 4096, 0], 0), 'mprotect(0x7f3a1c001000, 4096, PROT_NONE) = 0');
});

test('restart codes print like strace, and exit_group never returns', () => {
  const mem = new FakeMemory();
  assert.equal(
    line(mem, NR.futex, [0x1000, 128, 2, 0, 0, 0], -512),
    'futex(0x1000, FUTEX_WAIT_PRIVATE, 2, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)',
  );
  assert.equal(line(mem, NR.exit_group, [0, 0, 0, 0, 0, 0], 0), 'exit_group(0) = ?');
});

test('fstat shows a short struct stat after the call', () => {
  const mem = new FakeMemory();
  const st = new Uint8Array(144);
  const dv = new DataView(st.buffer);
  dv.setUint32(24, 0o100644, true);
  dv.setBigInt64(48, 2983n, true);
  const addr = mem.put(0x3000, st);
  assert.equal(line(mem, NR.fstat, [3, addr, 0, 0, 0, 0], 0), 'fstat(3, {st_mode=S_IFREG|0644, st_size=2983, ...}) = 0');
});

test('bad pointers print as addresses and nothing throws, whatever the registers hold', () => {
  const mem = new FakeMemory();
  assert.equal(
    line(mem, NR.openat, [AT_FDCWD, 0xdead0000, 0, 0, 0, 0], -14),
    'openat(AT_FDCWD, 0xdead0000, O_RDONLY) = -1 EFAULT (Bad address)',
  );
  const throwing = { readCString() { throw new Error('boom'); }, copyIn() { throw new Error('boom'); } };
  const regs = [
    [0, 0, 0, 0, 0, 0],
    [-1, -1, -1, -1, -1, -1],
    [0x7fffffffe000, 2 ** 53 - 1, -(2 ** 53), 0xffffffff, 3, 1],
  ];
  for (let nr = -1; nr <= 520; nr++) {
    for (const args of regs) {
      for (const m of [mem, throwing]) {
        for (const ret of [0, 5, -2, -516, 0x7f0000000000]) {
          const s = formatEntry(nr, args, m) + formatExit(nr, args, ret, m);
          assert.equal(typeof s, 'string');
          assert.match(s, /^[a-z_0-9x]+\(.*\) = /s);
        }
      }
    }
  }
});
