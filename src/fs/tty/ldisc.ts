// The N_TTY line discipline of one terminal, after Linux's drivers/tty/n_tty.c: input
// processing (ICRNL/INLCR/IGNCR/ISTRIP/IUCLC), canonical line editing (ERASE, KILL,
// WERASE, LNEXT, REPRINT, EOF, EOL, EOL2), echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL,
// ECHOCTL, ECHOPRT), signal characters (ISIG: INTR, QUIT, SUSP), software flow control
// (IXON: START/STOP) and output processing (OPOST: ONLCR, OCRNL, ONOCR, ONLRET, OLCUC,
// XTABS), with the column bookkeeping erase echo needs.
//
// The read buffer holds N_TTY_BUF_SIZE (4096) bytes, of which 4095 are usable (4096 for a
// canonical line that overflows), as in Linux. Each byte carries a flag saying whether it ends a line: the line ends are
// newline, EOL, EOL2 and the EOF marker (a 0 byte that reads do not return).
// Bytes that do not fit wait in the caller's flip buffer (see pty.ts), as Linux keeps them
// in the tty port's buffers until the discipline has room.
import {
  ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOPRT, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG, ISTRIP, IUCLC,
  IUTF8, IXANY, IXON, NOFLSH, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, TABDLY, Termios, VEOF, VEOL, VEOL2, VERASE,
  VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VTIME, VWERASE, XTABS,
} from './termios';

export const N_TTY_BUF_SIZE = 4096;
const SIGINT = 2, SIGQUIT = 3, SIGTSTP = 20;
const EOL_CHAR = 1, EOL_MARK = 2;

/** Where a discipline's output and signals go (the pty pair implements it). */
export interface LdiscPort {
  /** Free room toward the other side (the master's read queue). */
  outRoom(): number;
  /** Queues processed output bytes for the other side. */
  outPut(b: number): void;
  /** ISIG: send sig to the terminal's foreground process group. */
  signal(sig: number): void;
  /** A signal character flushed input and output (packet mode reports it). */
  flushedBySignal(): void;
  /** Output was stopped or restarted (packet mode reports it; writers may go on). */
  flowChanged(stopped: boolean): void;
}

const isCntrl = (c: number): boolean => c < 32 || c === 127;
const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

export class LineDiscipline {
  readonly termios = new Termios();
  private readonly buf = new Uint8Array(N_TTY_BUF_SIZE);
  private readonly eol = new Uint8Array(N_TTY_BUF_SIZE);
  /** Bytes in buf. */
  len = 0;
  /** Bytes of buf that belong to finished lines (canonical mode). */
  canon = 0;
  /** The next byte is taken literally (after LNEXT). */
  private lnext = false;
  /** ECHOPRT: inside a \...\ erase sequence. */
  private erasing = false;
  column = 0;
  private canonColumn = 0;
  /** Output stopped by STOP (IXON) or TCOOFF (see setStopped). */
  stopped = false;
  /** Stopped by TCOOFF: only TCOON restarts it, not the START character. */
  tcoStopped = false;
  /**
   * Echoes not yet written, as Linux's echo buffer: a byte to output-process, 0x100|c for
   * a "^X" pair, 0x200|... to back over a tab. Written at the end of each batch of input
   * (flushEchoes) or once 256 accumulate; a signal character discards them.
   */
  private readonly echoes: number[] = [];

  constructor(private readonly port: LdiscPort) {}

  get icanon(): boolean {
    return (this.termios.lflag & ICANON) !== 0;
  }

  // ---- reading ---------------------------------------------------------------------------

  /**
   * Whether a read would find data now. forPoll: poll's rule, which in raw mode with
   * TIME 0 wants MIN bytes (Linux's input_available_p(tty, 1)).
   */
  inputAvailable(forPoll: boolean): boolean {
    if (this.icanon) return this.canon > 0;
    const cc = this.termios.cc;
    const amt = forPoll && cc[VTIME] === 0 && cc[VMIN] > 0 ? cc[VMIN] : 1;
    return this.len >= amt;
  }

  /** TIOCINQ/FIONREAD: complete lines only in canonical mode, without EOF markers. */
  inq(): number {
    if (!this.icanon) return this.len;
    let n = this.canon;
    for (let i = 0; i < this.canon; i++) if (this.eol[i] === EOL_MARK) n--;
    return n;
  }

