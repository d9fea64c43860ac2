#!/usr/bin/env bash
# The newest glibc symbol version the built addon needs, checked against a
# floor, as node-pty does: a prebuild must load on older distributions too.
# Usage: scripts/check-glibc.sh ADDON.node [FLOOR, default 2.28]
set -euo pipefail
addon=$1
floor=${2:-2.28}
needed=$(objdump -T "$addon" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
echo "$addon needs glibc $needed (floor $floor)"
if [ "$(printf '%s\n%s\n' "$needed" "$floor" | sort -V | tail -n 1)" != "$floor" ]; then
  echo "glibc $needed is newer than the floor $floor" >&2
  exit 1
fi
