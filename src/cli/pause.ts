// `tsvisor pause` / `tsvisor resume`, with runc's rules and messages. The sentry does the
// freezing itself (Kernel.pause: no task goes back to app code; running ones are kicked
// out and parked), not the host's cgroup freezer, so it works without a freezer
// controller and leaves syscalls in progress intact. As with runc, a created container
// may be paused too, and resume gives it back its state before the pause.
import { UsageError, parseArgs } from './args';
import { Globals, RuntimeError, currentState } from './oci';
import { StateDir, Status } from './state';
import { request } from './control';

function oneId(argv: string[], cmd: string): string {
  const p = parseArgs(argv, {});
  if (p.rest.length !== 1) throw new UsageError(`${cmd}: expected exactly one container id`);
  return p.rest[0];
}

/** Writes the new status, unless the container stopped meanwhile. */
function setStatus(states: StateDir, id: string, status: Status): void {
  states.withLock(id, () => {
    const st = states.read(id);
    if (st.status === 'stopped') return;
    st.status = status;
    states.write(st);
  });
}

export function pauseCommand(argv: string[], g: Globals): number {
  const id = oneId(argv, 'pause');
  const states = new StateDir(g.root);
  const st = currentState(states, id);
  if (st.status !== 'running' && st.status !== 'created') throw new RuntimeError('container not running');
  // The request returns once no app thread runs. The lock is not held across it: the
  // sandbox process takes it itself while it serves a start queued before this request.
  const r = request(g, id, { cmd: 'pause' });
  if (typeof r.error === 'string') throw new RuntimeError(r.error);
  setStatus(states, id, 'paused');
  return 0;
}

export function resumeCommand(argv: string[], g: Globals): number {
  const id = oneId(argv, 'resume');
  const states = new StateDir(g.root);
  const st = currentState(states, id);
  if (st.status !== 'paused') throw new RuntimeError('container not paused');
  const r = request(g, id, { cmd: 'resume' });
  if (typeof r.error === 'string') throw new RuntimeError(r.error);
  setStatus(states, id, r.started === true ? 'running' : 'created');
  return 0;
}
