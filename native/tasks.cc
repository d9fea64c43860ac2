#include "tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "child_signals.h"
#include "raw_syscall.h"

namespace lc {
namespace {

constexpr uint64_t kCancelMask = 1ULL << (kTaskCancelSignal - 1);
// How many elements sumArray adds between looks for a kill().
constexpr uint64_t kCancelCheckEvery = 1 << 16;

// Whether a kill() has reached this thread; consumes the signal.
LC_CHILD_CODE bool CancelPending() {
  timespec zero = {0, 0};
  return RawSyscall(SYS_rt_sigtimedwait, reinterpret_cast<long>(&kCancelMask), 0,
                    reinterpret_cast<long>(&zero), sizeof(long)) == kTaskCancelSignal;
}

LC_CHILD_CODE int64_t NowNs() {
  timespec ts;
  RawSyscall(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<long>(&ts));
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

template <typename T, typename Sum>
LC_CHILD_CODE bool SumRange(TaskBlock* block, Sum* out) {
  const T* elements = reinterpret_cast<const T*>(block->data);
  Sum sum = 0;
  for (uint64_t i = block->start; i < block->end;) {
    uint64_t stop = block->end - i > kCancelCheckEvery ? i + kCancelCheckEvery : block->end;
    for (; i < stop; i++) sum += static_cast<Sum>(elements[i]);
    if (block->shares_handlers && i < block->end && CancelPending()) return false;
  }
  *out = sum;
  return true;
}

// Integers sum exactly in 64 bits (as a double they stay exact while the
// sum is below 2^53); floats sum as doubles.
LC_CHILD_CODE bool SumArray(TaskBlock* block) {
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  bool ok = true;
  block->value_kind = ValueKind::kNumber;
  switch (block->element_type) {
    case ElementType::kInt8:
      ok = SumRange<int8_t>(block, &i);
      f = static_cast<double>(i);
      break;
    case ElementType::kUint8:
    case ElementType::kUint8Clamped:
      ok = SumRange<uint8_t>(block, &i);
      f = static_cast<double>(i);
      break;
    case ElementType::kInt16:
      ok = SumRange<int16_t>(block, &i);
      f = static_cast<double>(i);
      break;
    case ElementType::kUint16:
      ok = SumRange<uint16_t>(block, &i);
      f = static_cast<double>(i);
      break;
    case ElementType::kInt32:
      ok = SumRange<int32_t>(block, &i);
      f = static_cast<double>(i);
      break;
    case ElementType::kUint32:
      ok = SumRange<uint32_t>(block, &i);
      f = static_cast<double>(i);
      break;
    case ElementType::kFloat32: ok = SumRange<float>(block, &f); break;
    case ElementType::kFloat64: ok = SumRange<double>(block, &f); break;
    case ElementType::kBigInt64:
      ok = SumRange<int64_t>(block, &i);
      block->value_kind = ValueKind::kBigInt64;
      block->value.i64 = i;  // wraps modulo 2^64, as BigInt64Array arithmetic would
      return ok;
    case ElementType::kBigUint64:
      ok = SumRange<uint64_t>(block, &u);
      block->value_kind = ValueKind::kBigUint64;
      block->value.u64 = u;
      return ok;
  }
  block->value.number = f;
  return ok;
}

// How often a write that waits for room looks for a kill().
constexpr int kWriteCancelCheckMs = 10;

// Where write's bytes go. A child sharing Node's handlers cannot be
// interrupted in a blocking write (every signal stays blocked), so it never
// makes one: a pipe or terminal is reopened non-blocking, a socket is sent
// to with MSG_DONTWAIT, and a descriptor that cannot be reopened gets at
// most PIPE_BUF bytes per write, each after poll said there was room.
struct WriteTarget {
  int fd;
  bool reopened = false;
  bool socket = false;
  bool poll_first = false;
};

// "/proc/thread-self/fd/N": the child's own descriptor table.
LC_CHILD_CODE void FdPath(int fd, char* out) {
  const char prefix[] = "/proc/thread-self/fd/";
  int length = 0;
  for (; prefix[length] != 0; length++) out[length] = prefix[length];
  char digits[12];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  while (count > 0) out[length++] = digits[--count];
  out[length] = 0;
}

LC_CHILD_CODE WriteTarget StoppableTarget(int fd) {
  WriteTarget target = {fd};
  struct stat st;
  if (RawSyscall(SYS_fstat, fd, reinterpret_cast<long>(&st)) != 0) return target;  // write reports it
  if (S_ISSOCK(st.st_mode)) {
    target.socket = true;
  } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    // A read-only end stays as it is, so the write fails with EBADF.
    if ((RawSyscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE) == O_RDONLY) return target;
    char path[48];
    FdPath(fd, path);
    long reopened =
        RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (reopened >= 0) {
      target.fd = static_cast<int>(reopened);
      target.reopened = true;
    } else {
      target.poll_first = true;
    }
  }
  return target;  // a regular file or a block device: a write never waits for a reader
}

// Waits until `fd` has room; false when a kill() came first.
LC_CHILD_CODE bool WaitForRoom(int fd) {
  for (;;) {
    if (CancelPending()) return false;
    pollfd room = {fd, POLLOUT, 0};
    timespec limit = {0, kWriteCancelCheckMs * 1000000L};
    long r = RawSyscall(SYS_ppoll, reinterpret_cast<long>(&room), 1, reinterpret_cast<long>(&limit), 0,
                        sizeof(long));
    if (r > 0 || (r < 0 && r != -EINTR)) return true;  // ready, or an error the write will report
  }
}

LC_CHILD_CODE long WriteSome(const WriteTarget& target, const unsigned char* bytes, uint64_t size) {
  if (target.socket)
    return RawSyscall(SYS_sendto, target.fd, reinterpret_cast<long>(bytes), static_cast<long>(size),
                      MSG_DONTWAIT, 0, 0);
  if (target.poll_first && size > PIPE_BUF) size = PIPE_BUF;
  return RawSyscall(SYS_write, target.fd, reinterpret_cast<long>(bytes), static_cast<long>(size));
}

// False when a kill() stopped it; *status is the exit code otherwise.
LC_CHILD_CODE bool Write(TaskBlock* block, int* status) {
  WriteTarget target = {block->fd};
  if (block->shares_handlers) target = StoppableTarget(block->fd);
  uint64_t written = 0;
  long n = 0;
  bool finished = true;
  while (written < block->payload_size) {
    if (target.poll_first && !WaitForRoom(target.fd)) {
      finished = false;
      break;
    }
    n = WriteSome(target, block->payload() + written, block->payload_size - written);
    if (n == -EINTR) continue;
    if (n == -EAGAIN && block->shares_handlers) {
      if (WaitForRoom(target.fd)) continue;
      finished = false;
      break;
    }
    if (n < 0) break;
    written += static_cast<uint64_t>(n);
  }
  if (target.reopened) RawSyscall(SYS_close, target.fd);
  block->value_kind = ValueKind::kNumber;
  block->value.number = static_cast<double>(n < 0 ? n : static_cast<long>(written));  // -errno or bytes
  *status = n < 0 ? 1 : 0;
  return finished;
}

// A child sharing Node's handlers waits for its cancel signal with a
// timeout; one with its own just sleeps, and a kill() ends it the ordinary way.
LC_CHILD_CODE bool Sleep(TaskBlock* block) {
  timespec ts = {static_cast<time_t>(block->arg / 1000), static_cast<long>(block->arg % 1000) * 1000000};
  if (!block->shares_handlers) {
    while (RawSyscall(SYS_nanosleep, reinterpret_cast<long>(&ts), reinterpret_cast<long>(&ts)) == -EINTR) {
    }
    return true;
  }
  for (;;) {
    long r = RawSyscall(SYS_rt_sigtimedwait, reinterpret_cast<long>(&kCancelMask), 0,
                        reinterpret_cast<long>(&ts), sizeof(long));
    if (r == kTaskCancelSignal) return false;
    if (r == -EAGAIN) return true;  // the time is up
    // -EINTR cannot happen with every signal blocked; anything else: stop.
    if (r != -EINTR) return true;
  }
}

LC_CHILD_CODE bool Spin(TaskBlock* block) {
  const int64_t until = NowNs() + block->arg * 1000000;
  while (NowNs() < until) {
    if (block->shares_handlers && CancelPending()) return false;
  }
  return true;
}

LC_CHILD_CODE void Probe(TaskBlock* block) {
  TaskProbe& p = block->probe;
  p.pid = RawSyscall(SYS_getpid);
  p.tid = RawSyscall(SYS_gettid);
  p.ppid = RawSyscall(SYS_getppid);
  p.uid = RawSyscall(SYS_getuid);
  p.gid = RawSyscall(SYS_getgid);
  uint64_t fs = 0;
  __asm__ volatile("mov %%fs:0, %0" : "=r"(fs));  // the TCB's first word points to itself
  p.thread_pointer = fs;
  uint64_t sp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
  p.stack_pointer = sp;
}

// Recurses until the guard page below the stack stops it. The frame is
// read after the call, so the recursion cannot become a loop.
__attribute__((noinline)) LC_CHILD_CODE uint64_t Overflow(uint64_t depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth == UINT64_MAX) return 0;  // unreachable: the stack ends first
  return Overflow(depth + 1) + frame[0];
}

// The fault is the point; child code is outside UBSan's null check, which
// would report it instead of letting it fault.
[[noreturn]] LC_CHILD_CODE void Fault(TaskBlock* block) {
  switch (block->fault) {
    case FaultKind::kSegv: {
      volatile int* volatile nowhere = nullptr;  // opaque to the compiler
      *nowhere = 1;
      break;
    }
    case FaultKind::kStackOverflow: Overflow(0); break;
    case FaultKind::kAbort:
      RawSyscall(SYS_tgkill, RawSyscall(SYS_getpid), RawSyscall(SYS_gettid), SIGABRT);
      break;
  }
  RawExit(127);
}

// The number after `field` (e.g. "\nPPid:\t") in a /proc status text.
LC_CHILD_CODE int64_t StatusField(const char* text, long length, const char* field) {
  for (long i = 0; i < length; i++) {
    long j = 0;
    while (field[j] != 0 && i + j < length && text[i + j] == field[j]) j++;
    if (field[j] != 0) continue;
    int64_t value = 0;
    for (long k = i + j; k < length && text[k] >= '0' && text[k] <= '9'; k++)
      value = value * 10 + (text[k] - '0');
    return value;
  }
  return -1;
}

// Leaves one mark per resource, then reads who it is and where it lives.
LC_CHILD_CODE void ProbeSharing(TaskBlock* block) {
  SharingProbe& p = block->sharing;
  __atomic_store_n(p.word, kProbeMagic, __ATOMIC_RELAXED);
  RawSyscall(SYS_umask, p.umask);
  RawSyscall(SYS_dup3, p.fd_source, p.fd_target, O_CLOEXEC);
  KernelSigaction ignore = {};
  ignore.handler = SIG_IGN;
  RawSyscall(SYS_rt_sigaction, p.signal, reinterpret_cast<long>(&ignore), 0, sizeof(long));
  sembuf up = {0, 1, SEM_UNDO};
  long r = RawSyscall(SYS_semop, p.semid, reinterpret_cast<long>(&up), 1);
  p.semop_errno = r < 0 ? static_cast<int32_t>(-r) : 0;
  for (int i = 0; i < policy::kNamespaceCount; i++) {
    struct stat st;
    r = RawSyscall(SYS_newfstatat, AT_FDCWD, reinterpret_cast<long>(policy::kNamespacePaths[i]),
                   reinterpret_cast<long>(&st), 0);
    p.ns_inode[i] = r == 0 ? st.st_ino : 0;
  }
  char status[4096];
  long fd = RawSyscall(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/proc/thread-self/status"),
                       O_RDONLY | O_CLOEXEC);
  long length = fd < 0 ? 0 : RawSyscall(SYS_read, fd, reinterpret_cast<long>(status), sizeof status);
  if (fd >= 0) RawSyscall(SYS_close, fd);
  p.tgid = StatusField(status, length, "\nTgid:\t");
  p.ppid = StatusField(status, length, "\nPPid:\t");
}

// A child with handlers of its own is an ordinary process from here on:
// default dispositions, nothing blocked. A child sharing Node's handlers
// keeps every signal blocked, so none of Node's handlers ever runs in it.
// There is nobody to report a failure to, and no failure to expect.
LC_CHILD_CODE void BecomeOwnProcess() {
  ResetSignalDispositions();
  UnblockAllSignals();
}

}  // namespace

