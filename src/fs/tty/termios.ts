// struct termios / termios2 / winsize as the x86-64 kernel copies them, the flag bits
// the line discipline looks at, and the defaults a new pseudo-terminal starts with
// (Linux's tty_std_termios as devpts's slave driver adjusts it).

// ---- ioctl numbers (asm-generic/ioctls.h) -------------------------------------------
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCGETA = 0x5405,
  TCSETA = 0x5406, TCSETAW = 0x5407, TCSETAF = 0x5408, TCSBRK = 0x5409, TCXONC = 0x540a, TCFLSH = 0x540b,
  TIOCEXCL = 0x540c, TIOCNXCL = 0x540d, TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410,
  TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, TIOCMGET = 0x5415,
  TIOCINQ = 0x541b, TIOCPKT = 0x5420, TIOCNOTTY = 0x5422, TIOCGETD = 0x5424, TIOCSETD = 0x5423,
  TCSBRKP = 0x5425, TIOCSBRK = 0x5427, TIOCCBRK = 0x5428, TIOCGSID = 0x5429, TIOCGEXCL = 0x80045440,
  TIOCGPKT = 0x80045438, TIOCGPTLCK = 0x80045439, TCGETS2 = 0x802c542a, TCSETS2 = 0x402c542b,
  TCSETSW2 = 0x402c542c, TCSETSF2 = 0x402c542d, TIOCGPTN = 0x80045430, TIOCSPTLCK = 0x40045431,
  TIOCSIG = 0x40045436, TIOCVHANGUP = 0x5437, TIOCGPTPEER = 0x5441;
export const TCOOFF = 0, TCOON = 1, TCIOFF = 2, TCION = 3;
export const TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2;

// ---- c_iflag ---------------------------------------------------------------------------
export const IGNBRK = 0o1, BRKINT = 0o2, ISTRIP = 0o40, INLCR = 0o100, IGNCR = 0o200, ICRNL = 0o400,
  IUCLC = 0o1000, IXON = 0o2000, IXANY = 0o4000, IXOFF = 0o10000, IMAXBEL = 0o20000, IUTF8 = 0o40000;
// ---- c_oflag ---------------------------------------------------------------------------
export const OPOST = 0o1, OLCUC = 0o2, ONLCR = 0o4, OCRNL = 0o10, ONOCR = 0o20, ONLRET = 0o40,
  TABDLY = 0o14000, XTABS = 0o14000;
// ---- c_cflag ---------------------------------------------------------------------------
export const CBAUD = 0o10017, B38400 = 0o17, CS8 = 0o60, CREAD = 0o200, HUPCL = 0o2000, CBAUDEX = 0o10000;
// ---- c_lflag ---------------------------------------------------------------------------
export const ISIG = 0o1, ICANON = 0o2, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHONL = 0o100,
  NOFLSH = 0o200, TOSTOP = 0o400, ECHOCTL = 0o1000, ECHOPRT = 0o2000, ECHOKE = 0o4000, FLUSHO = 0o10000,
  PENDIN = 0o40000, IEXTEN = 0o100000, EXTPROC = 0o200000;
// ---- c_cc indexes ------------------------------------------------------------------------
export const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSWTC = 7, VSTART = 8,
  VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13, VWERASE = 14, VLNEXT = 15, VEOL2 = 16;
export const NCCS = 19;

/** sizeof(struct termios) in the kernel ABI (not glibc's 60-byte one). */
export const TERMIOS_SIZE = 36;
/** sizeof(struct termios2): termios plus c_ispeed and c_ospeed. */
export const TERMIOS2_SIZE = 44;
export const WINSIZE_SIZE = 8;
/** sizeof(struct termio): 4 shorts, c_line, 8 control characters, one byte of padding. */
export const TERMIO_SIZE = 18;

