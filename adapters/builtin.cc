// The adapters that ship with toolgate. The gateway core knows none of them
// by name; this list is the one place that does.
#include "adapters/graphql/graphql_adapter.h"
#include "adapters/mcp/mcp_adapter.h"
#include "adapters/openapi/openapi_adapter.h"
#include "adapters/script/script_adapter.h"
#include "gateway/catalog/adapter.h"

namespace toolgate {

void register_builtin_adapters(AdapterRegistry& registry) {
  registry.add("script", std::make_unique<ScriptAdapter>());
  registry.add("openapi", std::make_unique<OpenApiAdapter>());
  registry.add("graphql", std::make_unique<GraphQlAdapter>());
  registry.add("mcp", std::make_unique<McpAdapter>());
}

}  // namespace toolgate
