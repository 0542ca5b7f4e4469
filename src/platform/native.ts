// The one place that loads the native addon. Everything above platform/ reaches the
// host only through the functions typed here (and only platform/, mm/ and fs/host
// import this file).
import * as path from 'path';

export interface NativeAddon {
  // memory file
  memfdCreate(name: string, size: number): number;
  mapShared(fd: number, offset: number, length: number): ArrayBuffer | number;
  fallocate(fd: number, mode: number, offset: number, length: number): number;
  lseek(fd: number, offset: number, whence: number): number;
  // time, randomness, placement
  clockGettime(clockid: number, out: Float64Array): number;
  monoNow(): number;
  getRandom(buf: Uint8Array, off: number, len: number): number;
  pinToCpu(cpu: number): number;
  /** setAffinity(tid, cpu): one CPU, or every CPU when cpu < 0. */
  setAffinity(tid: number, cpu: number): number;
  // the wait primitive
  epollCtl(op: number, fd: number, events: number, token: number): number;
  waitEvent(out: Int32Array, timeoutNs: number, mixed: number): number;
  hostSignals(mask: number): number;
  takeHostSignals(): number;
  defaultSignals(mask: number): number;
  // ptrace
  registerRegs(tid: number, regs: Uint8Array): number;
  unregisterRegs(tid: number): number;
  resume(tid: number, how: number, sig: number, regsMode: number): number;
  waitTid(tid: number, out: Int32Array, nohang: number): number;
  getRegs(tid: number, regs: Uint8Array): number;
  setRegs(tid: number, regs: Uint8Array): number;
  getFpRegs(tid: number, buf: Uint8Array): number;
  setFpRegs(tid: number, buf: Uint8Array, len: number): number;
  getSiginfo(tid: number, buf: Uint8Array): number;
  inject(tid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, out: Int32Array): number;
  setStubSyscall(addr: number): number;
  tgkill(tgid: number, tid: number, sig: number): number;
  stubCreate(memfd: number, cpu: number): number;
  stubInfo(): [number, number];
  // host files (fd-relative, single components)
  openat(dirfd: number, name: string, flags: number, mode: number): number;
  fstatat(dirfd: number, name: string, flags: number, out: Uint8Array): number;
  fstatfs(fd: number, out: Uint8Array): number;
  getdents64(fd: number, buf: Uint8Array): number;
  readlinkat(dirfd: number, name: string, buf: Uint8Array): number;
  pread(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  pwrite(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  ioctl(fd: number, req: number, buf: Uint8Array): number;
  pollOne(fd: number, events: number): number;
  mkdirat(dirfd: number, name: string, mode: number): number;
  unlinkat(dirfd: number, name: string, flags: number): number;
  renameat2(olddirfd: number, oldname: string, newdirfd: number, newname: string, flags: number): number;
  symlinkat(target: string, dirfd: number, name: string): number;
  linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): number;
  mknodat(dirfd: number, name: string, mode: number): number;
  fchmodat2(dirfd: number, name: string, mode: number, flags: number): number;
  fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): number;
  utimensat(dirfd: number, name: string, asec: number, ansec: number, msec: number, mnsec: number, flags: number): number;
  ftruncate(fd: number, len: number): number;
  fsync(fd: number, dataOnly: number): number;
  flock(fd: number, op: number): number;
  // control channel (unix sockets with fd passing)
  unixListen(path: string): number;
  unixConnect(path: string): number;
  unixAccept(fd: number): number;
  sendFds(fd: number, buf: Uint8Array, len: number, fds: Int32Array, nfds: number): number;
  recvFds(fd: number, buf: Uint8Array, fdsOut: Int32Array): number;
  ctlServe(listenFd: number): number;
  ctlTake(buf: Uint8Array, meta: Int32Array): number;
  openPty(rows: number, cols: number, out: Int32Array): number;
  // confinement of the sandbox process (confine.cc)
  spawnConfined(path: string, argv: string[], envp: string[], fds: number[], detach: boolean, dieWithParent: boolean,
    newNet: boolean): [number, number] | number;
  stageDirFd(fd: number, readOnly: boolean, file: string | undefined): number;
  confineSelf(keepCaps: number): number;
  installFilter(program: Uint8Array): number;
  waitConfined(pid: number, forward: boolean): number;
  pipePair(): [number, number] | number;
  waitPid(pid: number): number;
  // host sockets for the app's inet sockets (hostnet.cc)
  netSocket(domain: number, type: number, protocol: number): number;
  netAddrCall(op: number, fd: number, addr: Uint8Array, len: number): number;
  netListen(fd: number, backlog: number): number;
  netShutdown(fd: number, how: number): number;
  netAccept(fd: number, addrOut: Uint8Array): number;
  netName(fd: number, peer: number, addrOut: Uint8Array): number;
  netSendmsg(fd: number, buf: Uint8Array, off: number, len: number, flags: number, addr: Uint8Array, addrLen: number,
    ctl: Uint8Array, ctlLen: number): number;
  netRecvmsg(fd: number, buf: Uint8Array, off: number, len: number, flags: number, addrOut: Uint8Array, ctl: Uint8Array,
    ctlLen: number, out: Int32Array): number;
  netSockopt(set: number, fd: number, level: number, name: number, buf: Uint8Array, len: number): number;
  netIoctl(fd: number, req: number, buf: Uint8Array): number;
  netIfconf(fd: number, buf: Uint8Array, len: number): number;
  netnsEnter(fd: number): number;
  netnsLeave(oldFd: number): number;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const native: NativeAddon = require(path.join(__dirname, '..', '..', 'build', 'Release', 'tsvisor_native.node'));
