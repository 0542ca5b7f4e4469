// The container's seccomp profile (OCI linux.seccomp), applied by the sentry to the
// app's syscalls before their handlers run. The profile is compiled once into a table
// indexed by syscall number, so the check on the syscall path is one array read for the
// (usual) rule without argument conditions.
//
// Semantics follow libseccomp as runc uses it: a syscall's rules are tried, and of the
// rules whose argument conditions all hold the most restrictive action wins (as the
// kernel picks among filters); no match means the default action. Names unknown on
// x86-64 (the 32-bit calls of a multi-arch profile) are skipped, as libseccomp does.

/** Actions, most restrictive first (the order the kernel ranks SECCOMP_RET_* values). */
export const enum SeccompAction {
  KillProcess = 0,
  KillThread = 1,
  Trap = 2,
  Errno = 3,
  Trace = 4,
  Log = 5,
  Allow = 6,
}

/** One argument comparison (SCMP_CMP_*). Values are unsigned 64-bit, kept as BigInt. */
export interface SeccompArg {
  index: number;
  op: 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';
  value: bigint;
  valueTwo: bigint;
}

export interface SeccompRule {
  action: SeccompAction;
  errno: number;
  args: SeccompArg[];
}

/** A checked, compiled profile. */
export class SeccompFilter {
  /** Per syscall number: rules (null: the default applies at once). */
  readonly rules: (SeccompRule[] | null)[];

  constructor(
    readonly defaultAction: SeccompAction,
    readonly defaultErrno: number,
    size: number,
  ) {
    this.rules = new Array(size).fill(null);
  }

  add(nr: number, rule: SeccompRule): void {
    let list = this.rules[nr];
    if (list === null || list === undefined) list = this.rules[nr] = [];
    list.push(rule);
  }

  /**
   * The action for syscall nr with args a0..a5 (JS numbers from the registers, compared
   * as unsigned 64-bit). Sets lastErrno for Errno results. Allocates nothing unless a
   * rule has argument conditions.
   */
  check(nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): SeccompAction {
    const list = nr >= 0 && nr < this.rules.length ? this.rules[nr] : null;
    if (list === null) {
      this.lastErrno = this.defaultErrno;
      return this.defaultAction;
    }
    let best = -1;
    let errno = 0;
    for (const r of list) {
      if (r.args.length > 0 && !matches(r.args, a0, a1, a2, a3, a4, a5)) continue;
      if (best < 0 || r.action < best) {
        best = r.action;
        errno = r.errno;
      }
    }
    if (best < 0) {
      this.lastErrno = this.defaultErrno;
      return this.defaultAction;
    }
    this.lastErrno = errno;
    return best as SeccompAction;
  }

  lastErrno = 0;
}

const U64 = (1n << 64n) - 1n;

function toU64(v: number): bigint {
  // Register values arrive as JS numbers (exact for the values apps pass in practice;
  // negative for sign-extended ones).
  return BigInt.asUintN(64, BigInt(Math.trunc(v)));
}

function matches(args: SeccompArg[], a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): boolean {
  for (const c of args) {
    const raw = c.index === 0 ? a0 : c.index === 1 ? a1 : c.index === 2 ? a2 : c.index === 3 ? a3 : c.index === 4 ? a4 : a5;
    const v = toU64(raw) & U64;
    let ok: boolean;
    switch (c.op) {
      case 'NE': ok = v !== c.value; break;
      case 'LT': ok = v < c.value; break;
      case 'LE': ok = v <= c.value; break;
      case 'EQ': ok = v === c.value; break;
      case 'GE': ok = v >= c.value; break;
      case 'GT': ok = v > c.value; break;
      default: ok = (v & c.value) === c.valueTwo; break;
    }
    if (!ok) return false;
  }
  return true;
}

export class SeccompError extends Error {}

const ACTIONS: Record<string, SeccompAction> = {
  SCMP_ACT_KILL: SeccompAction.KillThread,
  SCMP_ACT_KILL_THREAD: SeccompAction.KillThread,
  SCMP_ACT_KILL_PROCESS: SeccompAction.KillProcess,
  SCMP_ACT_TRAP: SeccompAction.Trap,
  SCMP_ACT_ERRNO: SeccompAction.Errno,
  SCMP_ACT_TRACE: SeccompAction.Trace,
  SCMP_ACT_LOG: SeccompAction.Log,
  SCMP_ACT_ALLOW: SeccompAction.Allow,
};

