{
  "targets": [
    {
      "target_name": "tsvisor_native",
      "sources": ["native/addon.cc", "native/ptrace.cc", "native/stub.cc", "native/hostfs.cc", "native/control.cc", "native/confine.cc", "native/hostnet.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-fno-exceptions", "-Wall"],
      "cflags": ["-O2"]
    }
  ]
}
