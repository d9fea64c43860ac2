// errno -> the JS CloneError, built by the factory errors.ts hands us.
#pragma once

#include <napi.h>

#include <cstdint>

namespace lc {

// A CloneError for -errno `err` from `syscall`; `path` and `flags` (0: none)
// let errors.ts add the path and a hint. Never throws: if the factory is
// missing or fails, a plain Error with the same code is returned.
Napi::Value MakeCloneError(Napi::Env env, int err, const char* syscall, const char* path, uint64_t flags);
void ThrowCloneError(Napi::Env env, int err, const char* syscall, const char* path, uint64_t flags);

// Receives errors.ts's factory: (errno, syscall, path?, flags?, description) => CloneError.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info);

}  // namespace lc
