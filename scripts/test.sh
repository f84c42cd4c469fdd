#!/usr/bin/env bash
# Quickstart 2: install dependencies (Debian packages and the pinned npm test
# tools), build everything, and run the whole test suite with ctest.
#
#   scripts/test.sh              the suite (what CI runs)
#   scripts/test.sh --with-sanitize   the suite, then the sanitizer pass
#   scripts/test.sh --sanitize   only the sanitizer pass: everything built
#                                with clang, ASan and UBSan into build-san/,
#                                the unit and integration tests and the fuzz
#                                corpora run under it, then every fuzz target
#                                for FUZZ_SECONDS (default 15) each
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${root}"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }

suite() {
  scripts/build.sh
  # Test cases are independent processes on their own ports and temp dirs,
  # so they run two at a time on this 2-core machine.
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
  # The benchmark harness must keep working: a short smoke run, no timing checks.
  build/bench_call --smoke
  build/bench_policy --smoke
  build/bench_mcp --smoke
  build/bench_streams --smoke
}

# -O1 with line tables only: the sanitizers need no more, and it builds
# about twice as fast as -O2 -g.
sanitize() {
  local build="${root}/build-san"
  if [ ! -f "${build}/CMakeCache.txt" ]; then
    CC=clang-16 CXX=clang++-16 cmake -S "${root}" -B "${build}" -DTOOLGATE_FUZZ=ON \
      -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -gline-tables-only" \
      -DCMAKE_C_FLAGS_SANITIZE="-O1 -gline-tables-only" >&2
  fi
  cmake --build "${build}" -j "$(nproc)" >&2
  # A finding fails its test: UBSan stops at the first report, and ASan's
  # leak check runs at every instrumented process's exit.
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:strict_string_checks=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  # The e2e scripts drive node tools; their gateway side is what the
  # integration tests cover here.
  ctest --test-dir "${build}" --output-on-failure -j "$(nproc)" --timeout 900 -E '^e2e_'
  TOOLGATE_FUZZ_BUILD_DIR="${build}" scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
}

case "${1:-}" in
  --help | -h) usage; exit 0 ;;
  --sanitize) scripts/install-deps.sh; sanitize; exit 0 ;;
  --with-sanitize | "") ;;
  *) usage >&2; exit 2 ;;
esac

scripts/install-deps.sh
scripts/install-npm-tools.sh
suite
# The sanitizer pass takes about 26 minutes here (a clang build of
# everything, then the suite); CI leaves it out to stay well under its hour.
if [ "${1:-}" = "--with-sanitize" ]; then sanitize; fi
