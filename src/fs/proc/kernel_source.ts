// The one place procfs touches the kernel: reads its task registry (never changes it).
import { PROC_NET_SOCKETS, netinfo, procNetDev, procNetIfInet6, procNetRoute, procNetSockets } from '../../net/host/netinfo';
import { liveHostSockets } from '../../net/host/socket';
import type { Kernel } from '../../kernel/kernel';
import { Task, TaskState } from '../../kernel/task';
import type { ProcProcess, ProcSource, SystemSource } from './source';
import { UTS_RELEASE, UTS_VERSION, sandboxCpus, sandboxMemory, sandboxMemoryUsed } from '../../kernel/sysinfo';
import type { ThreadGroup } from '../../kernel/threadgroup';
import { Credentials } from '../../auth/creds';

function stateLetter(t: Task): string {
  switch (t.state) {
    case TaskState.Running:
    case TaskState.Runnable:
      return 'R';
    case TaskState.Blocked:
    case TaskState.Paused: // as a task of a frozen cgroup v2 shows: sleeping
      return 'S';
    case TaskState.Stopped:
      return 'T';
    default:
      return 'Z';
  }
}

import { cttyOf } from '../tty/jobctl';

/** A ProcSource over the kernel's task registry. */
export function kernelProcSource(k: Kernel): ProcSource {
  const view = (tg: ThreadGroup, t: Task | undefined): ProcProcess | null => {
    if (t === undefined) {
      // A zombie (or a group whose leader thread is gone): what Linux still shows.
      if (tg.exitStatus < 0 && tg.tasks.length === 0) return null;
      const first = tg.tasks[0];
      return {
        tgid: tg.tgid, ppid: tg.parent !== null ? tg.parent.tgid : 0, pgid: tg.pgid, sid: tg.sid,
        comm: first?.comm ?? '', state: tg.exitStatus >= 0 ? 'Z' : first !== undefined ? stateLetter(first) : 'Z',
        mm: tg.exitStatus >= 0 ? null : tg.mm, fdTable: first?.fdTable ?? null, fs: first?.fs ?? null,
        creds: first?.creds ?? new Credentials(), tids: tg.tasks.map((x) => x.tid), rlimits: tg.rlimits,
      };
    }
    return {
      tgid: tg.tgid,
      ppid: tg.parent !== null ? tg.parent.tgid : 0,
      pgid: tg.pgid,
      sid: tg.sid,
      comm: t.comm,
      state: tg.stopped ? 'T' : stateLetter(t),
      mm: tg.mm,
      fdTable: t.fdTable,
      fs: t.fs,
      creds: t.creds,
      tids: tg.tasks.map((x) => x.tid),
      rlimits: tg.rlimits,
      ttyNr: cttyOf(tg)?.ttyNr ?? 0,
      tpgid: cttyOf(tg)?.pgrp || -1,
    };
  };
  return {
    process(id: number): ProcProcess | null {
      const tg = k.threadGroups.get(id) ?? k.tasks.get(id)?.tg;
      if (tg === undefined) return null;
      return view(tg, tg.tasks.find((x) => x.tid === tg.tgid) ?? tg.tasks[0]);
    },
    thread(tgid: number, tid: number): ProcProcess | null {
      const t = k.tasks.get(tid);
      if (t === undefined || t.tgid !== tgid) return null;
      return view(t.tg, t);
    },
    tgids(): number[] {
      return [...k.threadGroups.keys()].sort((a, b) => a - b);
    },
  };
}

/** The SystemSource of a kernel: its clock, hostname, tasks and memory file. */
export function kernelSystemSource(k: Kernel): SystemSource {
  const c = k.clock;
  // The wall time at boot: now minus the time since boot.
  c.read(0);
  const bootSec = Math.floor(c.ts[0] + c.ts[1] / 1e9 - (c.monoNow() - c.bootMono) / 1e9);
  return {
    cpus: sandboxCpus,
    hostname: () => k.hostname,
    domainname: () => k.domainname,
    release: UTS_RELEASE,
    version: UTS_VERSION,
    uptimeNs: () => c.monoNow() - c.bootMono,
    bootTimeSec: () => bootSec,
    memTotal: sandboxMemory,
    memUsed: () => sandboxMemoryUsed(k.memfile),
    runnable: () => k.sampleLoad().runnable,
    loadavg: () => k.sampleLoad().avg,
    taskCount: () => k.tasks.size,
    lastPid: () => k.lastPid,
    random: (b) => k.random(b, 0, b.length),
    unprivPortStart: () => k.unprivPortStart,
    netFile: (name) => {
      netinfo.live = k.inet;
      if (name === 'dev') return procNetDev();
      if (name === 'route') return procNetRoute();
      if (name === 'if_inet6') return procNetIfInet6();
      const s = PROC_NET_SOCKETS.find(([n]) => n === name);
      if (s === undefined) return '';
      return procNetSockets(s[1], s[2], [...liveHostSockets].map((x) => x.hostView));
    },
  };
}
