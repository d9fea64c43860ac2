// Waiting for children: a pidfd watched by the env's ChildPoller, then
// waitid(P_PIDFD) with rusage. Never waitpid(-1): libuv reaps its own children by pid, and
// we reap only ours.
#pragma once

#include <napi.h>
#include <signal.h>
#include <sys/resource.h>
#include <uv.h>

#include "addon.h"
#include "task_clone.h"

namespace lc {

struct ExitRecord {
  int exit_code = -1;  // with CLD_EXITED
  int signal = 0;      // with CLD_KILLED / CLD_DUMPED
  bool core_dumped = false;
  rusage usage = {};
  uint64_t elapsed_ns = 0;
};

// A child's rusage under the names process.resourceUsage() uses.
Napi::Object RusageObject(Napi::Env env, const rusage& usage);

// What waitid reported: the exit status, or the signal and whether it
// dumped core, and the usage.
void RecordExit(const siginfo_t& info, const rusage& usage, ExitRecord* exit);

// pid, exitCode, signal, coreDumped, rusage and elapsedMs on `out`.
void ExitFieldsInto(Napi::Env env, pid_t pid, const ExitRecord& exit, Napi::Object out);

// Writes the exit JS reads (lib/exit-fields.ts) into the env's fields: the
// fields above, and a task's result when `task_result` is given. The exit
// callback and cloneTaskSync both leave it there, so a fused clone+join
// reports exactly what waitSync does. False when the env has no fields.
bool ExitToFields(Napi::Env env, pid_t pid, const ExitRecord& exit, const TaskBlock* task_result);

// The native side of a Child. It watches the pidfd from birth, so a child
// that exits is reaped whether or not JS awaits it, and holds a strong
// reference to itself until then.
class ChildHandle : public Napi::ObjectWrap<ChildHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  // Takes ownership of outcome.pidfd. on_exit(info) runs once, on the reap.
  // flags and exit_signal are what was passed to the kernel; kill_at_exit
  // false leaves the child running when the env ends.
  static Napi::Value Create(Napi::Env env, const CloneOutcome& outcome, uint64_t flags, int exit_signal,
                            bool kill_at_exit, Napi::Function on_exit);
  // The same for a task child, taking ownership of its resources too.
  static Napi::Value CreateTask(Napi::Env env, const CloneOutcome& outcome, uint64_t flags, int exit_signal,
                                const TaskResources& resources, Napi::Function on_exit);

  explicit ChildHandle(const Napi::CallbackInfo& info);
  ~ChildHandle() override;

  // The env's poller saw the pidfd readable (status < 0: the poller failed).
  static void OnPidfdReadable(void* owner, int status);

  // Env cleanup: kill and reap a child still running (unless it is to
  // outlive Node: then only reap it if it has ended), without calling JS.
  void Teardown();

 private:
  Napi::Value Kill(const Napi::CallbackInfo& info);
  Napi::Value WaitSync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value SetRef(const Napi::CallbackInfo& info);
  // waitSync and close: reaps now (after a SIGKILL when `kill`), then runs
  // on_exit. False when it threw.
  bool FinishNow(Napi::Env env, Napi::Object self, bool kill);

  static ChildHandle* Construct(Napi::Env env, Napi::Object* object, const CloneOutcome& outcome,
                                uint64_t flags, int exit_signal, Napi::Function on_exit);
  // Starts watching for the exit; on failure kills, reaps and throws.
  bool Watch(Napi::Env env);
  static void OnJoinTimer(uv_timer_t* timer);
  static void OnFirstIdle(uv_idle_t* idle);
  // Adds the pidfd to the env's poller: 0, or a negative errno with *call
  // (when given) naming what failed.
  int StartPoll(uv_loop_t* loop, const char** call = nullptr);
  int WatchThread(uv_loop_t* loop);
  void OnExitObserved();
  int JoinThread(bool block);
  void SendKill(int signal);
  // For a child nothing can watch: killed, then reaped (joined) at once.
  void EndNow();
  // waitid(P_PIDFD); `block` false polls. Returns 1 if reaped, 0 if still
  // running, -errno on error.
  int Reap(bool block);
  // After the reap: stops the poller, closes the pidfd, drops the self-reference.
  void Release();
  void MarkReapedElsewhere();
  // `self` is the wrapper, held by the caller while on_exit runs.
  void NotifyExit(Napi::Env env, Napi::Object self, bool from_event_loop);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  uint64_t started_ns_ = 0;
  uint64_t poll_key_ = 0;             // the env poller's entry; 0 when not watched
  uv_timer_t* join_timer_ = nullptr;  // threads without a thread pidfd (Linux < 6.9)
  uv_idle_t* first_look_ = nullptr;   // tasks: one loop turn before a pidfd poll
  bool reaped_ = false;
  bool kill_at_exit_ = true;
  bool ref_ = true;      // keeps the loop alive until the exit (Child.ref/unref)
  bool thread_ = false;  // CLONE_THREAD: joined through the CLEARTID word, not reaped
  bool has_task_ = false;
  TaskResources task_;
  bool has_task_result_ = false;
  TaskBlock task_result_ = {};  // the block's header, kept after the block is unmapped
  ExitRecord exit_;
  Napi::FunctionReference on_exit_;
  AddonData* data_ = nullptr;
};

}  // namespace lc
