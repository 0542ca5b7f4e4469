// The exact sequences of runtime calls the clients make (recorded from containerd's runc
// shim under Docker and ctr, and from podman's conmon), replayed against tsvisor without
// the daemons: flags, order, exit statuses, pid files, the JSON log containerd reads
// error messages from, and a second `delete --force` of a gone container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TSVISOR } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const base = `/tmp/tsvisor-seq-${process.pid}`;
const root = join(base, 'state');

/**
 * One runtime call with the container's stdio on files (as the shim's fifos would be).
 * Not a pipe for stderr: the sandbox process keeps the container's stdio open, and
 * spawnSync would wait for that pipe's end until its timeout.
 */
let calls = 0;
function call(args, out = '/dev/null') {
  const fd = openSync(out, 'a');
  const errFile = join(base, `stderr-${calls++}`);
  const efd = openSync(errFile, 'w+');
  try {
    const r = spawnSync(process.execPath, [TSVISOR, ...args], { stdio: ['ignore', fd, efd], timeout: 60_000 });
    return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(fd);
    closeSync(efd);
  }
}

function bundle(name, args) {
  const dir = join(base, name);
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
  chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'echo']) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  assert.equal(call(['spec', '--bundle', dir]).status, 0);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = args;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

const alive = (pid) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));

async function until(f, what) {
  for (let i = 0; i < 200; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('client call sequences', { skip: !existsSync(BUSYBOX) && 'needs busybox-static' }, async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  t.after(() => rmSync(base, { recursive: true, force: true }));

  await t.test('containerd runc shim: docker run -d, exec -d, stop, rm', async () => {
    const b = bundle('shim', ['sleep', '100']);
    const log = join(base, 'shim-log.json');
    const g = ['--root', root, '--log', log, '--log-format', 'json'];
    const id = 'a154989e8427a664a646a1dbdbf86f7288c88e5a6e840783853760b20eca805b';
    const pid1 = join(base, 'init.pid'), pid2 = join(base, 'exec.pid');
    assert.equal(call([...g, 'create', '--bundle', b, '--pid-file', pid1, id]).status, 0);
    const sandbox = Number(readFileSync(pid1, 'utf8'));
    assert.ok(alive(sandbox));
    assert.equal(call([...g, 'start', id]).status, 0);
    const proc = join(base, 'runc-process123');
    writeFileSync(proc, JSON.stringify({ args: ['sh', '-c', 'echo exec ran; sleep 0.3'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } }));
    const out = join(base, 'exec.out');
    assert.equal(call([...g, 'exec', '--process', proc, '--detach', '--pid-file', pid2, id], out).status, 0);
    const execPid = Number(readFileSync(pid2, 'utf8'));
    await until(() => !alive(execPid), 'the exec to end');
    assert.equal(readFileSync(out, 'utf8'), 'exec ran\n');
    // docker stop: SIGTERM (ignored by an init without a handler), then SIGKILL.
    assert.equal(call([...g, 'kill', id, '15']).status, 0);
    assert.ok(alive(sandbox));
    assert.equal(call([...g, 'kill', id, '9']).status, 0);
    await until(() => !alive(sandbox), 'the sandbox process to end');
    assert.equal(call([...g, 'delete', id]).status, 0);
    assert.equal(call([...g, 'delete', '--force', id]).status, 0);
    // Every log line is JSON (containerd parses it for error messages).
    for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) JSON.parse(line);
  });

  await t.test('containerd runc shim: a failing create is reported in the JSON log, then cleaned', () => {
    const b = bundle('shimfail', ['sleep', '100']);
    const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
    cfg.process.user.uid = -1;
    writeFileSync(join(b, 'config.json'), JSON.stringify(cfg));
    const log = join(base, 'fail-log.json');
    const g = ['--root', root, '--log', log, '--log-format', 'json'];
    const r = call([...g, 'create', '--bundle', b, '--pid-file', join(base, 'x.pid'), 'c1']);
    assert.equal(r.status, 1);
    const errors = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.level === 'error');
    assert.match(errors[0].msg, /process\.user\.uid/);
    assert.equal(call([...g, 'delete', '--force', 'c1']).status, 0);
    assert.ok(!existsSync(join(base, 'x.pid')));
  });

  await t.test('ctr run --rm and docker run --rm: create, start, the end, delete, delete --force', async () => {
    const b = bundle('fg', ['sh', '-c', 'echo from init; exit 4']);
    const g = ['--root', root, '--log', join(base, 'fg-log.json'), '--log-format', 'json'];
    const pid = join(base, 'fg.pid'), out = join(base, 'fg.out');
    assert.equal(call([...g, 'create', '--bundle', b, '--pid-file', pid, 'c2'], out).status, 0);
    assert.equal(call([...g, 'start', 'c2']).status, 0);
    await until(() => !alive(Number(readFileSync(pid, 'utf8'))), 'init to end');
    assert.equal(readFileSync(out, 'utf8'), 'from init\n');
    const st = JSON.parse(spawnSync(process.execPath, [TSVISOR, ...g, 'state', 'c2'], { encoding: 'utf8' }).stdout);
    assert.equal(st.status, 'stopped');
    assert.equal(call([...g, 'delete', 'c2']).status, 0);
    assert.equal(call([...g, 'delete', '--force', 'c2']).status, 0);
  });

  await t.test('podman (conmon): create, start, exec, kill TERM/KILL, delete --force', async () => {
    const b = bundle('podman', ['sleep', '100']);
    const g = ['--root', root];
    const pid = join(base, 'pm.pid'), out = join(base, 'pm.out');
    assert.equal(call([...g, 'create', '--bundle', b, '--pid-file', pid, 'pm'], out).status, 0);
    assert.equal(call([...g, 'start', 'pm']).status, 0);
    const proc = join(base, 'pm-process.json');
    writeFileSync(proc, JSON.stringify({ args: ['echo', 'podman exec'], env: ['PATH=/bin'], cwd: '/' }));
    const epid = join(base, 'pm-exec.pid');
    assert.equal(call([...g, 'exec', '--pid-file', epid, '--process', proc, '--detach', 'pm'], out).status, 0);
    await until(() => !alive(Number(readFileSync(epid, 'utf8'))), 'the exec to end');
    assert.equal(call([...g, 'kill', 'pm', '15']).status, 0);
    assert.equal(call([...g, 'kill', 'pm', '9']).status, 0);
    await until(() => !alive(Number(readFileSync(pid, 'utf8'))), 'the sandbox process to end');
    assert.equal(call([...g, 'delete', '--force', 'pm']).status, 0);
    assert.equal(readFileSync(out, 'utf8'), 'podman exec\n');
  });
});
