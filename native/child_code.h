// LC_CHILD_CODE, the mark on code a raw child runs.
#pragma once

// Marks every function a raw child runs (between clone and exec, or as a
// task); such code calls nothing outside code so marked.
// - No sanitizer runtime may run there: it takes locks, allocates, and
//   knows nothing of a stack it did not make, whose shadow a CLONE_VM child
//   shares with Node. test:asan found stale use-after-scope poison on the
//   reused exec stack this way. Functions so marked are not inlined into
//   instrumented ones, so the mark goes on each.
// - The compiler may not turn a loop into a call to memset or memcpy, which
//   would go through the PLT into glibc (GCC's loop distribution; clang's
//   loop idiom recognition, which no_builtin turns off).
// - The code lives in a section of its own, lc_child, so that
//   test/child-code.test.ts can disassemble exactly it from the built addon
//   and fail on any call that leaves it.
#if defined(__clang__)
#define LC_NO_LIBCALLS __attribute__((no_builtin))
#else
#define LC_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
#define LC_CHILD_CODE __attribute__((no_sanitize("address", "undefined"), section("lc_child"))) LC_NO_LIBCALLS
