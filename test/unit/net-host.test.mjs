// The checks the sentry makes before anything reaches a host socket: which netlink
// messages and destinations may go to the host (read-only route queries to the kernel),
// and which socket options pass (fixed sizes, nothing with a pointer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { readOnlyRequests, kernelDestination, AF_NETLINK } = require('../../dist/net/host/netlink.js');
const { optRule, SOL_SOCKET, SOL_TCP, SOL_IP, SOL_IPV6 } = require('../../dist/net/host/policy.js');

/** Netlink messages [type, payload length] laid out as the kernel parses them (4-byte aligned). */
function nlmsgs(...msgs) {
  const parts = msgs.map(([type, plen]) => {
    const len = 16 + plen;
    const b = Buffer.alloc((len + 3) & ~3);
    b.writeUInt32LE(len, 0);
    b.writeUInt16LE(type, 4);
    b.writeUInt16LE(0x301, 6); // NLM_F_REQUEST | NLM_F_DUMP
    return b;
  });
  return Buffer.concat(parts);
}

test('netlink: get and dump requests pass, anything that changes the namespace does not', () => {
  const RTM_GETLINK = 18, RTM_GETADDR = 22, RTM_GETROUTE = 26, RTM_NEWADDR = 20, RTM_SETLINK = 19, RTM_DELROUTE = 25;
  for (const t of [RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE]) {
    const b = nlmsgs([t, 16]);
    assert.equal(readOnlyRequests(b, b.length), true, `type ${t}`);
  }
  for (const t of [RTM_NEWADDR, RTM_SETLINK, RTM_DELROUTE]) {
    const b = nlmsgs([t, 16]);
    assert.equal(readOnlyRequests(b, b.length), false, `type ${t}`);
  }
  // A change hidden behind a harmless first message is still found.
  const two = nlmsgs([RTM_GETLINK, 16], [RTM_NEWADDR, 24]);
  assert.equal(readOnlyRequests(two, two.length), false);
  // An odd payload length: the next header starts at the aligned offset.
  const odd = nlmsgs([RTM_GETADDR, 5], [RTM_SETLINK, 4]);
  assert.equal(readOnlyRequests(odd, odd.length), false);
  // `ip` pads its request: a zero header after it ends the parse, as in the kernel.
  const padded = Buffer.concat([nlmsgs([RTM_GETADDR, 8]), Buffer.alloc(128)]);
  assert.equal(readOnlyRequests(padded, padded.length), true);
  // Only what is sent is checked: a change beyond len is not sent.
  assert.equal(readOnlyRequests(two, 32), true);
});

test('netlink: only the kernel (port 0, no groups) may be addressed', () => {
  const addr = (pid, groups) => {
    const b = Buffer.alloc(12);
    b.writeUInt16LE(AF_NETLINK, 0);
    b.writeUInt32LE(pid, 4);
    b.writeUInt32LE(groups, 8);
    return b;
  };
  assert.equal(kernelDestination(addr(0, 0), 12), true);
  assert.equal(kernelDestination(addr(4242, 0), 12), false, 'another process\'s netlink socket');
  assert.equal(kernelDestination(addr(0, 1), 12), false, 'a multicast group');
});

test('host socket options: a fixed list with fixed sizes', () => {
  assert.deepEqual(optRule(SOL_TCP, 1), { set: true, max: 4 }, 'TCP_NODELAY');
  assert.deepEqual(optRule(SOL_TCP, 11), { set: false, max: 512 }, 'TCP_INFO is read-only');
  assert.equal(optRule(SOL_SOCKET, 3).set, false, 'SO_TYPE is read-only');
  assert.equal(optRule(SOL_SOCKET, 25), undefined, 'SO_BINDTODEVICE');
  assert.equal(optRule(SOL_SOCKET, 36), undefined, 'SO_MARK');
  assert.equal(optRule(SOL_SOCKET, 20), undefined, 'SO_RCVTIMEO is the sentry\'s own');
  assert.equal(optRule(SOL_IP, 3), undefined, 'IP_HDRINCL');
  assert.equal(optRule(SOL_IP, 19), undefined, 'IP_TRANSPARENT');
  assert.equal(optRule(SOL_IPV6, 26).set, true, 'IPV6_V6ONLY');
  assert.equal(optRule(-1, 1), undefined);
  assert.equal(optRule(1, 0x10001), undefined);
});
