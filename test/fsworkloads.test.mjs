// File-system workloads in a container rootfs: a small image (busybox-static plus a tree
// with modes, owners, symlinks and hard links) is run natively under chroot (on a copy)
// and inside `tsvisor do --rootfs` (the image itself, through the overlay). The two
// transcripts must be identical, and afterwards the image must be byte-for-byte what
// it was: everything the sandboxed run deleted, renamed and rewrote stayed inside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync, chownSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync,
  rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { runSandbox, assertSame } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const CI = !!process.env.CI;
const base = `/tmp/tsvisor-fsw-${process.pid}`;

/** The image: busybox, applet links, and a tree worth copying and archiving. */
function makeImage(dir) {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'ls', 'cat', 'find', 'tar', 'cp', 'ln', 'chmod', 'mkdir', 'rm', 'mv', 'stat', 'sort', 'echo',
    'wc', 'md5sum', 'touch', 'sed', 'xargs', 'mkfifo', 'chown', 'readlink', 'du', 'head', 'test', 'cmp']) {
    symlinkSync('busybox', join(dir, 'bin', a));
  }
  for (const d of ['proc', 'dev', 'tmp', 'sys', 'etc', 'work']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  // The shell gives background jobs /dev/null as stdin: the native (chroot) run needs one.
  // (Inside the sandbox, /dev is the sentry's own.)
  spawnSync('mknod', ['-m', '666', join(dir, 'dev', 'null'), 'c', '1', '3']);
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nuser:x:1000:\n');
  const data = join(dir, 'data');
  mkdirSync(join(data, 'a', 'b', 'c'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(data, 'a', `f${i}`), `file ${i}\n`.repeat(i + 1));
  writeFileSync(join(data, 'a', 'b', 'big'), Buffer.alloc(300_000, 'x'));
  writeFileSync(join(data, 'a', 'b', 'c', 'deep'), 'deep\n');
  chmodSync(join(data, 'a', 'f1'), 0o600);
  chmodSync(join(data, 'a', 'f2'), 0o4755);
  chownSync(join(data, 'a', 'f3'), 1000, 1000);
  symlinkSync('f0', join(data, 'a', 'rel-link'));
  symlinkSync('/data/a/b/c/deep', join(data, 'a', 'abs-link'));
  symlinkSync('nowhere', join(data, 'a', 'dangling'));
  linkSync(join(data, 'a', 'f5'), join(data, 'a', 'f5-hard'));
  writeFileSync(join(data, 'doomed'), 'to be deleted\n');
  mkdirSync(join(data, 'doomed-dir', 'sub'), { recursive: true });
  writeFileSync(join(data, 'doomed-dir', 'sub', 'x'), 'x\n');
  writeFileSync(join(data, 'renamed'), 'to be renamed\n');
  writeFileSync(join(data, 'rewritten'), 'original\n');
}

/** A digest of a tree: names, types, modes, owners, sizes, link targets and contents. */
function treeDigest(dir) {
  const h = createHash('sha256');
  const walk = (p) => {
    for (const name of readdirSync(p).sort()) {
      const q = join(p, name);
      const st = lstatSync(q);
      h.update(`${q} ${st.mode} ${st.uid} ${st.gid} ${st.size} ${st.nlink} ${st.mtimeMs}\n`);
      if (st.isSymbolicLink()) h.update(readlinkSync(q));
      else if (st.isFile()) h.update(readFileSync(q));
      else if (st.isDirectory()) walk(q);
    }
  };
  walk(dir);
  return h.digest('hex');
}

// Each script runs with / as the image. Output must be a pure function of the image and the
// commands (no times, inode numbers or device numbers; no directory sizes either, which are
// the file system's own business: 4096 on ext4, a count of entries on tmpfs).
const SCRIPTS = {
  // (/dev/null exists only in the image for the native run; the sandbox mounts its own /dev.)
  'find -xdev lists the tree': 'find / -xdev ! -path "/dev/*" | sort',
  'find with tests': 'find /data -type l | sort; find /data -perm -4000; find /data -user 1000; find /data -size +100k',
  'stat of modes, owners, links and types':
    'cd /data/a && stat -c "%n %a %u %g %s %h %F" f0 f1 f2 f3 f5 f5-hard rel-link abs-link dangling | sort; ' +
    'stat -c "%n %a %u %g %F" b',
  'tar c | tar x round trip':
    'cd /data && tar cf /work/t.tar a && mkdir /work/x && cd /work/x && tar xf /work/t.tar && ' +
    'cd /work/x/a && find . ! -type d | sort | xargs stat -c "%n %a %u %g %s %F" && ' +
    'find . -type d | sort | xargs stat -c "%n %a %u %g %F" && md5sum b/big f39 && readlink abs-link',
  'cp -a keeps modes, owners, links and hard links':
    'cp -a /data/a /work/copy && cd /work/copy && find . ! -type d | sort | xargs stat -c "%n %a %u %g %s %h %F" && ' +
    'find . -type d | sort | xargs stat -c "%n %a %u %g %F" && ' +
    'for l in rel-link abs-link dangling; do readlink $l; done && cmp b/big /data/a/b/big && echo same',
  'ln -s, chmod, chown and rename in the image':
    'cd /data && ln -s a/f0 newlink && readlink newlink && cat newlink && chmod 640 a/f0 && chown 1000:1000 a/f4 && ' +
    'mv renamed renamed2 && rm doomed && rm -r doomed-dir && echo new > rewritten && cat rewritten && ' +
    'stat -c "%n %a %u %g" a/f0 a/f4 && ls /data | sort && test ! -e doomed && echo gone',
  // (Debian's busybox has no flock applet: flock(2) is in the locks differential program.)
  'mkfifo':
    'mkfifo -m 600 /work/fifo && stat -c "%n %a %F" /work/fifo && (echo through the fifo > /work/fifo &) && cat /work/fifo',
  'directories: mkdir -p, rename, rmdir, du':
    'mkdir -p /work/p/q/r && mv /work/p /work/p2 && find /work | sort && du -s /data/a/b/c | sed "s/[0-9]*//"',
};

test('file-system workloads in a busybox rootfs', async (t) => {
  if (!existsSync(BUSYBOX)) {
    if (CI) throw new Error('busybox-static missing under CI');
    t.skip('busybox-static missing');
    return;
  }
  rmSync(base, { recursive: true, force: true });
  const image = join(base, 'image');
  makeImage(image);
  const before = treeDigest(image);
  t.after(() => rmSync(base, { recursive: true, force: true }));

  for (const [name, script] of Object.entries(SCRIPTS)) {
    await t.test(name, () => {
      const copy = join(base, 'native');
      rmSync(copy, { recursive: true, force: true });
      spawnSync('cp', ['-a', image, copy]);
      const n = spawnSync('/usr/sbin/chroot', [copy, '/bin/sh', '-c', script], { encoding: 'buffer', env: { PATH: '/bin' } });
      const native = { stdout: n.stdout, stderr: n.stderr, status: n.status, signal: n.signal, argv: ['chroot', script] };
      const sandbox = runSandbox(['/bin/sh', '-c', script], { rootfs: image, cwd: '/', env: { PATH: '/bin' } });
      assert.equal(native.status, 0, `native run fails: ${native.stderr}`);
      assertSame(native, sandbox, name);
    });
  }

  await t.test('the image is byte-for-byte unchanged after all of that', () => {
    assert.equal(treeDigest(image), before);
  });

  await t.test('df and mount describe the sandbox\'s own mounts', () => {
    const r = runSandbox(['/bin/sh', '-c', 'busybox df /; busybox mount'], { rootfs: image, cwd: '/', env: { PATH: '/bin' } });
    assert.equal(r.status, 0, r.stderr.toString());
    const out = r.stdout.toString();
    assert.match(out, /^Filesystem .*\noverlay .* \/\n/);
    assert.match(out, /\noverlay on \/ type overlay \(rw,relatime\)\n/);
    assert.match(out, /\nproc on \/proc type proc \(rw,nosuid,nodev,noexec,relatime\)\n/);
    assert.match(out, /\ntmpfs on \/tmp type tmpfs \(rw,nosuid,nodev,relatime\)\n/);
  });
});
