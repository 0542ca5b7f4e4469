// What a syscall handler is, and the special results the dispatcher understands.
export { BLOCKED, NO_RETURN, EXITED } from '../kernel/results';

/**
 * A handler gets the task and the six raw argument registers as numbers (signed
 * 64-bit values, exact below 2^53; C `int` arguments must be narrowed with `| 0`).
 * It returns the value for rax: >= 0 on success, -errno on failure, or one of the
 * special results: BLOCKED (the task was parked with t.block(); the same handler
 * runs again with the same arguments and `t.restarting` set when it is woken),
 * NO_RETURN, EXITED.
 */
export type Handler<T> = (t: T, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

export type Support = 'full' | 'partial' | 'unsupported';
