#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cmath>

#include "errors.h"
#include "policy.h"
#include "seccomp.h"

namespace lc {
namespace {

// A property the plan object holds itself, or undefined: nothing set on
// Object.prototype is ever read as part of a plan. On a throwing Proxy trap
// the exception is left pending for the caller's check.
Napi::Value OwnProperty(Napi::Object object, const char* key) {
  if (!object.HasOwnProperty(key)) return object.Env().Undefined();
  return object.Get(key);
}

bool ReadString(Napi::Env env, Napi::Object object, const char* key, std::string* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  if (!value.IsString()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", std::string("plan.") + key + " must be a string");
    return false;
  }
  *out = value.As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                        std::string("plan.") + key + " must not contain NUL bytes");
    return false;
  }
  return true;
}

bool ReadStringArray(Napi::Env env, Napi::Object object, const char* key, std::vector<std::string>* out,
                     std::vector<char*>* pointers) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  if (!value.IsArray()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                        std::string("plan.") + key + " must be an array of strings");
    return false;
  }
  Napi::Array array = value.As<Napi::Array>();
  out->reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!item.IsString()) {
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                          std::string("plan.") + key + " must be an array of strings");
      return false;
    }
    out->push_back(item.As<Napi::String>().Utf8Value());
    if (out->back().find('\0') != std::string::npos) {
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                          std::string("plan.") + key + " must not contain NUL bytes");
      return false;
    }
  }
  // Pointers are taken only once the vector has stopped growing.
  pointers->reserve(out->size() + 1);
  for (std::string& s : *out) pointers->push_back(s.data());
  pointers->push_back(nullptr);
  return true;
}

// An integer property within [min, max]; a coded TypeError otherwise.
bool ReadInt64(Napi::Env env, Napi::Object object, const char* key, int64_t min, int64_t max, int64_t* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  if (!value.IsNumber()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", std::string("plan.") + key + " must be a number");
    return false;
  }
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) ||
      number != static_cast<double>(static_cast<int64_t>(number))) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", std::string("plan.") + key + " is out of range");
    return false;
  }
  *out = static_cast<int64_t>(number);
  return true;
}

bool ReadInt(Napi::Env env, Napi::Object object, const char* key, int min, int max, int* out) {
  int64_t value = 0;
  if (!ReadInt64(env, object, key, min, max, &value)) return false;
  *out = static_cast<int>(value);
  return true;
}

// The one /dev/null every ignored slot of every spawn is a copy of: opened
// close-on-exec by the first spawn that needs it, in whichever thread, and
// never closed, so no spawn (in any worker, while any env ends) can see it
// closed or its number reused under it. Returns the fd or -errno.
int ProcessDevNull() {
  static std::atomic<int> shared{-1};
  int fd = shared.load(std::memory_order_acquire);
  if (fd >= 0) return fd;
  const int opened = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (opened < 0) return -errno;
  // Two threads may race to open it: one keeps its fd, the other closes its own.
  if (shared.compare_exchange_strong(fd, opened, std::memory_order_acq_rel)) return opened;
  close(opened);
  return fd;
}

// A 'pipe' slot: Node's end and the child's. Slot 0 is the child's input and
// slots 1 and 2 its output, each a pipe; above stdio a slot carries data
// both ways, as child_process's do: a socket pair. A 'socket' slot is a
// socket pair at any slot, as Node's own 'pipe' slots all are.
bool OpenPipeSlot(Napi::Env env, int target, bool socket, SpawnPlan* plan) {
  const bool both_ways = socket || target >= 3;
  int ends[2];
  const int made =
      both_ways ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) : pipe2(ends, O_CLOEXEC);
  if (made != 0) {
    ThrowCloneError(env, -errno, both_ways ? "socketpair" : "pipe2", nullptr, 0);
    return false;
  }
  // A pipe's read end is ends[0]; either end of a socket pair will do.
  const bool child_end_first = target == 0;
  UniqueFd child_end(child_end_first ? ends[0] : ends[1]);
  UniqueFd parent_end(child_end_first ? ends[1] : ends[0]);
  plan->fds.push_back({target, child_end.Get()});
  plan->child_ends.push_back(std::move(child_end));
  plan->parent_ends.push_back(std::move(parent_end));
  return true;
}

