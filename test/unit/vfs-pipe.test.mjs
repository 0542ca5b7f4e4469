// Pipes (capacity, PIPE_BUF atomicity, EOF, EPIPE with the SIGPIPE hook, O_NONBLOCK,
// blocking and restarting), /proc/self/fd links to them, and host stdio wrapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeImage, removeImage, makeSandbox, ename, O, BLOCKED, vfsHooks, E } from './vfs-helpers.mjs';

const require = createRequire(import.meta.url);
const { wrapHostStdio } = require('../../dist/fs/host/stdio.js');

function setup() {
  const img = makeImage();
  const sb = makeSandbox(img.root);
  const t = sb.newTask();
  sb.rfs.setProcSource({
    process: (id) => (id === 1 ? {
      tgid: 1, ppid: 0, pgid: 1, sid: 1, comm: 'test', state: 'R', mm: t.mm, fdTable: t.fdTable, fs: t.fs,
      creds: t.creds, tids: [1], rlimits: null,
    } : null),
    tgids: () => [1],
  });
  return { img, sb, t };
}

function pipe(t, flags = 0) {
  const a = t.bytes(8);
  assert.equal(t.sys('pipe2', a, flags), 0);
  const b = t.read(a, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

function put(t, fd, data) {
  const b = t.bytes(data.length);
  t.write(b, Buffer.from(data));
  return t.sys('write', fd, b, data.length);
}

test('basic pipe semantics', () => {
  const { img, t } = setup();
  try {
    const [r, w] = pipe(t);
    assert.equal(w, r + 1);
    assert.equal(t.sys('fcntl', r, O.F_GETFL), 0);
    assert.equal(t.sys('fcntl', w, O.F_GETFL), 1);
    assert.equal(t.sys('fcntl', r, O.F_GETPIPE_SZ), 65536);
    const st = t.bytes(144);
    assert.equal(t.sys('fstat', r, st), 0);
    assert.equal(t.read(st, 144).readUInt32LE(24), 0o10600);
    assert.equal(put(t, w, 'hello'), 5);
    assert.equal(put(t, w, ''), 0);
    const b = t.bytes(64);
    assert.equal(t.sys('read', r, b, 3), 3);
    assert.equal(t.sys('read', r, b, 64), 2, 'short read of what is there');
    assert.equal(ename(t.sys('read', w, b, 1)), 'EBADF');
    assert.equal(ename(t.sys('write', r, b, 1)), 'EBADF');
    assert.equal(ename(t.sys('lseek', r, 0, 0)), 'ESPIPE');
    assert.equal(ename(t.sys('pread64', r, b, 1, 0)), 'ESPIPE');
    assert.equal(ename(t.sys('pwrite64', w, b, 1, 0)), 'ESPIPE');
    assert.equal(ename(t.sys('pread64', r, b, 1, -1)), 'EINVAL');
    // FIONREAD, FIONBIO
    put(t, w, 'abc');
    const n = t.bytes(4);
    assert.equal(t.sys('ioctl', r, O.FIONREAD, n), 0);
    assert.equal(t.read(n, 4).readInt32LE(0), 3);
    t.write(n, Buffer.from([1, 0, 0, 0]));
    assert.equal(t.sys('ioctl', r, O.FIONBIO, n), 0);
    assert.equal(t.sys('fcntl', r, O.F_GETFL), O.O_NONBLOCK);
    assert.equal(ename(t.sys('ioctl', r, O.FIONBIO, 1)), 'EFAULT');
    assert.equal(ename(t.sys('ioctl', r, O.TCGETS, n)), 'ENOTTY');
    assert.equal(t.sys('ioctl', r, O.FIOCLEX), 0);
    assert.equal(t.sys('fcntl', r, O.F_GETFD), 1);
    // EOF once the writer is gone and the data is drained
    assert.equal(t.sys('close', w), 0);
    assert.equal(t.sys('read', r, b, 64), 3);
    assert.equal(t.sys('read', r, b, 64), 0);
    assert.equal(ename(t.sys('pipe2', t.bytes(8), O.O_APPEND)), 'EINVAL');
    assert.equal(ename(t.sys('pipe2', 1, 0)), 'EFAULT');
    assert.equal(t.fdTable.get(r + 1), null, 'EFAULT leaves no fds behind');
  } finally {
    removeImage(img);
  }
});

test('capacity, PIPE_BUF atomicity and O_NONBLOCK', () => {
  const { img, t } = setup();
  try {
    const [r, w] = pipe(t, O.O_NONBLOCK);
    const big = t.bytes(1 << 20);
    assert.equal(t.sys('write', w, big, 1 << 20), 65536);
    assert.equal(ename(t.sys('write', w, big, 1)), 'EAGAIN');
    const b = t.bytes(200);
    assert.equal(t.sys('read', r, b, 100), 100);
    assert.equal(ename(t.sys('write', w, big, 200)), 'EAGAIN', 'a write of <= PIPE_BUF is all or nothing');
    // Linux counts page-sized buffers: the partly read first one frees no slot.
    assert.equal(ename(t.sys('write', w, big, 5000)), 'EAGAIN', 'no free buffer, nothing fits');
    assert.equal(t.sys('read', r, b, 200), 200);
    const rest = t.bytes(4096);
    assert.equal(t.sys('read', r, rest, 3796), 3796, 'the rest of the first buffer');
    assert.equal(t.sys('write', w, big, 5000), 4096, 'a larger write takes the freed buffer');
    const empty = pipe(t, O.O_NONBLOCK);
    assert.equal(ename(t.sys('read', empty[0], b, 1)), 'EAGAIN');
  } finally {
    removeImage(img);
  }
});

test('EPIPE raises SIGPIPE through the hook', () => {
  const { img, t } = setup();
  const saved = vfsHooks.brokenPipe;
  let raised = 0;
  vfsHooks.brokenPipe = () => { raised++; };
  try {
    const [r, w] = pipe(t);
    t.sys('close', r);
    assert.equal(ename(put(t, w, 'x')), 'EPIPE');
    assert.equal(raised, 1);
    assert.equal(put(t, w, ''), 0, 'an empty write succeeds even without readers');
  } finally {
    vfsHooks.brokenPipe = saved;
    removeImage(img);
  }
});

test('blocking reads and writes park the task and finish when re-run', () => {
  const { img, sb, t } = setup();
  try {
    const [r, w] = pipe(t);
    const b = t.bytes(16);
    assert.equal(t.sys('read', r, b, 16), BLOCKED);
    assert.equal(t.blocks.length, 1);
    const q = t.blocks[0].q;
    assert.equal(q, t.fdTable.get(r).waitQueue);
    // another task writes; the reader re-runs
    const t2 = sb.newTask({ tid: 2, tgid: 2 });
    const w2 = t2.fdTable.install(t.fdTable.get(w), 0, false);
    t.fdTable.get(w).incRef();
    assert.equal(put(t2, w2, 'data'), 4);
    assert.equal(t.rerun('read', r, b, 16), 4);
    assert.equal(t.read(b, 4).toString(), 'data');
    // a 100000-byte blocking write: 65536 go in, the task parks, and the re-run finishes
    const big = t.bytes(100000);
    t.write(big, Buffer.alloc(100000, 0x41));
    assert.equal(t.sys('write', w, big, 100000), BLOCKED);
    assert.equal(t.ioProgress, 65536);
    const sink = t2.bytes(65536);
    const r2 = t2.fdTable.install(t.fdTable.get(r), 0, false);
    t.fdTable.get(r).incRef();
    assert.equal(t2.sys('read', r2, sink, 65536), 65536);
    assert.equal(t.rerun('write', w, big, 100000), 100000);
    assert.equal(t2.sys('read', r2, sink, 65536), 100000 - 65536);
    // a signal while blocked: ERESTARTSYS before progress, the count after
    t.pendingSignal = true;
    assert.equal(t.rerun('read', r, b, 16), -E.ERESTARTSYS);
    t.pendingSignal = false;
    assert.equal(t.sys('write', w, big, 100000), BLOCKED);
    t.pendingSignal = true;
    assert.equal(t.rerun('write', w, big, 100000), 65536);
    t.pendingSignal = false;
  } finally {
    removeImage(img);
  }
});

test('/proc/self/fd links to a pipe, and reopening one gives a new end', () => {
  const { img, t } = setup();
  try {
    const [r, w] = pipe(t);
    const b = t.bytes(64);
    const n = t.sys('readlink', `/proc/self/fd/${r}`, b, 64);
    assert.match(t.read(b, n).toString(), /^pipe:\[\d+\]$/);
    const w2 = t.sys('open', `/proc/self/fd/${w}`, O.O_WRONLY);
    assert.ok(w2 >= 0);
    t.sys('close', w);
    assert.equal(put(t, w2, 'via proc'), 8);
    assert.equal(t.sys('read', r, b, 64), 8);
    assert.equal(ename(t.sys('readlink', '/proc/self/fd/77', b, 64)), 'ENOENT');
    // /dev/fd and /dev/stdout-style links go through /proc/self/fd
    assert.equal(t.sys('dup2', w2, 1), 1);
    const out = t.sys('open', '/dev/stdout', O.O_WRONLY);
    assert.ok(out >= 0);
    assert.equal(put(t, out, 'xyz'), 3);
    assert.equal(t.sys('read', r, b, 64), 3);
    const m = t.sys('readlink', '/proc/self/cwd', b, 64);
    assert.equal(t.read(b, m).toString(), '/');
    const s = t.sys('readlink', '/proc/self', b, 64);
    assert.equal(t.read(b, s).toString(), '1');
  } finally {
    removeImage(img);
  }
});

test('host stdio: a regular file shares the host offset; /dev/null is not a terminal', () => {
  const { img, t } = setup();
  const path = join(img.base, 'log');
  fs.writeFileSync(path, 'start\n');
  const hostFd = fs.openSync(path, 'a+');
  const nul = fs.openSync('/dev/null', 'r+');
  try {
    const f = wrapHostStdio(hostFd);
    assert.ok(f !== null);
    const fd = t.fdTable.install(f, 0, false);
    assert.equal(put(t, fd, 'more\n'), 5);
    assert.equal(fs.readFileSync(path, 'latin1'), 'start\nmore\n');
    assert.equal(t.sys('fcntl', fd, O.F_GETFL) & (O.O_APPEND | O.O_ACCMODE), O.O_APPEND | O.O_RDWR);
    const n = wrapHostStdio(nul);
    const nfd = t.fdTable.install(n, 0, false);
    const b = t.bytes(64);
    assert.equal(t.sys('read', nfd, b, 64), 0);
    assert.equal(ename(t.sys('ioctl', nfd, O.TCGETS, b)), 'ENOTTY');
    assert.equal(t.sys('write', nfd, b, 10), 10);
    t.sys('close', nfd);
    assert.equal(wrapHostStdio(987654), null);
  } finally {
    fs.closeSync(hostFd);
    fs.closeSync(nul);
    removeImage(img);
  }
});
