// A small argv parser shaped like runc's (urfave/cli): flags before positionals,
// `--flag value` and `--flag=value`, repeatable flags, `--` ends the flags.

export interface FlagSpec {
  /** Takes a value (otherwise boolean). */
  value?: boolean;
  /** May be given many times (values collected in order). */
  repeat?: boolean;
  /** Other spellings, e.g. "-b" for "--bundle". */
  aliases?: string[];
}

export interface Parsed {
  flags: Map<string, string[]>;
  bools: Set<string>;
  rest: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>, stopAtFirstPositional = true): Parsed {
  const byName = new Map<string, [string, FlagSpec]>();
  for (const [name, s] of Object.entries(spec)) {
    byName.set(`--${name}`, [name, s]);
    byName.set(`-${name}`, [name, s]);
    for (const a of s.aliases ?? []) byName.set(a, [name, s]);
  }
  const out: Parsed = { flags: new Map(), bools: new Set(), rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (stopAtFirstPositional) break;
      out.rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const hit = byName.get(key);
    if (hit === undefined) throw new UsageError(`flag provided but not defined: ${key}`);
    const [name, s] = hit;
    if (s.value) {
      let v: string;
      if (eq > 0) v = a.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${key}`);
        v = argv[++i];
      }
      const list = out.flags.get(name) ?? [];
      if (!s.repeat) list.length = 0;
      list.push(v);
      out.flags.set(name, list);
    } else {
      if (eq > 0) {
        const v = a.slice(eq + 1);
        if (v === 'false') out.bools.delete(name);
        else out.bools.add(name);
      } else out.bools.add(name);
    }
  }
  out.rest.push(...argv.slice(i));
  return out;
}

export function flag(p: Parsed, name: string): string | undefined {
  const l = p.flags.get(name);
  return l === undefined ? undefined : l[l.length - 1];
}

/** A command failed as runc fails: one line on stderr (and in the log), exit status 1. */
export class RuntimeError extends Error {}
