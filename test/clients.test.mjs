// Real clients drive tsvisor as their OCI runtime, as operators will: podman
// (--runtime), containerd's ctr (--runc-binary). Each uses storage of its own under /tmp,
// an image made locally from Debian's busybox-static (nothing is pulled), and cleans up.
// Under CI a missing client is a failure (.ci/run installs them); elsewhere a skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/sandbox.mjs';
import { ociArchive } from './lib/ociimage.mjs';

const CI = !!process.env.CI;
const TSVISOR = join(ROOT, 'bin', 'tsvisor');
const BUSYBOX = '/bin/busybox';
const base = `/tmp/tsvisor-clients-${process.pid}`;

function have(t, bin, pkg) {
  const found = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].map((d) => join(d, bin)).find((p) => existsSync(p));
  if (found !== undefined) return found;
  if (CI) throw new Error(`${bin} is missing under CI: .ci/run must install ${pkg}`);
  t.skip(`${bin} is missing (apt-get install ${pkg})`);
  return null;
}

function sh(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', ...opts });
}

function explain(r) {
  return `status ${r.status} ${r.error ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** A rootfs tarball: busybox-static and its applet links. */
function imageTar() {
  const dir = join(base, 'rootfs');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d));
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'echo', 'cat', 'sleep', 'id', 'hostname', 'ls', 'true']) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  const tar = join(base, 'rootfs.tar');
  const r = sh('tar', ['-C', dir, '-cf', tar, '.']);
  assert.equal(r.status, 0, explain(r));
  return tar;
}

test('clients', async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  t.after(() => rmSync(base, { recursive: true, force: true }));

  await t.test('podman --runtime tsvisor', async (t) => {
    const podman = have(t, 'podman', 'podman');
    if (podman === null) return;
    const store = join(base, 'podman');
    const P = (...a) => sh(podman, ['--root', join(store, 'root'), '--runroot', join(store, 'run'), '--runtime', TSVISOR,
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'none', ...a]);
    t.after(() => {
      P('rm', '-af');
      P('rmi', '-af');
      sh('umount', ['-R', join(store, 'root', 'overlay')]);
      rmSync(store, { recursive: true, force: true });
    });
    let r = P('import', imageTar(), 'tsvisor-busybox');
    assert.equal(r.status, 0, explain(r));

    r = P('run', '--rm', 'tsvisor-busybox', 'echo', 'hi');
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout, 'hi\n');
    r = P('run', '--rm', 'tsvisor-busybox', 'sh', '-c', 'exit 3');
    assert.equal(r.status, 3, explain(r));
    r = sh(podman, ['--root', join(store, 'root'), '--runroot', join(store, 'run'), '--runtime', TSVISOR,
      '--cgroup-manager', 'cgroupfs', '--events-backend', 'none', 'run', '--rm', '-i', 'tsvisor-busybox', 'cat'],
    { input: 'through stdin\n' });
    assert.equal(r.stdout, 'through stdin\n', explain(r));

    r = P('run', '-d', '--name', 'tsv-bg', 'tsvisor-busybox', 'sleep', '100');
    assert.equal(r.status, 0, explain(r));
    r = P('exec', 'tsv-bg', 'sh', '-c', 'echo in exec; hostname >/dev/null; exit 4');
    assert.equal(r.status, 4, explain(r));
    assert.equal(r.stdout, 'in exec\n');
    r = P('stop', '-t', '1', 'tsv-bg');
    assert.equal(r.status, 0, explain(r));
    r = P('rm', 'tsv-bg');
    assert.equal(r.status, 0, explain(r));
  });

  await t.test('containerd: ctr run --runc-binary tsvisor', async (t) => {
    const containerd = have(t, 'containerd', 'containerd');
    if (containerd === null) return;
    const ctr = have(t, 'ctr', 'containerd');
    if (ctr === null) return;
    const dir = join(base, 'containerd');
    mkdirSync(dir, { recursive: true });
    const sock = join(dir, 'c.sock');
    writeFileSync(join(dir, 'config.toml'), [
      'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`, '[grpc]', `  address = "${sock}"`,
      '[plugins."io.containerd.grpc.v1.cri"]', '  disable_apparmor = true', '  restrict_oom_score_adj = true', '',
    ].join('\n'));
    const daemon = spawn(containerd, ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
    t.after(() => {
      daemon.kill('SIGKILL');
      sh('sh', ['-c', `grep " ${dir}/" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r -n1 umount -l`]);
      rmSync(dir, { recursive: true, force: true });
    });
    const C = (...a) => sh(ctr, ['-a', sock, ...a]);
    for (let i = 0; i < 100 && C('version').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    let r = C('images', 'import', ociArchive(imageTar(), join(base, 'image.oci.tar'), 'tsvisor-busybox:latest'));
    assert.equal(r.status, 0, explain(r));
    r = C('run', '--rm', '--runc-binary', TSVISOR, 'tsvisor-busybox:latest', 'tsv1', 'echo', 'hi');
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout, 'hi\n');
    r = C('run', '--rm', '--runc-binary', TSVISOR, 'tsvisor-busybox:latest', 'tsv2', 'sh', '-c', 'exit 5');
    assert.equal(r.status, 5, explain(r));
    // A memory limit lands on the sandbox process's host cgroup.
    r = C('run', '--rm', '--memory-limit', '200000000', '--runc-binary', TSVISOR, 'tsvisor-busybox:latest', 'tsv3',
      'sh', '-c', 'echo limited');
    assert.equal(r.stdout, 'limited\n', explain(r));
  });

  await t.test('Docker: dockerd --add-runtime tsvisor, docker run --runtime tsvisor', async (t) => {
    const dockerd = have(t, 'dockerd', 'docker.io');
    if (dockerd === null) return;
    const docker = have(t, 'docker', 'docker.io');
    if (docker === null) return;
    const dir = join(base, 'docker');
    mkdirSync(dir, { recursive: true });
    const sock = `unix://${dir}/d.sock`;
    const daemon = spawn(dockerd, ['--host', sock, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'd.pid'), '--iptables=false', '--ip6tables=false', '--bridge=none',
      '--add-runtime', `tsvisor=${TSVISOR}`], { stdio: 'ignore' });
    t.after(async () => {
      daemon.kill('SIGTERM');
      await new Promise((r) => { daemon.once('exit', r); setTimeout(r, 10_000); });
      sh('sh', ['-c', `grep " ${dir}/" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r -n1 umount -l`]);
      rmSync(dir, { recursive: true, force: true });
    });
    const D = (...a) => sh(docker, ['-H', sock, ...a]);
    for (let i = 0; i < 200 && D('version').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    let r = D('import', imageTar(), 'tsvisor-busybox');
    assert.equal(r.status, 0, explain(r));
    r = D('run', '--rm', '--runtime', 'tsvisor', '--network', 'none', 'tsvisor-busybox', 'echo', 'hi');
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout, 'hi\n');
    r = D('run', '--rm', '--runtime', 'tsvisor', 'tsvisor-busybox', 'sh', '-c', 'exit 7');
    assert.equal(r.status, 7, explain(r));
    r = D('run', '-d', '--name', 'tsv-bg', '--runtime', 'tsvisor', 'tsvisor-busybox', 'sleep', '100');
    assert.equal(r.status, 0, explain(r));
    r = D('exec', 'tsv-bg', 'sh', '-c', 'echo in exec; exit 4');
    assert.equal(r.status, 4, explain(r));
    assert.equal(r.stdout, 'in exec\n');
    r = D('stop', '-t', '1', 'tsv-bg');
    assert.equal(r.status, 0, explain(r));
    r = D('rm', 'tsv-bg');
    assert.equal(r.status, 0, explain(r));
  });
});