LC_CHILD_CODE int TaskChildMain(void* arg) {
  TaskBlock* block = static_cast<TaskBlock*>(arg);
  if (!block->shares_handlers) BecomeOwnProcess();
  if (block->dies_with_parent) {
    RawSyscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have ended before the prctl (0: a new PID namespace).
    long ppid = RawSyscall(SYS_getppid);
    if (ppid != 0 && ppid != block->expected_ppid) RawExit(128 + SIGKILL);
  }
  int status = 0;
  bool finished = true;
  switch (block->kind) {
    case TaskKind::kSumArray: finished = SumArray(block); break;
    case TaskKind::kWrite: finished = Write(block, &status); break;
    case TaskKind::kExit: status = static_cast<int>(block->arg); break;
    case TaskKind::kSleep: finished = Sleep(block); break;
    case TaskKind::kSpin: finished = Spin(block); break;
    case TaskKind::kProbe: Probe(block); break;
    case TaskKind::kFault: Fault(block);
    case TaskKind::kProbeSharing: ProbeSharing(block); break;
  }
  if (!finished) {
    block->cancelled = 1;
    block->value_kind = ValueKind::kNone;
    status = 128 + kTaskCancelSignal;
  }
  if (block->is_thread) RawSyscall(SYS_getrusage, RUSAGE_THREAD, reinterpret_cast<long>(&block->usage));
  block->status = status;
  __atomic_store_n(&block->done, 1, __ATOMIC_RELEASE);
  return status;
}

}  // namespace lc
