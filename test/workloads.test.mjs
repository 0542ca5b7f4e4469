// Workload tests: real programs (Debian's busybox-static and the host's python3) run natively and
// under `tsvisor do`, compared byte for byte. No shell pipelines: busybox sh would need fork,
// which is a later issue, so input goes through files or through the test's stdin pipe.
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { runNative, runSandbox, assertSame } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const PYTHON = '/usr/bin/python3';
// Under CI a missing tool means the CI script failed to install it: that must be a failure, not
// a quiet skip. On a developer's machine it is only a reason to skip.
const CI = !!process.env.CI;

function need(t, path, pkg) {
  if (existsSync(path)) return true;
  if (CI) throw new Error(`${path} is missing under CI=${process.env.CI}: .ci/run must install ${pkg}`);
  t.skip(`${path} is missing (apt-get install ${pkg})`);
  return false;
}

function same(argv, opts = {}) {
  const o = { cwd: '/', ...opts };
  assertSame(runNative(argv, o), runSandbox(argv, o), argv.join(' '));
}

test('busybox', async (t) => {
  const cases = [
    ['ls /', [BUSYBOX, 'ls', '/']],
    ['ls -a /etc', [BUSYBOX, 'ls', '-a', '/etc']],
    ['cat /etc/os-release', [BUSYBOX, 'cat', '/etc/os-release']],
    ['cat two files', [BUSYBOX, 'cat', '/etc/group', '/etc/os-release']],
    ['wc /etc/passwd', [BUSYBOX, 'wc', '/etc/passwd']],
    ['wc several files', [BUSYBOX, 'wc', '/etc/passwd', '/etc/group', '/etc/os-release']],
    ['sha256sum /bin/busybox', [BUSYBOX, 'sha256sum', BUSYBOX]],
    ['md5sum /etc/passwd', [BUSYBOX, 'md5sum', '/etc/passwd']],
    ['head -n 3 /etc/passwd', [BUSYBOX, 'head', '-n', '3', '/etc/passwd']],
    ['echo', [BUSYBOX, 'echo', 'hello', 'world']],
    ['true', [BUSYBOX, 'true']],
    ['false (exit status 1)', [BUSYBOX, 'false']],
    ['cat of a missing file (error path)', [BUSYBOX, 'cat', '/nonexistent/file']],
    ['stat -c of a file', [BUSYBOX, 'stat', '-c', '%n %s %F %a', '/etc/passwd']],
  ];
  for (const [name, argv] of cases) {
    await t.test(name, (t) => {
      if (need(t, BUSYBOX, 'busybox-static')) same(argv);
    });
  }
  // "echo hi | wc" without a shell: the test's stdin pipe is the app's stdin.
  await t.test('wc of stdin', (t) => {
    if (need(t, BUSYBOX, 'busybox-static')) same([BUSYBOX, 'wc'], { input: 'hi\nthere world\n' });
  });
  await t.test('cat of stdin (64 KiB)', (t) => {
    const big = Buffer.alloc(65536);
    for (let i = 0; i < big.length; i++) big[i] = 32 + ((i * 7) % 90);
    if (need(t, BUSYBOX, 'busybox-static')) same([BUSYBOX, 'cat'], { input: big });
  });
});

// GNU coreutils, dynamically linked: ls -l asks for ACL/SELinux xattrs and must print no
// error about them; stat shows the image file's own metadata.
test('coreutils (dynamic)', async (t) => {
  const cases = [
    ['ls -l of image files', ['/bin/ls', '-l', '/etc/hostname', '/etc/passwd', '/usr/bin/env']],
    ['ls -la /etc/apt', ['/bin/ls', '-la', '--time-style=+', '/etc/apt']],
    ['stat of a file', ['/usr/bin/stat', '-c', '%n %s %a %U %G %Y', '/etc/passwd']],
    ['sort and uniq through files', ['/usr/bin/sort', '-u', '/etc/passwd', '/etc/group']],
  ];
  for (const [name, argv] of cases) await t.test(name, () => same(argv));
});

// hashlib + json + file reading, printing only things that do not change between runs.
const PY_SCRIPT = `
import hashlib, json, os, sys
with open('/etc/os-release', 'rb') as f:
    data = f.read()
with open('/etc/passwd') as f:
    lines = f.read().splitlines()
info = {
    'os_release_sha256': hashlib.sha256(data).hexdigest(),
    'os_release_md5': hashlib.md5(data).hexdigest(),
    'passwd_lines': len(lines),
    'passwd_users': sorted(l.split(':')[0] for l in lines if l and not l.startswith('#'))[:5],
    'blake2': hashlib.blake2b(b'tsvisor').hexdigest()[:16],
    'sum': sum(range(100000)),
    'listdir_has_etc': 'etc' in os.listdir('/'),
}
print(json.dumps(info, sort_keys=True, indent=1))
print(json.loads(json.dumps({'a': [1, 2, {'b': None}]})))
sys.exit(3)
`;

test('python3', async (t) => {
  await t.test('hashlib + json + reading files', (t) => {
    if (need(t, PYTHON, 'python3')) same([PYTHON, '-c', PY_SCRIPT]);
  });
  await t.test('reading a big binary file', (t) => {
    const script = "import hashlib; print(hashlib.sha256(open('/usr/bin/python3','rb').read()).hexdigest())";
    if (need(t, PYTHON, 'python3')) same([PYTHON, '-c', script]);
  });
  await t.test('stdin to stdout', (t) => {
    const script = 'import sys; d = sys.stdin.read(); print(len(d), d.upper())';
    if (need(t, PYTHON, 'python3')) same([PYTHON, '-c', script], { input: 'some input\n' });
  });
  await t.test('uncaught exception (traceback on stderr, status 1)', (t) => {
    if (need(t, PYTHON, 'python3')) same([PYTHON, '-c', 'print("before"); raise SystemError("boom")']);
  });
});
