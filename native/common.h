// Small helpers shared by the addon's source files. The addon is deliberately thin:
// every function takes plain numbers and byte arrays, returns a number (>= 0 on
// success, -errno on failure) and never throws for a host error, so the sentry's
// syscall paths stay free of exceptions and allocation.
#pragma once
#include <node_api.h>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace tsv {

inline int64_t argInt(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

inline double argDouble(napi_env env, napi_value v) {
  double out = 0;
  napi_get_value_double(env, v, &out);
  return out;
}

// A view of a Uint8Array/Int32Array/... argument: pointer to its first byte and its length in bytes.
struct Bytes {
  uint8_t* data = nullptr;
  size_t len = 0;
};

inline Bytes argBytes(napi_env env, napi_value v) {
  Bytes b;
  bool isTyped = false;
  napi_is_typedarray(env, v, &isTyped);
  if (isTyped) {
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset);
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    b.data = static_cast<uint8_t*>(data);
    b.len = length * elem;
    return b;
  }
  bool isAb = false;
  napi_is_arraybuffer(env, v, &isAb);
  if (isAb) {
    void* data = nullptr;
    size_t length = 0;
    napi_get_arraybuffer_info(env, v, &data, &length);
    b.data = static_cast<uint8_t*>(data);
    b.len = length;
  }
  return b;
}

// Paths cross the boundary as latin1 strings: one JS char per byte, so any byte
// sequence an app uses as a file name survives the round trip unchanged.
inline size_t argPath(napi_env env, napi_value v, char* buf, size_t cap) {
  size_t n = 0;
  napi_get_value_string_latin1(env, v, buf, cap, &n);
  return n;
}

inline napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

inline napi_value sysret(napi_env env, long r) {
  return num(env, r < 0 ? -errno : static_cast<double>(r));
}

#define TSV_ARGS(n)                 \
  size_t argc = n;                  \
  napi_value args[n];               \
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr)

void registerFn(napi_env env, napi_value exports, const char* name, napi_callback cb);

void initPtrace(napi_env env, napi_value exports);
void initStub(napi_env env, napi_value exports);
void initHostfs(napi_env env, napi_value exports);
void initControl(napi_env env, napi_value exports);
void initConfine(napi_env env, napi_value exports);
void initHostnet(napi_env env, napi_value exports);
// Set while control requests wait for the JS thread (control.cc); waitEvent reports them.
extern std::atomic<int> gCtlPending;

}  // namespace tsv
