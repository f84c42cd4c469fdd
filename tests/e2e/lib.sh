# Shared helpers for the end-to-end tests that drive toolgate with the
# official npm tools. Sourced, not run.
set -euo pipefail

ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)"
BUILD="${TOOLGATE_BUILD_DIR:-${ROOT}/build}"
NPM_BIN="${ROOT}/tests/npm/node_modules/.bin"
NODE22="${NPM_BIN}/node"
# Two releases of the conformance suite are installed, so the `conformance`
# bin is ambiguous: name each one's entry point. 0.1.16 covers the 2025
# revisions; 0.2.0-alpha.12 adds 2026-07-28 (`--requirements`).
CONFORMANCE_2025="${ROOT}/tests/npm/node_modules/@modelcontextprotocol/conformance/dist/index.js"
CONFORMANCE_2026="${ROOT}/tests/npm/node_modules/conformance-2026/dist/index.js"

# Exit 77 (ctest: skipped) when the npm tools are missing, except in CI,
# where a missing tool is a failure.
require_npm_tools() {
  if [ ! -x "${NODE22}" ]; then
    if [ "${CI:-}" = "true" ]; then
      echo "npm test tools missing: run scripts/install-npm-tools.sh" >&2
      exit 1
    fi
    echo "SKIP: npm test tools not installed (scripts/install-npm-tools.sh)" >&2
    exit 77
  fi
}

WORKDIR="$(mktemp -d /tmp/toolgate-e2e-XXXXXX)"
GW_PID=""
cleanup() {
  if [ -n "${GW_PID}" ]; then kill "${GW_PID}" 2>/dev/null || true; wait "${GW_PID}" 2>/dev/null || true; fi
  rm -rf "${WORKDIR}"
}
trap cleanup EXIT

# A small config with script tools, written to $WORKDIR/config.yaml.
write_config() {
  cat >"${WORKDIR}/config.yaml" <<YAML
sources:
  - name: demo
    type: script
    tools:
      - name: echo
        description: Echo the arguments back as structured content.
        command: [cat]
        input_schema: {type: object, properties: {message: {type: string}}, required: [message]}
        annotations: {readOnlyHint: true}
      - name: fail
        description: Always fails.
        command: [sh, -c, "echo nope >&2; exit 1"]
YAML
}

# write_config plus a tool whose calls a policy rule sends for approval
# (demo__remove, destructive) and an audit log: approval.sh, sdk_v2_client.sh.
write_approval_config() {
  write_config
  cat >>"${WORKDIR}/config.yaml" <<YAML
      - name: remove
        description: Pretends to remove a file.
        command: [cat]
        input_schema: {type: object, properties: {path: {type: string}}, required: [path]}
        annotations: {destructiveHint: true}
policies: [policy.yaml]
audit: {path: audit.jsonl}
YAML
  cat >"${WORKDIR}/policy.yaml" <<YAML
version: 1
default: allow
rules:
  - id: destructive-needs-a-human
    tools: ["*"]
    when: {annotations.destructiveHint: true}
    effect: approve
    message: A person must confirm removals.
YAML
}

# Starts the gateway on a free loopback port; sets GW_PID and GW_URL.
start_http_gateway() {
  "${BUILD}/toolgate" serve -c "${WORKDIR}/config.yaml" --listen 127.0.0.1:0 \
    2>"${WORKDIR}/gateway.log" &
  GW_PID=$!
  for _ in $(seq 1 200); do
    if grep -q '"listening"' "${WORKDIR}/gateway.log" 2>/dev/null; then break; fi
    sleep 0.05
  done
  local port
  port="$(grep -o 'http://127.0.0.1:[0-9]*' "${WORKDIR}/gateway.log" | head -1 | sed 's/.*://')"
  [ -n "${port}" ] || { echo "gateway did not start:" >&2; cat "${WORKDIR}/gateway.log" >&2; exit 1; }
  GW_URL="http://127.0.0.1:${port}/mcp"
}

# --- MCP fixture servers and toolgate in front of them (mcp_proxy.sh,
# conformance_2026.sh). Callers keep PIDS=() and kill them in their trap.

# Copies tests/e2e/mcp/$1 into tests/npm (so its imports resolve against
# node_modules there) and prints the copy's path; the caller removes it.
copy_fixture() {
  local copy="${ROOT}/tests/npm/.${1%.mjs}.$$.mjs"
  cp "${ROOT}/tests/e2e/mcp/$1" "${copy}"
  echo "${copy}"
}

# $1: variable to set to its port, $2: log name, $3: the fixture's copy, rest:
# its arguments. Not run in a subshell: PIDS must keep the server's pid.
start_fixture() {
  local var="$1" log="${WORKDIR}/$2.log" script="$3"
  shift 3
  "${NODE22}" "${script}" --port 0 "$@" >"${log}" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do grep -q '^listening' "${log}" && break; sleep 0.1; done
  printf -v "${var}" '%s' "$(sed -n 's/^listening \([0-9]*\)$/\1/p' "${log}")"
}

# $1: name, $2: the source's lines. Starts toolgate on HTTP in front of one
# type: mcp source named fx; sets GW_URL.
start_proxy() {
  printf 'sources:\n  - name: fx\n    type: mcp\n    prefix: never\n%s\n' "$2" >"${WORKDIR}/$1.yaml"
  "${BUILD}/toolgate" serve -c "${WORKDIR}/$1.yaml" --listen 127.0.0.1:0 2>"${WORKDIR}/$1.gw.log" &
  PIDS+=($!)
  for _ in $(seq 1 300); do grep -q '"listening"' "${WORKDIR}/$1.gw.log" && break; sleep 0.1; done
  GW_URL="$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "${WORKDIR}/$1.gw.log" | head -1)"
  [ -n "${GW_URL}" ] || { cat "${WORKDIR}/$1.gw.log" >&2; echo "toolgate ($1) did not start" >&2; exit 1; }
}
