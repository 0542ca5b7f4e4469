// Shared fixtures for the vfs-*.test.mjs files: a sandbox file-system tree over a
// throwaway host rootfs, fake tasks with real app memory (MM over a fake address space
// and the real memory file), and a way to call the file syscall handlers by name.
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync, readdirSync, lstatSync, readFileSync,
  readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';

const require = createRequire(import.meta.url);
export const { buildRootFs } = require('../../dist/fs/root.js');
export const { MM, MAP_PRIVATE, MAP_ANONYMOUS } = require('../../dist/mm/mm.js');
const { MemoryFile } = require('../../dist/mm/memfile.js');
export const { Credentials } = require('../../dist/auth/creds.js');
export const { FdTable } = require('../../dist/vfs/fdtable.js');
export const { SyscallTable } = require('../../dist/syscalls/table.js');
export const { NR } = require('../../dist/syscalls/names.js');
export const { vfsHooks } = require('../../dist/vfs/hooks.js');
const fsAll = require('../../dist/syscalls/fs_all.js');
export const E = require('../../dist/abi/errno.js');
export const abi = require('../../dist/vfs/abi.js');

export const BLOCKED = -0x100001;
const P = 4096;

class FakeAS {
  map() { return 0; }
  unmap() { return 0; }
  protect() { return 0; }
  newContext() { throw new Error('unused'); }
  release() {}
}

let memfile = null;

/** A host directory tree to serve as a container image; returns its path. */
export function makeImage(extra = () => {}) {
  const base = mkdtempSync(join(tmpdir(), 'tsv-vfs-'));
  const root = join(base, 'rootfs');
  mkdirSync(root);
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc', 'hostname'), 'image\n');
  writeFileSync(join(root, 'etc', 'shadow'), 'image-shadow\n');
  mkdirSync(join(root, 'bin'));
  writeFileSync(join(root, 'bin', 'tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  writeFileSync(join(root, 'bin', 'noexec'), 'data\n', { mode: 0o644 });
  mkdirSync(join(root, 'data', 'sub'), { recursive: true });
  writeFileSync(join(root, 'data', 'a.txt'), 'alpha\n');
  writeFileSync(join(root, 'data', 'b.txt'), 'bravo\n');
  writeFileSync(join(root, 'data', 'sub', 'c.txt'), 'charlie\n');
  symlinkSync('a.txt', join(root, 'data', 'link-a'));
  symlinkSync('/etc/hostname', join(root, 'data', 'abs-link'));
  // The host secret lives next to the image, outside it.
  writeFileSync(join(base, 'secret'), 'HOST SECRET\n');
  extra(root, base);
  return { base, root };
}

export function removeImage(img) {
  rmSync(img.base, { recursive: true, force: true });
}

/** A digest of every name, type, mode, link target and content under dir. */
export function treeDigest(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      h.update(`${p}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isDirectory()) walk(p);
      else if (st.isFile()) h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/**
 * A sandbox over image root: the file-system tree, a syscall table with the file
 * families, and tasks with their own memory, fd table and fs context.
 */
export function makeSandbox(rootDir, opts = {}) {
  const rfs = buildRootFs({
    rootDir,
    random: (b, o, l) => { for (let i = 0; i < l; i++) b[o + i] = (i * 7 + 3) & 0xff; },
    hostFdCacheSize: opts.hostFdCacheSize,
  });
  const table = new SyscallTable();
  fsAll.register(table);
  const byName = (name) => {
    const h = table.handlers[NR[name]];
    if (h === null) throw new Error(`no handler for ${name}`);
    return h;
  };
  if (memfile === null) memfile = new MemoryFile();
  const newTask = (o = {}) => {
    const mm = new MM(memfile, new FakeAS());
    mm.mmapBase = 0x7f0000000000;
    const scratch = mm.mmap(0, 512 * P, 3, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    const ctx = rfs.fsContext(o.cwd ?? '/');
    if (typeof ctx === 'number') throw new Error(`bad cwd: ${ctx}`);
    const creds = o.creds ?? Credentials.root();
    const t = {
      mm, creds, fs: ctx, fdTable: new FdTable(o.nofile ?? 1024),
      restarting: false, timedOut: false, ioProgress: 0, tid: o.tid ?? 1, tgid: o.tgid ?? 1,
      blocks: [], pendingSignal: false,
      interrupted() { return this.pendingSignal; },
      block(q, mask) { this.blocks.push({ q, mask }); return BLOCKED; },
      blockOnHostFd(fd, ev) { this.blocks.push({ fd, ev }); return BLOCKED; },
    };
    // A bump allocator over the scratch area for arguments.
    let next = scratch;
    const alloc = (n) => { const a = next; next += (n + 15) & ~15; if (next > scratch + 512 * P) throw new Error('scratch full'); return a; };
    const str = (s) => { const b = Buffer.from(s + '\0', 'latin1'); const a = alloc(b.length); mm.copyOut(a, b, 0, b.length); return a; };
    const bytes = (n) => alloc(n);
    const read = (a, n) => { const b = Buffer.alloc(n); if (mm.copyIn(a, b, 0, n) < 0) throw new Error('copyIn'); return b; };
    const write = (a, buf) => { mm.copyOut(a, buf, 0, buf.length); };
    const reset = () => { next = scratch; };
    /** Calls a syscall; string arguments are copied into app memory first. */
    const sys = (name, ...args) => {
      const h = byName(name);
      const a = args.map((x) => (typeof x === 'string' ? str(x) : x));
      while (a.length < 6) a.push(0);
      t.restarting = false;
      return h(t, a[0], a[1], a[2], a[3], a[4], a[5]);
    };
    /** Re-runs a syscall as the kernel does after a block. */
    const rerun = (name, ...args) => {
      const h = byName(name);
      const a = args.map((x) => (typeof x === 'string' ? str(x) : x));
      while (a.length < 6) a.push(0);
      t.restarting = true;
      return h(t, a[0], a[1], a[2], a[3], a[4], a[5]);
    };
    return Object.assign(t, { sys, rerun, str, bytes, read, write, reset, alloc });
  };
  return { rfs, table, newTask };
}

/** errno name of a negative result, or the number. */
export function ename(r) {
  if (r >= 0) return r;
  for (const [k, v] of Object.entries(E)) if (typeof v === 'number' && v === -r && /^E[A-Z0-9]+$/.test(k)) return k;
  return r;
}

export const O = abi;
export { writeFileSync, mkdirSync, symlinkSync, join };
