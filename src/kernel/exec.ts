// Building a process image: a fresh address space with a program loaded into it.
// Used for the container's first process and by execve; on failure nothing of the
// caller's old image has been touched.
import * as E from '../abi/errno';
import { ExecFile, load } from '../loader/loader';
import { MM } from '../mm/mm';
import type { Context } from '../platform/platform';
import { CS, EFLAGS, FS_BASE, GS_BASE, REGS_SIZE, RIP, RSP, SS, getReg, setReg } from '../platform/regs';
import type { Kernel } from './kernel';
import { RLIMIT_STACK, Rlimits } from './threadgroup';
import type { Credentials } from '../auth/creds';

export interface Image {
  mm: MM;
  ctx: Context;
  argv: string[];
  exePath: string;
}

/** Host CPU facts for the auxiliary vector, read once at boot. */
export interface CpuInfo {
  hwcap: number;
  hwcap2: number;
  minSigStkSz: number;
}

/** Size of the XSAVE buffer the sentry keeps for FP state (covers AVX-512). */
export const FP_STATE_SIZE = 4096;

/**
 * Loads file into a new address space and returns it with a context whose registers
 * are the program's initial state. Returns -errno (the caller's image is untouched).
 */
export function buildImage(k: Kernel, file: ExecFile, argv: string[], envp: string[], creds: Credentials,
  rlimits: Rlimits, open: (path: string) => ExecFile | number): Image | number {
  let as;
  try {
    as = k.platform.newAddressSpace();
  } catch (e) {
    // A host limit on the stubs (the cgroup's pids.max, say): as clone does, EAGAIN.
    k.log.error(`execve: cannot create a stub process: ${e instanceof Error ? e.message : String(e)}`);
    return -E.EAGAIN;
  }
  const mm = new MM(k.memfile, as);
  const r = load(mm, file, argv, envp, {
    open,
    random: k.random,
    hwcap: k.cpu.hwcap,
    hwcap2: k.cpu.hwcap2,
    minSigStkSz: k.cpu.minSigStkSz,
    uid: creds.uid,
    euid: creds.euid,
    gid: creds.gid,
    egid: creds.egid,
    stackLimit: rlimits.cur[RLIMIT_STACK],
    randomize: k.randomizeLayout,
  });
  if (typeof r === 'number') {
    mm.release();
    return r;
  }
  const ctx = as.newContext();
  initRegisters(ctx, r.entry, r.sp);
  return { mm, ctx, argv: r.argv, exePath: r.exePath };
}

/** A new program's registers: everything zero but rip, rsp and the segment state. */
function initRegisters(ctx: Context, entry: number, sp: number): void {
  ctx.loadRegs();
  const regs = ctx.regs;
  const cs = getReg(regs, CS), ss = getReg(regs, SS), eflags = getReg(regs, EFLAGS);
  regs.fill(0);
  setReg(regs, CS, cs);
  setReg(regs, SS, ss);
  setReg(regs, EFLAGS, (eflags & ~0xcd5) | 0x200); // arithmetic flags clear, interrupts on
  setReg(regs, RIP, entry);
  setReg(regs, RSP, sp);
  setReg(regs, FS_BASE, 0);
  setReg(regs, GS_BASE, 0);
  resetFpState(ctx);
  void REGS_SIZE;
}

const fpBuf = new Uint8Array(FP_STATE_SIZE);

/** FP/SSE/AVX state as after execve: x87 control word 0x37f, MXCSR 0x1f80, all zero. */
export function resetFpState(ctx: Context): void {
  const n = ctx.getFpState(fpBuf);
  if (n <= 0) return;
  const dv = new DataView(fpBuf.buffer);
  const mxcsrMask = dv.getUint32(28, true);
  fpBuf.fill(0, 0, n);
  dv.setUint16(0, 0x037f, true); // FCW
  dv.setUint32(24, 0x1f80, true); // MXCSR
  dv.setUint32(28, mxcsrMask, true);
  if (n > 512 + 8) dv.setUint32(512, 3, true); // XSTATE_BV: x87 and SSE in their (reset) state
  ctx.setFpState(fpBuf, n);
}
