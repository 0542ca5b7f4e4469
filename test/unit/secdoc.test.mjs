// docs/SECURITY.md's allow-list must be what src/sandbox/hostpolicy.ts says (regenerate: npm run docs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { updateSecurityDoc } = require('../../dist/sandbox/secdoc.js');
const { HOST_SYSCALL_GROUPS } = require('../../dist/sandbox/hostpolicy.js');

test('SECURITY.md lists the current host-syscall allow-list', () => {
  const have = readFileSync(new URL('../../docs/SECURITY.md', import.meta.url), 'utf8');
  assert.ok(updateSecurityDoc(have) === have, 'docs/SECURITY.md is stale: run `npm run docs`');
});

test('every allowed host syscall says why, once', () => {
  const seen = new Set();
  for (const g of HOST_SYSCALL_GROUPS) {
    for (const [name, why] of g.entries) {
      assert.ok(why.length >= 16, `${name}: no real reason given ("${why}")`);
      assert.ok(!seen.has(name), `${name} listed twice`);
      seen.add(name);
    }
  }
});
