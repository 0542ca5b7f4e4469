// Path resolution and the name-changing calls, checked against the host kernel: the
// same sequence of operations runs on a host temp directory (through node:fs, which
// makes the raw syscalls) and inside the sandbox through the syscall handlers, on
// tmpfs (/tmp), on the overlay's upper layer, and on a copy held in the read-only
// lower layer; every result (ok or errno name) must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { makeImage, removeImage, makeSandbox, ename, O } from './vfs-helpers.mjs';

const LONG = 'n'.repeat(256);
const NAME_MAX_NAME = 'm'.repeat(255);

function chain(mk, n) {
  // c0 -> c1 -> ... -> c{n-1} -> f
  for (let i = 0; i < n; i++) mk(i === n - 1 ? 'f' : `c${i + 1}`, `c${i}`);
}

const OPS = [
  ['unlink', 'd'], ['unlink', 'f/'], ['unlink', 'd/'], ['unlink', '.'], ['unlink', 'lf/'], ['unlink', 'ld/'],
  ['unlink', 'nope'], ['unlink', 'f/x'], ['unlink', LONG],
  ['rmdir', '.'], ['rmdir', 'f'], ['rmdir', 'd/.'], ['rmdir', 'd/..'], ['rmdir', 'ld'], ['rmdir', 'ld/'], ['rmdir', 'e'],
  ['rmdir', 'nope'],
  ['mkdir', 'd/'], ['mkdir', 'd/.'], ['mkdir', 'd/..'], ['mkdir', 'f/x'], ['mkdir', 'lf'], ['mkdir', 'dang'],
  ['mkdir', 'dang/'], ['mkdir', 'nodir/x'], ['mkdir', 'n1/'], ['rmdir', 'n1/'], ['mkdir', LONG],
  ['mkdir', NAME_MAX_NAME], ['rmdir', NAME_MAX_NAME],
  ['open', 'nf/', O.O_CREAT | O.O_RDWR], ['open', 'f/', 0], ['open', 'd', O.O_WRONLY], ['open', 'd', O.O_RDWR],
  ['open', 'd', O.O_CREAT], ['open', 'd', O.O_CREAT | O.O_EXCL], ['open', 'lf', O.O_NOFOLLOW],
  ['open', 'ld', O.O_NOFOLLOW | O.O_DIRECTORY], ['open', 'f', O.O_CREAT | O.O_DIRECTORY],
  ['open', 'dang', O.O_CREAT | O.O_EXCL | O.O_RDWR], ['open', 'dang', O.O_CREAT | O.O_RDWR | O.O_NOFOLLOW],
  ['open', 'loop', 0], ['open', 'loop/', 0], ['open', 'f', O.O_DIRECTORY], ['open', 'd/..', O.O_CREAT | O.O_RDWR],
  ['open', 'ld/', O.O_CREAT], ['open', '.', O.O_WRONLY], ['open', 'e/x/../../f', 0], ['open', 'ld/../f', 0],
  ['open', 'lf', O.O_PATH | O.O_NOFOLLOW | O.O_DIRECTORY], ['open', 'lf', O.O_PATH | O.O_NOFOLLOW],
  ['open', 'empty-link', 0], ['open', 'f', O.O_RDONLY | O.O_TMPFILE], ['open', 'f', O.O_WRONLY | O.O_TRUNC],
  ['open', 'dang', O.O_CREAT | O.O_RDWR], ['stat', 'nowhere'], ['unlink', 'nowhere'],
  ['open', 'd/sub/x', O.O_CREAT | O.O_RDWR], ['open', 'd/newf', O.O_CREAT | O.O_EXCL | O.O_RDWR],
  ['rename', 'd', 'd/x'], ['rename', 'd', 'f'], ['rename', 'f', 'd'], ['rename', 'd', 'e'], ['rename', 'f', 'f'],
  ['rename', '.', 'x'], ['rename', 'd/.', 'x'], ['rename', 'f', 'nn/'], ['rename', 'f', 'd/..'], ['rename', 'x', 'y'],
  ['rename', 'f/', 'z'], ['rename', 'd/', 'd2/'], ['rename', 'd2', 'd'], ['rename', 'lf/', 'z'], ['rename', 'e/x', 'e/x/y'],
  ['rename', 'd', 'e/x/y'], ['rename', 'e/x/y', 'd'], ['rename', 'g', 'g2'], ['rename', 'g2', 'g'],
  ['rename', 'd/newf', 'g'], ['stat', 'd/newf'],
  ['link', 'd', 'x'], ['link', 'f', 'g'], ['link', 'f', 'new/'], ['link', 'f/', 'new'], ['link', 'lf', 'hl'],
  ['link', 'nope', 'x2'], ['lstat', 'hl'], ['unlink', 'hl'], ['link', 'f', 'f-hard'], ['stat', 'f-hard'],
  ['unlink', 'f-hard'],
  ['symlink', 'f', 'g'], ['symlink', 'f', 'x4/'], ['symlink', 'f', 'd/'], ['symlink', 'a/b', 'sl'], ['lstat', 'sl'],
  ['stat', 'sl'], ['unlink', 'sl'],
  ['readlink', 'f'], ['readlink', 'f/'], ['readlink', 'd'], ['readlink', 'ld/'], ['readlink', 'lf'], ['readlink', 'dang'],
  ['lstat', 'ld/'], ['stat', 'lf/'], ['stat', 'loop'], ['lstat', 'loop'], ['stat', 'f/x'], ['stat', LONG],
  ['stat', NAME_MAX_NAME], ['stat', `nodir/${LONG}`], ['stat', `f/${LONG}`], ['stat', `${LONG}/x`],
  ['stat', 'c0'], ['stat', 'c1'], ['lstat', 'c0'], ['stat', 'ld/./../ld/.'], ['stat', 'e/x/../x/./'],
  ['access', 'nope', 0], ['access', 'f', 0], ['access', 'f/', 0],
];

