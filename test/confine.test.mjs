// The sandbox process's own confinement (docs/SECURITY.md), checked from the host: for
// `tsvisor do` and for an OCI container, the sandbox process is in namespaces of its own
// (user, mount, pid, ipc, uts, net, cgroup), its root is an empty read-only directory and
// its mount table holds nothing else (so no host path can be opened), it keeps only the
// capabilities SECURITY.md lists, and a seccomp filter is on every one of its threads.
// The allow-list compiler is checked by running its BPF on chosen calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, openSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, TSVISOR } from './lib/sandbox.mjs';

const require = createRequire(import.meta.url);
const BUSYBOX = '/bin/busybox';
const base = `/tmp/tsvisor-confine-${process.pid}`;
const NAMESPACES = ['user', 'mnt', 'pid', 'ipc', 'uts', 'net', 'cgroup'];

function status(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'latin1').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Everything the host can see of a sandbox process's confinement. */
function inspect(pid) {
  const st = status(pid);
  const threads = readdirSync(`/proc/${pid}/task`);
  return {
    ns: Object.fromEntries(NAMESPACES.map((n) => [n, readlinkSync(`/proc/${pid}/ns/${n}`)])),
    nspid: st.NSpid,
    capEff: BigInt(`0x${st.CapEff}`),
    capBnd: BigInt(`0x${st.CapBnd}`),
    seccompPerThread: threads.map((tid) => status(`${pid}/task/${tid}`).Seccomp),
    rootEntries: readdirSync(`/proc/${pid}/root`),
    cwd: readlinkSync(`/proc/${pid}/cwd`),
    mountinfo: readFileSync(`/proc/${pid}/mountinfo`, 'latin1').trim().split('\n'),
    uidMap: readFileSync(`/proc/${pid}/uid_map`, 'latin1').trim().split(/\s+/),
  };
}

function assertConfined(pid) {
  const me = inspect(process.pid);
  const it = inspect(pid);
  for (const n of NAMESPACES) assert.notEqual(it.ns[n], me.ns[n], `${n} namespace is the host's`);
  // pid 1 of its own pid namespace
  assert.match(it.nspid, /^\d+\s+1$/);
  // CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
  // CAP_NET_BIND_SERVICE, and no other
  assert.equal(it.capEff, 0x41fn, `CapEff ${it.capEff.toString(16)}`);
  assert.equal(it.capBnd, 0x41fn, `CapBnd ${it.capBnd.toString(16)}`);
  assert.ok(it.seccompPerThread.length > 1);
  for (const s of it.seccompPerThread) assert.equal(s, '2', 'a thread without the seccomp filter');
  // Nothing of the host's tree is reachable by path: a read-only tmpfs root that holds
  // only the mount sources, each a bind mount of its own (so ".." from one stops at the
  // root), all nosuid, nodev, noexec.
  assert.equal(it.cwd, '/');
  assert.match(it.mountinfo[0], /^\d+ \d+ \S+ \/ \/ ro,nosuid,nodev,noexec,.* - tmpfs /, it.mountinfo.join('\n'));
  assert.ok(it.rootEntries.length >= 1 && it.rootEntries.every((e) => /^\d+$/.test(e)), it.rootEntries.join(' '));
  const top = new Set();
  for (const line of it.mountinfo.slice(1)) {
    const [, , , , point, opts] = line.split(' ');
    assert.match(point, /^\/\d+(\/|$)/, line);
    assert.match(opts, /(^|,)nosuid,nodev,noexec(,|$)/, line);
    top.add(point.split('/')[1]);
  }
  assert.deepEqual([...top].sort(), [...it.rootEntries].sort());
  // The host's root is mapped one to one, so the ids the app's files carry stay right.
  assert.deepEqual(it.uidMap, ['0', '0', '4294967295']);
  return it;
}

/** The sandbox process of a running `tsvisor do`: the child of the waiting CLI. */
function childOf(pid) {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean);
  return kids.length === 1 ? Number(kids[0]) : 0;
}

