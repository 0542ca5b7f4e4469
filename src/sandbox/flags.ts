// Names shared by the CLI and the sandbox process, kept apart from the sentry's modules so
// that a command that only starts a sandbox process does not load them.

/** In a sandbox process's argv: it was started by spawnConfined, in namespaces of its own. */
export const CONFINED_FLAG = '--confined-sandbox';
