// Inet sockets (AF_INET, AF_INET6: TCP and UDP) served by host sockets, as gVisor's
// hostinet: each app socket is backed by one host socket the sentry owns, always
// non-blocking, in the sandbox process's network namespace. That namespace is the
// sandbox's network: a fresh one with only loopback (`--network none`), the container's
// (an OCI config's network namespace, joined by the runtime command), or the host's
// (`--network host`). The host kernel runs TCP/IP; the sentry keeps what must not reach
// the host as the app asks it: blocking and its timeouts (a blocking host call would
// stop every task), SIGPIPE, options and ioctls outside an allow-list (policy.ts), and a
// lingering close (which would block the sentry in close(2)).
import * as E from '../../abi/errno';
import type { Task } from '../../kernel/task';
import { hostClose, hostPollOne } from '../../platform/hostfile';
import { ADDR_BUF, netIfconf, netIoctl, netRecvmsg, netSendmsg } from '../../platform/hostnet';
import { FIONREAD, O_NONBLOCK } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import { vfsHooks } from '../../vfs/hooks';
import type { Mount } from '../../vfs/mount';
import type { VfsTask } from '../../vfs/task';
import { EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT } from '../../waiter/waiter';
import { sockMount, socketDentry } from '../sockfs';
import { AF_NETLINK, readOnlyRequests } from './netlink';
import { IFREQ_GETS, IFREQ_SIZE, SIOCATMARK, SIOCGIFCONF, SIOCINQ, SIOCOUTQ } from './policy';

export const AF_INET = 2, AF_INET6 = 10;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2;
export const MSG_OOB = 0x1, MSG_PEEK = 0x2, MSG_DONTROUTE = 0x4, MSG_CTRUNC = 0x8, MSG_TRUNC = 0x20,
  MSG_DONTWAIT = 0x40, MSG_EOR = 0x80, MSG_WAITALL = 0x100, MSG_CONFIRM = 0x800, MSG_ERRQUEUE = 0x2000,
  MSG_NOSIGNAL = 0x4000, MSG_MORE = 0x8000, MSG_FASTOPEN = 0x20000000;
/** Flags passed to the host on a send (MSG_ZEROCOPY is not: the sentry reuses its buffer). */
export const SEND_FLAGS = MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_CONFIRM | MSG_MORE | MSG_FASTOPEN;
/** Flags passed to the host on a receive (MSG_WAITALL and MSG_DONTWAIT are the sentry's). */
export const RECV_FLAGS = MSG_OOB | MSG_PEEK | MSG_TRUNC | MSG_ERRQUEUE;

/** ioProgress while a blocking connect waits for the handshake. */
export const CONNECTING = -2;

/** The sentry's staging buffer for one host transfer (app memory is copied through it). */
export const STAGE = 256 * 1024;
export const stage = Buffer.alloc(STAGE);
/** Source address of the last receive (sockaddr_storage, then its length at 128). */
export const fromBuf = Buffer.alloc(ADDR_BUF);
const noBuf = Buffer.alloc(0);
/** The host's msg_flags and control length of the last receive. */
export const recvInfo = new Int32Array(2);
const intBuf = Buffer.alloc(4);
const ioBuf = Buffer.alloc(IFREQ_SIZE);
/** SIOCGIFCONF's buffer: room for 1024 interfaces. */
const IFCONF_MAX = 1024 * IFREQ_SIZE;
const ifBuf = Buffer.alloc(IFCONF_MAX);

export class HostSocket extends FileDescription {
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns (0: none; < 0: do not wait), kept here: the host fd never blocks. */
  rcvtimeo = 0;
  sndtimeo = 0;
  /** SO_LINGER as the app set it (only an abortive linger reaches the host). */
  readonly linger = [0, 0];
  private closed = false;

  constructor(mnt: Mount, d: Dentry, flags: number, readonly fd: number, readonly family: number,
    readonly type: number, readonly protocol: number) {
    super(mnt, d, flags);
  }

  override get hostFd(): number {
    return this.fd;
  }

  override readiness(mask: number): number {
    const r = hostPollOne(this.fd, mask);
    return r < 0 ? EVENT_ERR : r;
  }

  /** read(2)/readv(2): a receive with no flags. */
  override read(t: VfsTask, dst: Uint8Array, dstOff: number, len: number, _pos: number): number {
    const task = t as Task;
    if (len === 0 && this.type === SOCK_STREAM) return 0;
    return this.recvChunk(task, dst, dstOff, len, 0, noBuf, 0);
  }

  /** write(2)/writev(2): a send with no flags (SIGPIPE on a broken stream). */
  override write(t: VfsTask, src: Uint8Array, srcOff: number, len: number, _pos: number): number {
    const task = t as Task;
    if (len === 0 && this.type === SOCK_STREAM) return 0;
    if (this.family === AF_NETLINK) {
      // src is app memory, which may change under the check: check and send a copy.
      if (len > STAGE) return -E.EMSGSIZE;
      stage.set(src.subarray(srcOff, srcOff + len), 0);
      if (!readOnlyRequests(stage, len)) return -E.EPERM;
      src = stage;
      srcOff = 0;
    }
    const r = this.sendChunk(task, src, srcOff, len, 0, noBuf, 0, noBuf, 0);
    if (r === -E.EPIPE) vfsHooks.brokenPipe(t);
    return r;
  }

