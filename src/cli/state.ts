// The runtime's state directory (--root, default /run/tsvisor): one directory per
// container holding state.json. Every command that reads or changes a container holds
// an exclusive flock on the container's directory, so concurrent commands (containerd
// may run `state` while `kill` runs) see whole states. state.json is replaced by rename,
// never rewritten in place, so a crash leaves the old or the new version.
import * as fs from 'fs';
import * as path from 'path';
import { hostFlock } from '../platform/hostfile';

const LOCK_EX = 2, LOCK_UN = 8;

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** What `state` prints (the OCI runtime spec's state, plus runc's rootfs/created/owner). */
export interface ContainerState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** runc's rule for container ids. */
const ID_RE = /^[\w+\-.]+$/;

export class StateError extends Error {}

export class StateDir {
  constructor(readonly root: string) {}

  static checkId(id: string): void {
    if (id === '' ) throw new StateError('container id cannot be empty');
    if (!ID_RE.test(id) || id === '.' || id === '..') throw new StateError(`invalid container id format: ${id}`);
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  /** Runs f with the container's directory locked. */
  withLock<T>(id: string, f: () => T): T {
    StateDir.checkId(id);
    let fd: number;
    try {
      fd = fs.openSync(this.dir(id), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      throw new StateError(`container does not exist: ${id}`);
    }
    try {
      hostFlock(fd, LOCK_EX);
      return f();
    } finally {
      hostFlock(fd, LOCK_UN);
      fs.closeSync(fd);
    }
  }

  /** Makes the container's directory; a duplicate id is an error (as runc says it). */
  create(st: ContainerState): void {
    StateDir.checkId(st.id);
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      fs.mkdirSync(this.dir(st.id), { mode: 0o711 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StateError(`container with id exists: ${st.id}`);
      throw e;
    }
    this.write(st);
  }

  read(id: string): ContainerState {
    StateDir.checkId(id);
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.dir(id), 'state.json'), 'utf8');
    } catch {
      throw new StateError(`container does not exist: ${id}`);
    }
    return JSON.parse(text) as ContainerState;
  }

  write(st: ContainerState): void {
    const tmp = path.join(this.dir(st.id), `.state.json.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify(st));
    fs.renameSync(tmp, path.join(this.dir(st.id), 'state.json'));
  }

  /**
   * The container's linux.resources as last applied (recorded at create, merged by each
   * `update`), kept beside state.json because `state` prints state.json as it is.
   */
  readResources(id: string): Record<string, unknown> {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(this.dir(id), 'resources.json'), 'utf8')) as unknown;
      return r !== null && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  writeResources(id: string, r: Record<string, unknown> | null): void {
    const tmp = path.join(this.dir(id), `.resources.json.${process.pid}`);
    fs.writeFileSync(tmp, JSON.stringify(r ?? {}));
    fs.renameSync(tmp, path.join(this.dir(id), 'resources.json'));
  }

  remove(id: string): void {
    StateDir.checkId(id);
    fs.rmSync(this.dir(id), { recursive: true, force: true });
  }

  /** Ids of every container with a state, sorted. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => ID_RE.test(n) && fs.existsSync(path.join(this.root, n, 'state.json'))).sort();
  }
}

/** An RFC 3339 time with nanoseconds, as runc writes "created". */
export function rfc3339Now(): string {
  const d = new Date();
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
