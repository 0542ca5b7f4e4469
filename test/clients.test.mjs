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
import { GrpcClient, decode } from './lib/grpc.mjs';
import { readFileSync } from 'node:fs';

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
/** GETs url from the host with busybox wget, retrying for up to 10 s while the server starts. */
function fetchWhenUp(url) {
  let got = null;
  for (let i = 0; i < 50 && (got === null || got.status !== 0); i++) {
    if (i > 0) sh('sleep', ['0.2']);
    got = sh(BUSYBOX, ['wget', '-q', '-O-', url]);
  }
  return got;
}

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

    // The container's network is podman's (the bridge namespace netavark made, joined by
    // its path): a server in the sandbox answers on a port published on the host.
    const port = 20000 + (process.pid % 10000);
    r = P('run', '-d', '--name', 'tsv-web', '-p', `${port}:80`, 'tsvisor-busybox', 'sh', '-c',
      'mkdir -p /www && echo served from the sandbox > /www/index.html && exec busybox httpd -f -p 80 -h /www');
    assert.equal(r.status, 0, explain(r));
    try {
      const got = fetchWhenUp(`http://127.0.0.1:${port}/`);
      assert.equal(got.status, 0, explain(got));
      assert.equal(got.stdout, 'served from the sandbox\n');
    } finally {
      P('rm', '-f', '-t', '0', 'tsv-web');
    }
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
    // Docker's bridge network on a bridge of the test's own (not docker0), so a published
    // port can be tried: Docker's hook wires a veth into the sandbox process's namespace.
    const bridge = `tsvdk${process.pid % 10000}`;
    const subnet = `10.215.${process.pid % 250}`;
    const bridged = sh('ip', ['link', 'add', bridge, 'type', 'bridge']).status === 0 &&
      sh('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]).status === 0 &&
      sh('ip', ['link', 'set', bridge, 'up']).status === 0;
    const daemon = spawn(dockerd, ['--host', sock, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'd.pid'), '--ip6tables=false',
      ...(bridged ? ['--bridge', bridge] : ['--iptables=false', '--bridge=none']),
      '--add-runtime', `tsvisor=${TSVISOR}`], { stdio: 'ignore' });
    t.after(async () => {
      daemon.kill('SIGTERM');
      await new Promise((r) => { daemon.once('exit', r); setTimeout(r, 10_000); });
      sh('sh', ['-c', `grep " ${dir}/" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r -n1 umount -l`]);
      sh('ip', ['link', 'del', bridge]);
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

    if (!bridged) {
      t.diagnostic('no bridge could be made: the published-port part is not run');
      return;
    }
    // docker run -p: the container is on the bridge (its address is the bridge's subnet)
    // and a server in the sandbox answers on the host's published port.
    const port = 30000 + (process.pid % 10000);
    r = D('run', '-d', '--name', 'tsv-web', '--runtime', 'tsvisor', '-p', `${port}:80`, 'tsvisor-busybox', 'sh', '-c',
      'busybox ifconfig eth0; mkdir -p /www && echo served by docker run -p > /www/index.html && ' +
      'exec busybox httpd -f -p 80 -h /www');
    assert.equal(r.status, 0, explain(r));
    try {
      const got = fetchWhenUp(`http://127.0.0.1:${port}/`);
      assert.equal(got.status, 0, explain(got));
      assert.equal(got.stdout, 'served by docker run -p\n');
      const logs = D('logs', 'tsv-web');
      assert.ok(logs.stdout.includes(`inet addr:${subnet}.`), explain(logs));
    } finally {
      D('rm', '-f', 'tsv-web');
    }
  });

  await t.test('Kubernetes CRI: containerd with a tsvisor runtime handler, a whole pod life cycle', async (t) => {
    const containerd = have(t, 'containerd', 'containerd');
    if (containerd === null) return;
    const ctr = have(t, 'ctr', 'containerd');
    if (ctr === null) return;
    const dir = join(base, 'cri');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const sock = join(dir, 'c.sock');
    // Debian's containernetworking-plugins, for a pod on a bridge network of its own.
    const CNI_BIN = ['/usr/lib/cni', '/opt/cni/bin'].find((d) => existsSync(join(d, 'bridge')));
    const bridge = `tsvcni${process.pid % 10000}`;
    const subnet = `10.214.${process.pid % 250}`;
    mkdirSync(join(dir, 'cni-conf'), { recursive: true });
    writeFileSync(join(dir, 'cni-conf', '10-tsvisor-test.conflist'), JSON.stringify({
      cniVersion: '1.0.0', name: 'tsvisor-test',
      plugins: [
        { type: 'bridge', bridge, isGateway: true, ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: `${subnet}.0/24` }]], dataDir: join(dir, 'cni-ipam') } },
        { type: 'loopback' },
      ],
    }));
    const cri = '[plugins."io.containerd.grpc.v1.cri"';
    writeFileSync(join(dir, 'config.toml'), [
      'version = 2', `root = "${dir}/root"`, `state = "${dir}/state"`, '[grpc]', `  address = "${sock}"`,
      `${cri}]`, '  sandbox_image = "localhost/tsvisor-pause:latest"', '  disable_apparmor = true',
      '  restrict_oom_score_adj = true',
      `${cri}.cni]`, `  bin_dir = "${CNI_BIN ?? join(dir, 'cni-bin')}"`, `  conf_dir = "${dir}/cni-conf"`,
      // Naming any runtime replaces containerd's built-in list, so runc (the default) is named too.
      `${cri}.containerd.runtimes.runc]`, '  runtime_type = "io.containerd.runc.v2"',
      `${cri}.containerd.runtimes.tsvisor]`, '  runtime_type = "io.containerd.runc.v2"',
      `${cri}.containerd.runtimes.tsvisor.options]`, `  BinaryName = "${TSVISOR}"`, '',
    ].join('\n'));
    const daemon = spawn(containerd, ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
    const C = (...a) => sh(ctr, ['-a', sock, '-n', 'k8s.io', ...a]);
    let client = null;
    t.after(() => {
      client?.close();
      daemon.kill('SIGKILL');
      // A failed run may leave the pod's sandbox processes and shims behind: end those whose
      // bundles are ours (the shim keeps runtime state under /run/containerd/runc/k8s.io).
      sh('sh', ['-c', `for s in /run/containerd/runc/k8s.io/*/state.json; do grep -q '"bundle":"${dir}' "$s" 2>/dev/null && ` +
        `kill -9 "$(sed 's/.*"pid":\\([0-9]*\\).*/\\1/' "$s")" 2>/dev/null; done; ` +
        `pkill -9 -f "containerd-shim-runc-v2 .*-address ${sock}" || true`]);
      sh('sh', ['-c', `grep " ${dir}/" /proc/mounts | cut -d" " -f2 | sort -r | xargs -r -n1 umount -l`]);
      sh('ip', ['link', 'del', bridge]);
      rmSync(dir, { recursive: true, force: true });
    });
    for (let i = 0; i < 100 && C('version').status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    client = new GrpcClient(sock);
    const RS = 'runtime.v1.RuntimeService';
    // The CRI service comes up a little after the daemon answers.
    for (let i = 0; i < 100; i++) {
      try {
        await client.call(RS, 'Version', { 1: 'v1' });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const tar = imageTar();
    let r = C('images', 'import', ociArchive(tar, join(base, 'app.oci.tar'), 'localhost/tsvisor-busybox:latest'));
    assert.equal(r.status, 0, explain(r));
    r = C('images', 'import', ociArchive(tar, join(base, 'pause.oci.tar'), 'localhost/tsvisor-pause:latest',
      ['sleep', '2147483647']));
    assert.equal(r.status, 0, explain(r));

    // NamespaceMode: CONTAINER 1, NODE 2. The pod uses the node's network (no CNI here);
    // each container has its own pid namespace (kubelet's default).
    const CONTAINER = 1, NODE = 2;
    const podConfig = {
      1: { 1: 'tsv-pod', 2: 'uid-1', 3: 'default', 4: 0 },
      2: 'tsv-pod',
      3: join(dir, 'logs'),
      8: { 2: { 1: { 1: NODE, 2: CONTAINER } } },
    };
    const pod = await client.call(RS, 'RunPodSandbox', { 1: podConfig, 2: 'tsvisor' });
    const podId = pod[1][0].toString();
    const created = await client.call(RS, 'CreateContainer', {
      1: podId,
      2: { 1: { 1: 'app' }, 2: { 1: 'localhost/tsvisor-busybox:latest' }, 3: ['sh'],
        4: ['-c', 'echo hello from the pod; exec sleep 100'], 11: 'app.log',
        // kubelet's defaults: the pod's node network, a pid namespace of its own, and the
        // runtime's default seccomp profile (RuntimeDefault), which the sentry applies.
        15: { 2: { 3: { 1: NODE, 2: CONTAINER }, 15: { 1: 0 } } } },
      3: podConfig,
    });
    const cid = created[1][0].toString();
    await client.call(RS, 'StartContainer', { 1: cid });
    const ex = await client.call(RS, 'ExecSync', { 1: cid, 2: ['sh', '-c', 'echo from exec; exit 3'], 3: 20 });
    assert.equal(ex[1][0].toString(), 'from exec\n');
    assert.equal(ex[3]?.[0] ?? 0, 3);
    // The container's stdout in the CRI log format: "<time> stdout F <line>".
    let log = '';
    for (let i = 0; i < 50 && !log.includes('hello'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      try { log = readFileSync(join(dir, 'logs', 'app.log'), 'utf8'); } catch { /* not yet */ }
    }
    assert.match(log, /^\S+ stdout F hello from the pod$/m);
    await client.call(RS, 'StopContainer', { 1: cid, 2: 2 });
    await client.call(RS, 'RemoveContainer', { 1: cid });
    await client.call(RS, 'StopPodSandbox', { 1: podId });
    await client.call(RS, 'RemovePodSandbox', { 1: podId });
    const left = await client.call(RS, 'ListPodSandbox', {});
    assert.equal(left[1], undefined, 'a pod sandbox is left');

    // A pod on a CNI bridge network: containerd makes the pod's network namespace and
    // gives its path; the container's sandbox process is started in it, so the app sees
    // the pod's address and a server in it answers the host on that address.
    if (CNI_BIN === undefined) {
      t.diagnostic('no CNI plugins (containernetworking-plugins): the pod-network part is not run');
      return;
    }
    const POD = 0;
    const netPod = { ...podConfig, 1: { 1: 'tsv-netpod', 2: 'uid-2', 3: 'default', 4: 0 }, 2: 'tsv-netpod',
      8: { 2: { 1: { 1: POD, 2: CONTAINER } } } };
    const pod2 = await client.call(RS, 'RunPodSandbox', { 1: netPod, 2: 'tsvisor' });
    const pod2Id = pod2[1][0].toString();
    try {
      const status = decode((await client.call(RS, 'PodSandboxStatus', { 1: pod2Id }))[1][0]);
      const podIp = decode(status[5][0])[1][0].toString();
      assert.ok(podIp.startsWith(`${subnet}.`), `pod IP ${podIp}`);
      const web = await client.call(RS, 'CreateContainer', {
        1: pod2Id,
        2: { 1: { 1: 'web' }, 2: { 1: 'localhost/tsvisor-busybox:latest' }, 3: ['sh'],
          4: ['-c', 'busybox ifconfig eth0; busybox mkdir -p /www && echo served from the pod > /www/index.html && ' +
            'exec busybox httpd -f -p 8080 -h /www'], 11: 'web.log',
          15: { 2: { 3: { 1: POD, 2: CONTAINER } } } },
        3: netPod,
      });
      const webId = web[1][0].toString();
      await client.call(RS, 'StartContainer', { 1: webId });
      const got = fetchWhenUp(`http://${podIp}:8080/`);
      assert.equal(got.status, 0, explain(got));
      assert.equal(got.stdout, 'served from the pod\n');
      const webLog = readFileSync(join(dir, 'logs', 'web.log'), 'utf8');
      assert.ok(webLog.includes(`inet addr:${podIp} `), webLog);
      await client.call(RS, 'StopContainer', { 1: webId, 2: 1 });
      await client.call(RS, 'RemoveContainer', { 1: webId });
    } finally {
      await client.call(RS, 'StopPodSandbox', { 1: pod2Id });
      await client.call(RS, 'RemovePodSandbox', { 1: pod2Id });
    }
  });
});
