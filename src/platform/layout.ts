// The fixed parts of every app address space. Must match native/stub.cc.

/** The stub's code page; nothing of the app may be mapped at or above it. */
export const STUB_ADDR = 0x7fffffff0000;
/** The end of the app's usable address space (Linux's TASK_SIZE, lowered by the stub area). */
export const TASK_SIZE = STUB_ADDR;
export const PAGE_SIZE = 4096;
export const PAGE_MASK = PAGE_SIZE - 1;
