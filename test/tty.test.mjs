// Terminals, interactively. (1) test/programs/pty_shell.c opens /dev/ptmx itself and drives a
// `busybox sh -i` on the slave: it runs natively and inside the sandbox (where the pty, its
// line discipline and job control are the sentry's). (2) `tsvisor do -- busybox sh -i` runs on
// a HOST pseudo-terminal made by a small python3 driver (node has no pty module): the shell's
// terminal is then the host terminal passed through as the container's console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildPrograms } from './lib/build.mjs';
import { runNative, runSandbox, TSVISOR, ROOT } from './lib/sandbox.mjs';

const BUSYBOX = '/bin/busybox';
const PYTHON = '/usr/bin/python3';
const CI = !!process.env.CI;

function need(t, path, pkg) {
  if (existsSync(path)) return true;
  if (CI) throw new Error(`${path} is missing under CI=${process.env.CI}: .ci/run must install ${pkg}`);
  t.skip(`${path} is missing (apt-get install ${pkg})`);
  return false;
}

const programs = await buildPrograms();

function checkSteps(out, label) {
  const lines = out.toString().trim().split('\n');
  const failed = lines.filter((l) => !l.endsWith(': ok'));
  assert.deepEqual(failed, [], `${label}:\n${out}`);
  assert.ok(lines.length >= 12, `${label}: only ${lines.length} steps:\n${out}`);
}

test('/dev without a terminal: devpts, ptmx link, /dev/tty ENXIO, no /dev/console (as Docker without -t)', (t) => {
  if (!need(t, BUSYBOX, 'busybox-static')) return;
  const script = 'test -e /dev/console || echo no-console; readlink /dev/ptmx; ' +
    'stat -c "%F %t,%T %a" /dev/tty /dev/pts/ptmx; stat -f -c %T /dev/pts; echo x > /dev/tty; tty; echo $?';
  const r = runSandbox([BUSYBOX, 'sh', '-c', script], { cwd: '/tmp', input: '' });
  assert.equal(r.stdout.toString(), 'no-console\npts/ptmx\ncharacter special file 5,0 666\n' +
    'character special file 5,2 666\ndevpts\nnot a tty\n1\n');
  assert.match(r.stderr.toString(), /can't create \/dev\/tty: No such device or address/);
});

test('busybox sh on a pty the app opened (/dev/ptmx in the sandbox)', (t) => {
  if (!need(t, BUSYBOX, 'busybox-static')) return;
  const bin = programs.get('pty_shell').static;
  const opts = { cwd: '/tmp', timeout: 120000 };
  const native = runNative([bin, BUSYBOX], opts);
  checkSteps(native.stdout, 'native');
  const sandbox = runSandbox([bin, BUSYBOX], opts);
  checkSteps(sandbox.stdout, `sandbox (stderr: ${sandbox.stderr})`);
  assert.equal(sandbox.status, 0);
});

test('bash on a pty the app opened (job control through the sandbox\'s line discipline)', (t) => {
  if (!need(t, '/bin/bash', 'bash')) return;
  const bin = programs.get('pty_shell').static;
  const opts = { cwd: '/tmp', timeout: 120000 };
  checkSteps(runNative([bin, '/bin/bash'], opts).stdout, 'native');
  const sandbox = runSandbox([bin, '/bin/bash'], opts);
  checkSteps(sandbox.stdout, `sandbox (stderr: ${sandbox.stderr})`);
});

// The host terminal passed through as the console: busybox's job control works against the
// sentry's emulated TIOCGPGRP/TIOCSPGRP, and the host terminal's ^C, ^Z and resizes (which
// signal the sentry, the host's foreground process) reach the container's foreground job.
const HOST_STEPS = [
  ['wait', 'PS1> ', 20], ['send', "echo hel''lo $((6*7))\n"], ['wait', 'hello 42\r\n'], ['wait', 'PS1> '],
  ['send', 'stty size\n'], ['wait', '24 80\r\n'], ['wait', 'PS1> '],
  ['send', 'sleep 100\n'], ['sleep', 0.7], ['send', '\u0003'], ['wait', 'PS1> ', 5],
  ['send', 'echo st=$?\n'], ['wait', 'st=130\r\n'], ['wait', 'PS1> '],
  ['winsize', 40, 100], ['sleep', 0.3], ['send', 'stty size\n'], ['wait', '40 100\r\n'], ['wait', 'PS1> '],
  ['send', 'sleep 100\n'], ['sleep', 0.7], ['send', '\u001a'], ['wait', 'PS1> ', 5],
  // `wait` reaps the killed job before the next prompt: otherwise its "Killed" notice comes
  // with a second prompt whose cursor query (ESC[6n) can swallow the next typed line.
  ['send', 'echo st=$?; kill -9 %1; wait\n'], ['wait', 'st=148\r\n'], ['wait', 'PS1> '],
  ['send', 'test -c /dev/console && test -c /dev/tty && echo devs-ok\n'], ['wait', 'devs-ok\r\n'], ['wait', 'PS1> '],
  ['send', 'exit 3\n'],
];

function hostPty(argv, steps = HOST_STEPS) {
  const r = spawnSync(PYTHON, [join(ROOT, 'test', 'lib', 'hostpty.py'), JSON.stringify(steps), '--', ...argv], {
    cwd: '/tmp', timeout: 120000,
    env: { PS1: 'PS1> ', PATH: '/usr/bin:/bin', TERM: 'dumb', HOME: '/' },
  });
  return `${r.stdout ?? ''}${r.error ? `error: ${r.error.message}` : ''}`;
}

test('busybox sh -i under tsvisor do on a host terminal', (t) => {
  if (!need(t, BUSYBOX, 'busybox-static') || !need(t, PYTHON, 'python3')) return;
  const waits = HOST_STEPS.filter((s) => s[0] === 'wait').length;
  const expected = [...Array(waits).keys()].map((i) => `wait ${i + 1}: ok`).join('\n') + '\nexit: 3\n';
  assert.equal(hostPty([BUSYBOX, 'sh', '-i']), expected, 'native');
  assert.equal(hostPty([process.execPath, TSVISOR, 'do', '--', BUSYBOX, 'sh', '-i']), expected, 'sandbox');
});

test('^C on the host terminal ends `tsvisor do -- sleep` (init has no handler)', (t) => {
  if (!need(t, BUSYBOX, 'busybox-static') || !need(t, PYTHON, 'python3')) return;
  const steps = [['sleep', 1.5], ['send', '\u0003']];
  assert.equal(hostPty([BUSYBOX, 'sleep', '100'], steps), 'exit: 130\n', 'native');
  assert.equal(hostPty([process.execPath, TSVISOR, 'do', '--', BUSYBOX, 'sleep', '100'], steps), 'exit: 130\n', 'sandbox');
});
