#!/usr/bin/env bash
# npm run lint: eslint (typescript-eslint, type-checked), prettier's check for
# the TypeScript and JavaScript, clang-format's check for the C and C++, and
# clang-tidy's (.clang-tidy: function size) for native/ where it is installed.
# `npm run lint -- --fix` rewrites instead of checking.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=false
[[ "${1:-}" == "--fix" ]] && fix=true

mapfile -t c_sources < <(git ls-files 'native/*.cc' 'native/*.h' 'benchmarks/c/*.c' 'benchmarks/c/*.h')
prettier_paths=(lib test benchmarks scripts bin examples .github '*.js' '*.mjs' '*.json')

if ! command -v clang-format >/dev/null; then
  echo "lint: clang-format is not installed (apt-get install clang-format)" >&2
  exit 1
fi

if $fix; then
  npx eslint --fix .
  npx prettier --log-level warn --write "${prettier_paths[@]}"
  clang-format -i "${c_sources[@]}"
else
  npx eslint --max-warnings 0 .
  npx prettier --log-level warn --check "${prettier_paths[@]}"
  clang-format --dry-run -Werror "${c_sources[@]}"
fi

# clang-tidy parses the addon as the build compiles it: Node's headers (beside
# the running node, or node-gyp's download) and binding.gyp's defines.
if command -v clang-tidy >/dev/null; then
  node_headers=""
  for dir in "$(node -p "require('path').resolve(process.execPath, '../../include/node')")" \
    "${HOME:-/nonexistent}/.cache/node-gyp/$(node -p 'process.versions.node')/include/node"; do
    [[ -f "$dir/node_api.h" ]] && node_headers="$dir" && break
  done
  if [[ -z "$node_headers" ]]; then
    echo "lint: Node's headers were not found; run npm run build:native, then lint again" >&2
    exit 1
  fi
  mapfile -t defines < <(node -p "JSON.parse(require('fs').readFileSync('binding.gyp', 'utf8')).targets[0].defines.map((d) => '-D' + d).join('\n')")
  mapfile -t tidy_sources < <(git ls-files 'native/*.cc')
  clang-tidy --quiet "${tidy_sources[@]}" -- -x c++ -std=c++20 -I"$node_headers" \
    -I"$(node -p "require('node-addon-api').include_dir")" "${defines[@]}" 2>/dev/null
else
  echo "lint: clang-tidy is not installed; the native function-size check was skipped" >&2
fi
echo "lint: clean"
