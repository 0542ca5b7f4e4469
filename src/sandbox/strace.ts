// --strace: prints every syscall of the sandbox, strace-style, on the given fd. The
// entry half is printed before the handler runs (so a call that blocks shows up at
// once), the result after; a call that blocked is re-printed as "resumed".
import * as fs from 'fs';
import type { SyscallTracer } from '../kernel/kernel';
import type { Task } from '../kernel/task';
import { ARG_REGS, getReg } from '../platform/regs';
import { formatEntry, formatExit } from '../syscalls/strace';
import { SYSCALL_NAMES } from '../syscalls/names';
import { EXITED } from '../kernel/results';

export class Strace implements SyscallTracer {
  private readonly args = [0, 0, 0, 0, 0, 0];
  /** The task whose entry is printed on the current line, still without a result. */
  private lineOpen: Task | null = null;
  /** Tasks whose line was cut by another task's output (they blocked). */
  private readonly unfinished = new Set<Task>();
  private multi = false;

  constructor(private readonly fd: number) {}

  private prefix(t: Task): string {
    if (t.kernel.tasks.size > 1) this.multi = true;
    return this.multi ? `[pid ${String(t.tid).padStart(5)}] ` : '';
  }

  private loadArgs(t: Task): number[] {
    for (let i = 0; i < 6; i++) this.args[i] = getReg(t.regs, ARG_REGS[i]);
    return this.args;
  }

  private write(s: string): void {
    try {
      fs.writeSync(this.fd, s);
    } catch {
      // tracing must never break the sandbox
    }
  }

  private cutLine(t: Task): void {
    const o = this.lineOpen;
    if (o !== null && o !== t) {
      this.write(' <unfinished ...>\n');
      this.unfinished.add(o);
      this.lineOpen = null;
    }
  }

  entry(t: Task, nr: number): void {
    this.cutLine(t);
    this.write(this.prefix(t) + formatEntry(nr, this.loadArgs(t), t.mm));
    this.lineOpen = t;
  }

  exit(t: Task, nr: number, ret: number): void {
    this.cutLine(t);
    if (this.unfinished.delete(t)) this.write(`${this.prefix(t)}<... ${SYSCALL_NAMES[nr] ?? nr} resumed>`);
    this.lineOpen = null;
    this.write((ret === EXITED ? ') = ?' : formatExit(nr, this.loadArgs(t), ret, t.mm)) + '\n');
  }
}
