#!/usr/bin/env bash
# The official TypeScript SDK v2 client (@modelcontextprotocol/client) drives
# toolgate in both protocol eras, over stdio and over Streamable HTTP:
#   - 2026-07-28: pinned, so the client probes with server/discover, sends
#     the per-request _meta envelope (and on HTTP the MCP-Protocol-Version,
#     Mcp-Method and Mcp-Name headers) and no session; approval comes back
#     as an input_required result, which the SDK answers through its
#     elicitation handler and retries with the requestState.
#   - 2025-11-25: the client's default (legacy) mode, initialize and a
#     session; approval is a real elicitation/create request to the client.
# Each way: tools/list, a tool call, then a call a policy rule sends for
# approval, declined once and accepted once; the audit log holds both
# verdicts for every run.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
write_approval_config
# The SDK is resolved from tests/npm, where it is installed.
cp "$(dirname -- "${BASH_SOURCE[0]}")/sdk_v2_client.mjs" "${ROOT}/tests/npm/.sdk_v2_client.$$.mjs"
trap 'rm -f "${ROOT}/tests/npm/.sdk_v2_client.$$.mjs"; cleanup' EXIT
CLIENT=("${NODE22}" "${ROOT}/tests/npm/.sdk_v2_client.$$.mjs")

# Evaluates one JavaScript expression over a client run's output: s.<step> is
# the JSON the client printed for that step (see sdk_v2_client.mjs), s.audit
# the audit log's events. Exits 0 only when the expression is true.
cat >"${WORKDIR}/check.mjs" <<'JS'
import { readFileSync } from "node:fs";
const [file, expr] = process.argv.slice(2);
const s = {};
for (const line of readFileSync(file, "utf8").split("\n")) {
  const i = line.indexOf(" ");
  if (i > 0) s[line.slice(0, i)] = JSON.parse(line.slice(i + 1));
}
s.audit = readFileSync(process.env.AUDIT, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const text = (r) => (r?.content ?? []).map((c) => c.text ?? "").join("\n");
// The client's requests of one method (and tool); the server's reply to one.
const requests = (method, name) =>
  s.sent.filter((m) => m.method === method && m.id !== undefined && (name === undefined || m.params?.name === name));
const reply = (req) => s.received.find((m) => m.id === req.id && m.method === undefined);
let ok;
try {
  ok = Function("s", "text", "requests", "reply", `"use strict"; return (${expr});`)(s, text, requests, reply);
} catch (e) {
  ok = e;
}
if (ok !== true) {
  console.log(`not true (${ok}): ${expr.trim()}`);
  for (const step of new Set([...expr.matchAll(/\bs\.(\w+)/g)].map((m) => m[1])))
    console.log(`  ${step}: ${JSON.stringify(s[step])?.slice(0, 1200)}`);
  process.exit(1);
}
JS
export AUDIT="${WORKDIR}/audit.jsonl"
passed=0
failed=0
check() {  # what, expression over the current run's steps
  if "${NODE22}" "${WORKDIR}/check.mjs" "${OUT}" "$2" >"${WORKDIR}/check.out" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: ${RUN}: $1" >&2
    sed 's/^/    /' "${WORKDIR}/check.out" >&2
  fi
}

run() {  # transport era target
  RUN="$1 $2"
  OUT="${WORKDIR}/$1-$2.out"
  if ! timeout 60 "${CLIENT[@]}" "$1" "$2" "$3" "${BUILD}/toolgate" >"${OUT}" 2>"${WORKDIR}/client.err"; then
    failed=$((failed + 1))
    echo "FAIL: ${RUN}: the client failed:" >&2
    cat "${WORKDIR}/client.err" >&2
    return
  fi
  local version=2025-11-25 era=legacy
  [ "$2" = 2026 ] && version=2026-07-28 era=modern
  check "negotiated ${version}" "s.connect.version === '${version}' && s.connect.era === '${era}'"
  check "tools/list" '["demo__echo", "demo__fail", "demo__remove"].every((n) => s.tools.includes(n))'
  check "tools/call runs the tool" \
    's.echo.isError !== true && s.echo.structuredContent?.message === "hello from SDK v2"
     && text(s.echo).includes("hello from SDK v2")'
  for action in decline accept; do
    check "${action}: the human is asked about this call" \
      "s.${action}.asked?.includes('Tool: demo__remove') && s.${action}.asked.includes('destructive-needs-a-human')"
  done
  check "decline: the call does not run" \
    's.decline.result.isError === true && text(s.decline.result).includes("A human declined this call")
     && s.decline.result.structuredContent === undefined'
  check "accept: the call runs" \
    's.accept.result.isError !== true && s.accept.result.structuredContent?.path === "/data/report.txt"'

  if [ "$2" = 2026 ]; then
    check "server/discover offers 2026-07-28, no initialize" \
      's.discover?.supportedVersions?.includes("2026-07-28") && requests("initialize").length === 0'
    check "every request carries the _meta envelope" \
      's.sent.filter((m) => m.method !== undefined).every((m) =>
         m.params?._meta?.["io.modelcontextprotocol/protocolVersion"] === "2026-07-28"
         && m.params._meta["io.modelcontextprotocol/clientCapabilities"]?.elicitation !== undefined
         && m.params._meta["io.modelcontextprotocol/clientInfo"]?.name === "sdk-v2-e2e")'
    check "no server-to-client requests" 's.received.every((m) => m.method === undefined)'
    # Each approval: the first call gets input_required; the SDK answers it
    # through the elicitation handler and retries with the action and the
    # requestState echoed, on a new id; the retry completes.
    check "approval as input_required rounds, retried with inputResponses and the requestState" \
      '(() => {
         const calls = requests("tools/call", "demo__remove");
         if (calls.length !== 4) return false;
         return ["decline", "accept"].every((action, i) => {
           const first = calls[2 * i], retry = calls[2 * i + 1], r = reply(first)?.result;
           const ask = r?.inputRequests?.toolgate_approval;
           return r?.resultType === "input_required" && Object.keys(r.inputRequests).length === 1
             && ask.method === "elicitation/create" && ask.params.mode === "form"
             && ask.params.requestedSchema?.type === "object"
             && ask.params.message === s[action].asked
             && typeof r.requestState === "string" && r.requestState.length > 0
             && first.params.inputResponses === undefined && first.params.requestState === undefined
             && retry.id !== first.id && retry.params.arguments.path === "/data/report.txt"
             && JSON.stringify(retry.params.inputResponses) === JSON.stringify({ toolgate_approval: { action } })
             && retry.params.requestState === r.requestState
             && reply(retry)?.result?.resultType === "complete";
         });
       })()'
    if [ "$1" = http ]; then
      check "the first POST is server/discover" 's.http[0]?.method === "server/discover"'
      check "2026 headers on every POST, no session" \
        's.connect.sessionId === null && s.http.length === s.sent.length && s.http.every((p, i) =>
           p.headers["mcp-protocol-version"] === "2026-07-28" && p.headers["mcp-method"] === p.method
           && p.headers["mcp-session-id"] === undefined
           && p.headers["mcp-name"] === (p.method === "tools/call" ? s.sent[i].params.name : undefined))'
    fi
  else
    check "initialize with 2025-11-25 and the elicitation capability, no server/discover" \
      '(() => {
         const init = requests("initialize");
         return s.sent[0]?.method === "initialize" && init.length === 1
           && init[0].params.protocolVersion === "2025-11-25" && init[0].params.capabilities.elicitation !== undefined
           && requests("server/discover").length === 0 && s.discover === null
           && s.sent.every((m) => m.params?._meta === undefined);
       })()'
    # Each approval: an elicitation/create request arrives while the call is
    # pending, the client answers it, and the call is not retried.
    check "approval as elicitation/create requests, answered, no input_required" \
      '(() => {
         const calls = requests("tools/call", "demo__remove");
         const asks = s.received.filter((m) => m.method === "elicitation/create");
         if (calls.length !== 2 || asks.length !== 2) return false;
         return ["decline", "accept"].every((action, i) => {
           const ask = asks[i], at = s.received.indexOf(ask), done = s.received.indexOf(reply(calls[i]));
           const answer = s.sent.find((m) => m.id === ask.id && m.method === undefined);
           return ask.id !== undefined && ask.params.message === s[action].asked
             && ask.params.requestedSchema?.type === "object"
             && at >= 0 && done > at && answer?.result?.action === action
             && calls[i].params.inputResponses === undefined;
         }) && s.received.every((m) => m.result?.resultType !== "input_required");
       })()'
    if [ "$1" = http ]; then
      check "one session, on every POST after initialize" \
        'typeof s.connect.sessionId === "string" && s.connect.sessionId.length > 0
         && s.http.length === s.sent.length && s.http[0].method === "initialize"
         && s.http.slice(1).every((p) => p.headers["mcp-session-id"] === s.connect.sessionId
                                      && p.headers["mcp-protocol-version"] === "2025-11-25")'
    fi
  fi
}

