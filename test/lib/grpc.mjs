// A very small gRPC client for the CRI test: unary calls over HTTP/2 on a unix socket,
// with just enough protobuf to write the requests the test makes and read the fields it
// checks. Messages are plain objects: { fieldNumber: value }, where a value is a string,
// a number (varint), a Buffer (bytes), a nested message object, or an array of those
// (repeated fields). Field numbers come from the CRI API (runtime/v1 api.proto).
import http2 from 'node:http2';
import net from 'node:net';

function varint(n) {
  const out = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out);
}

/** Encodes a message object (see above). */
export function encode(msg) {
  const parts = [];
  for (const [k, raw] of Object.entries(msg)) {
    const num = Number(k);
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (v === undefined || v === null) continue;
      if (typeof v === 'number' || typeof v === 'boolean') {
        parts.push(varint((num << 3) | 0), varint(Number(v)));
        continue;
      }
      const body = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : encode(v);
      parts.push(varint((num << 3) | 2), varint(body.length), body);
    }
  }
  return Buffer.concat(parts);
}

/** Decodes one level: { fieldNumber: [values] } with Buffers for length-delimited fields. */
export function decode(buf) {
  const out = {};
  let i = 0;
  const readVarint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const num = key >> 3, wt = key & 7;
    let v;
    if (wt === 0) v = Number(BigInt.asIntN(64, readVarint()));
    else if (wt === 2) {
      const len = Number(readVarint());
      v = buf.subarray(i, i + len);
      i += len;
    } else if (wt === 5) { v = buf.readUInt32LE(i); i += 4; } else if (wt === 1) { v = buf.readBigUInt64LE(i); i += 8; } else throw new Error(`wire type ${wt}`);
    (out[num] ??= []).push(v);
  }
  return out;
}

/** A client for a gRPC server on a unix socket. */
export class GrpcClient {
  constructor(socketPath) {
    this.session = http2.connect('http://localhost', { createConnection: () => net.connect(socketPath) });
    this.session.on('error', () => {});
  }

  /** One unary call: resolves to the decoded reply, rejects with the grpc-message. */
  call(service, method, msg) {
    const body = encode(msg);
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    return new Promise((resolve, reject) => {
      const req = this.session.request({
        ':method': 'POST', ':path': `/${service}/${method}`, 'content-type': 'application/grpc', te: 'trailers',
      });
      const chunks = [];
      let status = null, message = '';
      req.on('response', (h) => {
        if (h['grpc-status'] !== undefined) { status = h['grpc-status']; message = h['grpc-message'] ?? ''; }
      });
      req.on('trailers', (h) => { status = h['grpc-status']; message = decodeURIComponent(h['grpc-message'] ?? ''); });
      req.on('data', (d) => chunks.push(d));
      req.on('error', reject);
      req.on('end', () => {
        if (status !== '0') {
          reject(new Error(`${method}: grpc status ${status}: ${message}`));
          return;
        }
        const all = Buffer.concat(chunks);
        resolve(all.length >= 5 ? decode(all.subarray(5, 5 + all.readUInt32BE(1))) : {});
      });
      req.end(frame);
    });
  }

  close() {
    this.session.close();
  }
}
