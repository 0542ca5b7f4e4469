// The sandbox's network as /proc/net shows it (dev, route, if_inet6, tcp, tcp6, udp,
// udp6), asked of the host for the sandbox process's network namespace, which is the
// sandbox's: links, addresses and routes over rtnetlink, sockets over sock_diag (what
// `ss` asks). The sentry's own netlink sockets, never the app's; each file is made when
// it is read. A socket of the app shows the inode and owner it has inside the sandbox
// (so `netstat -p` finds its process through /proc/PID/fd); any other socket of the
// namespace (a pod's other containers, the host's in host networking) shows the host's.
import { H_AT_EMPTY_PATH, hostFstatat } from '../../platform/hostfile';
import { ADDR_BUF, netRecvmsg, netSendmsg, netSocket } from '../../platform/hostnet';
import { decodeStat, Stat } from '../../vfs/stat';

const AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, SOCK_RAW = 3;
const NETLINK_ROUTE = 0, NETLINK_SOCK_DIAG = 4;
const NLMSG_ERROR = 2, NLMSG_DONE = 3, NLM_F_REQUEST = 1, NLM_F_DUMP = 0x300;
const RTM_GETLINK = 18, RTM_GETADDR = 22, RTM_GETROUTE = 26, SOCK_DIAG_BY_FAMILY = 20;
const IFLA_IFNAME = 3, IFLA_STATS64 = 23, IFA_ADDRESS = 1, IFA_FLAGS = 8;
const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6, RTA_TABLE = 15;
const RT_TABLE_MAIN = 254, RTN_UNICAST = 1;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17, TCP_LISTEN = 10;

/** A socket of the app: its host inode, and the inode and owner it shows inside. */
export interface AppSocketView {
  hostFd: number;
  ino: number;
  uid: number;
}

const sockets: { route: number; diag: number } = { route: -1, diag: -1 };
/**
 * Whether the sandbox has a network namespace of its own to ask about (false for
 * `do --unconfined`, whose namespace is the caller's: the files then list nothing).
 */
export const netinfo = { live: false };
const reply = Buffer.alloc(65536);
const noBuf = Buffer.alloc(0);
const from = Buffer.alloc(ADDR_BUF);
const info = new Int32Array(2);
let seq = 1;

/** Sends one dump request on a netlink socket and collects every message of the answer. */
function dump(kind: 'route' | 'diag', type: number, body: Buffer): Buffer[] {
  if (!netinfo.live) return [];
  if (sockets[kind] < 0) sockets[kind] = netSocket(AF_NETLINK, SOCK_RAW, kind === 'route' ? NETLINK_ROUTE : NETLINK_SOCK_DIAG);
  const fd = sockets[kind];
  if (fd < 0) return [];
  const req = Buffer.alloc(16 + body.length);
  req.writeUInt32LE(req.length, 0);
  req.writeUInt16LE(type, 4);
  req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  const mySeq = seq++;
  req.writeUInt32LE(mySeq, 8);
  body.copy(req, 16);
  if (netSendmsg(fd, req, 0, req.length, 0, noBuf, 0, noBuf, 0) < 0) return [];
  const out: Buffer[] = [];
  // A dump is answered as it is read: each receive makes the next part, so none waits.
  for (let rounds = 0; rounds < 10000; rounds++) {
    const n = netRecvmsg(fd, reply, 0, reply.length, 0, from, noBuf, 0, info);
    if (n <= 0) return out;
    for (let off = 0; off + 16 <= n;) {
      const len = reply.readUInt32LE(off);
      const t = reply.readUInt16LE(off + 4);
      if (len < 16 || off + len > n) return out;
      if (reply.readUInt32LE(off + 8) === mySeq) {
        if (t === NLMSG_DONE || t === NLMSG_ERROR) return out;
        out.push(Buffer.from(reply.subarray(off + 16, off + len)));
      }
      off += (len + 3) & ~3;
    }
  }
  return out;
}

