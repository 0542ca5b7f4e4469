// x86-64 general registers as the kernel's user_regs_struct (27 x 8 bytes), held in
// one Int32Array per context so the syscall path reads and writes them without
// allocating. 64-bit values are handled as JS numbers: exact for |v| < 2^53, which
// covers every user address, size and errno; larger magnitudes lose low bits, and
// handlers that need full 64-bit values (e.g. lseek offsets) read both halves.

export const REGS_SIZE = 216;

// Byte offsets in user_regs_struct.
export const R15 = 0, R14 = 8, R13 = 16, R12 = 24, RBP = 32, RBX = 40, R11 = 48, R10 = 56,
  R9 = 64, R8 = 72, RAX = 80, RCX = 88, RDX = 96, RSI = 104, RDI = 112, ORIG_RAX = 120,
  RIP = 128, CS = 136, EFLAGS = 144, RSP = 152, SS = 160, FS_BASE = 168, GS_BASE = 176,
  DS = 184, ES = 192, FS = 200, GS = 208;

const TWO32 = 4294967296;

/** Reads a register as a signed 64-bit value converted to a number. */
export function getReg(r: Int32Array, off: number): number {
  const i = off >> 2;
  return r[i + 1] * TWO32 + (r[i] >>> 0);
}

/** Reads a register as an unsigned value (for addresses and sizes). */
export function getRegU(r: Int32Array, off: number): number {
  const i = off >> 2;
  return (r[i + 1] >>> 0) * TWO32 + (r[i] >>> 0);
}

/** Low 32 bits as a signed int (C `int` arguments: the kernel ignores the high half). */
export function getReg32(r: Int32Array, off: number): number {
  return r[off >> 2];
}

export function setReg(r: Int32Array, off: number, v: number): void {
  const i = off >> 2;
  const hi = Math.floor(v / TWO32);
  r[i] = (v - hi * TWO32) | 0;
  r[i + 1] = hi | 0;
}

/** Argument registers of the syscall ABI, in order. */
export const ARG_REGS = [RDI, RSI, RDX, R10, R8, R9];