// One stdio slot: 'pipe', 'socket', 'ignore', 'close', or a parent fd to pass through.
bool ReadStdioSlot(Napi::Env env, Napi::Value slot, int target, SpawnPlan* plan) {
  if (slot.IsNumber()) {
    double fd = slot.As<Napi::Number>().DoubleValue();
    if (!(fd >= 0 && fd <= INT32_MAX) || fd != static_cast<int>(fd)) {
      ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "plan.stdio holds an invalid file descriptor");
      return false;
    }
    plan->fds.push_back({target, static_cast<int>(fd)});
    plan->parent_ends.emplace_back();
    return true;
  }
  std::string kind = slot.IsString() ? slot.As<Napi::String>().Utf8Value() : "";
  if (kind == "close") {
    plan->fds.push_back({target, -1});
    plan->parent_ends.emplace_back();
    return true;
  }
  if (kind == "ignore") {
    const int dev_null = ProcessDevNull();
    if (dev_null < 0) {
      ThrowCloneError(env, dev_null, "open", "/dev/null", 0);
      return false;
    }
    plan->fds.push_back({target, dev_null});
    plan->parent_ends.emplace_back();
    return true;
  }
  if (kind == "pipe" || kind == "socket") return OpenPipeSlot(env, target, kind == "socket", plan);
  ThrowCodedTypeError(env, "ERR_INVALID_ARG_VALUE",
                      "plan.stdio slots must be 'pipe', 'socket', 'ignore', 'close' or an fd");
  return false;
}

bool ReadStdio(Napi::Env env, Napi::Object object, SpawnPlan* plan) {
  Napi::Value value = OwnProperty(object, "stdio");
  if (env.IsExceptionPending()) return false;
  if (!value.IsArray()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.stdio must be an array");
    return false;
  }
  Napi::Array slots = value.As<Napi::Array>();
  if (slots.Length() > static_cast<uint32_t>(policy::kMaxStdioSlots)) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE",
                         "plan.stdio has more than " + std::to_string(policy::kMaxStdioSlots) + " slots");
    return false;
  }
  for (uint32_t i = 0; i < slots.Length(); i++) {
    Napi::Value slot = slots.Get(i);
    if (env.IsExceptionPending() || !ReadStdioSlot(env, slot, static_cast<int>(i), plan)) return false;
  }
  return true;
}

bool ReadFlags(Napi::Env env, Napi::Object object, uint64_t* out) {
  Napi::Value value = OwnProperty(object, "flags");
  if (env.IsExceptionPending()) return false;
  if (!value.IsBigInt()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.flags must be a bigint");
    return false;
  }
  bool lossless = false;
  *out = value.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "plan.flags does not fit in 64 bits");
    return false;
  }
  return true;
}

// An optional string property: false on an exception; *present says whether it was there.
bool ReadOptionalString(Napi::Env env, Napi::Object object, const char* key, std::string* out,
                        bool* present) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  *present = !value.IsUndefined();
  return !*present || ReadString(env, object, key, out);
}

bool ReadOptionalBool(Napi::Env env, Napi::Object object, const char* key, bool* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  *out = value.ToBoolean().Value();
  return true;
}

// A boolean property, `fallback` when it is absent.
bool ReadBoolOr(Napi::Env env, Napi::Object object, const char* key, bool fallback, bool* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  if (value.IsUndefined()) {
    *out = fallback;
    return true;
  }
  if (!value.IsBoolean()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", std::string("plan.") + key + " must be a boolean");
    return false;
  }
  *out = value.As<Napi::Boolean>().Value();
  return true;
}

