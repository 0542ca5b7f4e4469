// Special handler results understood by the syscall dispatcher (Kernel.dispatch).
export { BLOCKED } from '../waiter/waiter';
/** The handler replaced the registers itself (execve, rt_sigreturn): leave rax alone. */
export const NO_RETURN = -0x100002;
/** The task is gone (exit, exit_group): do not resume it. */
export const EXITED = -0x100003;
