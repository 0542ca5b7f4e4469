// The runtime commands that act on a running container besides kill/exec: pause and
// resume (the sentry parks every app task; nothing of the app runs until resume), update
// (new linux.resources into the host cgroup and the sentry's own pids limit) and events
// (runc's stats JSON), with runc's rules and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { TSVISOR } from './lib/sandbox.mjs';
import { buildPrograms } from './lib/build.mjs';

const BUSYBOX = '/bin/busybox';
const base = `/tmp/tsvisor-ctl-${process.pid}`;
const root = join(base, 'state');
const V2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/**
 * One runtime call. Its stdout goes to the file out and its stderr to a file of its own:
 * the sandbox process create starts keeps both (they are the container's), so pipes
 * would not see their end until the container's.
 */
function call(args, { out = '/dev/null', input, timeout = 60_000 } = {}) {
  const fd = openSync(out, 'a');
  const errFile = join(base, `stderr-${process.pid}`);
  const errFd = openSync(errFile, 'w+');
  try {
    const r = spawnSync(process.execPath, [TSVISOR, '--root', root, ...args], {
      stdio: [input === undefined ? 'ignore' : 'pipe', fd, errFd], input, timeout, killSignal: 'SIGKILL',
    });
    assert.equal(r.error, undefined, `${args.join(' ')}: ${r.error?.message}`);
    return { status: r.status, stderr: readFileSync(errFile, 'utf8').trim() };
  } finally {
    closeSync(fd);
    closeSync(errFd);
  }
}

