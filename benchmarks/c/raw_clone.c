/* Baseline: create+join of a thread made by the raw clone syscall, with the
 * work linux-clone does per task: an mmap'd stack with a guard page, glibc's
 * pthread flags, and a join on the CLONE_CHILD_CLEARTID futex.
 * Prints the mean nanoseconds per create+join. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define STACK (64 * 1024)

static int task(void* arg) {
  (void)arg;
  return 0;
}

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 10000;
  const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  long long start = now_ns();
  for (long i = 0; i < iterations; i++) {
    size_t page = 4096;
    char* map =
        mmap(NULL, STACK + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (map == MAP_FAILED || mprotect(map, page, PROT_NONE)) return 1;
    volatile pid_t tid = 0;
    if (clone(task, map + page + STACK, flags, NULL, &tid, NULL, &tid) < 0) return 1;
    pid_t seen;
    while ((seen = tid) != 0) syscall(SYS_futex, &tid, FUTEX_WAIT, seen, NULL, NULL, 0);
    munmap(map, STACK + page);
  }
  printf("%.0f\n", (double)(now_ns() - start) / (double)iterations);
  return 0;
}
