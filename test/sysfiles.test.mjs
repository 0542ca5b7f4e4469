// /proc's system files and /sys describe the sandbox: read through the sandbox, their
// shapes and values are checked against what the sandbox is (its CPU count, its boot,
// its limits), and the busybox tools that read them (nproc, free, uptime) work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { runSandbox } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const NCPU = Math.max(1, cpus().length);

/** Runs a busybox sh script in the sandbox; returns stdout lines (asserting exit 0). */
function sh(script) {
  const r = runSandbox([BUSYBOX, 'sh', '-c', script], { cwd: '/' });
  assert.equal(r.status, 0, `script failed: ${r.stderr}`);
  return r.stdout.toString('latin1');
}

test('/proc system files', { skip: !existsSync(BUSYBOX) }, async (t) => {
  await t.test('cpuinfo has one processor block per sandbox CPU', () => {
    const out = sh('cat /proc/cpuinfo');
    const procs = out.split('\n').filter((l) => /^processor\s*:/.test(l)).map((l) => l.split(':')[1].trim());
    assert.deepEqual(procs, [...Array(NCPU).keys()].map(String));
    assert.match(out, /^flags\s*:/m);
  });
  await t.test('uptime grows and starts near zero', () => {
    const out = sh('cat /proc/uptime; busybox usleep 300000; cat /proc/uptime').trim().split('\n');
    const [a, b] = out.map((l) => l.split(' ').map(Number));
    assert.ok(a[0] >= 0 && a[0] < 30, `sandbox uptime ${a[0]} is not the sandbox's`);
    assert.ok(b[0] - a[0] >= 0.25, `uptime did not grow: ${out}`);
    assert.equal(a.length, 2);
  });
  await t.test('boot_id is stable, uuid changes', () => {
    const [b1, b2, u1, u2] = sh('cat /proc/sys/kernel/random/boot_id /proc/sys/kernel/random/boot_id ' +
      '/proc/sys/kernel/random/uuid /proc/sys/kernel/random/uuid').trim().split('\n');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const x of [b1, u1, u2]) assert.match(x, uuid);
    assert.equal(b1, b2);
    assert.notEqual(u1, u2);
    assert.notEqual(u1, b1);
  });
  await t.test('meminfo, stat, loadavg, version shapes', () => {
    const mem = sh('cat /proc/meminfo');
    for (const k of ['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree', 'Shmem']) {
      assert.match(mem, new RegExp(`^${k}:\\s+\\d+ kB$`, 'm'));
    }
    const stat = sh('cat /proc/stat').split('\n');
    assert.match(stat[0], /^cpu {2}(\d+ ){9}\d+$/);
    assert.equal(stat.filter((l) => /^cpu\d+ /.test(l)).length, NCPU);
    assert.ok(stat.some((l) => /^btime \d+$/.test(l)));
    assert.match(sh('cat /proc/loadavg'), /^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+\n$/);
    const uname = sh('uname -r').trim();
    assert.match(sh('cat /proc/version'), new RegExp(`^Linux version ${uname.replace(/[.]/g, '\\.')} `));
    assert.equal(sh('cat /proc/sys/kernel/osrelease').trim(), uname);
    assert.equal(sh('cat /proc/sys/kernel/hostname').trim(), sh('hostname').trim());
    assert.match(sh('cat /proc/filesystems'), /^nodev\ttmpfs$/m);
  });
  await t.test('sysctl values', () => {
    const names = ['kernel/ostype', 'kernel/pid_max', 'kernel/ngroups_max', 'kernel/cap_last_cap', 'vm/overcommit_memory',
      'vm/max_map_count', 'fs/nr_open', 'fs/pipe-max-size', 'fs/inotify/max_user_watches',
      'fs/inotify/max_queued_events', 'net/core/somaxconn'];
    const vals = sh(names.map((n) => `cat /proc/sys/${n}`).join('; ')).trim().split('\n');
    assert.deepEqual(vals, ['Linux', '4194304', '65536', '40', '0', '65530', '1048576', '1048576', '65536', '16384',
      '4096']);
    assert.equal(sh('cat /proc/self/cgroup'), '0::/\n');
    assert.match(sh('cat /proc/self/limits'), /^Max open files +\d+ +\d+ +files/m);
  });
  await t.test('system files refuse writes', () => {
    const r = runSandbox([BUSYBOX, 'sh', '-c', 'echo x > /proc/sys/kernel/hostname'], { cwd: '/' });
    assert.notEqual(r.status, 0);
  });
});

test('/sys', { skip: !existsSync(BUSYBOX) }, async (t) => {
  await t.test('cpu lists and directories', () => {
    const list = NCPU === 1 ? '0' : `0-${NCPU - 1}`;
    const [on, pos, pres] = sh('cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible ' +
      '/sys/devices/system/cpu/present').trim().split('\n');
    assert.deepEqual([on, pos, pres], [list, list, list]);
    const dirs = sh('ls /sys/devices/system/cpu').split('\n').filter((n) => /^cpu\d+$/.test(n));
    assert.equal(dirs.length, NCPU);
  });
  await t.test('statfs says sysfs; the usual directories exist', () => {
    assert.equal(sh('stat -f -c %T /sys').trim(), 'sysfs');
    const top = sh('ls /sys').trim().split('\n');
    for (const d of ['block', 'bus', 'class', 'dev', 'devices', 'fs', 'kernel']) assert.ok(top.includes(d), d);
    assert.equal(sh('ls -a /sys/fs/cgroup').trim().split('\n').join(' '), '. ..');
    assert.match(sh('cat /sys/kernel/mm/transparent_hugepage/enabled'), /\[madvise\]/);
  });
});

test('busybox nproc, free, uptime', { skip: !existsSync(BUSYBOX) }, async (t) => {
  await t.test('nproc', () => assert.equal(sh('nproc').trim(), String(NCPU)));
  await t.test('free', () => {
    const out = sh('free');
    assert.match(out, /^Mem: +\d+ +\d+ +\d+/m);
    assert.match(out, /^Swap: +0 +0 +0/m);
  });
  await t.test('uptime', () => assert.match(sh('uptime'), /up .*load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d/));
});
