// docs/COMPATIBILITY.md must be what the syscall table says (regenerate: npm run docs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { renderCompatibility } = require('../../dist/syscalls/gendoc.js');
const { buildTable } = require('../../dist/syscalls/index.js');

test('COMPATIBILITY.md is generated from the current syscall table', () => {
  const want = renderCompatibility(buildTable());
  const have = readFileSync(new URL('../../docs/COMPATIBILITY.md', import.meta.url), 'utf8');
  assert.ok(have === want, 'docs/COMPATIBILITY.md is stale: run `npm run docs`');
});

test('every partial or unsupported-with-reason entry says why', () => {
  for (const info of buildTable().info) {
    if (info === undefined) continue;
    if (info.support === 'partial') assert.notEqual(info.note, '', `${info.name} is partial without a note`);
  }
});
