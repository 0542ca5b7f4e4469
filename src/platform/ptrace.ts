// The portable platform: every app thread is a thread of a stub process driven with
// PTRACE_SYSEMU from the sentry's JS thread (the tracer). An address space is one stub
// process whose main thread never runs app code: it is the thread the sentry injects
// mmap/munmap/mprotect into, and clones new app threads from. New stub processes are
// forks of a template stub made once per sandbox, so node itself is forked once.
import { native } from './native';
import { AddressSpace, Context, EventKind, Platform, PlatformEvent } from './platform';
import { REGS_SIZE } from './regs';

const SYS_mmap = 9, SYS_mprotect = 10, SYS_munmap = 11, SYS_clone = 56, SYS_fork = 57, SYS_exit = 60;
const MAP_SHARED = 0x01, MAP_FIXED = 0x10;
const CLONE_THREAD_FLAGS = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000; // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM
const SIGTRAP = 5, SIGSTOP = 19, SIGKILL = 9;
const SIGSEGV = 11, SIGBUS = 7, SIGFPE = 8, SIGILL = 4;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;

export class PtraceError extends Error {}

const clockBuf = new Float64Array(2);
function cpuClock(id: number): number {
  return native.clockGettime(id, clockBuf) === 0 ? clockBuf[0] * 1e9 + clockBuf[1] : 0;
}

class PtraceContext implements Context {
  readonly regBytes = new Uint8Array(REGS_SIZE);
  readonly regs = new Int32Array(this.regBytes.buffer);
  constructor(readonly as: PtraceAddressSpace, readonly tid: number) {
    native.registerRegs(tid, this.regBytes);
  }
  resume(regsMode: number, signo: number): number {
    return native.resume(this.tid, 0, signo, regsMode);
  }
  getFpState(buf: Uint8Array): number {
    return native.getFpRegs(this.tid, buf);
  }
  setFpState(buf: Uint8Array, len: number): number {
    return native.setFpRegs(this.tid, buf, len);
  }
  loadRegs(): number {
    return native.getRegs(this.tid, this.regBytes);
  }
  interrupt(): void {
    native.tgkill(this.as.pid, this.tid, SIGSTOP);
  }
  cpuTimeNs(): number {
    // Linux lets a process read another's thread clocks only inside its own thread group,
    // so a thread reports its stub process's clock (exact for single-threaded apps).
    return this.as.cpuTimeNs();
  }
  setParallel(on: boolean): void {
    native.setAffinity(this.tid, on ? -1 : this.as.platform.cpu);
  }
  release(): void {
    native.unregisterRegs(this.tid);
    // Make the stub thread leave on its own: SIGKILL would take its whole process.
    this.as.platform.injectChecked(this.tid, SYS_exit, 0, 0, 0, 0, 0, 0, true);
  }
}

class PtraceAddressSpace implements AddressSpace {
  private released = false;
  constructor(readonly platform: PtracePlatform, readonly pid: number) {}
  map(addr: number, len: number, prot: number, fileOffset: number): number {
    const r = this.platform.inject(this.pid, SYS_mmap, addr, len, prot, MAP_SHARED | MAP_FIXED, this.platform.memfd, fileOffset);
    return r < 0 ? r : 0;
  }
  unmap(addr: number, len: number): number {
    return this.platform.inject(this.pid, SYS_munmap, addr, len, 0, 0, 0, 0);
  }
  protect(addr: number, len: number, prot: number): number {
    return this.platform.inject(this.pid, SYS_mprotect, addr, len, prot, 0, 0, 0);
  }
  cpuTimeNs(): number {
    return cpuClock(((~this.pid) << 3) | 2); // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
  }
  newContext(): Context {
    const tid = this.platform.injectChecked(this.pid, SYS_clone, CLONE_THREAD_FLAGS, 0, 0, 0, 0, 0, false);
    this.platform.expectStop(tid, SIGSTOP);
    return new PtraceContext(this, tid);
  }
  release(): void {
    if (this.released) return;
    this.released = true;
    // The stub threads' exits reach the event loop as Exit events for unknown tids.
    native.tgkill(this.pid, this.pid, SIGKILL);
  }
}

export class PtracePlatform implements Platform {
  readonly name = 'ptrace';
  private readonly template: number;
  private readonly out = new Int32Array(5 + 2 * 64);
  private readonly injOut = new Int32Array(4);
  private readonly siginfo = new Uint8Array(128);
  private readonly siginfoView = new DataView(this.siginfo.buffer);
  readonly cpu: number;

