/* The sum-array lab with threads: LENGTH ints (values 0-999, filled before
 * the clock) summed by WORKERS pthreads, each over its own slice. Prints
 * the nanoseconds from the first create to the last join, then the sum. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common.h"

struct slice {
  const int* data;
  long start, end;
  long long sum;
};

static void* sum_slice(void* arg) {
  struct slice* s = arg;
  long long sum = 0;
  for (long i = s->start; i < s->end; i++) sum += s->data[i];
  s->sum = sum;
  return NULL;
}

int main(int argc, char** argv) {
  long length = argc > 1 ? atol(argv[1]) : 100000000;
  int workers = argc > 2 ? atoi(argv[2]) : 1;
  if (workers < 1 || workers > 64) return 1;
  int* data = lab_array(length);
  pthread_t threads[64];
  struct slice slices[64];
  long chunk = (length + workers - 1) / workers;
  long long start = now_ns();
  for (int w = 0; w < workers; w++) {
    long from = w * chunk < length ? w * chunk : length;
    slices[w] = (struct slice){data, from, from + chunk < length ? from + chunk : length, 0};
    if (pthread_create(&threads[w], NULL, sum_slice, &slices[w])) return 1;
  }
  long long total = 0;
  for (int w = 0; w < workers; w++) {
    pthread_join(threads[w], NULL);
    total += slices[w].sum;
  }
  printf("%lld %lld\n", now_ns() - start, total);
  free(data);
  return 0;
}
