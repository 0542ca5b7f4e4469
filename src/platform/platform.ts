// The platform contract (DESIGN.md): address spaces whose mappings mirror the sentry's
// VMA tables, contexts that run app threads until they trap, and one wait primitive
// for the sentry's event loop. Nothing above this folder knows how a platform traps.

export const enum EventKind {
  Timeout = 0,
  Syscall = 1,
  /** A synchronous fault or signal stopped the thread: see signo/code/addr. */
  Signal = 2,
  /** The stub thread is gone (killed or exited). */
  Exit = 3,
  /** Host fds became ready: tokens and their events in fdTokens/fdEvents. */
  HostFd = 4,
  /** A stop the kernel above need not act on (already handled by the platform). */
  Spurious = 5,
  /** Requests wait on the sandbox's control channel (platform/control.ts: ctlTake). */
  Control = 6,
}

/** Filled in place by Platform.wait; one instance per platform, never reallocated. */
export class PlatformEvent {
  kind: EventKind = EventKind.Timeout;
  /** Host tid of the context the event is about. */
  tid = 0;
  signo = 0;
  code = 0;
  addr = 0;
  exitStatus = 0;
  fdCount = 0;
  readonly fdTokens = new Int32Array(64);
  readonly fdEvents = new Int32Array(64);
}

export interface Context {
  /** Host tid of the stub thread: the key the kernel uses to find the task. */
  readonly tid: number;
  /** user_regs_struct; valid after a Syscall event, written back on resume. */
  readonly regs: Int32Array;
  readonly regBytes: Uint8Array;
  /** Resume app code. regsMode: 0 = registers untouched, 1 = rax changed, 2 = all changed. */
  resume(regsMode: number, signo: number): number;
  /** XSAVE area of the FP/vector state, read and written on demand (signals, fork). */
  getFpState(buf: Uint8Array): number;
  setFpState(buf: Uint8Array, len: number): number;
  /** Reload the general registers from the thread (after a fault stop, for instance). */
  loadRegs(): number;
  /** Kick the thread out of app code (asynchronous signal delivery). */
  interrupt(): void;
  /** CPU time the thread has used running app code, in ns. */
  cpuTimeNs(): number;
  /** Lets the thread run on any CPU (true) or keeps it beside the sentry (false). */
  setParallel(on: boolean): void;
  release(): void;
}

export interface AddressSpace {
  /** Map [addr, addr+len) to the memory file at fileOffset with prot (PROT_* bits). */
  map(addr: number, len: number, prot: number, fileOffset: number): number;
  unmap(addr: number, len: number): number;
  protect(addr: number, len: number, prot: number): number;
  newContext(): Context;
  /** CPU time of every thread that ran in this address space, in ns. */
  cpuTimeNs(): number;
  release(): void;
}

export interface Platform {
  readonly name: string;
  /** The CPU the sentry, and every single-threaded app process, is pinned to. */
  readonly cpu: number;
  /** The memory file every address space maps. */
  readonly memfd: number;
  newAddressSpace(): AddressSpace;
  /** Host fds the sentry waits on besides app threads (stdio, host sockets). */
  watchFd(fd: number, events: number, token: number): number;
  unwatchFd(fd: number): number;
  /**
   * Wait for the next event. timeoutNs < 0: no deadline. watching: host fds or a
   * deadline matter (otherwise only app threads can produce the next event).
   */
  wait(timeoutNs: number, watching: boolean, ev: PlatformEvent): EventKind;
  shutdown(): void;
}
