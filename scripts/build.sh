#!/usr/bin/env bash
# Configures (once) and builds toolgate into build/. Reuses the build
# directory, so a rerun only compiles what changed.
#   scripts/build.sh            everything, tests included
#   scripts/build.sh toolgate   just the named targets
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
build="${TOOLGATE_BUILD_DIR:-${root}/build}"
if [ ! -f "${build}/CMakeCache.txt" ]; then
  cmake -S "${root}" -B "${build}" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" >&2
fi
cmake --build "${build}" -j "$(nproc)" ${1:+--target "$@"} >&2
