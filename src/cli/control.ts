// The runtime commands' side of the control channel: a conversation with a container's
// sandbox process over the unix socket in its state directory (one JSON request line,
// reply lines back, fds by SCM_RIGHTS), and what the commands that start sandbox
// processes share (their global flags, pid files, the console socket).
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Parsed, RuntimeError } from './args';
import type { Globals } from './oci';
import { StateDir } from './state';
import { ctlConnect, ctlRecv, ctlSend, openHostPty } from '../platform/control';
import { hostClose } from '../platform/hostfile';

/** The control socket's name in a container's state directory. */
export const SOCKET = 'control.sock';

/** Global flags to hand to the sandbox process, as the caller gave them. */
export function globalArgs(p: Parsed): string[] {
  const out: string[] = [];
  for (const [k, vs] of p.flags) for (const v of vs) out.push(`--${k}`, v);
  for (const b of p.bools) out.push(`--${b}`);
  return out;
}

/** Writes the pid file atomically (a reader never sees it half-written). */
export function writePidFile(file: string, pid: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, String(pid));
  fs.renameSync(tmp, file);
}

/** A connection to a container's sandbox process that reads reply lines. */
export class Conversation {
  private text = '';
  private readonly buf = Buffer.alloc(65536);

  constructor(private fd: number, private readonly id: string) {}

  static open(g: Globals, id: string, msg: Record<string, unknown>, fds: number[] = []): Conversation {
    const sock = path.join(new StateDir(g.root).dir(id), SOCKET);
    const fd = ctlConnect(sock);
    if (fd < 0) throw new RuntimeError(`container ${id} is not running (no sandbox process answers)`);
    const c = new Conversation(fd, id);
    const out = Buffer.from(JSON.stringify(msg) + '\n');
    if (ctlSend(fd, out, out.length, fds) < 0) {
      c.close();
      throw new RuntimeError(`container ${id}: the sandbox process went away`);
    }
    return c;
  }

  /** The next reply line, parsed (blocking). */
  next(): Record<string, unknown> {
    for (;;) {
      const nl = this.text.indexOf('\n');
      if (nl >= 0) {
        const line = this.text.slice(0, nl);
        this.text = this.text.slice(nl + 1);
        return JSON.parse(line) as Record<string, unknown>;
      }
      const got: number[] = [];
      const n = ctlRecv(this.fd, this.buf, got);
      for (const f of got) hostClose(f);
      if (n <= 0) throw new RuntimeError(`container ${this.id}: the sandbox process went away`);
      this.text += this.buf.toString('utf8', 0, n);
    }
  }

  /**
   * The next reply line, waited for in the event loop (so signal handlers run meanwhile).
   * The connection is a stream socket of node's from then on; nothing more is sent on it.
   */
  nextAsync(): Promise<Record<string, unknown>> {
    if (this.text.includes('\n')) return Promise.resolve(this.next());
    const sock = new net.Socket({ fd: this.fd, readable: true, writable: false });
    this.fd = -1; // the socket closes it
    return new Promise((resolve, reject) => {
      const gone = () => {
        sock.destroy();
        reject(new RuntimeError(`container ${this.id}: the sandbox process went away`));
      };
      sock.on('data', (d: Buffer) => {
        this.text += d.toString('utf8');
        const nl = this.text.indexOf('\n');
        if (nl < 0) return;
        sock.removeAllListeners();
        sock.destroy();
        const line = this.text.slice(0, nl);
        this.text = this.text.slice(nl + 1);
        try {
          resolve(JSON.parse(line) as Record<string, unknown>);
        } catch (e) {
          reject(e);
        }
      });
      sock.on('end', gone);
      sock.on('error', gone);
    });
  }

  close(): void {
    if (this.fd >= 0) hostClose(this.fd);
    this.fd = -1;
  }
}

/** One request to a container's sandbox process; its reply. */
export function request(g: Globals, id: string, msg: Record<string, unknown>, fds: number[] = []): Record<string, unknown> {
  const c = Conversation.open(g, id, msg, fds);
  try {
    return c.next();
  } finally {
    c.close();
  }
}

/**
 * For process.terminal: a host pseudo-terminal whose master goes to the caller over the
 * console socket (as runc sends it: SCM_RIGHTS, with the terminal's name); returns the
 * slave, which becomes the container's stdio.
 */
export function sendConsole(socketPath: string, size: { height: number; width: number } | null): number {
  const pty = openHostPty(size?.height ?? 0, size?.width ?? 0);
  if (typeof pty === 'number') throw new RuntimeError(`cannot make a terminal: errno ${-pty}`);
  const [master, slave] = pty;
  const conn = ctlConnect(socketPath);
  if (conn < 0) {
    hostClose(master);
    hostClose(slave);
    throw new RuntimeError(`--console-socket ${socketPath}: cannot connect: errno ${-conn}`);
  }
  const name = Buffer.from('/dev/ptmx');
  const r = ctlSend(conn, name, name.length, [master]);
  hostClose(conn);
  hostClose(master);
  if (r < 0) {
    hostClose(slave);
    throw new RuntimeError(`--console-socket ${socketPath}: cannot send the terminal: errno ${-r}`);
  }
  return slave;
}
