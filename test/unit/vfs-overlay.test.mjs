// The root overlay: copy-up, whiteouts, opaque directories, merged listings, stable
// inode numbers, and the host image byte-for-byte unchanged afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeImage, removeImage, makeSandbox, treeDigest, ename, O } from './vfs-helpers.mjs';

function statOf(t, path, nofollow = false) {
  const b = t.bytes(144);
  const r = t.sys(nofollow ? 'lstat' : 'stat', path, b);
  if (r < 0) return ename(r);
  const s = t.read(b, 144);
  return {
    dev: s.readUInt32LE(0) + s.readUInt32LE(4) * 2 ** 32,
    ino: s.readUInt32LE(8) + s.readUInt32LE(12) * 2 ** 32,
    nlink: s.readUInt32LE(16),
    mode: s.readUInt32LE(24),
    uid: s.readUInt32LE(28),
    size: s.readUInt32LE(48),
    mtime: s.readUInt32LE(88),
  };
}

function readFile(t, path) {
  const fd = t.sys('open', path, O.O_RDONLY);
  if (fd < 0) return ename(fd);
  const b = t.bytes(4096);
  const n = t.sys('read', fd, b, 4096);
  t.sys('close', fd);
  return n < 0 ? ename(n) : t.read(b, n).toString('latin1');
}

function writeFile(t, path, data, flags = O.O_CREAT | O.O_WRONLY | O.O_TRUNC) {
  const fd = t.sys('open', path, flags, 0o644);
  if (fd < 0) return ename(fd);
  const b = t.bytes(data.length);
  t.write(b, Buffer.from(data, 'latin1'));
  const n = t.sys('write', fd, b, data.length);
  t.sys('close', fd);
  return n;
}

/** name -> {ino, type} from getdents64 in small chunks. */
function list(t, path) {
  const fd = t.sys('open', path, O.O_RDONLY | O.O_DIRECTORY);
  if (fd < 0) return ename(fd);
  const out = new Map();
  const b = t.bytes(200);
  for (;;) {
    const n = t.sys('getdents64', fd, b, 200);
    assert.ok(n >= 0, `getdents64: ${ename(n)}`);
    if (n === 0) break;
    const d = t.read(b, n);
    for (let off = 0; off < n;) {
      const ino = d.readUInt32LE(off) + d.readUInt32LE(off + 4) * 2 ** 32;
      const reclen = d.readUInt16LE(off + 16);
      const type = d[off + 18];
      const name = d.toString('latin1', off + 19, d.indexOf(0, off + 19));
      out.set(name, { ino, type });
      off += reclen;
    }
  }
  t.sys('close', fd);
  return out;
}

test('writes in the overlay never change the host image', () => {
  const img = makeImage();
  const before = treeDigest(img.base);
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    assert.equal(writeFile(t, '/data/a.txt', 'changed\n'), 8);
    assert.equal(writeFile(t, '/data/new.txt', 'new\n'), 4);
    assert.equal(t.sys('truncate', '/data/b.txt', 2), 0);
    assert.equal(t.sys('chmod', '/bin/noexec', 0o700), 0);
    assert.equal(t.sys('chown', '/etc/hostname', 1000, 1000), 0);
    assert.equal(t.sys('unlink', '/etc/shadow'), 0);
    assert.equal(t.sys('unlink', '/data/sub/c.txt'), 0);
    assert.equal(t.sys('rmdir', '/data/sub'), 0);
    assert.equal(t.sys('rename', '/data/link-a', '/data/link-moved'), 0);
    assert.equal(t.sys('mkdir', '/etc/newdir', 0o755), 0);
    assert.equal(t.sys('symlink', '/etc/hostname', '/bin/sl'), 0);
    assert.equal(t.sys('link', '/bin/tool', '/bin/tool2'), 0);
    assert.equal(t.sys('utimensat', -100, '/data', 0, 0), 0);
    assert.equal(readFile(t, '/data/a.txt'), 'changed\n');
    assert.equal(readFile(t, '/data/b.txt'), 'br');
    assert.equal(readFile(t, '/data/link-moved'), 'changed\n');
  } finally {
    assert.equal(treeDigest(img.base), before, 'the host tree is unchanged');
    removeImage(img);
  }
});

