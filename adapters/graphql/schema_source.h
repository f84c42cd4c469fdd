// Where a GraphQL source's schema comes from: an SDL file, an introspection
// JSON file, or the live endpoint's introspection (run in a worker, under
// the source's egress allow-list, like a call).
//
//   Schema s = read_schema_file("schemas/github.graphql");   // throws ConfigError
//   Schema s = introspect(route, limits, ctx.fetch);
#pragma once

#include "adapters/graphql/schema.h"
#include "gateway/catalog/adapter.h"

namespace toolgate::graphql {

// SDL for .graphql/.gql/.graphqls, introspection JSON for .json; other
// names are told apart by their first character. Tolerated oddities are
// appended to `warnings`.
Schema read_schema_file(const std::string& path, std::vector<std::string>* warnings);

Schema introspect(const json& route, const Limits& limits, const LoadFetcher* fetch);

}  // namespace toolgate::graphql
