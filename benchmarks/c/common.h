/* What the C baselines share: a monotonic clock, the calling thread's CPU
 * time, and touched memory so a baseline's RSS can match Node's. */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time the calling thread has used, in nanoseconds. */
static inline long long thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* MIB mebibytes, every page written; NULL (and no memory) for 0. Exits on failure. */
static inline char* touch_mib(long mib) {
  size_t size = (size_t)mib << 20;
  if (size == 0) return NULL;
  char* memory = malloc(size);
  if (memory == NULL) exit(1);
  memset(memory, 1, size);
  return memory;
}

/* LENGTH ints with the lab's values, 0-999. Exits on failure. */
static inline int* lab_array(long length) {
  int* data = malloc(sizeof(int) * (size_t)length);
  if (data == NULL) exit(1);
  for (long i = 0; i < length; i++) data[i] = (int)(i % 1000);
  return data;
}