export class Termios {
  iflag = ICRNL | IXON;
  oflag = OPOST | ONLCR;
  cflag = B38400 | CS8 | CREAD;
  lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
  line = 0;
  /** INIT_C_CC: ^C ^\ DEL ^U ^D, TIME 0, MIN 1, ^Q ^S ^Z, REPRINT ^R, DISCARD ^O, WERASE ^W, LNEXT ^V. */
  readonly cc = Uint8Array.of(3, 0o34, 0o177, 0o25, 4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0);
  ispeed = 38400;
  ospeed = 38400;

  encode(b: Buffer, two: boolean): number {
    b.writeUInt32LE(this.iflag >>> 0, 0);
    b.writeUInt32LE(this.oflag >>> 0, 4);
    b.writeUInt32LE(this.cflag >>> 0, 8);
    b.writeUInt32LE(this.lflag >>> 0, 12);
    b[16] = this.line;
    b.set(this.cc, 17);
    if (!two) return TERMIOS_SIZE;
    b.writeUInt32LE(this.ispeed >>> 0, 36);
    b.writeUInt32LE(this.ospeed >>> 0, 40);
    return TERMIOS2_SIZE;
  }

  /** struct termio (TCGETA): the low 16 bits of each flag word, c_line, 8 control chars. */
  encodeTermio(b: Buffer): number {
    b.fill(0, 0, TERMIO_SIZE);
    b.writeUInt16LE(this.iflag & 0xffff, 0);
    b.writeUInt16LE(this.oflag & 0xffff, 2);
    b.writeUInt16LE(this.cflag & 0xffff, 4);
    b.writeUInt16LE(this.lflag & 0xffff, 6);
    b[8] = this.line;
    b.set(this.cc.subarray(0, 8), 9);
    return TERMIO_SIZE;
  }

  /** TCSETA: replaces the low 16 bits of each flag word, c_line and the first 8 characters. */
  decodeTermio(b: Buffer): void {
    this.iflag = ((this.iflag & 0xffff0000) | b.readUInt16LE(0)) >>> 0;
    this.oflag = ((this.oflag & 0xffff0000) | b.readUInt16LE(2)) >>> 0;
    this.cflag = ((this.cflag & 0xffff0000) | b.readUInt16LE(4)) >>> 0;
    this.lflag = ((this.lflag & 0xffff0000) | b.readUInt16LE(6)) >>> 0;
    this.line = b[8];
    this.cc.set(b.subarray(9, 17));
  }

  /** Loads a struct termios (two: termios2, with explicit speeds). */
  decode(b: Buffer, two: boolean): void {
    this.iflag = b.readUInt32LE(0);
    this.oflag = b.readUInt32LE(4);
    this.cflag = b.readUInt32LE(8);
    this.lflag = b.readUInt32LE(12);
    this.line = b[16];
    this.cc.set(b.subarray(17, 17 + NCCS));
    if (two) {
      this.ispeed = b.readUInt32LE(36);
      this.ospeed = b.readUInt32LE(40);
    } else {
      // The speed follows the baud bits; a pty keeps whatever code it is given.
      this.ospeed = this.ispeed = baudRate(this.cflag & CBAUD);
    }
  }
}

const RATES = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400];
const RATES_EX = [0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
  2500000, 3000000, 3500000, 4000000];

function baudRate(code: number): number {
  if ((code & CBAUDEX) !== 0) return RATES_EX[code & 0xf];
  return RATES[code & 0xf];
}

export class WinSize {
  row = 0;
  col = 0;
  xpixel = 0;
  ypixel = 0;
  encode(b: Buffer): void {
    b.writeUInt16LE(this.row, 0);
    b.writeUInt16LE(this.col, 2);
    b.writeUInt16LE(this.xpixel, 4);
    b.writeUInt16LE(this.ypixel, 6);
  }
  /** Loads b; true when it changed anything. */
  decode(b: Buffer): boolean {
    const r = b.readUInt16LE(0), c = b.readUInt16LE(2), x = b.readUInt16LE(4), y = b.readUInt16LE(6);
    const changed = r !== this.row || c !== this.col || x !== this.xpixel || y !== this.ypixel;
    this.row = r;
    this.col = c;
    this.xpixel = x;
    this.ypixel = y;
    return changed;
  }
}
