// The sandbox process confines itself (DESIGN.md, "Processes of one sandbox"): it was
// started in fresh namespaces (platform/confine.ts spawnConfined); once it holds every fd
// it needs (the root and bind-mount sources, stdio, the memory file, the control socket,
// the log) it moves each host directory it holds into a new root as a bind mount of its
// own, pivots into that root (read-only), keeps only the capabilities in
// KEPT_CAPABILITIES and installs the host-syscall allow-list of hostpolicy.ts on every
// thread. Everything after this point reaches the host only through those fds.
import { ConfineError, compileHostFilter, confineSelf, installHostFilter, stageDirFd } from '../platform/confine';
import { hostDirsToStage } from '../fs/host/hostfs';
import { KEPT_CAPABILITIES, hostSyscallRules } from './hostpolicy';

export { CONFINED_FLAG } from './flags';

let compiled: Uint8Array | null = null;

/** Compiles the allow-list (done at module load of the caller, before anything is confined). */
export function hostFilterProgram(): Uint8Array {
  if (compiled === null) compiled = compileHostFilter(hostSyscallRules());
  return compiled;
}

/**
 * The host directories held, each moved into the new root as a bind mount of its own;
 * pivot; capability drop; seccomp: in that order (the mounts need CAP_SYS_ADMIN).
 * extraDirs: directory fds held outside the file systems (the overlay file's directory).
 */
export function confineSandbox(extraDirs: number[] = []): void {
  const program = hostFilterProgram();
  const dirs = hostDirsToStage();
  if (dirs === null) throw new ConfineError('a host file was open below a mount source before confinement');
  for (const d of dirs) stageDirFd(d.fd, d.readOnly, d.file);
  for (const fd of extraDirs) stageDirFd(fd, false);
  confineSelf(KEPT_CAPABILITIES.map(([cap]) => cap));
  installHostFilter(program);
}