// A uid or gid to set in the child, or -1 when the property is absent. The
// largest is 2^32-2: (uid_t)-1 means "unchanged" to the kernel.
bool ReadOptionalId(Napi::Env env, Napi::Object object, const char* key, int64_t* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  if (value.IsUndefined()) {
    *out = -1;
    return true;
  }
  return ReadInt64(env, object, key, 0, 0xfffffffe, out);
}

// A 64-bit unsigned bigint property: an rlimit value.
bool ReadUint64(Napi::Env env, Napi::Object object, const char* key, uint64_t* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  bool lossless = false;
  if (!value.IsBigInt() || (*out = value.As<Napi::BigInt>().Uint64Value(&lossless), !lossless)) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                        std::string("plan.") + key + " must be a 64-bit unsigned bigint");
    return false;
  }
  return true;
}

bool ReadArray(Napi::Env env, Napi::Object object, const char* key, Napi::Array* out) {
  Napi::Value value = OwnProperty(object, key);
  if (env.IsExceptionPending()) return false;
  if (value.IsUndefined()) {
    *out = Napi::Array::New(env, 0);
    return true;
  }
  if (!value.IsArray()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", std::string("plan.") + key + " must be an array");
    return false;
  }
  *out = value.As<Napi::Array>();
  return true;
}

bool ReadMounts(Napi::Env env, Napi::Object object, SpawnPlan* plan) {
  Napi::Array list;
  if (!ReadArray(env, object, "mounts", &list)) return false;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!item.IsObject()) {
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.mounts must hold objects");
      return false;
    }
    Napi::Object entry = item.As<Napi::Object>();
    SpawnPlan::OwnedMount owned;
    MountOp op;
    int kind = 0;
    bool present = false;
    if (!ReadInt(env, entry, "kind", 1, 3, &kind) || !ReadString(env, entry, "target", &owned.target) ||
        !ReadOptionalString(env, entry, "source", &owned.source, &present) ||
        !ReadOptionalString(env, entry, "data", &owned.data, &owned.has_data) ||
        !ReadOptionalBool(env, entry, "readonly", &op.readonly)) {
      return false;
    }
    op.kind = static_cast<MountKind>(kind);
    if (op.kind == MountKind::kBind && !present) {
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_VALUE", "a bind mount needs a source");
      return false;
    }
    plan->owned_mounts.push_back(std::move(owned));
    plan->mounts.push_back(op);
  }
  // Pointers are taken once the vectors have stopped growing.
  for (size_t i = 0; i < plan->mounts.size(); i++) {
    SpawnPlan::OwnedMount& owned = plan->owned_mounts[i];
    plan->mounts[i].source = owned.source.c_str();
    plan->mounts[i].target = owned.target.c_str();
    plan->mounts[i].data = owned.has_data ? owned.data.c_str() : nullptr;
  }
  return true;
}

bool ReadRlimits(Napi::Env env, Napi::Object object, SpawnPlan* plan) {
  Napi::Array list;
  if (!ReadArray(env, object, "rlimits", &list)) return false;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!item.IsObject()) {
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.rlimits must hold objects");
      return false;
    }
    Napi::Object entry = item.As<Napi::Object>();
    RlimitOp op;
    if (!ReadInt(env, entry, "resource", 0, 15, &op.resource) || !ReadUint64(env, entry, "soft", &op.soft) ||
        !ReadUint64(env, entry, "hard", &op.hard)) {
      return false;
    }
    plan->rlimits.push_back(op);
  }
  return true;
}

