// SO_RCVTIMEO / SO_SNDTIMEO values, kept by the sentry for sockets of every family (an
// inet socket's host fd never blocks, so the host's timeouts would mean nothing).
const TWO32 = 4294967296;

/** Writes a timeout in ns as a 16-byte struct timeval at buf[at]. */
export function putTimeval(buf: Buffer, ns: number, at: number): void {
  const usecTotal = Math.floor(ns / 1000);
  const sec = Math.floor(usecTotal / 1e6);
  buf.writeUInt32LE(sec >>> 0, at);
  buf.writeUInt32LE(0, at + 4);
  buf.writeUInt32LE(usecTotal - sec * 1e6, at + 8);
  buf.writeUInt32LE(0, at + 12);
}

/**
 * A struct timeval set as a timeout, read from buf[0..16): ns, -1 for "do not wait" (a
 * negative time; Linux stores a zero timeout) or 0 for "forever" (0,0); null for a bad
 * microsecond count (EDOM). Callers check the length (16) first.
 */
export function readTimeo(buf: Buffer): number | null {
  const sec = buf.readInt32LE(4) * TWO32 + buf.readUInt32LE(0);
  const usec = buf.readInt32LE(12) * TWO32 + buf.readUInt32LE(8);
  if (usec < 0 || usec >= 1e6) return null;
  return sec < 0 ? -1 : sec * 1e9 + usec * 1000;
}
