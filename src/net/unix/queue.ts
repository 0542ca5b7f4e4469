// Receive-queue building blocks of unix sockets: a byte ring for stream data, and the
// app-memory interface both directions copy through (the syscall layer walks the iovecs,
// so the ring fills from and drains to app memory without an intermediate buffer).

/**
 * App memory described by an iovec array, addressed by byte position across the whole
 * array (stateless, so a call that blocks part-way can resume at its progress).
 */
export interface UserBuffers {
  /** Total bytes the iovecs describe. */
  readonly total: number;
  /** Copies n bytes of app memory at position pos into dst[off..]; 0 or -EFAULT. */
  gather(pos: number, dst: Uint8Array, off: number, n: number): number;
  /** Copies src[off..off+n) into app memory at position pos; 0 or -EFAULT. */
  scatter(pos: number, src: Uint8Array, off: number, n: number): number;
  /** How many of the n bytes from position pos could be written (stops at the first fault). */
  writable(pos: number, n: number): number;
}

/** A growable byte ring (a stream socket's receive queue). */
export class Ring {
  private buf = new Uint8Array(0);
  private head = 0;
  len = 0;

  /** Makes room for n more bytes (the sender's buffer limit is checked by the caller). */
  private reserve(n: number): void {
    if (this.buf.length >= this.len + n) return;
    let size = Math.max(4096, this.buf.length);
    while (size < this.len + n) size *= 2;
    const nb = new Uint8Array(size);
    const cap = this.buf.length;
    const first = Math.min(this.len, cap - this.head);
    nb.set(this.buf.subarray(this.head, this.head + first), 0);
    if (first < this.len) nb.set(this.buf.subarray(0, this.len - first), first);
    this.buf = nb;
    this.head = 0;
  }

  /** Appends n bytes of app memory from position pos; 0 or -EFAULT (nothing appended). */
  putFrom(io: UserBuffers, pos: number, n: number): number {
    this.reserve(n);
    const cap = this.buf.length;
    const tail = (this.head + this.len) % cap;
    const first = Math.min(n, cap - tail);
    if (io.gather(pos, this.buf, tail, first) < 0) return -14;
    if (first < n && io.gather(pos + first, this.buf, 0, n - first) < 0) return -14;
    this.len += n;
    return 0;
  }

  /** Copies n bytes starting skip bytes into the ring to app memory at pos; 0 or -EFAULT. */
  copyTo(io: UserBuffers, pos: number, skip: number, n: number): number {
    const cap = this.buf.length;
    const start = (this.head + skip) % cap;
    const first = Math.min(n, cap - start);
    if (io.scatter(pos, this.buf, start, first) < 0) return -14;
    if (first < n && io.scatter(pos + first, this.buf, 0, n - first) < 0) return -14;
    return 0;
  }

  /** Drops n bytes from the head. */
  consume(n: number): void {
    this.len -= n;
    this.head = this.len === 0 ? 0 : (this.head + n) % this.buf.length;
  }

  /** Frees the storage (the socket is gone). */
  clear(): void {
    this.buf = new Uint8Array(0);
    this.head = 0;
    this.len = 0;
  }
}
