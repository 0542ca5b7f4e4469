// Host services other layers may use (time, randomness, the memory file's fd
// operations), so that only platform/ touches the native addon.
import { native } from './native';

export const monoNow = (): number => native.monoNow();
export const clockGettime = (clockid: number, out: Float64Array): number => native.clockGettime(clockid, out);
export const getRandom = (buf: Uint8Array, off: number, len: number): number => native.getRandom(buf, off, len);
export const memfdCreate = (name: string, size: number): number => native.memfdCreate(name, size);
/**
 * A host file at path (created or emptied, mode 0600) of the given sparse size, to hold
 * the memory file instead of a memfd (--overlay file:PATH).
 */
export function dataFileCreate(path: string, size: number): number {
  const fd = native.openat(-100 /* AT_FDCWD */, path, 2 /* O_RDWR */ | 0o100 /* O_CREAT */ | 0o1000 /* O_TRUNC */, 0o600);
  if (fd < 0) return fd;
  const r = native.ftruncate(fd, size);
  if (r < 0) {
    native.close(fd);
    return r;
  }
  return fd;
}
export const mapShared = (fd: number, off: number, len: number): ArrayBuffer | number => native.mapShared(fd, off, len);
export const fallocate = (fd: number, mode: number, off: number, len: number): number => native.fallocate(fd, mode, off, len);
export const lseek = (fd: number, off: number, whence: number): number => native.lseek(fd, off, whence);

/**
 * Catches the host signals of mask (bit sig-1) from now on: each one is recorded and wakes
 * the platform's wait as a host fd event with token HOST_SIGNAL_TOKEN.
 */
export const hostSignals = (mask: number): number => native.hostSignals(mask);
/** Puts the host signals of mask back to their default action. */
export const defaultSignals = (mask: number): number => native.defaultSignals(mask);
/** The host signals caught since the last call (a mask, bit sig-1). */
export const takeHostSignals = (): number => native.takeHostSignals();
export const HOST_SIGNAL_TOKEN = -2;