  /** Copies at most one line (canonical) or up to n bytes (raw) into dst; the count. */
  take(dst: Uint8Array, off: number, n: number): number {
    let count: number, skip = 0;
    if (this.icanon) {
      let end = 0;
      while (end < this.canon && this.eol[end] === 0) end++;
      // end indexes the line's last byte; an EOF marker is consumed but not returned.
      const lineLen = end + 1;
      if (lineLen <= n) {
        count = this.eol[end] === EOL_MARK ? end : lineLen;
        skip = lineLen - count;
      } else {
        count = n;
      }
      dst.set(this.buf.subarray(0, count), off);
      this.consume(count + skip);
      return count;
    }
    count = Math.min(n, this.len);
    dst.set(this.buf.subarray(0, count), off);
    this.consume(count);
    return count;
  }

  private consume(k: number): void {
    this.buf.copyWithin(0, k, this.len);
    this.eol.copyWithin(0, k, this.len);
    this.len -= k;
    this.canon = Math.max(0, this.canon - k);
  }

  /** Drops all input (TCIFLUSH, signal characters without NOFLSH). */
  flushInput(): void {
    this.len = 0;
    this.canon = 0;
    this.lnext = false;
    this.erasing = false;
  }

  /** New termios: leaving canonical mode makes the pending partial line readable. */
  termiosChanged(wasCanon: boolean): void {
    if (wasCanon && !this.icanon) {
      this.canon = this.len;
    } else if (!wasCanon && this.icanon) {
      // Entering canonical mode: what is buffered becomes the start of the current line.
      this.canon = 0;
      this.erasing = false;
      this.lnext = false;
    }
  }

  /** stop_tty/start_tty (tco: TCOOFF/TCOON, which the START character cannot undo). */
  setStopped(stop: boolean, tco: boolean): void {
    if (stop) {
      if (tco) this.tcoStopped = true;
      if (this.stopped) return;
      this.stopped = true;
    } else {
      if (tco) this.tcoStopped = false;
      if (!this.stopped || this.tcoStopped) return;
      this.stopped = false;
    }
    this.port.flowChanged(this.stopped);
  }

  // ---- receiving input -----------------------------------------------------------------

  /**
   * Processes one input byte. False when there is no room for it: the caller keeps it
   * and offers it again after a read.
   */
  receive(c: number): boolean {
    const tio = this.termios, iflag = tio.iflag, lflag = tio.lflag, cc = tio.cc;
    const room = N_TTY_BUF_SIZE - 1 - this.len;
    if (room <= 0) {
      // A full canonical buffer without a finished line: Linux accepts one byte more, then
      // each new byte replaces the last one, so a newline can still end the line.
      if (!this.icanon || this.canon !== 0) return false;
      if (room < 0) this.len--;
    }
    if ((iflag & ISTRIP) !== 0) c &= 0x7f;
    if ((iflag & IUCLC) !== 0 && (lflag & IEXTEN) !== 0 && c >= 65 && c <= 90) c += 32;
    if (this.lnext) {
      this.lnext = false;
      if ((lflag & ECHO) !== 0) {
        this.finishErasing();
        this.echoChar(c);
      }
      this.put(c, 0);
      return true;
    }
    if ((iflag & IXON) !== 0 && c !== 0) {
      if (c === cc[VSTART]) {
        this.setStopped(false, false);
        return true;
      }
      if (c === cc[VSTOP]) {
        this.setStopped(true, false);
        return true;
      }
    }
    if ((iflag & IXON) !== 0 && (iflag & IXANY) !== 0) this.setStopped(false, false);
    if ((lflag & ISIG) !== 0 && c !== 0) {
      const sig = c === cc[VINTR] ? SIGINT : c === cc[VQUIT] ? SIGQUIT : c === cc[VSUSP] ? SIGTSTP : 0;
      if (sig !== 0) {
        if ((lflag & NOFLSH) === 0) {
          this.flushInput();
          this.echoes.length = 0;
          this.port.flushedBySignal();
        }
        this.port.signal(sig);
        if ((iflag & IXON) !== 0) this.setStopped(false, false);
        if ((lflag & ECHO) !== 0) this.echoChar(c);
        return true;
      }
    }
    if (c === 13) {
      if ((iflag & IGNCR) !== 0) return true;
      if ((iflag & ICRNL) !== 0) c = 10;
    } else if (c === 10 && (iflag & INLCR) !== 0) {
      c = 13;
    }
    if (this.icanon) {
      if (c !== 0 && (c === cc[VERASE] || c === cc[VKILL] || (c === cc[VWERASE] && (lflag & IEXTEN) !== 0))) {
        this.eraser(c);
        return true;
      }
      if (c !== 0 && c === cc[VLNEXT] && (lflag & IEXTEN) !== 0) {
        this.lnext = true;
        if ((lflag & ECHO) !== 0) {
          this.finishErasing();
          if ((lflag & ECHOCTL) !== 0) {
            this.echoRaw(94);
            this.echoRaw(8);
          }
        }
        return true;
      }
      if (c !== 0 && c === cc[VREPRINT] && (lflag & ECHO) !== 0 && (lflag & IEXTEN) !== 0) {
        this.finishErasing();
        this.echoChar(c);
        this.echoRaw(10);
        for (let i = this.canon; i < this.len; i++) this.echoChar(this.buf[i]);
        return true;
      }
      if (c === 10) {
        if ((lflag & (ECHO | ECHONL)) !== 0) this.echoRaw(10);
        this.put(c, EOL_CHAR);
        this.canon = this.len;
        return true;
      }
      if (c !== 0 && c === cc[VEOF]) {
        this.put(0, EOL_MARK);
        this.canon = this.len;
        return true;
      }
      if (c !== 0 && (c === cc[VEOL] || (c === cc[VEOL2] && (lflag & IEXTEN) !== 0))) {
        if ((lflag & ECHO) !== 0) {
          if (this.len === this.canon) this.canonColumn = this.column;
          this.echoChar(c);
        }
        this.put(c, EOL_CHAR);
        this.canon = this.len;
        return true;
      }
    }
    if ((lflag & ECHO) !== 0) {
      this.finishErasing();
      if (c === 10) {
        this.echoRaw(10);
      } else {
        if (this.len === this.canon) this.canonColumn = this.column;
        this.echoChar(c);
      }
    } else if (c === 10 && (lflag & ECHONL) !== 0 && this.icanon) {
      this.echoRaw(10);
    }
    this.put(c, 0);
    return true;
  }

