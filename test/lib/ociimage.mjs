// Builds an OCI image archive (image layout in a tar) from a rootfs tarball, so client
// tests can import an image without pulling anything.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes out (a tar of an OCI image layout) holding layerTar as its one layer, named name. */
export function ociArchive(layerTar, out, name, cmd = ['sh']) {
  const dir = `${out}.d`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blob = (buf) => {
    const d = createHash('sha256').update(buf).digest('hex');
    writeFileSync(join(dir, 'blobs', 'sha256', d), buf);
    return { digest: `sha256:${d}`, size: buf.length };
  };
  const layer = blob(readFileSync(layerTar));
  const config = blob(Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: cmd },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest,
      annotations: { 'org.opencontainers.image.ref.name': name, 'io.containerd.image.name': name } }],
  }));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const r = spawnSync('tar', ['-C', dir, '-cf', out, '.']);
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return out;
}
