// The OCI runtime command line: spec, run (foreground), state, list, delete, hooks, and
// the errors runc's users expect. `tsvisor spec` + `tsvisor run` of a busybox bundle is
// compared with `runc run` of the same bundle when runc is installed (CI installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TSVISOR } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => existsSync(p));
const CI = !!process.env.CI;
const base = `/tmp/tsvisor-oci-${process.pid}`;
const stateRoot = join(base, 'state');

function tsvisor(args, opts = {}) {
  const r = spawnSync(process.execPath, [TSVISOR, '--root', stateRoot, ...args],
    { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', ...opts });
  return r;
}

function explain(r) {
  return `status ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** A bundle with a busybox rootfs and `tsvisor spec`'s config, edited by edit(config). */
function bundle(name, edit = () => {}) {
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
  chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'echo', 'ls', 'cat', 'id', 'hostname', 'grep', 'head', 'sort', 'umask', 'touch', 'wc', 'mkdir',
    'uname', 'sync']) {
    symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  }
  writeFileSync(join(dir, 'rootfs', 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n');
  writeFileSync(join(dir, 'rootfs', 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  const r = tsvisor(['spec', '--bundle', dir]);
  assert.equal(r.status, 0, explain(r));
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.process.terminal = false;
  edit(cfg);
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  return dir;
}

const leftovers = () => (existsSync(stateRoot) ? readdirSync(stateRoot) : []);

test('OCI runtime commands', { skip: !existsSync(BUSYBOX) && 'needs busybox-static' }, async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  t.after(() => rmSync(base, { recursive: true, force: true }));

  await t.test('spec writes runc\'s default config once', () => {
    const dir = join(base, 'spec');
    mkdirSync(dir);
    let r = tsvisor(['spec'], { cwd: dir });
    assert.equal(r.status, 0, explain(r));
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.process.args, ['sh']);
    assert.equal(cfg.root.path, 'rootfs');
    assert.equal(cfg.root.readonly, true);
    assert.deepEqual(cfg.mounts.map((m) => m.destination),
      ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
    r = tsvisor(['spec'], { cwd: dir });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /File config\.json already exists/);
  });

  await t.test('run prints what runc run prints for the same bundle', (t) => {
    if (RUNC === undefined) {
      if (CI) throw new Error('runc is missing under CI: .ci/run must install it');
      t.skip('runc is not installed');
      return;
    }
    const script = 'echo hi; id; hostname; ls /; cat /proc/self/status | grep -E "^(Name|Cap(Inh|Prm|Eff|Bnd|Amb)|Uid|Gid)"; ' +
      'umask; echo x > /f; echo write=$?; touch /tmp/y 2>/dev/null; echo tmp=$?; ls /dev | sort; ' +
      // The seccomp profile below: EPERM for mkdir, an errno of its own for uname, a rule
      // with an argument condition, and a kill.
      'mkdir /m 2>/dev/null; echo mkdir=$?; uname -s; touch /dev/shm/t 2>/dev/null; echo touch=$?; ' +
      'sh -c sync; echo killed=$?; exit 3';
    const dir = bundle('cmp', (c) => {
      c.process.args = ['sh', '-c', script];
      c.hostname = 'box';
      c.process.user.umask = 0o027;
      c.linux.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
          { names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 22 },
          { names: ['utimensat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 3, value: 0, op: 'SCMP_CMP_EQ' }] },
          { names: ['sync'], action: 'SCMP_ACT_KILL' },
        ],
      };
    });
    const ours = tsvisor(['run', '--bundle', dir, 'cmp1']);
    const theirs = spawnSync(RUNC, ['--root', join(base, 'runc-state'), 'run', '--bundle', dir, 'cmp1'], { encoding: 'utf8' });
    assert.equal(theirs.status, 3, `runc: ${explain(theirs)}`);
    assert.equal(ours.stdout, theirs.stdout, `runc:\n${theirs.stdout}\ntsvisor:\n${ours.stdout}\n${ours.stderr}`);
    assert.equal(ours.status, 3, explain(ours));
    assert.deepEqual(leftovers(), []);
  });

  await t.test('run: user, groups, rlimits, umask, hostname and exit status', () => {
    const dir = bundle('ident', (c) => {
      c.process.user = { uid: 65534, gid: 65534, additionalGids: [4, 7], umask: 0o077 };
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 77, hard: 88 }];
      c.hostname = 'inside';
      c.process.args = ['sh', '-c', 'id; ulimit -n; ulimit -Hn; umask; hostname; grep CapEff /proc/self/status; exit 42'];
    });
    const r = tsvisor(['run', '--bundle', dir, 'ident']);
    assert.equal(r.status, 42, explain(r));
    assert.equal(r.stdout,
      'uid=65534(nobody) gid=65534(nogroup) groups=4,7\n77\n88\n0077\ninside\nCapEff:\t0000000000000000\n');
  });

  await t.test('hooks run in order with the state on stdin', () => {
    const log = join(base, 'hooks.log');
    const hook = join(base, 'hook.sh');
    writeFileSync(hook, `#!/bin/sh\n{ printf '%s ' "$1"; cat; echo; } >> ${log}\n`);
    chmodSync(hook, 0o755);
    const dir = bundle('hooks', (c) => {
      c.hooks = Object.fromEntries(['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']
        .map((k) => [k, [{ path: hook, args: ['hook.sh', k] }]]));
      c.process.args = ['true'];
    });
    symlinkSync('busybox', join(dir, 'rootfs', 'bin', 'true'));
    const r = tsvisor(['run', '--bundle', dir, 'hooked']);
    assert.equal(r.status, 0, explain(r));
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => {
      const [kind, json] = [l.slice(0, l.indexOf(' ')), JSON.parse(l.slice(l.indexOf(' ') + 1))];
      return `${kind} ${json.id} ${json.status} ${json.bundle === dir}`;
    });
    assert.deepEqual(lines, ['prestart hooked creating true', 'createRuntime hooked creating true',
      'createContainer hooked creating true', 'poststart hooked running true', 'poststop hooked stopped true']);
  });

  await t.test('startContainer hooks run inside the container, before its process; a failure stops it', () => {
    // The hook's path is the container's; it sees the container's files and gets the state.
    const dir = bundle('starthook', (c) => {
      c.root.readonly = false;
      c.process.args = ['sh', '-c', 'cat /hooked'];
      c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /hooked; echo hook ran'] }] };
    });
    let r = tsvisor(['run', '--bundle', dir, 'starthook']);
    assert.equal(r.status, 0, explain(r));
    const [first, state] = r.stdout.split('\n');
    assert.equal(first, 'hook ran');
    const st = JSON.parse(state);
    assert.equal(st.id, 'starthook');
    assert.equal(st.status, 'created');
    assert.equal(st.bundle, dir);

    // A failing hook fails the start, and nothing of the container is left.
    const bad = bundle('starthook-bad', (c) => {
      c.process.args = ['echo', 'must not run'];
      c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
    });
    r = tsvisor(['run', '--bundle', bad, 'starthook-bad']);
    assert.equal(r.status, 1, explain(r));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'tsvisor: startContainer hook /bin/sh failed: exit status 3\n');
    assert.deepEqual(leftovers(), []);

    // One that outlives its timeout is killed, and fails the same way.
    const slow = bundle('starthook-slow', (c) => {
      c.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'while :; do :; done'], timeout: 1 }] };
    });
    const t0 = Date.now();
    r = tsvisor(['run', '--bundle', slow, 'starthook-slow']);
    assert.equal(r.status, 1, explain(r));
    assert.match(r.stderr, /startContainer hook \/bin\/sh failed: killed by signal 9/);
    assert.ok(Date.now() - t0 < 20_000);
    assert.deepEqual(leftovers(), []);
  });

  await t.test('--keep leaves a stopped container for state, list and delete', () => {
    const dir = bundle('keep', (c) => { c.process.args = ['true']; });
    symlinkSync('busybox', join(dir, 'rootfs', 'bin', 'true'));
    let r = tsvisor(['run', '--keep', '--bundle', dir, 'kept']);
    assert.equal(r.status, 0, explain(r));
    r = tsvisor(['state', 'kept']);
    assert.equal(r.status, 0, explain(r));
    const st = JSON.parse(r.stdout);
    assert.equal(st.id, 'kept');
    assert.equal(st.status, 'stopped');
    assert.equal(st.bundle, dir);
    assert.equal(st.rootfs, join(dir, 'rootfs'));
    r = tsvisor(['list', '--quiet']);
    assert.equal(r.stdout, 'kept\n');
    r = tsvisor(['list', '--format', 'json']);
    assert.equal(JSON.parse(r.stdout)[0].id, 'kept');
    // A second container with the same id is refused, and nothing of it is left behind.
    r = tsvisor(['run', '--bundle', dir, 'kept']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container with id exists: kept/);
    r = tsvisor(['delete', 'kept']);
    assert.equal(r.status, 0, explain(r));
    assert.deepEqual(leftovers(), []);
    r = tsvisor(['delete', 'kept']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container does not exist: kept/);
    r = tsvisor(['delete', '--force', 'kept']);
    assert.equal(r.status, 0, explain(r));
    r = tsvisor(['state', 'kept']);
    assert.match(r.stderr, /container does not exist/);
  });

  await t.test('bad input gets a clear error and leaves no state behind', () => {
    const good = bundle('bad-base', (c) => { c.process.args = ['true']; });
    const variant = (name, edit) => {
      const dir = join(base, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      symlinkSync(join(good, 'rootfs'), join(dir, 'rootfs'));
      const cfg = JSON.parse(readFileSync(join(good, 'config.json'), 'utf8'));
      const text = edit(cfg);
      writeFileSync(join(dir, 'config.json'), typeof text === 'string' ? text : JSON.stringify(cfg));
      return dir;
    };
    const cases = [
      ['missing bundle', ['run', '--bundle', join(base, 'nope'), 'x'], /bundle .*nope: no such directory/],
      ['malformed JSON', ['run', '--bundle', variant('bad-json', () => '{"ociVersion": '), 'x'], /config\.json: invalid JSON/],
      ['wrong type', ['run', '--bundle', variant('bad-uid', (c) => { c.process.user.uid = 'zero'; }), 'x'],
        /process\.user\.uid: must be an integer/],
      ['unknown field', ['run', '--bundle', variant('bad-field', (c) => { c.process.colour = 'blue'; }), 'x'],
        /process\.colour: not supported by tsvisor/],
      ['unknown capability', ['run', '--bundle', variant('bad-cap', (c) => { c.process.capabilities.bounding = ['CAP_FLY']; }), 'x'],
        /process\.capabilities\.bounding\[0\]: unknown capability "CAP_FLY"/],
      ['bad mount', ['run', '--bundle', variant('bad-mount', (c) => { c.mounts.push({ destination: 'rel', type: 'tmpfs' }); }), 'x'],
        /mounts\[\d+\]\.destination: "rel" is not an absolute path/],
      ['unknown namespace', ['run', '--bundle', variant('bad-ns', (c) => { c.linux.namespaces.push({ type: 'galaxy' }); }), 'x'],
        /linux\.namespaces\[5\]\.type: unknown namespace type "galaxy"/],
      ['missing root', ['run', '--bundle', variant('bad-root', (c) => { c.root.path = 'missing'; }), 'x'],
        /root\.path: .*missing is not a directory/],
      ['pid file in a missing directory', ['run', '--pid-file', join(base, 'no', 'such', 'pid'), '--bundle', good, 'x'],
        /--pid-file .*: no such directory/],
      ['bad container id', ['run', '--bundle', good, 'a/b'], /invalid container id format: a\/b/],
      ['missing id', ['run', '--bundle', good], /expected exactly one container id/],
    ];
    for (const [name, args, msg] of cases) {
      const r = tsvisor(args);
      assert.notEqual(r.status, 0, `${name}: ${explain(r)}`);
      assert.match(r.stderr, msg, `${name}: ${explain(r)}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line of error\n${r.stderr}`);
      assert.deepEqual(leftovers(), [], `${name} left state behind`);
    }
  });

  await t.test('create, start, ps, kill, state and delete, as containerd\'s shim drives them', () => {
    const dir = bundle('life', (c) => {
      c.process.args = ['sh', '-c', 'echo started; trap "echo got TERM; exit 7" TERM; while :; do sleep 0.05; done'];
    });
    // Like the shim: a subreaper runs create, then waits for the pid in the pid file and
    // takes its exit status as the container's.
    const py = [
      'import ctypes, json, os, subprocess, sys, time',
      'ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)',
      'T = [sys.argv[1], sys.argv[2], "--root", sys.argv[3]]',
      'def run(*a):',
      '    r = subprocess.run(T + list(a), capture_output=True, text=True)',
      '    return r.returncode, r.stdout, r.stderr.strip()',
      '# The container\'s stdio are create\'s: a file here, as the shim gives it fifos.',
      'out = open(sys.argv[5] + ".out", "w+")',
      'print("create", subprocess.run(T + ["create", "--bundle", sys.argv[4], "--pid-file", sys.argv[5], "life"], stdout=out, stderr=out).returncode)',
      'pid = int(open(sys.argv[5]).read())',
      'print("state", json.loads(run("state", "life")[1])["status"], json.loads(run("state", "life")[1])["pid"] == pid)',
      'print("start", run("start", "life")[0])',
      'print("start again", run("start", "life")[::2])',
      'time.sleep(0.3)',
      'print("ps", json.loads(run("ps", "--format", "json", "life")[1])[0])',
      'print("state", json.loads(run("state", "life")[1])["status"])',
      'r = subprocess.run(T + ["exec", "--env", "FOO=bar", "life", "sh", "-c", "echo in exec $FOO; cat; exit 5"], input="fed\\n", capture_output=True, text=True)',
      'print("exec", r.returncode, repr(r.stdout))',
      'print("exec missing", run("exec", "life", "no-such-cmd")[::2])',
      'epid = sys.argv[5] + ".exec"',
      'print("exec -d", subprocess.run(T + ["exec", "-d", "--pid-file", epid, "life", "sh", "-c", "exit 9"], stdout=out, stderr=out).returncode)',
      '_, status = os.waitpid(int(open(epid).read()), 0)',
      'print("exec -d exit", os.WEXITSTATUS(status))',
      'print("delete running", run("delete", "life")[::2])',
      'print("kill", run("kill", "life", "TERM")[0])',
      '_, status = os.waitpid(pid, 0)',
      'print("exit", os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1)',
      'print("state", json.loads(run("state", "life")[1])["status"])',
      'print("kill stopped", run("kill", "life", "TERM")[::2])',
      'print("delete", run("delete", "life")[0])',
      'print("delete gone", run("delete", "life")[::2])',
      'print("delete --force gone", run("delete", "--force", "life")[0])',
      'out.seek(0); print("output", repr(out.read()))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py, process.execPath, TSVISOR, stateRoot, dir, join(base, 'life.pid')],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, explain(r));
    assert.equal(r.stdout, [
      'create 0', 'state created True', 'start 0',
      "start again (1, 'tsvisor: cannot start an already running container')",
      'ps 1',
      'state running', "exec 5 'in exec bar\\nfed\\n'", "exec missing (1, 'tsvisor: no-such-cmd: command not found')",
      'exec -d 0', 'exec -d exit 9', "delete running (1, 'tsvisor: cannot delete container life that is not stopped: running')",
      'kill 0', 'exit 7', 'state stopped', "kill stopped (1, 'tsvisor: container not running')",
      'delete 0', "delete gone (1, 'tsvisor: container does not exist: life')", 'delete --force gone 0',
      "output 'started\\ngot TERM\\n'", '',
    ].join('\n'));
    assert.deepEqual(leftovers(), []);
  });

  await t.test('create errors leave nothing behind; a created container can be deleted', () => {
    const dir = bundle('life2', (c) => { c.process.args = ['sh', '-c', 'exit 0']; });
    // No pipes: the sandbox process keeps create's stdio, and spawnSync would wait for it.
    let r = tsvisor(['create', '--bundle', dir, 'dup'], { stdio: 'ignore' });
    assert.equal(r.status, 0, explain(r));
    r = tsvisor(['create', '--bundle', dir, 'dup']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /container with id exists: dup/);
    r = tsvisor(['delete', 'dup']);
    assert.equal(r.status, 0, explain(r));
    r = tsvisor(['create', '--bundle', join(base, 'nope'), 'x']);
    assert.match(r.stderr, /no such directory/);
    r = tsvisor(['start', 'nope']);
    assert.match(r.stderr, /container does not exist: nope/);
    r = tsvisor(['kill', 'nope', 'KILL']);
    assert.match(r.stderr, /container does not exist: nope/);
    r = tsvisor(['kill', 'x', 'SIGBOGUS']);
    assert.match(r.stderr, /invalid signal: SIGBOGUS|does not exist/);
    assert.deepEqual(leftovers(), []);
  });

  await t.test('features and --version describe the runtime', () => {
    let r = tsvisor(['features']);
    assert.equal(r.status, 0, explain(r));
    const f = JSON.parse(r.stdout);
    assert.equal(f.ociVersionMax, '1.2.0');
    assert.ok(f.linux.capabilities.includes('CAP_SYS_ADMIN'));
    r = spawnSync(process.execPath, [TSVISOR, '--version'], { encoding: 'utf8' });
    assert.match(r.stdout, /^tsvisor version \S+\nspec: 1\.2\.0\n$/);
    assert.ok(ROOT.length > 0);
  });
});
