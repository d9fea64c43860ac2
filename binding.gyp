{
  "targets": [
    {
      "target_name": "linux_clone",
      "sources": [
        "native/addon.cc",
        "native/options.cc",
        "native/syscall.cc",
        "native/clone3.S",
        "native/child.cc",
        "native/container.cc",
        "native/seccomp.cc",
        "native/wait.cc",
        "native/errors.cc",
        "native/tasks.cc",
        "native/probe.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++20", "-fno-exceptions"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"]
    }
  ]
}
