// The layering rule of DESIGN.md, checked on the real src/ tree, plus self-tests of the checker
// on a throwaway tree: a check that silently matched nothing would pass forever, so each kind
// of import it must catch (and each it must allow) is exercised here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayers, findImports, formatViolations, stripComments } from '../layers.mjs';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

test('src/ imports only point to the same or lower layers', () => {
  const v = checkLayers(SRC);
  assert.equal(v.length, 0, `${v.length} layering violation(s):\n${formatViolations(v)}`);
});

// Build a tree of files {relative path: content} and check it.
function checkTree(files) {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-layers-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), content);
    }
    return checkLayers(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const base = {
  'cli/main.ts': "import { boot } from '../sandbox/boot';\n",
  'sandbox/boot.ts': "import { table } from '../syscalls/table';\nexport const boot = 1;\n",
  'syscalls/table.ts': "import type { Task } from '../kernel/task';\nimport { MM } from '../mm/mm';\nexport const table = 1;\n",
  'kernel/task.ts': "import { Dentry } from '../vfs/dentry';\nimport { load } from '../loader/elf';\nexport class Task {}\n",
  'net/sock.ts': "import { File } from '../vfs/file';\nimport { TmpFS } from '../fs/tmpfs/tmpfs';\nexport class Sock {}\n",
  'vfs/dentry.ts': "import { MM } from '../mm/mm';\nexport class Dentry {}\n",
  'vfs/file.ts': 'export class File {}\n',
  'fs/tmpfs/tmpfs.ts': "import { Dentry } from '../../vfs/dentry';\nimport { Task } from '../../kernel/task';\nexport class TmpFS {}\n",
  'mm/mm.ts': "import { Queue } from '../waiter/waiter';\nexport class MM {}\n",
  'loader/elf.ts': "import { EFAULT } from '../abi/errno';\nimport { MM } from '../mm/mm';\nexport const load = 1;\n",
  'waiter/waiter.ts': "import * as E from '../abi/errno';\nexport class Queue {}\n",
  'abi/errno.ts': "import { PAGE } from '../platform/layout';\nexport const EFAULT = 14;\n",
  'platform/layout.ts': "import { native } from './native';\nexport const PAGE = 4096;\n",
  'platform/native.ts': "import * as path from 'path';\nexport const native = require(path.join(__dirname, 'x.node'));\n",
  'index.ts': "export { boot } from './sandbox/boot';\n",
};

test('checker: a well-layered tree passes (same rank vfs<->fs, downward imports, node builtins)', () => {
  assert.deepEqual(checkTree(base), []);
});

test('checker: an upward import fails and names file, line and layers', () => {
  const v = checkTree({ ...base, 'mm/bad.ts': "// fine\nimport { Task } from '../kernel/task';\n" });
  assert.equal(v.length, 1, formatViolations(v));
  assert.equal(v[0].file, 'src/mm/bad.ts');
  assert.equal(v[0].line, 2);
  assert.match(v[0].reason, /mm .* kernel/);
});

test('checker: import type counts as an import', () => {
  const v = checkTree({ ...base, 'vfs/bad.ts': "import type { Task } from '../kernel/task';\n" });
  assert.equal(v.length, 1, formatViolations(v));
  const v2 = checkTree({ ...base, 'vfs/bad.ts': "import { type Task, type X } from '../kernel/task';\n" });
  assert.equal(v2.length, 1, formatViolations(v2));
});

test('checker: type-only import of kernel/task from syscalls is allowed', () => {
  assert.deepEqual(checkTree({ ...base, 'syscalls/fs.ts': "import type { Task } from '../kernel/task';\n" }), []);
});

test('checker: multi-line imports, export-from, require, dynamic import and index imports are seen', () => {
  const files = {
    ...base,
    'platform/a.ts': "import {\n  A,\n  B,\n} from '../vfs/file';\n",
    'platform/b.ts': "export * from '../mm/mm';\n",
    'platform/c.ts': "const x = require('../kernel/task');\n",
    'platform/d.ts': "const y = import('../cli/main');\n",
    'platform/e.ts': "import '../syscalls/table';\n",
    'platform/f.ts': "import { t } from '../syscalls';\n",
    'syscalls/index.ts': 'export const t = 1;\n',
  };
  const v = checkTree(files);
  const got = v.map((x) => `${x.file}:${x.line}`).sort();
  assert.deepEqual(got, ['src/platform/a.ts:1', 'src/platform/b.ts:1', 'src/platform/c.ts:1',
    'src/platform/d.ts:1', 'src/platform/e.ts:1', 'src/platform/f.ts:1'], formatViolations(v));
});

test('checker: only platform/ may import platform/native', () => {
  const v = checkTree({ ...base, 'abi/bad.ts': "import { native } from '../platform/native';\n" });
  assert.equal(v.length, 1, formatViolations(v));
  assert.match(v[0].reason, /platform\/native/);
  // even a layer far above platform may not
  const v2 = checkTree({ ...base, 'sandbox/bad.ts': "import { native } from '../platform/native.js';\n" });
  assert.equal(v2.length, 1, formatViolations(v2));
});

test('checker: imports inside comments are ignored', () => {
  const v = checkTree({
    ...base,
    'platform/ok.ts': "// import { Task } from '../kernel/task';\n/* import '../cli/main';\n   require('../cli/main') */\nexport const url = 'http://x/y'; // a '//' in a string does not start a comment\n",
  });
  assert.deepEqual(v, [], formatViolations(v));
});

test('checker: an unknown folder is reported so it gets a rank', () => {
  const v = checkTree({ ...base, 'extras/log.ts': 'export const log = 1;\n' });
  assert.equal(v.length, 1, formatViolations(v));
  assert.match(v[0].reason, /src\/extras has no layer/);
});

test('findImports / stripComments basics', () => {
  assert.equal(stripComments('a // b\nc /* d\ne */ f').split('\n').length, 3);
  const imps = findImports("import type { A } from './a';\nimport { type B } from './b';\nimport { C, type D } from './c';\n");
  assert.deepEqual(imps.map((i) => [i.spec, i.typeOnly]), [['./a', true], ['./b', true], ['./c', false]]);
});