/** Renames that move a directory of the lower layer (and their way back). */
const LOWER_DIR_RENAMES = new Set(OPS.filter(([n, a, b]) =>
  n === 'rename' && ((a === 'd/' && b === 'd2/') || (a === 'd2' && b === 'd') || (a === 'd' && b === 'e/x/y') ||
    (a === 'e/x/y' && b === 'd'))));

function nativeOp(base, [name, a, b]) {
  const p = (x) => `${base}/${x}`; // no path.join: it would normalise '.', '..' and slashes away
  try {
    switch (name) {
      case 'unlink': fs.unlinkSync(p(a)); break;
      case 'rmdir': fs.rmdirSync(p(a)); break;
      case 'mkdir': fs.mkdirSync(p(a), 0o755); break;
      case 'open': fs.closeSync(fs.openSync(p(a), b, 0o644)); break;
      case 'rename': fs.renameSync(p(a), p(b)); break;
      case 'link': fs.linkSync(p(a), p(b)); break;
      case 'symlink': fs.symlinkSync(a, p(b)); break;
      case 'readlink': return 'ok:' + fs.readlinkSync(p(a));
      // A merged overlay directory reports nlink 1 (as overlayfs does): directories' link
      // counts and sizes are left out of the comparison.
      case 'stat': { const s = fs.statSync(p(a)); return `ok:${s.mode.toString(8)}:${s.isDirectory() ? '' : `${s.nlink}:${s.size}`}`; }
      case 'lstat': { const s = fs.lstatSync(p(a)); return `ok:${s.mode.toString(8)}:${s.isDirectory() ? '' : `${s.nlink}:${s.size}`}`; }
      case 'access': fs.accessSync(p(a), b); break;
      default: throw new Error(name);
    }
    return 'ok';
  } catch (e) {
    if (!e.code || !/^E/.test(e.code)) throw e;
    return e.code;
  }
}

function sandboxOp(t, base, [name, a, b]) {
  const p = (x) => (x === '' ? base : `${base}/${x}`);
  t.reset();
  let r;
  switch (name) {
    case 'unlink': r = t.sys('unlink', p(a)); break;
    case 'rmdir': r = t.sys('rmdir', p(a)); break;
    case 'mkdir': r = t.sys('mkdir', p(a), 0o755); break;
    case 'open': r = t.sys('open', p(a), b, 0o644); if (r >= 0) { t.sys('close', r); r = 0; } break;
    case 'rename': r = t.sys('rename', p(a), p(b)); break;
    case 'link': r = t.sys('link', p(a), p(b)); break;
    case 'symlink': r = t.sys('symlink', a, p(b)); break;
    case 'readlink': {
      const buf = t.bytes(256);
      r = t.sys('readlink', p(a), buf, 256);
      if (r >= 0) return 'ok:' + t.read(buf, r).toString('latin1');
      break;
    }
    case 'stat': case 'lstat': {
      const buf = t.bytes(144);
      r = t.sys(name, p(a), buf);
      if (r >= 0) {
        const s = t.read(buf, 144);
        const mode = s.readUInt32LE(24);
        const isDir = (mode & 0o170000) === 0o040000;
        return `ok:${mode.toString(8)}:${isDir ? '' : `${s.readUInt32LE(16)}:${s.readUInt32LE(48)}`}`;
      }
      break;
    }
    case 'access': r = t.sys('access', p(a), b); break;
    default: throw new Error(name);
  }
  return r === 0 ? 'ok' : ename(r);
}

