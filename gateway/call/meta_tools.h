// The meta-tools of `expose: discover` sources (tools_call.cc): search_tools
// and describe_tool are answered from the catalog; call_tool names the
// target tool, which then goes through validation, policy and audit as a
// direct call would. Internal to the gateway core.
#pragma once

#include <string>

#include "gateway/gateway.h"

namespace toolgate {

// The result of search_tools or describe_tool.
json answer_discovery(const Snapshot& snap, const Caller& caller, const Tool& meta,
                      const json& args);
// The target of a call_tool call: its catalog name, or an error text.
Result<std::string> call_tool_target(const Snapshot& snap, const Tool& meta, const json& args);

}  // namespace toolgate
