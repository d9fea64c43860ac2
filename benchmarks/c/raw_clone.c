/* Baseline: create+join of a thread made by the raw clone syscall, with the
 * work linux-clone does per task: glibc's pthread flags (presets.thread), a
 * stack with a guard page and a thread control block for CLONE_SETTLS, and
 * a join on the CLONE_CHILD_CLEARTID futex.
 * The stack and TCB are mapped once and reused, as the library's task cache
 * reuses them; `fresh` as the second argument maps and unmaps a stack each
 * time instead (what this baseline did before, 40 µs more on a busy VM).
 * Prints the mean nanoseconds per create+join. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define STACK (64 * 1024)
#define PAGE 4096

static int task(void* arg) {
  (void)arg;
  return 0;
}

/* STACK usable bytes above a PROT_NONE guard page; NULL on failure. */
static char* map_stack(void) {
  char* map =
      mmap(NULL, STACK + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (map == MAP_FAILED || mprotect(map, PAGE, PROT_NONE)) return NULL;
  return map;
}

/* A TCB as x86_64 expects one at %fs: its first word points to itself. */
static void* map_tcb(void) {
  char* map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) return NULL;
  void** tcb = (void**)(map + PAGE);
  tcb[0] = tcb;
  tcb[2] = tcb;
  return tcb;
}

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 10000;
  int fresh = argc > 2 && strcmp(argv[2], "fresh") == 0;
  const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                    CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  char* reused = fresh ? NULL : map_stack();
  void* tcb = map_tcb();
  if ((!fresh && reused == NULL) || tcb == NULL) return 1;
  long long start = now_ns();
  for (long i = 0; i < iterations; i++) {
    char* map = fresh ? map_stack() : reused;
    if (map == NULL) return 1;
    volatile pid_t tid = 0;
    if (clone(task, map + PAGE + STACK, flags, NULL, &tid, tcb, &tid) < 0) return 1;
    pid_t seen;
    while ((seen = tid) != 0) syscall(SYS_futex, &tid, FUTEX_WAIT, seen, NULL, NULL, 0);
    if (fresh) munmap(map, STACK + PAGE);
  }
  printf("%.0f\n", (double)(now_ns() - start) / (double)iterations);
  return 0;
}
