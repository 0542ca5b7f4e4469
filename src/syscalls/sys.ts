// System information: uname, sysinfo, getrandom, CPU affinity. Values describe the
// sandbox (its hostname, its memory, its CPUs), not the host.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

import { UTS_RELEASE, UTS_VERSION, sandboxCpus, sandboxMemory, sandboxMemoryUsed } from '../kernel/sysinfo';
export { UTS_RELEASE, UTS_VERSION, sandboxCpus };

function uname(t: Task, buf: number): number {
  const k = t.kernel;
  const fields = ['Linux', k.hostname, UTS_RELEASE, UTS_VERSION, 'x86_64', k.domainname];
  scratch.fill(0, 0, 390);
  fields.forEach((f, i) => scratch.write(f.slice(0, 64), i * 65, 'latin1'));
  return t.mm.copyOut(buf, scratch, 0, 390);
}


function sysinfo(t: Task, info: number): number {
  const k = t.kernel;
  scratch.fill(0, 0, 112);
  const uptime = Math.floor((k.clock.monoNow() - k.clock.bootMono) / 1e9);
  const load = k.sampleLoad().avg;
  const total = sandboxMemory();
  const free = Math.max(0, total - sandboxMemoryUsed(k.memfile));
  const put = (off: number, v: number) => {
    scratch.writeUInt32LE(v % 4294967296 >>> 0, off);
    scratch.writeUInt32LE(Math.floor(v / 4294967296) >>> 0, off + 4);
  };
  put(0, uptime);
  for (let i = 0; i < 3; i++) put(8 + i * 8, Math.floor(load[i] * 65536));
  put(32, total);
  put(40, free);
  scratch.writeUInt16LE(Math.min(k.tasks.size, 0xffff), 80);
  scratch.writeUInt32LE(1, 104); // mem_unit
  return t.mm.copyOut(info, scratch, 0, 112);
}

const GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;

function getrandom(t: Task, buf: number, len: number, flags: number): number {
  flags |= 0;
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) return -E.EINVAL;
  if ((flags & GRND_INSECURE) !== 0 && (flags & GRND_RANDOM) !== 0) return -E.EINVAL;
  if (len < 0) return -E.EINVAL;
  // Linux returns at most 32 MiB - 1 per call (and may return less for large requests).
  const n = Math.min(len, 0x1ffffff);
  let done = 0;
  while (done < n) {
    const c = Math.min(n - done, scratch.length);
    t.kernel.random(scratch, 0, c);
    if (t.mm.copyOut(buf + done, scratch, 0, c) < 0) return done > 0 ? done : -E.EFAULT;
    done += c;
  }
  return done;
}

function schedGetaffinity(t: Task, pid: number, len: number, mask: number): number {
  pid |= 0;
  if (pid !== 0 && !t.kernel.tasks.has(pid)) return -E.ESRCH;
  const cpus = sandboxCpus();
  const need = Math.ceil(cpus / 64) * 8;
  if (len < need || len % 8 !== 0) return -E.EINVAL;
  scratch.fill(0, 0, need);
  for (let c = 0; c < cpus; c++) scratch[c >> 3] |= 1 << (c & 7);
  const r = t.mm.copyOut(mask, scratch, 0, need);
  return r < 0 ? r : need;
}

function schedSetaffinity(t: Task, pid: number, len: number, mask: number): number {
  pid |= 0;
  if (pid !== 0 && !t.kernel.tasks.has(pid)) return -E.ESRCH;
  const n = Math.min(len, 128);
  if (t.mm.copyIn(mask, scratch, 0, n) < 0) return -E.EFAULT;
  const cpus = sandboxCpus();
  for (let c = 0; c < cpus && c < n * 8; c++) if (scratch[c >> 3] & (1 << (c & 7))) return 0;
  return -E.EINVAL; // no usable CPU in the mask
}

function getcpu(t: Task, cpu: number, node: number): number {
  // A lone thread runs pinned beside the sentry, so its CPU is the sentry's. Threads of a
  // multi-threaded process float; the sentry's CPU is where they entered it last.
  scratch.writeUInt32LE(Math.max(0, t.kernel.platform.cpu), 0);
  scratch.writeUInt32LE(0, 4);
  if (cpu !== 0 && t.mm.copyOut(cpu, scratch, 0, 4) < 0) return -E.EFAULT;
  if (node !== 0 && t.mm.copyOut(node, scratch, 4, 4) < 0) return -E.EFAULT;
  return 0;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.uname, uname);
  tbl.def(NR.sysinfo, sysinfo, 'partial', 'memory is the host total (no limit yet) minus what the sandbox uses; the load averages are the sandbox\'s own; swap and buffers read as 0');
  tbl.def(NR.getrandom, getrandom);
  tbl.def(NR.sched_getaffinity, schedGetaffinity);
  tbl.def(NR.sched_setaffinity, schedSetaffinity, 'partial', 'accepted but app threads are placed by the sentry');
  tbl.def(NR.getcpu, getcpu, 'partial', 'reports the sentry\'s CPU, where single-threaded processes are pinned; threads of a multi-threaded process may be elsewhere; node 0');
}
