#include "task_plan.h"

#include <errno.h>
#include <limits.h>
#include <linux/sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "errors.h"
#include "policy.h"

namespace lc {
namespace {

constexpr const char* kFieldNames[kTaskPlanFieldCount] = {
    "kind",     "arg",   "fault",  "fd",       "start",     "end",        "umask",     "fdSource",
    "fdTarget", "semid", "signal", "flagsLow", "flagsHigh", "exitSignal", "stackSize",
};

// The plan's numbers, copied out of the Float64Array as it crossed.
struct PlanNumbers {
  double value[kTaskPlanFieldCount];
};

bool CopyNumbers(Napi::Env env, Napi::Value fields, PlanNumbers* out) {
  if (!fields.IsTypedArray() || fields.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      fields.As<Napi::TypedArray>().ElementLength() != kTaskPlanFieldCount) {
    ThrowCodedTypeError(
        env, "ERR_INVALID_ARG_TYPE",
        "the task plan must be a Float64Array of " + std::to_string(kTaskPlanFieldCount) + " numbers");
    return false;
  }
  memcpy(out->value, fields.As<Napi::Float64Array>().Data(), sizeof out->value);
  return true;
}

// The field as an integer within [min, max]; a coded RangeError otherwise.
bool Field(Napi::Env env, const PlanNumbers& plan, TaskPlanField field, int64_t min, int64_t max,
           int64_t* out) {
  const double number = plan.value[field];
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) ||
      number != static_cast<double>(static_cast<int64_t>(number))) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE",
                         std::string("plan.") + kFieldNames[field] + " is out of range");
    return false;
  }
  *out = static_cast<int64_t>(number);
  return true;
}

// The element type of a typed array, as sumArray reads it.
// An ordinary ArrayBuffer can be detached, transferred or shrunk while the
// task runs, and its memory freed under a child that shares Node's: such a
// child reads a copy in memory the task owns (freed after the join or the
// reap). A SharedArrayBuffer's memory outlives anything JS can do to it
// while the view is held, so it is read in place, as is any buffer by a
// child with its own copy of memory.
bool PlaceElements(Napi::Env env, napi_value buffer, const void* data, size_t element_size, uint64_t flags,
                   TaskResources* resources) {
  TaskBlock* block = resources->block;
  block->data = static_cast<const unsigned char*>(data);
  bool is_array_buffer = false;
  if (napi_is_arraybuffer(env, buffer, &is_array_buffer) != napi_ok) return false;
  const size_t bytes = (block->end - block->start) * element_size;
  if (!(flags & CLONE_VM) || !is_array_buffer || bytes == 0) return true;
  const size_t page = PageSize();
  const size_t size = (bytes + page - 1) / page * page;
  void* copy = SharedAllocate(size);
  if (copy == nullptr) {
    ThrowCloneError(env, -errno, "mmap", nullptr, 0);
    return false;
  }
  memcpy(copy, block->data + block->start * element_size, bytes);
  resources->elements_copy = copy;
  resources->elements_copy_size = size;
  block->data = static_cast<const unsigned char*>(copy);
  block->end -= block->start;
  block->start = 0;
  return true;
}

bool ReadElements(Napi::Env env, Napi::Value value, uint64_t flags, TaskResources* resources) {
  TaskBlock* block = resources->block;
  if (!value.IsTypedArray()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.data must be a typed array");
    return false;
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  switch (array.TypedArrayType()) {
    case napi_int8_array: block->element_type = ElementType::kInt8; break;
    case napi_uint8_array: block->element_type = ElementType::kUint8; break;
    case napi_uint8_clamped_array: block->element_type = ElementType::kUint8Clamped; break;
    case napi_int16_array: block->element_type = ElementType::kInt16; break;
    case napi_uint16_array: block->element_type = ElementType::kUint16; break;
    case napi_int32_array: block->element_type = ElementType::kInt32; break;
    case napi_uint32_array: block->element_type = ElementType::kUint32; break;
    case napi_float32_array: block->element_type = ElementType::kFloat32; break;
    case napi_float64_array: block->element_type = ElementType::kFloat64; break;
    case napi_bigint64_array: block->element_type = ElementType::kBigInt64; break;
    case napi_biguint64_array: block->element_type = ElementType::kBigUint64; break;
    default:
      ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.data has an unsupported element type");
      return false;
  }
  // Asking for the data moves a small on-heap array's elements off the V8
  // heap, where they stay put while the child reads them.
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, array, &type, &length, &data, &buffer, &offset) != napi_ok) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_VALUE", "plan.data could not be read");
    return false;
  }
  if (block->start > block->end || block->end > length) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "plan.start and plan.end must lie within plan.data");
    return false;
  }
  return PlaceElements(env, buffer, data, array.ElementSize(), flags, resources);
}

