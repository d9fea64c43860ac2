/* Baseline: spawn+wait of a program with fork and execv, after touching
 * N MiB so the parent's RSS matches Node's: fork copies the page tables.
 * Prints the mean nanoseconds per spawn+wait, then the mean nanoseconds of
 * CPU the parent's thread used per spawn+wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fork_exec ITERATIONS TOUCH_MIB PROGRAM\n");
    return 2;
  }
  long iterations = atol(argv[1]);
  char* memory = touch_mib(atol(argv[2]));
  char* child_argv[] = {argv[3], NULL};
  long long start = now_ns();
  long long cpu_start = thread_cpu_ns();
  for (long i = 0; i < iterations; i++) {
    int status;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      execv(argv[3], child_argv);
      _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid) return 1;
  }
  printf("%.0f %.0f\n", (double)(now_ns() - start) / (double)iterations,
         (double)(thread_cpu_ns() - cpu_start) / (double)iterations);
  free(memory);
  return 0;
}
