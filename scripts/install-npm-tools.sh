#!/usr/bin/env bash
# Installs the pinned npm test tooling in tests/npm (node 22, the MCP
# conformance suite, the MCP inspector, the MCP TypeScript SDK) from
# tests/npm/package-lock.json with `npm ci`.
#
# Idempotent: npm ci runs only when tests/npm/node_modules is missing, when
# package-lock.json is newer than node_modules/.package-lock.json (the copy npm
# writes after a successful install), or when the installed node 22 binary does
# not run. Works from any cwd. Progress goes to stderr; stdout stays empty.
#
# Extra arguments are passed to npm ci, e.g. `--offline` on a machine whose npm
# cache is already warm. `--prefer-offline` is always on: the lockfile pins
# every tarball by integrity hash, so cached copies are used without asking
# the registry again.
set -euo pipefail

script_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
npm_dir="$(cd -- "${script_dir}/../tests/npm" && pwd -P)"
lock="${npm_dir}/package-lock.json"
installed_lock="${npm_dir}/node_modules/.package-lock.json"
node22="${npm_dir}/node_modules/.bin/node"

log() { echo "install-npm-tools: $*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
  log "npm not found in PATH (Debian: apt-get install nodejs npm, or node >= 20 with npm >= 10)"
  exit 1
fi
if [ ! -f "${lock}" ]; then
  log "missing ${lock}"
  exit 1
fi

node22_ok() {
  [ -x "${node22}" ] || return 1
  local v
  v="$("${node22}" --version 2>/dev/null)" || return 1
  [[ "${v}" == v22.* ]]
}

reason=""
if [ ! -d "${npm_dir}/node_modules" ]; then
  reason="node_modules missing"
elif [ ! -f "${installed_lock}" ]; then
  reason="node_modules/.package-lock.json missing"
elif [ "${lock}" -nt "${installed_lock}" ]; then
  reason="package-lock.json is newer than node_modules"
elif ! node22_ok; then
  reason="node_modules/.bin/node is not a working node 22"
fi

if [ -z "${reason}" ]; then
  log "up to date (${npm_dir}/node_modules, node $("${node22}" --version))"
  exit 0
fi

log "${reason}: running npm ci in ${npm_dir}"
# npm prints its summary on stdout; send it to stderr with the rest.
(
  cd -- "${npm_dir}"
  # Prism depends on @scarf/scarf, whose install script reports to the
  # internet; npm versions that ignore allowScripts still honour these.
  export SCARF_ANALYTICS=false DO_NOT_TRACK=1
  npm ci --no-audit --no-fund --prefer-offline "$@"
) 1>&2

if ! node22_ok; then
  log "npm ci finished but ${node22} is not a working node 22" \
      "(was the preinstall script of the 'node' package blocked? see allowScripts in package.json)"
  exit 1
fi
# npm ci rewrites node_modules/.package-lock.json; make sure it is not older
# than the lockfile so the next run is a no-op.
touch -- "${installed_lock}"
log "done: node $("${node22}" --version), tools in ${npm_dir}/node_modules/.bin"
