// Workload tests for AF_UNIX sockets: real servers and clients in one sandbox, served by the
// sentry's unix sockets (no host sockets). Python's asyncio unix server and socketserver's
// UnixStreamServer (with descriptor passing and abstract datagram names through the socket
// module), and Node's net server on a socket path. Each prints a transcript that must match
// the native run byte for byte.
import { test } from 'node:test';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR } from './lib/build.mjs';
import { runNative, runSandbox, assertSame } from './lib/sandbox.mjs';

const PYTHON = '/usr/bin/python3';
const NODE = process.execPath;
const CI = !!process.env.CI;

function need(t, path, pkg) {
  if (existsSync(path)) return true;
  if (CI) throw new Error(`${path} is missing under CI=${process.env.CI}: .ci/run must install ${pkg}`);
  t.skip(`${path} is missing (apt-get install ${pkg})`);
  return false;
}

function script(name, text) {
  mkdirSync(BUILD_DIR, { recursive: true });
  const p = join(BUILD_DIR, name);
  writeFileSync(p, text);
  return p;
}

function same(argv) {
  const o = { cwd: '/', timeout: 120_000 };
  assertSame(runNative(argv, o), runSandbox(argv, o), argv.join(' '));
}

const ASYNCIO = `import asyncio, os, tempfile
d = tempfile.mkdtemp(prefix='tsv-asyncio-')
path = os.path.join(d, 's.sock')

async def handle(r, w):
    while True:
        line = await r.readline()
        if not line:
            break
        w.write(b'echo:' + line.upper())
        await w.drain()
    w.close()
    await w.wait_closed()

async def main():
    srv = await asyncio.start_unix_server(handle, path)
    print('listening', srv.sockets[0].getsockname() == path)
    r, w = await asyncio.open_unix_connection(path)
    for i in range(5):
        w.write(f'hello {i}\\n'.encode())
        await w.drain()
        print((await r.readline()).decode().strip())
    w.write(b'x' * 60000 + b'\\n')
    await w.drain()
    print('big', len(await r.readline()))
    w.write_eof()
    print('eof after close', await r.read() == b'')
    w.close()
    await w.wait_closed()
    srv.close()
    await srv.wait_closed()

asyncio.run(main())
if os.path.exists(path):
    os.unlink(path)
os.rmdir(d)
print('done')
`;

const SOCKETSERVER = `import os, socket, socketserver, tempfile, threading

class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(b'got ' + line)

d = tempfile.mkdtemp(prefix='tsv-sockserv-')
path = os.path.join(d, 'ss.sock')
srv = socketserver.UnixStreamServer(path, Handler)
print('server address', srv.server_address == path, os.path.exists(path))
t = threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.05})
t.start()
for i in range(3):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(path)
        f = c.makefile('rwb')
        f.write(f'line {i}\\n'.encode())
        f.flush()
        print(f.readline().decode().strip())
        c.shutdown(socket.SHUT_WR)
        print('eof', f.read() == b'')
        f.close()
srv.shutdown()
srv.server_close()
t.join()
os.unlink(path)
os.rmdir(d)

# Datagrams, abstract names and descriptor passing through the socket module.
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
r, w = os.pipe()
socket.send_fds(a, [b'fd'], [w])
msg, fds, flags, addr = socket.recv_fds(b, 10, 4)
os.write(fds[0], b'via fd')
print(msg, len(fds), os.read(r, 10))
s1 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s1.bind('\\0tsv-python-abstract')
s2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s2.sendto(b'ping', '\\0tsv-python-abstract')
print(s1.recvfrom(16), s1.getsockname())
s2.bind('')
s2.sendto(b'ping2', '\\0tsv-python-abstract')
data, frm = s1.recvfrom(16)
print(data, len(frm), frm[:1])
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect('/nonexistent/sock')
except OSError as e:
    print('connect error', e.errno)
print('done')
`;

const NODE_NET = `const net = require('net');
const fs = require('fs');
const path = require('path');
const dir = fs.mkdtempSync('/tmp/tsv-node-');
const p = path.join(dir, 'n.sock');
const srv = net.createServer((c) => {
  c.setEncoding('utf8');
  let buf = '';
  c.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      c.write('echo ' + (line.length > 20 ? 'len ' + line.length : line.toUpperCase()) + '\\n');
    }
  });
  c.on('end', () => c.end('bye\\n'));
});
srv.listen(p, () => {
  console.log('listening', srv.address() === p, fs.statSync(p).isSocket());
  const c = net.connect(p);
  let out = '';
  c.setEncoding('utf8');
  c.on('connect', () => {
    for (let i = 0; i < 3; i++) c.write(\`msg \${i}\\n\`);
    c.write('x'.repeat(200000) + '\\n');
    c.end();
  });
  c.on('data', (d) => { out += d; });
  c.on('end', () => {
    console.log(out.trim().split('\\n').join(' | '));
    srv.close(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      const bad = net.connect('/tmp/tsv-node-missing.sock');
      bad.on('error', (e) => console.log('connect error', e.code));
    });
  });
});
`;

test('python3 asyncio: start_unix_server + open_unix_connection', (t) => {
  if (need(t, PYTHON, 'python3')) same([PYTHON, script('asyncio_unix.py', ASYNCIO)]);
});

test('python3 socketserver.UnixStreamServer, send_fds/recv_fds, abstract datagrams', (t) => {
  if (need(t, PYTHON, 'python3')) same([PYTHON, script('socketserver_unix.py', SOCKETSERVER)]);
});

// Node's stdio here is the harness's socketpair, a host socket: libuv classifies it with
// getsockname and SO_TYPE, which the sentry answers as for an unnamed AF_UNIX stream socket.
test('node net: createServer().listen(path) + net.connect(path)', () => {
  same([NODE, script('node_net_unix.js', NODE_NET)]);
});
