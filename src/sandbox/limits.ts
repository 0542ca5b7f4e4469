// `tsvisor do` runs a command as the caller's shell would: with the caller's resource
// limits, read from the sentry's own /proc/self/limits before anything is confined.
import * as fs from 'fs';
import { RLIM_NLIMITS, Rlimits } from '../kernel/threadgroup';

export function callerRlimits(): Rlimits {
  const rl = new Rlimits();
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/limits', 'latin1');
  } catch {
    return rl; // keep Linux's defaults
  }
  const lines = text.split('\n').slice(1);
  for (let i = 0; i < RLIM_NLIMITS && i < lines.length; i++) {
    // "Max open files            1024                 1048576              files"
    const m = /^.{25}\s(\S+)\s+(\S+)/.exec(lines[i]);
    if (m === null) continue;
    const v = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
    const cur = v(m[1]), max = v(m[2]);
    if (!Number.isNaN(cur) && !Number.isNaN(max)) rl.set(i, cur, max);
  }
  return rl;
}
