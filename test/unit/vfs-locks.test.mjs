// vfs/locks.ts on its own: record-lock splitting and merging per owner, conflicts between
// owners, the deadlock walk, flock conversion, and release by owner or description.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const L = require('../../dist/vfs/locks.js');
const { BLOCKED } = require('../../dist/waiter/waiter.js');
const E = require('../../dist/abi/errno.js');

function task(tgid) {
  return { tgid, blocked: 0, interrupted: () => false, block() { this.blocked++; return BLOCKED; } };
}

/** The locks `owner` holds on inode, as "type:start-end" strings in start order. */
function held(inode, owner) {
  const out = [];
  for (let s = 0; s < 200; s++) {
    // Probe with the other lock type's strongest request from a stranger.
    const c = L.findConflict(inode, {}, L.F_WRLCK, s, s);
    if (c !== null && c.owner === owner) {
      const key = `${c.type === L.F_WRLCK ? 'W' : 'R'}:${c.start}-${c.end === Infinity ? 'inf' : c.end}`;
      if (out[out.length - 1] !== key) out.push(key);
    }
  }
  return out;
}

test('record locks split, merge and convert per owner', () => {
  const inode = {};
  const t = task(1), owner = {};
  assert.equal(L.rangeSet(t, inode, owner, false, L.F_WRLCK, 0, 9, false), 0);
  assert.equal(L.rangeSet(t, inode, owner, false, L.F_UNLCK, 3, 4, false), 0);
  assert.deepEqual(held(inode, owner), ['W:0-2', 'W:5-9']);
  assert.equal(L.rangeSet(t, inode, owner, false, L.F_WRLCK, 3, 4, false), 0);
  assert.deepEqual(held(inode, owner), ['W:0-9'], 'touching locks of one type merge');
  assert.equal(L.rangeSet(t, inode, owner, false, L.F_RDLCK, 2, 3, false), 0);
  assert.deepEqual(held(inode, owner), ['W:0-1', 'R:2-3', 'W:4-9']);
  assert.equal(L.rangeSet(t, inode, owner, false, L.F_RDLCK, 4, 5, false), 0);
  assert.deepEqual(held(inode, owner), ['W:0-1', 'R:2-5', 'W:6-9']);
  assert.equal(L.rangeSet(t, inode, owner, false, L.F_WRLCK, 100, Infinity, false), 0);
  assert.deepEqual(held(inode, owner).slice(-1), ['W:100-inf']);
  L.rangeRelease(inode, owner);
  assert.deepEqual(held(inode, owner), []);
});

test('conflicts between owners; read locks share', () => {
  const inode = {};
  const a = {}, b = {};
  const ta = task(1), tb = task(2);
  assert.equal(L.rangeSet(ta, inode, a, false, L.F_RDLCK, 0, 9, false), 0);
  assert.equal(L.rangeSet(tb, inode, b, false, L.F_RDLCK, 5, 14, false), 0);
  assert.equal(L.rangeSet(tb, inode, b, false, L.F_WRLCK, 5, 5, false), -E.EAGAIN);
  assert.equal(L.rangeSet(tb, inode, b, false, L.F_WRLCK, 10, 14, false), 0, 'only its own read lock is there');
  assert.equal(L.rangeSet(tb, inode, b, false, L.F_WRLCK, 5, 5, true), BLOCKED);
  assert.equal(tb.blocked, 1);
  const c = L.findConflict(inode, b, L.F_WRLCK, 0, 100);
  assert.equal(c.owner, a);
  assert.equal(c.pid, 1);
});

test('F_SETLKW deadlock detection follows the chain of waiting owners', () => {
  const inode = {};
  const a = {}, b = {}, c = {};
  const ta = task(1), tb = task(2), tc = task(3);
  L.rangeSet(ta, inode, a, false, L.F_WRLCK, 0, 0, false);
  L.rangeSet(tb, inode, b, false, L.F_WRLCK, 1, 1, false);
  L.rangeSet(tc, inode, c, false, L.F_WRLCK, 2, 2, false);
  assert.equal(L.rangeSet(ta, inode, a, false, L.F_WRLCK, 1, 1, true), BLOCKED, 'a waits for b');
  assert.equal(L.rangeSet(tb, inode, b, false, L.F_WRLCK, 2, 2, true), BLOCKED, 'b waits for c');
  assert.equal(L.rangeSet(tc, inode, c, false, L.F_WRLCK, 0, 0, true), -E.EDEADLK, 'c would wait for a');
  assert.equal(L.rangeSet(tc, inode, c, true, L.F_WRLCK, 0, 0, true), BLOCKED, 'OFD waits are not checked');
  L.ownerGone(a);
  L.ownerGone(b);
  L.ownerGone(c);
});

test('flock: conversion drops the old lock first; release with the description', () => {
  const inode = {};
  const f1 = {}, f2 = {};
  const t = task(1);
  assert.equal(L.flockSet(t, inode, f1, L.F_RDLCK, true), 0);
  assert.equal(L.flockSet(t, inode, f2, L.F_RDLCK, true), 0);
  assert.equal(L.flockSet(t, inode, f1, L.F_WRLCK, true), -E.EAGAIN);
  assert.equal(L.flockSet(t, inode, f2, L.F_WRLCK, true), 0, 'f1 lost its shared lock on the failed upgrade');
  assert.equal(L.hasLocks(inode), true);
  L.releaseDescription(inode, f2);
  assert.equal(L.hasLocks(inode), false);
});
