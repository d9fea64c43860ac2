// CLOCK_MONOTONIC in nanoseconds, for a child's elapsed time.
#pragma once

#include <time.h>

#include <cstdint>

namespace lc {

inline uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace lc