  private put(c: number, mark: number): void {
    this.buf[this.len] = c;
    this.eol[this.len] = mark;
    this.len++;
    if (!this.icanon) this.canon = this.len;
  }

  private isContinuation(c: number): boolean {
    return (this.termios.iflag & IUTF8) !== 0 && (c & 0xc0) === 0x80;
  }

  private finishErasing(): void {
    if (this.erasing) {
      this.echoRaw(47);
      this.erasing = false;
    }
  }

  /** ERASE, WERASE and KILL (Linux's eraser()). */
  private eraser(c: number): void {
    const tio = this.termios, lflag = tio.lflag, cc = tio.cc;
    if (this.len === this.canon) return;
    const ERASE = 0, WERASE = 1, KILL = 2;
    let kind: number;
    if (c === cc[VERASE]) kind = ERASE;
    else if (c === cc[VWERASE]) kind = WERASE;
    else {
      if ((lflag & ECHO) === 0) {
        this.len = this.canon;
        return;
      }
      if ((lflag & ECHOK) === 0 || (lflag & ECHOKE) === 0 || (lflag & ECHOE) === 0) {
        this.len = this.canon;
        this.finishErasing();
        this.echoChar(c);
        if ((lflag & ECHOK) !== 0) this.echoRaw(10);
        return;
      }
      kind = KILL;
    }
    let seenAlnums = 0;
    while (this.len !== this.canon) {
      let head = this.len;
      let ch: number;
      do {
        head--;
        ch = this.buf[head];
      } while (this.isContinuation(ch) && head !== this.canon);
      if (this.isContinuation(ch)) break;
      if (kind === WERASE) {
        if (isAlnum(ch) || ch === 95) seenAlnums++;
        else if (seenAlnums > 0) break;
      }
      let cnt = this.len - head;
      this.len = head;
      if ((lflag & ECHO) !== 0) {
        if ((lflag & ECHOPRT) !== 0) {
          if (!this.erasing) {
            this.echoRaw(92);
            this.erasing = true;
          }
          this.echoChar(ch);
          while (--cnt > 0) this.echoRaw(this.buf[++head]);
        } else if (kind === ERASE && (lflag & ECHOE) === 0) {
          this.echoChar(cc[VERASE]);
        } else if (ch === 9) {
          this.eraseTab();
        } else {
          if (isCntrl(ch) && (lflag & ECHOCTL) !== 0) this.echoBs();
          if (!isCntrl(ch) || (lflag & ECHOCTL) !== 0) this.echoBs();
        }
      }
      if (kind === ERASE) break;
    }
    if (this.len === this.canon && (lflag & ECHO) !== 0) this.finishErasing();
  }

