#!/usr/bin/env bash
# Quickstart 1: install dependencies, build, and serve the offline demo
# (examples/demo.yaml: script tools, no network) at http://127.0.0.1:8765/mcp.
# Extra arguments go to `toolgate serve`, e.g. --stdio.
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "${root}"
scripts/install-deps.sh
scripts/build.sh toolgate toolgate-worker
exec build/toolgate serve -c examples/demo.yaml "$@"