  constructor(readonly memfd: number) {
    // Tracer and tracees on one CPU: a round trip costs ~14 us there and ~90 us across CPUs.
    this.cpu = native.pinToCpu(-1);
    const [, site] = native.stubInfo();
    native.setStubSyscall(site);
    const pid = native.stubCreate(memfd, this.cpu);
    if (pid < 0) throw new PtraceError(`cannot create the stub process: errno ${-pid}`);
    this.template = pid;
  }

  inject(tid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): number {
    return native.inject(tid, nr, a0, a1, a2, a3, a4, a5, this.injOut);
  }

  /** Inject a call that must succeed (or, with mayVanish, may end the thread). */
  injectChecked(tid: number, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number, mayVanish: boolean): number {
    this.injOut[0] = 0;
    const r = native.inject(tid, nr, a0, a1, a2, a3, a4, a5, this.injOut);
    if (r < 0 && !(mayVanish && r === -3)) throw new PtraceError(`stub syscall ${nr} failed: errno ${-r}`);
    return nr === SYS_fork || nr === SYS_clone ? this.injOut[0] || r : r;
  }

  expectStop(tid: number, sig: number): void {
    const r = native.waitTid(tid, this.out, 0);
    const status = this.out[1];
    if (r !== tid || (status & 0xff) !== 0x7f || ((status >> 8) & 0xff) !== sig) {
      throw new PtraceError(`stub ${tid} did not stop as expected (status ${status.toString(16)})`);
    }
  }

  newAddressSpace(): AddressSpace {
    const pid = this.injectChecked(this.template, SYS_fork, 0, 0, 0, 0, 0, 0, false);
    this.expectStop(pid, SIGSTOP);
    return new PtraceAddressSpace(this, pid);
  }

  watchFd(fd: number, events: number, token: number): number {
    return native.epollCtl(EPOLL_CTL_ADD, fd, events, token);
  }

  unwatchFd(fd: number): number {
    return native.epollCtl(EPOLL_CTL_DEL, fd, 0, 0);
  }

  wait(timeoutNs: number, watching: boolean, ev: PlatformEvent): EventKind {
    const out = this.out;
    const r = native.waitEvent(out, timeoutNs, watching ? 1 : 0);
    if (r === 0) return (ev.kind = EventKind.Timeout);
    if (r === 3) return (ev.kind = EventKind.Control);
    if (r === 2) {
      const n = out[4];
      ev.fdCount = n;
      for (let i = 0; i < n; i++) {
        ev.fdTokens[i] = out[5 + 2 * i];
        ev.fdEvents[i] = out[6 + 2 * i];
      }
      return (ev.kind = EventKind.HostFd);
    }
    if (r < 0) throw new PtraceError(`wait failed: errno ${-r}`);
    const tid = out[0], status = out[1];
    ev.tid = tid;
    if ((status & 0xff) !== 0x7f) {
      // exited (low 7 bits 0) or killed by a signal
      ev.exitStatus = status;
      return (ev.kind = EventKind.Exit);
    }
    const sig = (status >> 8) & 0xff;
    if (sig === (SIGTRAP | 0x80)) {
      if (out[3] !== 0) throw new PtraceError(`cannot read registers of ${tid}: errno ${-out[3]}`);
      return (ev.kind = EventKind.Syscall);
    }
    if (status >> 16 !== 0) {
      native.resume(tid, 0, 0, 0);
      return (ev.kind = EventKind.Spurious);
    }
    ev.signo = sig;
    ev.code = 0;
    ev.addr = 0;
    if (sig === SIGSEGV || sig === SIGBUS || sig === SIGFPE || sig === SIGILL || sig === SIGTRAP) {
      if (native.getSiginfo(tid, this.siginfo) === 0) {
        ev.code = this.siginfoView.getInt32(8, true);
        ev.addr = Number(this.siginfoView.getBigUint64(16, true));
      }
    }
    return (ev.kind = EventKind.Signal);
  }

  /**
   * Ends every stub and collects their exits, so nothing is left as a zombie for the
   * host's init: the address-space stubs (already killed by the kernel) are reaped as our
   * tracees while the template, their parent, still lives; then the template itself.
   */
  shutdown(): void {
    for (let i = 0; i < 10000 && native.waitTid(-1, this.out, 1) > 0; i++) {
      // drain exits of killed stub threads
    }
    native.tgkill(this.template, this.template, SIGKILL);
    native.waitTid(this.template, this.out, 0);
  }
}
