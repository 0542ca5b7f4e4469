// Compiles the C programs under test/programs/ with the host gcc, in the three ELF shapes the
// loader must handle: static, static-PIE and dynamic (PT_INTERP). Outputs go to test/.build/
// and are rebuilt only when the source (or the shared header, or this file's flags) is newer,
// so a repeated `npm test` does not pay for ~50 gcc runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const execFileP = promisify(execFile);

const here = dirname(fileURLToPath(import.meta.url));
export const PROGRAMS_DIR = join(here, '..', 'programs');
export const BUILD_DIR = join(here, '..', '.build');

// -O1 everywhere so variants differ only in how they are linked and loaded. -Wall keeps the
// programs honest; warnings are not errors so a newer gcc cannot break the suite.
const COMMON = ['-Wall', '-O1', '-g0'];
export const VARIANTS = {
  static: ['-static'],
  spie: ['-static-pie', '-fPIE'],
  dyn: [],
};

// A program whose source contains this marker is run only inside the sandbox (its output is
// sandbox-specific by design, e.g. "pid 1"), so it is not part of the differential suite.
const SANDBOX_ONLY_MARKER = 'tsvisor-test: sandbox-only';

function mtime(p) {
  try { return statSync(p).mtimeMs; } catch { return -1; }
}

// Run at most `limit` jobs at once: the machine has 2 cores and gcc is CPU-bound. Every job is
// let finish before the first error is thrown, so no gcc is left writing into test/.build after
// the caller has given up.
async function pool(jobs, limit) {
  const errors = [];
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const i = next++;
      try { await jobs[i](); } catch (e) { errors.push(e); }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
}

/** Names (without .c) of the programs in test/programs/, sorted. */
export function programNames() {
  return readdirSync(PROGRAMS_DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();
}

/** True for programs meant for native-vs-sandbox comparison (no sandbox-only marker). */
export function isDifferential(name) {
  return !readFileSync(join(PROGRAMS_DIR, `${name}.c`), 'utf8').includes(SANDBOX_ONLY_MARKER);
}

/**
 * Build every program in every variant (cached by mtime).
 * @returns {Promise<Map<string,{static:string,spie:string,dyn:string}>>} name -> binary paths
 */
export async function buildPrograms() {
  mkdirSync(BUILD_DIR, { recursive: true });
  // Anything the outputs depend on besides their own source: the shared headers and the flags
  // (which live in this file).
  const headers = readdirSync(PROGRAMS_DIR).filter((f) => f.endsWith('.h')).map((f) => mtime(join(PROGRAMS_DIR, f)));
  const depTime = Math.max(...headers, mtime(fileURLToPath(import.meta.url)));
  const out = new Map();
  const jobs = [];
  for (const name of programNames()) {
    const src = join(PROGRAMS_DIR, `${name}.c`);
    const srcTime = Math.max(mtime(src), depTime);
    const paths = {};
    for (const [variant, flags] of Object.entries(VARIANTS)) {
      const bin = join(BUILD_DIR, `${name}.${variant}`);
      paths[variant] = bin;
      if (mtime(bin) >= srcTime) continue;
      jobs.push(async () => {
        // Compile to a temporary name and rename: a half-written binary must never look fresh,
        // and two test processes building at once must not see each other's partial output.
        const tmpBin = `${bin}.tmp${process.pid}`;
        try {
          await execFileP('gcc', [...COMMON, ...flags, '-o', tmpBin, src], { maxBuffer: 16 << 20 });
        } catch (e) {
          rmSync(tmpBin, { force: true });
          throw new Error(`gcc failed for ${name}.${variant}:\n${e.stderr || e.message}`);
        }
        renameSync(tmpBin, bin);
      });
    }
    out.set(name, paths);
  }
  await pool(jobs, 2);
  for (const paths of out.values()) {
    for (const p of Object.values(paths)) {
      if (!existsSync(p)) throw new Error(`missing build output ${p}`);
    }
  }
  return out;
}

// `node test/lib/build.mjs` builds everything and lists the outputs (handy when writing programs).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildPrograms();
  for (const [name, paths] of built) console.log(name, isDifferential(name) ? '' : '(sandbox-only)', Object.values(paths).join(' '));
}
