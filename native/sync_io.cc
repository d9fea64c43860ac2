#include "sync_io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monotonic_clock.h"

namespace lc {
namespace {

// One read's worth, as libuv reads: a cap can be overshot by up to this
// much, and what was read is kept, as child_process keeps it.
constexpr size_t kReadChunk = 64 * 1024;

class SyncRunner {
 public:
  SyncRunner(const CloneOutcome& child, std::vector<SyncStream>* streams, const SyncLimits& limits,
             SyncOutcome* out)
      : child_(child), streams_(*streams), limits_(limits), out_(out), scratch_(kReadChunk) {}

  void Run();

 private:
  void Start();
  bool Streaming() const;
  int PollTimeout() const;
  void Serve(SyncStream* stream, short revents);
  void ReadFrom(SyncStream* stream);
  void WriteTo(SyncStream* stream);
  void EndReading(SyncStream* stream);
  void EndWriting(SyncStream* stream);
  void Reap();
  void Kill(int err);
  void Abort(int err);
  void CloseStreams();
  void SetError(int err) {
    if (out_->error == 0) out_->error = err;
  }

  const CloneOutcome& child_;
  std::vector<SyncStream>& streams_;
  const SyncLimits& limits_;
  SyncOutcome* out_;
  std::vector<char> scratch_;
  std::vector<pollfd> fds_;
  std::vector<SyncStream*> owners_;  // per pollfd; nullptr for the pidfd
  uint64_t deadline_ns_ = 0;         // 0: no timeout pending
  double collected_ = 0;             // bytes read from every stream
  int stream_error_ = 0;
  bool exited_ = false;
  bool killed_ = false;
};

void SyncRunner::Start() {
  if (limits_.timeout_ms > 0)
    deadline_ns_ = MonotonicNs() + static_cast<uint64_t>(limits_.timeout_ms) * 1000000;
  for (SyncStream& stream : streams_) {
    if (stream.fd.Get() < 0) continue;
    // Our own end: the child's end is another file description, and stays
    // blocking for the program.
    int flags = fcntl(stream.fd.Get(), F_GETFL);
    if (flags < 0 || fcntl(stream.fd.Get(), F_SETFL, flags | O_NONBLOCK) < 0) stream_error_ = -errno;
    stream.reading = stream.collect;
    stream.writing = stream.feeds;
    if (stream.writing && stream.input.empty()) EndWriting(&stream);
    if (!stream.reading && !stream.writing) stream.fd.Reset();
  }
}

bool SyncRunner::Streaming() const {
  for (const SyncStream& stream : streams_) {
    if (stream.reading || stream.writing) return true;
  }
  return false;
}

int SyncRunner::PollTimeout() const {
  if (deadline_ns_ == 0) return -1;
  const uint64_t now = MonotonicNs();
  if (now >= deadline_ns_) return 0;
  return static_cast<int>((deadline_ns_ - now + 999999) / 1000000);
}

void SyncRunner::Run() {
  Start();
  while (!exited_ || Streaming()) {
    // Checked before each wait, not only when poll times out: a child that
    // writes without pause would keep poll from ever timing out.
    if (deadline_ns_ != 0 && MonotonicNs() >= deadline_ns_) {
      deadline_ns_ = 0;
      out_->timed_out = true;
      Kill(-ETIMEDOUT);
      continue;
    }
    fds_.clear();
    owners_.clear();
    if (!exited_) {
      fds_.push_back({child_.pidfd, POLLIN, 0});
      owners_.push_back(nullptr);
    }
    for (SyncStream& stream : streams_) {
      const short events = (stream.reading ? POLLIN : 0) | (stream.writing ? POLLOUT : 0);
      if (events == 0) continue;
      fds_.push_back({stream.fd.Get(), events, 0});
      owners_.push_back(&stream);
    }
    if (poll(fds_.data(), fds_.size(), PollTimeout()) < 0) {
      if (errno == EINTR) continue;
      Abort(-errno);
      break;
    }
    for (size_t i = 0; i < fds_.size(); i++) {
      if (fds_[i].revents == 0) continue;
      if (owners_[i] == nullptr) {
        Reap();
      } else {
        Serve(owners_[i], fds_[i].revents);
      }
    }
  }
  if (out_->error == 0) out_->error = stream_error_;
}

void SyncRunner::Serve(SyncStream* stream, short revents) {
  // A kill earlier in this round may have closed it.
  if (stream->reading && (revents & (POLLIN | POLLHUP | POLLERR))) ReadFrom(stream);
  if (stream->writing && (revents & (POLLOUT | POLLHUP | POLLERR))) WriteTo(stream);
}

void SyncRunner::ReadFrom(SyncStream* stream) {
  const ssize_t n = read(stream->fd.Get(), scratch_.data(), scratch_.size());
  if (n > 0) {
    stream->output.insert(stream->output.end(), scratch_.data(), scratch_.data() + n);
    collected_ += static_cast<double>(n);
    const double counted = limits_.max_buffer_each ? static_cast<double>(stream->output.size()) : collected_;
    if (counted > limits_.max_buffer) {
      out_->overflowed = true;
      Kill(-ENOBUFS);
    }
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0 && stream_error_ == 0) stream_error_ = -errno;
  EndReading(stream);
}

void SyncRunner::WriteTo(SyncStream* stream) {
  const char* data = stream->input.data() + stream->written;
  const size_t left = stream->input.size() - stream->written;
  // MSG_NOSIGNAL: a child that never read its input must cost an EPIPE, not
  // a SIGPIPE. On a pipe (not a socket) Node's own SIGPIPE disposition,
  // ignored since startup, does the same.
  ssize_t n = send(stream->fd.Get(), data, left, MSG_NOSIGNAL);
  if (n < 0 && errno == ENOTSOCK) n = write(stream->fd.Get(), data, left);
  if (n >= 0) {
    stream->written += static_cast<size_t>(n);
    if (stream->written == stream->input.size()) EndWriting(stream);
    return;
  }
  if (errno == EAGAIN || errno == EINTR) return;
  if (stream_error_ == 0) stream_error_ = -errno;
  EndWriting(stream);
}

void SyncRunner::EndReading(SyncStream* stream) {
  stream->reading = false;
  if (!stream->writing) stream->fd.Reset();
}

void SyncRunner::EndWriting(SyncStream* stream) {
  stream->writing = false;
  // The child reads EOF once no writer is left: a pipe's end is closed, a
  // socket's is shut down for writing if we still read from it.
  if (stream->reading) {
    shutdown(stream->fd.Get(), SHUT_WR);
  } else {
    stream->fd.Reset();
  }
}

// The pidfd is readable: the child has exited, so this returns at once.
void SyncRunner::Reap() {
  siginfo_t info = {};
  rusage usage = {};
  long r;
  do {
    // __WALL: a child whose exit signal is not SIGCHLD is only seen with it.
    r = syscall(SYS_waitid, P_PIDFD, child_.pidfd, &info, WEXITED | __WALL, &usage);
  } while (r < 0 && errno == EINTR);
  exited_ = true;
  ExitRecord& exit = out_->exit;
  exit.elapsed_ns = MonotonicNs() - child_.started_ns;
  if (r < 0) {
    SetError(-errno);
    return;
  }
  RecordExit(info, usage, &exit);
}

// As child_process: the first error is kept, the signal is sent once, and
// every stream is closed at once, so a grandchild that holds one open
// cannot keep us waiting; then only the exit is waited for.
void SyncRunner::Kill(int err) {
  if (err != 0) SetError(err);
  if (killed_) return;
  killed_ = true;
  if (!exited_ && syscall(SYS_pidfd_send_signal, child_.pidfd, limits_.kill_signal, nullptr, 0) != 0 &&
      errno != ESRCH) {
    SetError(-errno);
    syscall(SYS_pidfd_send_signal, child_.pidfd, SIGKILL, nullptr, 0);
  }
  CloseStreams();
}

// Nothing can be waited for (poll failed): the child is ended and reaped
// rather than left running, and nothing spins.
void SyncRunner::Abort(int err) {
  SetError(err);
  CloseStreams();
  if (exited_) return;
  syscall(SYS_pidfd_send_signal, child_.pidfd, SIGKILL, nullptr, 0);
  Reap();
}

void SyncRunner::CloseStreams() {
  for (SyncStream& stream : streams_) {
    stream.reading = false;
    stream.writing = false;
    stream.fd.Reset();
  }
}

}  // namespace

void RunSyncIo(const CloneOutcome& child, std::vector<SyncStream>* streams, const SyncLimits& limits,
               SyncOutcome* out) {
  SyncRunner(child, streams, limits, out).Run();
}

}  // namespace lc
