// The one HTTP request shape of a GraphQL source: a JSON POST to the
// endpoint, with the source's credentials and headers, made by a worker
// under the source's egress allow-list. Used for calls and for live
// introspection at load time.
//
//   auto order = graphql_order(route, {{"query", q}, {"variables", v}}, limits);
#pragma once

#include "common/result.h"
#include "common/work_order.h"

namespace toolgate::graphql {

// `route` holds endpoint, auth, headers and egress_allow (see load()).
Result<WorkOrder> graphql_order(const json& route, const json& body, const Limits& limits);

}  // namespace toolgate::graphql