async function waitFor(f, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the sandbox process is confined', { skip: (!existsSync(BUSYBOX) || process.getuid() !== 0) && 'needs busybox-static and root' }, async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  t.after(() => rmSync(base, { recursive: true, force: true }));

  await t.test('tsvisor do: own namespaces, empty root, few capabilities, seccomp on every thread', async () => {
    const marker = join(base, 'do-ready');
    const one = join(base, 'one');
    writeFileSync(one, 'just this file\n');
    const child = spawn(process.execPath, [TSVISOR, 'do', '-v', `${base}:/out`, '-v', `${one}:/one:ro`, '--', BUSYBOX, 'sh', '-c',
      'cat /one; echo ready > /out/do-ready; read x; echo bye'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    try {
      await waitFor(() => existsSync(marker), 'the app to start');
      const pid = childOf(child.pid);
      assert.ok(pid > 0, 'no sandbox process under the CLI');
      const it = assertConfined(pid);
      // Two sources: the host's root (read-only) and the bind mount's directory.
      const tops = it.mountinfo.slice(1).map((l) => l.split(' ')).filter((f) => /^\/\d+$/.test(f[4]));
      assert.deepEqual(tops.map((f) => [f[3], f[5].split(',')[0]]).sort(), [['/', 'ro'], [base, 'rw']].sort());
      // The single file's mount: a directory of the root holding only that file.
      const file = it.mountinfo.slice(1).map((l) => l.split(' ')).filter((f) => /^\/\d+\/one$/.test(f[4]));
      assert.deepEqual(file.map((f) => [f[3], f[5].split(',')[0]]), [[one, 'ro']]);
      assert.deepEqual(readdirSync(`/proc/${pid}/root/${file[0][4].split('/')[1]}`), ['one']);
      // The app still works with its bind mount and stdio.
      child.stdin.end('go\n');
      const code = await new Promise((r) => child.on('close', r));
      assert.equal(code, 0, err);
      assert.equal(out, 'just this file\nbye\n');
      assert.equal(err, '', 'the sentry reported refused host calls or errors');
    } finally {
      child.kill('SIGKILL');
    }
  });

  await t.test('tsvisor do ends on a signal sent to it, as a plain command would (SIGTERM, SIGINT)', async () => {
    for (const sig of ['SIGTERM', 'SIGINT']) {
      const child = spawn(process.execPath, [TSVISOR, 'do', '--', BUSYBOX, 'sleep', '30'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      child.kill(sig);
      const [code, signal] = await new Promise((r) => child.once('exit', (c, s) => r([c, s])));
      assert.equal(signal, sig, `${sig}: exit ${code}`);
      assert.ok(Date.now() - t0 < 5000, `${sig} took ${Date.now() - t0} ms`);
    }
  });

  await t.test('an OCI container\'s sandbox process (the pid file\'s) is confined the same way', () => {
    const dir = join(base, 'bundle');
    mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
    chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'cat']) symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
    const state = join(base, 'state');
    // stdio on files, not pipes: the sandbox process keeps the container's stdio (create's)
    // open, and spawnSync would wait for a pipe's end.
    let n = 0;
    const run = (args) => {
      const o = join(base, `out-${n}`), e = join(base, `err-${n++}`);
      const fds = [openSync(o, 'w+'), openSync(e, 'w+')];
      try {
        const r = spawnSync(process.execPath, [TSVISOR, '--root', state, ...args],
          { stdio: ['ignore', fds[0], fds[1]], timeout: 60_000, killSignal: 'SIGKILL' });
        return { status: r.status, stdout: readFileSync(o, 'utf8'), stderr: readFileSync(e, 'utf8') };
      } finally {
        fds.forEach((fd) => closeSync(fd));
      }
    };
    let r = run(['spec', '--bundle', dir]);
    assert.equal(r.status, 0, r.stderr);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    cfg.process.terminal = false;
    cfg.process.args = ['sleep', '30'];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    const pidFile = join(base, 'pid');
    r = run(['create', '--bundle', dir, '--pid-file', pidFile, 'c1']);
    assert.equal(r.status, 0, r.stderr);
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      // One source, the bundle's rootfs, read-only (the writes go to the memory layer).
      const it = assertConfined(pid);
      assert.deepEqual(it.mountinfo.slice(1).map((l) => l.split(' ')).map((f) => [f[3], f[5].split(',')[0]]),
        [[join(dir, 'rootfs'), 'ro']]);
      r = run(['start', 'c1']);
      assert.equal(r.status, 0, r.stderr);
      // After start, with the app running and exec'd into, still the same.
      r = run(['exec', 'c1', 'cat', '/proc/1/cmdline']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'sleep\u000030\u0000');
      assertConfined(pid);
    } finally {
      run(['delete', '--force', 'c1']);
    }
  });

  await t.test('the host-syscall filter allows, refuses and kills as SECURITY.md says', () => {
    const { compileHostFilter } = require(join(ROOT, 'dist', 'platform', 'confine.js'));
    const { hostSyscallRules } = require(join(ROOT, 'dist', 'sandbox', 'hostpolicy.js'));
    const prog = compileHostFilter(hostSyscallRules());
    const ALLOW = 0x7fff0000, TRAP = 0x00030000, KILL = 0x80000000, ERRNO_ENOSYS = 0x00050000 | 38;
    const X86_64 = 0xc000003e;
    const call = (nr, args = [], arch = X86_64) => runBpf(prog, nr, arch, args);
    assert.equal(call(101), ALLOW, 'ptrace');
    assert.equal(call(0), ALLOW, 'read');
    assert.equal(call(257), ALLOW, 'openat');
    assert.equal(call(59), TRAP, 'execve');
    assert.equal(call(165), TRAP, 'mount');
    assert.equal(call(155), TRAP, 'pivot_root');
    assert.equal(call(428), TRAP, 'open_tree');
    assert.equal(call(429), TRAP, 'move_mount');
    assert.equal(call(442), TRAP, 'mount_setattr');
    assert.equal(call(166), TRAP, 'umount2');
    assert.equal(call(161), TRAP, 'chroot');
    assert.equal(call(272), TRAP, 'unshare');
    assert.equal(call(308), TRAP, 'setns');
    assert.equal(call(321), TRAP, 'bpf');
    // The app's inet sockets are host sockets: connect is the sentry's; the families are checked.
    assert.equal(call(42), ALLOW, 'connect');
    assert.equal(call(41, [1]), TRAP, 'socket(AF_UNIX): made before confinement only');
    assert.equal(call(41, [2]), ALLOW, 'socket(AF_INET)');
    assert.equal(call(41, [10]), ALLOW, 'socket(AF_INET6)');
    assert.equal(call(41, [16]), ALLOW, 'socket(AF_NETLINK): read-only route queries');
    assert.equal(call(41, [17]), TRAP, 'socket(AF_PACKET)');
    assert.equal(call(41, [0x100000001]), TRAP, 'socket with high bits');
    assert.equal(call(56, [0x3d0f00]), ALLOW, 'clone of a thread');
    assert.equal(call(56, [17]), ALLOW, 'fork-like clone');
    assert.equal(call(56, [0x10000000 | 17]), TRAP, 'clone(CLONE_NEWUSER)');
    assert.equal(call(16, [0, 0x5401]), ALLOW, 'ioctl(TCGETS)');
    assert.equal(call(16, [0, 0x5412]), TRAP, 'ioctl(TIOCSTI)');
    assert.equal(call(16, [0, 0x8933]), ALLOW, 'ioctl(SIOCGIFINDEX)');
    assert.equal(call(16, [0, 0x8914]), TRAP, 'ioctl(SIOCSIFFLAGS)');
    assert.equal(call(435), ERRNO_ENOSYS, 'clone3');
    assert.equal(call(425), ERRNO_ENOSYS, 'io_uring_setup');
    assert.equal(call(0, [], 0x40000003), KILL, 'i386');
    assert.equal(call(0x40000000), KILL, 'x32');
    assert.equal(call(9999), TRAP, 'unknown');
  });
});

/** A classic-BPF interpreter for the instructions the compiler emits. */
function runBpf(prog, nr, arch, args) {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  for (let i = 0; i < 6; i++) data.writeBigUInt64LE(BigInt(args[i] ?? 0), 16 + 8 * i);
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  let a = 0;
  for (let pc = 0; pc < prog.length / 8;) {
    const code = dv.getUint16(pc * 8, true), jt = dv.getUint8(pc * 8 + 2), jf = dv.getUint8(pc * 8 + 3);
    const k = dv.getUint32(pc * 8 + 4, true);
    pc++;
    switch (code) {
      case 0x20: a = data.readUInt32LE(k); break; // ld w abs
      case 0x15: pc += a === k ? jt : jf; break; // jeq k
      case 0x35: pc += a >= k ? jt : jf; break; // jge k
      case 0x06: return k; // ret k
      default: throw new Error(`unexpected BPF opcode ${code}`);
    }
  }
  throw new Error('fell off the end of the program');
}