function sandboxBuild(t, base) {
  const mk = (r) => assert.equal(r, 0);
  mk(t.sys('mkdir', base, 0o755));
  mk(t.sys('mkdir', `${base}/d`, 0o755));
  mk(t.sys('mkdir', `${base}/e`, 0o755));
  mk(t.sys('mkdir', `${base}/e/x`, 0o755));
  for (const [n, data] of [['f', 'ffff'], ['g', 'gg']]) {
    const fd = t.sys('open', `${base}/${n}`, O.O_CREAT | O.O_WRONLY, 0o644);
    assert.ok(fd >= 0);
    const b = t.bytes(data.length);
    t.write(b, Buffer.from(data));
    assert.equal(t.sys('write', fd, b, data.length), data.length);
    t.sys('close', fd);
  }
  for (const [target, n] of [['f', 'lf'], ['nowhere', 'dang'], ['loop', 'loop'], ['d', 'ld']]) mk(t.sys('symlink', target, `${base}/${n}`));
}

test('path resolution and name operations match the host kernel (tmpfs, overlay upper, overlay lower)', () => {
  const natives = [];
  const mkNative = () => {
    const dir = fs.mkdtempSync('/tmp/tsv-walk-native-');
    natives.push(dir);
    buildNativeNoEmpty(dir);
    chain((target, name) => fs.symlinkSync(target, join(dir, name)), 41);
    return dir;
  };
  const img = makeImage((root) => {
    const lw = join(root, 'lw');
    fs.mkdirSync(lw);
    buildNativeNoEmpty(lw);
    chain((target, name) => fs.symlinkSync(target, join(lw, name)), 41);
  });
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    sandboxBuild(t, '/tmp/w');
    sandboxBuild(t, '/w');
    for (const base of ['/tmp/w', '/w']) {
      chain((target, name) => assert.equal(t.sys('symlink', target, `${base}/${name}`), 0), 41);
    }
    const variants = [['/tmp/w', mkNative()], ['/w', mkNative()], ['/lw', mkNative()]];
    const failures = [];
    for (const op of OPS) {
      for (const [sbase, nbase] of variants) {
        // Lower-layer directories cannot be renamed (overlayfs without redirect_dir): EXDEV.
        if (sbase === '/lw' && LOWER_DIR_RENAMES.has(op)) {
          const got = sandboxOp(t, sbase, op);
          if (got !== 'EXDEV' && got !== nativeOp(nbase, op)) failures.push(`/lw: ${op.join(' ')} = ${got}, want EXDEV`);
          continue;
        }
        const want = nativeOp(nbase, op);
        const got = sandboxOp(t, sbase, op);
        if (want !== got) failures.push(`${sbase}: ${op[0]}(${op.slice(1).map((x) => (typeof x === 'string' && x.length > 20 ? x.slice(0, 8) + '…' : x)).join(', ')}) = ${got}, host ${want}`);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    removeImage(img);
    for (const d of natives) fs.rmSync(d, { recursive: true, force: true });
  }
});

/** The starting tree, built natively (the sandbox builds the same through syscalls). */
function buildNativeNoEmpty(base) {
  fs.mkdirSync(join(base, 'd'));
  fs.mkdirSync(join(base, 'e'));
  fs.mkdirSync(join(base, 'e', 'x'));
  fs.writeFileSync(join(base, 'f'), 'ffff');
  fs.writeFileSync(join(base, 'g'), 'gg');
  fs.symlinkSync('f', join(base, 'lf'));
  fs.symlinkSync('nowhere', join(base, 'dang'));
  fs.symlinkSync('loop', join(base, 'loop'));
  fs.symlinkSync('d', join(base, 'ld'));
}

test('a path longer than PATH_MAX is ENAMETOOLONG; 4095 bytes is fine', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    const long = '/' + 'a/'.repeat(2048);
    assert.equal(ename(t.sys('access', long.slice(0, 4096), 0)), 'ENAMETOOLONG');
    assert.equal(ename(t.sys('access', '/' + './'.repeat(2047), 0)), 0);
    assert.equal(ename(t.sys('access', '', 0)), 'ENOENT');
    assert.equal(ename(t.sys('access', 1, 0)), 'EFAULT');
  } finally {
    removeImage(img);
  }
});

