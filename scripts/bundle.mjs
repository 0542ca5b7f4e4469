// Bundles the compiled CLI (dist/cli/main.js and everything it requires) into one file,
// dist/cli/tsvisor.js, which bin/tsvisor loads: node then reads and compiles one file
// instead of resolving and loading some 150 modules, which saves about 20 ms at every
// start of a sandbox process and of a runtime command (measured by bench/run.mjs).
// The modules a command loads on demand stay lazy inside the bundle.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: join(root, 'dist', 'cli', 'tsvisor.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The native addon is found at run time, relative to dist/cli (platform/native.ts).
  external: ['*.node'],
  logLevel: 'warning',
});
