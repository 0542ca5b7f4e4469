// System-wide file-system policies that Linux keeps in sysctls (fs.protected_*). The
// sandbox sets them at boot (by default from the host's values, which is what a
// container sharing the host kernel would see).
export const fsPolicy = {
  /** fs.protected_hardlinks: only owners may hard-link files they cannot read and write. */
  protectedHardlinks: true,
  /** fs.protected_symlinks: symlinks in sticky world-writable dirs are followed only by their owner (or the dir owner's). */
  protectedSymlinks: true,
};
