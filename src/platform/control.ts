// The runtime's control channel on the host: unix-domain stream sockets with fd passing
// (SCM_RIGHTS), between `tsvisor` commands and the sandbox process. Thin wrappers over
// the native addon; every call returns >= 0 or -errno and never throws.
import { native } from './native';

/** Most fds one message carries (Linux's SCM_MAX_FD; native/control.cc's kMaxFds). */
export const MAX_FDS = 253;

/** Longest socket path that fits sun_path with room to spare. */
const SUN_PATH_MAX = 100;

/**
 * Runs f with a socket path short enough for sun_path: a long one (Docker's state
 * directories are) is reached through an fd of its directory, /proc/self/fd/N/NAME.
 */
function shortPath(path: string, f: (p: string) => number): number {
  if (path.length <= SUN_PATH_MAX) return f(path);
  const slash = path.lastIndexOf('/');
  const dirfd = native.openat(-100 /* AT_FDCWD */, slash <= 0 ? '/' : path.slice(0, slash), 0o10000000 | 0o200000 /* O_PATH|O_DIRECTORY */, 0);
  if (dirfd < 0) return dirfd;
  try {
    return f(`/proc/self/fd/${dirfd}/${path.slice(slash + 1)}`);
  } finally {
    native.close(dirfd);
  }
}

/** A listening socket at path (non-blocking). */
export function ctlListen(path: string): number {
  return shortPath(path, (p) => native.unixListen(p));
}

/** A blocking connection to the socket at path. */
export function ctlConnect(path: string): number {
  return shortPath(path, (p) => native.unixConnect(p));
}

/** Accepts one connection (non-blocking; -EAGAIN when none is pending). */
export function ctlAccept(fd: number): number {
  return native.unixAccept(fd);
}

/** Sends buf[0..len) with fds attached. */
export function ctlSend(fd: number, buf: Uint8Array, len: number, fds: readonly number[] = []): number {
  const a = new Int32Array(Math.max(1, fds.length));
  fds.forEach((f, i) => { a[i] = f; });
  return native.sendFds(fd, buf, len, a, fds.length);
}

const fdScratch = new Int32Array(MAX_FDS + 1);

/** Receives into buf; the fds that came with the bytes are appended to fdsOut. */
export function ctlRecv(fd: number, buf: Uint8Array, fdsOut: number[]): number {
  const n = native.recvFds(fd, buf, fdScratch);
  if (n < 0) return n;
  for (let i = 0; i < fdScratch[0]; i++) fdsOut.push(fdScratch[1 + i]);
  return n;
}

/**
 * Starts serving a listening socket from a thread of its own: each request line (and
 * its fds) is queued, and the sentry's wait reports EventKind.Control.
 */
export function ctlServe(listenFd: number): number {
  return native.ctlServe(listenFd);
}

/** One queued request, or null when none waits. */
export interface CtlRequest {
  conn: number;
  text: string;
  fds: number[];
}

const takeBuf = Buffer.alloc(1 << 20);
const takeMeta = new Int32Array(2 + MAX_FDS);

export function ctlTake(): CtlRequest | null {
  for (;;) {
    const n = native.ctlTake(takeBuf, takeMeta);
    if (n === -1) return null;
    if (n < 0) continue; // an oversized request was refused; take the next
    const fds: number[] = [];
    for (let i = 0; i < takeMeta[1]; i++) fds.push(takeMeta[2 + i]);
    return { conn: takeMeta[0], text: takeBuf.toString('utf8', 0, n), fds };
  }
}

/** A host pseudo-terminal: [master, slave] fds, or -errno. */
export function openHostPty(rows: number, cols: number): [number, number] | number {
  const out = new Int32Array(2);
  const r = native.openPty(rows, cols, out);
  return r < 0 ? r : [out[0], out[1]];
}
