// Processes, signals and job control as real programs use them (issue 3): busybox sh pipelines,
// subshells, background jobs, traps, stop/continue, timeout, command substitution and exit
// statuses; node with a worker thread and a child process; python's multiprocessing.Pool. Each is
// run natively and under `tsvisor do` and compared byte for byte (stdout and exit status).
// Finally a fork bomb under `--pids-limit 64` must end with EAGAIN inside the sandbox and leave no
// host process behind.
//
// Debian's busybox-static is built with FEATURE_SH_STANDALONE, so `busybox sh` runs its applets
// (sort, tr, sleep, timeout...) as applets, re-executing /proc/self/exe, whatever PATH holds; a
// command given by full path (/usr/bin/timeout) is the host's binary, run the same way natively.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { buildPrograms, BUILD_DIR } from './lib/build.mjs';
import { runNative, runSandbox, assertSame, TSVISOR, ROOT } from './lib/sandbox.mjs';
import { join } from 'node:path';

const BUSYBOX = '/bin/busybox';
const PYTHON = '/usr/bin/python3';
const NODE = process.execPath;
const CI = !!process.env.CI;

function need(t, path, pkg) {
  if (existsSync(path)) return true;
  if (CI) throw new Error(`${path} is missing under CI=${process.env.CI}: .ci/run must install ${pkg}`);
  t.skip(`${path} is missing (apt-get install ${pkg})`);
  return false;
}

/** Run argv natively and in the sandbox, compare; returns the native run for extra checks. */
function same(argv, opts = {}) {
  const o = { cwd: '/', ...opts };
  const native = runNative(argv, o);
  assertSame(native, runSandbox(argv, o), argv.join(' '));
  return native;
}

const sh = (script) => [BUSYBOX, 'sh', '-c', script];

// [name, script, optional check of the native stdout (keeps the test itself honest)]
const SHELL_CASES = [
  ['pipeline of three applets', "echo a b c | tr ' ' '\\n' | sort -r", (out) => out === 'c\nb\na\n'],
  ['pipeline exit status is the last command\'s', 'false | true; echo $?; true | false; echo $?', (out) => out === '0\n1\n'],
  ['pipeline into a while-read loop (a subshell)', "printf '1\\n2\\n3\\n' | while read n; do echo $((n * n)); done"],
  ['SIGPIPE ends the writer of a closed pipe', 'yes | head -n 3; echo "status $?"'],
  ['xargs forks and execs', 'echo 1 2 3 | xargs -n1 echo num'],
  ['external dynamic binaries in a pipeline', '/bin/echo external | /usr/bin/wc -c'],
  ['subshell cd does not leak', '(cd /tmp && pwd); pwd', (out) => out === '/tmp\n/\n'],
  ['background job and wait', '(sleep 0.2; echo bg) & echo fg; wait; echo "wait $?"', (out) => out === 'fg\nbg\nwait 0\n'],
  ['wait for one job returns its status', '(exit 3) & p=$!; wait $p; echo "status $?"', (out) => out === 'status 3\n'],
  ['two background sleeps run in parallel', 'sleep 0.5 & sleep 0.5 & wait; echo both'],
  ["trap 'echo caught' INT; kill -INT $$", "trap 'echo caught' INT; kill -INT $$; echo after", (out) => out === 'caught\nafter\n'],
  ['trap on EXIT and on TERM', "trap 'echo bye' EXIT; trap 'echo term; exit 5' TERM; kill -TERM $$; echo not reached"],
  ['kill -STOP / -CONT / kill of a background job', 'sleep 5 & kill -STOP $!; kill -CONT $!; kill $!; wait $!; echo $?',
    (out) => out === '143\n'],
  ['a stopped job survives until continued', 'sleep 0.3 & p=$!; kill -STOP $p; sleep 0.5; kill -0 $p && echo alive; kill -CONT $p; wait $p; echo "status $?"',
    (out) => out === 'alive\nstatus 0\n'],
  ['GNU timeout 1 sleep 5 exits 124', '/usr/bin/timeout 1 /bin/sleep 5; echo $?', (out) => out === '124\n'],
  ['busybox timeout applet', 'timeout 1 sleep 5; echo $?'],
  ['timeout that does not fire', '/usr/bin/timeout 5 /bin/sleep 0.1; echo $?', (out) => out === '0\n'],
  ['command substitution', 'x=$(echo hello | tr a-z A-Z); echo "got $x"; y=$(exit 3); echo "status $?"; echo "$(echo $(echo nested))"',
    (out) => out === 'got HELLO\nstatus 3\nnested\n'],
  ['backquote substitution with a pipeline', 'n=`seq 1 100 | wc -l`; echo "lines $n"'],
  ['exit statuses propagate', "sh -c 'exit 9'; echo $?; (exit 7); echo $?; /bin/sh -c 'exit 8'; echo $?; exit 42"],
  // In the sandbox the outer shell is pid 1, which (as in any pid namespace) ignores signals it
  // has no handler for, so the shell that kills itself is a nested one.
  ['a shell killed by a signal', "sh -c 'echo before; kill -TERM $$; echo after'; echo \"status $?\"",
    (out) => out === 'before\nstatus 143\n'],
  ['exec replaces the shell', 'exec echo replaced; echo not reached', (out) => out === 'replaced\n'],
  ['a nested sh -c', "sh -c 'echo inner; exit 3'; echo \"outer $?\""],
];

