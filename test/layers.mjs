// Layering check for src/: imports may only point to the importer's own layer or lower ones
// (DESIGN.md, "Layers inside the sentry"). A handful of regexes, not a TypeScript parse: the
// point is a cheap, always-on guard that fails the moment a file reaches upward, so the layers
// stay legible as the code grows (VS Code keeps its own layers honest the same way).
//
// `node test/layers.mjs` prints the offending imports and exits 1; test/unit/layers.test.mjs
// runs the same check under `npm test`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Top to bottom. Folders on one line share a rank. A file may import from its own rank or any
// lower rank. A folder under src/ missing from this table is reported, so adding a layer is a
// deliberate edit here rather than an accident.
export const LAYERS = [
  ['cli'],
  ['sandbox'],
  ['syscalls'],
  ['fs', 'net'],
  ['kernel'],
  ['loader'],
  ['vfs'],
  ['mm'],
  ['waiter', 'auth'],
  ['util', 'abi'],
  ['platform'],
];

// `import type` counts like any import, except for these (importer folder, imported module
// without extension): type-only imports that are allowed even if they would point upward.
export const TYPE_ONLY_EXCEPTIONS = [];

// Only the platform layer may touch the native addon (DESIGN.md: "platform/ is the only code
// that touches the native addon").
export const NATIVE_MODULE = 'platform/native';
export const NATIVE_ALLOWED_IN = 'platform';

const SOURCE_EXT = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/** folder name -> rank (0 = top). */
export function rankTable(layers = LAYERS) {
  const m = new Map();
  layers.forEach((names, i) => names.forEach((n) => m.set(n, i)));
  return m;
}

// Replace comments with spaces (keeping newlines, so line numbers stay right) and leave string
// contents alone, so that `// import x from '../cli'` in a comment is not an import while
// `from '../cli'` in code still is. Template literals are skipped naively (no nesting of ${}),
// which is enough for import statements.
export function stripComments(src) {
  let out = '';
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') { out += ' '; i++; }
    } else if (c === '/' && d === '*') {
      out += '  ';
      i += 2;
      while (i < n && !(src[i] === '*' && src[i + 1] === '/')) { out += src[i] === '\n' ? '\n' : ' '; i++; }
      if (i < n) { out += '  '; i += 2; }
    } else if (c === '"' || c === "'" || c === '`') {
      out += c;
      i++;
      while (i < n && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < n) { out += src[i] + src[i + 1]; i += 2; continue; }
        if (c !== '`' && src[i] === '\n') break; // unterminated: give up on this string
        out += src[i];
        i++;
      }
      if (i < n) { out += src[i]; i++; }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// Every way a TS/JS file names another module:
