#!/usr/bin/env bash
# How long GitHub's full REST spec (npm @octokit/openapi, ~13 MB of JSON,
# ~1,200 operations) takes to become tools, and the peak memory of doing so.
# The baseline, measured in the same run, is Python parsing the same file.
#
#   bench/spec_load.sh [runs]        (needs scripts/install-npm-tools.sh)
set -euo pipefail
root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)"
build="${TOOLGATE_BUILD_DIR:-${root}/build}"
spec="${root}/tests/npm/node_modules/@octokit/openapi/generated/api.github.com.json"
runs="${1:-3}"
[ -f "${spec}" ] || { echo "missing ${spec}: run scripts/install-npm-tools.sh" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
printf 'sources:\n  - name: gh\n    type: openapi\n    spec: %s\n' "${spec}" >"${work}/gh.yaml"
printf 'sources:\n  - name: gh\n    type: openapi\n    expose: discover\n    spec: %s\n' "${spec}" >"${work}/ghd.yaml"

measure() {  # label, command...
  local label="$1"
  shift
  local best_s="" best_kb=""
  for _ in $(seq 1 "${runs}"); do
    /usr/bin/time -f "%e %M" -o "${work}/t" "$@" >/dev/null 2>&1
    read -r s kb <"${work}/t"
    if [ -z "${best_s}" ] || awk "BEGIN{exit !(${s} < ${best_s})}"; then best_s="${s}"; fi
    if [ -z "${best_kb}" ] || [ "${kb}" -lt "${best_kb}" ]; then best_kb="${kb}"; fi
  done
  printf '%-44s %8.2f s %8d MB\n' "${label}" "${best_s}" "$((best_kb / 1024))"
}

echo "GitHub REST spec ($(du -m "${spec}" | cut -f1) MB), best of ${runs} runs: wall time, peak RSS"
measure "baseline: python3 json.load of the file" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "${spec}"
measure "toolgate validate (1,200+ tools)" "${build}/toolgate" validate -c "${work}/gh.yaml"
measure "toolgate validate, expose: discover" "${build}/toolgate" validate -c "${work}/ghd.yaml"

# GitHub's GraphQL schema (npm @octokit/graphql-schema) in both forms.
gql="${root}/tests/npm/node_modules/@octokit/graphql-schema"
if [ -f "${gql}/schema.graphql" ]; then
  printf 'sources:\n  - name: gh\n    type: graphql\n    endpoint: https://api.github.com/graphql\n    schema: %s\n' \
    "${gql}/schema.graphql" >"${work}/gql-sdl.yaml"
  printf 'sources:\n  - name: gh\n    type: graphql\n    endpoint: https://api.github.com/graphql\n    schema: %s\n' \
    "${gql}/schema.json" >"${work}/gql-json.yaml"
  echo
  echo "GitHub GraphQL schema (SDL $(du -k "${gql}/schema.graphql" | cut -f1) kB, introspection JSON $(du -k "${gql}/schema.json" | cut -f1) kB), best of ${runs} runs"
  measure "baseline: python3 json.load of schema.json" python3 -c "import json,sys; json.load(open(sys.argv[1]))" "${gql}/schema.json"
  measure "toolgate validate, from SDL" "${build}/toolgate" validate -c "${work}/gql-sdl.yaml"
  measure "toolgate validate, from introspection JSON" "${build}/toolgate" validate -c "${work}/gql-json.yaml"
fi
