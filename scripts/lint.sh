#!/usr/bin/env bash
# npm run lint: eslint (typescript-eslint, type-checked), prettier's check for
# the TypeScript and JavaScript, clang-format's check for the C and C++.
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
echo "lint: clean"
