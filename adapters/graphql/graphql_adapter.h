// `type: graphql` sources: every field of the query and mutation roots
// becomes a tool (docs/graphql.md). The schema comes from an SDL file, an
// introspection JSON file, or live introspection of the endpoint (run in a
// worker); calls are POSTs of {query, variables, operationName} made from
// inside a worker, through the egress broker.
//
//   sources:
//     - name: gh
//       type: graphql
//       endpoint: http://127.0.0.1:4000/graphql
//       schema: schemas/github.graphql      # or .json; omit to introspect live
//       auth: {type: bearer, token: "${GH_TOKEN}"}
//       selection_depth: 2
//       include: {fields: ["repository", "viewer", "create*"]}
#pragma once

#include "gateway/catalog/adapter.h"

namespace toolgate {

class GraphQlAdapter : public Adapter, public Translator {
 public:
  std::vector<Tool> load(const LoadContext& ctx) const override;
  const Translator* translator() const override { return this; }
  Result<WorkOrder> prepare(const Tool& tool, const json& args) const override;
  json render(const Tool& tool, const WorkResult& result) const override;
  // The raw query tool: {"graphql": {"operation": "mutation"}} when its
  // document holds a mutation (or cannot be read), else "query".
  json call_facts(const Tool& tool, const json& args) const override;
};

}  // namespace toolgate