  /** Backs the cursor over an erased tab: to the column the tab started from. */
  private eraseTab(): void {
    let chars = 0, afterTab = false;
    for (let i = this.len - 1; i >= this.canon; i--) {
      const c = this.buf[i];
      if (c === 9) {
        afterTab = true;
        break;
      }
      if (isCntrl(c)) {
        if ((this.termios.lflag & ECHOCTL) !== 0) chars += 2;
      } else if (!this.isContinuation(c)) {
        chars++;
      }
    }
    this.queueEcho(0x200 | (afterTab ? 0x1000 : 0) | (chars & 0xfff));
  }

  private echoBs(): void {
    this.echoRaw(8);
    this.echoRaw(32);
    this.echoRaw(8);
  }

  /** echo_char: control characters as ^X under ECHOCTL (tab excepted). */
  private echoChar(c: number): void {
    if ((this.termios.lflag & ECHOCTL) !== 0 && isCntrl(c) && c !== 9) this.queueEcho(0x100 | c);
    else this.queueEcho(c);
  }

  private echoRaw(c: number): void {
    this.queueEcho(c);
  }

  private queueEcho(op: number): void {
    this.echoes.push(op);
    if (this.echoes.length >= 256) this.flushEchoes();
  }

  /** Writes the pending echoes (what does not fit toward the other side is dropped). */
  flushEchoes(): void {
    const port = this.port;
    for (const op of this.echoes) {
      if (op < 0x100) {
        // An echoed byte goes through output processing like written output.
        if ((this.termios.oflag & OPOST) !== 0) this.outputChar(op);
        else if (port.outRoom() > 0) port.outPut(op);
      } else if (op < 0x200) {
        if (port.outRoom() < 2) continue;
        port.outPut(94);
        port.outPut((op & 0xff) ^ 0o100);
        this.column += 2;
      } else {
        // Back over a tab to the column it started from.
        let chars = op & 0xfff;
        if ((op & 0x1000) === 0) chars += this.canonColumn;
        let bs = 8 - (chars & 7);
        if (bs > this.column) bs = this.column;
        while (bs-- > 0 && port.outRoom() > 0) {
          port.outPut(8);
          if (this.column > 0) this.column--;
        }
      }
    }
    this.echoes.length = 0;
  }

  // ---- output ---------------------------------------------------------------------------

  /**
   * Writes src[off..off+n) toward the other side with output processing; returns how
   * many source bytes were taken (fewer when the other side is full).
   */
  write(src: Uint8Array, off: number, n: number): number {
    const post = (this.termios.oflag & OPOST) !== 0;
    let i = 0;
    for (; i < n; i++) {
      if (post) {
        if (!this.outputChar(src[off + i])) break;
      } else {
        if (this.port.outRoom() === 0) break;
        this.port.outPut(src[off + i]);
      }
    }
    return i;
  }

  /** do_output_char: false when the byte's expansion does not fit. */
  private outputChar(c: number): boolean {
    const oflag = this.termios.oflag, port = this.port;
    const room = port.outRoom();
    if (room === 0) return false;
    switch (c) {
      case 10:
        if ((oflag & ONLRET) !== 0) this.column = 0;
        if ((oflag & ONLCR) !== 0) {
          if (room < 2) return false;
          this.canonColumn = this.column = 0;
          port.outPut(13);
          port.outPut(10);
          return true;
        }
        this.canonColumn = this.column;
        break;
      case 13:
        if ((oflag & ONOCR) !== 0 && this.column === 0) return true;
        if ((oflag & OCRNL) !== 0) {
          c = 10;
          if ((oflag & ONLRET) !== 0) this.canonColumn = this.column = 0;
          break;
        }
        this.canonColumn = this.column = 0;
        break;
      case 9: {
        const spaces = 8 - (this.column & 7);
        if ((oflag & TABDLY) === XTABS) {
          if (room < spaces) return false;
          this.column += spaces;
          for (let k = 0; k < spaces; k++) port.outPut(32);
          return true;
        }
        this.column += spaces;
        break;
      }
      case 8:
        if (this.column > 0) this.column--;
        break;
      default:
        if (!isCntrl(c)) {
          if ((oflag & OLCUC) !== 0 && c >= 97 && c <= 122) c -= 32;
          if (!this.isContinuation(c)) this.column++;
        }
        break;
    }
    port.outPut(c);
    return true;
  }
}
