#!/usr/bin/env bash
# GitHub's public GraphQL schema (npm @octokit/graphql-schema) loads from
# SDL and from introspection JSON, and both give the same tools.
#
# The package ships schema.graphql and schema.json, but they are different
# snapshots of GitHub's API (graphql-js itself finds about 300 type-level
# differences between them, e.g. addSubIssue only in the SDL). So the JSON
# form compared here is the SDL's introspection as graphql-js (the reference
# implementation) computes it; the package's own schema.json is loaded too,
# and must load cleanly.
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
require_npm_tools
fail() { echo "FAIL: $*" >&2; exit 1; }
PKG="${ROOT}/tests/npm/node_modules/@octokit/graphql-schema"
copy="${ROOT}/tests/npm/.sdl_to_introspection.$$.mjs"
trap 'rm -f "${copy}"; cleanup' EXIT
cp "$(dirname -- "${BASH_SOURCE[0]}")/graphql/sdl_to_introspection.mjs" "${copy}"
"${NODE22}" "${copy}" "${PKG}/schema.graphql" >"${WORKDIR}/from-sdl.json" || fail "graphql-js"

config() {  # $1: the schema file
  printf 'sources:\n  - name: gh\n    type: graphql\n    endpoint: https://api.github.com/graphql\n    schema: %s\n' "$1"
}
config "${PKG}/schema.graphql" >"${WORKDIR}/sdl.yaml"
config "${WORKDIR}/from-sdl.json" >"${WORKDIR}/json.yaml"
config "${PKG}/schema.json" >"${WORKDIR}/pkg.yaml"

load() {  # $1: config, $2: output; prints the seconds it took
  local start end
  start=$(date +%s.%N)
  "${BUILD}/toolgate" tools -c "$1" --json >"$2" 2>"$2.err" || { cat "$2.err" >&2; fail "loading $1"; }
  end=$(date +%s.%N)
  python3 -c "print(f'{${end} - ${start}:.2f}')"
}
t_sdl=$(load "${WORKDIR}/sdl.yaml" "${WORKDIR}/sdl.out")
t_json=$(load "${WORKDIR}/json.yaml" "${WORKDIR}/json.out")
t_pkg=$(load "${WORKDIR}/pkg.yaml" "${WORKDIR}/pkg.out")
python3 - "${WORKDIR}" "${t_sdl}" "${t_json}" "${t_pkg}" <<'PY' || fail "the two forms give different tools"
import json, sys
d = sys.argv[1]
sdl, js, pkg = (json.load(open(f"{d}/{n}.out")) for n in ("sdl", "json", "pkg"))
names = [t["name"] for t in sdl]
assert len(sdl) > 250 and "gh__repository" in names and "gh__createIssue" in names, len(sdl)
repo = next(t for t in sdl if t["name"] == "gh__repository")
assert repo["annotations"]["readOnlyHint"] is True
assert set(repo["inputSchema"]["required"]) == {"owner", "name"}, repo["inputSchema"]
create = next(t for t in sdl if t["name"] == "gh__createIssue")
assert create["annotations"]["destructiveHint"] is True
assert "CreateIssueInput" in create["inputSchema"]["$defs"], create["inputSchema"].keys()
if sdl != js:
    for a, b in zip(sdl, js):
        if a != b: print("differs:", a["name"], b["name"], file=sys.stderr); break
    sys.exit(1)
assert len(pkg) > 250, len(pkg)
print(f"GitHub schema: {len(sdl)} tools, identical from SDL ({sys.argv[2]} s) and introspection "
      f"JSON ({sys.argv[3]} s); the package's own schema.json: {len(pkg)} tools ({sys.argv[4]} s)")
PY
