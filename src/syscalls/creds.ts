// Credentials: the set*id family, setgroups, capget/capset. The ids and capability sets
// are the sentry's own: root in the container is root only inside it.
import * as E from '../abi/errno';
import { CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CapSet, Credentials } from '../auth/creds';
import type { Task } from '../kernel/task';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

const NGROUPS_MAX = 65536;
/** Capabilities that follow fsuid (Linux's CAP_FS_MASK). */
const FS_CAPS = [0, 1, 2, 3, 4, 9, 27, 32];

/** (u32)-1 means "leave unchanged" in the set*id calls. */
const keep = (id: number) => (id >>> 0) === 0xffffffff;

/** Linux's cap_task_fix_setuid: what changing uids does to the capability sets. */
function fixCaps(c: Credentials, old: { uid: number; euid: number; suid: number; fsuid: number }): void {
  const wasRoot = old.uid === 0 || old.euid === 0 || old.suid === 0;
  const isRoot = c.uid === 0 || c.euid === 0 || c.suid === 0;
  if (wasRoot && !isRoot && !c.keepCaps) {
    c.permitted = new CapSet();
    c.effective = new CapSet();
    c.ambient = new CapSet();
  }
  if (old.euid === 0 && c.euid !== 0) c.effective = new CapSet();
  if (old.euid !== 0 && c.euid === 0) c.effective = c.permitted.clone();
  if (old.fsuid === 0 && c.fsuid !== 0) {
    for (const cap of FS_CAPS) clearCap(c.effective, cap);
  } else if (old.fsuid !== 0 && c.fsuid === 0) {
    for (const cap of FS_CAPS) if (c.permitted.has(cap)) setCap(c.effective, cap);
  }
}

function clearCap(s: CapSet, cap: number): void {
  if (cap < 32) s.lo &= ~(1 << cap);
  else s.hi &= ~(1 << (cap - 32));
}

function setCap(s: CapSet, cap: number): void {
  if (cap < 32) s.lo |= 1 << cap;
  else s.hi |= 1 << (cap - 32);
}

function snapshot(c: Credentials) {
  return { uid: c.uid, euid: c.euid, suid: c.suid, fsuid: c.fsuid };
}

function setresuid(t: Task, r: number, e: number, s: number): number {
  const c = t.creds;
  const ok = (id: number) => keep(id) || id === c.uid || id === c.euid || id === c.suid;
  if (!c.hasCap(CAP_SETUID) && !(ok(r) && ok(e) && ok(s))) return -E.EPERM;
  const old = snapshot(c);
  if (!keep(r)) c.uid = r >>> 0;
  if (!keep(e)) c.euid = e >>> 0;
  if (!keep(s)) c.suid = s >>> 0;
  c.fsuid = c.euid;
  fixCaps(c, old);
  return 0;
}

function setreuid(t: Task, r: number, e: number): number {
  const c = t.creds;
  const priv = c.hasCap(CAP_SETUID);
  if (!keep(r) && !priv && (r >>> 0) !== c.uid && (r >>> 0) !== c.euid) return -E.EPERM;
  if (!keep(e) && !priv && (e >>> 0) !== c.uid && (e >>> 0) !== c.euid && (e >>> 0) !== c.suid) return -E.EPERM;
  const old = snapshot(c);
  if (!keep(r)) c.uid = r >>> 0;
  if (!keep(e)) c.euid = e >>> 0;
  if (!keep(r) || (!keep(e) && c.euid !== old.uid)) c.suid = c.euid;
  c.fsuid = c.euid;
  fixCaps(c, old);
  return 0;
}

function setuid(t: Task, uid: number): number {
  if (keep(uid)) return -E.EINVAL;
  const c = t.creds;
  uid >>>= 0;
  const old = snapshot(c);
  if (c.hasCap(CAP_SETUID)) {
    c.uid = c.euid = c.suid = c.fsuid = uid;
  } else if (uid === c.uid || uid === c.suid) {
    c.euid = c.fsuid = uid;
  } else {
    return -E.EPERM;
  }
  fixCaps(c, old);
  return 0;
}

function setfsuid(t: Task, uid: number): number {
  const c = t.creds;
  const old = c.fsuid;
  if (keep(uid)) return old;
  uid >>>= 0;
  if (c.hasCap(CAP_SETUID) || uid === c.uid || uid === c.euid || uid === c.suid || uid === c.fsuid) {
    const snap = snapshot(c);
    c.fsuid = uid;
    fixCaps(c, snap);
  }
  return old;
}

function setresgid(t: Task, r: number, e: number, s: number): number {
  const c = t.creds;
  const ok = (id: number) => keep(id) || id === c.gid || id === c.egid || id === c.sgid;
  if (!c.hasCap(CAP_SETGID) && !(ok(r) && ok(e) && ok(s))) return -E.EPERM;
  if (!keep(r)) c.gid = r >>> 0;
  if (!keep(e)) c.egid = e >>> 0;
  if (!keep(s)) c.sgid = s >>> 0;
  c.fsgid = c.egid;
  return 0;
}

