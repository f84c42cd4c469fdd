#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ (tests/fuzz/README.md) for a
# while each, then prints a summary table for all of them.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 60 s each, every target
#   scripts/fuzz.sh 300 jsonrpc http_framing
#
# It builds the fuzz_<target> binaries with clang-16 in build-fuzz/ (ASan
# and UBSan everywhere, configured on first use), or in $TOOLGATE_FUZZ_BUILD_DIR
# when that is set to a tree configured with -DTOOLGATE_FUZZ=ON.
# Each target grows its own corpus in <build>/corpus/<target>, seeded from
# tests/fuzz/<target>_corpus and kept between runs. Crash inputs go to
# <build>/artifacts/<target>/, libFuzzer's output to <build>/fuzz-logs/.
# Exits 1 when any target crashed (or hung, or ran out of memory).
# Extra libFuzzer flags: FUZZ_ARGS="-max_len=65536 -dict=..." scripts/fuzz.sh
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

seconds=60
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  usage
  exit 0
fi
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds="$1"
  shift
fi

known=()
for f in "${root}"/tests/fuzz/*_fuzz.cc; do
  n="$(basename "$f" _fuzz.cc)"
  known+=("$n")
done
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${known[@]}"); fi
is_known() {
  local k
  for k in "${known[@]}"; do [ "$k" = "$1" ] && return 0; done
  return 1
}
for t in "${targets[@]}"; do
  if ! is_known "$t"; then
    echo "fuzz.sh: no target '${t}' (known: ${known[*]})" >&2
    usage >&2
    exit 2
  fi
done

# clang-16 with its libFuzzer and sanitizer runtimes.
missing=()
for p in clang-16 libclang-rt-16-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "fuzz.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build="${TOOLGATE_FUZZ_BUILD_DIR:-${root}/build-fuzz}"
if [ ! -f "${build}/CMakeCache.txt" ]; then
  echo "fuzz.sh: configuring ${build}" >&2
  CC=clang-16 CXX=clang++-16 cmake -S "${root}" -B "${build}" -DTOOLGATE_FUZZ=ON \
    -DTOOLGATE_TESTS=ON >&2
elif ! grep -q '^TOOLGATE_FUZZ:BOOL=ON' "${build}/CMakeCache.txt"; then
  echo "fuzz.sh: ${build} is not configured with -DTOOLGATE_FUZZ=ON; remove it or set" \
    "TOOLGATE_FUZZ_BUILD_DIR to another directory" >&2
  exit 2
fi
# Reconfigure, so a target added to tests/CMakeLists.txt since is known.
cmake "${build}" >/dev/null
runnable=()
for t in "${targets[@]}"; do
  if grep -q "fuzz_${t}_replay" "${build}/tests/CTestTestfile.cmake" 2>/dev/null; then
    runnable+=("$t")
  else
    echo "fuzz.sh: ${t} is not built in this tree (see tests/CMakeLists.txt); skipped" >&2
  fi
done
if [ ${#runnable[@]} -eq 0 ]; then
  echo "fuzz.sh: nothing to run" >&2
  exit 2
fi
cmake --build "${build}" -j "$(nproc)" --target "${runnable[@]/#/fuzz_}" >&2

# UBSan reports are findings too: stop at the first, so libFuzzer keeps the input.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

count_files() { find "$1" -maxdepth 1 -type f | wc -l; }
# A libFuzzer statistic from the log (the last one printed), or "-".
stat_of() {
  local v
  v="$(sed -n "s/^stat::$2: *//p" "$1" | tail -1)"
  echo "${v:--}"
}
last_of() {
  local v
  v="$({ grep -aoE "$2: [0-9]+" "$1" || true; } | tail -1 | sed 's/.*: //')"
  echo "${v:--}"
}

rows=()
crashed=0
for t in "${runnable[@]}"; do
  corpus="${build}/corpus/${t}"
  artifacts="${build}/artifacts/${t}"
  log="${build}/fuzz-logs/${t}.log"
  mkdir -p "${corpus}" "${artifacts}" "$(dirname "${log}")"
  cp -n "${root}/tests/fuzz/${t}_corpus/"* "${corpus}/" 2>/dev/null || true
  before="$(count_files "${corpus}")"
  echo "fuzz.sh: ${t} for ${seconds} s (log: ${log})" >&2
  rc=0
  # In the artifacts directory, where libFuzzer's stray files (fuzz-N.log) land.
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  (cd "${artifacts}" && "${build}/fuzz_${t}" "${corpus}" -max_total_time="${seconds}" \
    -print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-25}" -artifact_prefix="${artifacts}/" \
    ${FUZZ_ARGS:-}) >"${log}" 2>&1 || rc=$?
  after="$(count_files "${corpus}")"
  result="ok"
  if [ "${rc}" -ne 0 ]; then
    crashed=1
    why="$(grep -aoE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [a-z -]+|runtime error|invariant failed|uncaught exception' "${log}" | head -1 || true)"
    unit="$(grep -aoE 'Test unit written to [^ ]+' "${log}" | tail -1 | sed 's/Test unit written to //' || true)"
    result="CRASHED (${why:-exit ${rc}}) ${unit:-}"
  fi
  rows+=("$(printf '%-15s %12s %8s %7s %7s %13s  %s' "${t}" "$(stat_of "${log}" number_of_executed_units)" \
    "$(stat_of "${log}" average_exec_per_sec)" "$(last_of "${log}" cov)" "$(last_of "${log}" ft)" \
    "${after} (+$((after - before)))" "${result}")")
done

echo
printf '%-15s %12s %8s %7s %7s %13s  %s\n' target executions exec/s cov ft corpus result
for r in "${rows[@]}"; do echo "${r}"; done
if [ "${crashed}" -ne 0 ]; then
  cat <<EOF

Reproduce a crash:   ${build}/fuzz_<target> <crash file>   (the full report is in ${build}/fuzz-logs/)
Once it is fixed, keep it fixed: copy the crash file to tests/fuzz/<target>_corpus/ under a
name that says what it is; ctest replays it from then on (fuzz_<target>_replay).
EOF
  exit 1
fi
