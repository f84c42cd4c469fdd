#!/usr/bin/env bash
# Quickstart 2: install dependencies (Debian packages and the pinned npm test
# tools), build everything, and run the whole test suite with ctest.
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${root}"
scripts/install-deps.sh
scripts/install-npm-tools.sh
scripts/build.sh
# Test cases are independent processes on their own ports and temp dirs,
# so they run two at a time on this 2-core machine.
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
# The benchmark harness must keep working: a short smoke run, no timing checks.
build/bench_call --smoke
build/bench_policy --smoke
build/bench_mcp --smoke
build/bench_streams --smoke
