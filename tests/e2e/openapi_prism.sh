#!/usr/bin/env bash
# Request building against an oracle: npm @stoplight/prism-cli mocks
# tests/fixtures/openapi/prism.yaml with --errors, so any request that does
# not match the spec (a query style, a header, a cookie, a path parameter,
# a JSON or form body, a missing credential) gets 422 or 401 instead of 2xx.
# Every operation is called through toolgate with valid arguments, by the
# official SDK client, and must succeed.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
fail() { echo "FAIL: $*" >&2; exit 1; }
PRISM_PID=""
trap '[ -n "${PRISM_PID}" ] && kill "${PRISM_PID}" 2>/dev/null; rm -f "${ROOT}/tests/npm/.call_tools.$$.mjs"; cleanup' EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"${NODE22}" "${NPM_BIN}/prism" mock --errors -h 127.0.0.1 -p "${port}" \
  "${ROOT}/tests/fixtures/openapi/prism.yaml" >"${WORKDIR}/prism.log" 2>&1 &
PRISM_PID=$!
for _ in $(seq 1 200); do
  grep -q "Prism is listening" "${WORKDIR}/prism.log" 2>/dev/null && break
  kill -0 "${PRISM_PID}" 2>/dev/null || { cat "${WORKDIR}/prism.log" >&2; fail "prism exited"; }
  sleep 0.1
done
grep -q "Prism is listening" "${WORKDIR}/prism.log" || { cat "${WORKDIR}/prism.log" >&2; fail "prism did not start"; }

cat >"${WORKDIR}/config.yaml" <<YAML
sources:
  - name: orders
    type: openapi
    spec: ${ROOT}/tests/fixtures/openapi/prism.yaml
    base_url: http://127.0.0.1:${port}
    auth: {type: bearer, token: test-token}
    headers: {X-Api-Key: test-key}
YAML
cat >"${WORKDIR}/calls.json" <<'JSON'
[
  {"tool": "orders__listOrders", "args": {"status": "open", "ids": [1, 2], "fields": ["id", "customer"],
                                          "tags": ["a", "b"], "limit": 5, "X-Trace": "t-1"}},
  {"tool": "orders__createOrder", "args": {"body": {"customer": "acme", "priority": "high", "note": null,
                                                    "lines": [{"sku": "ABC-1", "qty": 2}]}}},
  {"tool": "orders__getOrder", "args": {"orderId": 7, "session": "s 1"}},
  {"tool": "orders__cancelOrder", "args": {"orderId": 7}},
  {"tool": "orders__addNote", "args": {"orderId": 7, "body": {"text": "hello & goodbye", "pinned": true}}}
]
JSON
cp "$(dirname -- "${BASH_SOURCE[0]}")/call_tools.mjs" "${ROOT}/tests/npm/.call_tools.$$.mjs"
out="$("${NODE22}" "${ROOT}/tests/npm/.call_tools.$$.mjs" "${BUILD}/toolgate" "${WORKDIR}/config.yaml" \
        "${WORKDIR}/calls.json" 2>"${WORKDIR}/client.err")" || { cat "${WORKDIR}/client.err" >&2; fail "client failed"; }
python3 - "${out}" <<'PY' || { grep -E "VALIDATOR|error" "${WORKDIR}/prism.log" | tail -20 >&2; exit 1; }
import json, sys
results = json.loads(sys.argv[1])
bad = [r for r in results if r["result"].get("isError")]
for r in bad:
    print("FAIL:", r["tool"], r["result"]["content"][0].get("text", "")[:300], file=sys.stderr)
assert len(results) == 5, results
created = results[1]["result"].get("structuredContent", {})
assert created.get("customer") == "acme", created
sys.exit(1 if bad else 0)
PY
grep -q "Request did not pass the validation rules" "${WORKDIR}/prism.log" && fail "prism saw an invalid request"
echo "5 passed, 0 failed"
