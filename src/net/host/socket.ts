// Inet sockets (AF_INET, AF_INET6: TCP and UDP) served by host sockets, as gVisor's
// hostinet: each app socket is backed by one host socket the sentry owns, always
// non-blocking, in the sandbox process's network namespace. That namespace is the
// sandbox's network: a fresh one with only loopback (`--network none`), the container's
// (an OCI config's network namespace, joined by the runtime command), or the host's
// (`--network host`). The host kernel runs TCP/IP; the sentry keeps what must not reach
// the host as the app asks it: blocking and its timeouts (a blocking host call would
// stop every task), SIGPIPE, options and ioctls outside an allow-list (policy.ts), and a
// lingering close (which would block the sentry in close(2)). NETLINK_ROUTE sockets are
// host sockets too, read-only (netlink.ts). Each host fd stays registered with the
// kernel's epoll set, edge-triggered, for the socket's life: its queue hears every edge,
// so blocking calls, poll and epoll (EPOLLET included) wait on it like on any file.
import * as E from '../../abi/errno';
import type { Kernel } from '../../kernel/kernel';
import type { Task } from '../../kernel/task';
import { hostClose, hostPollOne } from '../../platform/hostfile';
import { ADDR_BUF, netIoctl, netRecvmsg, netSendmsg } from '../../platform/hostnet';
import { FIONREAD, O_NONBLOCK } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import { vfsHooks } from '../../vfs/hooks';
import type { Mount } from '../../vfs/mount';
import type { VfsTask } from '../../vfs/task';
import { EVENT_ERR, EVENT_HUP, EVENT_IN, EVENT_OUT, WaitQueue } from '../../waiter/waiter';
import { sockMount, socketDentry } from '../sockfs';
import { AF_NETLINK, readOnlyRequests } from './netlink';
import { interfaceIoctl, isInterfaceIoctl } from './ifreq';
import { SIOCATMARK, SIOCINQ, SIOCOUTQ } from './policy';

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


export class HostSocket extends FileDescription {
  /** SO_RCVTIMEO / SO_SNDTIMEO in ns (0: none; < 0: do not wait), kept here: the host fd never blocks. */
  rcvtimeo = 0;
  sndtimeo = 0;
  /** SO_LINGER as the app set it (only an abortive linger reaches the host). */
  readonly linger = [0, 0];
  /** The address of a blocking connect under way (connected again when the wait ends). */
  connectingTo: Buffer = Buffer.alloc(0);
  private closed = false;
  /**
   * Notified of every edge the host reports on the fd (registered for good with the
   * kernel, edge-triggered): epoll entries sit here, so EPOLLET reports new events only.
   */
  readonly queue = new WaitQueue();
  private readonly kernel: Kernel;

  constructor(mnt: Mount, d: Dentry, flags: number, readonly fd: number, readonly family: number,
    readonly type: number, readonly protocol: number, kernel: Kernel) {
    super(mnt, d, flags);
    this.kernel = kernel;
    kernel.hostSockets++;
    liveHostSockets.add(this);
    kernel.watchHostQueue(fd, this.queue);
  }

  override get hostFd(): number {
    return this.fd;
  }

  /** What /proc/PID/fd shows, as for every socket. */
  override get anonName(): string {
    return `socket:[${this.dentry.inode.ino}]`;
  }

  /** As /proc/net shows it (AppSocketView): the inode and owner it has inside. */
  get hostView(): { hostFd: number; ino: number; uid: number } {
    return { hostFd: this.fd, ino: this.dentry.inode.ino, uid: this.dentry.inode.uid };
  }

  override get waitQueue(): WaitQueue {
    return this.queue;
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
    // An empty error queue is EAGAIN at once, blocking socket or not (as Linux).
    if (r !== -E.EAGAIN || (flags & MSG_ERRQUEUE) !== 0) return r;
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
      const r = netIoctl(this.fd, req, intBuf);
      if (r < 0) return r;
      return t.mm.copyOut(arg, intBuf, 0, 4) < 0 ? -E.EFAULT : 0;
    }
    if (isInterfaceIoctl(req)) return interfaceIoctl(t, req, arg, this.fd);
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
    this.kernel.hostSockets--;
    liveHostSockets.delete(this);
    this.kernel.unwatchHostQueue(this.fd);
    hostClose(this.fd);
  }
}

/** The host sockets the app holds now (for /proc/net's inode and owner columns). */
export const liveHostSockets = new Set<HostSocket>();

/** Sets the call's deadline from a timeout on the first run of a blocking call. */
export function startDeadline(t: Task, timeo: number): void {
  if (!t.restarting) t.sysDeadline = timeo > 0 ? t.kernel.clock.monoNow() + timeo : -1;
}

/** Wraps a new host socket fd (ownership passes to the description). */
export function newHostSocket(t: Task, fd: number, family: number, type: number, protocol: number,
  flags: number): HostSocket {
  return new HostSocket(sockMount, socketDentry(t.creds.fsuid, t.creds.fsgid), 2 /* O_RDWR */ | (flags & O_NONBLOCK),
    fd, family, type, protocol, t.kernel);
}
