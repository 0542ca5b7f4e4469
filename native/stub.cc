// The stub: the only code that exists in the host processes that run app threads.
//
// A "template" stub is forked once from the sentry. The child drops everything it
// inherited from node (fds, signal handlers, every mapping) and keeps one page of
// code at kStubAddr, then stops itself under ptrace. New address spaces are forks of
// the template made by injecting a fork into it (see ptrace.cc), so node is forked
// only once per sandbox.
//
// Defence in depth: the stub installs a seccomp filter that kills the process for any
// host syscall whose instruction pointer lies outside the stub page. App syscalls
// are stopped and skipped by PTRACE_SYSEMU before seccomp runs, so the filter only
// ever sees the syscalls the sentry injects at the stub's own syscall site.
#include "common.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" char tsv_stub_start[], tsv_stub_syscall[], tsv_stub_end[];

// Addresses here must match src/platform/layout.ts.
// [0x7fffffff0000, 0x7ffffffff000) is reserved for the stub; the app's address space
// ends at 0x7fffffff0000.
asm(R"(
  .pushsection .text.tsvisor_stub,"ax",@progbits
  .balign 4096
  .globl tsv_stub_start
tsv_stub_start:
  /* munmap(0, 0x7fffffff0000): everything below the stub page */
  mov $11, %eax
  xor %edi, %edi
  movabs $0x7fffffff0000, %rsi
  syscall
  /* munmap(stub page end, up to the top of the user address space) */
  mov $11, %eax
  movabs $0x7fffffff1000, %rdi
  mov $0xe000, %esi
  syscall
  /* kill(getpid(), SIGSTOP): the sentry takes over from here */
  mov $39, %eax
  syscall
  mov %rax, %rdi
  mov $19, %esi
  mov $62, %eax
  syscall
  .globl tsv_stub_syscall
tsv_stub_syscall:
  syscall
  int3
  jmp tsv_stub_syscall
  .globl tsv_stub_end
tsv_stub_end:
  .popsection
)");

namespace tsv {

static const uint64_t kStubAddr = 0x7fffffff0000ULL;

static void installStubFilter() {
  // seccomp_data: nr @0, arch @4, instruction_pointer @8 (lo) / @12 (hi).
  const uint32_t lo = static_cast<uint32_t>(kStubAddr);
  const uint32_t hi = static_cast<uint32_t>(kStubAddr >> 32);
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo + 4096, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) syscall(SYS_exit_group, 121);
}

// Runs in the forked child only: raw syscalls, no allocation, no locks.
[[noreturn]] static void childMain(int memfd, int cpu) {
  // glibc registered an rseq area for node's thread; it lives in memory the stub is
  // about to unmap, and the kernel would fault the stub touching it on preemption.
  if (__rseq_size > 0) {
    char* area = static_cast<char*>(__builtin_thread_pointer()) + __rseq_offset;
    if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
      syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG);
  }
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  syscall(SYS_setsid);
  if (memfd > 0) syscall(SYS_close_range, 0, memfd - 1, 0);
  syscall(SYS_close_range, memfd + 1, ~0U, 0);
  struct kernel_sigaction_t {
    void* handler;
    unsigned long flags;
    void* restorer;
    uint64_t mask;
  } dfl = {nullptr, 0, nullptr, 0};
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
  }
  // The template's children (the address-space stubs) must not linger as zombies
  // once the sentry has reaped them as their tracer: SIG_IGN makes them auto-reap.
  struct kernel_sigaction_t ign = {reinterpret_cast<void*>(SIG_IGN), 0, nullptr, 0};
  syscall(SYS_rt_sigaction, SIGCHLD, &ign, nullptr, 8);
  uint64_t empty = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, nullptr, 8);
  if (cpu >= 0) {
    uint64_t mask[16] = {0};
    mask[cpu / 64] = 1ULL << (cpu % 64);
    syscall(SYS_sched_setaffinity, 0, sizeof(mask), mask);
  }
  if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0) syscall(SYS_exit_group, 122);
  void* page = reinterpret_cast<void*>(syscall(SYS_mmap, kStubAddr, 4096, PROT_READ | PROT_WRITE,
                                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  if (page != reinterpret_cast<void*>(kStubAddr)) syscall(SYS_exit_group, 123);
  size_t n = static_cast<size_t>(tsv_stub_end - tsv_stub_start);
  for (size_t i = 0; i < n; i++) static_cast<char*>(page)[i] = tsv_stub_start[i];
  if (syscall(SYS_mprotect, kStubAddr, 4096, PROT_READ | PROT_EXEC) != 0) syscall(SYS_exit_group, 124);
  installStubFilter();
  reinterpret_cast<void (*)()>(kStubAddr)();
  __builtin_unreachable();
}

// stubCreate(memfd, cpu) -> pid of the stopped template stub, or -errno.
static napi_value StubCreate(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int memfd = static_cast<int>(argInt(env, args[0]));
  int cpu = static_cast<int>(argInt(env, args[1]));
  long pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) return num(env, -errno);
  if (pid == 0) childMain(memfd, cpu);
  int status = 0;
  if (waitpid(static_cast<pid_t>(pid), &status, __WALL) < 0) return num(env, -errno);
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
    kill(static_cast<pid_t>(pid), SIGKILL);
    waitpid(static_cast<pid_t>(pid), &status, __WALL);
    return num(env, -ECHILD);
  }
  long opts = PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK;
  if (ptrace(PTRACE_SETOPTIONS, pid, 0, opts) != 0) return num(env, -errno);
  return num(env, static_cast<double>(pid));
}

// stubInfo() -> [stub page address, syscall site address]
static napi_value StubInfo(napi_env env, napi_callback_info info) {
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, static_cast<double>(kStubAddr)));
  napi_set_element(env, arr, 1, num(env, static_cast<double>(kStubAddr + (tsv_stub_syscall - tsv_stub_start))));
  return arr;
}

void initStub(napi_env env, napi_value exports) {
  registerFn(env, exports, "stubCreate", StubCreate);
  registerFn(env, exports, "stubInfo", StubInfo);
}

}  // namespace tsv
