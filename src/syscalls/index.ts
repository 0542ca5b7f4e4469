// Builds the syscall table from the family files (one family per file).
import { SyscallTable } from './table';
import * as clone from './clone';
import * as creds from './creds';
import * as sched from './sched';
import * as session from './session';
import * as timers from './timers';
import * as fsAll from './fs_all';
import * as futex from './futex';
import * as mm from './mm';
import * as mountf from './mount';
import * as pidfd from './pidfd';
import * as pollf from './poll';
import * as epoll from './epoll';
import * as eventfd from './eventfd';
import * as timerfd from './timerfd';
import * as signalfd from './signalfd';
import * as inotify from './inotify';
import * as process from './process';
import * as signal from './signal';
import * as socket from './socket';
import * as sys from './sys';
import * as time from './time';
import * as wait from './wait';

export { SyscallTable } from './table';

export function buildTable(): SyscallTable {
  const t = new SyscallTable();
  for (const family of [fsAll, mountf, pollf, epoll, eventfd, timerfd, signalfd, inotify, socket, mm, pidfd, process, clone, wait, creds, session, signal, time, timers, sched, futex, sys]) family.register(t);
  return t;
}
