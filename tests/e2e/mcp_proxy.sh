#!/usr/bin/env bash
# type: mcp sources end to end, with the official npm tools:
#   1. The MCP conformance suite (active scenarios) against the fixture
#      server alone (tests/e2e/mcp/fixture_server.mjs, over HTTP), and
#      against toolgate proxying it over stdio (jailed), over Streamable
#      HTTP, and over the legacy HTTP+SSE transport. Every scenario passes
#      each way, and toolgate's per-scenario results are exactly the
#      fixture's.
#   2. @modelcontextprotocol/server-everything as a jailed stdio upstream:
#      its tools, resources and prompts through the gateway with the MCP
#      Inspector CLI.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
fail() { echo "FAIL: $*" >&2; exit 1; }
export HOME="${WORKDIR}"  # the inspector and the suite write under $HOME
PIDS=()
FIXTURE="$(copy_fixture fixture_server.mjs)"
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -f "${FIXTURE}"; cleanup' EXIT
start_fixture fport fixture-http "${FIXTURE}"
start_fixture lport fixture-legacy "${FIXTURE}" --legacy-sse
[ -n "${fport}" ] && [ -n "${lport}" ] || { cat "${WORKDIR}"/fixture-*.log >&2; fail "the fixture did not start"; }

# $1: name, $2: URL. Runs the active suite; keeps the per-scenario lines.
suite() {
  (cd "${WORKDIR}" && "${NODE22}" "${CONFORMANCE_2025}" server --url "$2") >"${WORKDIR}/$1.log" 2>&1 ||
    { grep -E '^(✗|  )' "${WORKDIR}/$1.log" | head -40 >&2; fail "conformance against $1"; }
  grep -E '^[✓✗] ' "${WORKDIR}/$1.log" >"${WORKDIR}/$1.summary"
  echo "$1: $(grep -c '^✓' "${WORKDIR}/$1.summary") scenarios passed, $(tail -1 "${WORKDIR}/$1.log")"
}

suite fixture "http://127.0.0.1:${fport}/mcp"
start_proxy stdio "    command: [${NODE22}, ${FIXTURE}, --stdio]
    sandbox: {paths: [{path: ${ROOT}/tests/npm}]}"
suite via-stdio "${GW_URL}"
start_proxy http "    url: http://127.0.0.1:${fport}/mcp"
suite via-http "${GW_URL}"
start_proxy legacy "    url: http://127.0.0.1:${lport}/mcp"
suite via-legacy-sse "${GW_URL}"
for way in via-stdio via-http via-legacy-sse; do
  diff "${WORKDIR}/fixture.summary" "${WORKDIR}/${way}.summary" >&2 ||
    fail "toolgate (${way}) does not score what the fixture scores"
done

# 2. server-everything, jailed, through the Inspector CLI.
EVERYTHING="${ROOT}/tests/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
cat >"${WORKDIR}/everything.yaml" <<YAML
sources:
  - name: ev
    type: mcp
    command: [${NODE22}, ${EVERYTHING}, stdio]
    sandbox: {paths: [{path: ${ROOT}/tests/npm}]}
YAML
inspect() {  # inspector arguments...; prints the JSON answer
  "${NODE22}" "${NPM_BIN}/mcp-inspector" --cli "${BUILD}/toolgate" serve -c "${WORKDIR}/everything.yaml" \
    --stdio -- "$@" --format json -q 2>"${WORKDIR}/inspect.err" || { cat "${WORKDIR}/inspect.err" >&2; fail "inspector $*"; }
}
checks=0
expect() {  # $1: what, $2: text the answer must hold, rest: inspector arguments
  local what="$1" want="$2"
  shift 2
  out="$(inspect "$@")"
  grep -q -- "${want}" <<<"${out}" || fail "${what}: no '${want}' in ${out:0:400}"
  checks=$((checks + 1))
}
expect "tools/list" '"ev__get-sum"' --method tools/list
expect "tools/call" 'Echo: hi through the jail' --method tools/call --tool-name ev__echo \
  --tool-args-json '{"message":"hi through the jail"}'
expect "tools/call with numbers" '"text":"The sum of 2 and 3 is 5."' --method tools/call \
  --tool-name ev__get-sum --tool-args-json '{"a":2,"b":3}'
expect "resources/list" 'demo://resource/static/document/architecture.md' --method resources/list
expect "resources/read" '"mimeType":"text/markdown"' --method resources/read \
  --uri demo://resource/static/document/architecture.md
expect "resources/templates/list" 'demo://resource/dynamic/text/{resourceId}' --method resources/templates/list
expect "prompts/list" '"ev__args-prompt"' --method prompts/list
expect "prompts/get" 'Boston' --method prompts/get --prompt-name ev__args-prompt --prompt-args city=Boston
# The server's own environment inside the jail: only what the config gives.
expect "the upstream's environment is explicit" '\\"PATH\\"' --method tools/call --tool-name ev__get-env
out="$(inspect --method tools/call --tool-name ev__get-env)"
grep -q 'HOME' <<<"${out}" && fail "the upstream inherited HOME: ${out:0:300}"
echo "server-everything: ${checks} checks passed"
echo "mcp proxy e2e: all passed"
