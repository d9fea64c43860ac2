// One poller per Node environment for the pidfds of all its children: an
// epoll set that one uv_poll watches. Watching a child costs one epoll_ctl
// (and one more to stop), where a uv_poll of its own cost six and an ioctl.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace lc {

class ChildPoller {
 public:
  // Called for each watched descriptor that is readable, with the owner
  // given to Add; status is libuv's (negative: the poller itself failed).
  using OnReady = void (*)(void* owner, int status);

  explicit ChildPoller(OnReady on_ready) : on_ready_(on_ready) {}
  ChildPoller(const ChildPoller&) = delete;
  ChildPoller& operator=(const ChildPoller&) = delete;

  // Watches `fd` for readability until Remove; the first call makes the
  // epoll set and its uv_poll on `loop`. `ref` false: this entry does not
  // keep the loop alive. Returns a key (never 0), or 0 with -errno in *err
  // and the failed call's name in *call.
  uint64_t Add(uv_loop_t* loop, int fd, void* owner, bool ref, int* err, const char** call);
  // Stops watching; call before the descriptor closes.
  void Remove(uint64_t key);
  // Whether the entry keeps the loop alive: the loop stays alive while any does.
  void SetRef(uint64_t key, bool ref);
  // Env teardown, after every child is released: stops and closes the poller.
  void Close();

 private:
  struct Entry {
    int fd;
    void* owner;
    bool ref;
  };
  int Start(uv_loop_t* loop, const char** call);
  void UpdateLoopRef();
  static void OnReadable(uv_poll_t* poll, int status, int events);
  void Dispatch(int status);

  OnReady on_ready_;
  int epoll_fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  size_t refs_ = 0;
  uint64_t next_key_ = 1;
  std::unordered_map<uint64_t, Entry> entries_;
};

}  // namespace lc
