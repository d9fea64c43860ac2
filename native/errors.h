// The errors the addon throws: errno -> the JS CloneError, built by
// clone-error.ts's factory (binding.ts hands it over), and the coded
// TypeErrors and RangeErrors of a plan refused at the boundary.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace lc {

// A CloneError for -errno `err` from `syscall`; `path` and `flags` (0: none)
// let clone-error.ts add the path and a hint. Never throws: if the factory is
// missing or fails, a plain Error with the same code is returned.
Napi::Value MakeCloneError(Napi::Env env, int err, const char* syscall, const char* path, uint64_t flags);
void ThrowCloneError(Napi::Env env, int err, const char* syscall, const char* path, uint64_t flags);

// A TypeError or RangeError whose `code` is `code`, as JS throws for the
// same mistake: ERR_INVALID_ARG_TYPE is a TypeError, ERR_OUT_OF_RANGE and
// ERR_INVALID_CLONE_FLAGS are RangeErrors.
void ThrowCodedTypeError(Napi::Env env, const char* code, const std::string& message);
void ThrowCodedRangeError(Napi::Env env, const char* code, const std::string& message);

// Receives clone-error.ts's makeSystemError: (errno, syscall, path?, flags?, description) => CloneError.
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info);

}  // namespace lc
