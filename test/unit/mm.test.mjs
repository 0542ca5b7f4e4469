// MM against a fake address space: the VMA table, its mirror of host mappings, and
// copy-in/copy-out through the real memory file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { MM, MAP_PRIVATE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_SHARED, MREMAP_MAYMOVE } = require('../../dist/mm/mm.js');
const { MemoryFile } = require('../../dist/mm/memfile.js');

const P = 4096;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

/** Records host mappings page by page so tests can check they mirror the VMA table. */
class FakeAS {
  pages = new Map();
  map(addr, len, prot, off) { for (let a = addr; a < addr + len; a += P) this.pages.set(a, { prot, off: off + (a - addr) }); return 0; }
  unmap(addr, len) { for (let a = addr; a < addr + len; a += P) this.pages.delete(a); return 0; }
  protect(addr, len, prot) { for (let a = addr; a < addr + len; a += P) { const p = this.pages.get(a); if (p) p.prot = prot; } return 0; }
  newContext() { throw new Error('unused'); }
  release() {}
}

const mf = new MemoryFile();
function fresh() {
  const as = new FakeAS();
  const mm = new MM(mf, as);
  mm.mmapBase = 0x7f0000000000;
  return { mm, as };
}

/** Host mappings must equal the VMA table, page for page. */
function assertMirrors(mm, as) {
  const want = new Map();
  for (const v of mm.vmas) for (let a = v.start; a < v.end; a += P) want.set(a, { prot: v.prot, off: v.memOff + (a - v.start) });
  assert.deepEqual([...as.pages.entries()].sort((x, y) => x[0] - y[0]), [...want.entries()].sort((x, y) => x[0] - y[0]));
}

test('mmap picks top-down addresses and honours hints and MAP_FIXED_NOREPLACE', () => {
  const { mm, as } = fresh();
  const a = mm.mmap(0, 3 * P, 3, ANON, null, 0);
  assert.equal(a, 0x7f0000000000 - 3 * P);
  const b = mm.mmap(0, P, 3, ANON, null, 0);
  assert.equal(b, a - P);
  const hint = mm.mmap(0x10000000, P, 1, ANON, null, 0);
  assert.equal(hint, 0x10000000);
  assert.equal(mm.mmap(0x10000000, P, 1, ANON | MAP_FIXED_NOREPLACE, null, 0), -17 /* EEXIST */);
  assert.equal(mm.mmap(0x10000001, P, 1, ANON | MAP_FIXED, null, 0), -22 /* EINVAL */);
  assert.equal(mm.mmap(0, 0, 1, ANON, null, 0), -22);
  assert.equal(mm.mmap(0, P, 1, MAP_ANONYMOUS, null, 0), -22, 'neither shared nor private');
  assertMirrors(mm, as);
});

test('munmap and mprotect split VMAs; mprotect over a hole is ENOMEM', () => {
  const { mm, as } = fresh();
  const a = mm.mmap(0x20000000, 4 * P, 3, ANON | MAP_FIXED, null, 0);
  assert.equal(mm.munmap(a + P, P), 0);
  assert.equal(mm.vmas.length, 2);
  assert.equal(mm.mprotect(a, 4 * P, 1), -12 /* ENOMEM: hole at a+P */);
  assert.equal(mm.mprotect(a + 2 * P, P, 1), 0);
  assert.deepEqual(mm.vmas.map((v) => [v.start - a, v.end - a, v.prot]), [[0, P, 3], [2 * P, 3 * P, 1], [3 * P, 4 * P, 3]]);
  assert.equal(mm.munmap(a + 1, P), -22);
  assertMirrors(mm, as);
});

test('copyOut/copyIn round trip and EFAULT on read-only or unmapped memory', () => {
  const { mm } = fresh();
  const a = mm.mmap(0x30000000, 2 * P, 3, ANON | MAP_FIXED, null, 0);
  const src = Buffer.from('hello across a page boundary');
  assert.equal(mm.copyOut(a + P - 5, src, 0, src.length), 0);
  const dst = Buffer.alloc(src.length);
  assert.equal(mm.copyIn(a + P - 5, dst, 0, dst.length), 0);
  assert.equal(dst.toString(), src.toString());
  mm.mprotect(a + P, P, 1);
  assert.equal(mm.copyOut(a + P - 5, src, 0, src.length), -14 /* EFAULT: second page read-only */);
  assert.equal(mm.copyIn(a + 2 * P - 2, dst, 0, 10), -14 /* runs off the mapping */);
  assert.equal(mm.copyIn(0x1000, dst, 0, 1), -14);
});

test('readCString stops at NUL, fails with ENAMETOOLONG and EFAULT', () => {
  const { mm } = fresh();
  const a = mm.mmap(0x40000000, P, 3, ANON | MAP_FIXED, null, 0);
  mm.copyOut(a, Buffer.from('abc\0'), 0, 4);
  assert.equal(mm.readCString(a, 4096), 'abc');
  assert.equal(mm.readCString(a, 3), -36 /* ENAMETOOLONG */);
  mm.copyOut(a + P - 2, Buffer.from('xy'), 0, 2);
  assert.equal(mm.readCString(a + P - 2, 4096), -14 /* no NUL before the end of the mapping */);
});