// The marks the sharing probe leaves: a word in a Buffer of Node's (the
// child writes it at the same address), a umask, an fd pair, a semaphore
// and a signal.
bool ReadSharingProbe(Napi::Env env, const PlanNumbers& plan, Napi::Value word, SharingProbe* probe) {
  if (!word.IsTypedArray() || word.As<Napi::TypedArray>().ByteLength() < sizeof(uint64_t)) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.word must be a typed array of 8 bytes or more");
    return false;
  }
  Napi::TypedArray array = word.As<Napi::TypedArray>();
  probe->word =
      reinterpret_cast<uint64_t*>(static_cast<char*>(array.ArrayBuffer().Data()) + array.ByteOffset());
  if (reinterpret_cast<uintptr_t>(probe->word) % alignof(uint64_t) != 0) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_VALUE", "plan.word must be 8-byte aligned");
    return false;
  }
  int64_t umask = 0, source = 0, target = 0, semid = 0, signal = 0;
  if (!Field(env, plan, kPlanUmask, 0, 0777, &umask) ||
      !Field(env, plan, kPlanFdSource, 0, INT32_MAX, &source) ||
      !Field(env, plan, kPlanFdTarget, 0, INT32_MAX, &target) ||
      !Field(env, plan, kPlanSemid, 0, INT32_MAX, &semid) || !Field(env, plan, kPlanSignal, 1, 64, &signal)) {
    return false;
  }
  probe->umask = static_cast<int32_t>(umask);
  probe->fd_source = static_cast<int32_t>(source);
  probe->fd_target = static_cast<int32_t>(target);
  probe->semid = static_cast<int32_t>(semid);
  probe->signal = static_cast<int32_t>(signal);
  return true;
}

// A MAP_SHARED block big enough for the header and `payload` bytes.
TaskBlock* MapTaskBlock(size_t payload, size_t* size) {
  const size_t page = PageSize();
  *size = (sizeof(TaskBlock) + payload + page - 1) / page * page;
  return static_cast<TaskBlock*>(SharedAllocate(*size));
}

bool ReadTaskFields(Napi::Env env, const PlanNumbers& plan, const TaskPlanObjects& objects, uint64_t flags,
                    TaskResources* resources) {
  TaskBlock* block = resources->block;
  int64_t kind = 0, fault = 0, fd = 0, start = 0, end = 0;
  if (!Field(env, plan, kPlanKind, 1, 8, &kind)) return false;
  block->kind = static_cast<TaskKind>(kind);
  if (!Field(env, plan, kPlanArg, INT32_MIN, INT32_MAX, &block->arg)) return false;
  if (!Field(env, plan, kPlanFault, 0, 3, &fault)) return false;
  block->fault = static_cast<FaultKind>(fault);
  if (!Field(env, plan, kPlanFd, 0, INT32_MAX, &fd)) return false;
  block->fd = static_cast<int32_t>(fd);
  if (block->kind == TaskKind::kProbeSharing)
    return ReadSharingProbe(env, plan, objects.word, &block->sharing);
  if (block->kind != TaskKind::kSumArray) return true;
  const int64_t kMaxIndex = (1LL << 53);
  if (!Field(env, plan, kPlanStart, 0, kMaxIndex, &start) || !Field(env, plan, kPlanEnd, 0, kMaxIndex, &end))
    return false;
  block->start = static_cast<uint64_t>(start);
  block->end = static_cast<uint64_t>(end);
  return ReadElements(env, objects.data, flags, resources);
}

// Whether a write to `fd` ends without a reader: a regular file or a block
// device (or a bad descriptor, which the write reports). The raw syscall, not
// glibc's fstat, whose versioned symbol (2.33) is above the prebuild's floor.
bool WritesWithoutWaiting(int fd) {
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0) return true;
  return S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
}

