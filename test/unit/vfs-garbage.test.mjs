// No file syscall handler throws on bad input: every registered fs handler is called
// with combinations of wild pointers, huge and negative numbers, bad fds and valid
// arguments, and must return a number (a result or -errno) every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeImage, removeImage, makeSandbox, NR, O } from './vfs-helpers.mjs';

test('fs handlers never throw on garbage arguments', () => {
  const img = makeImage();
  try {
    const { table, newTask } = makeSandbox(img.root);
    const t = newTask();
    // Some real state to poke at: an open file, a directory, a pipe.
    const f = t.sys('open', '/data/a.txt', O.O_RDWR);
    const d = t.sys('open', '/data', O.O_RDONLY | O.O_DIRECTORY);
    const pfds = t.bytes(8);
    t.sys('pipe2', pfds, O.O_NONBLOCK);
    const path = t.str('/data/a.txt');
    const buf = t.bytes(8192);
    const values = [0, 1, -1, -100, 2 ** 31, 2 ** 52, -(2 ** 52), 0x7fffffffffff, f, d, 3, 4, 999, path, buf, 4096, 0x100,
      0x1000, O.O_CREAT | O.O_RDWR];
    let calls = 0;
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return values[seed % values.length];
    };
    const names = ['read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'lseek', 'pread64', 'pwrite64', 'readv',
      'writev', 'access', 'pipe', 'dup', 'dup2', 'fcntl', 'ioctl', 'truncate', 'ftruncate', 'getdents64', 'getcwd',
      'chdir', 'fchdir', 'rename', 'mkdir', 'rmdir', 'creat', 'link', 'unlink', 'symlink', 'readlink', 'chmod', 'fchmod',
      'chown', 'fchown', 'lchown', 'openat', 'mkdirat', 'fchownat', 'newfstatat', 'unlinkat', 'renameat', 'linkat',
      'symlinkat', 'readlinkat', 'fchmodat', 'faccessat', 'utimensat', 'dup3', 'pipe2', 'preadv', 'pwritev', 'renameat2',
      'statx', 'faccessat2', 'statfs', 'fstatfs', 'fsync', 'fdatasync', 'sendfile', 'close_range', 'utimes', 'utime',
      'futimesat', 'sync', 'syncfs', 'preadv2', 'pwritev2'];
    for (const name of names) {
      const h = table.handlers[NR[name]];
      assert.ok(h, `${name} is registered`);
      for (let i = 0; i < 300; i++) {
        const a = [rnd(), rnd(), rnd(), rnd(), rnd(), rnd()];
        // Keep the fds used by the test itself alive.
        if ((name === 'close' || name === 'close_range' || name === 'dup2' || name === 'dup3') && a[0] <= 4) continue;
        let r;
        try {
          t.restarting = false;
          r = h(t, ...a);
        } catch (e) {
          assert.fail(`${name}(${a.join(', ')}) threw: ${e.stack}`);
        }
        assert.equal(typeof r, 'number', `${name}(${a.join(', ')}) returned ${r}`);
        assert.ok(Number.isFinite(r), `${name}(${a.join(', ')}) returned ${r}`);
        calls++;
      }
    }
    assert.ok(calls > 10000);
  } finally {
    removeImage(img);
  }
});
