// What an app may ask of the host socket behind its inet socket, beyond sending and
// receiving: the socket options and ioctls passed through, each with a fixed size (none
// carries a pointer the host would follow into the sentry's memory). Everything else is
// refused with Linux's answer for an unknown option (ENOPROTOOPT) or request (ENOTTY),
// or handled by the sentry itself (timeouts, linger, the *FORCE buffer sizes).
// gVisor's hostinet keeps a similar list for the same reason.

export const SOL_SOCKET = 1, SOL_IP = 0, SOL_TCP = 6, SOL_UDP = 17, SOL_IPV6 = 41, SOL_NETLINK = 270;

export const SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_LINGER = 13, SO_RCVTIMEO_OLD = 20,
  SO_SNDTIMEO_OLD = 21, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33, SO_PROTOCOL = 38, SO_DOMAIN = 39,
  SO_RCVTIMEO_NEW = 66, SO_SNDTIMEO_NEW = 67, SO_PRIORITY = 12, SO_BINDTODEVICE = 25, SO_MARK = 36;

/** An option the host may be asked for: whether it may be set, and the largest value. */
export interface OptRule {
  set: boolean;
  max: number;
}

const rules = new Map<number, OptRule>();
const key = (level: number, name: number): number => level * 65536 + name;
function allow(level: number, names: number[], set: boolean, max = 4): void {
  for (const n of names) rules.set(key(level, n), { set, max });
}

// SOL_SOCKET: REUSEADDR, DONTROUTE, BROADCAST, SNDBUF, RCVBUF, KEEPALIVE, OOBINLINE,
// NO_CHECK, PRIORITY (0..6 checked by the host without CAP_NET_ADMIN), REUSEPORT,
// PASSCRED, RCVLOWAT, TIMESTAMP(_OLD), TIMESTAMPNS(_OLD), BUSY_POLL is not, INCOMING_CPU,
// TIMESTAMP_NEW, TIMESTAMPNS_NEW; read-only: TYPE, ERROR, SNDLOWAT, ACCEPTCONN,
// PROTOCOL, DOMAIN, PEERNAME is not (it returns an address: getpeername does that).
allow(SOL_SOCKET, [2, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 18, 29, 35, 49, 63, 64], true);
allow(SOL_SOCKET, [SO_TYPE, SO_ERROR, 19, 30, SO_PROTOCOL, SO_DOMAIN], false);
// IPPROTO_TCP: NODELAY, MAXSEG, CORK, KEEPIDLE, KEEPINTVL, KEEPCNT, SYNCNT, LINGER2,
// DEFER_ACCEPT, WINDOW_CLAMP, QUICKACK, USER_TIMEOUT, FASTOPEN, NOTSENT_LOWAT,
// FASTOPEN_CONNECT; CONGESTION (a name, 16 bytes); read-only: INFO (struct tcp_info).
allow(SOL_TCP, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 18, 23, 25, 30], true);
allow(SOL_TCP, [13], true, 16);
allow(SOL_TCP, [11], false, 512);
// IPPROTO_UDP: CORK, SEGMENT, GRO.
allow(SOL_UDP, [1, 103, 104], true);
// IPPROTO_IP: TOS, TTL, RECVOPTS, PKTINFO, MTU_DISCOVER, RECVERR, RECVTTL, RECVTOS,
// FREEBIND, RECVORIGDSTADDR, BIND_ADDRESS_NO_PORT, MULTICAST_TTL, MULTICAST_LOOP,
// MULTICAST_ALL; MULTICAST_IF (an ip_mreqn, 12 bytes), ADD/DROP_MEMBERSHIP (ip_mreqn),
// ADD/DROP_SOURCE_MEMBERSHIP (ip_mreq_source, 12 bytes); read-only: MTU.
allow(SOL_IP, [1, 2, 6, 8, 10, 11, 12, 13, 15, 20, 24, 33, 34, 49], true);
allow(SOL_IP, [32, 35, 36, 39, 40], true, 12);
allow(SOL_IP, [14], false);
// IPPROTO_IPV6: UNICAST_HOPS, MULTICAST_IF, MULTICAST_HOPS, MULTICAST_LOOP, MTU_DISCOVER,
// RECVERR, V6ONLY, RECVPKTINFO, RECVHOPLIMIT, RECVTCLASS, TCLASS, FREEBIND(78);
// JOIN/LEAVE_GROUP (ipv6_mreq, 20 bytes); read-only: MTU.
allow(SOL_IPV6, [16, 17, 18, 19, 23, 25, 26, 49, 51, 66, 67, 78], true);
allow(SOL_IPV6, [20, 21], true, 20);
allow(SOL_IPV6, [24], false);

// SOL_NETLINK (NETLINK_ROUTE sockets): ADD/DROP_MEMBERSHIP (listen to a group's
// notifications), PKTINFO, NO_ENOBUFS, CAP_ACK, EXT_ACK, GET_STRICT_CHK.
allow(SOL_NETLINK, [1, 2, 3, 5, 10, 11, 12], true);

/** The rule for (level, name), or undefined when the option is refused. */
export function optRule(level: number, name: number): OptRule | undefined {
  if (level < 0 || level > 0xffff || name < 0 || name > 0xffff) return undefined;
  return rules.get(key(level, name));
}

// ioctl requests: queue sizes, the urgent mark, and interface queries (struct ifreq, 40
// bytes in and out; SIOCGIFCONF's buffer pointer is translated by the sentry).
export const SIOCINQ = 0x541b, SIOCOUTQ = 0x5411, SIOCATMARK = 0x8905, SIOCGIFCONF = 0x8912;
export const IFREQ_SIZE = 40;
/** SIOCGIFNAME, FLAGS, ADDR, DSTADDR, BRDADDR, NETMASK, MTU, HWADDR, INDEX, TXQLEN. */
export const IFREQ_GETS = new Set([0x8910, 0x8913, 0x8915, 0x8917, 0x8919, 0x891b, 0x8921, 0x8927, 0x8933, 0x8942]);

/** Names for docs/COMPATIBILITY.md and SECURITY.md. */
export const POLICY_SUMMARY =
  'SOL_SOCKET (buffers, reuse, keepalive, timestamps, priority; timeouts and linger kept by the sentry), ' +
  'IPPROTO_TCP (nodelay, cork, keepalive tuning, maxseg, user timeout, fastopen, congestion, info), ' +
  'IPPROTO_UDP (cork, GSO/GRO), IPPROTO_IP and IPPROTO_IPV6 (ttl/hops, tos/tclass, pktinfo, recverr, ' +
  'v6only, multicast), SOL_NETLINK (groups, acks, strict checking); others ENOPROTOOPT';