test('busybox sh', async (t) => {
  for (const [name, script, check] of SHELL_CASES) {
    await t.test(name, (t) => {
      if (!need(t, BUSYBOX, 'busybox-static')) return;
      const native = same(sh(script));
      if (check) assert.ok(check(native.stdout.toString()), `unexpected native output for ${name}: ${JSON.stringify(native.stdout.toString())}`);
    });
  }
});

// A worker thread computes a sum and posts it back; then a child process runs through /bin/sh.
const NODE_SCRIPT = `
const { Worker } = require('worker_threads');
const { execSync } = require('child_process');
const w = new Worker('const { parentPort, workerData } = require("worker_threads"); let s = 0; for (let i = 0; i < workerData; i++) s += i; parentPort.postMessage(s);', { eval: true, workerData: 1000000 });
const msg = new Promise((r) => w.once('message', r));
const exit = new Promise((r) => w.once('exit', r));
(async () => {
  console.log('worker says', await msg);
  console.log('worker exit code', await exit);
  console.log('execSync:', JSON.stringify(execSync('echo hi').toString()));
})();
`;

// Node's event loop (epoll, eventfd, timers) and a worker thread, without child processes.
const NODE_WORKER_SCRIPT = `
const { Worker } = require('worker_threads');
const w = new Worker('const { parentPort, workerData } = require("worker_threads"); let s = 0; for (let i = 0; i < workerData; i++) s += i; parentPort.postMessage(s);', { eval: true, workerData: 1000000 });
w.once('message', (m) => console.log('worker says', m));
w.once('exit', (c) => setTimeout(() => console.log('worker exit code', c, 'then a timer'), 5));
require('fs').readFile('/etc/hostname', (err, d) => console.log('readFile', err === null, d.length > 0));
`;

// Node's stdio must be pipes here, not the harness's: spawnSync hands the sandbox unix
// sockets, and libuv asks a socket stdio for its address family (getsockname), which needs
// issue 4's sockets. A shell pipeline inside gives node a real pipe.
test('node: event loop, fs callbacks and a worker_threads worker', () => {
  mkdirSync(BUILD_DIR, { recursive: true });
  const script = join(BUILD_DIR, 'node-worker.js');
  writeFileSync(script, NODE_WORKER_SCRIPT);
  same([BUSYBOX, 'sh', '-c', `${NODE} ${script} | cat`], { timeout: 120_000 });
});

// libuv makes a child's stdio pipes with socketpair(AF_UNIX); node's stdio is a pipe here
// for the reason given above.
test('node: worker_threads and child_process.execSync', () => {
  mkdirSync(BUILD_DIR, { recursive: true });
  const script = join(BUILD_DIR, 'node-execsync.js');
  writeFileSync(script, NODE_SCRIPT);
  same([BUSYBOX, 'sh', '-c', `${NODE} ${script} | cat`], { timeout: 120_000 });
});

const PY_POOL = `
import multiprocessing as mp, os
def sq(x):
    return x * x, os.getpid() != PARENT
PARENT = os.getpid()
if __name__ == '__main__':
    print(mp.get_start_method())
    with mp.Pool(4) as p:
        r = p.map(sq, range(20))
    print([v for v, _ in r])
    print('ran in children:', all(c for _, c in r))
`;

test('python3: multiprocessing.Pool(4).map', (t) => {
  if (!need(t, PYTHON, 'python3')) return;
  same([PYTHON, '-c', PY_POOL], { timeout: 120_000 });
});