bool ReadSeccomp(Napi::Env env, Napi::Object object, SpawnPlan* plan) {
  Napi::Value value = OwnProperty(object, "seccompDeny");
  if (env.IsExceptionPending()) return false;
  if (value.IsUndefined()) return true;
  if (!value.IsArray()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.seccompDeny must be an array of syscall numbers");
    return false;
  }
  Napi::Array list = value.As<Napi::Array>();
  std::vector<int> numbers;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value item = list.Get(i);
    if (env.IsExceptionPending()) return false;
    double n = item.IsNumber() ? item.As<Napi::Number>().DoubleValue() : -1;
    if (!(n >= 0 && n < 1024) || n != static_cast<int>(n)) {
      ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "plan.seccompDeny holds an invalid syscall number");
      return false;
    }
    numbers.push_back(static_cast<int>(n));
  }
  if (!BuildDenyFilter(numbers, &plan->seccomp)) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "plan.seccompDeny is too long for one seccomp filter");
    return false;
  }
  return true;
}

// plan.container: the setup of the namespaces the child is cloned into or
// enters. Absent for a plain process, which then pays nothing for it.
bool ReadContainerPlan(Napi::Env env, Napi::Object object, SpawnPlan* plan) {
  Napi::Value value = OwnProperty(object, "container");
  if (env.IsExceptionPending()) return false;
  if (value.IsUndefined()) return true;
  if (!value.IsObject()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.container must be an object");
    return false;
  }
  Napi::Object c = value.As<Napi::Object>();
  ContainerPlan& container = plan->container;
  bool has_setgroups = false, has_uid = false, has_gid = false, has_time = false, has_host = false,
       has_domain = false, has_rootfs = false;
  if (!ReadInt(env, c, "enterPidfd", -1, INT32_MAX, &container.enter_pidfd) ||
      !ReadInt(env, c, "enterTypes", 0, INT32_MAX, &container.enter_types) ||
      !ReadOptionalString(env, c, "setgroups", &plan->setgroups, &has_setgroups) ||
      !ReadOptionalString(env, c, "uidMap", &plan->uid_map, &has_uid) ||
      !ReadOptionalString(env, c, "gidMap", &plan->gid_map, &has_gid) ||
      !ReadOptionalString(env, c, "timeOffsets", &plan->time_offsets, &has_time) ||
      !ReadOptionalString(env, c, "hostname", &plan->hostname, &has_host) ||
      !ReadOptionalString(env, c, "domainname", &plan->domainname, &has_domain) ||
      !ReadOptionalString(env, c, "rootfs", &plan->rootfs, &has_rootfs) ||
      !ReadOptionalBool(env, c, "privateRoot", &container.private_root) ||
      !ReadOptionalBool(env, c, "loopbackUp", &container.loopback_up) ||
      !ReadOptionalBool(env, c, "noNewPrivs", &container.no_new_privs) || !ReadMounts(env, c, plan) ||
      !ReadRlimits(env, c, plan) || !ReadSeccomp(env, c, plan)) {
    return false;
  }
  container.unshare_time = has_time;
  container.parent.setgroups = has_setgroups ? plan->setgroups.c_str() : nullptr;
  container.parent.uid_map = has_uid ? plan->uid_map.c_str() : nullptr;
  container.parent.gid_map = has_gid ? plan->gid_map.c_str() : nullptr;
  container.parent.time_offsets = has_time ? plan->time_offsets.c_str() : nullptr;
  container.hostname = has_host ? plan->hostname.c_str() : nullptr;
  container.domainname = has_domain ? plan->domainname.c_str() : nullptr;
  container.rootfs = has_rootfs ? plan->rootfs.c_str() : nullptr;
  container.mounts = plan->mounts.data();
  container.mount_count = static_cast<int>(plan->mounts.size());
  container.rlimits = plan->rlimits.data();
  container.rlimit_count = static_cast<int>(plan->rlimits.size());
  container.seccomp = plan->seccomp.empty() ? nullptr : plan->seccomp.data();
  container.seccomp_length = static_cast<int>(plan->seccomp.size());
  if (container.rootfs != nullptr) container.private_root = true;
  if (!ReadInt(env, c, "cgroupFd", -1, INT32_MAX, &plan->request.cgroup_fd)) return false;
  plan->request.exec.container = &container;
  return true;
}

