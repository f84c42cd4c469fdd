#!/usr/bin/env bash
# Human approval over real elicitation: the official TypeScript SDK client
# declines, then accepts, a call that a policy rule sends for approval, over
# stdio and over Streamable HTTP.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
write_approval_config
fail() { echo "FAIL: $*" >&2; exit 1; }
# The SDK is resolved from tests/npm, where it is installed.
cp "$(dirname -- "${BASH_SOURCE[0]}")/approval_client.mjs" "${ROOT}/tests/npm/.approval_client.$$.mjs"
trap 'rm -f "${ROOT}/tests/npm/.approval_client.$$.mjs"; cleanup' EXIT
CLIENT=("${NODE22}" "${ROOT}/tests/npm/.approval_client.$$.mjs")

check() {  # transport action target
  local out
  out="$("${CLIENT[@]}" "$1" "$2" "$3" "${BUILD}/toolgate" 2>"${WORKDIR}/client.err")" \
    || { cat "${WORKDIR}/client.err" >&2; fail "$1 $2: client failed"; }
  grep -q 'Tool: demo__remove' <<<"${out}" || fail "$1 $2: not asked, or the message lacks the tool: ${out}"
  grep -q 'destructive-needs-a-human' <<<"${out}" || fail "$1 $2: message lacks the rule: ${out}"
  if [ "$2" = decline ]; then
    grep -q '"isError":true' <<<"${out}" || fail "$1 decline: the call ran: ${out}"
    grep -q 'A human declined this call' <<<"${out}" || fail "$1 decline: wrong text: ${out}"
  else
    grep -q '"isError":true' <<<"${out}" && fail "$1 accept: the call failed: ${out}"
    grep -q '/data/report.txt' <<<"${out}" || fail "$1 accept: no result: ${out}"
  fi
}
check stdio decline "${WORKDIR}/config.yaml"
check stdio accept "${WORKDIR}/config.yaml"
start_http_gateway
check http decline "${GW_URL}"
check http accept "${GW_URL}"
verdicts="$(grep -o '"verdict":"[a-z]*"' "${WORKDIR}/audit.jsonl" | tr '\n' ' ')"
[ "${verdicts}" = '"verdict":"declined" "verdict":"approved" "verdict":"declined" "verdict":"approved" ' ] \
  || fail "audit verdicts: ${verdicts}"
echo "4 passed, 0 failed"
