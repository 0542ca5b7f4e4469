// Mounts as `tsvisor do` (and later an OCI config) asks for them: bind mounts of host
// directories and files (read-only or writable), tmpfs with size= and mode=, the mount
// flags the VFS enforces, /proc/mounts, a root without the overlay, and bad requests.
// The host side of every bind mount is checked from outside after the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSandbox } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const base = `/tmp/tsvisor-mounts-${process.pid}`;

function sh(script, args, extra = {}) {
  return runSandbox([BUSYBOX, 'sh', '-c', script], { cwd: '/', args, ...extra });
}

function explain(r) {
  return `status ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function fresh(name) {
  const d = join(base, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

test('mounts', { skip: !existsSync(BUSYBOX) && 'needs busybox-static' }, async (t) => {
  t.after(() => rmSync(base, { recursive: true, force: true }));

  await t.test('a writable bind mount changes the host directory', () => {
    const d = fresh('rw');
    writeFileSync(join(d, 'f'), 'hello\n');
    const r = sh([
      'cd /data && cat f',
      'echo new > g && mkdir sub && mv g sub/g2 && chmod 600 sub/g2',
      'ln -s f lnk && ln f hard && truncate -s 3 hard && touch -d @981173106 f',
      'echo appended >> sub/g2 && rm lnk && ln -s sub/g2 lnk2',
      'ls -ln /data | sed 1d | sort -k9 | awk \'{print $1, $2, $5, $9, $10, $11}\'',
    ].join(' && '), ['-v', `${d}:/data`]);
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout.toString(), 'hello\n' + [
      '-rw-r--r-- 2 3 f  ',
      '-rw-r--r-- 2 3 hard  ',
      'lrwxrwxrwx 1 6 lnk2 -> sub/g2',
      'drwxr-xr-x 2 4096 sub  ',
    ].join('\n') + '\n');
    assert.equal(readFileSync(join(d, 'sub', 'g2'), 'latin1'), 'new\nappended\n');
    assert.equal(statSync(join(d, 'sub', 'g2')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(d, 'f'), 'latin1'), 'hel');
    assert.equal(statSync(join(d, 'f')).mtime.toISOString(), '2001-02-03T04:05:06.000Z');
    assert.equal(readlinkSync(join(d, 'lnk2')), 'sub/g2');
    assert.ok(!existsSync(join(d, 'lnk')) && !existsSync(join(d, 'g')));
  });

  await t.test('a read-only bind mount refuses writes and leaves the host alone', () => {
    const d = fresh('ro');
    writeFileSync(join(d, 'f'), 'keep\n');
    const r = sh('cat /ro/f; echo x > /ro/f; echo $?; touch /ro/new; echo $?; rm /ro/f; echo $?; mkdir /ro/d; echo $?',
      ['-v', `${d}:/ro:ro`]);
    assert.equal(r.stdout.toString(), 'keep\n1\n1\n1\n1\n', explain(r));
    assert.match(r.stderr.toString(), /Read-only file system/);
    assert.equal(readFileSync(join(d, 'f'), 'latin1'), 'keep\n');
    assert.ok(!existsSync(join(d, 'new')));
  });

  await t.test('a bind mount of a file, and a file mountpoint created for it', () => {
    const d = fresh('file');
    writeFileSync(join(d, 'conf'), 'a=1\n');
    writeFileSync(join(d, 'sibling'), 'secret sibling\n');
    const r = sh('cat /etc/tsv-conf; echo b=2 >> /etc/tsv-conf; ls /etc/tsv-conf/.. >/dev/null 2>&1; echo dotdot=$?; ' +
      'ls /etc | grep -c sibling', ['-v', `${d}/conf:/etc/tsv-conf`]);
    assert.equal(r.stdout.toString(), 'a=1\ndotdot=1\n0\n', explain(r));
    assert.equal(readFileSync(join(d, 'conf'), 'latin1'), 'a=1\nb=2\n');
  });

  await t.test('nothing leads from a bind mount to its host parent', () => {
    const d = fresh('escape');
    mkdirSync(join(d, 'inner'));
    writeFileSync(join(d, 'outer-secret'), 'must not be read\n');
    // Symlinks planted inside the mounted directory: relative, absolute, and through "..".
    const r = sh([
      `ln -s ../outer-secret /m/rel; ln -s ${d}/outer-secret /m/abs; ln -s ../../../../../../ /m/up`,
      'cat /m/../outer-secret /m/rel /m/abs /m/up/outer-secret 2>&1; cat /proc/self/root/../outer-secret 2>&1',
      'cat /proc/1/root/../../outer-secret 2>&1; echo end',
    ].join('; '), ['-v', `${d}/inner:/m`]);
    const out = r.stdout.toString();
    assert.ok(!out.includes('must not be read'), `escaped: ${out}`);
    assert.match(out, /end\n$/);
    // The planted links were really made on the host, with the text the app gave them.
    assert.equal(readlinkSync(join(d, 'inner', 'rel')), '../outer-secret');
  });

  await t.test('nodev, noexec and nosuid are honoured; statfs reports them', () => {
    const d = fresh('flags');
    copyFileSync(BUSYBOX, join(d, 'bb'));
    chmodSync(join(d, 'bb'), 0o755);
    const r = sh('/x/bb true; echo exec=$?; head -c 4 /devs/null; echo nodev=$?; head -c 0 /devs2/null; echo dev=$?; ' +
      'stat -f -c %T /tmp; grep " /x " /proc/mounts',
      ['--mount', `type=bind,src=${d},dst=/x,options=noexec:nosuid`,
        '--mount', 'type=bind,src=/dev/null,dst=/devs/null,options=nodev',
        '--mount', 'type=bind,src=/dev/null,dst=/devs2/null']);
    assert.equal(r.stdout.toString(),
      'exec=126\nnodev=1\ndev=0\ntmpfs\nnone /x hostfs rw,nosuid,noexec,relatime 0 0\n', explain(r));
  });

  await t.test('tmpfs size= and mode=; /proc/mounts and df list the mounts', () => {
    const r = sh('dd if=/dev/zero of=/small/f bs=1024 count=200 2>/dev/null; echo dd=$?; stat -c %a /small; ' +
      'grep -E " /(small|proc|dev/shm|tmp) " /proc/mounts; df /small | tail -1 | awk "{print \\$2}"',
      ['--tmpfs', '/small:size=128k,mode=700']);
    assert.equal(r.stdout.toString(), [
      'dd=1', '700',
      'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
      'shm /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k 0 0',
      'tmpfs /tmp tmpfs rw,nosuid,nodev,relatime 0 0',
      'tmpfs /small tmpfs rw,nosuid,nodev,noexec,relatime,size=128k,mode=700 0 0',
      '128', '',
    ].join('\n'), explain(r));
  });

  await t.test('--overlay none writes through to the root directory; --read-only refuses writes', () => {
    const root = fresh('root');
    mkdirSync(join(root, 'bin'));
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    const r = runSandbox(['/bin/busybox', 'sh', '-c', 'echo kept > /note; /bin/busybox mkdir /made; echo tmp > /tmp/t'],
      { cwd: '/', rootfs: root, args: ['--overlay', 'none'] });
    assert.equal(r.status, 0, explain(r));
    assert.equal(readFileSync(join(root, 'note'), 'latin1'), 'kept\n');
    assert.ok(lstatSync(join(root, 'made')).isDirectory());
    // /tmp is a tmpfs mount, not the root: nothing reaches the host there. The mountpoints
    // made for the default mounts are real directories in the root now.
    assert.ok(!existsSync(join(root, 'tmp', 't')));
    const r2 = runSandbox(['/bin/busybox', 'sh', '-c', 'echo x > /note2; echo $?; echo y > /tmp/y; echo $?'],
      { cwd: '/', rootfs: root, args: ['--read-only'] });
    assert.equal(r2.stdout.toString(), '1\n0\n', explain(r2));
    assert.ok(!existsSync(join(root, 'note2')));
  });

  await t.test('mount(2) and umount2 inside the sandbox change only its own table', () => {
    const r = sh([
      'mkdir /tmp/m && mount -t tmpfs -o size=64k,mode=700 none /tmp/m && grep " /tmp/m " /proc/mounts',
      'mount --bind /etc /tmp/m && test -f /tmp/m/passwd && echo bound',
      'umount /tmp/m && umount /tmp/m && grep -c " /tmp/m " /proc/mounts',
      'mount -o remount,ro /tmp; touch /tmp/x 2>/dev/null; echo touch=$?',
      'mount -t nfs x /tmp/m 2>/dev/null; echo nfs=$?; umount /etc 2>/dev/null; echo notmount=$?',
    ].join('; '));
    assert.equal(r.stdout.toString(),
      'none /tmp/m tmpfs rw,relatime,size=64k,mode=700 0 0\nbound\n0\ntouch=1\nnfs=255\nnotmount=1\n', explain(r));
    // Without CAP_SYS_ADMIN: EPERM.
    const py = 'import os, ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nos.setuid(65534)\n' +
      'print(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None), ctypes.get_errno(), libc.umount2(b"/tmp", 0), ctypes.get_errno())\n';
    const r2 = runSandbox(['python3', '-c', py], { cwd: '/' });
    assert.equal(r2.stdout.toString(), '-1 1 -1 1\n', explain(r2));
  });

  await t.test('--overlay file:PATH keeps the upper layer\'s data in that file, removed at the end', async () => {
    const file = join(base, 'upper-data');
    const { spawn } = await import('node:child_process');
    const { TSVISOR } = await import('./lib/sandbox.mjs');
    const child = spawn(process.execPath, [TSVISOR, 'do', '--overlay', `file:${file}`, '--', BUSYBOX, 'sh', '-c',
      'dd if=/dev/zero of=/root/big bs=1024 count=20480 2>/dev/null; echo written; read x; wc -c < /root/big'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    for (let i = 0; i < 200 && !out.includes('written'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(out, 'written\n');
    // 20 MiB of file data is in the host file (allocated blocks), not in the sentry's heap.
    assert.ok(statSync(file).blocks * 512 >= 20 * 1024 * 1024, `only ${statSync(file).blocks} blocks`);
    child.stdin.end('\n');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 0);
    assert.equal(out, 'written\n20971520\n');
    assert.ok(!existsSync(file), 'the data file is left behind');
  });

  await t.test('bad mount requests fail before the app runs, naming the problem', () => {
    const cases = [
      [['--mount', 'type=nfs,dst=/x'], /type: "nfs" is not supported/],
      [['--mount', 'type=bind,src=relative,dst=/x'], /needs an absolute host path/],
      [['--mount', 'type=bind,src=/nonexistent/tsvisor,dst=/x'], /source cannot open \/nonexistent\/tsvisor: ENOENT/],
      [['--mount', 'type=tmpfs,dst=/x,tmpfs-size=lots'], /bad tmpfs size "lots"/],
      [['--mount', 'type=tmpfs,dst=x'], /destination: "x" is not an absolute path/],
      [['--tmpfs', '/x:bogus=1'], /"bogus=1" is not an option of tmpfs mounts/],
      [['-v', '/tmp'], /expected HOST:CONTAINER/],
      [['--mount', 'type=bind,src=/etc/passwd,dst=/etc'], /the mountpoint is a directory/],
    ];
    for (const [args, msg] of cases) {
      const r = runSandbox(['/bin/true'], { cwd: '/', args });
      assert.notEqual(r.status, 0, `${args.join(' ')}: ${explain(r)}`);
      assert.match(r.stderr.toString(), msg, `${args.join(' ')}: ${explain(r)}`);
    }
  });
});