  /**
   * One host receive into dst; would-block parks the task (or EAGAIN). The source lands in
   * fromBuf, the host's msg_flags and control length in recvInfo.
   */
  recvChunk(t: Task, dst: Uint8Array, off: number, len: number, flags: number, ctl: Uint8Array, ctlLen: number): number {
    startDeadline(t, this.rcvtimeo);
    const r = netRecvmsg(this.fd, dst, off, len, flags & RECV_FLAGS, fromBuf, ctl, ctlLen, recvInfo);
    if (r !== -E.EAGAIN) return r;
    return this.wouldBlock(t, EVENT_IN, (flags & MSG_DONTWAIT) !== 0, this.rcvtimeo);
  }

  /** One host send from src; would-block parks the task (or EAGAIN). EPIPE is left to the caller. */
  sendChunk(t: Task, src: Uint8Array, off: number, len: number, flags: number, addr: Uint8Array, addrLen: number,
    ctl: Uint8Array, ctlLen: number): number {
    startDeadline(t, this.sndtimeo);
    const r = netSendmsg(this.fd, src, off, len, flags & SEND_FLAGS, addr, addrLen, ctl, ctlLen);
    if (r !== -E.EAGAIN) return r;
    return this.wouldBlock(t, EVENT_OUT, (flags & MSG_DONTWAIT) !== 0, this.sndtimeo);
  }

  /** The would-block outcome: EAGAIN, EINTR/ERESTARTSYS, or park until the host fd is ready. */
  wouldBlock(t: Task, events: number, dontwait: boolean, timeo: number): number {
    if (dontwait || this.nonblocking || timeo < 0) return -E.EAGAIN;
    if (t.restarting && t.timedOut) return -E.EAGAIN;
    if (t.interrupted()) return timeo > 0 ? -E.EINTR : -E.ERESTARTSYS;
    return t.blockOnHostFd(this.fd, events | EVENT_ERR | EVENT_HUP, t.sysDeadline);
  }

  /** ioctl(2) (FIONBIO and friends are handled before this, by fs_fd). */
  override ioctl(t: VfsTask, req: number, arg: number): number {
    if (req === SIOCINQ || req === SIOCOUTQ || req === SIOCATMARK) {
      const r = netIoctl(this.fd, req, ioBuf);
      if (r < 0) return r;
      return t.mm.copyOut(arg, ioBuf, 0, 4) < 0 ? -E.EFAULT : 0;
    }
    if (IFREQ_GETS.has(req)) {
      if (t.mm.copyIn(arg, ioBuf, 0, IFREQ_SIZE) < 0) return -E.EFAULT;
      const r = netIoctl(this.fd, req, ioBuf);
      if (r < 0) return r;
      return t.mm.copyOut(arg, ioBuf, 0, IFREQ_SIZE) < 0 ? -E.EFAULT : 0;
    }
    if (req === SIOCGIFCONF) {
      // struct ifconf { int ifc_len; char *ifc_buf; }: the buffer is the app's, so the host
      // fills the sentry's and the sentry copies it over.
      if (t.mm.copyIn(arg, ioBuf, 0, 16) < 0) return -E.EFAULT;
      const len = ioBuf.readInt32LE(0);
      const buf = ioBuf.readUInt32LE(12) * 4294967296 + ioBuf.readUInt32LE(8);
      if (buf !== 0 && len < 0) return -E.EINVAL;
      // A null buffer asks for the size needed; an empty one gets nothing.
      const n = buf !== 0 && len === 0 ? 0 : netIfconf(this.fd, ifBuf, buf === 0 ? 0 : Math.min(len, IFCONF_MAX));
      if (n < 0) return n;
      if (buf !== 0 && n > 0 && t.mm.copyOut(buf, ifBuf, 0, n) < 0) return -E.EFAULT;
      ioBuf.writeInt32LE(n, 0);
      return t.mm.copyOut(arg, ioBuf, 0, 4) < 0 ? -E.EFAULT : 0;
    }
    return -E.ENOTTY;
  }

  override available(): number {
    if (netIoctl(this.fd, FIONREAD, intBuf) < 0) return -E.ENOTTY;
    return intBuf.readInt32LE(0);
  }

  override fsync(): number {
    return -E.EINVAL;
  }

  protected override release(): void {
    if (this.closed) return;
    this.closed = true;
    hostClose(this.fd);
  }
}

/** Sets the call's deadline from a timeout on the first run of a blocking call. */
export function startDeadline(t: Task, timeo: number): void {
  if (!t.restarting) t.sysDeadline = timeo > 0 ? t.kernel.clock.monoNow() + timeo : -1;
}

/** Wraps a new host socket fd (ownership passes to the description). */
export function newHostSocket(t: Task, fd: number, family: number, type: number, protocol: number,
  flags: number): HostSocket {
  return new HostSocket(sockMount, socketDentry(t.creds.fsuid, t.creds.fsgid), 2 /* O_RDWR */ | (flags & O_NONBLOCK),
    fd, family, type, protocol);
}
