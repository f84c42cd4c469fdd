#!/usr/bin/env bash
# The official MCP Inspector CLI lists and calls a script tool through
# toolgate, over stdio and over Streamable HTTP.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
write_config
export HOME="${WORKDIR}"   # the inspector writes ~/.mcp-inspector
INSPECT=("${NODE22}" "${NPM_BIN}/mcp-inspector" --cli)
fail() { echo "FAIL: $*" >&2; exit 1; }

# stdio: everything before -- is the server command.
out="$("${INSPECT[@]}" "${BUILD}/toolgate" serve -c "${WORKDIR}/config.yaml" --stdio -- \
        --method tools/list --format json -q 2>"${WORKDIR}/err1")" || { cat "${WORKDIR}/err1"; fail "stdio tools/list"; }
grep -q '"demo__echo"' <<<"${out}" || fail "stdio tools/list lacks demo__echo: ${out}"

out="$("${INSPECT[@]}" "${BUILD}/toolgate" serve -c "${WORKDIR}/config.yaml" --stdio -- \
        --method tools/call --tool-name demo__echo --tool-args-json '{"message":"hi over stdio"}' \
        --format json -q 2>"${WORKDIR}/err2")" || { cat "${WORKDIR}/err2"; fail "stdio tools/call"; }
grep -q 'hi over stdio' <<<"${out}" || fail "stdio tools/call result: ${out}"

# A failing tool is an isError result: the inspector exits 5.
set +e
"${INSPECT[@]}" "${BUILD}/toolgate" serve -c "${WORKDIR}/config.yaml" --stdio -- \
  --method tools/call --tool-name demo__fail --format json -q >/dev/null 2>&1
rc=$?
set -e
[ "${rc}" -eq 5 ] || fail "expected exit 5 for an isError result, got ${rc}"

start_http_gateway
out="$("${INSPECT[@]}" --transport http --server-url "${GW_URL}" --method tools/list --format json -q \
        --stored-auth-only 2>"${WORKDIR}/err3")" || { cat "${WORKDIR}/err3"; fail "http tools/list"; }
grep -q '"demo__echo"' <<<"${out}" || fail "http tools/list lacks demo__echo: ${out}"
out="$("${INSPECT[@]}" --transport http --server-url "${GW_URL}" --method tools/call \
        --tool-name demo__echo --tool-args-json '{"message":"hi over http"}' --format json -q \
        --stored-auth-only 2>"${WORKDIR}/err4")" || { cat "${WORKDIR}/err4"; fail "http tools/call"; }
grep -q 'hi over http' <<<"${out}" || fail "http tools/call result: ${out}"
echo "4 passed, 0 failed"
