#!/usr/bin/env bash
# npm run test:asan: builds the addon with AddressSanitizer and UBSan, runs
# the native-facing tests under them, then rebuilds the normal addon.
# Node itself is not instrumented, so the ASan runtime is preloaded, leak
# detection is off (V8 keeps memory to exit on purpose) and SIGSEGV stays
# V8's. Any report fails the run: UBSan is made fatal.
set -euo pipefail
cd "$(dirname "$0")/.."

restore() { npx node-gyp rebuild >/dev/null 2>&1 || echo "test:asan: could not rebuild the normal addon; run npm run build:native" >&2; }
trap restore EXIT

sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
CFLAGS="$sanitize" CXXFLAGS="$sanitize" LDFLAGS="-fsanitize=address,undefined" npx node-gyp rebuild >/dev/null

export LD_PRELOAD
LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:abort_on_error=1:verify_asan_link_order=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Arguments: test files, and jest options (--json --outputFile=… for CI).
files=() options=()
for arg in "$@"; do case "$arg" in -*) options+=("$arg") ;; *) files+=("$arg") ;; esac; done
[ ${#files[@]} -gt 0 ] || files=(test/spawn.test.ts test/clone.test.ts test/run.test.ts test/container.test.ts test/faults.test.ts test/fuzz.test.ts test/security.test.ts test/explain.test.ts test/kernel.test.ts test/child-code.test.ts)
npx jest --ci --runInBand "${options[@]}" "${files[@]}"
