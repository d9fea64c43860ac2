#include "errors.h"

#include <ctype.h>
#include <string.h>

#include <string>

#include "addon.h"

namespace lc {
namespace {

// strerror's text in Node's style: "exec format error".
std::string Description(int err) {
  std::string text = strerror(-err);
  if (!text.empty()) text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

Napi::Value MakeCloneError(Napi::Env env, int err, const char* syscall, const char* path, uint64_t flags) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data != nullptr && !data->error_factory.IsEmpty()) {
    Napi::Value made = data->error_factory.Call({
        Napi::Number::New(env, err),
        Napi::String::New(env, syscall),
        path != nullptr ? Napi::String::New(env, path) : env.Undefined(),
        flags != 0 ? Napi::BigInt::New(env, flags) : env.Undefined(),
        Napi::String::New(env, Description(err)),
    });
    if (!env.IsExceptionPending() && made.IsObject()) return made;
    if (env.IsExceptionPending()) env.GetAndClearPendingException();
  }
  // Only reached if the loader never installed the factory.
  Napi::Error error = Napi::Error::New(env, Description(err) + ", " + syscall);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.Set("code", Napi::String::New(env, "ERR_LINUX_CLONE_NATIVE"));
  return error.Value();
}

void ThrowCloneError(Napi::Env env, int err, const char* syscall, const char* path, uint64_t flags) {
  Napi::Value error = MakeCloneError(env, err, syscall, path, flags);
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

void ThrowCodedTypeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
}

void ThrowCodedRangeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::RangeError error = Napi::RangeError::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    Napi::TypeError::New(env, "the error factory must be a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  env.GetInstanceData<AddonData>()->error_factory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

}  // namespace lc
