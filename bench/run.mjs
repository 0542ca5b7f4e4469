#!/usr/bin/env node
// tsvisor benchmarks. Every figure is a ratio of two measurements taken side by side
// in this run (the machines are noisy): sandbox against native, or against the floor
// of the platform. Prints a table and writes bench/results/<name>.json.
//
//   npm run bench            # all
//   node bench/run.mjs getppid openread true
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const tsvisor = path.join(root, 'bin', 'tsvisor');
const buildDir = path.join(here, '.build');
const resultsDir = path.join(here, 'results');

function build(name) {
  fs.mkdirSync(buildDir, { recursive: true });
  const src = path.join(here, 'programs', `${name}.c`);
  const out = path.join(buildDir, name);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    execFileSync('gcc', ['-O2', '-static', '-o', out, src]);
  }
  return out;
}

function run(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const sandbox = (argv) => [tsvisor, 'do', '--', ...argv];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternates a and b `rounds` times and returns the medians of what f reports. */
function sideBySide(rounds, a, b) {
  const xa = [], xb = [];
  for (let i = 0; i < rounds; i++) {
    xa.push(a());
    xb.push(b());
  }
  return [median(xa), median(xb)];
}

function wallMs(argv) {
  const t0 = process.hrtime.bigint();
  run(argv);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * A tree of 100 directories x 100 small files, made once per run beside the build (not in
 * /tmp, which is a fresh tmpfs inside the sandbox).
 */
let treeDir = null;
function benchTree() {
  if (treeDir !== null) return treeDir;
  treeDir = path.join(buildDir, `tree-${process.pid}`);
  for (let d = 0; d < 100; d++) {
    fs.mkdirSync(path.join(treeDir, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(treeDir, `d${d}`, `f${f}`), `${d}/${f}\n`);
  }
  process.on('exit', () => fs.rmSync(treeDir, { recursive: true, force: true }));
  return treeDir;
}

/** An OCI bundle with busybox and the given static program, for tsvisor and runc alike. */
function benchBundle(args, extraBin) {
  const dir = path.join(buildDir, `bundle-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'rootfs', 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(dir, 'rootfs', 'bin', 'busybox'));
  for (const a of ['sh', 'true', 'sleep']) fs.symlinkSync('busybox', path.join(dir, 'rootfs', 'bin', a));
  if (extraBin !== undefined) fs.copyFileSync(extraBin, path.join(dir, 'rootfs', 'bin', path.basename(extraBin)));
  run([tsvisor, 'spec', '--bundle', dir]);
  const cfgPath = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = args;
  fs.writeFileSync(cfgPath, JSON.stringify(cfg));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const RUNC = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const stateRoots = { tsvisor: path.join('/tmp', `tsvisor-bench-state-${process.pid}`), runc: path.join('/tmp', `runc-bench-state-${process.pid}`) };
const oci = (rt, ...a) => (rt === 'runc' ? [RUNC, '--root', stateRoots.runc, ...a] : [tsvisor, '--root', stateRoots.tsvisor, ...a]);
let ids = 0;

const benches = {
  getppid() {
    const prog = build('getppid_loop');
    const floor = build('ptrace_floor');
    const n = '100000';
    const rows = [];
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, n]))), () => parseFloat(run([prog, n])));
    const [sb2, fl] = sideBySide(5, () => parseFloat(run(sandbox([prog, n]))), () => parseFloat(run([floor, n])));
    rows.push({ metric: 'getppid round trip (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat });
    rows.push({ metric: 'getppid round trip (ns)', sandbox: sb2, baseline: fl, against: 'C PTRACE_SYSEMU floor', ratio: sb2 / fl, goal: 1.5 });
    return rows;
  },
  openread() {
    const prog = build('openread_loop');
    const file = '/etc/hostname';
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, file, '20000']))), () => parseFloat(run([prog, file, '20000'])));
    return [{ metric: 'open+read+close of a small file (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  // Issue 3: processes and threads. Each program times its own loop (start-up excluded) and
  // prints ns per iteration; the counts keep one sandbox run well under 2 s, so with 5 rounds
  // each bench stays under 10 s of sandbox time.
  fork() {
    const prog = build('fork_exit');
    const n = '1000';
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, n]))), () => parseFloat(run([prog, n])));
    return [{ metric: 'fork+_exit+waitpid, 4 MiB touched (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  forkexec() {
    const prog = build('fork_exec');
    const n = '300';
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, n]))), () => parseFloat(run([prog, n])));
    return [{ metric: 'fork+execve(static)+waitpid (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  thread() {
    const prog = build('thread_create');
    const n = '3000';
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, n]))), () => parseFloat(run([prog, n])));
    return [{ metric: 'pthread_create+pthread_join (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  futex() {
    const prog = build('futex_pingpong');
    const n = '20000';
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, n]))), () => parseFloat(run([prog, n])));
    return [{ metric: 'futex ping-pong round trip, 2 threads (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  // Issue 4: the file system. The tree is made on the host once and reached through the
  // root overlay's read-only host layer, as an image's files are.
  stattree() {
    const prog = build('stat_tree');
    const tree = benchTree();
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, tree, '100', '100', '20000']))),
      () => parseFloat(run([prog, tree, '100', '100', '20000'])));
    return [{ metric: 'stat of a file in a 10,000-file tree (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  find() {
    const prog = build('walk_tree');
    const tree = benchTree();
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, tree, '3']))), () => parseFloat(run([prog, tree, '3'])));
    return [{ metric: 'find-like walk of a 10,000-file tree (ms)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  pipe() {
    const prog = build('pipe_throughput');
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, '128']))), () => parseFloat(run([prog, '128'])));
    return [{ metric: 'pipe, 64 KiB writes, per chunk (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  // Inet sockets: host sockets in the sandbox's loopback-only namespace.
  tcprr() {
    const prog = build('tcp_loopback');
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, 'rr', '5000']))), () => parseFloat(run([prog, 'rr', '5000'])));
    return [{ metric: 'TCP loopback 1-byte round trip (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  tcpbulk() {
    const prog = build('tcp_loopback');
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, 'bulk', '128']))), () => parseFloat(run([prog, 'bulk', '128'])));
    return [{ metric: 'TCP loopback, 64 KiB writes, per chunk (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  epoll() {
    const prog = build('epoll_pingpong');
    const [sb, nat] = sideBySide(5, () => parseFloat(run(sandbox([prog, '5000']))), () => parseFloat(run([prog, '5000'])));
    return [{ metric: 'epoll ping-pong over a socketpair (ns)', sandbox: sb, baseline: nat, against: 'native', ratio: sb / nat }];
  },
  // Issue 5: the OCI runtime against runc, on the same busybox bundle.
  ocirun() {
    if (RUNC === undefined) throw new Error('ocirun needs runc (apt-get install runc)');
    const b = benchBundle(['true']);
    const [sb, rc] = sideBySide(10, () => wallMs(oci('tsvisor', 'run', '--bundle', b, `b${ids++}`)),
      () => wallMs(oci('runc', 'run', '--bundle', b, `b${ids++}`)));
    return [{ metric: 'run of a busybox true bundle, wall (ms)', sandbox: sb, baseline: rc, against: 'runc run', ratio: sb / rc, goal: 1.5 }];
  },
  ocistart() {
    if (RUNC === undefined) throw new Error('ocistart needs runc (apt-get install runc)');
    const b = benchBundle(['/bin/first_instruction'], build('first_instruction'));
    const one = (rt) => {
      const id = `s${ids++}`;
      const out = path.join(buildDir, `${id}.out`);
      const fd = fs.openSync(out, 'w');
      // The container's stdout is create's: a file here.
      const r = spawnSync(oci(rt, 'create', '--bundle', b, id)[0], oci(rt, 'create', '--bundle', b, id).slice(1), { stdio: ['ignore', fd, 'inherit'] });
      fs.closeSync(fd);
      if (r.status !== 0) throw new Error(`${rt} create failed`);
      const t0 = BigInt(Date.now()) * 1000000n;
      run(oci(rt, 'start', id));
      for (let i = 0; i < 500 && fs.readFileSync(out, 'utf8') === ''; i++) spawnSync('sleep', ['0.01']);
      const t1 = BigInt(fs.readFileSync(out, 'utf8').trim());
      spawnSync(oci(rt, 'delete', '--force', id)[0], oci(rt, 'delete', '--force', id).slice(1));
      fs.rmSync(out, { force: true });
      return Number(t1 - t0) / 1e6;
    };
    const [sb, rc] = sideBySide(7, () => one('tsvisor'), () => one('runc'));
    return [{ metric: 'start to the first app instruction (ms)', sandbox: sb, baseline: rc, against: 'runc start', ratio: sb / rc }];
  },
  ocirss() {
    if (RUNC === undefined) throw new Error('ocirss needs runc (apt-get install runc)');
    const b = benchBundle(['sleep', '100']);
    const rssKb = (pid) => {
      // The process and its children (the sandbox's stubs; runc's container process).
      let kb = 0;
      const pids = [String(pid), ...fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)];
      for (const p of pids) {
        const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
        if (m !== null) kb += Number(m[1]);
      }
      return kb;
    };
    const one = (rt) => {
      const id = `r${ids++}`;
      const pidFile = path.join(buildDir, `${id}.pid`);
      // Not run(): the container keeps create's stdout, so a pipe there would never end.
      const c = oci(rt, 'create', '--bundle', b, '--pid-file', pidFile, id);
      if (spawnSync(c[0], c.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] }).status !== 0) throw new Error(`${rt} create failed`);
      run(oci(rt, 'start', id));
      spawnSync('sleep', ['0.5']);
      const kb = rssKb(Number(fs.readFileSync(pidFile, 'utf8')));
      spawnSync(oci(rt, 'delete', '--force', id)[0], oci(rt, 'delete', '--force', id).slice(1));
      fs.rmSync(pidFile, { force: true });
      return kb / 1024;
    };
    const [sb, rc] = sideBySide(3, () => one('tsvisor'), () => one('runc'));
    return [{ metric: 'idle container memory, RSS (MiB)', sandbox: sb, baseline: rc, against: 'runc container', ratio: sb / rc }];
  },
  true() {
    const t = fs.existsSync('/bin/true') ? '/bin/true' : '/usr/bin/true';
    const [sb, nat] = sideBySide(10, () => wallMs(sandbox([t])), () => wallMs([t]));
    return [{ metric: 'tsvisor do -- /bin/true, wall (ms)', sandbox: sb, baseline: nat, against: 'native /bin/true', ratio: sb / nat }];
  },
};

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(benches);
const all = [];
for (const name of wanted) {
  if (!(name in benches)) throw new Error(`unknown benchmark ${name}; have ${Object.keys(benches).join(', ')}`);
  const rows = benches[name]();
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify({ bench: name, date: new Date().toISOString(), rows }, null, 2) + '\n');
  all.push(...rows);
}
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
console.log('metric'.padEnd(44), 'sandbox'.padStart(10), 'baseline'.padStart(10), 'ratio'.padStart(8), '  against');
for (const r of all) {
  console.log(r.metric.padEnd(44), fmt(r.sandbox).padStart(10), fmt(r.baseline).padStart(10), (r.ratio.toFixed(2) + 'x').padStart(8),
    `  ${r.against}${r.goal ? ` (goal <= ${r.goal}x)` : ''}`);
}
