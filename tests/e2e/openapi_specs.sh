#!/usr/bin/env bash
# Real-world specs load: every Swagger 2.0, OpenAPI 3.0 and 3.1 edge case in
# npm @readme/oas-examples, and GitHub's full REST spec from npm
# @octokit/openapi (about 1,100 operations). Each must load without a crash
# and give tools; their load time and memory are measured in bench/, not here.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
fail() { echo "FAIL: $*" >&2; exit 1; }
examples="${ROOT}/tests/npm/node_modules/@readme/oas-examples"
[ -d "${examples}/3.1" ] || fail "npm @readme/oas-examples is not installed"
n=0
tools=0
for spec in "${examples}"/{2.0,3.0,3.1}/{json,yaml}/*.{json,yaml}; do
  [ -f "${spec}" ] || continue
  printf 'sources:\n  - name: s\n    type: openapi\n    spec: %s\n    base_url: http://127.0.0.1:9\n' \
    "${spec}" >"${WORKDIR}/c.yaml"
  set +e
  out="$("${BUILD}/toolgate" tools -c "${WORKDIR}/c.yaml" 2>"${WORKDIR}/err")"
  rc=$?
  set -e
  [ "${rc}" -eq 0 ] || { cat "${WORKDIR}/err" >&2; fail "${spec}: exit ${rc}"; }
  n=$((n + 1))
  tools=$((tools + $(grep -c . <<<"${out}" || true)))
done
[ "${n}" -ge 100 ] || fail "only ${n} example specs found"
[ "${tools}" -ge 300 ] || fail "only ${tools} tools from ${n} specs"

gh="${ROOT}/tests/npm/node_modules/@octokit/openapi/generated/api.github.com.json"
printf 'sources:\n  - name: gh\n    type: openapi\n    spec: %s\n' "${gh}" >"${WORKDIR}/gh.yaml"
count="$("${BUILD}/toolgate" tools -c "${WORKDIR}/gh.yaml" 2>"${WORKDIR}/gh.err" | grep -c '^gh__')"
[ "${count}" -ge 1000 ] || { cat "${WORKDIR}/gh.err" >&2; fail "GitHub spec gave ${count} tools"; }
grep -q 'loading a large OpenAPI spec' "${WORKDIR}/gh.err" || fail "no progress line for the large spec"
echo "${n} example specs (${tools} tools) and GitHub's spec (${count} tools) loaded"
