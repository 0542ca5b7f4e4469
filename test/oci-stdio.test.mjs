// The OCI runtime's stdio features: exec --tty (the terminal's master over --console-socket
// with --detach, or relayed on the caller's own terminal), --preserve-fds for run, create
// and exec, and run --detach. Terminals are driven from python3 (pty, SCM_RIGHTS), as a
// console-socket client (containerd's shim, conmon) or a terminal emulator would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, openSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TSVISOR } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const base = `/tmp/tsvisor-stdio-${process.pid}`;
const stateRoot = join(base, 'state');
const T = [process.execPath, TSVISOR, '--root', stateRoot];

/**
 * A runtime call. Its stdout and stderr are files, not pipes: a sandbox process or waiting
 * exec inherits them, and reading pipes to their end would wait for those to end too.
 */
function tsvisor(args) {
  const out = join(base, 'call.out'), err = join(base, 'call.err');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync(T[0], [...T.slice(1), ...args], { timeout: 60_000, killSignal: 'SIGKILL', stdio: ['ignore', ...fds] });
    return { ...r, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    fds.forEach(closeSync);
    rmSync(out, { force: true });
    rmSync(err, { force: true });
  }
}

function explain(r) {
  return `status ${r.status}${r.error ? ` (${r.error.message})` : ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** A bundle with a busybox rootfs and `tsvisor spec`'s config, edited by edit(config). */
function bundle(name, edit = () => {}) {
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'rootfs', 'bin', 'busybox'));
  chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'echo', 'ls', 'cat', 'tty', 'env', 'sleep', 'test', 'stty', 'cut', 'true']) {
    symlinkSync('busybox', join(dir, 'rootfs', 'bin', a));
  }
  const r = tsvisor(['spec', '--bundle', dir]);
  assert.equal(r.status, 0, explain(r));
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = ['sleep', '100'];
  edit(cfg);
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  return dir;
}

const leftovers = () => (existsSync(stateRoot) ? readdirSync(stateRoot) : []);

/** A created and started container (`sleep 100` unless edited); ends with a forced delete. */
function running(t, name, edit) {
  const dir = bundle(name, edit);
  let r = tsvisor(['create', '--bundle', dir, name]);
  assert.equal(r.status, 0, explain(r));
  t.after(() => tsvisor(['delete', '--force', name]));
  r = tsvisor(['start', name]);
  assert.equal(r.status, 0, explain(r));
  return dir;
}

// Both Python helpers below: read the terminal m until its end (EIO) or the time is up,
// writing send (and calling on_send) once marker has been seen in the output.
const PY_PUMP = String.raw`
def pump(m, marker, send, seconds, on_send=None):
    out, sent = b'', not marker
    deadline = time.time() + seconds
    while time.time() < deadline:
        if not sent and marker in out:
            if send:
                os.write(m, send)
            if on_send:
                on_send()
            sent = True
        r, _, _ = select.select([m], [], [], 0.2)
        if r:
            try:
                d = os.read(m, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
    return out
`;

// A console-socket client: listens at argv[1], prints "listening", takes one connection and
// the fd it carries (the master), writes argv[3] (escapes allowed) and sets the window size
// to argv[4] ("rows,cols", if given) once argv[2] has been seen in the output, reads until
// the terminal's end (EIO) or 20 s, and prints JSON.
const CONSOLE_CLIENT = String.raw`
import fcntl, json, os, select, socket, struct, sys, termios, time
` + PY_PUMP + String.raw`
path, marker, send = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode().decode('unicode_escape').encode('latin1')
resize = [int(x) for x in sys.argv[4].split(',')] if len(sys.argv) > 4 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
print('listening', flush=True)
s.settimeout(30)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 4)
m = fds[0]
rows, cols = struct.unpack('HHHH', fcntl.ioctl(m, termios.TIOCGWINSZ, b'\0' * 8))[:2]
def on_send():
    if resize:
        fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack('HHHH', resize[0], resize[1], 0, 0))
out = pump(m, marker, send, 20, on_send)
print(json.dumps({'name': msg.decode('latin1'), 'fds': len(fds), 'isatty': os.isatty(m), 'rows': rows, 'cols': cols,
                  'out': out.decode('latin1')}), flush=True)
