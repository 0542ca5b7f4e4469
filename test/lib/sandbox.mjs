// Running a command natively and inside `tsvisor do`, and comparing the two runs.
// Both runs get the same argv, stdin, cwd and environment, so any difference in stdout or exit
// status is the sandbox's doing (the host kernel is the oracle).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
// TSVISOR=path runs the same suite against another build (or another runtime with the same
// `do` command line); by default, this checkout's bin/tsvisor.
export const TSVISOR = process.env.TSVISOR || join(ROOT, 'bin', 'tsvisor');

// A wedged sandbox must fail its own test, not hang the suite. SIGKILL because a sentry stuck in
// a native wait loop may not react to SIGTERM, and spawnSync would then wait forever.
export const TIMEOUT_MS = 60_000;

/**
 * @typedef {{ stdout: Buffer, stderr: Buffer, status: number|null, signal: string|null,
 *             error?: Error, argv: string[] }} RunResult
 * @typedef {{ input?: string|Buffer, cwd?: string, env?: Record<string,string>,
 *             timeout?: number }} RunOpts
 * Sandbox-only opts: rootfs, strace, sandboxCwd (--cwd), sandboxEnv (--env K=V list), args
 * (extra flags before `--`).
 */

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    // Always a pipe that is closed after the input, so nothing waits on the terminal. Passed as
    // a Buffer: with encoding 'buffer' node cannot encode a string input itself.
    input: Buffer.from(opts.input ?? ''),
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    timeout: opts.timeout ?? TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
    encoding: 'buffer',
  });
  const res = {
    stdout: r.stdout ?? Buffer.alloc(0),
    stderr: r.stderr ?? Buffer.alloc(0),
    status: r.status,
    signal: r.signal,
    argv: [cmd, ...args],
  };
  if (r.error) {
    res.error = r.error;
    if (r.error.code === 'ETIMEDOUT') res.error = new Error(`timed out after ${(opts.timeout ?? TIMEOUT_MS) / 1000}s: ${res.argv.join(' ')}`);
  }
  return res;
}

/** Run argv natively. @param {string[]} argv @param {RunOpts} [opts] @returns {RunResult} */
export function runNative(argv, opts = {}) {
  return run(argv[0], argv.slice(1), opts);
}

/**
 * Run argv as `tsvisor do [flags] -- argv...`. tsvisor is started with this node binary so the
 * tests do not depend on `node` being on PATH. @returns {RunResult}
 */
export function runSandbox(argv, opts = {}) {
  const flags = [];
  if (opts.rootfs) flags.push('--rootfs', opts.rootfs);
  if (opts.strace) flags.push('--strace');
  if (opts.sandboxCwd) flags.push('--cwd', opts.sandboxCwd);
  for (const kv of opts.sandboxEnv ?? []) flags.push('--env', kv);
  flags.push(...(opts.args ?? []));
  // A JS entry point is started with this node binary, so the tests need no `node` on PATH.
  const isNodeScript = TSVISOR.endsWith('.js') || TSVISOR.endsWith('.mjs') || TSVISOR === join(ROOT, 'bin', 'tsvisor');
  return isNodeScript
    ? run(process.execPath, [TSVISOR, 'do', ...flags, '--', ...argv], opts)
    : run(TSVISOR, ['do', ...flags, '--', ...argv], opts);
}

function describeStatus(r) {
  if (r.error) return `error: ${r.error.message}`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.status}`;
}

// Exit status as a shell would report it: tsvisor turns an app's signal death into 128+signo,
// so a native signal death is compared in the same terms.
const SIGNO = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSYS: 31 };
export function shellStatus(r) {
  if (r.signal) return 128 + (SIGNO[r.signal] ?? 0);
  return r.status;
}

/**
 * A line diff in unified style ("-" native only, "+" sandbox only, " " common), from a longest
 * common subsequence. Outputs here are small; past a size limit it falls back to showing the
 * first differing line, which is what matters most.
 */
export function lineDiff(a, b, context = 3) {
  const A = a.split('\n');
  const B = b.split('\n');
  if (A.length * B.length > 4_000_000) {
    let i = 0;
    while (i < A.length && i < B.length && A[i] === B[i]) i++;
    return `(outputs too large for a full diff) first difference at line ${i + 1}:\n-${A[i] ?? '<eof>'}\n+${B[i] ?? '<eof>'}`;
  }
  const n = A.length, m = B.length;
  const L = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = A[i] === B[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const ops = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && A[i] === B[j]) { ops.push([' ', A[i]]); i++; j++; }
    else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) { ops.push(['+', B[j]]); j++; }
    else { ops.push(['-', A[i]]); i++; }
  }
  // Keep only changed lines and `context` lines around them.
  const keep = new Array(ops.length).fill(false);
  ops.forEach(([k], idx) => {
    if (k !== ' ') for (let d = -context; d <= context; d++) if (ops[idx + d]) keep[idx + d] = true;
  });
  const out = [];
  let skipped = false;
  ops.forEach(([k, line], idx) => {
    if (keep[idx]) { out.push(`${k}${line}`); skipped = false; }
    else if (!skipped) { out.push('@@ ... @@'); skipped = true; }
  });
  return out.join('\n');
}

function tail(buf, max = 6000) {
  const s = buf.toString('utf8');
  return s.length > max ? `...(${s.length - max} chars cut)...\n${s.slice(-max)}` : s;
}

/**
 * Assert that a sandbox run printed exactly what the native run printed and ended the same way.
 * On mismatch the message has the status of both, a line diff of stdout (- native, + sandbox),
 * and the sandbox's stderr, which is where its log and any internal error end up.
 */
export function assertSame(native, sandbox, label = '') {
  if (native.error) assert.fail(`${label}: the native run itself failed (${native.error.message}); fix the test, not the sandbox`);
  const sameOut = Buffer.compare(native.stdout, sandbox.stdout) === 0;
  const sameStatus = !sandbox.error && !sandbox.signal && shellStatus(native) === sandbox.status;
  if (sameOut && sameStatus) return;
  const parts = [`${label ? label + ': ' : ''}sandbox differs from native`];
  parts.push(`  command: ${native.argv.join(' ')}`);
  parts.push(`  status: native ${describeStatus(native)} (shell status ${shellStatus(native)}), sandbox ${describeStatus(sandbox)}`);
  if (!sameOut) {
    parts.push('--- stdout diff (- native, + sandbox) ---');
    parts.push(lineDiff(native.stdout.toString('utf8'), sandbox.stdout.toString('utf8')));
  } else {
    parts.push('(stdout identical)');
  }
  parts.push('--- sandbox stderr ---');
  parts.push(tail(sandbox.stderr) || '(empty)');
  assert.fail(parts.join('\n'));
}
