// `npm test`: runs the unit tests and the sandbox tests with node's built-in runner.
//
// --test-concurrency=1 because every sandbox pins its tracer and stubs to CPUs and this kind of
// machine has 2 cores: test files running side by side would measure each other's scheduling,
// not the sandbox. Node 20 does not expand globs in `node --test` arguments, so the file list is
// built here. Extra arguments are passed through (e.g. `npm test -- test/sandbox.test.mjs` runs
// only that file, `npm test -- --test-name-pattern=mmap` filters by name).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testDir = dirname(fileURLToPath(import.meta.url));
const root = join(testDir, '..');

// The sandbox tests need the compiled CLI and the native addon; without them every test would
// fail with a confusing spawn error, so say what to do instead.
const needed = ['build/Release/tsvisor_native.node', 'dist/cli/main.js'];
const missing = needed.filter((p) => !existsSync(join(root, p)));
if (missing.length) {
  console.error(`tsvisor is not built: missing ${missing.join(', ')}.\n` +
    `Run \`npm install\` in ${root} first (it builds the native addon and compiles the TypeScript).`);
  process.exit(2);
}

const list = (dir) => existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => relative(root, join(dir, f)))
  : [];

const args = process.argv.slice(2);
const fileArgs = args.filter((a) => !a.startsWith('-'));
const flagArgs = args.filter((a) => a.startsWith('-'));
const files = fileArgs.length ? fileArgs : [...list(join(testDir, 'unit')), ...list(testDir)];

const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...flagArgs, ...files], {
  cwd: root,
  stdio: 'inherit',
});
if (r.error) {
  console.error(`could not start the test runner: ${r.error.message}`);
  process.exit(2);
}
process.exit(r.status ?? 1);
