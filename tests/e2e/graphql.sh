#!/usr/bin/env bash
# The GraphQL adapter against a real GraphQL server (npm graphql-yoga, on
# loopback), driven by the official SDK client through `toolgate serve
# --stdio`:
#   1. the schema comes from live introspection (run in a worker); the
#      client checks tools, data, selections, errors with partial data,
#      policy on mutations and the raw query tool (graphql/graphql_client.mjs);
#   2. the same schema from its SDL file gives exactly the same tools;
#   3. a wrong credential gives the model a clean HTTP 401 error.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
fail() { echo "FAIL: $*" >&2; exit 1; }
HERE="$(dirname -- "${BASH_SOURCE[0]}")/graphql"
SERVER_PID=""
copies=("${ROOT}/tests/npm/.library_server.$$.mjs" "${ROOT}/tests/npm/.graphql_client.$$.mjs"
        "${ROOT}/tests/npm/.call_tools.$$.mjs")
trap '[ -n "${SERVER_PID}" ] && kill "${SERVER_PID}" 2>/dev/null; rm -f "${copies[@]}"; cleanup' EXIT
# Copies inside tests/npm, so their imports resolve against its node_modules.
cp "${HERE}/library_server.mjs" "${copies[0]}"
cp "${HERE}/graphql_client.mjs" "${copies[1]}"
cp "$(dirname -- "${BASH_SOURCE[0]}")/call_tools.mjs" "${copies[2]}"

SDL="${ROOT}/tests/fixtures/graphql/library.graphql"
"${NODE22}" "${copies[0]}" --schema "${SDL}" --port 0 --token lib-token >"${WORKDIR}/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do
  grep -q "^listening" "${WORKDIR}/server.log" 2>/dev/null && break
  kill -0 "${SERVER_PID}" 2>/dev/null || { cat "${WORKDIR}/server.log" >&2; fail "server exited"; }
  sleep 0.1
done
port="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "${WORKDIR}/server.log")"
[ -n "${port}" ] || { cat "${WORKDIR}/server.log" >&2; fail "server did not start"; }

cat >"${WORKDIR}/policy.yaml" <<'YAML'
version: 1
default: allow
rules:
  - id: no-destructive-mutations
    tools: ["lib__*"]
    when: {graphql.operation: mutation, annotations.destructiveHint: true}
    effect: deny
    message: Destructive mutations are not allowed here.
YAML
source_block() {  # $1: the schema line (or none), $2: the token
  cat <<YAML
sources:
  - name: lib
    type: graphql
    endpoint: http://127.0.0.1:${port}/graphql
    $1
    auth: {type: bearer, token: "$2"}
    prefix: always
    raw_query: true
    non_destructive: [addBook]
YAML
}
{ source_block "" lib-token; echo "policies: [${WORKDIR}/policy.yaml]"; } >"${WORKDIR}/live.yaml"
source_block "schema: ${SDL}" lib-token >"${WORKDIR}/sdl.yaml"
source_block "schema: ${SDL}" wrong-token >"${WORKDIR}/badtoken.yaml"

# 1. Live introspection, and everything an agent does with the tools.
"${NODE22}" "${copies[1]}" "${BUILD}/toolgate" "${WORKDIR}/live.yaml" || fail "client checks failed"

# 2. SDL and live introspection give the same tools.
"${BUILD}/toolgate" tools -c "${WORKDIR}/live.yaml" --json >"${WORKDIR}/live.json" 2>"${WORKDIR}/live.err" ||
  { cat "${WORKDIR}/live.err" >&2; fail "tools from live introspection"; }
"${BUILD}/toolgate" tools -c "${WORKDIR}/sdl.yaml" --json >"${WORKDIR}/sdl.json" 2>"${WORKDIR}/sdl.err" ||
  { cat "${WORKDIR}/sdl.err" >&2; fail "tools from SDL"; }
python3 - "${WORKDIR}/live.json" "${WORKDIR}/sdl.json" <<'PY' || fail "SDL and introspection disagree"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert len(a) == 7, [t["name"] for t in a]
ann = {t["name"]: t.get("annotations", {}) for t in a}
assert ann["lib__deleteBook"]["destructiveHint"] is True, ann
assert ann["lib__addBook"]["destructiveHint"] is False and ann["lib__book"]["readOnlyHint"], ann
if a != b:
    for x, y in zip(a, b):
        if x != y: print("differs:", x["name"], "|", y["name"], file=sys.stderr)
    sys.exit(1)
PY

# 3. A refused credential is a clean error for the model.
echo '[{"tool": "lib__book", "args": {"id": "1"}}]' >"${WORKDIR}/calls.json"
out="$("${NODE22}" "${copies[2]}" "${BUILD}/toolgate" "${WORKDIR}/badtoken.yaml" "${WORKDIR}/calls.json")" ||
  fail "client failed"
python3 - "${out}" <<'PY' || fail "a 401 is not reported cleanly"
import json, sys
r = json.loads(sys.argv[1])[0]["result"]
text = r["content"][0]["text"]
assert r.get("isError") and "HTTP 401" in text and "bad or missing token" in text, r
PY
echo "graphql e2e: all passed"