/** A call whose stdout we read (exec, events, state). */
function read(args, input) {
  const r = spawnSync(process.execPath, [TSVISOR, '--root', root, ...args],
    { input: input ?? '', timeout: 60_000, killSignal: 'SIGKILL', encoding: 'utf8' });
  assert.equal(r.error, undefined, `${args.join(' ')}: ${r.error?.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

const explain = (r) => `status ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

function bundle(name, args, edit = () => {}) {
  const dir = join(base, name);
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
  chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'echo', 'cat']) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  assert.equal(call(['spec', '--bundle', dir]).status, 0);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = args;
  edit(cfg);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

const state = (id) => JSON.parse(read(['state', id]).stdout);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(f, what, ms = 10_000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (f()) return;
  assert.fail(`timed out waiting for ${what}`);
}

/** Last number the counter loop printed to its stdout file. */
function lastCount(file) {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return Number(lines[lines.length - 1] || 0);
}

/** The container's cgroup directory for a v1 controller (or v2's one tree). */
const cgroup = (id, ctrl) => (V2 ? `/sys/fs/cgroup/tsvisor/${id}` : `/sys/fs/cgroup/${ctrl}/tsvisor/${id}`);
const cgread = (id, ctrl, file) => readFileSync(join(cgroup(id, ctrl), file), 'utf8').trim();

test('pause, resume, update and events', { skip: !existsSync(BUSYBOX) && 'needs busybox-static' }, async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  t.after(() => {
    for (const id of existsSync(root) ? readdirSync(root) : []) call(['delete', '--force', id]);
    rmSync(base, { recursive: true, force: true });
  });

  await t.test('pause stops a busy loop where it is; resume lets it go on; kill -9 ends a paused container', async () => {
    // Pure user-space work between rare writes: pausing must interrupt code that makes no syscall.
    const b = bundle('busy', ['sh', '-c', 'i=0; while :; do i=$((i+1)); [ $((i % 500)) = 0 ] && echo $i; done']);
    const out = join(base, 'busy.out');
    assert.equal(call(['create', '--bundle', b, 'busy'], { out }).status, 0);
    let r = call(['pause', 'busy']);
    assert.equal(r.status, 0, `a created container may be paused, as with runc: ${r.stderr}`);
    assert.equal(state('busy').status, 'paused');
    r = call(['start', 'busy']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot start a container in the paused state/);
    assert.equal(call(['resume', 'busy']).status, 0);
    assert.equal(state('busy').status, 'created', 'resume gives a created container its state back');
    assert.equal(call(['start', 'busy']).status, 0);
    await until(() => lastCount(out) >= 1000, 'the loop to count');

    r = call(['resume', 'busy']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'tsvisor: container not paused');

    r = call(['pause', 'busy']);
    assert.equal(r.status, 0, r.stderr);
    const st = state('busy');
    assert.equal(st.status, 'paused');
    assert.match(read(['list']).stdout, /^busy\s+\d+\s+paused\s/m);
    assert.equal(JSON.parse(read(['list', '--format', 'json']).stdout)[0].status, 'paused');
    r = call(['pause', 'busy']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'tsvisor: container not running');
    // Nothing moves while paused: the output file stays as it was.
    const size = statSync(out).size;
    await sleep(700);
    assert.equal(statSync(out).size, size, 'the loop went on while paused');

    // exec is refused while paused, unless --ignore-paused; then the process waits too.
    r = read(['exec', 'busy', 'echo', 'hi']);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr, 'tsvisor: cannot exec in a paused container (use --ignore-paused to override)');
    const held = spawn(process.execPath, [TSVISOR, '--root', root, 'exec', '--ignore-paused', 'busy', 'echo', 'from exec'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let heldOut = '';
    held.stdout.on('data', (d) => { heldOut += d; });
    const heldDone = new Promise((resolve) => held.on('close', (code) => resolve(code)));
    let heldFinished = false;
    heldDone.then(() => { heldFinished = true; });
    await sleep(500);
    assert.equal(heldFinished, false, `an exec'd process ran in a paused container: ${heldOut}`);

    // Stats of a paused container still come (from the host and the sentry).
    r = read(['events', '--stats', 'busy']);
    assert.equal(r.status, 0, explain(r));
    const ev = JSON.parse(r.stdout);
    assert.equal(ev.data.pids.current, 2, 'the loop and the waiting exec');

    assert.equal(call(['resume', 'busy']).status, 0);
    assert.equal(state('busy').status, 'running');
    assert.equal(await heldDone, 0);
    assert.equal(heldOut, 'from exec\n');
    await until(() => statSync(out).size > size, 'the loop to go on after resume');

    // A paused container can be killed (SIGKILL is not held back by the pause).
    assert.equal(call(['pause', 'busy']).status, 0);
    r = call(['kill', 'busy', 'KILL']);
    assert.equal(r.status, 0, r.stderr);
    await until(() => state('busy').status === 'stopped', 'the paused container to die');
    assert.equal(st.pid > 0 && existsSync(`/proc/${st.pid}`) &&
      !/\) Z /.test(readFileSync(`/proc/${st.pid}/stat`, 'latin1')), false);
    r = call(['pause', 'busy']);
    assert.equal(r.stderr, 'tsvisor: container not running');
    r = call(['resume', 'busy']);
    assert.equal(r.stderr, 'tsvisor: container not paused');
    assert.equal(call(['delete', 'busy']).status, 0);

    // delete --force of a paused container.
    const b2 = bundle('busy2', ['sleep', '1000']);
    assert.equal(call(['create', '--bundle', b2, 'busy2']).status, 0);
    assert.equal(call(['start', 'busy2']).status, 0);
    assert.equal(call(['pause', 'busy2']).status, 0);
    r = call(['delete', 'busy2']);
    assert.equal(r.stderr, 'tsvisor: cannot delete container busy2 that is not stopped: paused');
    const pid = state('busy2').pid;
    assert.equal(call(['delete', '--force', 'busy2']).status, 0);
    assert.equal(existsSync(join(root, 'busy2')), false);
    assert.equal(existsSync(cgroup('busy2', 'memory')), false, 'delete --force removes the cgroup of a paused container');
    await until(() => !existsSync(`/proc/${pid}`) || /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1')),
      'the sandbox process to end');
  });

  await t.test('pause interrupts a loop that makes no syscall at all; it uses no CPU until resumed', async () => {
    const b = bundle('spin', ['sh', '-c', 'while :; do :; done']);
    assert.equal(call(['create', '--bundle', b, 'spin']).status, 0);
    assert.equal(call(['start', 'spin']).status, 0);
    const cpu = () => JSON.parse(read(['events', '--stats', 'spin']).stdout).data.cpu.usage.total;
    const used = async () => {
      const a = cpu();
      await sleep(500);
      return (cpu() - a) / 1e6; // ms of CPU in 500 ms
    };
    assert.ok(await used() > 150, 'the loop spins');
    const t0 = Date.now();
    const r = call(['pause', 'spin'], { timeout: 15_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - t0 < 5000, `pause took ${Date.now() - t0} ms`);
    const paused = await used();
    assert.ok(paused < 60, `${paused} ms of CPU in 500 ms while paused`);
    assert.equal(call(['resume', 'spin']).status, 0);
    assert.ok(await used() > 150, 'the loop spins again');
    assert.equal(call(['delete', '--force', 'spin']).status, 0);
  });

  await t.test('update: the host cgroup\'s memory limit and the sentry\'s pids limit change', async () => {
    const programs = await buildPrograms();
    const b = bundle('upd', ['sleep', '1000'], (c) => {
      c.linux.resources = { ...c.linux.resources, memory: { limit: 256 << 20 }, pids: { limit: 50 } };
    });
    copyFileSync(programs.get('forkbomb').static, join(b, 'rootfs', 'bin', 'forkbomb'));
    chmodSync(join(b, 'rootfs', 'bin', 'forkbomb'), 0o755);
    assert.equal(call(['create', '--bundle', b, 'upd']).status, 0);
    assert.equal(call(['start', 'upd']).status, 0);
    const memFile = V2 ? 'memory.max' : 'memory.limit_in_bytes';
    assert.equal(cgread('upd', 'memory', memFile), String(256 << 20));

    // containerd's shim: the LinuxResources object on stdin.
    let r = call(['update', '--resources', '-', 'upd'], { input: JSON.stringify({ memory: { limit: 128 << 20 }, pids: { limit: 10 } }) });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(cgread('upd', 'memory', memFile), String(128 << 20));
    // The sentry's limit binds: `sleep` and the bomb itself are 2 of the 10 tasks.
    // The bomb stops by itself at 30 processes (its own cap) if no limit stops it first.
    const bomb = (limited = true) => {
      const x = read(['exec', 'upd', '/bin/forkbomb', '30']);
      assert.equal(x.status, 0, explain(x));
      assert.match(x.stdout, new RegExp(`^fork failed with EAGAIN: ${limited ? 1 : 0}$`, 'm'), x.stdout);
      assert.match(x.stdout, new RegExp(`^hard cap reached: ${limited ? 0 : 1}$`, 'm'), x.stdout);
      assert.match(x.stdout, /^other fork errors: 0$/m, x.stdout);
      assert.match(x.stdout, /^all reaped: 1$/m, x.stdout);
      return Number(/^processes created: (\d+)$/m.exec(x.stdout)[1]);
    };
    assert.equal(bomb(), 8);
    // runc's flags; a memory size with a unit.
    r = call(['update', '--pids-limit', '6', '--memory', '96m', 'upd']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(cgread('upd', 'memory', memFile), String(96 << 20));
    assert.equal(bomb(), 4);
    // Lifting the limit (-1) gives the bomb room up to its own cap.
    r = call(['update', '--resources', '-', 'upd'], { input: '{"pids":{"limit":-1}}' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(bomb(false), 29, 'pids.limit -1 lifts the limit');
    r = call(['update', '--pids-limit', '12', 'upd']);
    assert.equal(r.status, 0, r.stderr);
    // The memory limit set before stays (updates merge), and the events report the new limits.
    assert.equal(cgread('upd', 'memory', memFile), String(96 << 20));
    const ev = JSON.parse(read(['events', '--stats', 'upd']).stdout);
    assert.equal(ev.data.pids.limit, 12);
    assert.equal(ev.data.memory.usage.limit, 96 << 20);

    // Bad input is refused by name, and changes nothing.
    const bad = [
      ['{"memory":{"limt":5}}', /--resources -: linux\.resources\.memory\.limt: not supported by tsvisor/],
      ['{"memory":', /--resources -: invalid JSON/],
      ['{"cpu":{"shares":"many"}}', /--resources -: linux\.resources\.cpu\.shares: must be an integer/],
      ['{"pids":{"limit":-5}}', /linux\.resources\.pids\.limit: must be positive, or -1/],
      ['{"memory":{"limit":1048576}, "cpu":{"realtimeRuntime":5}}', /linux\.resources\.cpu\.realtimeRuntime/],
      ['[]', /expected a JSON object/],
    ];
    for (const [input, msg] of bad) {
      r = call(['update', '-r', '-', 'upd'], { input });
      assert.equal(r.status, 1, input);
      assert.match(r.stderr, msg, input);
      assert.equal(r.stderr.split('\n').length, 1);
    }
    r = call(['update', '--memory', 'lots', 'upd']);
    assert.match(r.stderr, /invalid value for memory: lots/);
    assert.equal(cgread('upd', 'memory', memFile), String(96 << 20));
    assert.equal(bomb(), 10);

    assert.equal(call(['kill', 'upd', 'KILL']).status, 0);
    await until(() => state('upd').status === 'stopped', 'the container to stop');
    r = call(['update', '--pids-limit', '5', 'upd']);
    assert.equal(r.stderr, 'tsvisor: container not running');
    assert.equal(call(['delete', 'upd']).status, 0);
    assert.equal(existsSync(cgroup('upd', 'memory')), false, 'delete removes the cgroup');
  });

  await t.test('events: runc\'s stats JSON, once or every interval until the container stops', async () => {
    const check = (line, id) => {
      const ev = JSON.parse(line);
      assert.equal(ev.type, 'stats');
      assert.equal(ev.id, id);
      const d = ev.data;
      assert.ok(d.cpu.usage.total > 0, `cpu usage: ${line}`);
      assert.equal(typeof d.cpu.usage.kernel, 'number');
      assert.equal(typeof d.cpu.usage.user, 'number');
      assert.ok(d.memory.usage.usage > 0, `memory usage: ${line}`);
      assert.ok(d.pids.current >= 1, `pids: ${line}`);
      for (const k of ['cpuset', 'blkio', 'hugetlb', 'intel_rdt']) assert.equal(typeof d[k], 'object', k);
      return d;
    };
    // With a host cgroup (linux.resources), and without one (figures from /proc).
    for (const [id, edit] of [['ev', () => {}], ['evproc', (c) => { delete c.linux.resources; }]]) {
      const b = bundle(id, ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000'], edit);
      assert.equal(call(['create', '--bundle', b, id]).status, 0);
      let r = read(['events', '--stats', id]);
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stdout.split('\n').length, 2, 'one line');
      assert.equal(call(['start', id]).status, 0);
      await sleep(500);
      r = read(['events', '--stats', id]);
      assert.equal(r.status, 0, explain(r));
      assert.match(r.stdout, /^\{"type":"stats","id":"[^"]+","data":\{"cpu":\{"usage":\{/);
      check(r.stdout, id);
      assert.equal(existsSync(cgroup(id, 'memory')), id === 'ev');
    }

    // The stream: a stats event per interval; it ends by itself when the container stops.
    const ev = spawn(process.execPath, [TSVISOR, '--root', root, 'events', '--interval', '200ms', 'ev'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    ev.stdout.on('data', (d) => { text += d; });
    const done = new Promise((resolve) => ev.on('close', (code) => resolve(code)));
    await until(() => text.split('\n').length > 3, 'three stats events');
    assert.equal(call(['kill', 'ev', 'KILL']).status, 0);
    const code = await Promise.race([done, sleep(10_000).then(() => 'still running')]);
    if (code === 'still running') ev.kill('SIGKILL');
    assert.equal(code, 0, 'events ends with the container');
    for (const line of text.trim().split('\n')) check(line, 'ev');

    let r = read(['events', '--interval', '0s', 'evproc']);
    assert.equal(r.stderr, 'tsvisor: duration interval must be greater than 0');
    r = read(['events', '--stats', 'ev']);
    assert.equal(r.stderr, 'tsvisor: container with id ev is not running');
    r = read(['events', '--stats', 'nope']);
    assert.equal(r.stderr, 'tsvisor: container does not exist: nope');
    assert.equal(call(['delete', 'ev']).status, 0);
    assert.equal(call(['delete', '--force', 'evproc']).status, 0);
    assert.deepEqual(readdirSync(root), []);
  });
});