// A task child's flags, refused as spawn's are where memory safety needs
// it: a fault in a child sharing Node's handlers would run them (or end
// Node), a thread is joined through the TID word the kernel clears, and any
// other child through its pidfd.
bool CheckTaskFlags(Napi::Env env, const TaskRequest& request, const TaskBlock& block) {
  static_assert(policy::kFaultTaskRefusedFlags == CLONE_SIGHAND, "the message below names it");
  static_assert(policy::kThreadTaskAddedFlags == CLONE_CHILD_CLEARTID, "the message below names it");
  static_assert(policy::kProcessTaskAddedFlags == CLONE_PIDFD, "the message below names it");
  static_assert(sizeof policy::kTaskRefusedTogether == sizeof(uint64_t) &&
                    policy::kTaskRefusedTogether[0] == (CLONE_NEWPID | CLONE_SIGHAND),
                "the message below names it");
  const uint64_t flags = request.flags;
  const uint64_t together = policy::kTaskRefusedTogether[0];
  const uint64_t needed =
      (flags & CLONE_THREAD) ? policy::kThreadTaskAddedFlags : policy::kProcessTaskAddedFlags;
  const char* refusal = nullptr;
  if (flags & policy::kTaskRefusedFlags) {
    refusal = "a task child may not have these flags";
  } else if ((flags & together) == together) {
    refusal =
        "a task child cannot have CLONE_NEWPID with CLONE_SIGHAND: when the init of a PID namespace ends, "
        "the kernel sets SIGCHLD to SIG_IGN in its signal handlers, which are Node's";
  } else if (block.kind == TaskKind::kFault && (flags & policy::kFaultTaskRefusedFlags)) {
    refusal = "a fault task cannot run with CLONE_SIGHAND: the fault would run Node's signal handlers";
  } else if (block.kind == TaskKind::kWrite && (flags & CLONE_VFORK) && !WritesWithoutWaiting(block.fd)) {
    refusal =
        "a write task to a pipe, socket or terminal cannot run with CLONE_VFORK: Node would wait in "
        "clone for as long as nobody reads, and nothing could stop it";
  } else if ((flags & needed) != needed) {
    refusal = (flags & CLONE_THREAD) ? "a CLONE_THREAD task needs CLONE_CHILD_CLEARTID to be joined"
                                     : "a task child that is not a thread needs CLONE_PIDFD to be waited for";
  }
  if (refusal == nullptr) return true;
  ThrowCodedRangeError(env, "ERR_INVALID_CLONE_FLAGS", refusal);
  return false;
}

// The flags, exit signal and stack of the request.
bool ReadRequest(Napi::Env env, const PlanNumbers& plan, TaskRequest* request) {
  int64_t low = 0, high = 0, exit_signal = 0, stack_size = 0;
  if (!Field(env, plan, kPlanFlagsLow, 0, UINT32_MAX, &low) ||
      !Field(env, plan, kPlanFlagsHigh, 0, UINT32_MAX, &high) ||
      !Field(env, plan, kPlanExitSignal, 0, 64, &exit_signal) ||
      !Field(env, plan, kPlanStackSize, static_cast<int64_t>(PageSize()), 1LL << 30, &stack_size)) {
    return false;
  }
  if (stack_size % static_cast<int64_t>(PageSize()) != 0) {
    ThrowCodedRangeError(env, "ERR_OUT_OF_RANGE", "plan.stackSize must be page-aligned");
    return false;
  }
  request->flags = static_cast<uint64_t>(high) << 32 | static_cast<uint64_t>(low);
  request->exit_signal = static_cast<int>(exit_signal);
  request->stack_size = static_cast<size_t>(stack_size);
  return true;
}

}  // namespace

Napi::Array TaskPlanFieldNames(Napi::Env env) {
  Napi::Array names = Napi::Array::New(env, kTaskPlanFieldCount);
  for (uint32_t i = 0; i < kTaskPlanFieldCount; i++) names.Set(i, Napi::String::New(env, kFieldNames[i]));
  return names;
}

bool ReadTaskPlan(Napi::Env env, Napi::Value fields, const TaskPlanObjects& objects, TaskRequest* request,
                  TaskResources* resources) {
  PlanNumbers plan;
  if (!CopyNumbers(env, fields, &plan) || !ReadRequest(env, plan, request)) return false;
  Napi::Uint8Array bytes;
  if (objects.payload.IsTypedArray() &&
      objects.payload.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    bytes = objects.payload.As<Napi::Uint8Array>();
  } else if (!objects.payload.IsUndefined()) {
    ThrowCodedTypeError(env, "ERR_INVALID_ARG_TYPE", "plan.payload must be a Uint8Array");
    return false;
  }
  const size_t payload_size = bytes.IsEmpty() ? 0 : bytes.ByteLength();
  TaskBlock* block = MapTaskBlock(payload_size, &resources->block_size);
  if (block == nullptr) {
    ThrowCloneError(env, -errno, "mmap", nullptr, 0);
    return false;
  }
  resources->block = block;
  if (!ReadTaskFields(env, plan, objects, request->flags, resources) ||
      !CheckTaskFlags(env, *request, *block)) {
    resources->Free();
    return false;
  }
  if (payload_size != 0) memcpy(block->payload(), bytes.Data(), payload_size);
  block->payload_size = payload_size;
  block->shares_handlers = (request->flags & CLONE_SIGHAND) != 0;
  block->is_thread = (request->flags & CLONE_THREAD) != 0;
  block->dies_with_parent = (request->flags & (CLONE_THREAD | CLONE_PARENT)) == 0;
  // Only a child that dies with its parent compares: a thread asks for no pid.
  if (block->dies_with_parent) block->expected_ppid = getpid();
  return true;
}

}  // namespace lc
