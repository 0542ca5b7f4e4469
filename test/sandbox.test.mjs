// Sandbox-specific behaviour that has no native oracle: writes stay inside the sandbox, the first
// process is pid 1, wild pointers and unimplemented syscalls do not kill the sandbox, a signal
// death becomes exit status 128+signo, and the options of `tsvisor do`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPrograms, BUILD_DIR } from './lib/build.mjs';
import { runNative, runSandbox } from './lib/sandbox.mjs';

const PYTHON = '/usr/bin/python3';
const BUSYBOX = '/bin/busybox';
const CI = !!process.env.CI;
const programs = await buildPrograms();

function need(t, path, pkg) {
  if (existsSync(path)) return true;
  if (CI) throw new Error(`${path} is missing under CI: .ci/run must install ${pkg}`);
  t.skip(`${path} is missing (apt-get install ${pkg})`);
  return false;
}

// Show everything about a run when an assertion on it fails.
function explain(r) {
  return `status=${r.status} signal=${r.signal}${r.error ? ` error=${r.error.message}` : ''}\n` +
    `--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr.toString().slice(-6000)}`;
}

const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

// ---------------------------------------------------------------------------------------------
// (a) Writes inside the sandbox read back inside, and never reach the host.
// ---------------------------------------------------------------------------------------------
const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
const fixtureDir = join(BUILD_DIR, `host-fixture-${tag}`); // visible in the sandbox via the host root
const victim = join(fixtureDir, 'victim.txt'); // overwritten inside the sandbox
const doomed = join(fixtureDir, 'doomed.txt'); // deleted inside the sandbox
const newEtcFile = `/etc/tsvisor-test-${tag}.txt`; // created inside, in the read-only lower's /etc
const newEtcDir = `/etc/tsvisor-test-dir-${tag}`;
const newTmpFile = `/tmp/tsvisor-test-${tag}.txt`; // /tmp is a tmpfs inside

before(() => {
  mkdirSync(fixtureDir, { recursive: true });
  writeFileSync(victim, 'original host content\n');
  writeFileSync(doomed, 'must survive\n');
});
after(() => {
  rmSync(fixtureDir, { recursive: true, force: true });
  // If the sandbox leaked writes to the host, the test has already failed; do not leave the
  // litter behind for the next run.
  for (const p of [newEtcFile, `${newEtcFile}.renamed`, newEtcDir, newTmpFile]) rmSync(p, { recursive: true, force: true });
});

const WRITE_SCRIPT = `
import os
def rd(p):
    with open(p) as f: return f.read()
with open(${JSON.stringify(newEtcFile)}, 'w') as f: f.write('written in the sandbox\\n')
print('etc file:', rd(${JSON.stringify(newEtcFile)}).strip())
with open(${JSON.stringify(newTmpFile)}, 'w') as f: f.write('tmp data\\n')
print('tmp file:', rd(${JSON.stringify(newTmpFile)}).strip())
os.mkdir(${JSON.stringify(newEtcDir)})
with open(${JSON.stringify(newEtcDir + '/inner')}, 'w') as f: f.write('x')
print('new dir:', os.listdir(${JSON.stringify(newEtcDir)}))
print('victim before:', rd(${JSON.stringify(victim)}).strip())
with open(${JSON.stringify(victim)}, 'w') as f: f.write('overwritten\\n')
print('victim after:', rd(${JSON.stringify(victim)}).strip())
with open(${JSON.stringify(victim)}, 'a') as f: f.write('appended\\n')
print('victim appended:', rd(${JSON.stringify(victim)}).split())
os.unlink(${JSON.stringify(doomed)})
print('doomed exists:', os.path.exists(${JSON.stringify(doomed)}))
os.rename(${JSON.stringify(newEtcFile)}, ${JSON.stringify(newEtcFile + '.renamed')})
print('renamed:', os.path.exists(${JSON.stringify(newEtcFile)}), rd(${JSON.stringify(newEtcFile + '.renamed')}).strip())
`;