test('getcwd, chdir, fchdir and a removed cwd', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    const cwd = () => { const b = t.bytes(256); const n = t.sys('getcwd', b, 256); return n < 0 ? ename(n) : t.read(b, n - 1).toString(); };
    assert.equal(cwd(), '/');
    assert.equal(t.sys('chdir', '/data/sub'), 0);
    assert.equal(cwd(), '/data/sub');
    assert.equal(t.sys('chdir', '..'), 0);
    assert.equal(cwd(), '/data');
    assert.equal(t.sys('chdir', '/..'), 0);
    assert.equal(cwd(), '/');
    assert.equal(t.sys('chdir', '//tmp///'), 0);
    assert.equal(cwd(), '/tmp');
    assert.equal(t.sys('chdir', '/proc/..'), 0);
    assert.equal(cwd(), '/');
    assert.equal(ename(t.sys('chdir', '/data/a.txt')), 'ENOTDIR');
    assert.equal(ename(t.sys('getcwd', t.bytes(8), 1)), 'ERANGE');
    assert.equal(ename(t.sys('getcwd', t.bytes(8), 0)), 'ERANGE');
    assert.equal(t.sys('mkdir', '/tmp/gone', 0o755), 0);
    assert.equal(t.sys('chdir', '/tmp/gone'), 0);
    assert.equal(t.sys('rmdir', '/tmp/gone'), 0);
    assert.equal(ename(t.sys('getcwd', t.bytes(64), 64)), 'ENOENT');
    assert.equal(ename(t.sys('open', 'x', O.O_CREAT | O.O_RDWR, 0o644)), 'ENOENT');
    assert.equal(t.sys('chdir', '..'), 0);
    assert.equal(cwd(), '/tmp');
    const fd = t.sys('open', '/data', O.O_RDONLY | O.O_DIRECTORY);
    assert.ok(fd >= 0);
    assert.equal(t.sys('fchdir', fd), 0);
    assert.equal(cwd(), '/data');
    const ffd = t.sys('open', '/data/a.txt', 0);
    assert.equal(ename(t.sys('fchdir', ffd)), 'ENOTDIR');
    assert.equal(ename(t.sys('fchdir', 999)), 'EBADF');
  } finally {
    removeImage(img);
  }
});

test('fd table: lowest free fd, dup2/dup3/F_DUPFD rules, cloexec, RLIMIT_NOFILE', () => {
  const img = makeImage();
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask({ nofile: 16 });
    const a = t.sys('open', '/data/a.txt', 0);
    assert.equal(a, 0);
    assert.equal(t.sys('open', '/data/b.txt', O.O_CLOEXEC), 1);
    assert.equal(t.sys('fcntl', 1, O.F_GETFD), 1);
    assert.equal(t.sys('dup', 0), 2);
    assert.equal(t.sys('dup2', 0, 10), 10);
    assert.equal(t.sys('dup2', 0, 0), 0);
    assert.equal(ename(t.sys('dup2', 99, 99)), 'EBADF');
    assert.equal(ename(t.sys('dup2', 0, 16)), 'EBADF');
    assert.equal(ename(t.sys('dup3', 0, 0, 0)), 'EINVAL');
    assert.equal(ename(t.sys('dup3', 0, 5, O.O_NONBLOCK)), 'EINVAL');
    assert.equal(t.sys('fcntl', 0, O.F_DUPFD, 10), 11);
    assert.equal(ename(t.sys('fcntl', 0, O.F_DUPFD, 16)), 'EINVAL');
    assert.equal(ename(t.sys('fcntl', 0, O.F_DUPFD, -1)), 'EINVAL');
    assert.equal(t.sys('close', 2), 0);
    assert.equal(t.sys('dup', 0), 2);
    // fill up to the limit
    let last = 0;
    for (;;) { const r = t.sys('dup', 0); if (r < 0) { assert.equal(ename(r), 'EMFILE'); break; } last = r; }
    assert.equal(last, 15);
    assert.equal(ename(t.sys('open', '/nonexistent', 0)), 'EMFILE', 'EMFILE is checked before the path');
    // F_SETFL keeps the access mode and the description's flags are shared by dups
    assert.equal(t.sys('close', 3), 0);
    const w = t.sys('open', '/tmp/x', O.O_CREAT | O.O_RDWR | O.O_APPEND, 0o600);
    assert.equal(t.sys('fcntl', w, O.F_GETFL), O.O_RDWR | O.O_APPEND | O.O_LARGEFILE);
    assert.equal(t.sys('fcntl', w, O.F_SETFL, O.O_NONBLOCK | O.O_WRONLY | O.O_CREAT), 0);
    assert.equal(t.sys('fcntl', w, O.F_GETFL), O.O_RDWR | O.O_NONBLOCK | O.O_LARGEFILE);
    const p = t.fdTable.get(w);
    assert.equal(p.refCount, 1);
    // exec closes cloexec fds
    t.fdTable.closeOnExec();
    assert.equal(t.fdTable.get(1), null);
    assert.notEqual(t.fdTable.get(0), null);
    const child = t.fdTable.fork();
    assert.equal(p.refCount, 2);
    child.closeAll();
    assert.equal(p.refCount, 1);
  } finally {
    removeImage(img);
  }
});
