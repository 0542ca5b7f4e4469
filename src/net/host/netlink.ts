// NETLINK_ROUTE sockets on host netlink sockets, read-only: what getifaddrs(3),
// if_nameindex(3), glibc's address-family check, libuv's interface list (Node's
// os.networkInterfaces()), `ip addr` and `ip route` ask. Only dump and get requests for
// links, addresses, routes, neighbours, rules and netconf go to the host; anything that
// would change the namespace's network, or any message to another netlink socket than the
// kernel's, is refused (EPERM), as gVisor's hostinet serves only these queries too.

export const AF_NETLINK = 16, NETLINK_ROUTE = 0;
const NLMSG_HDRLEN = 16;
/** RTM_GETLINK, GETADDR, GETROUTE, GETNEIGH, GETRULE, GETNETCONF; NLMSG_NOOP. */
const READ_ONLY = new Set([18, 22, 26, 30, 34, 82, 1]);
/** sockaddr_nl: family (2), pad (2), nl_pid (4), nl_groups (4). */
export const SOCKADDR_NL_SIZE = 12;

/**
 * Whether the netlink messages in buf[0, len) are all read-only requests; a trailing
 * piece shorter than a header is ignored, as the kernel ignores it.
 */
export function readOnlyRequests(buf: Buffer, len: number): boolean {
  let off = 0;
  while (len - off >= NLMSG_HDRLEN) {
    const mlen = buf.readUInt32LE(off);
    if (mlen < NLMSG_HDRLEN || mlen > len - off) return true; // the kernel drops it as malformed
    if (!READ_ONLY.has(buf.readUInt16LE(off + 4))) return false;
    off += (mlen + 3) & ~3;
  }
  return true;
}

/** A destination the app may name: the kernel (nl_pid 0), no multicast groups. */
export function kernelDestination(addr: Buffer, len: number): boolean {
  if (len < SOCKADDR_NL_SIZE || addr.readUInt16LE(0) !== AF_NETLINK) return true; // the host refuses it
  return addr.readUInt32LE(4) === 0 && addr.readUInt32LE(8) === 0;
}