test('(a) writes read back inside the sandbox and leave the host unchanged', async (t) => {
  if (!need(t, PYTHON, 'python3')) return;
  const victimSha = sha(victim);
  const victimStat = statSync(victim);
  const r = runSandbox([PYTHON, '-c', WRITE_SCRIPT], { cwd: '/' });
  assert.equal(r.status, 0, explain(r));
  assert.equal(r.stdout.toString(), [
    'etc file: written in the sandbox',
    'tmp file: tmp data',
    "new dir: ['inner']",
    'victim before: original host content',
    'victim after: overwritten',
    "victim appended: ['overwritten', 'appended']",
    'doomed exists: False',
    'renamed: False written in the sandbox',
    '',
  ].join('\n'), explain(r));

  await t.test('host: files created inside do not exist', () => {
    for (const p of [newEtcFile, `${newEtcFile}.renamed`, newEtcDir, newTmpFile]) {
      assert.ok(!existsSync(p), `${p} leaked to the host`);
    }
  });
  await t.test('host: the overwritten file is byte-identical and untouched', () => {
    assert.equal(sha(victim), victimSha);
    const st = statSync(victim);
    assert.equal(st.size, victimStat.size);
    assert.equal(st.mtimeMs, victimStat.mtimeMs, 'mtime changed');
    assert.equal(st.ino, victimStat.ino, 'file was replaced');
  });
  await t.test('host: the file deleted inside still exists', () => {
    assert.equal(readFileSync(doomed, 'utf8'), 'must survive\n');
  });
  await t.test('a second sandbox does not see the first one\'s writes', () => {
    const script = `import os
print(os.path.exists(${JSON.stringify(newEtcFile + '.renamed')}), os.path.exists(${JSON.stringify(newTmpFile)}))
print(open(${JSON.stringify(victim)}).read().strip(), os.path.exists(${JSON.stringify(doomed)}))`;
    const r2 = runSandbox([PYTHON, '-c', script], { cwd: '/' });
    assert.equal(r2.status, 0, explain(r2));
    assert.equal(r2.stdout.toString(), 'False False\noriginal host content True\n', explain(r2));
  });
});

