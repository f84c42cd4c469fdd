#!/usr/bin/env bash
# The official conformance suite 0.2.0-alpha.12 with both requirement sets
# (2026-07-28 and 2025-11-25), each revision's required scenarios at its
# own wire:
#   1. Through toolgate in front of a fixture that speaks both eras
#      (tests/e2e/mcp/fixture_2026.mjs, SDK v2), jailed over stdio and over
#      Streamable HTTP: every scored scenario scores exactly what it scores
#      against the fixture alone. (The suite also runs scenarios it never
#      scores, e.g. the Tasks extension's, which the fixture fails too.)
#   2. Against toolgate's own endpoint, with script tools playing the
#      fixture tools they can: every check passes except the ones listed,
#      with the reason, in conformance_2026_baseline.yaml (fixture behaviour
#      a script tool cannot play). The suite fails on a stale entry too.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
fail() { echo "FAIL: $*" >&2; exit 1; }
export HOME="${WORKDIR}"
PIDS=()
FIXTURE="$(copy_fixture fixture_2026.mjs)"
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -f "${FIXTURE}"; cleanup' EXIT
start_fixture fport fixture "${FIXTURE}"
[ -n "${fport}" ] || { cat "${WORKDIR}/fixture.log" >&2; fail "the fixture did not start"; }

# $1: name, $2: URL, $3: requirement set, rest: suite arguments. Keeps the
# per-scenario lines; the exit status is the suite's (0: all scored passed).
suite() {
  local name="$1-$3" url="$2" req="$3"
  shift 3
  local rc=0
  (cd "${WORKDIR}" && "${NODE22}" "${CONFORMANCE_2026}" server --url "${url}" --requirements "${req}" \
    "$@") >"${WORKDIR}/${name}.log" 2>&1 || rc=$?
  # The scored scenarios only: the suite lists the others after "Not scored".
  sed -n '/^Not scored for/,$s/^  [✓✗] \([^ ]*\) .*/\1/p' "${WORKDIR}/${name}.log" >"${WORKDIR}/${name}.unscored"
  grep -E '^[✓✗] ' "${WORKDIR}/${name}.log" | grep -v -F -f "${WORKDIR}/${name}.unscored" \
    >"${WORKDIR}/${name}.summary" || true
  echo "${name}: $(grep -c '^✓' "${WORKDIR}/${name}.summary") scenarios passed, $(grep '^Total' "${WORKDIR}/${name}.log")"
  return "${rc}"
}

REQS=(2026-07-28 2025-11-25)
for req in "${REQS[@]}"; do
  suite fixture "http://127.0.0.1:${fport}/mcp" "${req}" ||
    { grep -E '^(✗|  )' "${WORKDIR}/fixture-${req}.log" | head -40 >&2; fail "the fixture alone fails ${req}"; }
done

start_proxy via-stdio "    command: [${NODE22}, ${FIXTURE}, --stdio]
    sandbox: {paths: [{path: ${ROOT}/tests/npm}]}"
STDIO_URL="${GW_URL}"
start_proxy via-http "    url: http://127.0.0.1:${fport}/mcp"
HTTP_URL="${GW_URL}"
for way in via-stdio via-http; do
  url="${STDIO_URL}"
  [ "${way}" = via-http ] && url="${HTTP_URL}"
  for req in "${REQS[@]}"; do
    suite "${way}" "${url}" "${req}" || true
    diff "${WORKDIR}/fixture-${req}.summary" "${WORKDIR}/${way}-${req}.summary" >&2 ||
      fail "toolgate (${way}, ${req}) does not score what the fixture scores"
  done
done

# 2. toolgate's own endpoint.
cat >"${WORKDIR}/own.yaml" <<'YAML'
sources:
  - name: fx
    type: script
    prefix: never
    tools:
      - name: test_simple_text
        description: Returns a simple text response.
        command: [echo, "This is a simple text response for testing."]
      - name: test_error_handling
        description: Always fails.
        command: [sh, -c, "echo 'This tool intentionally returns an error for testing' >&2; exit 1"]
      - name: test_tool_with_progress
        description: Runs long enough to report progress three times.
        command: [sleep, "2.5"]
      - name: test_logging_tool
        description: Answers at once.
        command: [echo, "Logging evaluated"]
      - name: test_streaming_elicitation
        description: Answers at once; toolgate sends no requests on a 2026 stream.
        command: [echo, "Streaming complete"]
      - name: test_x_mcp_header
        description: Echoes its arguments; region travels in a header too.
        command: [cat]
        input_schema:
          type: object
          properties: {region: {type: string, x-mcp-header: Region}}
YAML
"${BUILD}/toolgate" serve -c "${WORKDIR}/own.yaml" --listen 127.0.0.1:0 2>"${WORKDIR}/own.gw.log" &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '"listening"' "${WORKDIR}/own.gw.log" && break; sleep 0.1; done
OWN_URL="$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "${WORKDIR}/own.gw.log" | head -1)"
[ -n "${OWN_URL}" ] || { cat "${WORKDIR}/own.gw.log" >&2; fail "toolgate did not start"; }
suite own "${OWN_URL}" 2026-07-28 \
  --expected-failures "${ROOT}/tests/e2e/conformance_2026_baseline.yaml" ||
  { sed -n "/Expected failures\\|Stale baseline\\|Unexpected failures/,\$p" "${WORKDIR}/own-2026-07-28.log" | tail -40 >&2
    fail "toolgate's own endpoint differs from its baseline"; }
echo "conformance 2026 e2e: all passed"
