// The sandbox's network: which network namespace the app's inet sockets live in.
// `tsvisor do` gives a new namespace with only loopback (or, with --network host, the
// host's); an OCI container gets the namespace its config.json asks for (a path is
// joined, an entry without one is new, no entry shares the caller's), and its net.*
// sysctls are written there. The host is the oracle: a server the test runs on the
// host's loopback is reachable exactly when the sandbox shares the host's network, and
// an interface the test makes in a namespace is seen exactly when that one is joined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { TSVISOR } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].find((p) => existsSync(p));
const base = `/tmp/tsvisor-net-${process.pid}`;
const stateRoot = join(base, 'state');

/** Runs tsvisor without blocking this process's event loop (the test's own server must answer). */
function tsvisor(args, timeoutMs = 60_000) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [TSVISOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

const explain = (r) => `status ${r.status} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** A server on the host's 127.0.0.1 that greets each connection; its port. */
async function hostServer(t) {
  const srv = createServer((s) => s.end('hello from the host\n'));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => srv.close());
  return srv.address().port;
}

/** An OCI bundle with a busybox rootfs running sh -c script, edited by edit(config). */
function bundle(name, script, edit = () => {}) {
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
  chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'nc', 'ifconfig', 'cat', 'timeout', 'echo']) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  const r = spawnSync(process.execPath, [TSVISOR, 'spec', '--bundle', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = ['sh', '-c', script];
  edit(cfg);
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  return dir;
}

const setNetns = (cfg, entry) => {
  cfg.linux.namespaces = cfg.linux.namespaces.filter((n) => n.type !== 'network');
  if (entry !== null) cfg.linux.namespaces.push(entry);
};

// The interface names ifconfig lists (it falls back to SIOCGIFCONF: there is no /proc/net/dev).
const interfaces = (out) => out.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]).sort();

test('tsvisor do: a loopback-only namespace, or the host\'s with --network host',
  { skip: !existsSync(BUSYBOX) && 'needs busybox-static' }, async (t) => {
    const port = await hostServer(t);
    await t.test('by default only lo, up, and the host\'s loopback services are out of reach', async () => {
      const r = await tsvisor(['do', '--', BUSYBOX, 'sh', '-c',
        `ifconfig -a 2>/dev/null; nc 127.0.0.1 ${port} </dev/null; echo "nc: $?"`]);
      assert.equal(r.status, 0, explain(r));
      assert.deepEqual(interfaces(r.stdout), ['lo', 'nc:'], explain(r));
      assert.match(r.stdout, /UP LOOPBACK RUNNING/);
      assert.match(r.stdout, /nc: 1\n$/);
      assert.match(r.stderr, /Connection refused/);
    });
    await t.test('--network host reaches a server on the host\'s loopback', async () => {
      const r = await tsvisor(['do', '--network', 'host', '--', BUSYBOX, 'nc', '127.0.0.1', String(port)]);
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stdout, 'hello from the host\n');
    });
    await t.test('loopback inside works end to end (a server and a client in the sandbox)', async () => {
      const r = await tsvisor(['do', '--', BUSYBOX, 'sh', '-c',
        'echo ping | nc -l -p 7001 & for i in 1 2 3 4 5 6 7 8 9 10; do nc 127.0.0.1 7001 </dev/null && break; ' +
        'sleep 0.2; done; wait']);
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stdout, 'ping\n');
    });
    await t.test('netlink route queries answer from the namespace; changes are refused', async () => {
      const r = await tsvisor(['do', '--', process.execPath, '-e',
        'const os = require("os"); const i = os.networkInterfaces(); console.log(Object.keys(i).join(), i.lo.map((a) => a.address).join())']);
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stdout, 'lo 127.0.0.1,::1\n');
      if (IP === undefined) return;
      const q = await tsvisor(['do', '--', IP, '-o', '-4', 'addr', 'show']);
      assert.equal(q.status, 0, explain(q));
      assert.match(q.stdout, /^1: lo\s+inet 127\.0\.0\.1\/8 /);
      const w = await tsvisor(['do', '--', IP, 'link', 'set', 'lo', 'down']);
      assert.notEqual(w.status, 0, explain(w));
      assert.match(w.stderr, /Operation not permitted/);
    });
    await t.test('/proc/net describes the sandbox\'s namespace, with the sandbox\'s inodes', async () => {
      const r = await tsvisor(['do', '--', BUSYBOX, 'sh', '-c',
        'busybox nc -l -p 7002 </dev/null & sleep 0.3; ino=$(busybox readlink /proc/$!/fd/3 | busybox tr -dc 0-9); ' +
        'busybox awk -v i="$ino" \'$10 == i { print "listener", $4 }\' /proc/net/tcp /proc/net/tcp6; ' +
        'busybox netstat -tln | busybox grep -c ":7002 "; busybox grep -c "^ *lo:" /proc/net/dev; ' +
        'busybox grep -c . /proc/net/route; kill $!']);
      assert.equal(r.status, 0, explain(r));
      // The listener (state 0A) under the inode its fd shows; netstat sees it; lo alone;
      // the route table's header and no route (a fresh namespace has none in main).
      assert.equal(r.stdout, 'listener 0A\n1\n1\n1\n');
    });
    await t.test('a bad --network value is refused', async () => {
      const r = await tsvisor(['do', '--network', 'bridge', '--', BUSYBOX, 'true']);
      assert.notEqual(r.status, 0, explain(r));
      assert.match(r.stderr, /--network bridge/);
    });
  });

test('OCI: the container\'s network namespace is the config\'s', {
  skip: (!existsSync(BUSYBOX) && 'needs busybox-static') || (!IP && 'needs iproute2') ||
    (process.getuid() !== 0 && 'needs root (ip netns)'),
}, async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const ns = `tsv-test-${process.pid}`;
  const ip = (...a) => {
    const r = spawnSync(IP, a, { encoding: 'utf8' });
    assert.equal(r.status, 0, `ip ${a.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  ip('netns', 'add', ns);
  t.after(() => {
    spawnSync(IP, ['netns', 'del', ns]);
    rmSync(base, { recursive: true, force: true });
  });
  // An address of its own, labelled (so SIOCGIFCONF lists it), marks the namespace.
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  ip('-n', ns, 'addr', 'add', '10.213.7.1/32', 'dev', 'lo', 'label', 'lo:tsv');
  const nsPath = `/var/run/netns/${ns}`;
  const port = await hostServer(t);
  const run = (dir, id, globals = []) => tsvisor(['--root', stateRoot, ...globals, 'run', '--bundle', dir, id]);

  await t.test('a path is joined: its interfaces, and its sysctls set from the config', async () => {
    const dir = bundle('join', 'ifconfig lo:tsv 2>&1; ifconfig -a 2>/dev/null | grep -c "^[a-z]"', (c) => {
      setNetns(c, { type: 'network', path: nsPath });
      c.linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 0' };
    });
    const r = await run(dir, 'join');
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout, /inet addr:10\.213\.7\.1/, explain(r));
    assert.match(r.stdout, /\n2\n$/, 'lo and lo:tsv');
    assert.equal(ip('netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start').trim(), '0');
    // The host's own setting is untouched.
    assert.notEqual(readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim(), '0\t0');
  });

  await t.test('an entry without a path is a new, loopback-only namespace', async () => {
    const dir = bundle('new', `ifconfig -a 2>/dev/null | grep "^[a-z]"; nc 127.0.0.1 ${port} </dev/null; echo "nc: $?"`);
    const r = await run(dir, 'new');
    assert.equal(r.status, 0, explain(r));
    assert.match(r.stdout, /^lo\s.*\nnc: 1\n$/, explain(r));
  });

  await t.test('no network entry shares the caller\'s network, as runc does', async () => {
    const dir = bundle('host', `nc 127.0.0.1 ${port} </dev/null`, (c) => setNetns(c, null));
    const r = await run(dir, 'host');
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout, 'hello from the host\n');
  });

  await t.test('--network none: loopback only, whatever the config asks', async () => {
    const dir = bundle('none', 'ifconfig -a 2>/dev/null | grep -c "^[a-z]"', (c) => setNetns(c, { type: 'network', path: nsPath }));
    const r = await run(dir, 'none', ['--network', 'none']);
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout, '1\n');
  });

  await t.test('ports below ip_unprivileged_port_start need CAP_NET_BIND_SERVICE inside', async () => {
    // nobody, no capabilities: bind(80) fails at once; with the sysctl at 0 nc listens
    // until timeout ends it (status 143).
    const script = 'timeout 1 nc -l -p 80 </dev/null; echo "status $?"';
    const asNobody = (c) => {
      c.process.user = { uid: 65534, gid: 65534 };
      c.process.capabilities = { bounding: [], effective: [], permitted: [] };
    };
    const denied = await run(bundle('port80', script, asNobody), 'port80');
    assert.equal(denied.status, 0, explain(denied));
    assert.equal(denied.stdout, 'status 1\n', explain(denied));
    assert.match(denied.stderr, /Permission denied/);
    const allowed = await run(bundle('port80ok', script, (c) => {
      asNobody(c);
      c.linux.sysctl = { 'net.ipv4.ip_unprivileged_port_start': '0' };
    }), 'port80ok');
    assert.equal(allowed.status, 0, explain(allowed));
    assert.equal(allowed.stdout, 'status 143\n', explain(allowed));
  });

  await t.test('in a joined namespace the sentry keeps its port limit (the sandbox process has no capability there)', async () => {
    ip('netns', 'exec', ns, 'sh', '-c', 'echo 1024 > /proc/sys/net/ipv4/ip_unprivileged_port_start');
    const script = 'timeout 1 nc -l -p 80 </dev/null; echo "status $?"';
    const join = (c) => setNetns(c, { type: 'network', path: nsPath });
    const root = await run(bundle('joinroot', script, join), 'joinroot');
    assert.equal(root.stdout, 'status 143\n', explain(root));
    const nobody = await run(bundle('joinnobody', script, (c) => {
      join(c);
      c.process.user = { uid: 65534, gid: 65534 };
      c.process.capabilities = { bounding: [], effective: [], permitted: [] };
    }), 'joinnobody');
    assert.equal(nobody.stdout, 'status 1\n', explain(nobody));
    assert.match(nobody.stderr, /Permission denied/);
  });

  await t.test('net.* sysctls are refused when the container shares the host\'s network', async () => {
    const dir = bundle('hostsysctl', 'true', (c) => {
      setNetns(c, null);
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    const r = await run(dir, 'hostsysctl');
    assert.notEqual(r.status, 0, explain(r));
    assert.match(r.stderr, /linux\.sysctl\.net\.ipv4\.ip_forward: not allowed/);
    const bad = bundle('badsysctl', 'true', (c) => { c.linux.sysctl = { 'net.ipv4/../../kernel': '1' }; });
    const r2 = await run(bad, 'badsysctl');
    assert.notEqual(r2.status, 0, explain(r2));
    assert.match(r2.stderr, /linux\.sysctl\.net\.ipv4\/\.\.\/\.\.\/kernel: not a sysctl name/);
  });
});
