// The syscall table: for every x86-64 syscall number, its handler and how well it is
// supported. docs/COMPATIBILITY.md is generated from it (npm run docs).
import type { Task } from '../kernel/task';
import { Handler, Support } from './types';
import { MAX_SYSCALL, SYSCALL_NAMES } from './names';

export interface SyscallInfo {
  nr: number;
  name: string;
  support: Support;
  /** Why a call is partial or unsupported, in a phrase users can act on. */
  note: string;
}

export class SyscallTable {
  readonly handlers: (Handler<Task> | null)[] = new Array(MAX_SYSCALL + 1).fill(null);
  readonly info: SyscallInfo[] = [];

  constructor() {
    for (let nr = 0; nr <= MAX_SYSCALL; nr++) {
      const name = SYSCALL_NAMES[nr];
      if (name !== undefined) this.info[nr] = { nr, name, support: 'unsupported', note: '' };
    }
  }

  /** Registers a handler. A partial call must say what is missing in note. */
  def(nr: number, handler: Handler<Task>, support: Support = 'full', note = ''): void {
    if (this.info[nr] === undefined) throw new Error(`no syscall ${nr}`);
    if (this.handlers[nr] !== null) throw new Error(`syscall ${SYSCALL_NAMES[nr]} registered twice`);
    if (support === 'partial' && note === '') throw new Error(`partial syscall ${SYSCALL_NAMES[nr]} needs a note`);
    this.handlers[nr] = handler;
    this.info[nr].support = support;
    this.info[nr].note = note;
  }

  /** Records why a call is deliberately unsupported (it returns ENOSYS). */
  unsupported(nr: number, note: string): void {
    if (this.info[nr] === undefined) throw new Error(`no syscall ${nr}`);
    this.info[nr].note = note;
  }
}