test('copy-up keeps content, mode, owner and st_ino/st_dev', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    const s0 = statOf(t, '/bin/tool');
    assert.equal(s0.mode & 0o7777, 0o755);
    const fd = t.sys('open', '/bin/tool', O.O_WRONLY | O.O_APPEND);
    assert.ok(fd >= 0);
    const b = t.bytes(8);
    t.write(b, Buffer.from('# more\n'));
    assert.equal(t.sys('write', fd, b, 7), 7);
    t.sys('close', fd);
    const s1 = statOf(t, '/bin/tool');
    assert.equal(s1.ino, s0.ino, 'inode number survives copy-up');
    assert.equal(s1.dev, s0.dev);
    assert.equal(s1.mode, s0.mode);
    assert.equal(readFile(t, '/bin/tool'), '#!/bin/sh\necho tool\n# more\n');
    // directories copied up on the way keep theirs too
    const d0 = statOf(t, '/data');
    writeFile(t, '/data/sub/new', 'x');
    assert.equal(statOf(t, '/data').ino, d0.ino);
    // O_TRUNC copies up without the old data
    assert.equal(writeFile(t, '/data/b.txt', 'Z'), 1);
    assert.equal(readFile(t, '/data/b.txt'), 'Z');
    // a file made in the overlay gets an inode number distinct from every lower one
    writeFile(t, '/data/fresh', 'f');
    const inos = new Set([...list(t, '/data').values()].map((e) => e.ino));
    assert.equal(inos.size, list(t, '/data').size);
    // hard link of a lower file: one inode, two names, link count 2
    assert.equal(t.sys('link', '/data/a.txt', '/data/a-link'), 0);
    const la = statOf(t, '/data/a.txt'), lb = statOf(t, '/data/a-link');
    assert.equal(la.ino, lb.ino);
    assert.equal(la.nlink, 2);
  } finally {
    removeImage(img);
  }
});

test('whiteouts hide deleted lower names; a directory made over one is opaque', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    assert.equal(t.sys('unlink', '/data/a.txt'), 0);
    assert.equal(statOf(t, '/data/a.txt'), 'ENOENT');
    assert.equal(ename(t.sys('unlink', '/data/a.txt')), 'ENOENT');
    assert.ok(!list(t, '/data').has('a.txt'));
    assert.equal(statOf(t, '/data/link-a'), 'ENOENT', 'a symlink to it now dangles');
    assert.equal(writeFile(t, '/data/a.txt', 'again\n', O.O_CREAT | O.O_EXCL | O.O_WRONLY), 6);
    assert.equal(readFile(t, '/data/a.txt'), 'again\n');
    // rmdir needs the merged view empty
    assert.equal(ename(t.sys('rmdir', '/data/sub')), 'ENOTEMPTY');
    assert.equal(t.sys('unlink', '/data/sub/c.txt'), 0);
    assert.equal(t.sys('rmdir', '/data/sub'), 0);
    assert.equal(statOf(t, '/data/sub'), 'ENOENT');
    assert.equal(t.sys('mkdir', '/data/sub', 0o700), 0);
    assert.deepEqual([...list(t, '/data/sub').keys()].sort(), ['.', '..'], 'old contents stay gone');
    assert.equal(statOf(t, '/data/sub/c.txt'), 'ENOENT');
    assert.equal(statOf(t, '/data/sub').mode & 0o7777, 0o700);
    // replacing a lower directory by a file and back
    assert.equal(t.sys('rmdir', '/data/sub'), 0);
    assert.equal(writeFile(t, '/data/sub', 'now a file'), 10);
    assert.equal(readFile(t, '/data/sub'), 'now a file');
    assert.equal(t.sys('unlink', '/data/sub'), 0);
    assert.equal(statOf(t, '/data/sub'), 'ENOENT');
  } finally {
    removeImage(img);
  }
});

test('merged readdir lists upper and lower names once, with the inode numbers stat reports', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    writeFile(t, '/data/upper-only', 'u');
    writeFile(t, '/data/a.txt', 'copied up');
    t.sys('unlink', '/data/b.txt');
    const l = list(t, '/data');
    assert.deepEqual([...l.keys()].sort(), ['.', '..', 'a.txt', 'abs-link', 'link-a', 'sub', 'upper-only']);
    for (const name of ['a.txt', 'abs-link', 'link-a', 'sub', 'upper-only']) {
      assert.equal(l.get(name).ino, statOf(t, `/data/${name}`, true).ino, name);
    }
    assert.equal(l.get('sub').type, 4);
    assert.equal(l.get('link-a').type, 10);
    assert.equal(l.get('a.txt').type, 8);
    assert.equal(l.get('.').ino, statOf(t, '/data').ino);
  } finally {
    removeImage(img);
  }
});

