/* Baseline: pthread_create + pthread_join. Prints mean ns per pair. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common.h"

static void* task(void* arg) { return arg; }

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 10000;
  long long start = now_ns();
  for (long i = 0; i < iterations; i++) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, task, NULL) || pthread_join(thread, NULL)) return 1;
  }
  printf("%.0f\n", (double)(now_ns() - start) / (double)iterations);
  return 0;
}
