// The N_TTY line discipline on its own (src/fs/tty/ldisc.ts): bytes in, what a read returns
// and what is echoed. The differential pty_* programs check the same against the host kernel;
// these pin down cases that are awkward to time from outside (batching of echoes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { LineDiscipline } = require('../../dist/fs/tty/ldisc.js');
const T = require('../../dist/fs/tty/termios.js');

function make() {
  const out = [];
  const signals = [];
  const port = {
    outRoom: () => 1 << 20,
    outPut: (b) => out.push(b),
    signal: (s) => signals.push(s),
    flushedBySignal: () => {},
    flowChanged: () => {},
  };
  const ld = new LineDiscipline(port);
  /** Feeds one batch of input, as one master write would. */
  const feed = (s) => {
    for (const ch of Buffer.from(s, 'latin1')) assert.ok(ld.receive(ch));
    ld.flushEchoes();
  };
  const echo = () => Buffer.from(out.splice(0)).toString('latin1');
  const read = (n = 8192) => {
    const b = Buffer.alloc(n);
    const k = ld.take(b, 0, n);
    return b.toString('latin1', 0, k);
  };
  return { ld, feed, echo, read, signals };
}

test('canonical editing and its echo', () => {
  const { ld, feed, echo, read } = make();
  feed('ab\x7fc\n');
  assert.equal(echo(), 'ab\b \bc\r\n');
  assert.equal(ld.inq(), 3);
  assert.equal(read(), 'ac\n');
  feed('one two\x17three\n');
  assert.equal(read(), 'one three\n');
});

test('EOF: a marker that ends a line and is not returned', () => {
  const { ld, feed, read } = make();
  feed('ab\x04\x04');
  assert.equal(ld.inq(), 2);
  assert.equal(read(), 'ab');
  assert.equal(read(), '');
  assert.equal(ld.len, 0);
});

test('a signal character discards the echoes of its own batch and the input', () => {
  const { ld, feed, echo, signals } = make();
  feed('abc\x03');
  assert.deepEqual(signals, [2]);
  assert.equal(echo(), '^C');
  assert.equal(ld.len, 0);
  ld.termios.lflag |= T.NOFLSH;
  feed('xy\x1a');
  assert.deepEqual(signals, [2, 20]);
  assert.equal(echo(), 'xy^Z');
  assert.equal(ld.len, 2);
});

test('a canonical line longer than the buffer keeps its newline (4096 bytes)', () => {
  const { feed, read } = make();
  feed('a'.repeat(5000) + '\n');
  const line = read();
  assert.equal(line.length, 4096);
  assert.ok(line.endsWith('a\n'));
});

test('raw mode: no room past 4095 bytes; the caller keeps the rest', () => {
  const { ld, read } = make();
  ld.termios.lflag &= ~(T.ICANON | T.ECHO);
  let taken = 0;
  while (ld.receive(0x41)) taken++;
  assert.equal(taken, 4095);
  assert.equal(read(10), 'AAAAAAAAAA');
  assert.ok(ld.receive(0x42));
});