// What the addon needs of an exec child's flags, whatever JS let through:
// none that would change Node's own state, the pidfd its handle waits on,
// and no vfork for a child that waits for its parent (Node's thread would
// sleep until the exec, and the child would wait forever).
bool CheckSpawnFlags(Napi::Env env, const SpawnPlan& plan) {
  static_assert(policy::kSpawnAddedFlags == CLONE_PIDFD, "the message below names CLONE_PIDFD");
  const uint64_t flags = plan.request.flags;
  const char* refusal = nullptr;
  if (flags & policy::kSpawnRefusedFlags) {
    refusal =
        "an exec child may not share its thread group, signal handlers, fd table or fs info with "
        "Node, nor set a TLS";
  } else if ((flags & policy::kSpawnAddedFlags) != policy::kSpawnAddedFlags) {
    refusal = "an exec child needs CLONE_PIDFD: its handle waits on the pidfd";
  } else if ((flags & CLONE_VFORK) && plan.request.exec.container != nullptr &&
             plan.container.NeedsParent()) {
    refusal =
        "an exec child that waits for id maps or time offsets cannot have CLONE_VFORK: Node "
        "would sleep until the exec, which never comes";
  } else if ((flags & CLONE_INTO_CGROUP) && plan.request.cgroup_fd < 0) {
    refusal = "CLONE_INTO_CGROUP needs plan.container.cgroupFd";
  }
  if (refusal == nullptr) return true;
  ThrowCodedRangeError(env, "ERR_INVALID_CLONE_FLAGS", refusal);
  return false;
}

// controls.streams[slot] for each slot with our end of a pipe or socketpair:
// { collect: boolean, input?: Uint8Array }. The streams take those ends.
bool ReadSyncStreams(Napi::Env env, Napi::Object controls, SpawnPlan* plan,
                     std::vector<SyncStream>* streams) {
  Napi::Value value = OwnProperty(controls, "streams");
  if (env.IsExceptionPending()) return false;
  if (!value.IsArray()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "controls.streams must be an array");
    return false;
  }
  Napi::Array specs = value.As<Napi::Array>();
  streams->resize(plan->parent_ends.size());
  for (uint32_t i = 0; i < plan->parent_ends.size(); i++) {
    if (plan->parent_ends[i].Get() < 0) continue;
    Napi::Value spec = specs.Get(i);
    if (env.IsExceptionPending()) return false;
    if (!spec.IsObject()) {
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE",
                          "controls.streams needs an object for each piped slot");
      return false;
    }
    SyncStream& stream = (*streams)[i];
    Napi::Value input = OwnProperty(spec.As<Napi::Object>(), "input");
    if (env.IsExceptionPending() ||
        !ReadOptionalBool(env, spec.As<Napi::Object>(), "collect", &stream.collect))
      return false;
    if (!input.IsUndefined()) {
      if (!input.IsTypedArray() || input.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "controls.streams[].input must be a Uint8Array");
        return false;
      }
      // A copy: the loop that writes it runs no JS, but owns what it reads.
      Napi::Uint8Array bytes = input.As<Napi::Uint8Array>();
      const char* data = reinterpret_cast<const char*>(bytes.Data());
      stream.input.assign(data, data + bytes.ByteLength());
      stream.feeds = true;
    }
    stream.fd = std::move(plan->parent_ends[i]);
  }
  return true;
}

