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