run stdio 2026 "${WORKDIR}/config.yaml"
run stdio 2025 "${WORKDIR}/config.yaml"
start_http_gateway
run http 2026 "${GW_URL}"
run http 2025 "${GW_URL}"

# The audit log, per run: the declined call's approval and its undispatched
# end, then the approved call's approval and its run, each on 2026 after a
# first round that ended input_required; stdio callers are "local", HTTP ones
# "anonymous".
RUN=audit
: >"${WORKDIR}/none.out"
OUT="${WORKDIR}/none.out"
check "approved and declined verdicts, in order" \
  '(() => {
     const approvals = s.audit.filter((e) => e.event === "approval");
     const ends = s.audit.filter((e) => e.event === "end" && e.tool === "demo__remove");
     const runs = [["local", 2026], ["local", 2025], ["anonymous", 2026], ["anonymous", 2025]];
     const want = runs.flatMap(([caller, era]) =>
       (era === 2026 ? ["input_required", "declined", "input_required", "ok"] : ["declined", "ok"])
         .map((outcome) => [caller, outcome]));
     if (approvals.length !== 8 || ends.length !== want.length) return false;
     let next = 0;
     return want.every(([caller, outcome], i) => {
       const e = ends[i];
       if (e.caller !== caller || e.outcome !== outcome) return false;
       if (outcome === "input_required") return e.dispatched === false;
       const a = approvals[next++];
       return a.verdict === (outcome === "ok" ? "approved" : "declined") && a.call === e.call
         && a.tool === "demo__remove" && a.caller === caller && a.by === `elicitation:${caller}`
         && (outcome === "ok" ? e.is_error === false : e.dispatched === false);
     });
   })()'

echo "${passed} passed, ${failed} failed"
[ "${failed}" -eq 0 ]
