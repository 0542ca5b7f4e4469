// Finding a command the way a shell does (execvp): a name with a slash is used as it
// is; otherwise each PATH entry is tried in order. 127 = not found, 126 = found but
// not executable, as shells report them.
import type { ExecHandle } from '../vfs/ops';

const ENOENT = 2, ENOTDIR = 20, ELOOP = 40, ENAMETOOLONG = 36;

export function resolveCommand(
  cmd: string,
  pathVar: string,
  open: (path: string) => ExecHandle | number,
): { handle: ExecHandle; path: string } | 127 | 126 {
  if (cmd === '') return 127;
  if (cmd.includes('/')) {
    const h = open(cmd);
    if (typeof h !== 'number') return { handle: h, path: cmd };
    return h === -ENOENT || h === -ENOTDIR ? 127 : 126;
  }
  let denied = false;
  for (const dir of pathVar.split(':')) {
    const p = `${dir === '' ? '.' : dir}/${cmd}`;
    const h = open(p);
    if (typeof h !== 'number') return { handle: h, path: p };
    if (h !== -ENOENT && h !== -ENOTDIR && h !== -ELOOP && h !== -ENAMETOOLONG) denied = true;
  }
  return denied ? 126 : 127;
}