`;

/** Starts the console-socket client; resolves once it listens, to a promise of its report. */
function consoleClient(sock, marker = '', send = '', resize = undefined) {
  const args = ['-c', CONSOLE_CLIENT, sock, marker, send, ...(resize !== undefined ? [resize] : [])];
  const child = spawn('python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((listening, failed) => {
    const report = new Promise((resolve, reject) => {
      child.on('exit', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (code !== 0 || line === undefined) reject(new Error(`console client: status ${code}\n${out}\n${err}`));
        else resolve(JSON.parse(line));
      });
    });
    child.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('listening\n')) listening({ report, kill: () => child.kill('SIGKILL') });
    });
    child.on('exit', (code) => failed(new Error(`console client ended before listening: ${code}\n${err}`)));
  });
}

// A terminal emulator: runs argv on a new pty (window 24x77), types argv[1] once argv[0] has
// been seen in the output, and prints JSON with the output and exit status.
const TERMINAL = String.raw`
import json, os, pty, select, struct, fcntl, termios, sys, time
` + PY_PUMP + String.raw`
marker, send, argv = sys.argv[1].encode(), sys.argv[2].encode().decode('unicode_escape').encode('latin1'), sys.argv[3:]
pid, m = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 77, 0, 0))
out = pump(m, marker, send, 40)
_, st = os.waitpid(pid, 0)
print(json.dumps({'out': out.decode('latin1'), 'status': os.waitstatus_to_exitcode(st)}))
`;

function onTerminal(marker, send, args) {
  const r = spawnSync('python3', ['-c', TERMINAL, marker, send, ...T, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, explain(r));
  return JSON.parse(r.stdout);
}

// Runs the first of a JSON list of commands with pipes on its fds 3 and 4 (as a caller of
// runc with --preserve-fds 2 hands them over), then the others; prints JSON with the exit
// statuses and what came through each pipe, read to its end (which comes only once every
// copy of the write ends is closed, in the sandbox too).
const WITH_PIPES = String.raw`
import json, os, subprocess, sys, threading
cmds = json.loads(sys.argv[1])
r1, w1 = os.pipe()
r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    a, b = os.dup(w1), os.dup(w2)
    os.dup2(a, 3)
    os.dup2(b, 4)
    for fd in (r1, w1, r2, w2, a, b):
        if fd > 4:
            os.close(fd)
    null = os.open('/dev/null', os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.execv(cmds[0][0], cmds[0])
os.close(w1)
os.close(w2)
got = {}
def drain(name, fd):
    data = b''
    while True:
        d = os.read(fd, 4096)
        if not d:
            break
        data += d
    got[name] = data.decode()
ts = [threading.Thread(target=drain, args=(n, fd)) for n, fd in (('fd3', r1), ('fd4', r2))]
for t in ts: t.start()
_, st = os.waitpid(pid, 0)
statuses = [os.waitstatus_to_exitcode(st)]
for c in cmds[1:]:
    statuses.append(subprocess.run(c, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)
for t in ts: t.join(30)
print(json.dumps({'status': statuses, **got}))
`;

/** withPipes(args, then...): the runtime call args with the pipes, then the calls then. */
function withPipes(args, ...then) {
  const r = spawnSync('python3', ['-c', WITH_PIPES, JSON.stringify([args, ...then].map((a) => [...T, ...a]))],
    { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(r.status, 0, explain(r));
  return JSON.parse(r.stdout);
}

async function until(f, what) {
  for (let i = 0; i < 400; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const alive = (pid) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));

test('OCI stdio: terminals, preserved fds, run --detach', { skip: !existsSync(BUSYBOX) && 'needs busybox-static' }, async (t) => {
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  t.after(() => rmSync(base, { recursive: true, force: true }));

  await t.test('exec -d -t sends the master over the console socket; the process has the terminal', async (t) => {
    running(t, 'ttyd');
    const sock = join(base, 'console.sock');
    const client = await consoleClient(sock, 'ready', '\\x03');
    t.after(() => client.kill());
    // The process reports its terminal, that it is a session leader controlling it (stat:
    // session, tty_nr, tpgid), then waits for the ^C the client types once it is ready.
    const script = 'tty; test -t 0 && test -t 1 && test -t 2 && echo all-tty; cut -d" " -f1,6,7,8 /proc/$$/stat; ' +
      'trap "echo got INT; exit 3" INT; echo ready; while :; do sleep 0.05; done';
    const pidFile = join(base, 'ttyd.pid');
    const r = tsvisor(['exec', '-d', '-t', '--console-socket', sock, '--pid-file', pidFile, 'ttyd', 'sh', '-c', script]);
    assert.equal(r.status, 0, explain(r));
    assert.ok(Number(readFileSync(pidFile, 'utf8')) > 0);
    const rep = await client.report;
    assert.equal(rep.fds, 1);
    assert.equal(rep.isatty, true);
    const lines = rep.out.split('\r\n');
    assert.match(lines[0], /^\/dev\/pts\/\d+$/, rep.out);
    assert.equal(lines[1], 'all-tty', rep.out);
    const [pid, sid, ttyNr, tpgid] = lines[2].split(' ').map(Number);
    assert.equal(sid, pid, `a session leader: ${rep.out}`);
    assert.equal(ttyNr, (136 << 8) | Number(lines[0].slice('/dev/pts/'.length)), `its terminal controls it: ${rep.out}`);
    assert.equal(tpgid, pid, `in the foreground: ${rep.out}`);
    // ^C, typed on the master, went through the host terminal to the process's trap.
    assert.match(rep.out, /ready\r\n\^Cgot INT\r\n/, rep.out);
    await until(() => !alive(Number(readFileSync(pidFile, 'utf8'))), 'the waiting exec to end');
  });

  await t.test('exec --process with terminal and consoleSize: the window size, and its changes', async (t) => {
    running(t, 'ttysize');
    const sock = join(base, 'size.sock');
    const client = await consoleClient(sock, 'ready', '', '11,22');
    t.after(() => client.kill());
    const proc = join(base, 'size.json');
    // A resize of the master reaches the process as SIGWINCH with the new size.
    const script = 'tty; trap "stty size; exit 0" WINCH; stty size; echo ready; while :; do sleep 0.05; done';
    writeFileSync(proc, JSON.stringify({
      terminal: true, consoleSize: { height: 33, width: 101 }, args: ['sh', '-c', script],
      env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 },
    }));
    const r = tsvisor(['exec', '--detach', '--process', proc, '--console-socket', sock, 'ttysize']);
    assert.equal(r.status, 0, explain(r));
    const rep = await client.report;
    assert.equal(rep.name, '/dev/ptmx');
    assert.deepEqual([rep.rows, rep.cols], [33, 101]);
    assert.match(rep.out, /^\/dev\/pts\/\d+\r\n33 101\r\nready\r\n11 22\r\n$/, rep.out);
  });

  await t.test('exec -t in the foreground relays the caller\'s terminal (raw) and returns the status', (t) => {
    running(t, 'ttyfg');
    const res = onTerminal('ready', 'typed words\\r',
      ['exec', '-t', 'ttyfg', 'sh', '-c', 'tty; stty size; echo ready; read x; echo "read=$x"; exit 7']);
    assert.equal(res.status, 7, res.out);
    // Output processing happens once, in the container's terminal: "\r\n", not "\r\r\n".
    assert.match(res.out, /^\/dev\/pts\/\d+\r\n24 77\r\nready\r\ntyped words\r\nread=typed words\r\n$/, res.out);
    const int = onTerminal('ready', '\\x03', ['exec', '-t', 'ttyfg', 'sh', '-c', 'trap "echo got INT; exit 4" INT; echo ready; while :; do sleep 0.05; done']);
    assert.equal(int.status, 4, int.out);
    assert.match(int.out, /got INT/);
  });

  await t.test('terminal flags follow runc\'s rules', (t) => {
    running(t, 'ttyrules');
    const cases = [
      [['exec', '-d', '-t', 'ttyrules', 'true'], /--tty with --detach needs --console-socket/],
      [['exec', '--console-socket', join(base, 'x.sock'), 'ttyrules', 'true'], /--console-socket needs --tty and --detach/],
      [['exec', '-t', '--console-socket', join(base, 'x.sock'), 'ttyrules', 'true'], /--console-socket needs --tty and --detach/],
      [['exec', '-t', 'ttyrules', 'true'], /none of stdin, stdout, stderr is a terminal/],
      [['exec', '-d', '-t', '--console-socket', join(base, 'none.sock'), 'ttyrules', 'true'], /--console-socket .*none\.sock: cannot connect/],
      [['run', '--console-socket', join(base, 'x.sock'), 'x'], /--console-socket needs --detach/],
    ];
    for (const [args, msg] of cases) {
      const r = tsvisor(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${explain(r)}`);
      assert.match(r.stderr, msg, `${args.join(' ')}: ${explain(r)}`);
    }
  });

  await t.test('create with process.terminal: the pty is /dev/pts/0 (and /dev/console), init\'s controlling terminal', async (t) => {
    const dir = bundle('console', (c) => {
      c.process.terminal = true;
      c.process.consoleSize = { height: 20, width: 60 };
      c.process.args = ['sh', '-c', 'tty; stty size; cut -d" " -f1,6,7,8 /proc/$$/stat; ' +
        'test /dev/console -ef /dev/pts/0 || echo console differs; trap "echo got INT; exit 5" INT; ' +
        'echo ready; while :; do sleep 0.05; done'];
    });
    const sock = join(base, 'create.sock');
    const client = await consoleClient(sock, 'ready', '\\x03');
    t.after(() => client.kill());
    const pidFile = join(base, 'console.pid');
    let r = tsvisor(['create', '--bundle', dir, '--console-socket', sock, '--pid-file', pidFile, 'console']);
    assert.equal(r.status, 0, explain(r));
    t.after(() => tsvisor(['delete', '--force', 'console']));
    r = tsvisor(['start', 'console']);
    assert.equal(r.status, 0, explain(r));
    const rep = await client.report;
    assert.deepEqual([rep.rows, rep.cols], [20, 60]);
    // As runc shows it: /dev/pts/0 (tty_nr 136:0 = 34816), which /dev/console opens too;
    // init (pid 1) leads its session.
    assert.match(rep.out, /^\/dev\/pts\/0\r\n20 60\r\n1 1 34816 1\r\nready\r\n\^Cgot INT\r\n/, rep.out);
    await until(() => !alive(Number(readFileSync(pidFile, 'utf8'))), 'the sandbox process to end');
    assert.equal(tsvisor(['delete', 'console']).status, 0);
  });

  await t.test('--preserve-fds 2: pipes on fds 3 and 4 reach the process (run, create, exec)', async (t) => {
    const script = 'echo hi >&3; echo there >&4; env | grep -c LISTEN_ >&3; exit 0';
    const dir = bundle('pres-run', (c) => { c.process.args = ['sh', '-c', script]; });
    let res = withPipes(['run', '--preserve-fds', '2', '--bundle', dir, 'pres-run']);
    // runc sets no LISTEN_FDS/LISTEN_PID for preserved fds: grep counts 0 lines.
    assert.deepEqual(res, { status: [0], fd3: 'hi\n0\n', fd4: 'there\n' });

    // create hands them to the sandbox process, which gives them to init when it starts.
    const cdir = bundle('pres-create', (c) => { c.process.args = ['sh', '-c', script]; });
    t.after(() => tsvisor(['delete', '--force', 'pres-create']));
    res = withPipes(['create', '--preserve-fds', '2', '--bundle', cdir, 'pres-create'], ['start', 'pres-create']);
    assert.deepEqual(res, { status: [0, 0], fd3: 'hi\n0\n', fd4: 'there\n' });
    assert.equal(tsvisor(['delete', '--force', 'pres-create']).status, 0);

    // exec sends them with its stdio; the sandbox's copies go when the process ends.
    running(t, 'pres-exec');
    res = withPipes(['exec', '--preserve-fds', '2', 'pres-exec', 'sh', '-c', script]);
    assert.deepEqual(res, { status: [0], fd3: 'hi\n0\n', fd4: 'there\n' });
    res = withPipes(['exec', '-d', '--preserve-fds', '2', 'pres-exec', 'sh', '-c', 'sleep 0.2; ' + script]);
    assert.deepEqual(res, { status: [0], fd3: 'hi\n0\n', fd4: 'there\n' });

    // Bad counts, and fds the caller did not pass, are refused with the flag named.
    for (const [args, msg] of [
      [['exec', '--preserve-fds', '1', 'pres-exec', 'true'], /--preserve-fds 1: fd 3 is not open/],
      [['exec', '--preserve-fds', '-1', 'pres-exec', 'true'], /--preserve-fds -1: expected a non-negative integer/],
      [['run', '--preserve-fds', 'two', '--bundle', dir, 'x'], /--preserve-fds two: expected a non-negative integer/],
      [['create', '--preserve-fds', '3', '--bundle', dir, 'x'], /--preserve-fds 3: fd 3 is not open/],
    ]) {
      const r = tsvisor(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${explain(r)}`);
      assert.match(r.stderr, msg, `${args.join(' ')}: ${explain(r)}`);
    }
  });

  await t.test('run -d: running once it returns, then kill and delete', async () => {
    const dir = bundle('detached', (c) => { c.process.args = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.05; done']; });
    const pidFile = join(base, 'detached.pid');
    let r = tsvisor(['run', '-d', '--pid-file', pidFile, '--bundle', dir, 'detached']);
    assert.equal(r.status, 0, explain(r));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    r = tsvisor(['state', 'detached']);
    const st = JSON.parse(r.stdout);
    assert.equal(st.status, 'running');
    assert.equal(st.pid, pid);
    assert.ok(alive(pid));
    r = tsvisor(['ps', '--format', 'json', 'detached']);
    assert.deepEqual(JSON.parse(r.stdout)[0], 1);
    r = tsvisor(['delete', 'detached']);
    assert.match(r.stderr, /not stopped: running/);
    assert.equal(tsvisor(['kill', 'detached', 'TERM']).status, 0);
    await until(() => !alive(pid), 'the sandbox process to end');
    assert.equal(JSON.parse(tsvisor(['state', 'detached']).stdout).status, 'stopped');
    assert.equal(tsvisor(['delete', 'detached']).status, 0);
    // A second run -d with the same id while one exists is refused, and leaves nothing.
    r = tsvisor(['run', '-d', '--bundle', dir, 'twice']);
    assert.equal(r.status, 0, explain(r));
    r = tsvisor(['run', '-d', '--bundle', dir, 'twice']);
    assert.match(r.stderr, /container with id exists: twice/);
    assert.equal(tsvisor(['delete', '--force', 'twice']).status, 0);
    assert.deepEqual(leftovers(), []);
  });
});