/** The attributes (rtattr: len u16, type u16, data) from off in msg. */
function attrs(msg: Buffer, off: number): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  while (off + 4 <= msg.length) {
    const len = msg.readUInt16LE(off);
    if (len < 4 || off + len > msg.length) break;
    m.set(msg.readUInt16LE(off + 2) & 0x3fff, msg.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return m;
}

function cstr(b: Buffer | undefined): string {
  if (b === undefined) return '';
  const z = b.indexOf(0);
  return b.toString('latin1', 0, z < 0 ? b.length : z);
}

interface Link {
  index: number;
  name: string;
  stats: Buffer | undefined;
}

function links(): Link[] {
  const body = Buffer.alloc(16); // struct ifinfomsg, family AF_UNSPEC
  return dump('route', RTM_GETLINK, body).map((m) => {
    const a = attrs(m, 16);
    return { index: m.readInt32LE(4), name: cstr(a.get(IFLA_IFNAME)), stats: a.get(IFLA_STATS64) };
  });
}

const u64 = (b: Buffer | undefined, i: number): bigint => (b !== undefined && b.length >= (i + 1) * 8 ? b.readBigUInt64LE(i * 8) : 0n);

/** /proc/net/dev, from each link's struct rtnl_link_stats64 (the fields Linux sums). */
export function procNetDev(): string {
  let out = 'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  for (const l of links()) {
    const s = l.stats;
    const v = (i: number) => u64(s, i);
    // rx_packets 0, tx_packets 1, rx_bytes 2, tx_bytes 3, rx_errors 4, tx_errors 5, rx_dropped 6, tx_dropped 7,
    // multicast 8, collisions 9, rx_length 10, rx_over 11, rx_crc 12, rx_frame 13, rx_fifo 14, rx_missed 15,
    // tx_aborted 16, tx_carrier 17, tx_fifo 18, tx_heartbeat 19, tx_window 20, rx_compressed 21, tx_compressed 22.
    const f = [v(2), v(0), v(4), v(6) + v(15), v(14), v(10) + v(11) + v(12) + v(13), v(21), v(8),
      v(3), v(1), v(5), v(7), v(18), v(9), v(17) + v(16) + v(20) + v(19), v(22)];
    const w = [7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10];
    out += `${l.name.padStart(6)}: ${f.map((x, i) => String(x).padStart(w[i])).join(' ')}\n`;
  }
  return out;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
/** An IPv4 address as /proc/net prints it: the 32-bit word as the host stores it. */
const addr4 = (b: Buffer | undefined, off = 0): string => (b !== undefined && b.length >= off + 4 ? hex8(b.readUInt32LE(off)) : '00000000');

/** /proc/net/route: the main table's IPv4 unicast routes. */
export function procNetRoute(): string {
  const pad = (s: string) => s.padEnd(127) + '\n';
  let out = pad('Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT');
  const names = new Map(links().map((l) => [l.index, l.name]));
  const body = Buffer.alloc(12); // struct rtmsg
  body[0] = AF_INET;
  for (const m of dump('route', RTM_GETROUTE, body)) {
    const dstLen = m[1], table = m[4], type = m[7];
    const a = attrs(m, 12);
    const t = a.get(RTA_TABLE);
    if ((t !== undefined ? t.readUInt32LE(0) : table) !== RT_TABLE_MAIN || type !== RTN_UNICAST) continue;
    const oif = a.get(RTA_OIF);
    const gw = a.get(RTA_GATEWAY);
    const prio = a.get(RTA_PRIORITY);
    const mask = dstLen === 0 ? 0 : (0xffffffff << (32 - dstLen)) >>> 0;
    // The mask is printed as stored in network order, like the addresses.
    const maskLe = ((mask & 0xff) << 24 | (mask & 0xff00) << 8 | (mask >>> 8) & 0xff00 | mask >>> 24) >>> 0;
    const flags = 1 /* RTF_UP */ | (gw !== undefined ? 2 /* RTF_GATEWAY */ : 0) | (dstLen === 32 ? 4 /* RTF_HOST */ : 0);
    const name = oif !== undefined ? names.get(oif.readInt32LE(0)) ?? '*' : '*';
    out += pad(`${name}\t${addr4(a.get(RTA_DST))}\t${addr4(gw)}\t${hex4(flags)}\t0\t0\t` +
      `${prio !== undefined ? prio.readUInt32LE(0) : 0}\t${hex8(maskLe)}\t0\t0\t0`);
  }
  return out;
}

/** /proc/net/if_inet6: every IPv6 address, with its interface's index and name. */
export function procNetIfInet6(): string {
  const names = new Map(links().map((l) => [l.index, l.name]));
  const body = Buffer.alloc(8); // struct ifaddrmsg
  body[0] = AF_INET6;
  let out = '';
  for (const m of dump('route', RTM_GETADDR, body)) {
    if (m[0] !== AF_INET6) continue;
    const prefix = m[1], index = m.readUInt32LE(4);
    // The file shows the address's IPV6_ADDR_* scope bits, netlink an RT_SCOPE_* value.
    const scope = m[3] === 254 ? 0x10 : m[3] === 253 ? 0x20 : m[3] === 200 ? 0x40 : 0;
    const a = attrs(m, 8);
    const ad = a.get(IFA_ADDRESS);
    if (ad === undefined || ad.length < 16) continue;
    const fl = a.get(IFA_FLAGS);
    const flags = fl !== undefined ? fl.readUInt32LE(0) : m[2];
    const h2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
    out += `${ad.toString('hex', 0, 16)} ${h2(index)} ${h2(prefix)} ${h2(scope)} ${h2(flags)} ${(names.get(index) ?? '').padStart(8)}\n`;
  }
  return out;
}

/** One socket of sock_diag's answer (struct inet_diag_msg). */
interface DiagSock {
  state: number;
  src: Buffer;
  dst: Buffer;
  sport: number;
  dport: number;
  timer: number;
  retrans: number;
  expires: number;
  rqueue: number;
  wqueue: number;
  uid: number;
  inode: number;
}

function diag(family: number, protocol: number): DiagSock[] {
  const body = Buffer.alloc(56); // struct inet_diag_req_v2
  body[0] = family;
  body[1] = protocol;
  body.writeUInt32LE(0xffffffff, 4); // every state
  return dump('diag', SOCK_DIAG_BY_FAMILY, body).filter((m) => m.length >= 72).map((m) => ({
    state: m[1], timer: m[2], retrans: m[3],
    sport: m.readUInt16BE(4), dport: m.readUInt16BE(6),
    src: m.subarray(8, 24), dst: m.subarray(24, 40),
    // After the 48-byte inet_diag_sockid (ports, addresses, interface, cookie).
    expires: m.readUInt32LE(52), rqueue: m.readUInt32LE(56), wqueue: m.readUInt32LE(60),
    uid: m.readUInt32LE(64), inode: m.readUInt32LE(68),
  }));
}

const st = new Stat();
const statBuf = Buffer.alloc(144);

/** Host inode -> the app socket's view, for the sockets the app holds now. */
function appIndex(app: Iterable<AppSocketView>): Map<number, AppSocketView> {
  const m = new Map<number, AppSocketView>();
  for (const s of app) {
    if (hostFstatat(s.hostFd, '', H_AT_EMPTY_PATH, statBuf) < 0) continue;
    decodeStat(statBuf, st);
    m.set(st.ino, s);
  }
  return m;
}

/** /proc/net/tcp, tcp6, udp and udp6 (Linux's columns; kernel-internal ones as 0). */
export function procNetSockets(family: number, protocol: number, app: Iterable<AppSocketView>): string {
  const v6 = family === AF_INET6, tcp = protocol === IPPROTO_TCP;
  const idx = appIndex(app);
  const addr = (b: Buffer) => (v6 ? [0, 4, 8, 12].map((o) => addr4(b, o)).join('') : addr4(b));
  let out: string;
  if (v6) {
    out = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode${tcp ? '' : ' ref pointer drops'}\n`;
  } else {
    out = tcp ? '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'.padEnd(149) + '\n'
      : '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops'.padEnd(127) + '\n';
  }
  diag(family, protocol).forEach((s, i) => {
    const mine = idx.get(s.inode);
    const ino = mine !== undefined ? mine.ino : s.inode;
    const uid = mine !== undefined ? mine.uid : s.uid;
    const head = `${String(i).padStart(tcp ? 4 : 5)}: ${addr(s.src)}:${hex4(s.sport)} ${addr(s.dst)}:${hex4(s.dport)} ` +
      // A listener's wqueue is its backlog limit, which the file does not show.
      `${s.state.toString(16).toUpperCase().padStart(2, '0')} ${hex8(s.state === TCP_LISTEN ? 0 : s.wqueue)}:${hex8(s.rqueue)} ` +
      `${s.timer.toString(16).toUpperCase().padStart(2, '0')}:${hex8(Math.floor(s.expires / 10))} ${hex8(s.retrans)} ` +
      `${String(uid).padStart(5)} ${String(0).padStart(8)} ${ino}`;
    const line = tcp ? `${head} 1 0000000000000000 0 0 0 10 -1` : `${head} 2 0000000000000000 0`;
    out += v6 ? `${line}\n` : `${line.padEnd(tcp ? 149 : 127)}\n`;
  });
  return out;
}

export const PROC_NET_SOCKETS: [name: string, family: number, protocol: number][] = [
  ['tcp', AF_INET, IPPROTO_TCP], ['tcp6', AF_INET6, IPPROTO_TCP], ['udp', AF_INET, IPPROTO_UDP],
  ['udp6', AF_INET6, IPPROTO_UDP],
];
