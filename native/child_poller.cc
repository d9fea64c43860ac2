#include "child_poller.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <vector>

namespace lc {

int ChildPoller::Start(uv_loop_t* loop, const char** call) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    *call = "epoll_create1";
    return -errno;
  }
  poll_ = new uv_poll_t;
  int err = uv_poll_init(loop, poll_, epoll_fd_);
  if (err != 0) {
    delete poll_;
  } else {
    poll_->data = this;
    err = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (err != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    }
  }
  if (err != 0) {
    poll_ = nullptr;
    close(epoll_fd_);
    epoll_fd_ = -1;
    *call = "uv_poll_start";
    return err;
  }
  UpdateLoopRef();
  return 0;
}

uint64_t ChildPoller::Add(uv_loop_t* loop, int fd, void* owner, bool ref, int* err, const char** call) {
  if (poll_ == nullptr) {
    *err = Start(loop, call);
    if (*err != 0) return 0;
  }
  const uint64_t key = next_key_++;
  epoll_event event = {};
  event.events = EPOLLIN;
  // A key, not the owner's address: an event read in the same batch as its
  // owner's release finds no entry, rather than a freed owner.
  event.data.u64 = key;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    *err = -errno;
    *call = "epoll_ctl";
    return 0;
  }
  entries_.emplace(key, Entry{fd, owner, ref});
  if (ref) refs_++;
  UpdateLoopRef();
  return key;
}

void ChildPoller::Remove(uint64_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  // Failure means the descriptor is no longer in the set (ENOENT), or was
  // closed, which removed it (EBADF): nothing is left to undo either way.
  (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  if (it->second.ref) refs_--;
  entries_.erase(it);
  UpdateLoopRef();
}

void ChildPoller::SetRef(uint64_t key, bool ref) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.ref == ref) return;
  it->second.ref = ref;
  if (ref) {
    refs_++;
  } else {
    refs_--;
  }
  UpdateLoopRef();
}

void ChildPoller::UpdateLoopRef() {
  if (poll_ == nullptr) return;
  if (refs_ > 0) {
    uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
}

void ChildPoller::Close() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  if (epoll_fd_ >= 0) {
    close(epoll_fd_);
    epoll_fd_ = -1;
  }
  entries_.clear();
  refs_ = 0;
}

void ChildPoller::OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  static_cast<ChildPoller*>(poll->data)->Dispatch(status);
}

// Each owner's callback may run JS, which may release other entries, add
// new ones or tear the env down: entries are looked up by key one at a time.
void ChildPoller::Dispatch(int status) {
  if (status < 0) {
    // The set itself failed: every owner looks at its own child.
    std::vector<uint64_t> keys;
    keys.reserve(entries_.size());
    for (const auto& entry : entries_) keys.push_back(entry.first);
    for (uint64_t key : keys) {
      auto it = entries_.find(key);
      if (it != entries_.end()) on_ready_(it->second.owner, status);
    }
    return;
  }
  epoll_event ready[32];
  int n;
  do {
    n = epoll_wait(epoll_fd_, ready, 32, 0);
  } while (n < 0 && errno == EINTR);
  // More than 32 ready: the set stays readable, and libuv calls again.
  for (int i = 0; i < n; i++) {
    auto it = entries_.find(ready[i].data.u64);
    if (it != entries_.end()) on_ready_(it->second.owner, 0);
  }
}

}  // namespace lc
