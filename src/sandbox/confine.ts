// The sandbox process confines itself (DESIGN.md, "Processes of one sandbox"): it was
// started in fresh namespaces (platform/confine.ts spawnConfined); once it holds every fd
// it needs (the root and bind-mount sources, stdio, the memory file, the control socket,
// the log) it pivots into an empty read-only root, keeps only the capabilities in
// KEPT_CAPABILITIES and installs the host-syscall allow-list of hostpolicy.ts on every
// thread. Everything after this point reaches the host only through those fds.
import { compileHostFilter, confineSelf, installHostFilter } from '../platform/confine';
import { KEPT_CAPABILITIES, hostSyscallRules } from './hostpolicy';

export { CONFINED_FLAG } from './flags';

let compiled: Uint8Array | null = null;

/** Compiles the allow-list (done at module load of the caller, before anything is confined). */
export function hostFilterProgram(): Uint8Array {
  if (compiled === null) compiled = compileHostFilter(hostSyscallRules());
  return compiled;
}

/** Pivot, capability drop, seccomp: in that order (the pivot needs CAP_SYS_ADMIN). */
export function confineSandbox(): void {
  const program = hostFilterProgram();
  confineSelf(KEPT_CAPABILITIES.map(([cap]) => cap));
  installHostFilter(program);
}
