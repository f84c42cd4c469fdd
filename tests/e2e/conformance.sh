#!/usr/bin/env bash
# The official MCP conformance suite (npm @modelcontextprotocol/conformance)
# against toolgate's own Streamable HTTP endpoint, for the scenarios that
# need no fixture tools.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
write_config
start_http_gateway

SCENARIOS=(server-initialize ping tools-list logging-set-level dns-rebinding-protection
           server-sse-multiple-streams)
passed=0
failed=0
for s in "${SCENARIOS[@]}"; do
  if HOME="${WORKDIR}" "${NODE22}" "${CONFORMANCE_2025}" server --url "${GW_URL}" --scenario "$s" \
      >"${WORKDIR}/$s.log" 2>&1; then
    echo "PASS $s"
    passed=$((passed + 1))
  else
    echo "FAIL $s"
    cat "${WORKDIR}/$s.log"
    failed=$((failed + 1))
  fi
done
kill -0 "${GW_PID}" || { echo "the gateway died during the suite" >&2; exit 1; }
echo "${passed} passed, ${failed} failed"
[ "${failed}" -eq 0 ]