// ---------------------------------------------------------------------------------------------
// (b) The first process is pid 1 and /proc/self/status agrees.
// ---------------------------------------------------------------------------------------------
test('(b) getpid() is 1 inside and /proc/self/status agrees', async (t) => {
  for (const variant of ['static', 'spie', 'dyn']) {
    await t.test(variant, () => {
      const r = runSandbox([programs.get('sandbox_pid')[variant]], { cwd: '/' });
      assert.equal(r.status, 0, explain(r));
      const out = r.stdout.toString();
      const field = (re) => {
        const m = out.match(re);
        assert.ok(m, `no match for ${re}\n${explain(r)}`);
        return Number(m[1]);
      };
      assert.equal(field(/^getpid: (-?\d+)$/m), 1, explain(r));
      assert.equal(field(/^gettid: (-?\d+)$/m), 1, explain(r));
      assert.equal(field(/^status Pid:\s+(\d+)$/m), 1, explain(r));
      assert.equal(field(/^status Tgid:\s+(\d+)$/m), 1, explain(r));
      assert.equal(field(/^status PPid:\s+(\d+)$/m), field(/^getppid: (-?\d+)$/m), `PPid disagrees with getppid\n${explain(r)}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// (c) EFAULT and ENOSYS are survivable, and the unimplemented call is named in the log.
// ---------------------------------------------------------------------------------------------
test('(c) wild pointer gets EFAULT, unimplemented syscall gets ENOSYS, the app goes on', (t) => {
  // stdin must hold data: read() on an empty pipe at EOF returns 0 without touching the buffer.
  const logDir = mkdtempSync(join(tmpdir(), 'tsv-log-'));
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  const logFile = join(logDir, 'sandbox.log');
  const r = runSandbox([programs.get('wild_and_enosys').static], { cwd: '/', input: 'hello sandbox\n', args: ['--log', logFile] });
  assert.equal(r.status, 0, explain(r));
  assert.equal(r.stdout.toString(), [
    'read(0, (void*)1, 10): -1 EFAULT',
    'write(1, (void*)1, 10): -1 EFAULT',
    'open((char*)1): -1 EFAULT',
    'syscall(400): -1 ENOSYS',
    'syscall(SYS_lookup_dcookie): -1 ENOSYS',
    'syscall(100000): -1 ENOSYS',
    'still alive',
    '',
  ].join('\n'), explain(r));
  // The sandbox log (not the app's stderr) names the unimplemented call, once.
  const log = readFileSync(logFile, 'utf8');
  assert.match(log, /unsupported syscall lookup_dcookie \(212\)/, `the log does not name the unimplemented syscall\n${log}`);
  assert.equal(log.split('lookup_dcookie').length - 1, 1, 'logged more than once');
});

// ---------------------------------------------------------------------------------------------
// (d) A signal death is reported as 128+signo.
// ---------------------------------------------------------------------------------------------
test('(d) NULL dereference: exit status 139 (128+SIGSEGV)', async (t) => {
  for (const variant of ['static', 'dyn']) {
    await t.test(variant, () => {
      const bin = programs.get('null_deref')[variant];
      const native = runNative([bin]);
      assert.equal(native.signal, 'SIGSEGV', `the program should die of SIGSEGV natively\n${explain(native)}`);
      const r = runSandbox([bin], { cwd: '/' });
      assert.equal(r.signal, null, `tsvisor itself was killed\n${explain(r)}`);
      assert.equal(r.status, 139, explain(r));
      assert.equal(r.stdout.toString(), 'about to fault\n', explain(r));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The options of `tsvisor do` (issue 2, item 8) and --strace (item 7).
// ---------------------------------------------------------------------------------------------
test('tsvisor do options', async (t) => {
  await t.test('caller\'s cwd and environment by default', (t) => {
    if (!need(t, PYTHON, 'python3')) return;
    const r = runSandbox([PYTHON, '-c', 'import os; print(os.getcwd()); print(os.environ.get("TSV_TEST_VAR"))'],
      { cwd: '/usr/lib', env: { ...process.env, TSV_TEST_VAR: 'from the caller' } });
    assert.equal(r.stdout.toString(), '/usr/lib\nfrom the caller\n', explain(r));
  });
  await t.test('--cwd and --env', (t) => {
    if (!need(t, PYTHON, 'python3')) return;
    const r = runSandbox([PYTHON, '-c', 'import os; print(os.getcwd()); print(os.environ.get("TSV_A"), os.environ.get("TSV_B"))'],
      { cwd: '/', sandboxCwd: '/etc', sandboxEnv: ['TSV_A=1', 'TSV_B=x=y'] });
    assert.equal(r.stdout.toString(), '/etc\n1 x=y\n', explain(r));
  });
  await t.test('CMD is found through PATH', (t) => {
    if (!need(t, BUSYBOX, 'busybox-static')) return;
    const r = runSandbox(['busybox', 'echo', 'found'], { cwd: '/', env: { ...process.env, PATH: '/nonexistent:/bin:/usr/bin' } });
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout.toString(), 'found\n', explain(r));
  });
  await t.test('a missing command fails with a message and a non-zero status', () => {
    const r = runSandbox(['/nonexistent/tsvisor-no-such-cmd'], { cwd: '/' });
    assert.notEqual(r.status, 0, explain(r));
    assert.ok(r.stderr.length > 0, 'no error message');
  });
  await t.test('--rootfs DIR replaces the host root', (t) => {
    if (!need(t, BUSYBOX, 'busybox-static')) return;
    const rootfs = join(BUILD_DIR, `rootfs-${tag}`);
    try {
      mkdirSync(join(rootfs, 'bin'), { recursive: true });
      mkdirSync(join(rootfs, 'etc'), { recursive: true });
      copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
      chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
      writeFileSync(join(rootfs, 'etc', 'msg'), 'inside the small rootfs\n');
      const r = runSandbox(['/bin/busybox', 'cat', '/etc/msg'], { cwd: '/', rootfs });
      assert.equal(r.status, 0, explain(r));
      assert.equal(r.stdout.toString(), 'inside the small rootfs\n', explain(r));
      // The host's /etc/passwd must not be reachable from inside this rootfs.
      const r2 = runSandbox(['/bin/busybox', 'cat', '/etc/passwd'], { cwd: '/', rootfs });
      assert.notEqual(r2.status, 0, `host /etc/passwd visible inside --rootfs\n${explain(r2)}`);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
  await t.test('--strace prints syscalls with results and errno names', () => {
    const r = runSandbox([programs.get('wild_and_enosys').static], { cwd: '/', input: 'x\n', strace: true });
    assert.equal(r.status, 0, explain(r));
    const err = r.stderr.toString();
    // strace's style: name(args) = result, with "-1 ENAME" for errors.
    assert.match(err, /\bread\(0, .*\)\s+= -1 EFAULT/, explain(r));
    assert.match(err, /\blookup_dcookie\(.*\)\s+= -1 ENOSYS/, explain(r));
    assert.match(err, /\bexit_group\(0\)/, explain(r));
    // The app's own stdout is unaffected by tracing.
    assert.match(r.stdout.toString(), /still alive/, explain(r));
  });
});
