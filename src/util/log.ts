// The sentry's log: one line per event, text or JSON (runc's --log-format). It is
// never written on the syscall hot path except for rare, once-per-sandbox events.
import * as fs from 'fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class Logger {
  constructor(
    /** Where it writes (a fd --preserve-fds must not hand over). */
    readonly fd: number,
    private readonly format: 'text' | 'json' = 'text',
    private readonly min: LogLevel = 'warn',
  ) {}

  /** Whether the log is stderr (a message for the user need not be written twice). */
  get toStderr(): boolean {
    return this.fd === 2;
  }

  /** Whether level would be written (to skip building messages nobody reads). */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.min];
  }

  log(level: LogLevel, msg: string, fields?: Record<string, string | number | boolean>): void {
    if (RANK[level] < RANK[this.min]) return;
    let line: string;
    if (this.format === 'json') {
      line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
    } else {
      let extra = '';
      if (fields) for (const k of Object.keys(fields)) extra += ` ${k}=${fields[k]}`;
      line = `tsvisor: ${level}: ${msg}${extra}`;
    }
    try {
      fs.writeSync(this.fd, line + '\n');
    } catch {
      // A closed or full log must not take the sandbox down.
    }
  }
  debug(msg: string, f?: Record<string, string | number | boolean>): void { this.log('debug', msg, f); }
  info(msg: string, f?: Record<string, string | number | boolean>): void { this.log('info', msg, f); }
  warn(msg: string, f?: Record<string, string | number | boolean>): void { this.log('warn', msg, f); }
  error(msg: string, f?: Record<string, string | number | boolean>): void { this.log('error', msg, f); }
}
