{
  "targets": [
    {
      "target_name": "linux_clone",
      "sources": [
        "native/addon.cc",
        "native/options.cc",
        "native/spawn.cc",
        "native/spawn_failure.cc",
        "native/spawn_sync.cc",
        "native/sync_io.cc",
        "native/task_clone.cc",
        "native/task_plan.cc",
        "native/task_sync.cc",
        "native/clone_call.cc",
        "native/clone3.S",
        "native/reap.cc",
        "native/child_handle.cc",
        "native/child_poller.cc",
        "native/task_result.cc",
        "native/errors.cc",
        "native/probe.cc",
        "native/seccomp.cc",
        "native/exec_child.cc",
        "native/container.cc",
        "native/child_signals.cc",
        "native/tasks.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED",
                  "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++20", "-fno-exceptions"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"]
    }
  ]
}
