// ELF64 headers: just the fields the loader needs, parsed from untrusted bytes with
// every offset and count checked before use.
import * as E from '../abi/errno';

export const ET_EXEC = 2, ET_DYN = 3;
export const PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
export const PF_X = 1, PF_W = 2, PF_R = 4;
const EM_X86_64 = 62;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface ElfInfo {
  type: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  phdrs: ProgramHeader[];
}

/** Reads an unsigned 64-bit little-endian value; values >= 2^53 fail the range checks later. */
function u64(b: Buffer, off: number): number {
  return b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 4294967296;
}

/** Parses the ELF header from the first bytes of the file. Returns -ENOEXEC when it is not ours. */
export function parseHeader(b: Buffer, n: number): ElfInfo | number {
  if (n < 64) return -E.ENOEXEC;
  if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) return -E.ENOEXEC;
  if (b[4] !== 2 /* ELFCLASS64 */ || b[5] !== 1 /* little endian */ || b[6] !== 1) return -E.ENOEXEC;
  const type = b.readUInt16LE(16);
  if (type !== ET_EXEC && type !== ET_DYN) return -E.ENOEXEC;
  if (b.readUInt16LE(18) !== EM_X86_64) return -E.ENOEXEC;
  const entry = u64(b, 24);
  const phoff = u64(b, 32);
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  if (phentsize !== 56 || phnum === 0 || phnum > 65536 / 56) return -E.ENOEXEC;
  return { type, entry, phoff, phentsize, phnum, phdrs: [] };
}

/** Parses phnum program headers from tbl (read from the file at phoff). */
export function parseProgramHeaders(info: ElfInfo, tbl: Buffer): number {
  for (let i = 0; i < info.phnum; i++) {
    const o = i * 56;
    const ph: ProgramHeader = {
      type: tbl.readUInt32LE(o),
      flags: tbl.readUInt32LE(o + 4),
      offset: u64(tbl, o + 8),
      vaddr: u64(tbl, o + 16),
      filesz: u64(tbl, o + 32),
      memsz: u64(tbl, o + 40),
      align: u64(tbl, o + 48),
    };
    if (ph.type === PT_LOAD) {
      if (ph.filesz > ph.memsz) return -E.ENOEXEC;
      if (ph.offset % 4096 !== ph.vaddr % 4096) return -E.ENOEXEC;
      if (ph.vaddr + ph.memsz > 2 ** 47 || ph.offset > 2 ** 47) return -E.ENOEXEC;
    }
    info.phdrs.push(ph);
  }
  return 0;
}
