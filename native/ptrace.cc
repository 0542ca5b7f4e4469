// The ptrace platform's host side: resume a stub thread, wait for the next stop,
// move registers, and run a syscall inside a stub (injection) to change its mappings.
// All of it runs on the sentry's JS thread, which is the tracer of every stub.
#include "common.h"

#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <unordered_map>

namespace tsv {

// Register buffers owned by JS tasks, keyed by host tid. On a syscall stop the
// registers are read straight into the buffer so JS sees them without another call.
struct RegSlot {
  user_regs_struct* regs;
  napi_ref ref;
};
static std::unordered_map<int, RegSlot> gRegs;
static uint64_t gStubSyscall = 0;

static napi_value RegisterRegs(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes b = argBytes(env, args[1]);
  if (b.len < sizeof(user_regs_struct)) return num(env, -EINVAL);
  auto it = gRegs.find(tid);
  if (it != gRegs.end()) napi_delete_reference(env, it->second.ref);
  RegSlot slot;
  slot.regs = reinterpret_cast<user_regs_struct*>(b.data);
  napi_create_reference(env, args[1], 1, &slot.ref);
  gRegs[tid] = slot;
  return num(env, 0);
}

static napi_value UnregisterRegs(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  int tid = static_cast<int>(argInt(env, args[0]));
  auto it = gRegs.find(tid);
  if (it != gRegs.end()) {
    napi_delete_reference(env, it->second.ref);
    gRegs.erase(it);
  }
  return num(env, 0);
}

// resume(tid, how, sig, regsMode): regsMode 0 = leave registers, 1 = write rax only,
// 2 = write all general registers from the registered buffer.
// how: 0 = PTRACE_SYSEMU, 1 = PTRACE_CONT, 2 = PTRACE_SYSEMU_SINGLESTEP.
static napi_value Resume(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  int tid = static_cast<int>(argInt(env, args[0]));
  int how = static_cast<int>(argInt(env, args[1]));
  long sig = static_cast<long>(argInt(env, args[2]));
  int regsMode = static_cast<int>(argInt(env, args[3]));
  if (regsMode != 0) {
    auto it = gRegs.find(tid);
    if (it == gRegs.end()) return num(env, -ESRCH);
    if (regsMode == 1) {
      if (ptrace(PTRACE_POKEUSER, tid, offsetof(user_regs_struct, rax), it->second.regs->rax) != 0)
        return num(env, -errno);
    } else if (ptrace(PTRACE_SETREGS, tid, 0, it->second.regs) != 0) {
      return num(env, -errno);
    }
  }
  long req = how == 1 ? PTRACE_CONT : how == 2 ? PTRACE_SYSEMU_SINGLESTEP : PTRACE_SYSEMU;
  if (ptrace(static_cast<__ptrace_request>(req), tid, 0, sig) != 0) return num(env, -errno);
  return num(env, 0);
}

// Fills out[0..3] = tid, raw wait status, event message (for PTRACE_EVENT stops), 0.
// On a syscall stop of a registered tid the registers are already in its buffer.
int fillWaitResult(int tid, int status, int32_t* out) {
  out[0] = tid;
  out[1] = status;
  out[2] = 0;
  out[3] = 0;
  if (WIFSTOPPED(status)) {
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) {
      auto it = gRegs.find(tid);
      if (it != gRegs.end() && ptrace(PTRACE_GETREGS, tid, 0, it->second.regs) != 0) out[3] = -errno;
    } else if ((status >> 16) != 0) {
      unsigned long msg = 0;
      ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
      out[2] = static_cast<int32_t>(msg);
    }
  }
  return tid;
}

// waitTid(tid, out, nohang) -> tid, 0 (nothing with nohang) or -errno. tid -1 = any.
static napi_value WaitTid(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes out = argBytes(env, args[1]);
  bool nohang = argInt(env, args[2]) != 0;
  if (out.len < 16) return num(env, -EINVAL);
  int status = 0;
  int r;
  do {
    r = waitpid(tid, &status, __WALL | (nohang ? WNOHANG : 0));
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return num(env, r == 0 ? 0 : -errno);
  return num(env, fillWaitResult(r, status, reinterpret_cast<int32_t*>(out.data)));
}

static napi_value GetRegs(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes b = argBytes(env, args[1]);
  if (b.len < sizeof(user_regs_struct)) return num(env, -EINVAL);
  return num(env, ptrace(PTRACE_GETREGS, tid, 0, b.data) == 0 ? 0 : -errno);
}

static napi_value SetRegs(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes b = argBytes(env, args[1]);
  if (b.len < sizeof(user_regs_struct)) return num(env, -EINVAL);
  return num(env, ptrace(PTRACE_SETREGS, tid, 0, b.data) == 0 ? 0 : -errno);
}

// FP/vector state as the kernel's XSAVE area (NT_X86_XSTATE); returns the byte count.
static napi_value GetFpRegs(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes b = argBytes(env, args[1]);
  struct iovec iov = {b.data, b.len};
  if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) != 0) return num(env, -errno);
  return num(env, static_cast<double>(iov.iov_len));
}