test('renames: lower files move (leaving a whiteout), lower directories are EXDEV', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    const ino = statOf(t, '/data/a.txt').ino;
    assert.equal(t.sys('rename', '/data/a.txt', '/etc/moved'), 0);
    assert.equal(statOf(t, '/data/a.txt'), 'ENOENT');
    assert.equal(readFile(t, '/etc/moved'), 'alpha\n');
    assert.equal(statOf(t, '/etc/moved').ino, ino);
    assert.equal(ename(t.sys('rename', '/data/sub', '/data/sub2')), 'EXDEV');
    assert.equal(t.sys('mkdir', '/data/newdir', 0o755), 0);
    writeFile(t, '/data/newdir/x', 'x');
    assert.equal(t.sys('rename', '/data/newdir', '/etc/newdir'), 0);
    assert.equal(readFile(t, '/etc/newdir/x'), 'x');
    // over an existing lower file
    assert.equal(t.sys('rename', '/etc/moved', '/etc/hostname'), 0);
    assert.equal(readFile(t, '/etc/hostname'), 'alpha\n');
    assert.ok(!list(t, '/etc').has('moved'));
    // RENAME_EXCHANGE of two lower files
    assert.equal(t.sys('renameat2', -100, '/data/b.txt', -100, '/etc/shadow', O.RENAME_EXCHANGE), 0);
    assert.equal(readFile(t, '/data/b.txt'), 'image-shadow\n');
    assert.equal(readFile(t, '/etc/shadow'), 'bravo\n');
  } finally {
    removeImage(img);
  }
});

test('tmpfs on /tmp, devices on /dev, and the mount points in the listing', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    assert.equal(statOf(t, '/tmp').mode, 0o41777);
    assert.notEqual(statOf(t, '/tmp').dev, statOf(t, '/').dev);
    const root = list(t, '/');
    for (const n of ['tmp', 'dev', 'proc', 'etc', 'bin', 'data']) assert.ok(root.has(n), n);
    const nul = statOf(t, '/dev/null');
    assert.equal(nul.mode, 0o20666);
    const fd = t.sys('open', '/dev/full', O.O_RDWR);
    const b = t.bytes(8);
    assert.equal(ename(t.sys('write', fd, b, 1)), 'ENOSPC');
    assert.equal(t.sys('read', fd, b, 8), 8);
    assert.equal(t.sys('lseek', fd, 100, 0), 0);
    const z = t.sys('open', '/dev/zero', O.O_RDONLY);
    assert.equal(t.sys('pread64', z, b, 8, 12345), 8);
    const u = t.sys('open', '/dev/urandom', O.O_RDONLY);
    assert.equal(t.sys('read', u, b, 8), 8);
    assert.equal(t.read(b, 8).toString('hex'), '030a11181f262d34', 'bytes come from the random function passed in');
    assert.equal(readFile(t, '/dev/stdin'), 'ENOENT', 'no fd 0 in this task');
    // /tmp is not the overlay: renames across are EXDEV
    writeFile(t, '/tmp/f', 'x');
    assert.equal(ename(t.sys('rename', '/tmp/f', '/data/f')), 'EXDEV');
    assert.equal(ename(t.sys('link', '/tmp/f', '/data/f')), 'EXDEV');
    assert.equal(ename(t.sys('rmdir', '/tmp')), 'EBUSY');
  } finally {
    removeImage(img);
  }
});

