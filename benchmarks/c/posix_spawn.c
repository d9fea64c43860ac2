/* Baseline: spawn+wait of a program with glibc's posix_spawn (CLONE_VM|
 * CLONE_VFORK), optionally after touching N MiB so the parent's RSS
 * matches Node's. Prints the mean nanoseconds per spawn+wait. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

extern char** environ;

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: posix_spawn ITERATIONS TOUCH_MIB PROGRAM\n");
    return 2;
  }
  long iterations = atol(argv[1]);
  char* memory = touch_mib(atol(argv[2]));
  char* child_argv[] = {argv[3], NULL};
  long long start = now_ns();
  long long cpu_start = thread_cpu_ns();
  for (long i = 0; i < iterations; i++) {
    pid_t pid;
    int status;
    if (posix_spawn(&pid, argv[3], NULL, NULL, child_argv, environ) != 0) return 1;
    if (waitpid(pid, &status, 0) != pid) return 1;
  }
  printf("%.0f %.0f\n", (double)(now_ns() - start) / (double)iterations,
         (double)(thread_cpu_ns() - cpu_start) / (double)iterations);
  free(memory);
  return 0;
}
