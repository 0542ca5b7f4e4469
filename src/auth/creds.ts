// Credentials as the sentry emulates them. Root in the container is root only here:
// the host process that runs the app has no privilege these numbers could grant.

/** Linux capability numbers (only the ones the sentry checks by name). */
export const CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2, CAP_FOWNER = 3, CAP_FSETID = 4,
  CAP_KILL = 5, CAP_SETGID = 6, CAP_SETUID = 7, CAP_SETPCAP = 8, CAP_NET_BIND_SERVICE = 10, CAP_NET_ADMIN = 12,
  CAP_NET_RAW = 13, CAP_SYS_CHROOT = 18, CAP_SYS_PTRACE = 19, CAP_SYS_ADMIN = 21, CAP_SYS_NICE = 23,
  CAP_SYS_RESOURCE = 24, CAP_SYS_TIME = 25, CAP_MKNOD = 27, CAP_AUDIT_WRITE = 29, CAP_SETFCAP = 31;
export const CAP_LAST_CAP = 40;
/** All capabilities, as a bit set over a JS number pair (low 32, high 32). */
export const ALL_CAPS_LO = 0xffffffff, ALL_CAPS_HI = (1 << (CAP_LAST_CAP - 31)) - 1;

export class CapSet {
  constructor(public lo = 0, public hi = 0) {}
  has(cap: number): boolean {
    return cap < 32 ? ((this.lo >>> cap) & 1) === 1 : ((this.hi >>> (cap - 32)) & 1) === 1;
  }
  clone(): CapSet {
    return new CapSet(this.lo, this.hi);
  }
  static full(): CapSet {
    return new CapSet(ALL_CAPS_LO, ALL_CAPS_HI);
  }
}

export class Credentials {
  uid = 0; euid = 0; suid = 0; fsuid = 0;
  gid = 0; egid = 0; sgid = 0; fsgid = 0;
  groups: number[] = [];
  effective = CapSet.full();
  permitted = CapSet.full();
  inheritable = new CapSet();
  bounding = CapSet.full();
  ambient = new CapSet();
  noNewPrivs = false;
  keepCaps = false;

  /** Root with every capability: what a container's process gets by default. */
  static root(): Credentials {
    return new Credentials();
  }

  static forUser(uid: number, gid: number, groups: number[]): Credentials {
    const c = new Credentials();
    c.uid = c.euid = c.suid = c.fsuid = uid;
    c.gid = c.egid = c.sgid = c.fsgid = gid;
    c.groups = groups.slice();
    if (uid !== 0) {
      c.effective = new CapSet();
      c.permitted = new CapSet();
    }
    return c;
  }

  /**
   * execve's capability rules (capabilities(7)) for a program without file capabilities
   * or set-id bits: for root the file counts as having every capability (so ambient
   * capabilities are dropped and permitted becomes inheritable | bounding, effective too
   * when the effective uid is 0); for anyone else only the ambient set carries over.
   */
  applyExec(): void {
    if (this.uid === 0 || this.euid === 0) {
      this.ambient = new CapSet();
      this.permitted = new CapSet((this.inheritable.lo | this.bounding.lo) >>> 0, (this.inheritable.hi | this.bounding.hi) >>> 0);
      this.effective = this.euid === 0 ? this.permitted.clone() : new CapSet();
    } else {
      this.permitted = this.ambient.clone();
      this.effective = this.ambient.clone();
    }
  }

  hasCap(cap: number): boolean {
    return this.effective.has(cap);
  }

  inGroup(gid: number): boolean {
    return this.fsgid === gid || this.groups.includes(gid);
  }

  clone(): Credentials {
    const c = new Credentials();
    Object.assign(c, this);
    c.groups = this.groups.slice();
    c.effective = this.effective.clone();
    c.permitted = this.permitted.clone();
    c.inheritable = this.inheritable.clone();
    c.bounding = this.bounding.clone();
    c.ambient = this.ambient.clone();
    return c;
  }
}