const OPS: Record<string, SeccompArg['op']> = {
  SCMP_CMP_NE: 'NE', SCMP_CMP_LT: 'LT', SCMP_CMP_LE: 'LE', SCMP_CMP_EQ: 'EQ', SCMP_CMP_GE: 'GE', SCMP_CMP_GT: 'GT',
  SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};

/** EPERM, the errno libseccomp gives SCMP_ACT_ERRNO without errnoRet. */
const EPERM = 1;

function big(v: unknown, field: string): bigint {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new SeccompError(`${field}: must be a non-negative integer`);
  return BigInt(v);
}

/**
 * Compiles an OCI linux.seccomp object against the x86-64 syscall numbers (names: the
 * number of each name). Errors name the field ("linux.seccomp.syscalls[3].action").
 */
export function compileSeccomp(spec: Record<string, unknown>, numbers: ReadonlyMap<string, number>, size: number): SeccompFilter {
  const f = 'linux.seccomp';
  const action = (v: unknown, field: string): SeccompAction => {
    if (typeof v !== 'string' || !(v in ACTIONS)) {
      throw new SeccompError(`${field}: ${JSON.stringify(v)} is not a supported action` +
        (v === 'SCMP_ACT_NOTIFY' ? ' (no seccomp agent can be reached from the sandbox)' : ''));
    }
    return ACTIONS[v];
  };
  const errnoOf = (v: unknown, field: string): number => {
    if (v === undefined) return EPERM;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 4095) throw new SeccompError(`${field}: must be an errno`);
    return v;
  };
  for (const k of Object.keys(spec)) {
    if (!['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'syscalls', 'listenerPath', 'listenerMetadata'].includes(k)) {
      throw new SeccompError(`${f}.${k}: not supported by tsvisor`);
    }
  }
  if (spec.listenerPath !== undefined) throw new SeccompError(`${f}.listenerPath: no seccomp agent can be reached from the sandbox`);
  const filter = new SeccompFilter(action(spec.defaultAction, `${f}.defaultAction`),
    errnoOf(spec.defaultErrnoRet, `${f}.defaultErrnoRet`), size);
  if (spec.architectures !== undefined && !Array.isArray(spec.architectures)) throw new SeccompError(`${f}.architectures: must be an array`);
  if (spec.flags !== undefined && !Array.isArray(spec.flags)) throw new SeccompError(`${f}.flags: must be an array`);
  const list = spec.syscalls ?? [];
  if (!Array.isArray(list)) throw new SeccompError(`${f}.syscalls: must be an array`);
  list.forEach((s: unknown, i: number) => {
    const sf = `${f}.syscalls[${i}]`;
    if (s === null || typeof s !== 'object' || Array.isArray(s)) throw new SeccompError(`${sf}: must be an object`);
    const o = s as Record<string, unknown>;
    if (!Array.isArray(o.names) || o.names.some((n) => typeof n !== 'string')) throw new SeccompError(`${sf}.names: must be an array of names`);
    const act = action(o.action, `${sf}.action`);
    const errno = errnoOf(o.errnoRet, `${sf}.errnoRet`);
    const args: SeccompArg[] = [];
    if (o.args !== undefined && o.args !== null) {
      if (!Array.isArray(o.args)) throw new SeccompError(`${sf}.args: must be an array`);
      o.args.forEach((a: unknown, j: number) => {
        const af = `${sf}.args[${j}]`;
        const ao = (a ?? {}) as Record<string, unknown>;
        const index = ao.index;
        if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5) throw new SeccompError(`${af}.index: must be 0..5`);
        if (typeof ao.op !== 'string' || !(ao.op in OPS)) throw new SeccompError(`${af}.op: ${JSON.stringify(ao.op)} is not a comparison`);
        args.push({ index, op: OPS[ao.op], value: big(ao.value ?? 0, `${af}.value`), valueTwo: big(ao.valueTwo ?? 0, `${af}.valueTwo`) });
      });
    }
    for (const name of o.names as string[]) {
      const nr = numbers.get(name);
      if (nr === undefined) continue; // not an x86-64 call
      filter.add(nr, { action: act, errno, args });
    }
  });
  return filter;
}
