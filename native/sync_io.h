// The parent's side of a synchronous spawn once the child has exec'd: it
// feeds the child's input, collects its output, enforces a timeout and a cap
// on the output, and reaps it. One poll() waits on the pidfd and our ends of
// the stdio pipes at once; nothing spins and nothing goes to a file. No
// N-API here: spawn_sync.cc is the glue.
#pragma once

#include <signal.h>

#include <cstdint>
#include <vector>

#include "child_handle.h"
#include "clone_call.h"
#include "unique_fd.h"

namespace lc {

// Our end of one stdio slot's pipe or socketpair.
struct SyncStream {
  UniqueFd fd;
  bool collect = false;  // read what the child writes into `output`
  bool feeds = false;    // write `input` (possibly empty), then end our writing
  std::vector<char> input;
  std::vector<char> output;
  // Progress, kept by RunSyncIo.
  size_t written = 0;
  bool reading = false;
  bool writing = false;
};

struct SyncLimits {
  int64_t timeout_ms = 0;  // 0: none
  // The most bytes of output collected; one more and the child is killed.
  // Infinity: no cap. By default the sum over every stream counts
  // (child_process's rule); `max_buffer_each` counts each stream alone
  // (run()'s rule).
  double max_buffer = 0;
  bool max_buffer_each = false;
  int kill_signal = SIGTERM;
};

struct SyncOutcome {
  ExitRecord exit;
  // The first of: ETIMEDOUT, ENOBUFS, a failed kill (as -errno); else the
  // first error of a stream (EPIPE when the child did not read its input).
  int error = 0;
  bool timed_out = false;
  bool overflowed = false;
};

// Runs until the child is reaped and every stream is done: at EOF, or
// closed by a kill (a timeout, an overflow), as child_process does. Takes
// the child's pidfd, blocking, and leaves it open for the caller.
void RunSyncIo(const CloneOutcome& child, std::vector<SyncStream>* streams, const SyncLimits& limits,
               SyncOutcome* out);

}  // namespace lc
