// Nothing in the container can name a host path outside its root: not "..", not
// absolute or relative symlinks planted in the image, not symlinks swapped in on the
// host during a walk. The host root is only ever reached through fds below it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { makeImage, removeImage, makeSandbox, ename, O } from './vfs-helpers.mjs';

function readFile(t, path) {
  const fd = t.sys('open', path, O.O_RDONLY);
  if (fd < 0) return ename(fd);
  const b = t.bytes(4096);
  const n = t.sys('read', fd, b, 4096);
  t.sys('close', fd);
  return n < 0 ? ename(n) : t.read(b, n).toString('latin1');
}

function hostFds() {
  return fs.readdirSync('/proc/self/fd').length;
}

test('"..", absolute and relative symlinks all stay inside the container root', () => {
  const img = makeImage((root, base) => {
    fs.symlinkSync('../../../../../../secret', join(root, 'data', 'up'));
    fs.symlinkSync('/../secret', join(root, 'data', 'abs-up'));
    fs.symlinkSync(join(base, 'secret'), join(root, 'data', 'hostpath'));
    fs.symlinkSync('/etc/shadow', join(root, 'data', 'shadow-link'));
    fs.symlinkSync('/', join(root, 'data', 'root-link'));
    fs.symlinkSync('../..', join(root, 'data', 'dotdot-link'));
    fs.symlinkSync(base, join(root, 'data', 'base-link'));
  });
  try {
    const { newTask } = makeSandbox(img.root);
    const t = newTask();
    // The host secret is at <base>/secret, one level above the image root.
    assert.equal(readFile(t, '/../secret'), 'ENOENT');
    assert.equal(readFile(t, '/../../../../secret'), 'ENOENT');
    assert.equal(readFile(t, '/data/../../secret'), 'ENOENT');
    assert.equal(readFile(t, '/data/up'), 'ENOENT');
    assert.equal(readFile(t, '/data/abs-up'), 'ENOENT');
    assert.equal(readFile(t, '/data/hostpath'), 'ENOENT');
    assert.equal(readFile(t, '/data/base-link/secret'), 'ENOENT');
    // A link to /etc/shadow names the image's /etc/shadow, not the host's.
    assert.equal(readFile(t, '/data/shadow-link'), 'image-shadow\n');
    assert.equal(readFile(t, '/data/root-link/etc/hostname'), 'image\n');
    assert.equal(readFile(t, '/data/dotdot-link/etc/hostname'), 'image\n');
    assert.equal(readFile(t, '/data/dotdot-link/../../etc/hostname'), 'image\n');
    assert.equal(readFile(t, '/data/abs-link'), 'image\n');
    // .. from the root stays at the root, also from a chdir'ed position
    assert.equal(t.sys('chdir', '/data'), 0);
    assert.equal(readFile(t, '../../../etc/hostname'), 'image\n');
    // the mounts' own ".." leads back into the overlay, not to the host
    assert.equal(readFile(t, '/proc/../etc/hostname'), 'image\n');
    assert.equal(readFile(t, '/dev/../tmp/../etc/hostname'), 'image\n');
    // writes through links land in the overlay
    const fd = t.sys('open', '/data/up', O.O_CREAT | O.O_WRONLY, 0o644);
    assert.ok(fd >= 0, 'creating through a dangling link creates /secret inside');
    t.sys('close', fd);
    assert.equal(fs.readFileSync(join(img.base, 'secret'), 'latin1'), 'HOST SECRET\n');
    assert.ok(!fs.existsSync(join(img.root, 'secret')));
  } finally {
    removeImage(img);
  }
});

test('a directory swapped for a symlink on the host during a walk does not lead out', () => {
  const img = makeImage((root) => {
    for (let i = 0; i < 8; i++) fs.mkdirSync(join(root, `d${i}`));
  });
  try {
    // A tiny fd cache forces evicted directory fds to be reopened by name.
    const { newTask } = makeSandbox(img.root, { hostFdCacheSize: 2 });
    const t = newTask();
    assert.equal(readFile(t, '/data/sub/c.txt'), 'charlie\n');
    // Churn the cache so /data/sub's fd is closed.
    for (let i = 0; i < 8; i++) t.sys('access', `/d${i}/x`, 0);
    fs.renameSync(join(img.root, 'data', 'sub'), join(img.root, 'data', 'sub-old'));
    fs.symlinkSync(img.base, join(img.root, 'data', 'sub'));
    // The sentry refuses to follow the host-side swap: the reopened name is not the
    // directory it knew (O_NOFOLLOW + device/inode check).
    const r = readFile(t, '/data/sub/secret');
    assert.notEqual(r, 'HOST SECRET\n');
    assert.ok(typeof r === 'string' && /^E/.test(r), `got ${r}`);
  } finally {
    removeImage(img);
  }
});

test('walking a big tree keeps a bounded number of host fds', () => {
  const img = makeImage((root) => {
    for (let i = 0; i < 60; i++) {
      const d = join(root, 'tree', `a${i}`);
      fs.mkdirSync(d, { recursive: true });
      for (let j = 0; j < 5; j++) {
        fs.mkdirSync(join(d, `b${j}`));
        fs.writeFileSync(join(d, `b${j}`, 'f'), `${i}-${j}`);
      }
    }
  });
  try {
    const { newTask } = makeSandbox(img.root, { hostFdCacheSize: 16 });
    const t = newTask();
    const before = hostFds();
    let seen = 0;
    for (let i = 0; i < 60; i++) {
      for (let j = 0; j < 5; j++) {
        const b = t.bytes(144);
        assert.equal(t.sys('stat', `/tree/a${i}/b${j}/f`, b), 0);
        seen++;
        t.reset();
      }
    }
    assert.equal(seen, 300);
    assert.ok(hostFds() - before <= 17, `host fds grew by ${hostFds() - before}`);
    assert.equal(readFile(t, '/tree/a0/b0/f'), '0-0', 'evicted directories reopen');
  } finally {
    removeImage(img);
  }
});
