// The meta-tools of `expose: discover` sources (pipeline.cc): search_tools
// and describe_tool are answered from the catalog; call_tool names the
// target tool, which then goes through validation, policy and audit as a
// direct call would.
//
//   json r = answer_discovery(snap, caller, meta_tool, args);   // search_tools, describe_tool
//   auto target = call_tool_target(snap, meta_tool, args);      // call_tool: the catalog name
#pragma once

#include <string>

#include "common/result.h"
#include "gateway/catalog/catalog.h"
#include "gateway/config/snapshot.h"
#include "gateway/identity/caller.h"

namespace toolgate {

// The result of search_tools or describe_tool.
json answer_discovery(const Snapshot& snap, const Caller& caller, const Tool& meta,
                      const json& args);
// The target of a call_tool call: its catalog name, or an error text.
Result<std::string> call_tool_target(const Snapshot& snap, const Tool& meta, const json& args);

}  // namespace toolgate
