// Bundles the compiled CLI (dist/cli/main.js and everything it requires) into one file,
// dist/cli/tsvisor.js, and makes V8's code cache for it (dist/cli/tsvisor.js.cache);
// bin/tsvisor loads both. Node then reads and compiles one file instead of resolving and
// loading some 150 modules, and takes the compiled code of what the warm-up ran from the
// cache: about 35 ms less at every start of a sandbox process (measured by bench/run.mjs).
// The modules a command loads on demand stay lazy inside the bundle.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'tsvisor.js');
const cache = `${bundle}.cache`;
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The native addon is found at run time, relative to dist/cli (platform/native.ts).
  external: ['*.node'],
  logLevel: 'warning',
});
rmSync(cache, { force: true });
// The warm-up: a whole sandbox in this one process (--unconfined), so the cache holds the
// sentry's start-up code as well as the command line's.
const r = spawnSync(process.execPath, [join(root, 'bin', 'tsvisor'), 'do', '--unconfined', '--', '/bin/true'], {
  env: { ...process.env, TSVISOR_WRITE_CODE_CACHE: cache },
  stdio: 'ignore',
  timeout: 60_000,
});
if (r.status !== 0) {
  // No sandbox here (a build host without ptrace, say): the top-level code only.
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle });
  writeFileSync(cache, script.createCachedData());
}
