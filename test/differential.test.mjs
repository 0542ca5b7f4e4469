// Differential tests: every C program in test/programs/ (except the sandbox-only ones) is built
// static, static-PIE and dynamic, run natively and under `tsvisor do`, and must print exactly the
// same bytes and exit with the same status. The host kernel is the oracle: the programs print
// only what is a pure function of Linux semantics (see test/programs/check.h).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPrograms, isDifferential } from './lib/build.mjs';
import { runNative, runSandbox, assertSame } from './lib/sandbox.mjs';

const programs = await buildPrograms();
const names = [...programs.keys()].filter(isDifferential);

// The programs create their scratch directories under /tmp themselves; running them from /tmp
// keeps the cwd identical (and harmless) for both runs.
const opts = { cwd: '/tmp' };

test('the differential suite has programs', () => {
  assert.ok(names.length >= 12, `only ${names.length} differential programs found`);
});

for (const name of names) {
  test(name, async (t) => {
    for (const variant of ['static', 'spie', 'dyn']) {
      await t.test(variant, () => {
        const bin = programs.get(name)[variant];
        const native = runNative([bin], opts);
        // A program whose native output is not reproducible is a broken test, and would make
        // every sandbox comparison meaningless: catch that first, with its own message.
        const again = runNative([bin], opts);
        assert.ok(native.stdout.equals(again.stdout) && native.status === again.status,
          `${name}.${variant} is not deterministic natively; fix the program\n` +
          `first run:\n${native.stdout}\nsecond run:\n${again.stdout}`);
        assert.equal(native.status, 0, `${name}.${variant} fails natively:\n${native.stderr}`);
        const sandbox = runSandbox([bin], opts);
        assertSame(native, sandbox, `${name}.${variant}`);
      });
    }
  });
}
