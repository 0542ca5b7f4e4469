// Interface queries (SIOCGIF*): Linux answers them on a socket of any family, from the
// caller's network namespace. The sentry passes them to a host socket in the sandbox's
// namespace: the app's own inet socket, or, for an AF_UNIX one (glibc's if_nametoindex
// and if_indextoname ask one), a UDP socket the sentry keeps for the purpose.
import * as E from '../../abi/errno';
import { netIfconf, netIoctl, netSocket } from '../../platform/hostnet';
import type { VfsTask } from '../../vfs/task';
import { IFREQ_GETS, IFREQ_SIZE, SIOCGIFCONF } from './policy';

const ioBuf = Buffer.alloc(IFREQ_SIZE);
/** SIOCGIFCONF's buffer: room for 1024 interfaces. */
const IFCONF_MAX = 1024 * IFREQ_SIZE;
const ifBuf = Buffer.alloc(IFCONF_MAX);
let querySocket = -1;

export function isInterfaceIoctl(req: number): boolean {
  return req === SIOCGIFCONF || IFREQ_GETS.has(req);
}

/** The sentry's own host socket for interface queries (made on first use). */
export function interfaceQuerySocket(): number {
  if (querySocket < 0) querySocket = netSocket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
  return querySocket;
}

/** An interface query on host socket fd, its argument at arg in the app's memory. */
export function interfaceIoctl(t: VfsTask, req: number, arg: number, fd: number): number {
  if (fd < 0) return -E.ENOTTY;
  if (req !== SIOCGIFCONF) {
    if (t.mm.copyIn(arg, ioBuf, 0, IFREQ_SIZE) < 0) return -E.EFAULT;
    const r = netIoctl(fd, req, ioBuf);
    if (r < 0) return r;
    return t.mm.copyOut(arg, ioBuf, 0, IFREQ_SIZE) < 0 ? -E.EFAULT : 0;
  }
  // struct ifconf { int ifc_len; char *ifc_buf; }: the buffer is the app's, so the host
  // fills the sentry's and the sentry copies it over.
  if (t.mm.copyIn(arg, ioBuf, 0, 16) < 0) return -E.EFAULT;
  const len = ioBuf.readInt32LE(0);
  const buf = ioBuf.readUInt32LE(12) * 4294967296 + ioBuf.readUInt32LE(8);
  if (buf !== 0 && len < 0) return -E.EINVAL;
  // A null buffer asks for the size needed; an empty one gets nothing.
  const n = buf !== 0 && len === 0 ? 0 : netIfconf(fd, ifBuf, buf === 0 ? 0 : Math.min(len, IFCONF_MAX));
  if (n < 0) return n;
  if (buf !== 0 && n > 0 && t.mm.copyOut(buf, ifBuf, 0, n) < 0) return -E.EFAULT;
  ioBuf.writeInt32LE(n, 0);
  return t.mm.copyOut(arg, ioBuf, 0, 4) < 0 ? -E.EFAULT : 0;
}