// plan.envp: KEY=value strings, or null for the process's own environment.
// That is the C library's environ, which the child's execve reads in place:
// nothing is copied or re-encoded. A thread that calls setenv meanwhile (a
// Worker with SHARE_ENV writing process.env, or native code) races with that
// execve as it would with posix_spawn(..., environ): the child may then see
// the old array or fail its exec with EFAULT; Node itself never reads it.
bool ReadEnvironment(Napi::Env env, Napi::Object object, SpawnPlan* plan) {
  Napi::Value value = OwnProperty(object, "envp");
  if (env.IsExceptionPending()) return false;
  if (value.IsNull()) {
    plan->request.exec.envp = environ;
    return true;
  }
  if (!ReadStringArray(env, object, "envp", &plan->env, &plan->envp)) return false;
  plan->request.exec.envp = plan->envp.data();
  return true;
}

}  // namespace

bool ReadSyncControls(Napi::Env env, Napi::Value value, SpawnPlan* plan, std::vector<SyncStream>* streams,
                      SyncLimits* limits) {
  if (!value.IsObject()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "the sync controls must be an object");
    return false;
  }
  Napi::Object controls = value.As<Napi::Object>();
  // About 285 years: past any machine's uptime, and far from overflowing
  // the nanosecond deadline.
  constexpr int64_t kMaxTimeoutMs = 1LL << 43;
  if (!ReadInt64(env, controls, "timeout", 0, (1LL << 53) - 1, &limits->timeout_ms) ||
      !ReadInt(env, controls, "killSignal", 1, 64, &limits->kill_signal) ||
      !ReadOptionalBool(env, controls, "maxBufferEach", &limits->max_buffer_each)) {
    return false;
  }
  if (limits->timeout_ms > kMaxTimeoutMs) limits->timeout_ms = kMaxTimeoutMs;
  Napi::Value max_buffer = OwnProperty(controls, "maxBuffer");
  if (env.IsExceptionPending()) return false;
  if (!max_buffer.IsNumber() || std::isnan(max_buffer.As<Napi::Number>().DoubleValue())) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "controls.maxBuffer must be a number");
    return false;
  }
  limits->max_buffer = max_buffer.As<Napi::Number>().DoubleValue();
  return ReadSyncStreams(env, controls, plan, streams);
}

bool ReadSpawnPlan(Napi::Env env, Napi::Value value, SpawnPlan* plan) {
  if (!value.IsObject()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "the spawn plan must be an object");
    return false;
  }
  Napi::Object object = value.As<Napi::Object>();
  SpawnRequest& request = plan->request;
  ExecPlan& exec = request.exec;

  if (!ReadString(env, object, "file", &plan->file)) return false;
  if (!ReadStringArray(env, object, "argv", &plan->args, &plan->argv)) return false;
  if (!ReadEnvironment(env, object, plan)) return false;
  Napi::Value cwd = OwnProperty(object, "cwd");
  if (env.IsExceptionPending()) return false;
  if (!cwd.IsUndefined() && !ReadString(env, object, "cwd", &plan->cwd)) return false;
  if (!ReadStdio(env, object, plan)) return false;
  if (!ReadFlags(env, object, &request.flags)) return false;
  if (!ReadInt(env, object, "exitSignal", 0, 64, &request.exit_signal)) return false;
  if (!ReadInt(env, object, "pdeathsig", 0, 64, &exec.pdeathsig)) return false;
  Napi::Value setsid = OwnProperty(object, "setsid");
  if (env.IsExceptionPending()) return false;
  exec.setsid = setsid.ToBoolean().Value();
  if (!ReadBoolOr(env, object, "killAtExit", true, &plan->kill_at_exit)) return false;
  if (!ReadOptionalId(env, object, "uid", &exec.uid) || !ReadOptionalId(env, object, "gid", &exec.gid))
    return false;
  if (!ReadContainerPlan(env, object, plan) || !CheckSpawnFlags(env, *plan)) return false;

  exec.file = plan->file.c_str();
  exec.argv = plan->argv.data();
  exec.cwd = cwd.IsUndefined() ? nullptr : plan->cwd.c_str();
  exec.fds = plan->fds.data();
  exec.fd_count = static_cast<int>(plan->fds.size());
  return true;
}

}  // namespace lc