test('tmpfs files are sparse: a write far out costs one chunk, holes read as zeroes', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    const fd = t.sys('open', '/tmp/sparse', O.O_CREAT | O.O_RDWR, 0o644);
    const b = t.bytes(16);
    t.write(b, Buffer.from('tail'));
    const far = 2 ** 40;
    assert.equal(t.sys('pwrite64', fd, b, 4, far), 4);
    const st = t.bytes(144);
    assert.equal(t.sys('fstat', fd, st), 0);
    const s = t.read(st, 144);
    assert.equal(s.readUInt32LE(48) + s.readUInt32LE(52) * 2 ** 32, far + 4);
    assert.ok(s.readUInt32LE(64) <= 128, 'only the written chunk is allocated');
    assert.equal(t.sys('pread64', fd, b, 8, far - 4), 8);
    assert.equal(t.read(b, 8).toString('latin1'), '\0\0\0\0tail');
    assert.equal(t.sys('ftruncate', fd, 3), 0);
    assert.equal(t.sys('ftruncate', fd, 10), 0);
    assert.equal(t.sys('pread64', fd, b, 10, 0), 10);
    assert.equal(t.read(b, 10).toString('latin1'), '\0'.repeat(10));
    assert.equal(t.sys('lseek', fd, 0, 2 /* SEEK_END */), 10);
  } finally {
    removeImage(img);
  }
});

test('extended attributes: setting one on an image file copies it up; the overlay\'s own are hidden', () => {
  const img = makeImage();
  const before = treeDigest(img.root);
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    const v = t.bytes(64);
    const names = () => {
      const b = t.bytes(256);
      const n = t.sys('listxattr', '/data/a.txt', b, 256);
      return n < 0 ? ename(n) : t.read(b, n).toString('latin1').split('\0').filter((x) => x !== '');
    };
    assert.deepEqual(names(), []);
    assert.equal(ename(t.sys('getxattr', '/data/a.txt', 'user.k', v, 64)), 'ENODATA');
    assert.equal(ename(t.sys('removexattr', '/data/a.txt', 'user.k')), 'ENODATA');
    const ino = statOf(t, '/data/a.txt').ino;
    t.write(v, Buffer.from('val'));
    assert.equal(t.sys('setxattr', '/data/a.txt', 'user.k', v, 3, 0), 0);
    assert.equal(t.sys('setxattr', '/data/a.txt', 'trusted.t', v, 3, 0), 0);
    assert.deepEqual(names(), ['user.k', 'trusted.t']);
    assert.equal(t.sys('getxattr', '/data/a.txt', 'user.k', v, 64), 3);
    assert.equal(t.read(v, 3).toString(), 'val');
    assert.equal(statOf(t, '/data/a.txt').ino, ino, 'copy-up keeps st_ino');
    assert.equal(readFile(t, '/data/a.txt'), 'alpha\n', 'copy-up keeps the data');
    // The overlay's own attributes (trusted.overlay.*) are neither visible nor settable.
    assert.equal(t.sys('rmdir', '/data/sub/c.txt'), -20 /* ENOTDIR */);
    assert.equal(t.sys('unlink', '/data/sub/c.txt'), 0);
    assert.equal(t.sys('rmdir', '/data/sub'), 0);
    assert.equal(t.sys('mkdir', '/data/sub', 0o755), 0);
    const b = t.bytes(256);
    assert.equal(t.sys('listxattr', '/data/sub', b, 256), 0);
    assert.equal(ename(t.sys('getxattr', '/data/sub', 'trusted.overlay.opaque', v, 64)), 'EOPNOTSUPP');
    assert.equal(ename(t.sys('setxattr', '/data', 'trusted.overlay.opaque', v, 1, 0)), 'EOPNOTSUPP');
    // user.* on a symlink is refused; a file system without attributes (procfs) says so.
    assert.equal(ename(t.sys('lsetxattr', '/data/link-a', 'user.k', v, 1, 0)), 'EPERM');
    assert.equal(ename(t.sys('setxattr', '/proc/cpuinfo', 'user.k', v, 1, 0)), 'EOPNOTSUPP');
  } finally {
    assert.equal(treeDigest(img.root), before, 'the image is unchanged');
    removeImage(img);
  }
});

test('a file unlinked from the overlay while open reports no links (image and copied-up files)', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    for (const path of ['/data/a.txt', '/data/b.txt']) {
      if (path === '/data/b.txt') assert.equal(writeFile(t, path, 'copied up'), 9);
      const fd = t.sys('open', path, O.O_RDONLY);
      assert.ok(fd >= 0);
      assert.equal(t.sys('unlink', path), 0);
      const b = t.bytes(144);
      assert.equal(t.sys('fstat', fd, b), 0);
      assert.equal(t.read(b, 144).readUInt32LE(16), 0, `${path}: st_nlink`);
      t.sys('close', fd);
    }
  } finally {
    removeImage(img);
  }
});