// ---------------------------------------------------------------------------------------------
// Fork bomb under a process limit.
// ---------------------------------------------------------------------------------------------

/** pid -> { ppid, start } for every host process (start time tells reused pids apart). */
function hostProcesses() {
  const m = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m.set(Number(d), { ppid: Number(f[1]), start: f[19] });
    } catch { /* gone meanwhile */ }
  }
  return m;
}
function descendants(procs, root) {
  const kids = new Map();
  for (const [pid, { ppid }] of procs) {
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid).push(pid);
  }
  const out = [];
  const todo = [root];
  while (todo.length) for (const k of kids.get(todo.pop()) ?? []) { out.push(k); todo.push(k); }
  return out;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('fork bomb under --pids-limit 64 ends with EAGAIN and leaves the host as it was', async (t) => {
  const programs = await buildPrograms();
  const bin = programs.get('forkbomb').static;
  const tag = `tag-${process.pid}-${randomBytes(4).toString('hex')}`;
  const before = hostProcesses();
  const isNodeScript = TSVISOR.endsWith('.js') || TSVISOR.endsWith('.mjs') || TSVISOR === join(ROOT, 'bin', 'tsvisor');
  const [cmd, args] = isNodeScript
    ? [process.execPath, [TSVISOR, 'do', '--pids-limit', '64', '--', bin, tag]]
    : [TSVISOR, ['do', '--pids-limit', '64', '--', bin, tag]];
  const child = spawn(cmd, args, { cwd: '/tmp', stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let finished = null;
  done.then((r) => { finished = r; });

  // While it runs: every host process under the sandbox, and the most there were at once.
  const seen = new Map(); // pid -> start time
  let maxTree = 0;
  const deadline = Date.now() + 120_000;
  while (!finished && Date.now() < deadline) {
    const procs = hostProcesses();
    const tree = descendants(procs, child.pid);
    maxTree = Math.max(maxTree, tree.length);
    for (const p of tree) seen.set(p, procs.get(p).start);
    await sleep(20);
  }
  if (!finished) {
    child.kill('SIGKILL');
    for (const p of seen.keys()) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    await done;
    assert.fail(`the sandboxed fork bomb did not finish in 120 s\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-6000)}`);
  }
  const explain = `exit ${finished.code} signal ${finished.signal}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr.slice(-6000)}`;

  // Afterwards: every host process the sandbox had is gone (allowing a few seconds for teardown),
  // and the host's process count is back where it was (with slack for whatever else runs here).
  let leftovers = [];
  let after;
  for (let i = 0; i < 100; i++) {
    after = hostProcesses();
    leftovers = [...seen].filter(([pid, start]) => after.get(pid)?.start === start).map(([pid]) => pid);
    if (leftovers.length === 0 && after.size <= before.size + 8) break;
    await sleep(100);
  }
  if (leftovers.length) for (const p of leftovers) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  t.diagnostic(`host processes before ${before.size}, after ${after.size}; most under the sandbox at once: ${maxTree}`);

  assert.equal(finished.code, 0, `the fork bomb program failed\n${explain}`);
  assert.match(stdout, /^fork failed with EAGAIN: 1$/m, explain);
  assert.match(stdout, /^all processes finished forking: 1$/m, explain);
  assert.match(stdout, /^other fork errors: 0$/m, explain);
  assert.match(stdout, /^hard cap reached: 0$/m, explain);
  assert.match(stdout, /^all reaped: 1$/m, explain);
  assert.match(stdout, /^fork after the bomb: ok$/m, explain);
  assert.match(stdout, /^done$/m, explain);
  const created = Number(/^processes created: (\d+)$/m.exec(stdout)?.[1]);
  assert.ok(created >= 1 && created <= 63, `processes created inside: ${created}, expected 1..63 under --pids-limit 64\n${explain}`);
  assert.deepEqual(leftovers, [], `host processes of the sandbox still alive after it exited: ${leftovers.join(' ')}`);
  assert.ok(after.size <= before.size + 8, `host process count ${before.size} before, ${after.size} after`);
  // Room for the stubs of 64 app processes plus the sentry's own helpers, nothing like a bomb.
  assert.ok(maxTree <= 64 + 16, `${maxTree} host processes under the sandbox at once`);
  // And the host can still fork.
  assert.equal(runNative(['/bin/true']).status, 0);
});
