// Host CPU facts the loader puts in the auxiliary vector, read from the sentry's own
// auxv (the app runs on the same CPU).
import * as fs from 'fs';
import type { CpuInfo } from '../kernel/exec';

export function readCpuInfo(): CpuInfo {
  const info: CpuInfo = { hwcap: 0, hwcap2: 0, minSigStkSz: 2048 };
  try {
    const b = fs.readFileSync('/proc/self/auxv');
    for (let o = 0; o + 16 <= b.length; o += 16) {
      const type = Number(b.readBigUInt64LE(o));
      const val = Number(b.readBigUInt64LE(o + 8));
      if (type === 16) info.hwcap = val;
      else if (type === 26) info.hwcap2 = val;
      else if (type === 51) info.minSigStkSz = val;
    }
  } catch {
    // keep the defaults: AT_HWCAP 0 only disables libc fast paths
  }
  return info;
}