test('mremap grows in place when it can, moves with MAYMOVE, keeps the bytes', () => {
  const { mm, as } = fresh();
  const a = mm.mmap(0x50000000, P, 3, ANON | MAP_FIXED, null, 0);
  mm.copyOut(a, Buffer.from('keep me'), 0, 7);
  const g = mm.mremap(a, P, 2 * P, 0, 0);
  assert.equal(g, a);
  mm.mmap(a + 2 * P, P, 3, ANON | MAP_FIXED, null, 0); // block further in-place growth
  assert.equal(mm.mremap(a, 2 * P, 4 * P, 0, 0), -12);
  const m = mm.mremap(a, 2 * P, 4 * P, MREMAP_MAYMOVE, 0);
  assert.notEqual(m, a);
  const b = Buffer.alloc(7);
  mm.copyIn(m, b, 0, 7);
  assert.equal(b.toString(), 'keep me');
  assert.equal(mm.find(a), null, 'old range unmapped');
  assertMirrors(mm, as);
});

test('brk grows and shrinks the heap and refuses to run into a mapping', () => {
  const { mm, as } = fresh();
  mm.initBrk(0x60000000);
  assert.equal(mm.sysBrk(0), 0x60000000);
  assert.equal(mm.sysBrk(0x60000000 + 3 * P + 5), 0x60000000 + 3 * P + 5);
  assert.equal(mm.find(0x60000000 + 3 * P).name, '[heap]');
  mm.mmap(0x60000000 + 8 * P, P, 3, ANON | MAP_FIXED, null, 0);
  assert.equal(mm.sysBrk(0x60000000 + 10 * P), 0x60000000 + 3 * P + 5, 'blocked: brk unchanged');
  assert.equal(mm.sysBrk(0x60000000 + P), 0x60000000 + P);
  assert.equal(mm.find(0x60000000 + 2 * P), null);
  assertMirrors(mm, as);
});

test('MADV_DONTNEED zeroes private anonymous memory; shared memory keeps its bytes', () => {
  const { mm } = fresh();
  const a = mm.mmap(0x70000000, P, 3, ANON | MAP_FIXED, null, 0);
  const s = mm.mmap(0x70010000, P, 3, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, null, 0);
  mm.copyOut(a, Buffer.from('x'), 0, 1);
  mm.copyOut(s, Buffer.from('y'), 0, 1);
  assert.equal(mm.madvise(a, P, 4), 0);
  assert.equal(mm.madvise(s, P, 4), 0);
  const b = Buffer.alloc(1);
  mm.copyIn(a, b, 0, 1);
  assert.equal(b[0], 0);
  mm.copyIn(s, b, 0, 1);
  assert.equal(b.toString(), 'y');
  assert.equal(mm.madvise(a, P, 999), -22);
});

test('private file mappings copy the file and zero past its end', () => {
  const { mm } = fresh();
  const data = Buffer.from('file bytes');
  const src = { mapName: '/f', mapDev: 0, mapIno: 1, readForMap(dst, off, len, pos) { const n = Math.max(0, Math.min(len, data.length - pos)); data.copy(dst, off, pos, pos + n); return n; } };
  const a = mm.mmap(0, 2 * P, 1, MAP_PRIVATE, src, 0);
  const b = Buffer.alloc(12);
  mm.copyIn(a, b, 0, 12);
  assert.equal(b.subarray(0, 10).toString(), 'file bytes');
  assert.equal(b[10], 0);
  assert.match(mm.mapsText(), /r--p 00000000 00:00 1 +\/f/);
});

test('fork shares private memory copy-on-write and shared memory for real', () => {
  const { mm: parent, as: pas } = fresh();
  const a = parent.mmap(0x80000000, 2 * P, 3, ANON | MAP_FIXED, null, 0);
  const s = parent.mmap(0x80010000, P, 3, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, null, 0);
  parent.initBrk(0x90000000);
  parent.sysBrk(0x90000000 + 2 * P);
  parent.copyOut(a, Buffer.from('A'), 0, 1);
  parent.copyOut(0x90000000, Buffer.from('H'), 0, 1);
  const cas = new FakeAS();
  const child = parent.fork(cas);
  // both host-map the private pages read-only until a write
  assert.equal(pas.pages.get(a).prot, 1);
  assert.equal(cas.pages.get(a).prot, 1);
  assert.equal(cas.pages.get(s).prot, 3);
  const b = Buffer.alloc(1);
  child.copyIn(a, b, 0, 1);
  assert.equal(b.toString(), 'A');
  // a write in the child copies; the parent keeps its byte
  child.copyOut(a, Buffer.from('B'), 0, 1);
  assert.equal(cas.pages.get(a).prot, 3);
  parent.copyIn(a, b, 0, 1);
  assert.equal(b.toString(), 'A');
  child.copyIn(a, b, 0, 1);
  assert.equal(b.toString(), 'B');
  // the fault path: a write fault on the parent's read-only COW page is resolved
  assert.equal(parent.handleFault(a + P, true), true);
  assert.equal(pas.pages.get(a).prot, 3);
  assert.equal(parent.handleFault(0x1000, true), false);
  // shared memory is shared
  child.copyOut(s, Buffer.from('S'), 0, 1);
  parent.copyIn(s, b, 0, 1);
  assert.equal(b.toString(), 'S');
  // the heap: copied on write, and still grows in place in the child
  child.copyOut(0x90000000, Buffer.from('h'), 0, 1);
  parent.copyIn(0x90000000, b, 0, 1);
  assert.equal(b.toString(), 'H');
  assert.equal(child.sysBrk(0x90000000 + 5 * P), 0x90000000 + 5 * P);
  child.copyIn(0x90000000, b, 0, 1);
  assert.equal(b.toString(), 'h');
  assertMirrors(child, { pages: new Map([...cas.pages].map(([k, v]) => [k, { prot: child.find(k).cow ? v.prot | 2 : v.prot, off: v.off }])) });
  // releasing both gives every byte back
  const before = mf.allocated;
  child.release();
  parent.release();
  assert.ok(mf.allocated < before);
});