//   import x from '...'; import {a, type B} from '...'; import type {A} from '...';
//   import '...'; export * from '...'; export {a} from '...'; export type {A} from '...';
//   import x = require('...'); require('...'); import('...')
const IMPORT_RES = [
  // import/export ... from '...'  (clause may span lines; [^;]*? stops at the statement's end)
  /\b(import|export)(\s+type)?\s+([^;'"`]*?)\s*\bfrom\s*(['"])([^'"]+)\4/g,
  // side-effect import
  /\bimport\s*(['"])([^'"]+)\1/g,
  // require / dynamic import / import x = require
  /\b(require|import)\s*\(\s*(['"])([^'"]+)\2\s*\)/g,
];

/** @returns {{spec:string, line:number, typeOnly:boolean, text:string}[]} */
export function findImports(src) {
  const code = stripComments(src);
  const lineOf = (idx) => code.slice(0, idx).split('\n').length;
  const found = [];
  const seen = new Set();
  const add = (idx, spec, typeOnly, text) => {
    const key = `${idx}:${spec}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push({ spec, line: lineOf(idx), typeOnly, text: text.replace(/\s+/g, ' ').trim() });
  };
  for (const m of code.matchAll(IMPORT_RES[0])) {
    const clause = m[3] ?? '';
    // `import type X`, or `import { type A, type B }` where every named binding is type-only
    let typeOnly = !!m[2];
    if (!typeOnly) {
      const braces = clause.match(/^\{([\s\S]*)\}$/);
      if (braces) {
        const items = braces[1].split(',').map((s) => s.trim()).filter(Boolean);
        typeOnly = items.length > 0 && items.every((s) => /^type\s/.test(s));
      }
    }
    add(m.index, m[5], typeOnly, m[0]);
  }
  for (const m of code.matchAll(IMPORT_RES[1])) add(m.index, m[2], false, m[0]);
  for (const m of code.matchAll(IMPORT_RES[2])) add(m.index, m[3], false, m[0]);
  return found.sort((a, b) => a.line - b.line);
}

function isDir(p) {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (SOURCE_EXT.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// 'kernel/task.ts' -> 'kernel/task'; 'platform/native/index.ts' -> 'platform/native'
function moduleId(relPath) {
  return relPath.split(sep).join('/').replace(SOURCE_EXT, '').replace(/\/index$/, '');
}

/**
 * Check every source file under srcDir.
 * @returns {{file:string, line:number, text:string, reason:string}[]} violations
 */
export function checkLayers(srcDir, { layers = LAYERS, typeOnlyExceptions = TYPE_ONLY_EXCEPTIONS } = {}) {
  const ranks = rankTable(layers);
  const violations = [];
  const top = (rel) => (rel.includes('/') ? rel.split('/')[0] : null); // null: a file directly in src/
  const unknownReported = new Set();

  for (const file of walk(srcDir)) {
    const rel = relative(srcDir, file).split(sep).join('/');
    const fromLayer = top(rel);
    const fromRank = fromLayer === null ? -1 : ranks.get(fromLayer); // src/*.ts (entry points) sit on top
    if (fromLayer !== null && fromRank === undefined) {
      if (!unknownReported.has(fromLayer)) {
        unknownReported.add(fromLayer);
        violations.push({ file: `src/${fromLayer}/`, line: 0, text: '',
          reason: `folder src/${fromLayer} has no layer: add it to LAYERS in test/layers.mjs` });
      }
      continue;
    }
    for (const imp of findImports(readFileSync(file, 'utf8'))) {
      if (!imp.spec.startsWith('.')) continue; // node builtins and packages are not layers
      const target = resolve(dirname(file), imp.spec);
      const targetRel = relative(srcDir, target);
      if (targetRel.startsWith('..') || targetRel === '') {
        violations.push({ file: `src/${rel}`, line: imp.line, text: imp.text, reason: 'imports from outside src/' });
        continue;
      }
      const targetId = moduleId(targetRel);
      // The layer is the first folder of the resolved path; `import '../vfs'` names the folder
      // itself (its index file), which is that layer too.
      const first = targetRel.split(sep)[0];
      const toLayer = targetRel.includes(sep) || isDir(join(srcDir, first)) ? first : null;
      const where = { file: `src/${rel}`, line: imp.line, text: imp.text };

      if (targetId === NATIVE_MODULE && fromLayer !== NATIVE_ALLOWED_IN) {
        violations.push({ ...where, reason: `only src/${NATIVE_ALLOWED_IN}/ may import src/${NATIVE_MODULE}` });
        continue;
      }
      if (toLayer === null) {
        // importing an entry point file in src/ from inside a layer reaches above every layer
        if (fromLayer !== null) violations.push({ ...where, reason: `imports src/${targetId}, which is above every layer` });
        continue;
      }
      const toRank = ranks.get(toLayer);
      if (toRank === undefined) {
        violations.push({ ...where, reason: `imports from src/${toLayer}, which has no layer in test/layers.mjs` });
        continue;
      }
      if (toRank >= fromRank) continue; // same rank or lower: fine
      if (imp.typeOnly && typeOnlyExceptions.some((e) => e.from === fromLayer && e.to === targetId)) continue;
      violations.push({ ...where,
        reason: `${fromLayer} (rank ${fromRank}) imports ${imp.typeOnly ? 'types ' : ''}from ${toLayer} (rank ${toRank}), a higher layer` });
    }
  }
  return violations;
}

export function formatViolations(violations) {
  return violations.map((v) => `${v.file}${v.line ? `:${v.line}` : ''}: ${v.reason}${v.text ? `\n    ${v.text}` : ''}`).join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const v = checkLayers(srcDir);
  if (v.length) {
    console.error(`${v.length} layering violation(s):\n${formatViolations(v)}`);
    process.exit(1);
  }
  console.log('layers ok');
}
