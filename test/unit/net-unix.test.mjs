// Unix sockets below the syscall layer: the in-flight descriptor garbage collector (which a
// differential test cannot observe: Linux collects lazily in a worker) and the accounting
// that gives a writer its buffer room back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { newUnixPair, newUnixSocket, SendCtl, RecvOut, SOCK_DGRAM, SOCK_STREAM } = require('../../dist/net/unix/socket.js');
const { Credentials } = require('../../dist/auth/creds.js');

function fakeTask() {
  return {
    creds: Credentials.root(), tgid: 1, tid: 1, restarting: false, timedOut: false, ioProgress: 0, blocks: 0,
    kernel: { clock: { monoNow: () => 0 }, random: (b, o, l) => b.fill(1, o, o + l) },
    interrupted: () => false,
    block() { this.blocks++; return -0x100001; },
  };
}

/** UserBuffers over a JS buffer. */
function buf(data) {
  return {
    b: Buffer.from(data), get total() { return this.b.length; },
    gather(pos, dst, off, n) { dst.set(this.b.subarray(pos, pos + n), off); return 0; },
    scatter(pos, src, off, n) { this.b.set(src.subarray(off, off + n), pos); return 0; },
  };
}

function sendFd(t, from, f) {
  const c = new SendCtl();
  f.incRef();
  c.fds = [f];
  return from.type === SOCK_STREAM ? from.sendStream(t, buf('x'), c, 0, 0) : from.sendDgram(t, buf('x'), c, null, 0);
}

test('a closed cycle of in-flight sockets is collected', () => {
  const t = fakeTask();
  const [a, b] = newUnixPair(t, SOCK_DGRAM, 0);
  const [c, d] = newUnixPair(t, SOCK_STREAM, 0);
  assert.equal(sendFd(t, a, a), 1); // a sits in b's queue
  assert.equal(sendFd(t, b, b), 1); // b sits in a's queue
  assert.equal(sendFd(t, c, d), 1); // d sits in its own queue, through c
  assert.equal(sendFd(t, a, c), 1); // c too, in b's queue
  for (const s of [a, b, c, d]) assert.equal(s.refCount, 2);
  // a is reachable from b's queue while b is open; once both fds are closed the a-b cycle
  // is garbage: collected, which also drops c's in-flight reference (it sat in b's queue).
  a.decRef();
  assert.equal(a.refCount, 1);
  b.decRef();
  assert.equal(a.refCount, 0);
  assert.equal(b.refCount, 0);
  assert.equal(c.refCount, 1);
  assert.equal(c.inflight, 0);
  // d holds itself in its own queue: closing its fd leaves a self-cycle, collected too.
  d.decRef();
  assert.equal(d.refCount, 0);
  c.decRef();
  assert.equal(c.refCount, 0);
});

test('in-flight sockets reachable from an open socket are kept', () => {
  const t = fakeTask();
  const [a, b] = newUnixPair(t, SOCK_DGRAM, 0);
  const x = newUnixSocket(t, SOCK_DGRAM, 0);
  assert.equal(sendFd(t, a, x), 1); // x in b's queue; b stays open
  x.decRef();
  a.decRef();
  assert.equal(x.refCount, 1, 'x is reachable from b, which an fd still holds');
  const out = new RecvOut();
  assert.equal(b.recvDgram(t, buf('?'), 0, out), 1);
  assert.equal(out.fds.length, 1);
  assert.equal(out.fds[0], x);
  x.decRef();
  assert.equal(x.refCount, 0);
  b.decRef();
});

test('reading stream data gives the writer its room back; closing the reader too', () => {
  const t = fakeTask();
  const [a, b] = newUnixPair(t, SOCK_STREAM, 0);
  a.sndbuf = 4608;
  assert.equal(a.sendStream(t, buf('y'.repeat(10000)), null, 0, 0x40), 4608, 'a non-blocking send stops at SO_SNDBUF');
  assert.equal(a.wmem, 4608);
  assert.equal(a.readiness(4) & 4, 0, 'not writable while full');
  const out = new RecvOut();
  assert.equal(b.recvStream(t, buf('z'.repeat(4000)), 0, out), 4000);
  assert.equal(a.wmem, 608);
  assert.equal(a.readiness(4) & 4, 4, 'writable again below a quarter of SO_SNDBUF');
  b.decRef();
  assert.equal(a.wmem, 0, 'the unread rest is returned when the reader closes');
  assert.equal(a.sendStream(t, buf('q'), null, 0, 0), -32, 'EPIPE');
  assert.equal(a.pipeErr, true);
  a.decRef();
});
