/* The sum-array lab with processes: LENGTH ints (values 0-999, filled
 * before the clock) summed by WORKERS forked children, each over its own
 * slice, reporting through a pipe. Prints the nanoseconds from the first
 * fork to the last wait, then the sum. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  long length = argc > 1 ? atol(argv[1]) : 100000000;
  int workers = argc > 2 ? atoi(argv[2]) : 1;
  if (workers < 1 || workers > 64) return 1;
  int* data = lab_array(length);
  int fds[64][2];
  long chunk = (length + workers - 1) / workers;
  long long start = now_ns();
  for (int w = 0; w < workers; w++) {
    if (pipe(fds[w])) return 1;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      long from = w * chunk < length ? w * chunk : length;
      long to = from + chunk < length ? from + chunk : length;
      long long sum = 0;
      for (long i = from; i < to; i++) sum += data[i];
      if (write(fds[w][1], &sum, sizeof sum) != sizeof sum) _exit(1);
      _exit(0);
    }
    close(fds[w][1]);
  }
  long long total = 0;
  for (int w = 0; w < workers; w++) {
    long long sum = 0;
    if (read(fds[w][0], &sum, sizeof sum) != sizeof sum) return 1;
    close(fds[w][0]);
    total += sum;
  }
  while (wait(NULL) > 0) {
  }
  printf("%lld %lld\n", now_ns() - start, total);
  free(data);
  return 0;
}
