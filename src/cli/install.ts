// `tsvisor install`: registers tsvisor as a runtime with Docker (daemon.json's
// "runtimes") and containerd (a CRI runtime handler using the runc shim with BinaryName),
// as `runsc install` does. Existing settings are kept; running it twice changes nothing
// the second time. The daemons must be restarted to see the change.
import * as fs from 'fs';
import * as path from 'path';
import { UsageError, flag, parseArgs } from './args';
import { RuntimeError } from './args';

/** The tsvisor executable operators point their clients at. */
function selfPath(): string {
  return path.resolve(__dirname, '..', '..', 'bin', 'tsvisor');
}

/** Docker: daemon.json gets runtimes.NAME = { path, runtimeArgs }. Returns what it did. */
export function installDocker(file: string, name: string, bin: string, args: string[]): string {
  let cfg: Record<string, unknown> = {};
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, 'utf8');
    if (text.trim() !== '') {
      try {
        cfg = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new RuntimeError(`${file}: invalid JSON, not changed: ${(e as Error).message}`);
      }
    }
  }
  const runtimes = (cfg.runtimes ?? {}) as Record<string, unknown>;
  const entry = args.length > 0 ? { path: bin, runtimeArgs: args } : { path: bin };
  if (JSON.stringify(runtimes[name]) === JSON.stringify(entry)) return `${file}: runtime "${name}" already registered`;
  runtimes[name] = entry;
  cfg.runtimes = runtimes;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tsvisor-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(cfg, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return `${file}: runtime "${name}" registered (restart dockerd)`;
}

/** The containerd (config version 2) section for a CRI runtime handler NAME. */
export function containerdSection(name: string, bin: string): string {
  const base = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}]`;
  return [
    base,
    '  runtime_type = "io.containerd.runc.v2"',
    `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}.options]`,
    `  BinaryName = "${bin}"`,
    '',
  ].join('\n');
}

/** containerd: appends the runtime handler to config.toml unless it is there already. */
export function installContainerd(file: string, name: string, bin: string): string {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const header = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}]`;
  if (text.includes(header)) return `${file}: runtime handler "${name}" already present (not changed)`;
  if (text !== '' && !/^\s*version\s*=\s*2\s*$/m.test(text)) {
    throw new RuntimeError(`${file}: not a version 2 containerd config; add this yourself:\n${containerdSection(name, bin)}`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let add = containerdSection(name, bin);
  // Naming any runtime replaces containerd's built-in list: keep runc, the default, in it.
  const runc = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]';
  if (!text.includes(runc) && !/default_runtime_name/.test(text)) add = `${runc}\n  runtime_type = "io.containerd.runc.v2"\n` + add;
  const out = (text === '' ? 'version = 2\n' : text.endsWith('\n') ? text : text + '\n') + '\n' + add;
  const tmp = `${file}.tsvisor-${process.pid}`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, file);
  return `${file}: runtime handler "${name}" added (restart containerd)`;
}

export function installCommand(argv: string[]): number {
  const p = parseArgs(argv, {
    runtime: { value: true },
    path: { value: true },
    'docker-config': { value: true },
    'containerd-config': { value: true },
    'runtime-arg': { value: true, repeat: true },
    docker: {},
    containerd: {},
  });
  if (p.rest.length > 0) throw new UsageError(`install: unexpected argument ${p.rest[0]}`);
  const name = flag(p, 'runtime') ?? 'tsvisor';
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError(`install: --runtime ${name}: letters, digits, - and _ only`);
  const bin = path.resolve(flag(p, 'path') ?? selfPath());
  // Neither chosen: both, as an operator installing the runtime on a node expects.
  const both = !p.bools.has('docker') && !p.bools.has('containerd');
  if (both || p.bools.has('docker')) {
    const msg = installDocker(flag(p, 'docker-config') ?? '/etc/docker/daemon.json', name, bin, p.flags.get('runtime-arg') ?? []);
    process.stdout.write(msg + '\n');
  }
  if (both || p.bools.has('containerd')) {
    process.stdout.write(installContainerd(flag(p, 'containerd-config') ?? '/etc/containerd/config.toml', name, bin) + '\n');
  }
  return 0;
}