static napi_value SetFpRegs(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes b = argBytes(env, args[1]);
  size_t len = static_cast<size_t>(argInt(env, args[2]));
  if (len > b.len) return num(env, -EINVAL);
  struct iovec iov = {b.data, len};
  if (ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov) != 0) return num(env, -errno);
  return num(env, 0);
}

// getSiginfo(tid, buf128) -> 0 / -errno
static napi_value GetSiginfo(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int tid = static_cast<int>(argInt(env, args[0]));
  Bytes b = argBytes(env, args[1]);
  if (b.len < sizeof(siginfo_t)) return num(env, -EINVAL);
  return num(env, ptrace(PTRACE_GETSIGINFO, tid, 0, b.data) == 0 ? 0 : -errno);
}

// inject(tid, nr, a0..a5, out) runs one host syscall inside a stopped stub thread, at
// the stub's syscall site. out[0] receives a new child's tid when the call was a
// fork or clone. Returns the syscall's result (-errno on failure).
static napi_value Inject(napi_env env, napi_callback_info info) {
  TSV_ARGS(9);
  int tid = static_cast<int>(argInt(env, args[0]));
  user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return num(env, -errno);
  regs.rax = static_cast<uint64_t>(argInt(env, args[1]));
  regs.orig_rax = static_cast<uint64_t>(-1);
  regs.rdi = static_cast<uint64_t>(argInt(env, args[2]));
  regs.rsi = static_cast<uint64_t>(argInt(env, args[3]));
  regs.rdx = static_cast<uint64_t>(argInt(env, args[4]));
  regs.r10 = static_cast<uint64_t>(argInt(env, args[5]));
  regs.r8 = static_cast<uint64_t>(argInt(env, args[6]));
  regs.r9 = static_cast<uint64_t>(argInt(env, args[7]));
  regs.rip = gStubSyscall;
  Bytes out = argBytes(env, args[8]);
  if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0) return num(env, -errno);
  if (ptrace(PTRACE_CONT, tid, 0, 0) != 0) return num(env, -errno);
  for (;;) {
    int status = 0;
    int r = waitpid(tid, &status, __WALL);
    if (r < 0) {
      if (errno == EINTR) continue;
      return num(env, -errno);
    }
    if (!WIFSTOPPED(status)) return num(env, -ESRCH);  // the stub died
    if ((status >> 16) != 0) {  // PTRACE_EVENT_FORK / CLONE: note the child, go on
      unsigned long msg = 0;
      ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg);
      if (out.len >= 4) reinterpret_cast<int32_t*>(out.data)[0] = static_cast<int32_t>(msg);
      ptrace(PTRACE_CONT, tid, 0, 0);
      continue;
    }
    if (WSTOPSIG(status) == SIGTRAP) break;  // the int3 after the syscall
    // A stray SIGSTOP (an operator's kill -STOP) and the template's SIGCHLD (a traced
    // process reports even ignored signals) are swallowed; any other signal here means
    // the stub itself faulted, which the sentry treats as a broken address space.
    if (WSTOPSIG(status) == SIGSTOP || WSTOPSIG(status) == SIGCHLD) {
      ptrace(PTRACE_CONT, tid, 0, 0);
      continue;
    }
    return num(env, -EIO);
  }
  if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) return num(env, -errno);
  return num(env, static_cast<double>(static_cast<int64_t>(regs.rax)));
}

static napi_value SetStubSyscall(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  gStubSyscall = static_cast<uint64_t>(argInt(env, args[0]));
  return num(env, 0);
}

// tgkill(tgid, tid, sig)
static napi_value Tgkill(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  long r = syscall(SYS_tgkill, argInt(env, args[0]), argInt(env, args[1]), argInt(env, args[2]));
  return sysret(env, r);
}

void initPtrace(napi_env env, napi_value exports) {
  registerFn(env, exports, "registerRegs", RegisterRegs);
  registerFn(env, exports, "unregisterRegs", UnregisterRegs);
  registerFn(env, exports, "resume", Resume);
  registerFn(env, exports, "waitTid", WaitTid);
  registerFn(env, exports, "getRegs", GetRegs);
  registerFn(env, exports, "setRegs", SetRegs);
  registerFn(env, exports, "getFpRegs", GetFpRegs);
  registerFn(env, exports, "setFpRegs", SetFpRegs);
  registerFn(env, exports, "getSiginfo", GetSiginfo);
  registerFn(env, exports, "inject", Inject);
  registerFn(env, exports, "setStubSyscall", SetStubSyscall);
  registerFn(env, exports, "tgkill", Tgkill);
}

}  // namespace tsv