function setregid(t: Task, r: number, e: number): number {
  const c = t.creds;
  const priv = c.hasCap(CAP_SETGID);
  if (!keep(r) && !priv && (r >>> 0) !== c.gid && (r >>> 0) !== c.egid) return -E.EPERM;
  if (!keep(e) && !priv && (e >>> 0) !== c.gid && (e >>> 0) !== c.egid && (e >>> 0) !== c.sgid) return -E.EPERM;
  const oldGid = c.gid;
  if (!keep(r)) c.gid = r >>> 0;
  if (!keep(e)) c.egid = e >>> 0;
  if (!keep(r) || (!keep(e) && c.egid !== oldGid)) c.sgid = c.egid;
  c.fsgid = c.egid;
  return 0;
}

function setgid(t: Task, gid: number): number {
  if (keep(gid)) return -E.EINVAL;
  const c = t.creds;
  gid >>>= 0;
  if (c.hasCap(CAP_SETGID)) c.gid = c.egid = c.sgid = c.fsgid = gid;
  else if (gid === c.gid || gid === c.sgid) c.egid = c.fsgid = gid;
  else return -E.EPERM;
  return 0;
}

function setfsgid(t: Task, gid: number): number {
  const c = t.creds;
  const old = c.fsgid;
  if (keep(gid)) return old;
  gid >>>= 0;
  if (c.hasCap(CAP_SETGID) || gid === c.gid || gid === c.egid || gid === c.sgid || gid === c.fsgid) c.fsgid = gid;
  return old;
}

function setgroups(t: Task, size: number, list: number): number {
  size |= 0;
  if (size < 0 || size > NGROUPS_MAX) return -E.EINVAL;
  if (!t.creds.hasCap(CAP_SETGID)) return -E.EPERM;
  const groups: number[] = [];
  if (size > 0) {
    const b = Buffer.alloc(size * 4);
    if (t.mm.copyIn(list, b, 0, size * 4) < 0) return -E.EFAULT;
    for (let i = 0; i < size; i++) groups.push(b.readUInt32LE(i * 4));
  }
  t.creds.groups = groups.sort((a, b) => a - b);
  return 0;
}

const CAP_V1 = 0x19980330, CAP_V2 = 0x20071026, CAP_V3 = 0x20080522;

/** Reads the header; returns the target task, or -errno (writing the preferred version on a bad one). */
function capHeader(t: Task, hdr: number, dataPresent: boolean): [Task, number] | number {
  if (t.mm.copyIn(hdr, scratch, 0, 8) < 0) return -E.EFAULT;
  const version = scratch.readUInt32LE(0);
  const pid = scratch.readInt32LE(4);
  if (version !== CAP_V1 && version !== CAP_V2 && version !== CAP_V3) {
    scratch.writeUInt32LE(CAP_V3, 0);
    if (t.mm.copyOut(hdr, scratch, 0, 4) < 0) return -E.EFAULT;
    return dataPresent ? -E.EINVAL : 0;
  }
  if (pid < 0) return -E.EINVAL;
  const target = pid === 0 ? t : t.kernel.tasks.get(pid);
  if (target === undefined) return -E.ESRCH;
  return [target, version === CAP_V1 ? 1 : 2];
}

function capget(t: Task, hdr: number, data: number): number {
  const h = capHeader(t, hdr, data !== 0);
  if (typeof h === 'number') return h;
  if (data === 0) return 0;
  const [target, words] = h;
  const c = target.creds;
  scratch.fill(0, 0, 24);
  const sets = [c.effective, c.permitted, c.inheritable];
  for (let w = 0; w < words; w++) {
    for (let i = 0; i < 3; i++) scratch.writeUInt32LE((w === 0 ? sets[i].lo : sets[i].hi) >>> 0, w * 12 + i * 4);
  }
  return t.mm.copyOut(data, scratch, 0, words * 12);
}

function capset(t: Task, hdr: number, data: number): number {
  const h = capHeader(t, hdr, true);
  if (typeof h === 'number') return h;
  const [target, words] = h;
  if (target !== t) return -E.EPERM;
  if (t.mm.copyIn(data, scratch, 0, words * 12) < 0) return -E.EFAULT;
  const read = (i: number) => new CapSet(scratch.readUInt32LE(i * 4), words > 1 ? scratch.readUInt32LE(12 + i * 4) : 0);
  const eff = read(0), perm = read(1), inh = read(2);
  const c = t.creds;
  const subset = (a: CapSet, b: CapSet) => ((a.lo & ~b.lo) | (a.hi & ~b.hi)) === 0;
  if (!subset(perm, c.permitted)) return -E.EPERM;
  if (!subset(eff, perm)) return -E.EPERM;
  const inhLimit = c.hasCap(CAP_SETPCAP)
    ? new CapSet(c.inheritable.lo | c.bounding.lo, c.inheritable.hi | c.bounding.hi)
    : new CapSet(c.inheritable.lo | c.permitted.lo, c.inheritable.hi | c.permitted.hi);
  if (!subset(inh, inhLimit)) return -E.EPERM;
  c.effective = eff;
  c.permitted = perm;
  c.inheritable = inh;
  return 0;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.setuid, setuid);
  tbl.def(NR.setgid, setgid);
  tbl.def(NR.setreuid, setreuid);
  tbl.def(NR.setregid, setregid);
  tbl.def(NR.setresuid, setresuid);
  tbl.def(NR.setresgid, setresgid);
  tbl.def(NR.setfsuid, setfsuid);
  tbl.def(NR.setfsgid, setfsgid);
  tbl.def(NR.setgroups, setgroups);
  tbl.def(NR.capget, capget);
  tbl.def(NR.capset, capset);
}
